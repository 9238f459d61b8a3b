// The whole request path in one process, without sockets or a load generator: datagrams are
// injected into the real Server (transport.inject, as the socket would hand them over), parsed,
// gated, handled, committed to a real LMDB store (fsync on), answered; the answers are counted
// instead of sent. Prints requests/s and main-thread CPU µs per request for REGISTER, PUBLISH
// and SUBSCRIBE — the figure to compare before/after a hot-path change.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { Server } from '../../src/server.js';
import { isMain } from '../support/report.js';

const PIDF = (aor: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${aor}"><tuple id="t1"><status><basic>open</basic></status><contact priority="0.8">${aor}</contact></tuple></presence>`;

function request(kind: string, i: number): Buffer {
  const aor = `sip:u${i}@127.0.0.1`;
  const head = [
    `${kind} ${kind === 'REGISTER' ? 'sip:127.0.0.1' : aor} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK${kind}${i}x;rport`,
    'Max-Forwards: 70',
    `From: <${kind === 'SUBSCRIBE' ? `sip:w${i}@127.0.0.1` : aor}>;tag=f${i}`,
    `To: <${aor}>`,
    `Call-ID: ${kind}-${i}@bench`,
    `CSeq: 1 ${kind}`,
    `Contact: <sip:u${i}@127.0.0.1:5999>`,
    'Expires: 3600',
  ];
  let body = '';
  if (kind === 'PUBLISH') {
    body = PIDF(aor);
    head.push('Event: presence', 'Content-Type: application/pidf+xml');
  }
  if (kind === 'SUBSCRIBE') head.push('Event: presence');
  head.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`);
}

async function measure(server: Server, kind: string, n: number, offset: number): Promise<void> {
  let answered = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((r) => (done = r));
  const transport = server.transports.udp as unknown as { send: (b: Buffer) => void };
  transport.send = (b: Buffer) => {
    // Count final responses to our requests; NOTIFYs (SUBSCRIBE) are requests, not answers.
    if (b[0] === 0x53 && b[1] === 0x49 && ++answered === n) done();
  };
  const msgs = Array.from({ length: n }, (_, i) => request(kind, offset + i));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // 64 datagrams per event-loop turn, as a busy socket delivers them.
  for (let i = 0; i < n; i += 64) {
    for (let j = i; j < Math.min(n, i + 64); j++) server.transports.udp!.inject(msgs[j]!, '127.0.0.1', 5999);
    await new Promise((r) => setImmediate(r));
  }
  await all;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(`${kind.padEnd(10)} ${((n * 1000) / ms).toFixed(0).padStart(8)} req/s   ${(((cpu.user + cpu.system) / n)).toFixed(1).padStart(6)} µs CPU/request (user ${(cpu.user / n).toFixed(1)})`);
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'path-bench-'));
  const cfg = loadConfig(['--host', '127.0.0.1', '--port', '0', '--data', dir, '--log-level', 'silent', ...(process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean)], {});
  const server = await Server.open(cfg, createLogger('silent'));
  await server.start();
  console.log(`# request-path (node ${process.version}; in-process, no sockets; durability ${cfg.durability})`);
  try {
    const n = Number(process.env.N ?? 20000);
    await measure(server, 'REGISTER', 2000, 10_000_000); // warm-up
    for (const kind of ['REGISTER', 'PUBLISH', 'SUBSCRIBE']) await measure(server, kind, n, 0);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await run();
