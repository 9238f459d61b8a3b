// One typed config from defaults ← config file ← COMSIPL_* environment ← command-line flags,
// validated once and frozen (fastify's shape). The only module that reads argv/env.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';

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
  /** SIP timer T1 in ms for our NOTIFY client transactions. Hidden: COMSIPL_TEST_T1_MS only, for tests. */
  timerT1: number;
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
  // baresip 1.0 gives up at the first challenge it cannot compute: such sites put MD5 first.
  authAlgorithms: ['SHA-256', 'MD5'] as Config['authAlgorithms'],
  users: '',
  rules: '',
  rateLimit: 0,
  rateBurst: 0,
  maxStoreQueue: 20000,
  maxNotifies: 20000,
  notifyMinInterval: 0,
  timerT1: 500,
  store: 'fdb',
  advertise: '',
  cluster: 'comsipl',
  nodeId: '',
  nodeTtl: 5,
});

export class ConfigError extends Error {}

type Kind = 'string' | 'port' | 'int' | 'list' | 'level' | 'policy' | 'auth' | 'text';
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
  { key: 'durability', flag: '--durability', env: 'COMSIPL_DURABILITY', kind: 'text', help: 'fsync|os: fsync each commit, or leave it to the OS' },
  { key: 'authAlgorithms', flag: '--auth-algorithms', env: 'COMSIPL_AUTH_ALGORITHMS', kind: 'list', help: 'digest algorithms offered, in order (SHA-256,MD5)' },
  { key: 'realm', flag: '--realm', env: 'COMSIPL_REALM', kind: 'text', help: 'digest realm (empty: first --domain, else the domain of the AoR)' },
  { key: 'users', flag: '--users', env: 'COMSIPL_USERS', kind: 'text', help: 'users file (empty: <data>/users.json)' },
  { key: 'rules', flag: '--rules', env: 'COMSIPL_RULES', kind: 'text', help: 'watcher rules file (empty: <data>/rules.json)' },
  { key: 'rateLimit', flag: '--rate-limit', env: 'COMSIPL_RATE_LIMIT', kind: 'int', min: 0, help: 'new requests/s per source IP (0 = off)' },
  { key: 'rateBurst', flag: '--rate-burst', env: 'COMSIPL_RATE_BURST', kind: 'int', min: 0, help: 'burst per source IP (0 = 2 x rate)' },
  { key: 'maxStoreQueue', flag: '--max-store-queue', env: 'COMSIPL_MAX_STORE_QUEUE', kind: 'int', min: 1, help: 'store writes awaiting commit before 503' },
  { key: 'maxNotifies', flag: '--max-notifies', env: 'COMSIPL_MAX_NOTIFIES', kind: 'int', min: 1, help: 'NOTIFYs queued/in flight before the rest wait' },
  { key: 'notifyMinInterval', flag: '--notify-min-interval', env: 'COMSIPL_NOTIFY_MIN_INTERVAL', kind: 'int', min: 0, help: 'min seconds between state NOTIFYs per dialog' },
  { key: 'store', flag: '--store', env: 'COMSIPL_STORE', kind: 'string', help: 'fdb | redis://host:port[/db] (shared by several nodes)' },
  { key: 'advertise', flag: '--advertise', env: 'COMSIPL_ADVERTISE', kind: 'text', help: 'host:port in our Contact (the balancer; empty: our own address)' },
  { key: 'cluster', flag: '--cluster', env: 'COMSIPL_CLUSTER', kind: 'string', help: 'name of the node group sharing the Redis store (key prefix)' },
  { key: 'nodeId', flag: '--node-id', env: 'COMSIPL_NODE_ID', kind: 'text', help: 'this node in the group (empty: kept in <data>/node-id)' },
  { key: 'nodeTtl', flag: '--node-ttl', env: 'COMSIPL_NODE_TTL', kind: 'int', min: 1, help: 'seconds before a silent node\'s dialogs move to the others' },
];

const LOOPBACK = new Set(['127.0.0.1', '::1']);

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
  const lines = ['usage: comsipl [serve] [options]    |    comsipl load …    |    comsipl user …    |    comsipl rules …', '', 'options (also COMSIPL_<NAME> environment variables):'];
  for (const o of OPTIONS) lines.push(`  ${(o.flag + ' <v>').padEnd(24)} ${o.help} (default ${JSON.stringify(DEFAULTS[o.key])}; ${o.env})`);
  lines.push(`  ${'--config <file>'.padEnd(24)} JSON file with the same keys (camelCase)`, `  ${'--help'.padEnd(24)} this text`);
  return lines.join('\n');
}

/** Builds the config; throws ConfigError with one line naming the bad value. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const out: Record<string, unknown> = { ...DEFAULTS, domain: [...DEFAULTS.domain], authAlgorithms: [...DEFAULTS.authAlgorithms] };
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
  if (cfg.rateBurst === 0) cfg.rateBurst = Math.max(1, cfg.rateLimit * 2);
  // Undocumented on purpose: only tests shorten T1 (timer F = 64·T1) to see NOTIFY timeouts fast.
  const t1 = env.COMSIPL_TEST_T1_MS;
  if (t1 !== undefined && t1 !== '') {
    if (!/^\d+$/.test(t1) || Number(t1) < 1 || Number(t1) > 10_000) throw new ConfigError(`COMSIPL_TEST_T1_MS: '${t1}' is not 1..10000`);
    cfg.timerT1 = Number(t1);
  }
  return Object.freeze({ ...cfg, domain: Object.freeze([...cfg.domain]) as string[] });
}
