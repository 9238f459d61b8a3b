// The hot path's reader: one pass over a datagram into a SipMsg (msg.ts), no per-header
// objects, with the full parser (parse.ts + request-gate.ts) as the fallback for anything the
// scanner does not take. The scanner takes only "clean" messages:
//   - CRLF line ends, no folding (RFC 3261 §7.3.1), start line exactly `SIP/2.0`;
//   - header names that are tokens, followed by optional WSP and ':';
//   - one via-parm per Via line (no comma at all in a Via line);
//   - Content-Length all digits, never more than the datagram holds, repeated only with the
//     same value; absent → the body runs to the end of the datagram, smaller → the extra octets
//     are discarded (RFC 3261 §18.3, UDP: what parse.ts does);
//   - no compact form of a header the table below does not know by id (`s` for Subject …),
//     so that every name a handler may ask for by its long spelling is found.
// Everything else (and every message the parser must refuse) goes to `readFallback`, whose
// outcome is the parser's and the gate's own, re-encoded in canonical form (canonical.ts).
import { isKeepAlive, parseSipMessage } from './parse.js';
import { gateRequest, type GateResult } from './request-gate.js';
import { tokenOctets } from './chars.js';
import { canonicalMsg, partialMsg } from './canonical.js';
import { gateScanned } from './scan-gate.js';
import { HDR, HDR_NAME } from './header-ids.js';
import { internMethod } from './msg-bytes.js';
import { SipMsg, type StartInfo } from './msg.js';

export type Read =
  | { t: 'req'; msg: SipMsg; gate: GateResult | null }
  | { t: 'res'; msg: SipMsg }
  | { t: 'bad'; status: number; reason: string; drop: boolean; partial: SipMsg | null }
  | { t: 'keepalive' };

export interface ReadOptions {
  /** Largest accepted datagram (larger → 513 from the fallback, RFC 3261 §18.1.1). */
  maxSize: number;
  /** Option tags this server supports (Require of anything else → 420, §8.2.2.3). */
  supported: readonly string[];
}

const KEEPALIVE: Read = Object.freeze({ t: 'keepalive' });

/**
 * Reads one datagram. Never throws. `gate` is what gateRequest decides for the same bytes
 * (null = pass; status 0 = send nothing). Responses are not gated (the client-transaction
 * layer matches them by branch and CSeq method).
 */
export function readMessage(buf: Buffer, opts: ReadOptions): Read {
  if (isKeepAlive(buf)) return KEEPALIVE;
  const msg = scanMessage(buf, opts.maxSize);
  if (msg === null) return readFallback(buf, opts);
  if (!msg.isRequest) return { t: 'res', msg };
  return { t: 'req', msg, gate: gateScanned(msg, opts.supported) };
}

/** The full parser and gate, then the canonical re-encoding: for anything the scanner refuses. */
export function readFallback(buf: Buffer, opts: ReadOptions): Read {
  const r = parseSipMessage(buf, { maxSize: opts.maxSize });
  if (!r.ok) return { t: 'bad', status: r.status, reason: r.reason, drop: r.drop, partial: partialMsg(r.partial) };
  if (r.msg.kind === 'response') return { t: 'res', msg: canonicalMsg(r.msg) };
  const gate = gateRequest(r.msg, { supportedExtensions: opts.supported });
  return { t: 'req', msg: canonicalMsg(r.msg), gate };
}

// ---- header names -----------------------------------------------------------------------------

/** Id for a name that sends the message to the fallback (a compact form we do not expand). */
const FALLBACK = -1;
const SIZE = 256;
const MASK = SIZE - 1;
let nameKeys: (Uint8Array | null)[] | null = null;
let nameIds: Int8Array | null = null;

