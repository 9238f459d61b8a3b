// Full SIP message parse (RFC 3261 §7, §18.3, §20), run in the worker.
// Works on the datagram bytes: lines are found by scanning for LF, header names are matched
// on bytes (header-names.ts) and only each final value is decoded (latin1 for pure ASCII,
// UTF-8 where the value carries non-ASCII octets, since TEXT-UTF8 / quoted-strings allow it).
//
// Line ends: the header section must use CRLF (§7: "lines ... terminated by CRLF"). A bare LF
// is rejected with 400 rather than tolerated: every captured client sends CRLF, and accepting
// two framings is how request-smuggling ambiguities start. The body is never line-scanned.
import { isUtf8 } from 'node:buffer';
import { CR, HT, isAllDigits, isTokenByte, isWsp, LF, parseBoundedInt, SP } from './chars.js';
import { lookupHeaderName } from './header-names.js';
import { parseStartLine } from './start-line.js';
import type { ParseFailure, ParseResult, SipHeader } from './types.js';

export interface ParseOptions {
  /** Largest accepted datagram; larger → 513 (RFC 3261 §18.1.1 / §21.5.14). */
  maxSize?: number;
}

/** Largest UDP payload over IPv4 (65535 − 8 UDP − 20 IP). */
export const DEFAULT_MAX_SIZE = 65507;

/** Headers worth keeping from a failed parse: enough to build a response (§8.2.6.2). */
const PARTIAL_NAMES = new Set(['Via', 'From', 'To', 'Call-ID', 'CSeq']);

/**
 * A datagram made only of CR/LF: the RFC 5626 §3.5.1 / RFC 3261 §7.5 keep-alive (Linphone
 * sends CRLFCRLF about every 30 s). It is ignored, never answered.
 */
export function isKeepAlive(buf: Uint8Array): boolean {
  if (buf.length === 0) return false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c !== CR && c !== LF) return false;
  }
  return true;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function decodeValue(b: Buffer, s: number, e: number): string {
  for (let i = s; i < e; i++) {
    if (b[i]! >= 0x80) return isUtf8(b.subarray(s, e)) ? b.toString('utf8', s, e) : b.toString('latin1', s, e);
  }
  return b.toString('latin1', s, e);
}

/** Value of a folded header: each CRLF plus surrounding WSP becomes one SP (§7.3.1). */
function unfold(b: Buffer, s: number, e: number): string {
  const out = Buffer.allocUnsafe(e - s);
  let n = 0;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c === CR && b[i + 1] === LF) {
      while (n > 0 && isWsp(out[n - 1]!)) n--;
      i += 2;
      while (i < e && isWsp(b[i]!)) i++;
      i--;
      if (n > 0) out[n++] = SP;
      continue;
    }
    out[n++] = c;
  }
  return decodeValue(out, 0, n);
}

interface Scan {
  headers: SipHeader[];
  /** Offset of the body (just past CRLFCRLF), or -1 when the header section never ends. */
  bodyStart: number;
  error: string | null;
}

/** Reads header lines from `pos` up to the empty line. Keeps going past bad lines so that a
 * failure can still return the Via/From/To/Call-ID/CSeq it saw. */
function scanHeaders(b: Buffer, pos: number): Scan {
  const headers: SipHeader[] = [];
  let error: string | null = null;
  let name = '';
  let vs = -1;
  let ve = -1;
  let folded = false;
  const flush = (): void => {
    if (vs < 0) return;
    let e = ve;
    while (e > vs && isWsp(b[e - 1]!)) e--;
    headers.push({ name, value: folded ? unfold(b, vs, e) : decodeValue(b, vs, e) });
    vs = -1;
  };
  const len = b.length;
  while (pos < len) {
    const lf = b.indexOf(LF, pos);
    if (lf < 0) break;
    let end = lf;
    if (end > pos && b[end - 1] === CR) end--;
    else error ??= 'Bare LF in Header Section';
    if (end === pos) {
      flush();
      return { headers, bodyStart: lf + 1, error };
    }
    const first = b[pos]!;
    if (first === SP || first === HT) {
      // Continuation line: extend the previous value (§7.3.1 folding).
      if (vs < 0) error ??= 'Bad Header Folding';
      else {
        ve = end;
        folded = true;
      }
      pos = lf + 1;
      continue;
    }
    flush();
    let i = pos;
    while (i < end && isTokenByte(b[i]!)) i++;
    const nameEnd = i;
    while (i < end && isWsp(b[i]!)) i++;
    if (nameEnd === pos || i >= end || b[i] !== 0x3a) {
      error ??= 'Bad Header Line';
      pos = lf + 1;
      continue;
    }
    name = lookupHeaderName(b, pos, nameEnd) ?? b.toString('latin1', pos, nameEnd);
    i++;
    while (i < end && isWsp(b[i]!)) i++;
    vs = i;
    ve = end;
    folded = false;
    pos = lf + 1;
  }
  flush();
  return { headers, bodyStart: -1, error };
}

