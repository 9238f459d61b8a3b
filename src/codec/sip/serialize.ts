// Response and request serialization to one Buffer (RFC 3261 §7, §8.2.6.2, §18.2.1).
// The head is built as one string and encoded once: V8 concatenates strings as ropes, so this
// is cheaper than writing many small Buffers, and header values that were decoded from UTF-8
// re-encode to the very octets received. The constant pieces are module constants.
// Results may come from Node's shared Buffer pool: copy before putting one in a transfer list.
import { parseNameAddr } from './name-addr.js';
import { splitCommaList } from './params.js';
import { formatViaWithReceived, parseVia } from './via.js';
import type { SipHeader, SipRequest } from './types.js';

const CRLF = '\r\n';
const STATUS_PREFIX = 'SIP/2.0 ';
const REQUEST_SUFFIX = ' SIP/2.0\r\n';
const EMPTY = new Uint8Array(0);

export interface ResponseOptions {
  /** Added to To when it has no tag (every non-100 response needs one, §8.2.6.2). */
  toTag?: string;
  /** Source of the request: the top Via gets received/rport (RFC 3581 §4). */
  viaReceived?: { ip: string; port: number };
  extraHeaders?: SipHeader[];
  body?: Uint8Array | string;
  contentType?: string;
  /** Value of the Server header; omitted when absent. */
  server?: string;
}

function toBytes(body: Uint8Array | string | undefined): Uint8Array {
  if (body === undefined) return EMPTY;
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

function finish(head: string, body: Uint8Array): Buffer {
  head += 'Content-Length: ' + body.length + CRLF + CRLF;
  const headLen = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLen + body.length);
  out.write(head, 0, headLen, 'utf8');
  if (body.length > 0) out.set(body, headLen);
  return out;
}

function topViaLine(value: string, ip: string, port: number): string {
  if (!value.includes(',')) {
    const via = parseVia(value);
    return via === null ? value : formatViaWithReceived(via, ip, port);
  }
  const values = splitCommaList(value);
  const via = values.length > 0 ? parseVia(values[0]!) : null;
  if (via !== null) values[0] = formatViaWithReceived(via, ip, port);
  return values.join(', ');
}

function withToTag(to: string, tag: string | undefined): string {
  if (tag === undefined) return to;
  const na = parseNameAddr(to);
  if (na === null || na.params.has('tag')) return to;
  return to + ';tag=' + tag;
}

/**
 * A response to `req` (§8.2.6.2): all Via in order (the top one with received/rport), From,
 * To (+ tag), Call-ID, CSeq, then the extra headers, Server, Content-Type and Content-Length.
 * Missing request headers are simply not copied (RFC 4475 §3.3.1 insuf must not crash us).
 */
export function serializeResponse(
  req: SipRequest | { headers: readonly SipHeader[] },
  status: number,
  reason: string,
  opts: ResponseOptions = {},
): Buffer {
  let head = STATUS_PREFIX + status + ' ' + reason + CRLF;
  let from: string | undefined;
  let to: string | undefined;
  let callId: string | undefined;
  let cseq: string | undefined;
  let top = true;
  for (const h of req.headers) {
    switch (h.name) {
      case 'Via':
        head += 'Via: ' + (top && opts.viaReceived !== undefined ? topViaLine(h.value, opts.viaReceived.ip, opts.viaReceived.port) : h.value) + CRLF;
        top = false;
        break;
      case 'From':
        from ??= h.value;
        break;
      case 'To':
        to ??= h.value;
        break;
      case 'Call-ID':
        callId ??= h.value;
        break;
      case 'CSeq':
        cseq ??= h.value;
        break;
    }
  }
  if (from !== undefined) head += 'From: ' + from + CRLF;
  if (to !== undefined) head += 'To: ' + (status > 100 ? withToTag(to, opts.toTag) : to) + CRLF;
  if (callId !== undefined) head += 'Call-ID: ' + callId + CRLF;
  if (cseq !== undefined) head += 'CSeq: ' + cseq + CRLF;
  if (opts.extraHeaders !== undefined) {
    for (const h of opts.extraHeaders) if (h.name !== 'Content-Length') head += h.name + ': ' + h.value + CRLF;
  }
  if (opts.server !== undefined) head += 'Server: ' + opts.server + CRLF;
  const body = toBytes(opts.body);
  if (body.length > 0 && opts.contentType !== undefined) head += 'Content-Type: ' + opts.contentType + CRLF;
  return finish(head, body);
}

export interface RequestSpec {
  method: string;
  uri: string;
  /** Every header but Content-Length (added here), in the order to send. */
  headers: readonly SipHeader[];
  body?: Uint8Array | string | undefined;
}

/** A request (NOTIFY …) with Content-Length computed from the body's octets (§20.14). */
export function serializeRequest(spec: RequestSpec): Buffer {
  let head = spec.method + ' ' + spec.uri + REQUEST_SUFFIX;
  for (const h of spec.headers) if (h.name !== 'Content-Length') head += h.name + ': ' + h.value + CRLF;
  return finish(head, toBytes(spec.body));
}
