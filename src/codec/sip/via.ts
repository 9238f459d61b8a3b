// Via values (RFC 3261 §20.42, §18.2) and the RFC 3581 rport/received handling.
import { memoize } from './memo.js';
import { isAlpha, isDigit, isHex, isTokenByte, isWsp } from './chars.js';
import { parseParams, quotedEnd } from './params.js';
import type { Via } from './types.js';

function skipWs(s: string, i: number): number {
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  return i;
}

function token(s: string, i: number): number {
  while (i < s.length && isTokenByte(s.charCodeAt(i))) i++;
  return i;
}

/**
 * Parses one via-parm: sent-protocol LWS sent-by *(SEMI via-params). SLASH, COLON and SEMI may
 * carry SWS (§25.1; RFC 4475 §3.1.1.1 wsinv folds inside "SIP / 2.0 / UDP").
 */
function parseViaUncached(viaParm: string): Via | null {
  const s = viaParm.trim();
  const n = s.length;
  let i = 0;
  const parts: string[] = [];
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      i = skipWs(s, i);
      if (s[i] !== '/') return null;
      i = skipWs(s, i + 1);
    }
    const e = token(s, i);
    if (e === i) return null;
    parts.push(s.slice(i, e));
    i = e;
  }
  if (i >= n || !isWsp(s.charCodeAt(i))) return null;
  i = skipWs(s, i);
  const hs = i;
  if (s[i] === '[') {
    const close = s.indexOf(']', i);
    if (close < 0) return null;
    for (let k = i + 1; k < close; k++) {
      const c = s.charCodeAt(k);
      if (!isHex(c) && c !== 0x3a && c !== 0x2e) return null;
    }
    i = close + 1;
  } else {
    while (i < n) {
      const c = s.charCodeAt(i);
      if (!isAlpha(c) && !isDigit(c) && c !== 0x2d && c !== 0x2e && c !== 0x5f) break;
      i++;
    }
  }
  if (i === hs) return null;
  const host = s.slice(hs, i).toLowerCase();
  let port: number | null = null;
  const afterHost = skipWs(s, i);
  if (s[afterHost] === ':') {
    i = skipWs(s, afterHost + 1);
    const ps = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (i === ps || i - ps > 5) return null;
    port = Number(s.slice(ps, i));
    if (port > 65535) return null;
  }
  const params = parseParams(s, i);
  if (params === null) return null;
  return { transport: parts[2]!.toUpperCase(), host, port, params, raw: s };
}

/** Splits via-params text at ';' outside quoted-strings. */
function splitSemis(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 0x22) {
      const q = quotedEnd(s, i);
      if (q < 0) break;
      i = q - 1;
    } else if (s.charCodeAt(i) === 0x3b) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

function bare(ip: string): string {
  return ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
}

/**
 * The top Via as a response must carry it: `received=<source ip>` always (RFC 3581 §4 requires
 * it with rport, even when equal to sent-by; §18.2.1 otherwise), `rport=<source port>` filled
 * in when the client asked with a bare `rport`. IPv6 received values go without brackets
 * (RFC 5118 §4.5). Everything else is echoed as received (§8.2.6.2).
 */
export function formatViaWithReceived(via: Via, ip: string, port: number): string {
  const raw = via.raw;
  const semi = raw.indexOf(';');
  let out = semi < 0 ? raw : raw.slice(0, semi).trimEnd();
  const received = ';received=' + bare(ip);
  let hasReceived = false;
  if (semi >= 0) {
    for (const piece of splitSemis(raw.slice(semi + 1))) {
      const p = piece.trim();
      const eq = p.indexOf('=');
      const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
      if (name === 'received') {
        out += received;
        hasReceived = true;
      } else if (name === 'rport' && eq < 0) out += ';rport=' + port;
      else out += ';' + p;
    }
  }
  return hasReceived ? out : out + received;
}

/**
 * Where a response to a UDP request goes. With `rport` (RFC 3581 §4): the source IP and port
 * the request came from. Without (RFC 3261 §18.2.2): the `received` address — which is the
 * source IP, since formatViaWithReceived always writes it — on the sent-by port, default 5060
 * (5061 for TLS, §19.1.2). An incoming `received` is not trusted: it would let a sender aim
 * our responses at a third party.
 * FIXME(rfc3261-18.2.2): `maddr` (multicast) is not honoured; we answer unicast only.
 */
export function responseTarget(via: Via, srcIp: string, srcPort: number): { host: string; port: number } {
  if (via.params.has('rport')) return { host: srcIp, port: srcPort };
  return { host: srcIp, port: via.port ?? (via.transport === 'TLS' ? 5061 : 5060) };
}

/** The transaction id part of a Via (§17.2.3), or null for an RFC 2543 peer. */
export function branchOf(via: Via): string | null {
  return via.params.get('branch') ?? null;
}

/** Memoized (see memo.ts): the result is shared and must not be mutated. */
export const parseVia: (s: string) => Via | null = memoize(parseViaUncached);
