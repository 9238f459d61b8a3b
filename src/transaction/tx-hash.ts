// The server transaction key of a request (RFC 3261 §17.2.3) as a 64-bit hash, computed from
// the SipMsg without building the key string: two independent 32-bit hashes (FNV-1a and a
// multiply-xorshift, each finished with the murmur3 avalanche) over the same fields as
// core/tx-key.ts: branch + sent-by + method when the branch has the z9hG4bK cookie, else the
// RFC 2543 fallback over Request-URI, From tag, Call-ID, CSeq and the top Via.
// ACK hashes as INVITE: it belongs to the INVITE's transaction (§17.2.3). In the RFC 2543
// form that takes the CSeq number without its method; the To tag, which §17.2.3 also names
// for ACK, is left out (an ACK is never answered, so matching it is bookkeeping only).
import { HDR } from '../codec/sip/header-ids.js';
import type { SipMsg } from '../codec/sip/msg.js';

/** The hash of the request last given to transactionHash. */
export const KEY = { h1: 0, h2: 0 };

let h1 = 0;
let h2 = 0;

function feed(c: number): void {
  h1 = Math.imul(h1 ^ c, 0x01000193);
  h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  h2 ^= h2 >>> 15;
}

function feedString(s: string): void {
  for (let i = 0; i < s.length; i++) feed(s.charCodeAt(i));
  feed(0x0a);
}

function feedBytes(b: Buffer, s: number, e: number): void {
  for (let i = s; i < e; i++) feed(b[i]!);
  feed(0x0a);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Fills KEY with the transaction key hash of `msg` (a request). */
export function transactionHash(msg: SipMsg): void {
  h1 = 0x811c9dc5;
  h2 = 0x9747b28c;
  const method = msg.method === 'ACK' ? 'INVITE' : msg.method;
  const via = msg.topVia;
  const branch = via?.branch ?? '';
  if (via !== null && branch.length > 7 && branch.startsWith('z9hG4bK')) {
    feedString(branch);
    feedString(via.host);
    feed(via.port === null ? 0x10000 : via.port);
    feedString(method);
  } else {
    feed(0x2543);
    feedString(msg.uri);
    feedString(msg.fromTag ?? '');
    feedString(msg.callId);
    feed(msg.cseq & 0xffff);
    feed(msg.cseq >>> 16);
    feedString(method);
    const i = msg.index(HDR.Via);
    if (i >= 0) feedBytes(msg.buf, msg.lines[i * 4 + 2]!, msg.lines[i * 4 + 3]!);
  }
  KEY.h1 = fmix(h1);
  KEY.h2 = fmix(h2);
}
