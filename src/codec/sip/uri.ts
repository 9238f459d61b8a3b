// SIP/SIPS URIs (RFC 3261 §19.1, grammar §25.1) and their comparison (§19.1.4).
// Other schemes are kept as scheme + opaque text (absoluteURI): a UAS only needs to know
// that it does not serve them (416, §8.2.2.1).
import { memoize } from './memo.js';
import { isAlpha, isDigit, isHex } from './chars.js';
import type { SipUri } from './types.js';

const UNRESERVED_MARK = "-_.!~*'()";
const USER_UNRESERVED = '&=+$,;?/';
const PASSWORD_EXTRA = '&=+$,';
const PARAM_UNRESERVED = '[]/:&+$';
const HNV = '[]/?:+$';

function isUnreserved(c: string): boolean {
  const code = c.charCodeAt(0);
  return isAlpha(code) || isDigit(code) || UNRESERVED_MARK.includes(c);
}

/** Every char is unreserved, one of `extra`, or a well-formed %HH escape. */
function validChars(s: string, extra: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      if (i + 2 >= s.length) return false;
      if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return false;
      i += 2;
    } else if (!isUnreserved(c) && !extra.includes(c)) return false;
  }
  return true;
}

/** Resolves %HH escapes to the octets they name (as latin1 chars): for comparison only. */
export function unescapeUriPart(s: string): string {
  if (!s.includes('%')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += s[i]!;
  }
  return out;
}

function parseHostPort(s: string, i: number): { host: string; port: number | null; next: number } | null {
  const n = s.length;
  let host: string;
  let j = i;
  if (s[j] === '[') {
    // IPv6reference: brackets kept. RFC 5118 §4.8 asks receivers to tolerate the three-colon
    // form RFC 3261's ABNF admits, so only the character set is checked here.
    const close = s.indexOf(']', j);
    if (close < 0) return null;
    const inner = s.slice(j + 1, close);
    if (inner.length < 2 || !inner.includes(':')) return null;
    for (let k = 0; k < inner.length; k++) {
      const c = inner.charCodeAt(k);
      if (!isHex(c) && c !== 0x3a && c !== 0x2e) return null;
    }
    host = s.slice(j, close + 1).toLowerCase();
    j = close + 1;
  } else {
    while (j < n) {
      const c = s.charCodeAt(j);
      if (!isAlpha(c) && !isDigit(c) && c !== 0x2d && c !== 0x2e && c !== 0x5f) break;
      j++;
    }
    if (j === i) return null;
    host = s.slice(i, j).toLowerCase();
  }
  let port: number | null = null;
  if (s[j] === ':') {
    const ps = ++j;
    while (j < n && isDigit(s.charCodeAt(j))) j++;
    if (j === ps || j - ps > 5) return null;
    port = Number(s.slice(ps, j));
    if (port > 65535) return null;
  }
  return { host, port, next: j };
}

function parseSipUri(s: string, scheme: string, i: number): SipUri | null {
  const n = s.length;
  let user: string | null = null;
  let password: string | null = null;
  // userinfo ends at the LAST '@': '@' cannot appear in host, params or headers, while
  // user may hold ';' '?' and escaped '@' (RFC 4475 §3.1.1.9 semiuri, §3.1.1.2 intmeth).
  const at = s.lastIndexOf('@');
  if (at >= i) {
    const userinfo = s.slice(i, at);
    const colon = userinfo.indexOf(':');
    user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    password = colon < 0 ? null : userinfo.slice(colon + 1);
    if (user.length === 0 || !validChars(user, USER_UNRESERVED)) return null;
    if (password !== null && !validChars(password, PASSWORD_EXTRA)) return null;
    i = at + 1;
  }
  const hp = parseHostPort(s, i);
  if (hp === null) return null;
  let j = hp.next;
  const params = new Map<string, string | null>();
  while (j < n && s[j] === ';') {
    let e = j + 1;
    while (e < n && s[e] !== ';' && s[e] !== '?') e++;
    const p = s.slice(j + 1, e);
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    const value = eq < 0 ? null : p.slice(eq + 1);
    if (name.length === 0 || !validChars(name, PARAM_UNRESERVED)) return null;
    if (value !== null && (value.length === 0 || !validChars(value, PARAM_UNRESERVED))) return null;
    const key = name.toLowerCase();
    if (!params.has(key)) params.set(key, value);
    j = e;
  }
  let headers: string | null = null;
  if (j < n) {
    if (s[j] !== '?') return null;
    headers = s.slice(j + 1);
    if (headers.length === 0 || !validChars(headers, HNV + '=&')) return null;
  }
  return { scheme, user, password, host: hp.host, port: hp.port, params, headers };
}

