// SIPp runner: npm run load:sipp -- <scenario> --rate R --calls N [--ramp] [--server-args "..."]
//   [--target host:port] [--watchers K] [--members M] [--presentities P] [--json] [--fake]
//   [--transport udp|tcp]
// --transport tcp runs SIPp with `-t tn` (one TCP connection per call; the server's TCP listener
// shares the UDP port).
// Starts a fresh server (unless --target), runs SIPp bounded, prints ONE result line.
// --ramp raises the rate step by step (bounded steps and time) and reports the highest rate
// with < 0.1 % failed calls and < 0.1 % retransmissions. fanout runs watcher and publisher
// SIPp instances together. Scenario files: bench/sipp/*.xml (read from the source tree).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeUdpPort, startServer, type StartedServer } from './server.js';
import { percentile, runSipp, type SippResult } from './sipp.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
const SCENARIO_DIR = join(REPO, 'bench', 'sipp');
const SCENARIOS = ['register', 'publish', 'subscribe', 'mixed', 'fanout', 'dialog', 'blf', 'rls', 'rls-fanout'] as const;
/** Scenarios with two SIPp instances: watchers held while a second one changes the state. */
const TWO_SIDED = new Set<string>(['fanout', 'blf', 'rls-fanout']);
type Scenario = (typeof SCENARIOS)[number];

export interface RunnerOptions {
  scenario: Scenario;
  rate: number;
  calls: number;
  ramp: boolean;
  rampSteps: number;
  rampFactor: number;
  stepSeconds: number;
  serverArgs: string[];
  target: string | null;
  watchers: number;
  /** rls-fanout: members per list, and the presentities they are drawn from. */
  members: number;
  presentities: number;
  json: boolean;
  fake: boolean;
  label: string;
  transport: 'udp' | 'tcp';
  /** Names of this run's users (unique per run, so a --target server is never confused). */
  runId: string;
}

export interface RunLine {
  label: string;
  scenario: string;
  offeredRate: number;
  calls: number;
  ok: number;
  failed: number;
  okPerSecond: number;
  retransmissions: number;
  /** NOTIFYs received by SIPp (all instances). */
  notifies: number;
  /** fanout only: NOTIFYs after the initial one per watcher, per second of the publisher run. */
  notifyPerSecond?: number;
  p50: number;
  p90: number;
  p99: number;
  wallSeconds: number;
  note?: string;
}

