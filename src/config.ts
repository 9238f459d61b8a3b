// One typed config from defaults ← config file ← COMSIPL_* environment ← command-line flags,
// validated once and frozen (fastify's shape). The only module that reads argv/env.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';

export type NotifyTimeoutPolicy = 'end' | 'keep';

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
});

export class ConfigError extends Error {}

type Kind = 'string' | 'port' | 'int' | 'list' | 'level' | 'policy';
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
];

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function convert(spec: OptionSpec, raw: unknown, source: string): unknown {
  const where = `${spec.flag} (${source})`;
  const str = typeof raw === 'number' ? String(raw) : raw;
  switch (spec.kind) {
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
  const out: Record<string, unknown> = { ...DEFAULTS, domain: [...DEFAULTS.domain] };
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
  return Object.freeze({ ...cfg, domain: Object.freeze([...cfg.domain]) as string[] });
}
