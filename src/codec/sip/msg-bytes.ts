// The byte-level questions SipMsg (msg.ts) answers about one value, kept apart from the class:
// decoding as the parser decodes, the top Via taken apart, the "forms" the gate and the
// response writer share (how parseNameAddr / parseVia read a line), each exact by delegating to
// the byte twins of grammar-bytes.ts for plain ASCII and to the string parsers otherwise; and
// the small readers of its accessors (method interning, list splitting, the `tag` param).
import { isUtf8 } from 'node:buffer';
import { isPlainAscii, NA, nameAddrCheck, URI_BAD, URI_OTHER, URI_SIP, URI_SIP_HEADERS, V, viaCheck } from './grammar-bytes.js';
import { parseNameAddr } from './name-addr.js';
import { splitCommaList } from './params.js';
import { parseUri } from './uri.js';
import { parseVia } from './via.js';
import type { SipMsg, TopVia } from './msg.js';

/** Decodes a value as parse.ts does: latin1 for ASCII, UTF-8 when valid UTF-8, latin1 otherwise. */
export function decode(b: Buffer, s: number, e: number): string {
  for (let i = s; i < e; i++) {
    if (b[i]! >= 0x80) return isUtf8(b.subarray(s, e)) ? b.toString('utf8', s, e) : b.toString('latin1', s, e);
  }
  return b.toString('latin1', s, e);
}

/** nameAddrForm: bit set when the name-addr carries a `tag` param. */
export const FORM_TAGGED = 4;
/** viaForm: parseVia refuses the line. */
export const VIA_REFUSED = -1;
/** viaForm: parseVia accepts the line, which holds octets beyond plain ASCII. */
export const VIA_NOT_ASCII = -2;

/**
 * How parseNameAddr (name-addr.ts) reads line i: 0 when it refuses it, else the URI's kind
 * (grammar-bytes URI_SIP, URI_SIP_HEADERS, URI_OTHER), plus FORM_TAGGED with a `tag` param.
 */
export function nameAddrForm(m: SipMsg, i: number): number {
  const b = m.buf;
  const s = m.lines[i * 4 + 2]!;
  const e = m.lines[i * 4 + 3]!;
  if (m.isPlain(s, e)) return nameAddrCheck(b, s, e) ? NA.uri | (NA.tag ? FORM_TAGGED : 0) : URI_BAD;
  const na = parseNameAddr(m.valueAt(i));
  const uri = na === null ? null : parseUri(na.uri);
  if (na === null || uri === null) return URI_BAD;
  const kind = uri.scheme !== 'sip' && uri.scheme !== 'sips' ? URI_OTHER : uri.headers === null ? URI_SIP : URI_SIP_HEADERS;
  return kind | (na.params.has('tag') ? FORM_TAGGED : 0);
}

/**
 * How parseVia (via.ts) reads Via line i (one via-parm): VIA_REFUSED, VIA_NOT_ASCII, or — for
 * an accepted plain-ASCII line — the offset of its first `;` (the value's end when it has no
 * params), where response-via.ts starts rewriting.
 */
export function viaForm(m: SipMsg, i: number): number {
  const b = m.buf;
  const s = m.lines[i * 4 + 2]!;
  const e = m.lines[i * 4 + 3]!;
  if (m.isPlain(s, e)) return viaCheck(b, s, e) ? (V.firstSemi < 0 ? e : V.firstSemi) : VIA_REFUSED;
  for (const v of splitCommaList(m.valueAt(i), true)) if (parseVia(v) === null) return VIA_REFUSED;
  return VIA_NOT_ASCII;
}

/**
 * Takes a Via line (one via-parm: the scanner and the canonical encoding never put two on a
 * line) apart: null exactly when parseVia (via.ts) refuses it.
 */
export function parseTopVia(b: Buffer, s: number, e: number, plain = false): TopVia | null {
  if (plain || isPlainAscii(b, s, e)) {
    if (!viaCheck(b, s, e)) return null;
    return {
      transport: b.toString('latin1', V.ts, V.te).toUpperCase(),
      host: b.toString('latin1', V.hs, V.he).toLowerCase(),
      port: V.port < 0 ? null : V.port,
      branch: V.bs < 0 ? '' : b.toString('latin1', V.bs, V.be),
      rport: V.rport,
      end: e,
      rportStart: V.rs,
      rportEnd: V.re,
    };
  }
  // Octets beyond plain ASCII (only quoted param values can hold them in a valid Via).
  const via = parseVia(decode(b, s, e));
  if (via === null) return null;
  return {
    transport: via.transport,
    host: via.host,
    port: via.port,
    branch: via.params.get('branch') ?? '',
    rport: via.params.has('rport'),
    end: e,
    rportStart: -1,
    rportEnd: -1,
  };
}

// ---- helpers on bytes ------------------------------------------------------------------------

const METHODS = ['REGISTER', 'PUBLISH', 'SUBSCRIBE', 'NOTIFY', 'OPTIONS', 'INVITE', 'ACK', 'BYE', 'CANCEL', 'MESSAGE', 'INFO', 'PRACK', 'REFER', 'UPDATE'];
const METHOD_BYTES = METHODS.map((m) => Buffer.from(m, 'latin1'));

/** The method token at buf[s, e) as a shared string for the methods we know. */
export function internMethod(b: Uint8Array, s: number, e: number): string {
  const len = e - s;
  outer: for (let k = 0; k < METHOD_BYTES.length; k++) {
    const m = METHOD_BYTES[k]!;
    if (m.length !== len) continue;
    for (let j = 0; j < len; j++) if (b[s + j] !== m[j]) continue outer;
    return METHODS[k]!;
  }
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1', s, e);
}

/** Splits a list value at commas outside quotes and <> (RFC 3261 §7.3.1), trimmed, non-empty. */
export function splitList(value: string, out: string[]): void {
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c) i++;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x3c) depth++;
    else if (c === 0x3e) depth = Math.max(0, depth - 1);
    else if (c === 0x2c && depth === 0) {
      const v = value.slice(start, i).trim();
      if (v !== '') out.push(v);
      start = i + 1;
    }
  }
  const v = value.slice(start).trim();
  if (v !== '') out.push(v);
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** Finds `;tag=` among the header params of a name-addr/addr-spec value in buf[s, e). */
export function tagParam(b: Buffer, s: number, e: number): string | null {
  let p = s;
  // Skip a quoted display name and the <URI>: params inside the URI are not header params.
  let quoted = false;
  let angle = -1;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (quoted) {
      if (c === 0x5c) i++;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x3c) angle = i;
    else if (c === 0x3e && angle >= 0) {
      p = i + 1;
      break;
    }
  }
  if (angle < 0) p = s; // addr-spec: params follow the URI directly
  for (let i = p; i < e; i++) {
    if (b[i] !== 0x3b) continue;
    let k = i + 1;
    while (k < e && (b[k] === 0x20 || b[k] === 0x09)) k++;
    if (k + 3 <= e && lower(b[k]!) === 0x74 && lower(b[k + 1]!) === 0x61 && lower(b[k + 2]!) === 0x67) {
      k += 3;
      while (k < e && (b[k] === 0x20 || b[k] === 0x09)) k++;
      if (b[k] !== 0x3d) continue;
      k++;
      while (k < e && (b[k] === 0x20 || b[k] === 0x09)) k++;
      let t = k;
      while (t < e && b[t] !== 0x3b && b[t] !== 0x20 && b[t] !== 0x09 && b[t] !== 0x2c) t++;
      return t > k ? b.toString('latin1', k, t) : null;
    }
  }
  return null;
}
