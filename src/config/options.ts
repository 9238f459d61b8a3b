// The option table (flag, environment variable, kind, help), value conversion per kind, and --help.
import { ADMIN_PORT } from './addresses.js';
import { ConfigError, DEFAULTS, type Config } from './schema.js';

type Kind = 'string' | 'port' | 'int' | 'list' | 'level' | 'policy' | 'auth' | 'text' | 'bool';
export interface OptionSpec { key: keyof Config; flag: string; env: string; kind: Kind; help: string; min?: number }

export const OPTIONS: readonly OptionSpec[] = [
  { key: 'host', flag: '--host', env: 'COMSIPL_HOST', kind: 'string', help: 'address to listen on (IPv4 or IPv6)' },
  { key: 'port', flag: '--port', env: 'COMSIPL_PORT', kind: 'port', help: 'UDP port' },
  { key: 'data', flag: '--data', env: 'COMSIPL_DATA', kind: 'string', help: 'directory of presence_w.fdb and registered.fdb' },
  { key: 'domain', flag: '--domain', env: 'COMSIPL_DOMAIN', kind: 'list', help: 'served domain(s), comma separated; empty = any' },
  { key: 'workers', flag: '--workers', env: 'COMSIPL_WORKERS', kind: 'int', min: 0, help: 'parse/render worker threads (0 = inline)' },
  { key: 'minExpires', flag: '--min-expires', env: 'COMSIPL_MIN_EXPIRES', kind: 'int', min: 1, help: 'shortest accepted Expires (423 below)' },
  { key: 'maxExpires', flag: '--max-expires', env: 'COMSIPL_MAX_EXPIRES', kind: 'int', min: 1, help: 'longest granted Expires' },
  { key: 'defaultExpires', flag: '--default-expires', env: 'COMSIPL_DEFAULT_EXPIRES', kind: 'int', min: 1, help: 'Expires when the request has none' },
  { key: 'logLevel', flag: '--log-level', env: 'COMSIPL_LOG_LEVEL', kind: 'level', help: 'fatal|error|warn|info|debug|trace|silent' },
  { key: 'maxMessageSize', flag: '--max-message-size', env: 'COMSIPL_MAX_MESSAGE_SIZE', kind: 'int', min: 512, help: 'largest datagram (bytes)' },
  { key: 'notifyTimeout', flag: '--notify-timeout', env: 'COMSIPL_NOTIFY_TIMEOUT', kind: 'policy', help: 'end|keep: subscription after a NOTIFY timeout' },
  { key: 'maxPending', flag: '--max-pending', env: 'COMSIPL_MAX_PENDING', kind: 'int', min: 1, help: 'requests in flight before 503' },
  { key: 'auth', flag: '--auth', env: 'COMSIPL_AUTH', kind: 'auth', help: 'on|off: digest authentication (auto: off on loopback only)' },
  { key: 'statsInterval', flag: '--stats-interval', env: 'COMSIPL_STATS_INTERVAL', kind: 'int', min: 0, help: 'seconds between stats log lines (0 = none)' },
  { key: 'warmUp', flag: '--warm-up', env: 'COMSIPL_WARM_UP', kind: 'int', min: 0, help: 'rounds of synthetic messages that warm the JIT after start (0 = none)' },
  { key: 'durability', flag: '--durability', env: 'COMSIPL_DURABILITY', kind: 'text', help: 'fsync|os: fsync each commit, or leave it to the OS' },
  { key: 'authAlgorithms', flag: '--auth-algorithms', env: 'COMSIPL_AUTH_ALGORITHMS', kind: 'list', help: 'digest algorithms offered, in order (SHA-256,MD5)' },
  { key: 'realm', flag: '--realm', env: 'COMSIPL_REALM', kind: 'text', help: 'digest realm (empty: first --domain, else the domain of the AoR)' },
  { key: 'users', flag: '--users', env: 'COMSIPL_USERS', kind: 'text', help: 'users file (empty: <data>/users.json)' },
  { key: 'rules', flag: '--rules', env: 'COMSIPL_RULES', kind: 'text', help: 'watcher rules file (empty: <data>/rules.json)' },
  { key: 'rateLimit', flag: '--rate-limit', env: 'COMSIPL_RATE_LIMIT', kind: 'int', min: 0, help: 'new requests/s per source IP (0 = off)' },
  { key: 'rateBurst', flag: '--rate-burst', env: 'COMSIPL_RATE_BURST', kind: 'int', min: 0, help: 'burst per source IP (0 = 2 x rate)' },
  { key: 'maxStoreQueue', flag: '--max-store-queue', env: 'COMSIPL_MAX_STORE_QUEUE', kind: 'int', min: 1, help: 'store writes awaiting commit before 503' },
  { key: 'maxNotifies', flag: '--max-notifies', env: 'COMSIPL_MAX_NOTIFIES', kind: 'int', min: 1, help: 'NOTIFYs queued/in flight before the rest wait' },
  { key: 'notifyMinInterval', flag: '--notify-min-interval', env: 'COMSIPL_NOTIFY_MIN_INTERVAL', kind: 'int', min: 0, help: 'min seconds between presence NOTIFYs per dialog (never dialog/BLF)' },
  { key: 'http', flag: '--http', env: 'COMSIPL_HTTP', kind: 'text', help: `admin listener host:port or off (empty: 127.0.0.1:${ADMIN_PORT}, port 0 with --port 0)` },
  { key: 'logFormat', flag: '--log-format', env: 'COMSIPL_LOG_FORMAT', kind: 'text', help: 'json|pretty (pretty: for a terminal)' },
  { key: 'transports', flag: '--transports', env: 'COMSIPL_TRANSPORTS', kind: 'list', help: 'listeners on: udp,tcp,tls,ws,wss (tls/wss need --tls-cert/--tls-key)' },
  { key: 'tcpPort', flag: '--tcp-port', env: 'COMSIPL_TCP_PORT', kind: 'port', help: 'TCP port (default: the UDP port)' },
  { key: 'tlsPort', flag: '--tls-port', env: 'COMSIPL_TLS_PORT', kind: 'port', help: 'TLS port' },
  { key: 'wsPort', flag: '--ws-port', env: 'COMSIPL_WS_PORT', kind: 'port', help: 'WebSocket port (RFC 7118)' },
  { key: 'wssPort', flag: '--wss-port', env: 'COMSIPL_WSS_PORT', kind: 'port', help: 'secure WebSocket port' },
  { key: 'tlsCert', flag: '--tls-cert', env: 'COMSIPL_TLS_CERT', kind: 'text', help: 'PEM certificate (chain) for TLS and WSS' },
  { key: 'tlsKey', flag: '--tls-key', env: 'COMSIPL_TLS_KEY', kind: 'text', help: 'PEM private key for TLS and WSS' },
  { key: 'maxConnections', flag: '--max-connections', env: 'COMSIPL_MAX_CONNECTIONS', kind: 'int', min: 1, help: 'open TCP/TLS/WS/WSS connections in total' },
  { key: 'maxConnectionsPerIp', flag: '--max-connections-per-ip', env: 'COMSIPL_MAX_CONNECTIONS_PER_IP', kind: 'int', min: 1, help: 'open connections per source address' },
  { key: 'idleTimeout', flag: '--idle-timeout', env: 'COMSIPL_IDLE_TIMEOUT', kind: 'int', min: 1, help: 'seconds without a byte before a connection is closed' },
  { key: 'messageTimeout', flag: '--message-timeout', env: 'COMSIPL_MESSAGE_TIMEOUT', kind: 'int', min: 1, help: 'seconds a message or WebSocket handshake may take to arrive' },
  { key: 'tlsHandshakeTimeout', flag: '--tls-handshake-timeout', env: 'COMSIPL_TLS_HANDSHAKE_TIMEOUT', kind: 'int', min: 1, help: 'seconds a TLS handshake may take' },
  { key: 'dialogSingle', flag: '--dialog-single', env: 'COMSIPL_DIALOG_SINGLE', kind: 'bool', help: 'on|off: BLF NOTIFYs carry only the most relevant dialog' },
  { key: 'dialogDummy', flag: '--dialog-dummy', env: 'COMSIPL_DIALOG_DUMMY', kind: 'bool', help: 'on|off: an idle BLF NOTIFY carries one terminated dialog' },
  { key: 'lists', flag: '--lists', env: 'COMSIPL_LISTS', kind: 'text', help: 'resource lists file (empty: <data>/lists.json)' },
  { key: 'rlsUsers', flag: '--rls-users', env: 'COMSIPL_RLS_USERS', kind: 'list', help: 'user parts of the RLS URI taking lists in the body' },
  { key: 'listBatchMs', flag: '--list-batch-ms', env: 'COMSIPL_LIST_BATCH_MS', kind: 'int', min: 0, help: 'batching window of list NOTIFYs (ms)' },
  { key: 'listMaxEntries', flag: '--list-max-entries', env: 'COMSIPL_LIST_MAX_ENTRIES', kind: 'int', min: 1, help: 'most members of one resource list' },
  { key: 'listEventQuirk', flag: '--list-event-quirk', env: 'COMSIPL_LIST_EVENT_QUIRK', kind: 'bool', help: 'on|off: `Event: Presence` for body-list subscriptions (liblinphone 5.1)' },
  { key: 'listMaxBody', flag: '--list-max-body', env: 'COMSIPL_LIST_MAX_BODY', kind: 'int', min: 1000, help: 'largest list NOTIFY body (bytes); full state is split above' },
  { key: 'store', flag: '--store', env: 'COMSIPL_STORE', kind: 'string', help: 'fdb | redis://host:port[/db] (shared by several nodes)' },
  { key: 'advertise', flag: '--advertise', env: 'COMSIPL_ADVERTISE', kind: 'text', help: 'host:port in our Contact (the balancer; empty: our own address)' },
  { key: 'cluster', flag: '--cluster', env: 'COMSIPL_CLUSTER', kind: 'string', help: 'name of the node group sharing the Redis store (key prefix)' },
  { key: 'nodeId', flag: '--node-id', env: 'COMSIPL_NODE_ID', kind: 'text', help: 'this node in the group (empty: kept in <data>/node-id)' },
  { key: 'nodeTtl', flag: '--node-ttl', env: 'COMSIPL_NODE_TTL', kind: 'int', min: 1, help: 'seconds before a silent node\'s dialogs move to the others' },
];

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** A raw value (flag, environment or config file `source`) as the option's kind; ConfigError when it does not fit. */
export function convertOption(spec: OptionSpec, raw: unknown, source: string): unknown {
  const where = `${spec.flag} (${source})`;
  const str = typeof raw === 'number' ? String(raw) : raw;
  switch (spec.kind) {
    case 'text':
      if (typeof str !== 'string') throw new ConfigError(`${where}: expected a string`);
      return str;
    case 'bool':
      if (raw === true || raw === false) return raw;
      if (str === 'on' || str === 'true' || str === '1') return true;
      if (str === 'off' || str === 'false' || str === '0') return false;
      throw new ConfigError(`${where}: '${String(raw)}' is not on|off`);
    case 'auth':
      if (str !== 'on' && str !== 'off' && str !== 'auto') throw new ConfigError(`${where}: '${String(raw)}' is not on|off|auto`);
      return str;
    case 'string':
      if (typeof str !== 'string' || str === '') throw new ConfigError(`${where}: expected a non-empty value`);
      return str;
    case 'list':
      if (Array.isArray(raw)) return raw.map(String);
      if (typeof str !== 'string') throw new ConfigError(`${where}: expected a comma-separated list`);
      return str.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    case 'port':
    case 'int': {
      if (typeof str !== 'string' || !/^\d+$/.test(str)) throw new ConfigError(`${where}: '${String(raw)}' is not a whole number`);
      const n = Number(str);
      const min = spec.kind === 'port' ? 0 : (spec.min ?? 0);
      const max = spec.kind === 'port' ? 65535 : 2 ** 31 - 1;
      if (n < min || n > max) throw new ConfigError(`${where}: ${n} is out of range ${min}..${max}`);
      return n;
    }
    case 'level':
      if (typeof str !== 'string' || !LEVELS.has(str)) throw new ConfigError(`${where}: '${String(raw)}' is not one of ${[...LEVELS].join('|')}`);
      return str;
    case 'policy':
      if (str !== 'end' && str !== 'keep') throw new ConfigError(`${where}: '${String(raw)}' is not end|keep`);
      return str;
  }
}

export function usage(): string {
  const lines = [
    'usage: comsipl [serve] [options]',
    '       comsipl status | presence <aor> | watchers <aor> | registrations | kick …   (a running server, over its admin API)',
    '       comsipl user …  |  comsipl rules …  |  comsipl load …        (each takes --help)',
    '', 'options (also COMSIPL_<NAME> environment variables):'];
  for (const o of OPTIONS) {
    const d = o.key === 'tcpPort' ? 'the UDP port' : JSON.stringify(DEFAULTS[o.key]);
    lines.push(`  ${(o.flag + ' <v>').padEnd(24)} ${o.help} (default ${d}; ${o.env})`);
  }
  lines.push(`  ${'--config <file>'.padEnd(24)} JSON file with the same keys (camelCase)`, `  ${'--help'.padEnd(24)} this text`);
  return lines.join('\n');
}
