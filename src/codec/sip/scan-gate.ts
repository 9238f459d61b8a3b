// The generic request checks of request-gate.ts (RFC 3261 §8.2), run on a scanned SipMsg.
// Same checks, same order, same results — gateRequest stays the specification, this is its
// fast twin: values are checked on the bytes with grammar-bytes.ts, and only values that are
// not plain ASCII (or a Contact line with a comma) are decoded and given to the string parsers.
// test/codec/sip/scan.test.ts compares both over every fixture and over mutated ones.
import { ALLOW_HEADER, ALLOWED_METHODS, KNOWN_METHODS } from '../../errors.js';
import { parseCSeq } from './headers.js';
import { parseNameAddr } from './name-addr.js';
import { splitCommaList } from './params.js';
import { parseUri } from './uri.js';
import { isTokenByte, UINT32_MAX } from './chars.js';
import { uriKind, URI_BAD, URI_OTHER, URI_SIP, URI_SIP_HEADERS } from './grammar-bytes.js';
import { HDR, HDR_COUNT, type HdrId } from './header-ids.js';
import { FORM_TAGGED, nameAddrForm, VIA_REFUSED } from './msg-bytes.js';
import type { SipMsg } from './msg.js';
import { NO_RESPONSE, type GateResult } from './request-gate.js';

const ALLOWED = new Set<string>(ALLOWED_METHODS);
const MANDATORY: ReadonlyArray<readonly [HdrId, string]> = [
  [HDR.Via, 'Via'], [HDR.From, 'From'], [HDR.To, 'To'], [HDR.CallId, 'Call-ID'], [HDR.CSeq, 'CSeq'],
];
const SINGLE: ReadonlyArray<readonly [HdrId, string]> = [
  [HDR.To, 'To'], [HDR.From, 'From'], [HDR.CallId, 'Call-ID'], [HDR.CSeq, 'CSeq'], [HDR.MaxForwards, 'Max-Forwards'],
  [HDR.ContentLength, 'Content-Length'], [HDR.ContentType, 'Content-Type'], [HDR.Expires, 'Expires'],
];

// Scratch for gateScanned: per header id, the first line and the number of lines.
const FIRST = new Int32Array(HDR_COUNT);
const COUNT = new Int32Array(HDR_COUNT);

function bad(reason: string): GateResult {
  return { status: 400, reason, headers: [] };
}

function allowResult(status: 405 | 501): GateResult {
  return { status, reason: status === 405 ? 'Method Not Allowed' : 'Not Implemented', headers: [{ name: 'Allow', value: ALLOW_HEADER }] };
}

function hasComma(b: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] === 0x2c) return true;
  return false;
}

/** callid = word [ "@" word ] (§25.1), as request-gate.ts isCallId. */
function callIdOk(b: Buffer, s: number, e: number): boolean {
  if (s === e) return false;
  let at = 0;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c === 0x40) {
      if (++at > 1 || i === s || i === e - 1) return false;
      continue;
    }
    if (c <= 0x20 || c >= 0x7f || c === 0x2c || c === 0x3b || c === 0x3d) return false;
  }
  return true;
}

/** buf[s, e) equals the ASCII string `str`. */
function bytesEqual(b: Buffer, s: number, e: number, str: string): boolean {
  if (e - s !== str.length) return false;
  for (let k = 0; k < str.length; k++) if (b[s + k] !== str.charCodeAt(k)) return false;
  return true;
}

/** CSeq = 1*DIGIT LWS Method, the number ≤ 2^32-1 (headers.ts parseCSeq), on plain ASCII. */
function cseqMethodEquals(b: Buffer, s: number, e: number, method: string): boolean | null {
  let p = s;
  let seq = 0;
  while (p < e && b[p]! >= 0x30 && b[p]! <= 0x39) {
    seq = seq * 10 + (b[p++]! - 0x30);
    if (seq > UINT32_MAX) return null;
  }
  if (p === s || p >= e || (b[p] !== 0x20 && b[p] !== 0x09)) return null;
  while (p < e && (b[p] === 0x20 || b[p] === 0x09)) p++;
  const ms = p;
  while (p < e && isTokenByte(b[p]!)) p++;
  if (p === ms || p !== e) return null;
  return bytesEqual(b, ms, e, method);
}

/** The 'cseq' check of request-gate.ts. */
function cseqCheck(m: SipMsg, i: number): GateResult | null {
  const b = m.buf;
  const s = m.lines[i * 4 + 2]!;
  const e = m.lines[i * 4 + 3]!;
  let same: boolean | null;
  if (m.isPlain(s, e)) same = cseqMethodEquals(b, s, e, m.method);
  else {
    const cseq = parseCSeq(m.valueAt(i));
    same = cseq === null ? null : cseq.method === m.method;
  }
  if (same === null) return bad('Bad CSeq');
  if (same) return null;
  // RFC 4475 §3.1.2.18 (mismatch02): for a method we do not know, 501 is the better answer.
  return KNOWN_METHODS.has(m.method) ? bad('Bad CSeq - method mismatch') : allowResult(501);
}

