// The hot path on bytes against today's path, back to back in one process:
//   old = parseSipMessage + gateRequest + buildResponse + responseDestination (core/respond.ts), or for the 200 to a
//         NOTIFY, parseSipMessage + what server.ts #onResponse reads (CSeq method, branch, Retry-After);
//   new = readMessage + writeResponse + responseDestination (scan.ts, response-writer.ts, response-via.ts).
// Inputs are Linphone's captured datagrams, each in 4096 variants with unique branch, tags and
// Call-ID (same length), cycled so that the parsers' 1024-entry memos miss as they do under a
// SIPp load of unique values. Then the transaction tables: old (Map, transactionKey, response
// Buffer kept) against new (ServerTransactionTable) for begin + complete with the response
// rendered, and the memory per Completed entry after N entries (default 1,000,000; N=… to change;
// run with --expose-gc for exact figures):
//   node --expose-gc dist/bench/codec/sip-scan.bench.js
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { printBench, printRate, isMain } from '../support/report.js';
import { parseSipMessage } from '../../src/codec/sip/parse.js';
import { gateRequest } from '../../src/codec/sip/request-gate.js';
import { getHeader, getHeaderValues, parseCSeq } from '../../src/codec/sip/headers.js';
import { parseVia } from '../../src/codec/sip/via.js';
import { buildResponse, responseDestination as oldDestination } from '../../test/support/reference/respond.js';
import { transactionKey } from '../../test/support/reference/tx-key.js';
import { readMessage, scanMessage } from '../../src/codec/sip/scan.js';
import { writeResponse } from '../../src/codec/sip/response-writer.js';
import { responseDestination } from '../../src/codec/sip/response-via.js';
import { httpDate } from '../../src/core/http-date.js';
import { HDR } from '../../src/codec/sip/header-ids.js';
import { ServerTransactions } from '../../test/support/reference/legacy-server-transactions.js';
import { ServerTransactionTable } from '../../src/transaction/server-transactions.js';
import type { SipHeader, SipRequest } from '../../src/codec/sip/types.js';
import { PRODUCT } from '../../src/version.js';

const SRC = { address: '127.0.0.1', port: 25071, family: 4 as const };
const OPTS = { maxSize: 65507, supported: [] as string[] };
const GATE = { supportedExtensions: [] as string[] };
const VARIANTS = 4096;

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

/** `count` copies of a datagram whose branch, tags and Call-ID end in a distinct counter. */
function variants(buf: Buffer, count: number): Buffer[] {
  const text = buf.toString('latin1');
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const n = i.toString(36).padStart(4, '0');
    const v = text
      .replace(/(branch=z9hG4bK[^;\r\n]*?)(.{4})(;|\r)/, (_, a: string, _b: string, c: string) => a + n + c)
      .replace(/(;tag=[^;\r\n]*?)(.{4})(\r|;)/g, (_, a: string, _b: string, c: string) => a + n + c)
      .replace(/(Call-ID: .*?)(.{4})\r/, (_, a: string) => a + n + '\r');
    out.push(Buffer.from(v, 'latin1'));
  }
  return out;
}

/**
 * Medians side by side for each `old X` / `new X` pair: on a shared machine the mean and the
 * ops/s of tinybench follow the stalls of the neighbours, the median much less.
 */
function printPairs(bench: Bench): void {
  const median = new Map<string, number>();
  for (const t of bench.tasks) if (t.result.state === 'completed') median.set(t.name, t.result.latency.p50 * 1000);
  console.log('pair'.padEnd(58), 'old µs'.padStart(9), 'new µs'.padStart(9), 'old/new'.padStart(8), '  (medians)');
  for (const [name, oldUs] of median) {
    if (!name.startsWith('old')) continue;
    const rest = name.slice(3).replace(/^:.*/, '');
    const newName = [...median.keys()].find((k) => k.startsWith('new') && (rest === '' || k.slice(3) === rest));
    if (newName === undefined) continue;
    const newUs = median.get(newName)!;
    console.log((rest === '' ? 'table' : rest.trim()).padEnd(58), oldUs.toFixed(2).padStart(9), newUs.toFixed(2).padStart(9), (oldUs / newUs).toFixed(2).padStart(8));
  }
}

function headerLines(h: readonly SipHeader[]): string {
  let s = '';
  for (const x of h) s += `${x.name}: ${x.value}\r\n`;
  return s;
}