function parse(argv: string[]): RunnerOptions {
  const o: RunnerOptions = {
    scenario: 'register', rate: 100, calls: 1000, ramp: false, rampSteps: 8, rampFactor: 1.5, stepSeconds: 5,
    serverArgs: [], target: null, watchers: 10, members: 100, presentities: 0, json: false, fake: false, label: 'comsipl', transport: 'udp', runId: Date.now().toString(36),
  };
  const rest = [...argv];
  const first = rest[0];
  if (first !== undefined && !first.startsWith('--')) {
    if (!SCENARIOS.includes(first as Scenario)) throw new Error(`scenario must be one of ${SCENARIOS.join(', ')}`);
    o.scenario = first as Scenario;
    rest.shift();
  }
  const bounded = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be between ${min} and ${max}`);
    return n;
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    switch (a) {
      case '--rate': o.rate = bounded(a, rest[++i], 0.1, 200_000); break;
      case '--calls': o.calls = Math.floor(bounded(a, rest[++i], 1, 10_000_000)); break;
      case '--ramp': o.ramp = true; break;
      case '--ramp-steps': o.rampSteps = Math.floor(bounded(a, rest[++i], 1, 20)); break;
      case '--ramp-factor': o.rampFactor = bounded(a, rest[++i], 1.05, 4); break;
      case '--step-seconds': o.stepSeconds = bounded(a, rest[++i], 1, 120); break;
      case '--server-args': o.serverArgs = (rest[++i] ?? '').split(/\s+/).filter((s) => s !== ''); break;
      case '--target': o.target = rest[++i] ?? null; break;
      case '--watchers': o.watchers = Math.floor(bounded(a, rest[++i], 1, 1000)); break;
      case '--members': o.members = Math.floor(bounded(a, rest[++i], 1, 5000)); break;
      case '--presentities': o.presentities = Math.floor(bounded(a, rest[++i], 1, 1_000_000)); break;
      case '--label': o.label = rest[++i] ?? o.label; break;
      case '--json': o.json = true; break;
      case '--fake': o.fake = true; break;
      case '--transport': {
        const t = rest[++i];
        if (t !== 'udp' && t !== 'tcp') throw new Error('--transport must be udp or tcp');
        o.transport = t;
        break;
      }
      default: throw new Error(`unknown option ${a}`);
    }
  }
  return o;
}

/** Three distinct free ports for one SIPp instance (SIP, media, control). */
async function sippPorts(): Promise<[number, number, number]> {
  return [await freeUdpPort(), await freeUdpPort(), await freeUdpPort()];
}

async function once(o: RunnerOptions, target: string, rate: number, calls: number): Promise<RunLine> {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-sipp-'));
  // -max_socket: SIPp refuses to start when its default (50000) is above the open-files limit.
  const extra = o.transport === 'tcp' ? ['-t', 'tn', '-max_socket', '4096'] : [];
  try {
    let r: SippResult;
    let expected = calls;
    let notifyPerSecond: number | undefined;
    if (TWO_SIDED.has(o.scenario)) {
      const t = await twoSided(o, target, rate, calls, dir);
      r = t.r;
      expected = t.expected;
      notifyPerSecond = t.notifyPerSecond;
    } else {
      const [port, mediaPort, controlPort] = await sippPorts();
      r = await runSipp({
        scenarioFile: join(SCENARIO_DIR, `${o.scenario}.xml`), target, rate, calls, dir, port, mediaPort, controlPort,
        timeoutS: Math.ceil(calls / rate + 60), extra,
      });
    }
    const failed = Math.max(r.failed, expected - r.ok);
    const line: RunLine = {
      label: o.label, scenario: o.transport === 'udp' ? o.scenario : `${o.scenario}/${o.transport}`, offeredRate: rate, calls: expected, ok: r.ok, failed,
      okPerSecond: Math.round((r.ok / r.wallSeconds) * 10) / 10, retransmissions: r.retransmissions,
      notifies: r.notifies, ...(notifyPerSecond === undefined ? {} : { notifyPerSecond }),
      p50: percentile(r.rtts, 50), p90: percentile(r.rtts, 90), p99: percentile(r.rtts, 99),
      wallSeconds: Math.round(r.wallSeconds * 100) / 100,
    };
    if (failed > 0 && r.stderrTail !== '') line.note = r.stderrTail.slice(0, 300);
    return line;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** rls-fanout: the presentity names members are drawn from, and the lists file of the run. */
export function listShape(o: Pick<RunnerOptions, 'calls' | 'members' | 'presentities'>, run: string): { presentities: string[]; lists: Record<string, { entries: string[] }> } {
  const p = Math.max(o.presentities > 0 ? o.presentities : Math.max(o.members, o.calls), o.members);
  const presentities = Array.from({ length: p }, (_, i) => `m${run}x${i}`);
  const lists: Record<string, { entries: string[] }> = {};
  // List i holds `members` consecutive presentities from i·members (mod P): every presentity is
  // in about calls·members/P lists, so each change fans out to that many list NOTIFYs.
  for (let i = 0; i < o.calls; i++) {
    lists[`sip:l${run}x${i}@127.0.0.1`] = { entries: Array.from({ length: o.members }, (_, k) => `sip:${presentities[(i * o.members + k) % p]}@127.0.0.1`) };
  }
  return { presentities, lists };
}

/** Lists the server is started with (rls: the smoke list of rls.xml; rls-fanout: the run's lists). */
function listsFor(o: RunnerOptions, run: string): Record<string, { entries: string[] }> | null {
  if (o.scenario === 'rls') return { 'sip:rlslist@127.0.0.1': { entries: ['sip:rls-a@127.0.0.1', 'sip:rls-b@127.0.0.1'] } };
  if (o.scenario === 'rls-fanout') return listShape(o, run).lists;
  return null;
}

/**
 * Watchers (fanout: K per presentity; blf: K phones per extension; rls-fanout: one list
 * subscription per list) start first; once they are all subscribed the state changers start
 * (fanout-publisher.xml, or blf-call.xml: one call per extension). Counts are summed.
 */
async function twoSided(o: RunnerOptions, target: string, rate: number, calls: number, dir: string): Promise<{ r: SippResult; expected: number; notifyPerSecond: number }> {
  const run = o.runId;
  const extra = o.transport === 'tcp' ? ['-t', 'tn', '-max_socket', '4096'] : [];
  const wDir = join(dir, 'w');
  const pDir = join(dir, 'p');
  for (const d of [wDir, pDir]) mkdirSync(d);
  let watcherRows: string[];
  let changers: string[];
  if (o.scenario === 'rls-fanout') {
    const shape = listShape(o, run);
    watcherRows = Object.keys(shape.lists).map((uri, i) => `${uri.slice(4, uri.indexOf('@'))};lw${run}x${i};`);
    changers = shape.presentities;
  } else {
    const prefix = o.scenario === 'blf' ? 'e' : 'f';
    changers = Array.from({ length: calls }, (_, i) => `${prefix}${run}x${i}`);
    watcherRows = changers.flatMap((p) => Array.from({ length: o.watchers }, (_, k) => `${p};${p}w${k};`));
  }
  writeFileSync(join(dir, 'changers.csv'), `SEQUENTIAL\n${changers.map((p) => `${p};\n`).join('')}`);
  writeFileSync(join(dir, 'watchers.csv'), `SEQUENTIAL\n${watcherRows.join('\n')}\n`);
  const nWatchers = watcherRows.length;
  const subscribeSeconds = nWatchers / rate;
  const [wp, wm, wc] = await sippPorts();
  const [pp, pm, pc] = await sippPorts();
  const watcherXml = o.scenario === 'blf' ? 'blf-watcher.xml' : o.scenario === 'rls-fanout' ? 'rls-watcher.xml' : 'fanout-watcher.xml';
  const changerXml = o.scenario === 'blf' ? 'blf-call.xml' : 'fanout-publisher.xml';
  const watchers = runSipp({
    scenarioFile: join(SCENARIO_DIR, watcherXml), target, rate, calls: nWatchers, dir: wDir,
    port: wp, mediaPort: wm, controlPort: wc, timeoutS: Math.ceil(subscribeSeconds + 120), inf: join(dir, 'watchers.csv'), extra,
  });
  // The state changers start once the watchers are (nearly) all subscribed.
  await new Promise((res) => setTimeout(res, Math.min(60_000, subscribeSeconds * 1000 + 2000)));
  const changeRate = o.scenario === 'rls-fanout' ? Math.max(1, Math.min(rate, changers.length / 2)) : Math.max(1, rate / o.watchers);
  const publishers = runSipp({
    scenarioFile: join(SCENARIO_DIR, changerXml), target, rate: changeRate, calls: changers.length, dir: pDir,
    port: pp, mediaPort: pm, controlPort: pc, timeoutS: Math.ceil(changers.length / changeRate + 60), inf: join(dir, 'changers.csv'), extra,
  });
  const [w, p] = await Promise.all([watchers, publishers]);
  const r: SippResult = {
    ...w, ok: w.ok + p.ok, failed: w.failed + p.failed, retransmissions: w.retransmissions + p.retransmissions,
    notifies: w.notifies + p.notifies,
    rtts: [...w.rtts, ...p.rtts].sort((a, b) => a - b), stderrTail: `${w.stderrTail} ${p.stderrTail}`.trim(),
  };
  // Every watcher gets (at least) one NOTIFY when it subscribes, before the changers start; the
  // rest arrive while they run.
  return { r, expected: nWatchers + changers.length, notifyPerSecond: Math.round(Math.max(0, w.notifies - nWatchers) / p.wallSeconds) };
}

function format(l: RunLine): string {
  return `${l.label} ${l.scenario}: offered ${l.offeredRate}/s, ${l.okPerSecond} ok calls/s (wall ${l.wallSeconds} s), ` +
    `ok ${l.ok}/${l.calls}, failed ${l.failed}, retrans ${l.retransmissions}, notifies ${l.notifies}` +
    `${l.notifyPerSecond === undefined ? '' : ` (${l.notifyPerSecond}/s while publishing)`}, ` +
    `rtt p50 ${l.p50} ms p90 ${l.p90} ms p99 ${l.p99} ms${l.note === undefined ? '' : ` [${l.note}]`}`;
}

const passes = (l: RunLine): boolean => l.failed <= l.calls * 0.001 && l.retransmissions <= l.calls * 0.001;

export async function runSippCli(argv: string[]): Promise<number> {
  let o: RunnerOptions;
  try {
    o = parse(argv);
  } catch (err) {
    process.stderr.write(`load:sipp: ${(err as Error).message}\n`);
    return 2;
  }
  let server: StartedServer | null = null;
  let listsDir: string | null = null;
  try {
    let target = o.target;
    if (target === null) {
      const lists = listsFor(o, o.runId);
      // SIPp -t tn opens one connection per call from one address: lift the per-address bound.
      let extra = o.transport === 'tcp' && !o.fake ? ['--max-connections', '200000', '--max-connections-per-ip', '200000', ...o.serverArgs] : o.serverArgs;
      if (lists !== null && !o.fake) {
        listsDir = mkdtempSync(join(tmpdir(), 'comsipl-lists-'));
        writeFileSync(join(listsDir, 'lists.json'), JSON.stringify({ lists }));
        extra = ['--lists', join(listsDir, 'lists.json'), ...extra];
      }
      server = await startServer({
        entry: join(REPO, 'dist', o.fake ? 'bench/load/fake-server.js' : 'src/main.js'), extraArgs: extra, fake: o.fake, cwd: REPO,
      });
      target = `127.0.0.1:${server.port}`;
    }
    if (!o.ramp) {
      const l = await once(o, target, o.rate, o.calls);
      process.stdout.write(`${o.json ? JSON.stringify(l) : format(l)}\n`);
      return l.failed === 0 ? 0 : 1;
    }
    let best: RunLine | null = null;
    const steps: RunLine[] = [];
    for (let i = 0, rate = o.rate; i < o.rampSteps; i++, rate = Math.round(rate * o.rampFactor)) {
      const l = await once(o, target, rate, TWO_SIDED.has(o.scenario) ? o.calls : Math.max(10, Math.round(rate * o.stepSeconds)));
      steps.push(l);
      if (!o.json) process.stderr.write(`  step ${i + 1}: ${format(l)}\n`);
      if (!passes(l)) break;
      best = l;
    }
    const summary = { label: o.label, scenario: o.scenario, maxRate: best?.offeredRate ?? 0, best, steps };
    process.stdout.write(o.json ? `${JSON.stringify(summary)}\n`
      : `${o.label} ${o.scenario}: highest clean rate ${summary.maxRate}/s${best === null ? '' : ` (${format(best)})`}\n`);
    return best === null ? 1 : 0;
  } catch (err) {
    process.stderr.write(`load:sipp: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await server?.stop();
    if (listsDir !== null) rmSync(listsDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await runSippCli(process.argv.slice(2));
}
