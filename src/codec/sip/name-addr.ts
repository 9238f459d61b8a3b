// name-addr / addr-spec values of From, To, Contact, Route, Record-Route (RFC 3261 §20.10,
// §25.1). `*` (Contact wildcard, §10.2.2) is the caller's business.
import { memoize } from './memo.js';
import { isTokenByte, isWsp } from './chars.js';
import { parseParams, quotedEnd, unquote } from './params.js';
import { parseUri } from './uri.js';
import type { NameAddr } from './types.js';

function skipWs(s: string, i: number): number {
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  return i;
}

/** display-name as token *(LWS token): token chars and LWS only (RFC 4475 §3.1.2.15 baddn). */
function isTokenDisplayName(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isTokenByte(c) && !isWsp(c)) return false;
  }
  return true;
}

function paramsAfter(s: string, i: number, displayName: string | null, uri: string): NameAddr | null {
  if (parseUri(uri) === null) return null;
  const params = parseParams(s, i);
  if (params === null) return null;
  return { displayName, uri, params };
}

/**
 * Parses `[display-name] <URI> *(;param)` or `addr-spec *(;param)`. In the addr-spec form the
 * parameters after the URI belong to the header, not the URI (§20: "…interpreted as header
 * parameters"), and a URI with `,` `?` or `;` would be ambiguous, so `?`/`,` there → null
 * (RFC 4475 §3.1.2.13 regbadct). No LWS inside `<…>` (§3.1.2.14 badaspec).
 */
function parseNameAddrUncached(value: string): NameAddr | null {
  const s = value;
  const n = s.length;
  let i = skipWs(s, 0);
  if (i >= n) return null;
  let displayName: string | null = null;
  if (s.charCodeAt(i) === 0x22) {
    const q = quotedEnd(s, i);
    if (q < 0) return null;
    displayName = unquote(s.slice(i, q));
    i = skipWs(s, q);
    if (s.charCodeAt(i) !== 0x3c) return null;
  } else {
    const lt = s.indexOf('<', i);
    if (lt >= 0) {
      // RFC 4475 §3.1.1.6 (lwsdisp): no LWS between a token display name and '<' is accepted.
      const dn = s.slice(i, lt).trim();
      if (!isTokenDisplayName(dn)) return null;
      displayName = dn.length > 0 ? dn : null;
      i = lt;
    }
  }
  if (s.charCodeAt(i) === 0x3c) {
    const gt = s.indexOf('>', i);
    if (gt < 0) return null;
    return paramsAfter(s, gt + 1, displayName, s.slice(i + 1, gt));
  }
  let e = i;
  while (e < n && s.charCodeAt(e) !== 0x3b && !isWsp(s.charCodeAt(e))) e++;
  const uri = s.slice(i, e);
  if (uri.includes('?') || uri.includes(',')) return null;
  return paramsAfter(s, e, null, uri);
}

/** The `tag` parameter of a From/To value, or null. */
export function tagOf(value: string): string | null {
  const na = parseNameAddr(value);
  return na?.params.get('tag') ?? null;
}

/** Memoized (see memo.ts): the result is shared and must not be mutated. */
export const parseNameAddr: (s: string) => NameAddr | null = memoize(parseNameAddrUncached);
