// Byte-level twins of the string validators the gate and the response builder use: params.ts
// (parseParams), uri.ts (parseUri), name-addr.ts (parseNameAddr) and via.ts (parseVia). Each
// function here follows its twin step by step and accepts exactly what the twin accepts, but
// works on buf[s, e) without building strings, Maps or param objects.
//
// Precondition, checked by callers with `isPlainAscii`: the range holds only printable ASCII
// and HT. Then a byte is a char, and String.prototype.trim() trims what skipWsp trims. Any
// other value (UTF-8 display names, control octets) goes to the string twin instead: rare, and
// exact by construction. test/codec/sip/grammar-bytes.test.ts checks the twins agree.
// The URI twin lives in uri-bytes.ts.
import { isAlpha, isDigit, isHex, tokenOctets } from './chars.js';
import { URI_BAD, uriKind } from './uri-bytes.js';

export { uriKind, URI_BAD, URI_OTHER, URI_SIP, URI_SIP_HEADERS } from './uri-bytes.js';

/** True when buf[s, e) holds only printable ASCII (0x20–0x7e) and HT. */
export function isPlainAscii(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if ((c < 0x20 && c !== 0x09) || c > 0x7e) return false;
  }
  return true;
}

export function skipWsp(b: Uint8Array, i: number, e: number): number {
  while (i < e && (b[i] === 0x20 || b[i] === 0x09)) i++;
  return i;
}

function trimEnd(b: Uint8Array, s: number, e: number): number {
  while (e > s && (b[e - 1] === 0x20 || b[e - 1] === 0x09)) e--;
  return e;
}

/** Index just past the DQUOTE closing the quoted-string opened at i, or -1 (params.ts quotedEnd). */
export function quotedEndB(b: Uint8Array, i: number, e: number): number {
  for (let j = i + 1; j < e; j++) {
    const c = b[j];
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  return -1;
}

/** Case-insensitive compare of buf[s, e) with a lower-case ASCII word. */
/** First index of octet c in buf[s, e), or -1. */
export function indexOfByte(b: Uint8Array, c: number, s: number, e: number): number {
  for (let i = s; i < e; i++) if (b[i] === c) return i;
  return -1;
}

export function eqLower(b: Uint8Array, s: number, e: number, word: string): boolean {
  if (e - s !== word.length) return false;
  for (let k = 0; k < word.length; k++) {
    let c = b[s + k]!;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== word.charCodeAt(k)) return false;
  }
  return true;
}

// ---- generic-param (params.ts parseParams) ----------------------------------------------------

/** Name and value of the parameter `param` read last (value start -1 when it has none). */
export const P = { ns: 0, ne: 0, vs: -1, ve: -1 };

function isValueCode(tok: Uint8Array, c: number): boolean {
  return tok[c] === 1 || c === 0x3a || c === 0x5b || c === 0x5d;
}

/** Reads one `;name[=value]` starting at the SEMI at i; returns the index after it, or -1. */
export function param(b: Uint8Array, i: number, e: number): number {
  const tok = tokenOctets();
  i = skipWsp(b, i + 1, e);
  const ns = i;
  while (i < e && tok[b[i]!] === 1) i++;
  if (i === ns) return -1;
  P.ns = ns;
  P.ne = i;
  P.vs = -1;
  P.ve = -1;
  i = skipWsp(b, i, e);
  if (i < e && b[i] === 0x3d) {
    i = skipWsp(b, i + 1, e);
    const vs = i;
    if (i < e && b[i] === 0x22) {
      const q = quotedEndB(b, i, e);
      if (q < 0) return -1;
      i = q;
    } else {
      while (i < e && isValueCode(tok, b[i]!)) i++;
      if (i === vs) return -1;
    }
    P.vs = vs;
    P.ve = i;
    i = skipWsp(b, i, e);
  }
  return i;
}

/** parseParams(s, start) !== null, plus whether a param named `want` (lower case) occurs. */
export function paramsCheck(b: Uint8Array, i: number, e: number, want: string): -1 | 0 | 1 {
  let found: 0 | 1 = 0;
  i = skipWsp(b, i, e);
  while (i < e) {
    if (b[i] !== 0x3b) return -1;
    i = param(b, i, e);
    if (i < 0) return -1;
    if (found === 0 && eqLower(b, P.ns, P.ne, want)) found = 1;
  }
  return found;
}

// ---- name-addr (name-addr.ts parseNameAddr) --------------------------------------------------

/** Result of nameAddrCheck: the URI's kind (uriKind) and whether a `tag` param is present. */
export const NA = { uri: URI_BAD, tag: false };