// RFC 3261 §7.3.3, RFC 6665 §8.2.1 (o, u), RFC 3515 (r), RFC 4028 (x), RFC 3892 (b),
// RFC 3841 (a, j, d), RFC 8224 (y), RFC 4474 (n), as header-names.ts lists them.
const COMPACT: ReadonlyArray<readonly [string, number]> = [
  ['i', HDR.CallId], ['m', HDR.Contact], ['f', HDR.From], ['t', HDR.To], ['v', HDR.Via],
  ['l', HDR.ContentLength], ['c', HDR.ContentType], ['k', HDR.Supported], ['e', HDR.ContentEncoding],
  ['o', HDR.Event], ['u', HDR.AllowEvents],
  ['s', FALLBACK], ['r', FALLBACK], ['x', FALLBACK], ['y', FALLBACK], ['b', FALLBACK], ['a', FALLBACK],
  ['j', FALLBACK], ['d', FALLBACK], ['n', FALLBACK],
];

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function buildNames(): void {
  const keys = new Array<Uint8Array | null>(SIZE).fill(null);
  const ids = new Int8Array(SIZE);
  const add = (name: string, id: number): void => {
    const key = Buffer.from(name.toLowerCase(), 'latin1');
    let h = FNV_OFFSET;
    for (const c of key) h = Math.imul(h ^ c, FNV_PRIME);
    let slot = (h >>> 0) & MASK;
    while (keys[slot] !== null) slot = (slot + 1) & MASK;
    keys[slot] = key;
    ids[slot] = id;
  };
  HDR_NAME.forEach((name, id) => {
    if (name !== '') add(name, id);
  });
  for (const [name, id] of COMPACT) add(name, id);
  nameKeys = keys;
  nameIds = ids;
}

/** HDR id of the name at buf[s, e) whose case-folded FNV-1a hash is h; HDR.OTHER or FALLBACK. */
function nameId(b: Buffer, s: number, e: number, h: number): number {
  if (nameKeys === null) buildNames();
  const keys = nameKeys!;
  const len = e - s;
  let slot = (h >>> 0) & MASK;
  for (;;) {
    const key = keys[slot];
    if (key === null || key === undefined) return HDR.OTHER;
    if (key.length === len) {
      let i = 0;
      for (; i < len; i++) {
        let c = b[s + i]!;
        if (c >= 0x41 && c <= 0x5a) c |= 0x20;
        if (c !== key[i]) break;
      }
      if (i === len) return nameIds![slot]!;
    }
    slot = (slot + 1) & MASK;
  }
}

// ---- line table storage ---------------------------------------------------------------------

// Line tables are views into a shared slab, as Buffer.allocUnsafe slices its pool: one typed
// array header per message instead of one ArrayBuffer. A SipMsg kept alive keeps its slab
// (64 KiB) alive: handlers must not hold SipMsgs past the transaction.
const SLAB_INTS = 16384;
let slab = new Int32Array(SLAB_INTS);
let slabUsed = 0;

/** Room for `ints` more ints after `base` in the current slab; moves to a new slab if needed. */
function reserve(base: number, used: number, ints: number): number {
  if (base + used + ints <= slab.length) return base;
  const next = new Int32Array(Math.max(SLAB_INTS, 2 * (used + ints)));
  next.set(slab.subarray(base, base + used));
  slab = next;
  slabUsed = 0;
  return 0;
}

// ---- the scanner ----------------------------------------------------------------------------

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const MAX_CONTENT_LENGTH = 0x7fffffff;

/** "SIP/2.0" at b[p] (upper case: other spellings go to the fallback). */
function isSip20(b: Buffer, p: number): boolean {
  return b[p] === 0x53 && b[p + 1] === 0x49 && b[p + 2] === 0x50 && b[p + 3] === 0x2f && b[p + 4] === 0x32 && b[p + 5] === 0x2e && b[p + 6] === 0x30;
}

function isSipSlash(b: Buffer, p: number): boolean {
  return (b[p]! | 0x20) === 0x73 && (b[p + 1]! | 0x20) === 0x69 && (b[p + 2]! | 0x20) === 0x70 && b[p + 3] === 0x2f;
}

// Reused for every message: the SipMsg constructor copies the fields.
/** Set by startLine: the Request-URI is printable ASCII (a response has none: true). */
let uriPlain = true;
const REQUEST: Required<StartInfo> = { isRequest: true, method: '', uri: '', status: 0, uriStart: -1 };
const RESPONSE: Required<StartInfo> = { isRequest: false, method: '', uri: '', status: 0, uriStart: -1 };

