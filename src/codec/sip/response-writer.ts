// Responses written from byte templates (RFC 3261 §8.2.6.2, §18.2.1): the status line and the
// constant tail are precomputed bytes, the Via lines, From, To, Call-ID and CSeq are copied as
// bytes from the request's buffer, and the whole response is one Buffer allocation.
// The output equals serialize.ts serializeResponse + core/respond.ts buildResponse for the same
// request and options, with one deliberate difference: a copied value is the request's exact
// octets, where serializeResponse re-encodes the decoded string as UTF-8 (which changes a value
// that was not valid UTF-8: serializeResponse turns latin1 0xE9 into C3 A9).
// Results may come from Node's shared Buffer pool: copy before putting one in a transfer list.
import { formatViaWithReceived, parseVia } from './via.js';
import { quotedEndB, skipWsp, eqLower } from './grammar-bytes.js';
import { FORM_TAGGED, HDR, VIA_NOT_ASCII, VIA_REFUSED, type SipMsg } from './msg.js';
import { reasonFor } from '../../errors.js';
import { randomToken } from '../../core/random.js';
import { PRODUCT } from '../../version.js';

/** What a response says beyond the copied request headers. */
export interface ResponseSpec {
  status: number;
  /** Reason phrase; the default for the status when absent (errors.ts reasonFor). */
  reason?: string;
  /** Added to To when it has none (every non-100 response needs one, §8.2.6.2); random when absent. */
  toTag?: string;
  /** Extra header lines, preformatted, each ending CRLF; never Content-Length (written here). */
  headers?: string | Uint8Array;
  body?: Uint8Array | string;
  contentType?: string;
}

export interface Source {
  address: string;
  port: number;
}

type Piece = string | Uint8Array;
const EMPTY = new Uint8Array(0);
const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
const VIA = ascii('Via: ');
const FROM = ascii('From: ');
const TO = ascii('To: ');
const CALL_ID = ascii('Call-ID: ');
const CSEQ = ascii('CSeq: ');
const TAG = ascii(';tag=');
const CRLF = ascii('\r\n');
const SERVER_LINE = ascii(`Server: ${PRODUCT}\r\n`);
const CONTENT_TYPE = ascii('Content-Type: ');
const CONTENT_LENGTH = ascii('Content-Length: ');
const RPORT = ascii(';rport=');
const STATUS_LINES = new Map<number, Buffer>();

/** `SIP/2.0 <status> <default reason>\r\n`, built once per status. */
function statusLine(status: number): Buffer {
  let line = STATUS_LINES.get(status);
  if (line === undefined) {
    line = Buffer.from(`SIP/2.0 ${status} ${reasonFor(status)}\r\n`, 'utf8');
    if (STATUS_LINES.size < 1000) STATUS_LINES.set(status, line);
  }
  return line;
}

function pieceLength(p: Piece): number {
  return typeof p === 'string' ? Buffer.byteLength(p, 'utf8') : p.length;
}

// Copies of a few dozen bytes are done by hand: Buffer#copy and TypedArray#set cost more in
// argument checks than the copy itself at these sizes.
const SHORT = 64;

function copyBytes(out: Uint8Array, at: number, src: Uint8Array, s: number, e: number): number {
  if (e - s > SHORT) {
    out.set(src.subarray(s, e), at);
    return at + (e - s);
  }
  for (let i = s; i < e; i++) out[at++] = src[i]!;
  return at;
}

function put(out: Buffer, at: number, p: Piece): number {
  if (typeof p === 'string') return at + out.write(p, at, 'utf8');
  return copyBytes(out, at, p, 0, p.length);
}

function copy(out: Buffer, at: number, src: Buffer, s: number, e: number): number {
  return copyBytes(out, at, src, s, e);
}