/** parseNameAddr(buf[s, e)) !== null; fills NA when true. */
export function nameAddrCheck(b: Uint8Array, s: number, e: number): boolean {
  let i = skipWsp(b, s, e);
  if (i >= e) return false;
  if (b[i] === 0x22) {
    const q = quotedEndB(b, i, e);
    if (q < 0) return false;
    i = skipWsp(b, q, e);
    if (i >= e || b[i] !== 0x3c) return false;
  } else {
    const lt = indexOfByte(b, 0x3c, i, e);
    if (lt >= 0) {
      // Token display name: token chars and LWS only (RFC 4475 §3.1.2.15 baddn).
      const tok = tokenOctets();
      for (let k = i; k < lt; k++) {
        const c = b[k]!;
        if (tok[c] === 0 && c !== 0x20 && c !== 0x09) return false;
      }
      i = lt;
    }
  }
  let uriS: number;
  let uriE: number;
  let after: number;
  if (i < e && b[i] === 0x3c) {
    const gt = indexOfByte(b, 0x3e, i, e);
    if (gt < 0) return false;
    uriS = i + 1;
    uriE = gt;
    after = gt + 1;
  } else {
    let k = i;
    while (k < e && b[k] !== 0x3b && b[k] !== 0x20 && b[k] !== 0x09) k++;
    if (indexOfByte(b, 0x3f, i, k) >= 0 || indexOfByte(b, 0x2c, i, k) >= 0) return false;
    uriS = i;
    uriE = k;
    after = k;
  }
  const kind = uriKind(b, uriS, uriE);
  if (kind === URI_BAD) return false;
  const tag = paramsCheck(b, after, e, 'tag');
  if (tag < 0) return false;
  NA.uri = kind;
  NA.tag = tag === 1;
  return true;
}

// ---- Via (via.ts parseVia) ----------------------------------------------------------------------

/** Facts of the via-parm read last by viaCheck (offsets into the buffer). */
export const V = { ts: 0, te: 0, hs: 0, he: 0, port: -1, bs: -1, be: -1, branch: false, rport: false, rs: -1, re: -1, firstSemi: -1 };

/** parseVia(buf[s, e)) !== null for one via-parm (no comma splitting); fills V when true. */
export function viaCheck(b: Uint8Array, s: number, e: number): boolean {
  const tok = tokenOctets();
  s = skipWsp(b, s, e);
  e = trimEnd(b, s, e);
  let i = s;
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      i = skipWsp(b, i, e);
      if (i >= e || b[i] !== 0x2f) return false;
      i = skipWsp(b, i + 1, e);
    }
    const ts = i;
    while (i < e && tok[b[i]!] === 1) i++;
    if (i === ts) return false;
    V.ts = ts;
    V.te = i;
  }
  if (i >= e || (b[i] !== 0x20 && b[i] !== 0x09)) return false;
  i = skipWsp(b, i, e);
  const hs = i;
  if (b[i] === 0x5b) {
    const close = indexOfByte(b, 0x5d, i, e);
    if (close < 0) return false;
    for (let k = i + 1; k < close; k++) {
      const c = b[k]!;
      if (!isHex(c) && c !== 0x3a && c !== 0x2e) return false;
    }
    i = close + 1;
  } else {
    while (i < e) {
      const c = b[i]!;
      if (!isAlpha(c) && !isDigit(c) && c !== 0x2d && c !== 0x2e && c !== 0x5f) break;
      i++;
    }
  }
  if (i === hs) return false;
  V.hs = hs;
  V.he = i;
  V.port = -1;
  const afterHost = skipWsp(b, i, e);
  if (afterHost < e && b[afterHost] === 0x3a) {
    i = skipWsp(b, afterHost + 1, e);
    const ps = i;
    let port = 0;
    while (i < e && isDigit(b[i]!)) port = port * 10 + (b[i++]! - 0x30);
    if (i === ps || i - ps > 5 || port > 65535) return false;
    V.port = port;
  }
  V.branch = false;
  V.bs = V.be = V.rs = V.re = V.firstSemi = -1;
  V.rport = false;
  i = skipWsp(b, i, e);
  while (i < e) {
    if (b[i] !== 0x3b) return false;
    const ps = i;
    if (V.firstSemi < 0) V.firstSemi = i;
    i = param(b, i, e);
    if (i < 0) return false;
    // A repeated parameter keeps its first value, as parseParams does.
    if (!V.branch && eqLower(b, P.ns, P.ne, 'branch')) {
      V.branch = true;
      V.bs = P.vs;
      V.be = P.ve;
    } else if (!V.rport && eqLower(b, P.ns, P.ne, 'rport')) {
      V.rport = true;
      V.rs = ps;
      V.re = trimEnd(b, ps, i);
    }
  }
  return true;
}
