// Header accessors and scalar header values (RFC 3261 §7.3, §20). Messages keep every header
// line in order with canonical names, so lookups compare canonical strings; unknown names are
// compared case-insensitively (§7.3.1).
import { isAllDigits, isTokenByte, isWsp, parseBoundedInt, UINT32_MAX } from './chars.js';
import { canonicalHeaderName, isKnownHeaderName } from './header-names.js';
import { splitCommaList } from './params.js';
import type { SipHeader } from './types.js';

export { parseParams, splitCommaList, unquote, quotedEnd } from './params.js';

export interface HasHeaders {
  headers: readonly SipHeader[];
}

/**
 * Headers whose value is one item even when it contains commas (dates, auth challenges,
 * free text, single-valued fields): getHeaderValues returns their lines unsplit.
 */
const NOT_LISTS = new Set([
  'Authentication-Info', 'Authorization', 'Call-ID', 'Content-Length', 'Content-Type', 'CSeq', 'Date',
  'Event', 'Expires', 'From', 'Identity', 'Identity-Info', 'Max-Forwards', 'MIME-Version', 'Min-Expires',
  'Organization', 'Priority', 'Proxy-Authenticate', 'Proxy-Authorization', 'Refer-To', 'Referred-By',
  'Retry-After', 'Server', 'Session-Expires', 'SIP-ETag', 'SIP-If-Match', 'Subject', 'Subscription-State',
  'Timestamp', 'To', 'User-Agent', 'WWW-Authenticate',
]);

function matcher(name: string): (h: SipHeader) => boolean {
  const canon = canonicalHeaderName(name);
  if (isKnownHeaderName(canon)) return (h) => h.name === canon;
  const lower = canon.toLowerCase();
  return (h) => h.name.length === lower.length && h.name.toLowerCase() === lower;
}

/** First value of a header (compact or long name, any case), or undefined. */
export function getHeader(msg: HasHeaders, name: string): string | undefined {
  const m = matcher(name);
  for (const h of msg.headers) if (m(h)) return h.value;
  return undefined;
}

export function hasHeader(msg: HasHeaders, name: string): boolean {
  return getHeader(msg, name) !== undefined;
}

/** Every line of a header, unsplit, in order. */
export function getHeaderLines(msg: HasHeaders, name: string): string[] {
  const m = matcher(name);
  const out: string[] = [];
  for (const h of msg.headers) if (m(h)) out.push(h.value);
  return out;
}

/**
 * All values of a multi-value header: comma lists split (outside quotes and <>) and repeated
 * lines concatenated in order — the two forms are equivalent (§7.3.1).
 */
export function getHeaderValues(msg: HasHeaders, name: string): string[] {
  const canon = canonicalHeaderName(name);
  const lines = getHeaderLines(msg, canon);
  if (NOT_LISTS.has(canon)) return lines;
  if (lines.length === 1) return splitCommaList(lines[0]!);
  const out: string[] = [];
  for (const line of lines) for (const v of splitCommaList(line)) out.push(v);
  return out;
}

/** CSeq = 1*DIGIT LWS Method (§20.16); the number must fit 32 bits (§8.1.1.5). */
export function parseCSeq(value: string): { seq: number; method: string } | null {
  const s = value.trim();
  let i = 0;
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  if (i === 0 || i >= s.length || !isWsp(s.charCodeAt(i))) return null;
  const seq = parseBoundedInt(s.slice(0, i), UINT32_MAX);
  if (seq === null) return null;
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  const m = i;
  while (i < s.length && isTokenByte(s.charCodeAt(i))) i++;
  if (i === m || i !== s.length) return null;
  return { seq, method: s.slice(m) };
}

/**
 * delta-seconds (§20.19 Expires, §20.23 Min-Expires, contact `expires`): 1*DIGIT, at most
 * 2^32-1. Out-of-range or malformed → null; RFC 4475 §3.1.2.4 lets the element then use its
 * default expiry, which is what callers do with null.
 */
export function parseExpiresValue(value: string | undefined | null): number | null {
  if (value === undefined || value === null) return null;
  const s = value.trim();
  if (!isAllDigits(s)) return null;
  return parseBoundedInt(s, UINT32_MAX);
}

/** Max-Forwards = 1*DIGIT, 0..255 (§20.22); invalid → null ("treat as absent", RFC 4475 §3.1.2.4). */
export function parseMaxForwards(value: string | undefined): number | null {
  if (value === undefined) return null;
  const s = value.trim();
  if (!isAllDigits(s)) return null;
  return parseBoundedInt(s, 255);
}

/** Media type of a Content-Type value, lower-cased, without parameters. */
export function mediaTypeOf(value: string | undefined): string | null {
  if (value === undefined) return null;
  const semi = value.indexOf(';');
  const t = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  return t.length === 0 ? null : t;
}
