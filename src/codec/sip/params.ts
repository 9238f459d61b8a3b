// Generic parameters and quoted strings (RFC 3261 §25.1: generic-param, quoted-string,
// comma-separated header lists per §7.3.1), shared by name-addr, Via and the accessors.
import { isTokenByte, isWsp } from './chars.js';

/** Index just past the closing DQUOTE of the quoted-string opening at `i`, or -1 if unclosed.
 * quoted-pair ("\" any octet but CR/LF) is skipped as a unit (§25.1). */
export function quotedEnd(s: string, i: number): number {
  const n = s.length;
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  return -1;
}

/** Removes the DQUOTEs of a quoted-string and resolves its quoted-pairs; other input as is. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 0x22 || s.charCodeAt(s.length - 1) !== 0x22) return s;
  let out = '';
  for (let i = 1; i < s.length - 1; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length - 1) out += s[++i]!;
    else out += c;
  }
  return out;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  return i;
}

/** gen-value = token / host / quoted-string: token chars plus the host characters ':' '[' ']'
 * (RFC 5118 §4.5: received may carry a bare or bracketed IPv6 address). */
function isValueCode(c: number): boolean {
  return isTokenByte(c) || c === 0x3a || c === 0x5b || c === 0x5d;
}

/**
 * Parses `*( SEMI generic-param )` starting at `start` (SEMI/EQUAL may carry SWS, §25.1).
 * Names are lower-cased; values are kept as written (quoted-strings keep their quotes, see
 * `unquote`). Returns null on any syntax error, including empty parameters (`;;`).
 */
export function parseParams(s: string, start = 0): Map<string, string | null> | null {
  const out = new Map<string, string | null>();
  const n = s.length;
  let i = skipWs(s, start);
  while (i < n) {
    if (s.charCodeAt(i) !== 0x3b) return null;
    i = skipWs(s, i + 1);
    const ns = i;
    while (i < n && isTokenByte(s.charCodeAt(i))) i++;
    if (i === ns) return null;
    const name = s.slice(ns, i).toLowerCase();
    i = skipWs(s, i);
    let value: string | null = null;
    if (i < n && s.charCodeAt(i) === 0x3d) {
      i = skipWs(s, i + 1);
      if (i < n && s.charCodeAt(i) === 0x22) {
        const q = quotedEnd(s, i);
        if (q < 0) return null;
        value = s.slice(i, q);
        i = q;
      } else {
        const vs = i;
        while (i < n && isValueCode(s.charCodeAt(i))) i++;
        if (i === vs) return null;
        value = s.slice(vs, i);
      }
      i = skipWs(s, i);
    }
    // A repeated parameter keeps its first value (the one a strict reader would see first).
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

/**
 * Splits a comma-separated header value (§7.3.1) at commas outside quoted-strings and `<…>`,
 * trimming each element. Empty elements are dropped unless `keepEmpty` (used by validators
 * that must notice `a,,b`).
 */
export function splitCommaList(value: string, keepEmpty = false): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  const n = value.length;
  const push = (e: number): void => {
    const part = value.slice(start, e).trim();
    if (part.length > 0 || keepEmpty) out.push(part);
  };
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) {
      const q = quotedEnd(value, i);
      if (q < 0) break; // unbalanced quote: the rest is one element
      i = q - 1;
    } else if (c === 0x3c) depth++;
    else if (c === 0x3e && depth > 0) depth--;
    else if (c === 0x2c && depth === 0) {
      push(i);
      start = i + 1;
    }
  }
  push(n);
  return out;
}
