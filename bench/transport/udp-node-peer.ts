// The measured side of bench/transport/udp-syscalls.bench.ts, one process per measurement,
// driven over IPC by the bench. It measures the CPU time of its own main thread (schedstat,
// nanoseconds) between the bench's 'start' and the end of the work, per datagram.
//   recv <impl> <vlen>                         count what arrives until 'stop'
//   send <impl> <batch> <port> <rate> <count>  paced sends to a sink, then report
//   echo <impl> <vlen> [workUs]                answer every datagram until 'stop', after
//                                              spinning workUs per request (a stand-in for
//                                              the server's own work, so that datagrams queue
//                                              up while the main thread is busy, as they do)
// impl: dgram-raw (a 'message' listener calling sock.send), dgram (DgramBatchSocket: per-turn
// batches, as the transport does today), native (NativeBatchSocket).
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { openUdpBatch, type OutDatagram, type RecvBatch, type UdpBatchSocket } from '../../src/transport/udp-batch.js';
import type { Destination } from '../../src/transport/destination.js';

export interface PeerReport {
  datagrams: number;
  mainCpuNs: number;
  userUs: number;
  systemUs: number;
  wakes: number;
  sendErrors: number;
}

const STAT = `/proc/self/task/${process.pid}/schedstat`;
function mainThreadCpuNs(): number {
  return Number(readFileSync(STAT, 'latin1').split(' ')[0]);
}

const RESPONSE = Buffer.from(
  'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-bench;received=127.0.0.1\r\n' +
    'From: <sip:bench@127.0.0.1>;tag=1\r\nTo: <sip:bench@127.0.0.1>;tag=2\r\nCall-ID: bench-call\r\n' +
    'CSeq: 1 REGISTER\r\nContact: <sip:bench@127.0.0.1:5061>;expires=3600\r\nExpires: 3600\r\n' +
    'Date: Sat, 01 Nov 2026 00:00:00 GMT\r\nServer: ComSIPL bench\r\nContent-Length: 0\r\n\r\n',
);

const [role, impl, a1, a2, a3, a4] = process.argv.slice(2) as [string, string, string, string?, string?, string?];
let datagrams = 0;
let wakes = 0;
let cpu0 = 0;
let usage0 = process.cpuUsage();
let sock: UdpBatchSocket | null = null;
let raw: dgram.Socket | null = null;

function report(): void {
  const cpu = mainThreadCpuNs() - cpu0;
  const usage = process.cpuUsage(usage0);
  const out: PeerReport = { datagrams, mainCpuNs: cpu, userUs: usage.user, systemUs: usage.system, wakes, sendErrors: sock?.sendErrors ?? 0 };
  process.send!({ t: 'report', report: out }, () => process.exit(0));
}

function beginMeasuring(): void {
  cpu0 = mainThreadCpuNs();
  usage0 = process.cpuUsage();
}

async function openMeasured(vlen: number): Promise<void> {
  if (impl === 'dgram-raw') {
    raw = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
    await new Promise<void>((r) => raw!.bind(0, '127.0.0.1', () => r()));
    return;
  }
  process.env['COMSIPL_UDP'] = impl === 'native' ? 'native' : 'dgram';
  sock = await openUdpBatch({ family: 4, host: '127.0.0.1', port: 0, recvBatch: vlen, maxPerWake: 256 });
}

function onReceiveOnly(): void {
  if (raw !== null) {
    raw.on('message', () => {
      datagrams++;
      wakes++;
    });
  } else {
    sock!.start((b: RecvBatch) => {
      datagrams += b.count;
      wakes++;
      for (let i = 0; i < b.count; i++) b.source(i); // what a consumer needs per datagram
    });
  }
}

// Fixed work, not a wall-clock spin: a spin that waits for the clock would count time the
// thread spent preempted (the machine is shared) as work. Calibrated once at start-up, taking
// the fastest of several tries, to `workUs` microseconds of CPU.
let sink = 0;
function work(iterations: number): void {
  let h = sink | 0;
  for (let i = 0; i < iterations; i++) h = Math.imul(h ^ i, 0x9e3779b1) >>> 0;
  sink = h;
}
function calibrate(us: number): number {
  if (us <= 0) return 0;
  const probe = 200_000;
  let fastest = Infinity;
  for (let k = 0; k < 20; k++) {
    const t = performance.now();
    work(probe);
    fastest = Math.min(fastest, performance.now() - t);
  }
  return Math.round((probe * us) / 1000 / fastest);
}

function onEcho(workUs: number): void {
  const iterations = calibrate(workUs);
  const spin = (_us: number): void => work(iterations);
  if (raw !== null) {
    const r = raw;
    r.on('message', (_d, rinfo) => {
      datagrams++;
      wakes++;
      spin(workUs);
      r.send(RESPONSE, rinfo.port, rinfo.address);
    });
  } else {
    const s = sock!;
    s.start((b: RecvBatch) => {
      datagrams += b.count;
      wakes++;
      for (let i = 0; i < b.count; i++) {
        spin(workUs);
        s.send(RESPONSE, b.source(i));
      }
    });
  }
}

/** Paced sending: every timer tick sends what is due, in sendMany calls of `batch`. */
function pacedSend(batch: number, port: number, rate: number, count: number): void {
  const dest: Destination = { address: '127.0.0.1', port, family: 4 };
  const chunk: OutDatagram[] = Array.from({ length: Math.max(1, batch) }, () => ({ buf: RESPONSE, dest }));
  const t0 = process.hrtime.bigint();
  const tick = (): void => {
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    const due = Math.min(count, Math.floor(rate * elapsed)) - datagrams;
    let left = due;
    if (left > 0) wakes++;
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      if (raw !== null) for (let i = 0; i < n; i++) raw.send(RESPONSE, port, '127.0.0.1');
      else if (batch === 0) for (let i = 0; i < n; i++) sock!.send(RESPONSE, dest); // queued, one flush per turn
      else sock!.sendMany(n === chunk.length ? chunk : chunk.slice(0, n));
      left -= n;
    }
    datagrams += Math.max(0, due);
    if (datagrams < count) setTimeout(tick, 1);
    else setImmediate(report); // the queued flush (batch 0) runs before the report
  };
  tick();
}

async function main(): Promise<void> {
  if (role === 'send') {
    await openMeasured(1);
    process.on('message', (m: { t: string }) => {
      if (m.t !== 'start') return;
      beginMeasuring();
      pacedSend(Number(a1), Number(a2), Number(a3), Number(a4));
    });
  } else {
    await openMeasured(Number(a1));
    if (role === 'recv') onReceiveOnly();
    else onEcho(Number(a2 ?? 0));
    process.on('message', (m: { t: string }) => {
      if (m.t === 'start') {
        datagrams = 0;
        wakes = 0;
        beginMeasuring();
      } else if (m.t === 'stop') report();
    });
  }
  const port = raw !== null ? raw.address().port : sock!.port;
  process.send!({ t: 'ready', port });
}

void main();
