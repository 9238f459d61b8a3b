// One typed config from defaults ← config file ← COMSIPL_* environment ← command-line flags,
// validated once and frozen (fastify's shape). The only module that reads argv/env.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { TRANSPORTS, type TransportName } from './transport/destination.js';

export type NotifyTimeoutPolicy = 'end' | 'keep';
/** 'auto' is only a default: loadConfig resolves it to 'on' or 'off' from the listen address. */
export type AuthMode = 'on' | 'off' | 'auto';

export interface Config {
  host: string;
  port: number;
  data: string;
  /** Domains we serve; empty = any (requests for other domains get 404 when set). */
  domain: string[];
  /** Piscina worker threads; 0 = run the worker tasks inline on the main thread. */
  workers: number;
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest datagram accepted; larger → 513. */
  maxMessageSize: number;
  /** What a NOTIFY timeout (408 / Timer F) does to the subscription (Kamailio timeout_rm_subs). */
  notifyTimeout: NotifyTimeoutPolicy;
  /** Bound on requests waiting for parse/actors/commit; past it new requests get 503. */
  maxPending: number;
  /** Digest authentication of REGISTER/PUBLISH/SUBSCRIBE (RFC 3261 §22); always 'on'|'off' once loaded. */
  auth: AuthMode;
  /** Digest realm; '' = the first --domain, else the domain of each request's AoR. */
  realm: string;
  /** Seconds between two 'stats' log lines (0 = none). */
  statsInterval: number;
  /** Rounds of synthetic messages run through the codec after start to warm the JIT (0 = none; core/warm-up.ts). */
  warmUp: number;
  /** 'fsync': each commit is on disk before its 200 OK; 'os': committed to the OS page cache. */
  durability: 'fsync' | 'os';
  /** Challenge algorithms in the order offered (RFC 8760 §2.4: preferred first). */
  authAlgorithms: ('SHA-256' | 'MD5')[];
  /** Users file (HA1 hashes); '' = <data>/users.json. Resolved by loadConfig. */
  users: string;
  /** Watcher rules file; '' = <data>/rules.json. Resolved by loadConfig. */
  rules: string;
  /** New requests per second per source IP; 0 = no per-source limit. */
  rateLimit: number;
  /** Token bucket depth per source; 0 = twice the rate (at least 1). */
  rateBurst: number;
  /** Store writes waiting for their commit before new requests get 503. */
  maxStoreQueue: number;
  /** NOTIFYs queued or in flight (all dialogs) before further ones wait in the backlog. */
  maxNotifies: number;
  /** Shortest time between two state NOTIFYs of one dialog (RFC 3856 §6.10 throttling); 0 = none. */
  notifyMinInterval: number;
  /** Admin listener (HTTP API, /metrics, board): 'host:port', '[v6]:port' or 'off'; '' = the default (adminAddress). */
  http: string;
  /** 'json' lines (default) or 'pretty' (pino-pretty, for terminals). */
  logFormat: 'json' | 'pretty';
  /** SIP timer T1 in ms for our NOTIFY client transactions. Hidden: COMSIPL_TEST_T1_MS only, for tests. */
  timerT1: number;
  /** Listeners turned on; TLS and WSS need --tls-cert and --tls-key. */
  transports: TransportName[];
  /** TCP port; -1 = the UDP port (RFC 3261 §18.2.1: TCP wherever UDP is served). */
  tcpPort: number;
  tlsPort: number;
  wsPort: number;
  wssPort: number;
  /** PEM certificate chain and private key for TLS and WSS. */
  tlsCert: string;
  tlsKey: string;
  /** Connections (TCP, TLS, WS, WSS together, handshakes included) and per source address. */
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Seconds without a byte from a connection before it is closed. */
  idleTimeout: number;
  /** Seconds a message may take from its first byte to its last, and a WebSocket handshake to finish. */
  messageTimeout: number;
  /** Seconds a TLS handshake may take. */
  tlsHandshakeTimeout: number;
  /** Dialog package (RFC 4235): only the most relevant dialog per NOTIFY (Kamailio force_single_dialog). */
  dialogSingle: boolean;
  /** Dialog package: a terminated placeholder dialog when there is none (Kamailio force_dummy_dialog). */
  dialogDummy: boolean;
  /** Resource lists file (RFC 4662); '' = <data>/lists.json. Resolved by loadConfig. */
  lists: string;
  /** User parts of the resource list server URI that take lists in the SUBSCRIBE body (RFC 5367). */
  rlsUsers: string[];
  /** Batching window of partial list NOTIFYs, ms. */
  listBatchMs: number;
  /** Most members of one list (file or request body); more → the file is refused, the SUBSCRIBE gets 413. */
  listMaxEntries: number;
  /** Largest list NOTIFY body, bytes: a larger full state is split into several NOTIFYs. */
  listMaxBody: number;
  /** `Event: Presence` in NOTIFYs of body-list presence subscriptions (liblinphone 5.1 needs it). */
  listEventQuirk: boolean;
  /** 'fdb' (LMDB files in --data) or a Redis/Valkey URL `redis://host:port[/db]` shared by several nodes. */
  store: string;
  /** `host:port` put in our Contact (responses, NOTIFYs): the balancer's address; '' = our own. */
  advertise: string;
  /** Name of the node group sharing one Redis (key prefix); nodes with the same name share presence. */
  cluster: string;
  /** This node's id in the group; '' = the one kept in <data>/node-id (made at first start). */
  nodeId: string;
  /** Seconds a node's lease lasts without renewal: a dead node's dialogs move after about this long. */
  nodeTtl: number;
}

