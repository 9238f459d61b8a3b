// Responses written from byte templates (RFC 3261 §8.2.6.2, §18.2.1): the status line and the
// constant tail are precomputed bytes, the Via lines, From, To, Call-ID and CSeq are copied as
// bytes from the request's buffer, and the whole response is one Buffer allocation.
// The output equals serialize.ts serializeResponse + core/respond.ts buildResponse for the same
// request and options, with one deliberate difference: a copied value is the request's exact
// octets, where serializeResponse re-encodes the decoded string as UTF-8 (which changes a value
// that was not valid UTF-8: serializeResponse turns latin1 0xE9 into C3 A9).
// Results may come from Node's shared Buffer pool: copy before putting one in a transfer list.
// The top Via's rewrite is response-via.ts, the byte-writing steps response-bytes.ts.
import { HDR } from './header-ids.js';
import { FORM_TAGGED } from './msg-bytes.js';
import type { SipMsg } from './msg.js';
import { copy, digits, EMPTY, pieceLength, put, putInt, type Piece } from './response-bytes.js';
import { putTopVia, topViaValue, type Source } from './response-via.js';
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
    if (i === top) p = putTopVia(out, p, topValue);
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