export async function run(): Promise<void> {
  const root = repoRoot();
  const file = (f: string): Buffer => readFileSync(join(root, 'test', 'fixtures', 'clients', 'linphonec', f));
  const now = Date.now();
  const register = variants(file('01-REGISTER.sip'), VARIANTS);
  const publish = variants(file('02-PUBLISH-initial.sip'), VARIANTS);
  const subscribe = variants(file('03-SUBSCRIBE.sip'), VARIANTS);
  const notify200 = variants(file('04-NOTIFY-200-response.sip'), VARIANTS);
  for (const set of [register, publish, subscribe, notify200]) {
    if (scanMessage(set[VARIANTS - 1]!, 65507) === null) throw new Error('bench input does not take the scan path');
  }
  const extra: Record<string, SipHeader[]> = {
    REGISTER: [{ name: 'Contact', value: '<sip:alice@127.0.0.1:25071;transport=udp>;+sip.instance="<urn:uuid:f4c36c2d-cfe2-0059-9491-d89dec801c12>";expires=30' }, { name: 'Date', value: httpDate(now) }],
    PUBLISH: [{ name: 'SIP-ETag', value: 'Zm9vYmFyYmF6' }, { name: 'Expires', value: '20' }],
    SUBSCRIBE: [{ name: 'Contact', value: '<sip:127.0.0.1:5060>' }, { name: 'Expires', value: '600' }],
  };
  const preformatted = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, headerLines(v)]));

  let i = 0;
  const next = (set: Buffer[]): Buffer => set[i++ & (VARIANTS - 1)]!;
  const oldRequest = (set: Buffer[], method: string): void => {
    const r = parseSipMessage(next(set));
    if (!r.ok || r.msg.kind !== 'request') throw new Error('parse');
    if (gateRequest(r.msg, GATE) !== null) throw new Error('gate');
    buildResponse(r.msg, SRC, 200, PRODUCT, { toTag: 'a1b2c3d4e5f', headers: extra[method]! });
    oldDestination(r.msg, SRC);
  };
  const newRequest = (set: Buffer[], method: string): void => {
    const r = readMessage(next(set), OPTS);
    if (r.t !== 'req' || r.gate !== null) throw new Error('read');
    writeResponse(r.msg, SRC, { status: 200, toTag: 'a1b2c3d4e5f', headers: preformatted[method]! });
    responseDestination(r.msg, SRC);
  };
  let sink = 0;
  const bench = new Bench({ name: 'sip-scan: old parse+gate+build vs readMessage+writeResponse (Linphone, unique values)', time: 600, warmupTime: 150 });
  bench
    .add('noop (avoid JIT bias)', () => {})
    .add('old REGISTER', () => oldRequest(register, 'REGISTER'))
    .add('new REGISTER', () => newRequest(register, 'REGISTER'))
    .add('old PUBLISH', () => oldRequest(publish, 'PUBLISH'))
    .add('new PUBLISH', () => newRequest(publish, 'PUBLISH'))
    .add('old SUBSCRIBE', () => oldRequest(subscribe, 'SUBSCRIBE'))
    .add('new SUBSCRIBE', () => newRequest(subscribe, 'SUBSCRIBE'))
    .add('old 200 to NOTIFY', () => {
      const r = parseSipMessage(next(notify200));
      if (!r.ok || r.msg.kind !== 'response') throw new Error('parse');
      if (parseCSeq(getHeader(r.msg, 'CSeq') ?? '')?.method !== 'NOTIFY') throw new Error('cseq');
      const via = parseVia(getHeaderValues(r.msg, 'Via')[0]!);
      sink += (via?.params.get('branch')?.length ?? 0) + (getHeader(r.msg, 'Retry-After') === undefined ? 0 : 1);
    })
    .add('new 200 to NOTIFY', () => {
      const r = readMessage(next(notify200), OPTS);
      if (r.t !== 'res' || r.msg.cseqMethod !== 'NOTIFY') throw new Error('read');
      sink += (r.msg.topVia?.branch.length ?? 0) + (r.msg.first(HDR.RetryAfter) === undefined ? 0 : 1);
    });
  await bench.run();
  printBench(bench, 44);
  printPairs(bench);
  await tables(register, extra.REGISTER!, preformatted.REGISTER!);
  if (sink < 0) console.log(sink);
}