export const DEFAULTS: Readonly<Config> = Object.freeze({
  host: '0.0.0.0',
  port: 5060,
  data: './data',
  domain: [],
  // Measured in bench/RESULTS.md: on 2 cores one main thread + one worker beats inline
  // only for large batches; inline is the default until a measurement says otherwise.
  workers: 0,
  minExpires: 60,
  maxExpires: 3600,
  defaultExpires: 3600,
  logLevel: 'info',
  maxMessageSize: 65507,
  notifyTimeout: 'end',
  maxPending: 50000,
  auth: 'auto',
  realm: '',
  durability: 'fsync',
  statsInterval: 60,
  warmUp: 2000,
  // MD5 alone: SIP.js and JsSIP compute MD5 only, SIPp fails on more than one challenge and
  // baresip 1.0 on any but MD5 alone (README "Authentication"); a site can require SHA-256.
  authAlgorithms: ['MD5'] as Config['authAlgorithms'],
  users: '',
  rules: '',
  rateLimit: 0,
  rateBurst: 0,
  maxStoreQueue: 20000,
  maxNotifies: 20000,
  notifyMinInterval: 0,
  http: '',
  logFormat: 'json',
  timerT1: 500,
  transports: ['udp', 'tcp', 'tls', 'ws', 'wss'] as TransportName[],
  tcpPort: -1,
  tlsPort: 5061,
  // FreeSWITCH's WebSocket ports (Kamailio's examples use them too); 8080/8443 collide with web servers.
  wsPort: 5066,
  wssPort: 7443,
  tlsCert: '',
  tlsKey: '',
  maxConnections: 10000,
  maxConnectionsPerIp: 1000,
  // Longer than the longest refresh interval (--max-expires 3600): a quiet registered client keeps its connection.
  idleTimeout: 3900,
  messageTimeout: 10,
  tlsHandshakeTimeout: 10,
  dialogSingle: false,
  dialogDummy: false,
  lists: '',
  rlsUsers: ['rls'],
  listBatchMs: 300,
  listMaxEntries: 5000,
  // Fits one UDP datagram with the NOTIFY's headers; TCP (transports) will lift it.
  listMaxBody: 60000,
  listEventQuirk: true,
  store: 'fdb',
  advertise: '',
  cluster: 'comsipl',
  nodeId: '',
  nodeTtl: 5,
});

export class ConfigError extends Error {}

