// Request-Line and Status-Line (RFC 3261 §7.1, §7.2), parsed on the bytes of the first line.
// Strict on purpose: RFC 4475 §3.1.2.7–§3.1.2.10 (ltgtruri, lwsruri, lwsstart, trws) allow a
// UAS to reject extra SP, LWS in the URI and `<>` around it, and a lenient split is exactly
// what lets "SIP/2.0  " turn into a bogus 505.
import { isDigit, isTokenByte, SP } from './chars.js';

export type StartLine =
  | { kind: 'request'; method: string; uri: string; version: string; versionOk: boolean }
  | { kind: 'response'; status: number; reason: string; version: string; versionOk: boolean }
  | { kind: 'bad'; response: boolean; reason: string };

const BAD_REQUEST_LINE = 'Bad Request-Line';

/** "SIP/" prefix, case-insensitive (§7.1: the version string is case-insensitive). */
function startsWithSipSlash(b: Uint8Array, s: number, e: number): boolean {
  return e - s >= 4 && (b[s]! | 0x20) === 0x73 && (b[s + 1]! | 0x20) === 0x69 && (b[s + 2]! | 0x20) === 0x70 && b[s + 3] === 0x2f;
}

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (§25.1). Returns -1 bad, 0 other version, 1 = 2.0. */
function checkVersion(b: Uint8Array, s: number, e: number): number {
  if (!startsWithSipSlash(b, s, e)) return -1;
  let i = s + 4;
  const major = i;
  while (i < e && isDigit(b[i]!)) i++;
  if (i === major || i >= e || b[i] !== 0x2e) return -1;
  i++;
  const minor = i;
  while (i < e && isDigit(b[i]!)) i++;
  if (i === minor || i !== e) return -1;
  return e - s === 7 && b[s + 4] === 0x32 && b[s + 6] === 0x30 ? 1 : 0;
}

function parseStatusLine(buf: Buffer, s: number, e: number): StartLine {
  let sp = s;
  while (sp < e && buf[sp] !== SP) sp++;
  const version = checkVersion(buf, s, sp);
  if (version < 0) return { kind: 'bad', response: true, reason: 'Bad Status-Line' };
  // Status-Code = 3DIGIT; anything longer (RFC 4475 §3.1.2.19 "4294967301") is not a code
  // at all, and is rejected before any integer conversion can wrap.
  const c = sp + 1;
  if (sp >= e || e - c < 3 || !isDigit(buf[c]!) || !isDigit(buf[c + 1]!) || !isDigit(buf[c + 2]!)) {
    return { kind: 'bad', response: true, reason: 'Bad Status-Code' };
  }
  if (c + 3 < e && buf[c + 3] !== SP) return { kind: 'bad', response: true, reason: 'Bad Status-Code' };
  const status = (buf[c]! - 0x30) * 100 + (buf[c + 1]! - 0x30) * 10 + (buf[c + 2]! - 0x30);
  if (status < 100) return { kind: 'bad', response: true, reason: 'Bad Status-Code' };
  // Reason-Phrase may be empty (RFC 4475 §3.1.1.13) and may carry UTF-8 (§3.1.1.12).
  const reason = c + 4 <= e ? buf.toString('utf8', c + 4, e) : '';
  return { kind: 'response', status, reason, version: buf.toString('latin1', s, sp), versionOk: version === 1 };
}

function parseRequestLine(buf: Buffer, s: number, e: number): StartLine {
  const bad: StartLine = { kind: 'bad', response: false, reason: BAD_REQUEST_LINE };
  let sp1 = s;
  while (sp1 < e && isTokenByte(buf[sp1]!)) sp1++;
  // Method = token, then exactly one SP.
  if (sp1 === s || sp1 >= e || buf[sp1] !== SP) return bad;
  const u = sp1 + 1;
  let sp2 = u;
  // Request-URI: no SP/HT/CTL inside, and not wrapped in <> (§3.1.2.7).
  while (sp2 < e) {
    const c = buf[sp2]!;
    if (c === SP) break;
    if (c < 0x21 || c === 0x7f || c === 0x3c || c === 0x3e || c === 0x22) return bad;
    sp2++;
  }
  if (sp2 === u || sp2 >= e) return bad;
  const version = checkVersion(buf, sp2 + 1, e);
  if (version < 0) return bad;
  return {
    kind: 'request',
    method: buf.toString('latin1', s, sp1),
    uri: buf.toString('latin1', u, sp2),
    version: buf.toString('latin1', sp2 + 1, e),
    versionOk: version === 1,
  };
}

/** Parses `buf[s, e)` (the first line without its CRLF). */
export function parseStartLine(buf: Buffer, s: number, e: number): StartLine {
  if (startsWithSipSlash(buf, s, e)) return parseStatusLine(buf, s, e);
  return parseRequestLine(buf, s, e);
}
