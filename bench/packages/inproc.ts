// An in-process harness for the event-package benchmarks: the real Server (parse, actors, LMDB
// store, notifier, client transactions) with datagrams injected as the socket would hand them
// over, and every NOTIFY it sends answered 200 at once (as a quick client would), counted
// instead of sent. No sockets and no load generator: the figures are the server's own work.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { Server } from '../../src/server.js';

export interface Harness {
  server: Server;
  /** Datagrams injected per event-loop turn. */
  inject(msgs: Buffer[]): Promise<void>;
  /** Called for every NOTIFY the server sends (after it is answered). */
  onNotify: ((head: string, body: Buffer) => void) | null;
  /** Final responses to our requests, by status. */
  readonly responses: Map<number, number>;
  close(): Promise<void>;
}

const HEAD_END = Buffer.from('\r\n\r\n');

function answer(head: string): Buffer {
  const keep: string[] = [];
  for (const line of head.split('\r\n')) if (/^(Via|From|To|Call-ID|CSeq):/i.test(line)) keep.push(line);
  return Buffer.from(`SIP/2.0 200 OK\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`);
}

export async function startHarness(args: string[], lists?: unknown): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'pkg-bench-'));
  if (lists !== undefined) writeFileSync(join(dir, 'lists.json'), JSON.stringify(lists));
  const cfg = loadConfig(['--host', '127.0.0.1', '--port', '0', '--data', dir, '--log-level', 'silent', '--stats-interval', '0', ...args], {});
  const server = await Server.open(cfg, createLogger('silent'));
  await server.start();
  const h: Harness = {
    server,
    onNotify: null,
    responses: new Map(),
    async inject(msgs) {
      for (let i = 0; i < msgs.length; i += 64) {
        for (let j = i; j < Math.min(msgs.length, i + 64); j++) server.transports.udp!.inject(msgs[j]!, '127.0.0.1', 5999);
        await new Promise((r) => setImmediate(r));
      }
    },
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const transport = server.transports.udp! as unknown as { send: (b: Buffer) => void };
  transport.send = (b: Buffer) => {
    if (b[0] === 0x53 && b[1] === 0x49) {
      const status = Number(b.toString('latin1', 8, 11));
      h.responses.set(status, (h.responses.get(status) ?? 0) + 1);
      return;
    }
    const end = b.indexOf(HEAD_END);
    const head = b.toString('latin1', 0, end);
    // Answered in a later turn, as a network round trip would be.
    setImmediate(() => server.transports.udp!.inject(answer(head), '127.0.0.1', 5999));
    h.onNotify?.(head, b.subarray(end + 4));
  };
  return h;
}

export function count(buf: Buffer, needle: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + needle.length)) n++;
  return n;
}

export function request(lines: string[], body = ''): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** Resolves when `done()` holds, checked every 20 ms, or after `ms` (then resolves false). */
export async function until(done: () => boolean, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (!done()) {
    if (Date.now() - t0 > ms) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
