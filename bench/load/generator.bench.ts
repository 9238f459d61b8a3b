// Generator ceiling: how many calls/s `comsipl load` offers and completes cleanly per scenario
// on loopback against a trivial responder (never the server: this measures the generator).
// The C responder (bench/load/responder.c, compiled to a temp dir with `cc`) answers REGISTER,
// PUBLISH and SUBSCRIBE and sends the NOTIFYs; without a C compiler the Node responder only
// answers REGISTER and the other scenarios are skipped.
//
// Each scenario ramps through fixed offered rates, 3 s per step, until a step is not clean:
// ≥ 0.1 % failed calls, ≥ 0.1 % retransmitted requests, or fewer than 97 % of the offered
// calls started (the generator fell behind its own schedule).
// cpu µs/call is this process's CPU time (all threads) over the step divided by the calls started.
// The raw-dgram rows are the floor: a bare Node UDP loop with no SIP logic (raw-dgram.ts; its
// "retrans" column is the answers it never got). A low floor means a busy machine.
// GENERATOR_BEFORE=<dist dir of another build> runs that build's generator at every step too,
// right before this one, for a back-to-back before/after comparison in one run;
// GENERATOR_SCENARIOS=register,publish limits the plans run.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { LoadReport } from '../../src/load/stats.js';
import { runRaw } from './raw-dgram.js';

const HERE = resolve(fileURLToPath(import.meta.url), '..');
const REPO = resolve(HERE, '../../..');
const STEP_SECONDS = 3;

interface Generator {
  name: string;
  run: (argv: string[]) => Promise<LoadReport>;
}

interface Plan {
  /** A generator scenario, or 'raw-dgram': the bare Node UDP floor (raw-dgram.ts). */
  scenario: string;
  extra: string[];
  rates: number[];
  needsPresence: boolean;
}

const PLANS: Plan[] = [
  { scenario: 'raw-dgram', extra: ['--workers', '1'], rates: [20_000, 35_000, 50_000, 65_000, 80_000], needsPresence: false },
  { scenario: 'raw-dgram', extra: ['--workers', '2'], rates: [35_000, 50_000, 65_000, 80_000, 100_000], needsPresence: false },
  { scenario: 'register', extra: ['--workers', '1'], rates: [10_000, 20_000, 30_000, 40_000], needsPresence: false },
  { scenario: 'register', extra: ['--workers', '2'], rates: [20_000, 35_000, 50_000, 65_000, 80_000], needsPresence: false },
  { scenario: 'publish', extra: ['--workers', '2'], rates: [5_000, 10_000, 15_000, 20_000, 30_000], needsPresence: true },
  { scenario: 'subscribe', extra: ['--workers', '2'], rates: [2_000, 4_000, 6_000, 8_000, 12_000], needsPresence: true },
  { scenario: 'fanout', extra: ['--workers', '2', '--watchers', '100'], rates: [25, 50, 75, 100, 150], needsPresence: true },
];

async function loadGenerator(name: string, dist: string): Promise<Generator> {
  const cli = (await import(pathToFileURL(join(dist, 'src', 'load', 'cli.js')).href)) as { runLoad: (o: unknown) => Promise<{ report: LoadReport }> };
  const opts = (await import(pathToFileURL(join(dist, 'src', 'load', 'options.js')).href)) as { parseLoadArgs: (a: string[]) => unknown };
  return { name, run: async (argv) => (await cli.runLoad(opts.parseLoadArgs(argv))).report };
}

function startResponder(dir: string): { child: ChildProcess; presence: boolean; kind: string } {
  try {
    const bin = join(dir, 'responder');
    execFileSync('cc', ['-O2', '-o', bin, join(REPO, 'bench', 'load', 'responder.c')], { stdio: 'ignore' });
    return { child: spawn(bin, ['0', '1800'], { stdio: ['ignore', 'pipe', 'ignore'] }), presence: true, kind: 'C (recvmmsg/sendmmsg)' };
  } catch {
    return { child: spawn(process.execPath, [join(HERE, 'responder.js')], { stdio: ['ignore', 'pipe', 'ignore'] }), presence: false, kind: 'node (REGISTER only)' };
  }
}

/** Calls started per second while offering (a build before the `offer` field: over the nominal step). */
function startedPerSecond(r: LoadReport): number {
  return (r as Partial<LoadReport>).offer?.startedPerSecond ?? Math.round(r.calls.started / STEP_SECONDS);
}

function clean(r: LoadReport, rate: number): boolean {
  return r.calls.failed <= r.calls.started * 0.001 && r.retransmissions <= r.requests * 0.001 && startedPerSecond(r) >= rate * 0.97;
}

