// `comsipl load` options: parsed and validated once, with messages that name the option,
// defaults in one table and hard caps so that every run is bounded in count and time.
import { SCENARIOS, type ScenarioName } from './scenarios.js';

export interface LoadOptions {
  targetHost: string;
  targetPort: number;
  scenario: ScenarioName;
  rate: number;
  durationS: number;
  count: number;
  watchers: number;
  expires: number;
  workers: number;
  sockets: number;
  json: boolean;
  progress: boolean;
  notifyTimeoutMs: number;
  drainS: number;
  timerFMs: number;
  help: boolean;
}

export const DEFAULTS: Readonly<LoadOptions> = Object.freeze({
  targetHost: '127.0.0.1', targetPort: 5060, scenario: 'register', rate: 100, durationS: 10,
  count: Number.POSITIVE_INFINITY, watchers: 10, expires: 3600, workers: 1, sockets: 1, json: false, progress: false,
  notifyTimeoutMs: 5000, drainS: 35, timerFMs: 32_000, help: false,
});

export const CAPS = Object.freeze({
  rate: 1_000_000, durationS: 3600, count: 100_000_000, watchers: 1000, workers: 64, sockets: 64, drainS: 120, expires: 86_400,
});

export const USAGE = `usage: comsipl load [options]
  --target HOST:PORT     server address (default 127.0.0.1:5060; IPv6 as [::1]:5060)
  --scenario NAME        ${SCENARIOS.join(' | ')} (default register)
  --rate R               new calls per second (default 100, max ${CAPS.rate})
  --duration S           stop starting calls after S seconds (default 10, max ${CAPS.durationS})
  --count N              stop after N calls (max ${CAPS.count}); with --count alone the duration cap applies
  --watchers K           watchers per presentity for fanout (default 10, max ${CAPS.watchers})
  --expires S            Expires asked for (default 3600)
  --workers T            generator threads, users sharded across them (default 1, max ${CAPS.workers});
                         above ~25,000 requests/s use 2 or more
  --sockets N            UDP sockets per thread, calls spread over them (default 1, max ${CAPS.sockets})
  --notify-timeout MS    how long a scenario waits for an expected NOTIFY (default 5000)
  --drain S              max wait for in-flight calls after the last start (default 35, max ${CAPS.drainS})
  --timer-f MS           client transaction timeout, RFC 3261 timer F (default 32000)
  --json                 print the report as one JSON object
  --progress             live progress on stderr even when it is not a TTY
`;

export class UsageError extends Error {}

function num(name: string, raw: string | undefined, min: number, max: number, integer = true): number {
  if (raw === undefined) throw new UsageError(`${name} needs a value`);
  const v = Number(raw);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    throw new UsageError(`${name} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, got ${raw}`);
  }
  return v;
}

export function parseTarget(raw: string): { host: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(raw) ?? /^([0-9.]+|localhost):(\d+)$/.exec(raw);
  if (m === null) throw new UsageError(`--target must be IP:PORT or [IPv6]:PORT, got ${raw}`);
  const port = Number(m[2]);
  if (!(port > 0 && port < 65536)) throw new UsageError(`--target port out of range: ${m[2]}`);
  return { host: m[1] === 'localhost' ? '127.0.0.1' : m[1]!, port };
}

export function parseLoadArgs(argv: readonly string[]): LoadOptions {
  const o: LoadOptions = { ...DEFAULTS };
  let durationGiven = false;
  let countGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = (): string | undefined => (a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : argv[++i]);
    switch (name) {
      case '--target': {
        const t = parseTarget(value() ?? '');
        o.targetHost = t.host;
        o.targetPort = t.port;
        break;
      }
      case '--scenario': {
        const s = value();
        if (!SCENARIOS.includes(s as ScenarioName)) throw new UsageError(`--scenario must be one of ${SCENARIOS.join(', ')}, got ${s}`);
        o.scenario = s as ScenarioName;
        break;
      }
      case '--rate': o.rate = num(name, value(), 0.01, CAPS.rate, false); break;
      case '--duration': o.durationS = num(name, value(), 0.01, CAPS.durationS, false); durationGiven = true; break;
      case '--count': o.count = num(name, value(), 1, CAPS.count); countGiven = true; break;
      case '--watchers': o.watchers = num(name, value(), 1, CAPS.watchers); break;
      case '--expires': o.expires = num(name, value(), 0, CAPS.expires); break;
      case '--workers': o.workers = num(name, value(), 1, CAPS.workers); break;
      case '--sockets': o.sockets = num(name, value(), 1, CAPS.sockets); break;
      case '--notify-timeout': o.notifyTimeoutMs = num(name, value(), 1, 120_000); break;
      case '--drain': o.drainS = num(name, value(), 0, CAPS.drainS, false); break;
      case '--timer-f': o.timerFMs = num(name, value(), 100, 64_000); break;
      case '--json': o.json = true; break;
      case '--progress': o.progress = true; break;
      case '--help': case '-h': o.help = true; break;
      default: throw new UsageError(`unknown option ${a}`);
    }
  }
  if (countGiven && !durationGiven) o.durationS = CAPS.durationS;
  return o;
}