/** Reads the start line at buf[p, end) into REQUEST/RESPONSE; null → fallback. */
function startLine(b: Buffer, p: number, end: number): StartInfo | null {
  if (end - p >= 4 && isSipSlash(b, p)) {
    // Status-Line: SIP/2.0 SP 3DIGIT [SP Reason-Phrase]
    if (end - p < 11 || !isSip20(b, p) || b[p + 7] !== SP) return null;
    const d0 = b[p + 8]! - 0x30;
    const d1 = b[p + 9]! - 0x30;
    const d2 = b[p + 10]! - 0x30;
    if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return null;
    if (p + 11 < end && b[p + 11] !== SP) return null;
    RESPONSE.status = d0 * 100 + d1 * 10 + d2;
    uriPlain = true;
    return RESPONSE;
  }
  let i = p;
  const tok = tokenOctets();
  while (i < end && tok[b[i]!] === 1) i++;
  if (i === p || i >= end || b[i] !== SP) return null;
  const methodEnd = i;
  const u = ++i;
  let high = false;
  while (i < end) {
    const c = b[i]!;
    if (c === SP) break;
    if (c < 0x21 || c === 0x7f || c === 0x3c || c === 0x3e || c === 0x22) return null;
    if (c > 0x7e) high = true;
    i++;
  }
  uriPlain = !high;
  if (i === u || end - i !== 8 || !isSip20(b, i + 1)) return null;
  REQUEST.method = internMethod(b, p, methodEnd);
  REQUEST.uri = b.toString('latin1', u, i);
  REQUEST.uriStart = u;
  return REQUEST;
}

/**
 * Scans a datagram the fast way; null when it is not a clean message (see the file comment)
 * and must go through the fallback. Never throws.
 */
export function scanMessage(b: Buffer, maxSize: number): SipMsg | null {
  const len = b.length;
  if (len > maxSize) return null;
  let p = 0;
  while (p < len && (b[p] === CR || b[p] === LF)) p++;
  const lf = b.indexOf(LF, p);
  if (lf <= p || b[lf - 1] !== CR) return null;
  const start = startLine(b, p, lf - 1);
  if (start === null) return null;
  const tok = tokenOctets(); // the name loop runs for every header line
  let base = slabUsed;
  let n = 0; // ints written
  let contentLength = -1;
  let bodyStart = -1;
  let odd = 0; // octets in header values that are not printable ASCII or HT
  p = lf + 1;
  while (p < len) {
    const first = b[p]!;
    if (first === CR) {
      if (b[p + 1] !== LF) return null;
      bodyStart = p + 2;
      break;
    }
    if (first === LF || first === SP || first === HT) return null; // bare LF, folding
    let i = p;
    let h = FNV_OFFSET;
    while (i < len) {
      let c = b[i]!;
      if (tok[c] === 0) break;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      h = Math.imul(h ^ c, FNV_PRIME);
      i++;
    }
    const nameEnd = i;
    while (i < len && (b[i] === SP || b[i] === HT)) i++;
    if (nameEnd === p || i >= len || b[i] !== 0x3a) return null;
    const id = nameId(b, p, nameEnd, h);
    if (id === FALLBACK) return null;
    i++;
    while (i < len && (b[i] === SP || b[i] === HT)) i++;
    // The line end, by hand: for lines this short a loop beats Buffer#indexOf's call. On
    // the way, count the octets that are not printable ASCII or HT (the CR before LF is one).
    let lf = i;
    for (; lf < len; lf++) {
      const c = b[lf]!;
      if (c === LF) break;
      if (c > 0x7e || (c < 0x20 && c !== HT)) odd++;
    }
    if (lf >= len || b[lf - 1] !== CR) return null; // no end, or a bare LF
    odd--;
    let ve = lf - 1;
    while (ve > i && (b[ve - 1] === SP || b[ve - 1] === HT)) ve--;
    if (id === HDR.Via) {
      for (let k = i; k < ve; k++) if (b[k] === 0x2c) return null;
    } else if (id === HDR.ContentLength) {
      if (i === ve) return null;
      let v = 0;
      for (let k = i; k < ve; k++) {
        const d = b[k]! - 0x30;
        if (d < 0 || d > 9) return null;
        v = v * 10 + d;
        if (v > MAX_CONTENT_LENGTH) return null;
      }
      if (contentLength >= 0 && contentLength !== v) return null;
      contentLength = v;
    }
    base = reserve(base, n, 4);
    slab[base + n] = id;
    slab[base + n + 1] = p;
    slab[base + n + 2] = i;
    slab[base + n + 3] = ve;
    n += 4;
    p = lf + 1;
  }
  if (bodyStart < 0) return null;
  const available = len - bodyStart;
  if (contentLength > available) return null;
  const lines = slab.subarray(base, base + n);
  slabUsed = base + n;
  const bodyEnd = contentLength < 0 ? len : bodyStart + contentLength;
  return new SipMsg(b, lines, n >> 2, start, bodyStart, bodyEnd, false, odd === 0 && uriPlain);
}