function row(g: Generator, plan: Plan, rate: number, r: LoadReport, cpuUs: number): string {
  const secs = Math.max(r.wallSeconds, 1e-3);
  const all = r.latencyMs.ALL;
  const cols = [
    plan.scenario.padEnd(9), plan.extra.join(' ').padEnd(26), g.name.padEnd(6), String(rate).padStart(7), String(startedPerSecond(r)).padStart(9),
    String(r.callsPerSecond).padStart(9), String(Math.round(r.requests / secs)).padStart(8), String(Math.round(r.notifies.received / secs)).padStart(8),
    String(r.calls.failed).padStart(7), String(r.retransmissions).padStart(8), String(all?.p50 ?? '-').padStart(8), String(all?.p99 ?? '-').padStart(9),
    String((r as Partial<LoadReport>).offer?.maxStartLagMs ?? '-').padStart(8), String(Math.round(cpuUs / Math.max(1, r.calls.started))).padStart(7),
    clean(r, rate) ? 'clean' : '-',
  ];
  return `${cols.join(' ')}\n`;
}

/** The bare dgram loop at each rate until it loses answers or falls behind. */
async function rawFloor(plan: Plan, port: number): Promise<void> {
  const threads = Number(plan.extra[1]);
  for (const rate of plan.rates) {
    const cpu0 = process.cpuUsage();
    const r = await runRaw(port, rate, STEP_SECONDS, threads);
    const cpu = process.cpuUsage(cpu0);
    const ok = r.received >= r.sent * 0.999 && r.sent >= rate * STEP_SECONDS * 0.97;
    const cols = [
      plan.scenario.padEnd(9), plan.extra.join(' ').padEnd(26), 'floor'.padEnd(6), String(rate).padStart(7),
      String(Math.round(r.sent / STEP_SECONDS)).padStart(9), String(Math.round(r.received / STEP_SECONDS)).padStart(9),
      String(Math.round(r.sent / STEP_SECONDS)).padStart(8), '0'.padStart(8), '-'.padStart(7), String(r.sent - r.received).padStart(8),
      '-'.padStart(8), '-'.padStart(9), '-'.padStart(8), String(Math.round((cpu.user + cpu.system) / Math.max(1, r.sent))).padStart(7),
      ok ? 'clean' : '-',
    ];
    process.stdout.write(`${cols.join(' ')}\n`);
    if (!ok) return;
  }
}

export async function run(): Promise<void> {
  const generators = [await loadGenerator('after', resolve(HERE, '../..'))];
  const before = process.env.GENERATOR_BEFORE;
  if (before !== undefined && before !== '') generators.unshift(await loadGenerator('before', resolve(before)));
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-genbench-'));
  const { child, presence, kind } = startResponder(dir);
  try {
    const port = await new Promise<number>((res, rej) => {
      child.stdout!.once('data', (d: Buffer) => res((JSON.parse(d.toString().split('\n')[0]!) as { port: number }).port));
      child.once('exit', () => rej(new Error('responder exited')));
    });
    process.stdout.write(`# load generator vs ${kind} responder on 127.0.0.1:${port}, ${STEP_SECONDS} s per step\n`);
    process.stdout.write('scenario  flags                      gen     offer  started/s  ok/s     req/s   NOTIFY/s failed  retrans  p50 ms    p99 ms  lag ms  cpu µs/call\n');
    const only = (process.env.GENERATOR_SCENARIOS ?? '').split(',').filter((x) => x !== '');
    for (const plan of PLANS) {
      if ((plan.needsPresence && !presence) || (only.length > 0 && !only.includes(plan.scenario))) continue;
      if (plan.scenario === 'raw-dgram') {
        await rawFloor(plan, port);
        continue;
      }
      const live = new Set(generators);
      for (const rate of plan.rates) {
        for (const g of generators) {
          if (!live.has(g)) continue;
          const cpu0 = process.cpuUsage();
          const r = await g.run([
            '--target', `127.0.0.1:${port}`, '--scenario', plan.scenario, '--rate', String(rate), '--duration', String(STEP_SECONDS),
            '--drain', '5', '--timer-f', '4000', '--notify-timeout', '4000', ...plan.extra,
          ]);
          const cpu = process.cpuUsage(cpu0);
          process.stdout.write(row(g, plan, rate, r, cpu.user + cpu.system));
          if (!clean(r, rate)) live.delete(g);
        }
        if (live.size === 0) break;
      }
    }
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