/** Writes a non-negative integer in decimal. */
function putInt(out: Buffer, at: number, n: number): number {
  const d = digits(n);
  for (let k = at + d - 1; k >= at; k--) {
    out[k] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return at + d;
}

/** `;received=<ip>` for the last source address seen (consecutive requests often share it). */
let receivedFor = '';
let receivedBytes: Buffer = Buffer.alloc(0);

function received(ip: string): Buffer {
  if (ip !== receivedFor) {
    receivedFor = ip;
    receivedBytes = Buffer.from(';received=' + bareIp(ip), 'latin1');
  }
  return receivedBytes;
}

// ---- the top Via ------------------------------------------------------------------------------

// The top Via is rendered into this scratch first (its length depends on the params), then
// copied into the response.
let scratch = Buffer.allocUnsafeSlow(512);

function bareIp(ip: string): string {
  return ip.length > 1 && ip.charCodeAt(0) === 0x5b && ip.charCodeAt(ip.length - 1) === 0x5d ? ip.slice(1, -1) : ip;
}

/**
 * via.ts formatViaWithReceived on the bytes of a plain-ASCII via-parm parseVia accepts (`semi`:
 * its first `;`, or e without params):
 * sent-by part, then each param trimmed, `received` replaced, a bare `rport` filled in with the
 * source port (RFC 3581 §4), and `;received=<ip>` appended when there was none (§18.2.1).
 */
function renderTopVia(b: Buffer, s: number, e: number, semi: number, ip: string, port: number): number {
  const need = (e - s) * 2 + 96;
  if (scratch.length < need) scratch = Buffer.allocUnsafeSlow(need);
  const out = scratch;
  if (semi === e) return put(out, copy(out, 0, b, s, e), received(ip));
  let pe = semi;
  while (pe > s && (b[pe - 1] === 0x20 || b[pe - 1] === 0x09)) pe--;
  let n = copy(out, 0, b, s, pe);
  let hadReceived = false;
  let i = semi + 1;
  for (;;) {
    // One piece: up to the next ';' outside a quoted-string.
    let j = i;
    while (j < e && b[j] !== 0x3b) {
      // An unclosed quote makes the rest one piece, as via.ts splitSemis does.
      const q = b[j] === 0x22 ? quotedEndB(b, j, e) : j + 1;
      j = q < 0 ? e : q;
    }
    const ps = skipWsp(b, i, j);
    let pt = j;
    while (pt > ps && (b[pt - 1] === 0x20 || b[pt - 1] === 0x09)) pt--;
    let eq = ps;
    while (eq < pt && b[eq] !== 0x3d) eq++;
    let ne = eq;
    while (ne > ps && (b[ne - 1] === 0x20 || b[ne - 1] === 0x09)) ne--;
    if (eqLower(b, ps, ne, 'received')) {
      n = put(out, n, received(ip));
      hadReceived = true;
    } else if (eq === pt && eqLower(b, ps, ne, 'rport')) {
      n = put(out, n, RPORT);
      n = putInt(out, n, port);
    } else {
      out[n++] = 0x3b;
      n = copy(out, n, b, ps, pt);
    }
    if (j >= e) break;
    i = j + 1;
  }
  return hadReceived ? n : put(out, n, received(ip));
}

/** The top Via line's value as the response carries it: bytes in `scratch` (their length) or a piece. */
function topViaValue(msg: SipMsg, i: number, source: Source): Piece | number {
  const b = msg.buf;
  const s = msg.lines[i * 4 + 2]!;
  const e = msg.lines[i * 4 + 3]!;
  const form = msg.viaFormAt(i);
  if (form === VIA_REFUSED) return b.subarray(s, e); // echoed as received, as serialize.ts does
  if (form === VIA_NOT_ASCII) return formatViaWithReceived(parseVia(msg.valueAt(i))!, source.address, source.port);
  return renderTopVia(b, s, e, form, source.address, source.port);
}

/** True when `;tag=` must be added to the first To (a valid name-addr without a tag). */
function toNeedsTag(msg: SipMsg): boolean {
  const form = msg.toForm;
  return form !== 0 && (form & FORM_TAGGED) === 0;
}

// ---- the response -----------------------------------------------------------------------------

/**
 * The response to `msg` (§8.2.6.2): every Via in order (the top one with received/rport), the
 * first From, To (+ tag), Call-ID and CSeq, the extra header lines, Server, Content-Type (with
 * a body), Content-Length. Request headers that are missing are not copied (RFC 4475 insuf).
 */
export function writeResponse(msg: SipMsg, source: Source, spec: ResponseSpec): Buffer {
  const b = msg.buf;
  const l = msg.lines;
  const status = spec.status;
  const head: Piece = spec.reason === undefined ? statusLine(status) : `SIP/2.0 ${status} ${spec.reason}\r\n`;
  const body: Piece = spec.body ?? EMPTY;
  const bodyLength = pieceLength(body);
  const extra: Piece = spec.headers ?? EMPTY;
  let size = pieceLength(head) + pieceLength(extra) + SERVER_LINE.length + CONTENT_LENGTH.length + digits(bodyLength) + 4 + bodyLength;
  let from = -1;
  let to = -1;
  let callId = -1;
  let cseq = -1;
  let top = -1;
  let topValue: Piece | number = 0;
  for (let i = 0; i < msg.count; i++) {
    const id = l[i * 4]!;
    const valueLength = l[i * 4 + 3]! - l[i * 4 + 2]!;
    if (id === HDR.Via) {
      if (top < 0) {
        top = i;
        topValue = topViaValue(msg, i, source);
        size += VIA.length + 2 + (typeof topValue === 'number' ? topValue : pieceLength(topValue));
      } else size += VIA.length + valueLength + 2;
    } else if (id === HDR.From && from < 0) {
      from = i;
      size += FROM.length + valueLength + 2;
    } else if (id === HDR.To && to < 0) {
      to = i;
      size += TO.length + valueLength + 2;
    } else if (id === HDR.CallId && callId < 0) {
      callId = i;
      size += CALL_ID.length + valueLength + 2;
    } else if (id === HDR.CSeq && cseq < 0) {
      cseq = i;
      size += CSEQ.length + valueLength + 2;
    }
  }
  let tag: string | null = null;
  if (to >= 0 && status > 100 && toNeedsTag(msg)) {
    tag = spec.toTag ?? randomToken();
    size += TAG.length + Buffer.byteLength(tag, 'utf8');
  }
  const contentType = bodyLength > 0 && spec.contentType !== undefined ? spec.contentType : null;
  if (contentType !== null) size += CONTENT_TYPE.length + Buffer.byteLength(contentType, 'utf8') + 2;

  const out = Buffer.allocUnsafe(size);
  let p = put(out, 0, head);
  for (let i = 0; i < msg.count; i++) {
    if (l[i * 4] !== HDR.Via) continue;
    p = put(out, p, VIA);
    if (i === top) p = typeof topValue === 'number' ? copy(out, p, scratch, 0, topValue) : put(out, p, topValue);
    else p = copy(out, p, b, l[i * 4 + 2]!, l[i * 4 + 3]!);
    p = put(out, p, CRLF);
  }
  p = line(out, p, FROM, msg, from);
  if (to >= 0) {
    p = put(out, p, TO);
    p = copy(out, p, b, l[to * 4 + 2]!, l[to * 4 + 3]!);
    if (tag !== null) {
      p = put(out, p, TAG);
      p += out.write(tag, p, 'utf8');
    }
    p = put(out, p, CRLF);
  }
  p = line(out, p, CALL_ID, msg, callId);
  p = line(out, p, CSEQ, msg, cseq);
  p = put(out, p, extra);
  p = put(out, p, SERVER_LINE);
  if (contentType !== null) {
    p = put(out, p, CONTENT_TYPE);
    p += out.write(contentType, p, 'utf8');
    p = put(out, p, CRLF);
  }
  p = put(out, p, CONTENT_LENGTH);
  p = putInt(out, p, bodyLength);
  p = put(out, p, CRLF);
  p = put(out, p, CRLF);
  p = put(out, p, body);
  return out;
}

function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

function line(out: Buffer, p: number, name: Buffer, msg: SipMsg, i: number): number {
  if (i < 0) return p;
  p = put(out, p, name);
  p = copy(out, p, msg.buf, msg.lines[i * 4 + 2]!, msg.lines[i * 4 + 3]!);
  return put(out, p, CRLF);
}

/** Header records (the gate's `headers`, say) as ResponseSpec.headers lines; Content-Length is skipped as serialize.ts skips it. */
export function formatHeaderLines(headers: readonly { name: string; value: string }[]): string {
  let out = '';
  for (const h of headers) if (h.name !== 'Content-Length') out += h.name + ': ' + h.value + '\r\n';
  return out;
}

// ---- where it goes, and the Date header ---------------------------------------------------------

/**
 * Where the response to a UDP request goes (core/respond.ts responseDestination): with rport,
 * the source address and port (RFC 3581 §4); without, the source IP on sent-by's port, default
 * 5060 (5061 for TLS) (RFC 3261 §18.2.2; an incoming `received` is not trusted).
 */
export function responseDestination<D extends Source>(msg: SipMsg, source: D): D {
  const via = msg.topVia;
  if (via === null || via.rport) return source;
  return { ...source, port: via.port ?? (via.transport === 'TLS' ? 5061 : 5060) };
}

let dateSecond = -1;
let dateText = '';

/** RFC 1123 date for the Date header (RFC 3261 §20.17), built once per second. */
export function httpDate(nowMs: number): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}
