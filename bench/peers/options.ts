// Command-line options of the peer kit (bench/peers/compare.ts), their defaults (the full
// measurement of issue 7) and the --quick preset (a short end-to-end check of the kit itself).
import type { KamVariant } from './kamailio.js';
import { KAM_VARIANTS } from './kamailio.js';

export const MEASUREMENTS = ['check', 'register', 'publish', 'subscribe', 'fanout', 'memory', 'latency', 'restart', 'blf', 'rls'] as const;
export type MeasurementName = (typeof MEASUREMENTS)[number];

export interface KitOptions {
  servers: ('comsipl' | 'kamailio')[];
  only: MeasurementName[];
  stepSeconds: number;
  rampFactor: number;
  rampSteps: number;
  bisections: number;
  resolution: number;
  graceSeconds: number;
  /** Pause between a fresh server's first answer and a rate step's load (both servers alike). */
  settleSeconds: number;
  start: Record<'register' | 'publish' | 'subscribe', number>;
  /** Known maxima for the latency runs when the ramps are not part of this run. */
  knownMax: Partial<Record<'register' | 'subscribe', Record<string, number>>>;
  fanout: { presentities: number; watchers: number; offered: number; seconds: number; subscribeRate: number };
  memoryShapes: [number, number][];
  memoryRate: number;
  memorySettle: number;
  latencySeconds: number;
  latencyRegister: number;
  latencySubscribe: number;
  restartShape: [number, number];
  restartComsiplShape: [number, number] | null;
  restartRate: number;
  restartSample: number;
  kam: { children: number; shmMb: number; pkgMb: number; variant: KamVariant };
  /** Fixed-rate steps of dialog.xml (blf) and rls.xml (rls): rates and seconds per step. */
  blfRates: number[];
  rlsRates: number[];
  packageSeconds: number;
  comsiplArgs: string[];
  comsiplLogLevel: string;
  raw: string | null;
  keep: boolean;
}

export function defaults(): KitOptions {
  return {
    servers: ['comsipl', 'kamailio'],
    // blf and rls need their own Kamailio variant (--kam-variant dialog|rls): asked for by name.
    only: MEASUREMENTS.filter((m) => m !== 'check' && m !== 'blf' && m !== 'rls'),
    stepSeconds: 8, rampFactor: 1.5, rampSteps: 12, bisections: 4, resolution: 0.03, graceSeconds: 20, settleSeconds: 1,
    start: { register: 4000, publish: 1000, subscribe: 1000 },
    knownMax: {},
    fanout: { presentities: 100, watchers: 100, offered: 30_000, seconds: 10, subscribeRate: 2000 },
    memoryShapes: [[1000, 100], [100_000, 1]], memoryRate: 2000, memorySettle: 35,
    latencySeconds: 10, latencyRegister: 5000, latencySubscribe: 1500,
    restartShape: [10_000, 10], restartComsiplShape: [100_000, 10], restartRate: 2000, restartSample: 200,
    kam: { children: 2, shmMb: 4096, pkgMb: 64, variant: 'presence' },
    blfRates: [100, 300], rlsRates: [20, 50], packageSeconds: 5,
    comsiplArgs: [], comsiplLogLevel: 'info', raw: null, keep: false,
  };
}

/** A few steps of everything, small counts: checks the kit end to end in a few minutes. */
function quick(o: KitOptions): void {
  Object.assign(o, {
    stepSeconds: 3, rampSteps: 2, bisections: 1, graceSeconds: 10,
    start: { register: 1000, publish: 300, subscribe: 300 },
    fanout: { presentities: 10, watchers: 10, offered: 1000, seconds: 3, subscribeRate: 500 },
    memoryShapes: [[20, 100], [2000, 1]], memoryRate: 1000, memorySettle: 0,
    latencySeconds: 3, latencyRegister: 1000, latencySubscribe: 300,
    restartShape: [200, 10], restartComsiplShape: [1000, 10], restartRate: 1000, restartSample: 50,
  });
}

const shape = (s: string): [number, number] => {
  const m = /^(\d+)x(\d+)$/.exec(s);
  if (m === null) throw new Error(`shape must be PRESENTITIESxWATCHERS, got ${s}`);
  return [Number(m[1]), Number(m[2])];
};

function pairs(s: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of s.split(',').filter((x) => x !== '')) {
    const [k, v] = part.split('=');
    if (k === undefined || v === undefined || !Number.isFinite(Number(v))) throw new Error(`expected name=number, got ${part}`);
    out[k] = Number(v);
  }
  return out;
}

export const USAGE = `usage: node dist/bench/peers/compare.js [options]
  --servers comsipl,kamailio       which servers (default both)
  --only LIST                      of ${MEASUREMENTS.join(',')} (default all but check)
  --quick                          short preset to check the kit (small counts, 2-3 steps)
  --step-seconds 8 --ramp-factor 1.5 --ramp-steps 12 --bisections 4 --resolution 0.03 --grace 20
  --settle 1                       seconds between a fresh server's first answer and a step's load
  --start register=4000,publish=1000,subscribe=1000      ramp start rates (calls/s)
  --max comsipl.register=N,kamailio.subscribe=M           maxima for latency when no ramp runs
  --fanout 100x100 --fanout-offered 30000 --fanout-seconds 10 --fanout-subscribe-rate 2000
  --memory 1000x100,100000x1 --memory-rate 2000 --memory-settle 35
  --latency-seconds 10 --latency-register 5000 --latency-subscribe 1500
  --restart 10000x10 --restart-comsipl 100000x10|none --restart-rate 2000 --restart-sample 200
  --kam-children 2 --kam-shm 4096 --kam-pkg 64 --kam-variant ${KAM_VARIANTS.join('|')}
  --blf-rates 100,300 --rls-rates 20,50 --package-seconds 5   (blf: --kam-variant dialog; rls: --kam-variant rls)
  --comsipl-args "--workers 2"  --comsipl-log-level info
  --raw FILE (default bench/peers/raw-<date>.jsonl)  --keep (keep the work dir)`;