/** Parses a URI; null when it is not a well-formed SIP/SIPS URI or absoluteURI. No LWS allowed. */
function parseUriUncached(s: string): SipUri | null {
  const colon = s.indexOf(':');
  if (colon <= 0 || !isAlpha(s.charCodeAt(0))) return null;
  for (let k = 1; k < colon; k++) {
    const c = s.charCodeAt(k);
    if (!isAlpha(c) && !isDigit(c) && c !== 0x2b && c !== 0x2d && c !== 0x2e) return null;
  }
  for (let k = colon + 1; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c <= 0x20 || c === 0x7f || c === 0x3c || c === 0x3e || c === 0x22) return null;
  }
  const scheme = s.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(s, scheme, colon + 1);
  const opaque = s.slice(colon + 1);
  if (opaque.length === 0) return null;
  return { scheme, user: null, password: null, host: '', port: null, params: new Map(), headers: null, opaque };
}

/**
 * Canonical escape form of a user part: escapes of chars that may appear literally are
 * resolved, the rest keep an upper-case %HH. Two users equal after unescaping (§19.1.4) get
 * the same text, and a %00 stays visible instead of truncating anything (RFC 4475 §3.1.1.4).
 */
function canonicalUser(user: string): string {
  if (!user.includes('%')) return user;
  let out = '';
  for (let i = 0; i < user.length; i++) {
    if (user[i] === '%') {
      const ch = String.fromCharCode(parseInt(user.slice(i + 1, i + 3), 16));
      out += isUnreserved(ch) || USER_UNRESERVED.includes(ch) ? ch : '%' + user.slice(i + 1, i + 3).toUpperCase();
      i += 2;
    } else out += user[i]!;
  }
  return out;
}

/**
 * Address-of-record key `sip:user@host[:port]` (RFC 3261 §10.3 step 5: parameters removed,
 * escapes normalised, host lower-case). `sips` maps to `sip` on purpose: an AoR names a user,
 * and a user registering over TLS must find the presence published over UDP.
 */
export function aorOf(uri: SipUri): string {
  if (uri.scheme !== 'sip' && uri.scheme !== 'sips') return `${uri.scheme}:${uri.opaque ?? ''}`;
  const user = uri.user === null ? '' : canonicalUser(uri.user) + '@';
  return `sip:${user}${uri.host}${uri.port === null ? '' : ':' + uri.port}`;
}

const MUST_MATCH = ['user', 'ttl', 'method', 'maddr', 'transport'];

function headerSet(h: string | null): Map<string, string> {
  const m = new Map<string, string>();
  if (h === null) return m;
  for (const part of h.split('&')) {
    const eq = part.indexOf('=');
    const name = unescapeUriPart(eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    m.set(name, unescapeUriPart(eq < 0 ? '' : part.slice(eq + 1)));
  }
  return m;
}

function paramEq(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return a === b;
  return unescapeUriPart(a).toLowerCase() === unescapeUriPart(b).toLowerCase();
}

/** URI equality per RFC 3261 §19.1.4. */
export function uriEquals(a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme) return false; // sip and sips are never equivalent
  if (a.scheme !== 'sip' && a.scheme !== 'sips') return a.opaque === b.opaque;
  // userinfo is case-sensitive; compared after unescaping.
  if ((a.user === null) !== (b.user === null)) return false;
  if (a.user !== null && unescapeUriPart(a.user) !== unescapeUriPart(b.user!)) return false;
  if ((a.password ?? null) !== null || (b.password ?? null) !== null) {
    if (a.password === null || b.password === null) return false;
    if (unescapeUriPart(a.password) !== unescapeUriPart(b.password)) return false;
  }
  if (a.host !== b.host || a.port !== b.port) return false; // an omitted port ≠ explicit 5060
  for (const p of MUST_MATCH) {
    if ((a.params.has(p) || b.params.has(p)) && !(a.params.has(p) && b.params.has(p) && paramEq(a.params.get(p), b.params.get(p)))) return false;
  }
  for (const [name, value] of a.params) {
    if (b.params.has(name) && !paramEq(value, b.params.get(name))) return false;
  }
  const ha = headerSet(a.headers);
  const hb = headerSet(b.headers);
  if (ha.size !== hb.size) return false;
  for (const [k, v] of ha) if (hb.get(k) !== v) return false;
  return true;
}

/** Memoized (see memo.ts): the result is shared and must not be mutated. */
export const parseUri: (s: string) => SipUri | null = memoize(parseUriUncached);
