// loadConfig: defaults ← config file ← COMSIPL_* environment ← flags; the only reader of argv/env.
import { readFileSync } from 'node:fs';
import type { TransportName } from '../transport/destination.js';
import { convertOption, OPTIONS } from './options.js';
import { ConfigError, DEFAULTS, type Config } from './schema.js';
import { resolveConfig } from './validate.js';

/** Builds the config (checked once, then frozen: fastify's shape); throws ConfigError with one line naming the bad value. */
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
      out[k] = convertOption(spec, v, configFile);
    }
  }
  for (const spec of OPTIONS) {
    const v = env[spec.env];
    if (v !== undefined && v !== '') out[spec.key] = convertOption(spec, v, spec.env);
  }
  for (const spec of OPTIONS) {
    const v = flags.get(spec.flag);
    if (v !== undefined) out[spec.key] = convertOption(spec, v, 'flag');
  }
  const cfg = out as unknown as Config;
  resolveConfig(cfg);
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