export function parseOptions(argv: string[]): KitOptions {
  const o = defaults();
  if (argv.includes('--quick')) quick(o);
  const num = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be between ${min} and ${max}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    switch (a) {
      case '--quick': break;
      case '--servers': o.servers = v().split(',').map((s) => {
        if (s !== 'comsipl' && s !== 'kamailio') throw new Error(`unknown server ${s}`);
        return s;
      }); break;
      case '--only': o.only = v().split(',').map((s) => {
        if (!(MEASUREMENTS as readonly string[]).includes(s)) throw new Error(`unknown measurement ${s}`);
        return s as MeasurementName;
      }); break;
      case '--step-seconds': o.stepSeconds = num(a, v(), 1, 120); break;
      case '--ramp-factor': o.rampFactor = num(a, v(), 1.05, 4); break;
      case '--ramp-steps': o.rampSteps = num(a, v(), 1, 30); break;
      case '--bisections': o.bisections = num(a, v(), 0, 10); break;
      case '--resolution': o.resolution = num(a, v(), 0.001, 1); break;
      case '--grace': o.graceSeconds = num(a, v(), 1, 120); break;
      case '--settle': o.settleSeconds = num(a, v(), 0, 60); break;
      case '--start': Object.assign(o.start, pairs(v())); break;
      case '--max': for (const [k, n] of Object.entries(pairs(v()))) {
        const [server, scenario] = k.split('.') as [string, 'register' | 'subscribe'];
        o.knownMax[scenario] = { ...(o.knownMax[scenario] ?? {}), [server]: n };
      } break;
      case '--fanout': [o.fanout.presentities, o.fanout.watchers] = shape(v()); break;
      case '--fanout-offered': o.fanout.offered = num(a, v(), 1, 1_000_000); break;
      case '--fanout-seconds': o.fanout.seconds = num(a, v(), 1, 300); break;
      case '--fanout-subscribe-rate': o.fanout.subscribeRate = num(a, v(), 1, 100_000); break;
      case '--memory': o.memoryShapes = v().split(',').map(shape); break;
      case '--memory-rate': o.memoryRate = num(a, v(), 1, 100_000); break;
      case '--memory-settle': o.memorySettle = num(a, v(), 0, 600); break;
      case '--latency-seconds': o.latencySeconds = num(a, v(), 1, 600); break;
      case '--latency-register': o.latencyRegister = num(a, v(), 0, 200_000); break;
      case '--latency-subscribe': o.latencySubscribe = num(a, v(), 0, 200_000); break;
      case '--restart': o.restartShape = shape(v()); break;
      case '--restart-comsipl': { const s = v(); o.restartComsiplShape = s === 'none' ? null : shape(s); break; }
      case '--restart-rate': o.restartRate = num(a, v(), 1, 100_000); break;
      case '--restart-sample': o.restartSample = num(a, v(), 1, 100_000); break;
      case '--kam-children': o.kam.children = num(a, v(), 1, 64); break;
      case '--kam-shm': o.kam.shmMb = num(a, v(), 64, 65_536); break;
      case '--kam-pkg': o.kam.pkgMb = num(a, v(), 8, 4096); break;
      case '--kam-variant': {
        const s = v();
        if (!(KAM_VARIANTS as readonly string[]).includes(s)) throw new Error(`unknown variant ${s}`);
        o.kam.variant = s as KamVariant;
        break;
      }
      case '--blf-rates': o.blfRates = v().split(',').map((x) => num(a, x, 1, 100_000)); break;
      case '--rls-rates': o.rlsRates = v().split(',').map((x) => num(a, x, 1, 100_000)); break;
      case '--package-seconds': o.packageSeconds = num(a, v(), 1, 120); break;
      case '--comsipl-args': o.comsiplArgs = v().split(/\s+/).filter((s) => s !== ''); break;
      case '--comsipl-log-level': o.comsiplLogLevel = v(); break;
      case '--raw': o.raw = v(); break;
      case '--keep': o.keep = true; break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  for (const [p, w] of [...o.memoryShapes, o.restartShape, ...(o.restartComsiplShape === null ? [] : [o.restartComsiplShape])]) {
    if (p * w < 1 || p * w > 2_000_000) throw new Error('subscriptions per shape must be 1..2,000,000');
  }
  // fanout-watcher.xml ends a watcher after 30 s without a NOTIFY: all must be subscribed well before.
  if ((o.fanout.presentities * o.fanout.watchers) / o.fanout.subscribeRate > 20) {
    throw new Error('fan-out: subscriptions / --fanout-subscribe-rate must stay under 20 s (the watchers wait 30 s for a NOTIFY)');
  }
  return o;
}
