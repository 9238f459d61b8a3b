// The byte twin of uri.ts parseUri (RFC 3261 §19.1, §25.1): accepts exactly what parseUri
// accepts on plain-ASCII input (grammar-bytes.ts states the precondition), and says which kind
// of URI it is, without building the URI object. Checked against parseUri in
// test/codec/sip/grammar-bytes.test.ts.
import { isAlpha, isDigit, isHex } from './chars.js';

/** Case-insensitive compare of buf[s, e) with a lower-case ASCII word. */
function eqLower(b: Uint8Array, s: number, e: number, word: string): boolean {
  if (e - s !== word.length) return false;
  for (let k = 0; k < word.length; k++) {
    let c = b[s + k]!;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== word.charCodeAt(k)) return false;
  }
  return true;
}

export const URI_BAD = 0;
/** sip: or sips: without `?headers`. */
export const URI_SIP = 1;
export const URI_SIP_HEADERS = 2;
/** A well-formed absoluteURI of another scheme (tel:, urn: …). */
export const URI_OTHER = 3;

// Character classes of uri.ts as bit masks over ASCII: unreserved, then the extra characters
// each URI part admits besides unreserved and escapes.
const UNRESERVED = 1;
const USER = 2;
const PASSWORD = 4;
const PARAM = 8;
const HEADERS = 16;
let classes: Uint8Array | null = null;

function uriClasses(): Uint8Array {
  if (classes === null) {
    const t = new Uint8Array(128);
    const mark = (chars: string, bit: number): void => {
      for (const ch of chars) t[ch.charCodeAt(0)]! |= bit;
    };
    for (let c = 0; c < 128; c++) if (isAlpha(c) || isDigit(c)) t[c] = UNRESERVED;
    mark("-_.!~*'()", UNRESERVED);
    mark('&=+$,;?/', USER);
    mark('&=+$,', PASSWORD);
    mark('[]/:&+$', PARAM);
    mark('[]/?:+$=&', HEADERS);
    classes = t;
  }
  return classes;
}

function validChars(b: Uint8Array, s: number, e: number, extra: number): boolean {
  const t = uriClasses();
  const ok = UNRESERVED | extra;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c === 0x25) {
      if (i + 2 >= e || !isHex(b[i + 1]!) || !isHex(b[i + 2]!)) return false;
      i += 2;
    } else if (c >= 128 || (t[c]! & ok) === 0) return false;
  }
  return true;
}

function indexOfByte(b: Uint8Array, c: number, s: number, e: number): number {
  for (let i = s; i < e; i++) if (b[i] === c) return i;
  return -1;
}

function hostPortEnd(b: Uint8Array, i: number, e: number): number {
  let j = i;
  if (b[j] === 0x5b) {
    const close = indexOfByte(b, 0x5d, j, e);
    if (close < 0) return -1;
    if (close - j - 1 < 2 || indexOfByte(b, 0x3a, j + 1, close) < 0) return -1;
    for (let k = j + 1; k < close; k++) {
      const c = b[k]!;
      if (!isHex(c) && c !== 0x3a && c !== 0x2e) return -1;
    }
    j = close + 1;
  } else {
    while (j < e) {
      const c = b[j]!;
      if (!isAlpha(c) && !isDigit(c) && c !== 0x2d && c !== 0x2e && c !== 0x5f) break;
      j++;
    }
    if (j === i) return -1;
  }
  if (j < e && b[j] === 0x3a) {
    const ps = ++j;
    let port = 0;
    while (j < e && isDigit(b[j]!)) port = port * 10 + (b[j++]! - 0x30);
    if (j === ps || j - ps > 5 || port > 65535) return -1;
  }
  return j;
}

function sipUriKind(b: Uint8Array, s: number, i: number, e: number): number {
  let at = -1;
  for (let k = e - 1; k >= s; k--) {
    if (b[k] === 0x40) {
      at = k;
      break;
    }
  }
  if (at >= i) {
    const colon = indexOfByte(b, 0x3a, i, at);
    const userEnd = colon < 0 ? at : colon;
    if (userEnd === i || !validChars(b, i, userEnd, USER)) return URI_BAD;
    if (colon >= 0 && !validChars(b, colon + 1, at, PASSWORD)) return URI_BAD;
    i = at + 1;
  }
  let j = hostPortEnd(b, i, e);
  if (j < 0) return URI_BAD;
  while (j < e && b[j] === 0x3b) {
    let pe = j + 1;
    while (pe < e && b[pe] !== 0x3b && b[pe] !== 0x3f) pe++;
    const eq = indexOfByte(b, 0x3d, j + 1, pe);
    const nameEnd = eq < 0 ? pe : eq;
    if (nameEnd === j + 1 || !validChars(b, j + 1, nameEnd, PARAM)) return URI_BAD;
    if (eq >= 0 && (pe === eq + 1 || !validChars(b, eq + 1, pe, PARAM))) return URI_BAD;
    j = pe;
  }
  if (j === e) return URI_SIP;
  if (b[j] !== 0x3f || j + 1 === e || !validChars(b, j + 1, e, HEADERS)) return URI_BAD;
  return URI_SIP_HEADERS;
}

/** What parseUri(buf[s, e)) would make of the text: URI_BAD, URI_SIP, URI_SIP_HEADERS or URI_OTHER. */
export function uriKind(b: Uint8Array, s: number, e: number): number {
  const colon = indexOfByte(b, 0x3a, s, e);
  if (colon <= s || !isAlpha(b[s]!)) return URI_BAD;
  for (let k = s + 1; k < colon; k++) {
    const c = b[k]!;
    if (!isAlpha(c) && !isDigit(c) && c !== 0x2b && c !== 0x2d && c !== 0x2e) return URI_BAD;
  }
  for (let k = colon + 1; k < e; k++) {
    const c = b[k]!;
    if (c <= 0x20 || c === 0x7f || c === 0x3c || c === 0x3e || c === 0x22) return URI_BAD;
  }
  if (eqLower(b, s, colon, 'sip') || eqLower(b, s, colon, 'sips')) return sipUriKind(b, s, colon + 1, e);
  return colon + 1 < e ? URI_OTHER : URI_BAD;
}
