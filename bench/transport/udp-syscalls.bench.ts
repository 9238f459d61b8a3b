// What UDP receive and send cost the main thread, per datagram: node:dgram against the
// recvmmsg/sendmmsg addon (src/transport/udp-batch*.ts) at several batch sizes, and end to end
// with an echo responder. The measured side is a Node process of its own
// (udp-node-peer.ts: main-thread CPU from /proc schedstat); the other side is a small C
// program (udp-peer.c, compiled on the fly) so that it takes little of the shared CPU.
// Loopback only; every run is bounded in datagrams and time.
//   npm run bench -- transport/udp            or   node dist/bench/transport/udp-syscalls.bench.js
//   UDP_BENCH_SECONDS=3 UDP_BENCH_ROUNDS=2 UDP_BENCH_ONLY=recv,send,echo
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNativeUdp } from '../../src/transport/udp-batch-native.js';
import type { PeerReport } from './udp-node-peer.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..', '..');
const PEER_JS = join(HERE, 'udp-node-peer.js');
const SIZE = 500; // bytes per request datagram (a REGISTER is 400-600)
const SECONDS = Number(process.env['UDP_BENCH_SECONDS'] ?? 3);
const ROUNDS = Number(process.env['UDP_BENCH_ROUNDS'] ?? 1);
const ONLY = (process.env['UDP_BENCH_ONLY'] ?? 'recv,send,echo').split(',');
const WORK_US = Number(process.env['UDP_BENCH_WORK_US'] ?? 20); // stand-in for the server's own per-request work

interface Row {
  syscallsPerDatagram: number | null;
  switchesPerDatagram: number | null;
  what: string;
  impl: string;
  rate: string;
  datagrams: number;
  usPerDatagram: number;
  perWake: number;
  userShare: number;
  lost: number;
}

function startNodePeer(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(PEER_JS, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error('peer did not start')), 10_000);
    child.once('exit', (code) => rej(new Error(`peer exited ${code}`)));
    child.once('message', (m: { t: string; port: number }) => {
      clearTimeout(timer);
      res({ child, port: m.port });
    });
  });
}

function waitReport(child: ChildProcess, timeoutMs: number): Promise<PeerReport> {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error('peer report timed out'));
    }, timeoutMs);
    child.on('message', (m: { t: string; report?: PeerReport }) => {
      if (m.t !== 'report') return;
      clearTimeout(timer);
      res(m.report!);
    });
  });
}

function runC(bin: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((res, rej) => {
    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) res(out);
      else rej(new Error(`${bin} ${args.join(' ')} exited ${code}`));
    });
  });
}