function fail(status: number, reason: string, headers: SipHeader[], response: boolean): ParseFailure {
  const partial = headers.filter((h) => PARTIAL_NAMES.has(h.name));
  const drop = response || !partial.some((h) => h.name === 'Via');
  return { ok: false, status, reason, drop, partial };
}

type Length = { ok: true; value: number | null } | { ok: false; reason: string };

/** Content-Length (§20.14): 1*DIGIT; repeated values must agree (RFC 4475 §3.3.9 mcl01). */
function contentLength(headers: SipHeader[], available: number): Length {
  let value: number | null = null;
  for (const h of headers) {
    if (h.name !== 'Content-Length') continue;
    if (!isAllDigits(h.value)) return { ok: false, reason: 'Bad Content-Length' };
    const n = parseBoundedInt(h.value, 0x7fffffff);
    if (n === null || n > available) return { ok: false, reason: 'Content-Length Exceeds Datagram' };
    if (value !== null && value !== n) return { ok: false, reason: 'Conflicting Content-Length' };
    value = n;
  }
  return { ok: true, value };
}

/**
 * Parses one UDP datagram. Never throws: malformed input becomes a ParseFailure carrying the
 * status the request deserves (400, 505, 513) or `drop` when no response may be sent.
 */
export function parseSipMessage(input: Uint8Array, opts?: ParseOptions): ParseResult {
  const b = asBuffer(input);
  const maxSize = opts?.maxSize ?? DEFAULT_MAX_SIZE;
  let pos = 0;
  // §7.5: CRLFs before the start-line are ignored.
  while (pos < b.length && (b[pos] === CR || b[pos] === LF)) pos++;
  const lf = b.indexOf(LF, pos);
  if (lf < 0) return fail(400, 'Incomplete Start-Line', [], false);
  const lineEnd = lf > pos && b[lf - 1] === CR ? lf - 1 : lf;
  const start = parseStartLine(b, pos, lineEnd);
  const scan = scanHeaders(b, lf + 1);
  const headers = scan.headers;
  const response = start.kind === 'response' || (start.kind === 'bad' && start.response);

  if (b.length > maxSize) return fail(513, 'Message Too Large', headers, response);
  if (start.kind === 'bad') return fail(400, start.reason, headers, response);
  if (lineEnd === lf) return fail(400, 'Bare LF in Start-Line', headers, response);
  if (scan.error !== null) return fail(400, scan.error, headers, response);
  if (scan.bodyStart < 0) return fail(400, 'Incomplete Header Section', headers, response);

  // §18.3: over UDP the body is exactly Content-Length octets; extra octets are discarded;
  // without Content-Length the body runs to the end of the datagram.
  const available = b.length - scan.bodyStart;
  const cl = contentLength(headers, available);
  if (!cl.ok) return fail(400, cl.reason, headers, response);
  const body = b.subarray(scan.bodyStart, scan.bodyStart + (cl.value ?? available));

  // §8.2.2 / §21.5.7: version is judged last, once a response could be built.
  if (!start.versionOk) return fail(505, 'Version Not Supported', headers, response);
  if (start.kind === 'request') {
    return { ok: true, msg: { kind: 'request', method: start.method, uri: start.uri, version: start.version, headers, body } };
  }
  return { ok: true, msg: { kind: 'response', status: start.status, reason: start.reason, version: start.version, headers, body } };
}