function contactCheck(m: SipMsg): GateResult | null {
  const b = m.buf;
  const l = m.lines;
  let lines = 0;
  let slow = false;
  for (let i = 0; i < m.count; i++) {
    if (l[i * 4] !== HDR.Contact) continue;
    lines++;
    // A comma, or octets String.trim() might treat differently: the string path decides.
    const s = l[i * 4 + 2]!;
    const e = l[i * 4 + 3]!;
    if (hasComma(b, s, e) || !m.isPlain(s, e)) slow = true;
  }
  if (lines === 0) return null;
  if (slow) {
    const values: string[] = [];
    for (const line of m.linesOf(HDR.Contact)) values.push(...splitCommaList(line, true));
    for (const v of values) {
      if (v === '*') {
        if (m.method !== 'REGISTER' || values.length > 1) return bad('Bad Contact header');
      } else if (parseNameAddr(v) === null) return bad('Bad Contact header');
    }
    return null;
  }
  // One value per line: the line itself (splitCommaList trims, the scanner has trimmed).
  for (let i = 0; i < m.count; i++) {
    if (l[i * 4] !== HDR.Contact) continue;
    const s = l[i * 4 + 2]!;
    const e = l[i * 4 + 3]!;
    if (e - s === 1 && b[s] === 0x2a) {
      if (m.method !== 'REGISTER' || lines > 1) return bad('Bad Contact header');
    } else if (nameAddrForm(m, i) === URI_BAD) return bad('Bad Contact header');
  }
  return null;
}

function requireCheck(m: SipMsg, supported: readonly string[]): GateResult | null {
  // §8.2.2.3: a UAS checks Require (not Proxy-Require), never for CANCEL (ACK is gone already).
  if (m.method === 'CANCEL' || !m.has(HDR.Require)) return null;
  const unknown: string[] = [];
  for (const line of m.linesOf(HDR.Require)) {
    for (const tag of splitCommaList(line)) if (!supported.includes(tag)) unknown.push(tag);
  }
  if (unknown.length === 0) return null;
  return { status: 420, reason: 'Bad Extension', headers: [{ name: 'Unsupported', value: unknown.join(', ') }] };
}

/**
 * gateRequest for a scanned request: null when it may go on to its method logic, otherwise
 * the response to send (`status: 0` = none). The scanner guarantees SIP/2.0 and Vias without
 * commas; everything else is checked here in request-gate.ts's order.
 */
export function gateScanned(m: SipMsg, supported: readonly string[]): GateResult | null {
  if (m.method === 'ACK') return { status: NO_RESPONSE, reason: 'No Response', headers: [] };
  const b = m.buf;
  const l = m.lines;
  // One pass: first line and line count of every header id.
  FIRST.fill(-1);
  COUNT.fill(0);
  for (let i = 0; i < m.count; i++) {
    const id = l[i * 4]!;
    if (COUNT[id]!++ === 0) FIRST[id] = i;
  }
  let missing: string[] | null = null;
  for (const [id, name] of MANDATORY) if (COUNT[id] === 0) (missing ??= []).push(name);
  if (missing !== null) return bad(`Bad Request - missing ${missing.join(', ')}`);

  let multi: string[] | null = null;
  for (const [id, name] of SINGLE) {
    const first = FIRST[id]!;
    if (first < 0) continue;
    let isMulti = COUNT[id]! > 1;
    if (!isMulti && hasComma(b, l[first * 4 + 2]!, l[first * 4 + 3]!)) {
      isMulti = id === HDR.To || id === HDR.From || id === HDR.ContentType ? splitCommaList(m.valueAt(first)).length > 1 : true;
    }
    if (isMulti) (multi ??= []).push(name);
  }
  if (multi !== null) return bad(`Bad Request - multiple values in ${multi.join(', ')}`);

  for (let i = 0; i < m.count; i++) if (l[i * 4] === HDR.Via && m.viaFormAt(i) === VIA_REFUSED) return bad('Bad Via header');
  if (nameAddrForm(m, FIRST[HDR.From]!) === URI_BAD) return bad('Bad From header');
  const toKind = m.toForm & ~FORM_TAGGED;
  if (toKind === URI_BAD) return bad('Bad To header');
  const callId = FIRST[HDR.CallId]!;
  if (!callIdOk(b, l[callId * 4 + 2]!, l[callId * 4 + 3]!)) return bad('Bad Call-ID');
  const cseq = cseqCheck(m, FIRST[HDR.CSeq]!);
  if (cseq !== null) return cseq;

  const us = m.uriStart;
  const ue = us + m.uri.length; // latin1: one char per octet
  const ruri = m.isPlain(us, ue) ? uriKind(b, us, ue) : slowUriKind(m.uri);
  if (ruri === URI_BAD) return bad('Bad Request-URI');
  // RFC 4475 §3.1.2.11 (escruri): headers are meaningless in a Request-URI.
  if (ruri === URI_SIP_HEADERS) return bad('Bad Request-URI - headers not allowed');
  const contact = COUNT[HDR.Contact] === 0 ? null : contactCheck(m);
  if (contact !== null) return contact;
  if (!ALLOWED.has(m.method)) return allowResult(KNOWN_METHODS.has(m.method) ? 405 : 501);
  if (ruri === URI_OTHER) return { status: 416, reason: 'Unsupported URI Scheme', headers: [] };
  // §10.3 step 5: the AoR comes from To and must be a SIP/SIPS URI (RFC 4475 §3.3.4 unksm2).
  if (m.method === 'REGISTER' && toKind === URI_OTHER) return bad('Bad To header - not a SIP URI');
  return COUNT[HDR.Require] === 0 ? null : requireCheck(m, supported);
}

function slowUriKind(s: string): number {
  const u = parseUri(s);
  if (u === null) return URI_BAD;
  if (u.scheme !== 'sip' && u.scheme !== 'sips') return URI_OTHER;
  return u.headers !== null ? URI_SIP_HEADERS : URI_SIP;
}
