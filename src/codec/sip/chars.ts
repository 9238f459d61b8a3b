// Character classes of the RFC 3261 §25.1 grammar, as 128-entry lookup tables (built once,
// lazily, so importing has no side effects) plus small byte helpers shared by the codec.

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HT = 0x09;

let tokenTable: Uint8Array | null = null;

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") (§25.1). */
function tokenChars(): Uint8Array {
  if (tokenTable === null) {
    const t = new Uint8Array(128);
    for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
    for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
    for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
    for (const ch of "-.!%*_+`'~") t[ch.charCodeAt(0)] = 1;
    tokenTable = t;
  }
  return tokenTable;
}

let tokenTable256: Uint8Array | null = null;

/** The token table over all 256 octets (1 = token char): for byte loops, fetched once per call. */
export function tokenOctets(): Uint8Array {
  if (tokenTable256 === null) {
    const t = new Uint8Array(256);
    t.set(tokenChars());
    tokenTable256 = t;
  }
  return tokenTable256;
}

export function isTokenByte(c: number): boolean {
  return c < 128 && tokenChars()[c] === 1;
}

/** Whole string is a non-empty token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  const t = tokenChars();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || t[c] !== 1) return false;
  }
  return true;
}

export function isWsp(c: number): boolean {
  return c === SP || c === HT;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

export function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

export function isAllDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * Parses 1*DIGIT exactly, refusing values above `max` without ever building a rounded
 * float: RFC 4475 §3.1.2.4/§3.1.2.19 send 20-digit values that lose precision as doubles.
 */
export function parseBoundedInt(s: string, max: number): number | null {
  if (s.length === 0) return null;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return null;
    v = v * 10 + (c - 0x30);
    if (v > max) return null; // exact: v ≤ max ≤ 2^53 before every multiply
  }
  return v;
}

export const UINT32_MAX = 4294967295;