// Syscalls and context switches of the measured main thread, from perf's tracepoint counters
// (they work where hardware counters do not, e.g. in this VM); null where perf is missing.
interface Counted {
  stop(): Promise<{ syscalls: number; switches: number } | null>;
}
function countSyscalls(tid: number): Counted {
  let p: ChildProcess;
  try {
    p = spawn('perf', ['stat', '-x', ',', '-e', 'raw_syscalls:sys_enter,context-switches', '-t', String(tid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch {
    return { stop: () => Promise.resolve(null) };
  }
  let err = '';
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => {
    p.once('exit', () => r());
    p.once('error', () => r());
  });
  return {
    async stop() {
      p.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      const pick = (ev: string): number => Number(err.split('\n').find((l) => l.includes(ev))?.split(',')[0]);
      const syscalls = pick('raw_syscalls:sys_enter');
      const switches = pick('context-switches');
      return Number.isFinite(syscalls) && Number.isFinite(switches) ? { syscalls, switches } : null;
    },
  };
}

function row(what: string, impl: string, rate: string, r: PeerReport, lost: number, counted: { syscalls: number; switches: number } | null = null): Row {
  const total = r.userUs + r.systemUs;
  const per = (n: number | undefined): number | null => (n === undefined ? null : n / Math.max(1, r.datagrams));
  return {
    syscallsPerDatagram: per(counted?.syscalls),
    switchesPerDatagram: per(counted?.switches),
    what, impl, rate, datagrams: r.datagrams,
    usPerDatagram: r.mainCpuNs / 1000 / Math.max(1, r.datagrams),
    perWake: r.datagrams / Math.max(1, r.wakes),
    userShare: total > 0 ? r.userUs / total : 0,
    lost,
  };
}

/** The C side sends `count` at `rate` in bursts; the Node side receives (and answers, for echo). */
async function receiving(bin: string, role: 'recv' | 'echo', impl: string, vlen: number, rate: number, burst: number, workUs = 0): Promise<Row> {
  const count = rate > 0 ? rate * SECONDS : 400_000;
  const { child, port } = await startNodePeer([role, impl, String(vlen), String(workUs)]);
  const perf = countSyscalls(child.pid!);
  await new Promise((r) => setTimeout(r, 200)); // perf attaches
  child.send({ t: 'start' });
  const out = JSON.parse(await runC(bin, ['send', String(port), String(rate), String(count), String(burst), String(SIZE)], 60_000)) as { sent: number; replies: number };
  const report = waitReport(child, 10_000);
  child.send({ t: 'stop' });
  const r = await report;
  const counted = await perf.stop();
  const lost = role === 'echo' ? out.sent - out.replies : out.sent - r.datagrams;
  return row(role, impl === 'native' ? `native vlen ${vlen}` : impl, rate > 0 ? `${rate / 1000}k/s, burst ${burst}` : 'flood', r, lost, counted);
}

/** The Node side sends `count` at `rate` (timer ticks, sendMany of `batch`) to a C sink. */
async function sending(bin: string, impl: string, batch: number, rate: number): Promise<Row> {
  const count = rate * SECONDS;
  const sink = spawn(bin, ['sink', String(SECONDS * 4 + 10)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let sinkOut = '';
  sink.stdout.on('data', (d: Buffer) => (sinkOut += d.toString()));
  const sinkExit = new Promise<void>((r) => sink.once('exit', () => r()));
  const sinkPort = await new Promise<number>((res, rej) => {
    const t = setInterval(() => {
      const m = /"port":(\d+)/.exec(sinkOut);
      if (m) {
        clearInterval(t);
        res(Number(m[1]));
      }
    }, 10);
    sink.once('exit', () => rej(new Error('sink exited')));
  });
  const { child } = await startNodePeer(['send', impl, String(batch), String(sinkPort), String(rate), String(count)]);
  const report = waitReport(child, SECONDS * 1000 * 4 + 10_000);
  const perf = countSyscalls(child.pid!);
  await new Promise((r) => setTimeout(r, 200)); // perf attaches
  child.send({ t: 'start' });
  const r = await report;
  const counted = await perf.stop();
  await new Promise((res) => setTimeout(res, 300)); // let the sink drain
  sink.kill('SIGTERM');
  await sinkExit;
  const received = Number(/"received":(\d+)/.exec(sinkOut)?.[1] ?? 0);
  const label = impl === 'native' ? (batch === 0 ? 'native send() queued, 1 flush/turn' : `native sendMany ${batch}`) : impl;
  return row('send', label, `${rate / 1000}k/s`, r, r.datagrams - received, counted);
}

function print(title: string, rows: Row[]): void {
  const f = (n: number | null): string => (n === null ? '–' : n.toFixed(2));
  process.stdout.write(`\n${title}\n| impl | offered | datagrams | main-thread µs/datagram | syscalls/datagram | ctx switches/datagram | datagrams/JS call | user share | lost |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n`);
  for (const r of rows) {
    process.stdout.write(`| ${r.impl} | ${r.rate} | ${r.datagrams} | ${r.usPerDatagram.toFixed(2)} | ${f(r.syscallsPerDatagram)} | ${f(r.switchesPerDatagram)} | ${r.perWake.toFixed(1)} | ${(r.userShare * 100).toFixed(0)} % | ${r.lost} |\n`);
  }
}

/** Several rounds, interleaved so that a noisy neighbour hits every variant; keeps each variant's lowest. */
async function best(rounds: number, variants: (() => Promise<Row>)[]): Promise<Row[]> {
  const bestRows: (Row | null)[] = variants.map(() => null);
  for (let k = 0; k < rounds; k++) {
    for (let i = 0; i < variants.length; i++) {
      const r = await variants[i]!();
      if (bestRows[i] === null || r.usPerDatagram < bestRows[i]!.usPerDatagram) bestRows[i] = r;
    }
  }
  return bestRows as Row[];
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'udp-bench-'));
  try {
    const bin = join(dir, 'udp-peer');
    try {
      execFileSync('cc', ['-O2', '-o', bin, join(REPO, 'bench', 'transport', 'udp-peer.c')], { stdio: 'ignore' });
    } catch {
      process.stdout.write('udp-syscalls: skipped (no C compiler for the load peer)\n');
      return;
    }
    const native = loadNativeUdp();
    if (!native.ok) process.stdout.write(`udp-syscalls: native rows skipped (${native.reason})\n`);
    const vlens = native.ok ? [1, 8, 32, 64] : [];
    process.stdout.write(`# main-thread CPU per datagram, ${SIZE}-byte datagrams, ${SECONDS} s per row, best of ${ROUNDS}; loopback; the C peer shares the 2 cores\n`);

    if (ONLY.includes('recv')) {
      for (const [rate, burst] of [[20_000, 1], [20_000, 20], [0, 64]] as const) {
        const variants = [() => receiving(bin, 'recv', 'dgram-raw', 1, rate, burst), () => receiving(bin, 'recv', 'dgram', 1, rate, burst)];
        for (const v of vlens) variants.push(() => receiving(bin, 'recv', 'native', v, rate, burst));
        print(`receive (${rate > 0 ? `${rate}/s, C sender bursts of ${burst}` : 'flood'})`, await best(ROUNDS, variants));
      }
    }
    if (ONLY.includes('send')) {
      const rate = 20_000;
      const variants = [() => sending(bin, 'dgram-raw', 64, rate)];
      if (native.ok) for (const b of [1, 8, 32, 64, 0]) variants.push(() => sending(bin, 'native', b, rate));
      print(`send (${rate}/s from 1 ms timer ticks, ≈ ${rate / 1000} datagrams per tick)`, await best(ROUNDS, variants));
    }
    if (ONLY.includes('echo')) {
      for (const [rate, burst, work] of [[20_000, 1, 0], [20_000, 20, 0], [20_000, 1, WORK_US], [30_000, 1, WORK_US]] as const) {
        const variants = [() => receiving(bin, 'echo', 'dgram-raw', 1, rate, burst, work), () => receiving(bin, 'echo', 'dgram', 1, rate, burst, work)];
        for (const v of vlens) variants.push(() => receiving(bin, 'echo', 'native', v, rate, burst, work));
        const busy = work > 0 ? ` + ${work} µs of fixed work per request (a busy server)` : ' (idle responder)';
        print(`echo: receive + answer each, ${rate}/s, C sender bursts of ${burst}${busy}; µs per request`, await best(ROUNDS, variants));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = 1;
  });
}