/** Default port of the admin listener (HTTP): not a SIP port, beside the usual exporter range. */
export const ADMIN_PORT = 9060;

type Kind = 'string' | 'port' | 'int' | 'list' | 'level' | 'policy' | 'auth' | 'text' | 'bool';
interface OptionSpec { key: keyof Config; flag: string; env: string; kind: Kind; help: string; min?: number }

const OPTIONS: OptionSpec[] = [
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

const LOOPBACK = new Set(['127.0.0.1', '::1']);


/** 'host:port' or '[v6]:port' → parts; null when malformed. */
export function parseHostPort(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  if (m === null) return null;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (isIP(host) === 0 || port > 65535) return null;
  return { host, port };
}

/**
 * Where the admin listener binds, or null for --http off. `explicit` is false for the
 * default, which the server gives up (with a warning) when its port is taken, so a second
 * server or a test on the same host still starts; an explicit address that fails stops it.
 */
export function adminAddress(cfg: Pick<Config, 'http' | 'port'>): { host: string; port: number; explicit: boolean } | null {
  if (cfg.http === 'off') return null;
  if (cfg.http === '') return { host: '127.0.0.1', port: cfg.port === 0 ? 0 : ADMIN_PORT, explicit: false };
  const hp = parseHostPort(cfg.http);
  if (hp === null) throw new ConfigError(`--http: '${cfg.http}' is not host:port, [v6]:port or off`);
  return { ...hp, explicit: true };
}

/** True for the addresses on which running without authentication is acceptable by default. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host);
}

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function convert(spec: OptionSpec, raw: unknown, source: string): unknown {
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

/** Builds the config; throws ConfigError with one line naming the bad value. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const out: Record<string, unknown> = { ...DEFAULTS, domain: [...DEFAULTS.domain], authAlgorithms: [...DEFAULTS.authAlgorithms], transports: [...DEFAULTS.transports] };
  const flags = new Map<string, string>();
  let configFile = env.COMSIPL_CONFIG;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (name === '--config') {
      if (value === undefined) throw new ConfigError('--config: missing file name');
      configFile = value;
      continue;
    }
    if (!OPTIONS.some((o) => o.flag === name)) throw new ConfigError(`unknown option '${name}' (see --help)`);
    if (value === undefined) throw new ConfigError(`${name}: missing value`);
    flags.set(name, value);
  }
  if (configFile) {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`--config ${configFile}: ${(e as Error).message}`);
    }
    for (const [k, v] of Object.entries(json)) {
      const spec = OPTIONS.find((o) => o.key === k);
      if (!spec) throw new ConfigError(`--config ${configFile}: unknown key '${k}'`);
      out[k] = convert(spec, v, configFile);
    }
  }
  for (const spec of OPTIONS) {
    const v = env[spec.env];
    if (v !== undefined && v !== '') out[spec.key] = convert(spec, v, spec.env);
  }
  for (const spec of OPTIONS) {
    const v = flags.get(spec.flag);
    if (v !== undefined) out[spec.key] = convert(spec, v, 'flag');
  }
  const cfg = out as unknown as Config;
  if (isIP(cfg.host) === 0) throw new ConfigError(`--host: '${cfg.host}' is not an IPv4 or IPv6 address`);
  if (cfg.minExpires > cfg.maxExpires) throw new ConfigError(`--min-expires ${cfg.minExpires} is above --max-expires ${cfg.maxExpires}`);
  if (cfg.defaultExpires < cfg.minExpires || cfg.defaultExpires > cfg.maxExpires) {
    cfg.defaultExpires = Math.min(Math.max(cfg.defaultExpires, cfg.minExpires), cfg.maxExpires);
  }
  if (cfg.workers > Math.max(1, os.availableParallelism() * 4)) throw new ConfigError(`--workers ${cfg.workers} is more than 4 per core`);
  // Secure by default: a server reachable from other hosts authenticates unless told not to.
  if (cfg.auth === 'auto') cfg.auth = isLoopback(cfg.host) ? 'off' : 'on';
  if (cfg.durability !== 'fsync' && cfg.durability !== 'os') throw new ConfigError(`--durability: '${String(cfg.durability)}' is not fsync|os`);
  if (cfg.realm === '') cfg.realm = cfg.domain[0] ?? '';
  cfg.authAlgorithms = cfg.authAlgorithms.map((a) => a.toUpperCase()) as Config['authAlgorithms'];
  if (cfg.authAlgorithms.length === 0 || cfg.authAlgorithms.some((a) => a !== 'SHA-256' && a !== 'MD5')) {
    throw new ConfigError(`--auth-algorithms: '${cfg.authAlgorithms.join(',')}' must list SHA-256 and/or MD5`);
  }
  checkTransports(cfg);
  if (cfg.store !== 'fdb' && !/^rediss?:\/\/[^/?#]+(\/\d{1,2})?$/.test(cfg.store)) {
    throw new ConfigError(`--store: '${cfg.store}' is not fdb or redis://host:port[/db]`);
  }
  if (cfg.advertise !== '' && !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(cfg.advertise)) {
    throw new ConfigError(`--advertise: '${cfg.advertise}' is not host:port`);
  }
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(cfg.cluster)) throw new ConfigError(`--cluster: '${cfg.cluster}' must be 1-64 letters, digits, '.', '_' or '-'`);
  if (cfg.nodeId !== '' && !/^[A-Za-z0-9._-]{1,64}$/.test(cfg.nodeId)) throw new ConfigError(`--node-id: '${cfg.nodeId}' must be 1-64 letters, digits, '.', '_' or '-'`);
  if (cfg.users === '') cfg.users = join(cfg.data, 'users.json');
  if (cfg.rules === '') cfg.rules = join(cfg.data, 'rules.json');
  if (cfg.logFormat !== 'json' && cfg.logFormat !== 'pretty') throw new ConfigError(`--log-format: '${String(cfg.logFormat)}' is not json|pretty`);
  adminAddress(cfg);
  if (cfg.lists === '') cfg.lists = join(cfg.data, 'lists.json');
  if (cfg.rateBurst === 0) cfg.rateBurst = Math.max(1, cfg.rateLimit * 2);
  // Undocumented on purpose: only tests shorten T1 (timer F = 64·T1) to see NOTIFY timeouts fast.
  const t1 = env.COMSIPL_TEST_T1_MS;
  if (t1 !== undefined && t1 !== '') {
    if (!/^\d+$/.test(t1) || Number(t1) < 1 || Number(t1) > 10_000) throw new ConfigError(`COMSIPL_TEST_T1_MS: '${t1}' is not 1..10000`);
    cfg.timerT1 = Number(t1);
  }
  return Object.freeze({
    ...cfg,
    domain: Object.freeze([...cfg.domain]) as string[],
    transports: Object.freeze([...cfg.transports]) as TransportName[],
    rlsUsers: Object.freeze([...cfg.rlsUsers]) as string[],
  });
}

/**
 * Listeners: only known names; TLS and WSS need a certificate and key. Asked for by name (a list
 * other than the default) without them is an error; by default they simply stay off.
 */
function checkTransports(cfg: Config): void {
  const list = cfg.transports.map((t) => t.toLowerCase());
  const bad = list.find((t) => !(TRANSPORTS as readonly string[]).includes(t));
  if (bad !== undefined) throw new ConfigError(`--transports: '${bad}' is not one of ${TRANSPORTS.join(',')}`);
  if (list.length === 0) throw new ConfigError('--transports: at least one transport');
  if ((cfg.tlsCert === '') !== (cfg.tlsKey === '')) throw new ConfigError('--tls-cert and --tls-key go together');
  const byDefault = list.join(',') === DEFAULTS.transports.join(',');
  if (cfg.tlsCert === '') {
    const secure = list.filter((t) => t === 'tls' || t === 'wss');
    if (secure.length > 0 && !byDefault) throw new ConfigError(`--transports ${secure.join(',')} needs --tls-cert and --tls-key`);
  }
  cfg.transports = [...new Set(list)] as TransportName[];
}