/** begin + complete per request for both tables, then the memory each holds per entry. */
async function tables(register: Buffer[], extra: SipHeader[], preformatted: string): Promise<void> {
  let n = 0;
  // Both keep ~52,000 completed entries: every iteration is a new transaction.
  const oldTable = new ServerTransactions();
  const newTable = new ServerTransactionTable({ timerJ: 52_000 });
  const template = Buffer.from(register[0]!);
  const at = template.indexOf('branch=z9hG4bK') + 'branch=z9hG4bK'.length;
  const bench = new Bench({ name: 'server transactions: begin + render + complete (unique keys, ~52k live)', time: 600, warmupTime: 150 });
  bench
    .add('old: parse + gate + transactionKey + begin + buildResponse + complete', () => {
      const r = parseSipMessage(register[n & (VARIANTS - 1)]!);
      if (!r.ok || r.msg.kind !== 'request' || gateRequest(r.msg, GATE) !== null) throw new Error('parse');
      const key = transactionKey(r.msg) + n++;
      oldTable.begin(key);
      oldTable.complete(key, buildResponse(r.msg, SRC, 200, PRODUCT, { toTag: 'a1b2c3d4e5f', headers: extra }), SRC, n);
      oldTable.sweep(n - 20_000);
    })
    .add('new: readMessage (gates) + begin + complete (renders)', () => {
      template.write((n++).toString(36).padStart(6, '0'), at, 'latin1');
      const msg = (readMessage(template, OPTS) as { msg: Parameters<typeof writeResponse>[0] }).msg;
      const h = newTable.begin(msg, n);
      if (h < 0) throw new Error('not new');
      newTable.complete(h, msg, SRC, { status: 200, toTag: 'a1b2c3d4e5f', headers: preformatted }, n);
    });
  await bench.run();
  printBench(bench, 56);
  printPairs(bench);
  await memory(register, extra, preformatted);
}

function used(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function memory(register: Buffer[], extra: SipHeader[], preformatted: string): Promise<void> {
  const reqs: SipRequest[] = register.map((b) => {
    const r = parseSipMessage(b);
    if (!r.ok || r.msg.kind !== 'request') throw new Error('parse');
    return r.msg;
  });
  const count = Number(process.env.N ?? 1_000_000);
  const gc = (globalThis as { gc?: unknown }).gc !== undefined;
  console.log(`# completed-transaction memory, ${count} entries (heapUsed + external${gc ? '' : '; no --expose-gc: approximate'})`);
  let t0 = performance.now();
  let before = used();
  let oldTable: ServerTransactions | null = new ServerTransactions(1e12);
  for (let k = 0; k < count; k++) {
    const req = reqs[k & (VARIANTS - 1)]!;
    const key = transactionKey(req) + k;
    oldTable.begin(key);
    oldTable.complete(key, buildResponse(req, SRC, 200, PRODUCT, { toTag: 'a1b2c3d4e5f', headers: extra }), SRC, 0);
  }
  const oldBytes = used() - before;
  printRate('old table fill (Map + Buffer per entry)', count, performance.now() - t0);
  console.log(`old: ${(oldBytes / count).toFixed(0)} bytes per completed entry (${(oldBytes / 1048576).toFixed(0)} MiB), size ${oldTable.size}`);
  oldTable = null;
  used();

  // Each request differs in its branch (the key): one scan per entry, the msg dropped at once.
  const template = Buffer.from(register[0]!);
  const at = template.indexOf('branch=z9hG4bK') + 'branch=z9hG4bK'.length;
  t0 = performance.now();
  before = used();
  let newTable: ServerTransactionTable | null = new ServerTransactionTable({ timerJ: 1e12, maxEntries: count, arenaBytes: 1 << 30 });
  for (let k = 0; k < count; k++) {
    template.write(k.toString(36).padStart(6, '0'), at, 'latin1');
    const msg = (readMessage(template, OPTS) as { msg: Parameters<typeof writeResponse>[0] }).msg;
    const h = newTable.begin(msg, 0);
    newTable.complete(h, msg, SRC, { status: 200, toTag: 'a1b2c3d4e5f', headers: preformatted }, 0);
  }
  const newBytes = used() - before;
  printRate('new table fill (typed arrays + arena)', count, performance.now() - t0);
  console.log(`new: ${(newBytes / count).toFixed(0)} bytes per completed entry (${(newBytes / 1048576).toFixed(0)} MiB), size ${newTable.size}, table.bytes ${(newTable.bytes / count).toFixed(0)} per entry`);
  newTable = null;
}

if (isMain(import.meta.url)) await run();
