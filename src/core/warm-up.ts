// V8 runs a function in its interpreter until it has run often enough to be compiled with
// optimisations. A fresh process is therefore slow for its first few thousand requests: measured
// on the 2-core bench box, the first 2,000 REGISTERs cost ~10× the warm cost each, which turned
// the first half-second of traffic into a 200–300 ms backlog (p99 188 ms at 6,600 REGISTER/s).
// So once listening, the server feeds synthetic messages through the pure, stateless part of its
// request path — scanner, gate, URI and name-addr parsers, the transaction table and response
// writer, PIDF reader and composer, NOTIFY renderer — in slices of a few milliseconds, so real
// traffic is served between them. Nothing reaches the socket, the actors, the store or the logs.
import { readDatagram } from '../workers/tasks.js';
import type { ReadOptions } from '../codec/sip/scan.js';
import { HDR } from '../codec/sip/msg.js';
import { parseNameAddr } from '../codec/sip/name-addr.js';
import { aorOf, parseUri } from '../codec/sip/uri.js';
import { renderNotify } from '../codec/sip/notify.js';
import { composePidf } from '../codec/pidf/compose.js';
import { ServerTransactionTable } from '../transaction/server-transactions.js';

const SLICE_MS = 4;
const SOURCE = { address: '127.0.0.1', port: 5060, transport: 'udp' } as const;
const HOST = 'warm-up.invalid';

/** Values vary per round, as they do between real requests (memo misses, new strings). */
function messages(n: number): Buffer[] {
  const u = `w${n}`;
  const via = `Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-${u};rport\r\nMax-Forwards: 70\r\n`;
  const ends = `From: <sip:${u}@${HOST}>;tag=${u}F\r\nTo: <sip:${u}@${HOST}>\r\nCall-ID: ${u}@127.0.0.1\r\n`;
  const pidf = `<?xml version="1.0" encoding="UTF-8"?>\r\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:${u}@${HOST}">` +
    `<tuple id="t${n}"><status><basic>open</basic></status><note>warm</note></tuple></presence>`;
  return [
    `REGISTER sip:${HOST} SIP/2.0\r\n${via}${ends}CSeq: 1 REGISTER\r\nContact: <sip:${u}@127.0.0.1:5060>\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n`,
    `SUBSCRIBE sip:${u}@${HOST} SIP/2.0\r\n${via}${ends}CSeq: 1 SUBSCRIBE\r\nContact: <sip:${u}@127.0.0.1:5060>\r\nEvent: presence\r\n` +
      `Accept: application/pidf+xml\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n`,
    `PUBLISH sip:${u}@${HOST} SIP/2.0\r\n${via}${ends}CSeq: 1 PUBLISH\r\nEvent: presence\r\nExpires: 3600\r\n` +
      `Content-Type: application/pidf+xml\r\nContent-Length: ${Buffer.byteLength(pidf)}\r\n\r\n${pidf}`,
    `SIP/2.0 200 OK\r\n${via.slice(0, via.indexOf('\r\n') + 2)}From: <sip:${u}@${HOST}>;tag=${u}F\r\nTo: <sip:${u}@${HOST}>;tag=${u}T\r\n` +
      `Call-ID: ${u}@127.0.0.1\r\nCSeq: 2 NOTIFY\r\nContent-Length: 0\r\n\r\n`,
    `OPTIONS sip:${HOST} SIP/2.0\r\n${via}${ends}CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  ].map((s) => Buffer.from(s, 'latin1'));
}

/** One round: every message read, answered through a scratch transaction table, a NOTIFY rendered. */
export function warmUpRound(n: number, table: ServerTransactionTable, opts: ReadOptions): number {
  let bytes = 0;
  const now = Date.now();
  for (const buf of messages(n)) {
    const { read, pidf } = readDatagram(buf, opts);
    if (read.t !== 'req' || read.gate !== null) continue;
    const msg = read.msg;
    const to = parseNameAddr(msg.first(HDR.To) ?? '');
    const uri = to === null ? null : parseUri(to.uri);
    const aor = uri === null ? '' : aorOf(uri);
    for (const c of msg.values(HDR.Contact)) parseNameAddr(c);
    const tx = table.begin(msg, now);
    if (tx < 0) continue;
    bytes += table.complete(tx, msg, SOURCE, { status: 200, headers: `Expires: 3600\r\n` }, now).length;
    if (pidf !== null && pidf.ok) {
      const body = Buffer.from(composePidf(aor, [{ etag: `e${n}`, modified: now, doc: pidf.doc }]), 'utf8');
      bytes += renderNotify(
        { target: `sip:${aor}`, routes: [], localUri: `<sip:${aor}>`, tag: `t${n}`, remoteUri: `<sip:${aor}>`, remoteTag: `r${n}`, callId: msg.callId, event: 'presence', eventId: null },
        { local: '127.0.0.1:5060', transport: 'UDP', branch: `z9hG4bK${n}`, cseq: 2, state: 'active;expires=3600', userAgent: 'ComSIPL', contentType: 'application/pidf+xml', body },
      ).length;
    }
  }
  return bytes;
}

export interface WarmUp {
  /** Resolves with the rounds run once finished or stopped. */
  readonly done: Promise<number>;
  stop(): void;
}

/** Runs `rounds` rounds in slices of a few ms on the event loop (setImmediate between slices). */
export function warmUpInSlices(opts: ReadOptions, rounds: number): WarmUp {
  // Small arena and entry cap: the scratch table is dropped at the end and never swept.
  const table = new ServerTransactionTable({ maxEntries: 4096, arenaBytes: 1 << 20 });
  let n = 0;
  let stopped = false;
  let finish: (n: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => { finish = resolve; });
  const slice = (): void => {
    if (stopped) return finish(n);
    const until = performance.now() + SLICE_MS;
    while (n < rounds && performance.now() < until) warmUpRound(n++, table, opts);
    if (n >= rounds) return finish(n);
    setImmediate(slice);
  };
  setImmediate(slice);
  return { done, stop: () => { stopped = true; } };
}
