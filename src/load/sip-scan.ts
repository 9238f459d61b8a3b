// The load generator's reader for what the server sends back: one pass over the header
// section, keeping only the fields a simulated user agent needs (RFC 3261 §7, §8.1.3).
// It is deliberately independent of src/codec so that the generator measures the server
// without sharing its parser (a shared bug would hide itself).

/** What a UAC needs from a datagram; strings are latin1 (all these fields are tokens). */
export interface ScannedMessage {
  isRequest: boolean;
  /** Response status, 0 for requests. */
  status: number;
  /** Request method, or the CSeq method of a response. */
  method: string;
  /** `branch` parameter of the top Via (RFC 3261 §17.1.3 matching). */
  branch: string;
  callId: string;
  cseq: number;
  fromTag: string;
  toTag: string;
  /** SIP-ETag (RFC 3903 §11.3.1), '' when absent. */
  etag: string;
  /** URI inside the first Contact header, '' when absent. */
  contactUri: string;
  /** Subscription-State value (RFC 6665 §8.2.3), '' when absent. */
  subState: string;
  /** Expires header, -1 when absent. */
  expires: number;
  /** Raw header lines a UAS must copy into its response (RFC 3261 §8.2.6.2); requests only. */
  copy: string[];
  /** The message body (a view into the datagram). */
  body: Buffer;
}

const H_VIA = 1;
const H_CALL_ID = 2;
const H_CSEQ = 3;
const H_FROM = 4;
const H_TO = 5;
const H_ETAG = 6;
const H_CONTACT = 7;
const H_SUBSTATE = 8;
const H_EXPIRES = 9;
const H_CLEN = 10;

// Header names we read, long and compact forms (RFC 3261 §7.3.3; Subscription-State has
// none, RFC 6665 §8.2.3). Matched by length then case-insensitive compare, without
// allocating the name: this runs for every header of every datagram.
const BY_LENGTH: ReadonlyArray<ReadonlyArray<readonly [string, number]>> = (() => {
  const names: [string, number][] = [
    ['via', H_VIA], ['v', H_VIA], ['call-id', H_CALL_ID], ['i', H_CALL_ID], ['cseq', H_CSEQ],
    ['from', H_FROM], ['f', H_FROM], ['to', H_TO], ['t', H_TO], ['sip-etag', H_ETAG],
    ['contact', H_CONTACT], ['m', H_CONTACT], ['subscription-state', H_SUBSTATE],
    ['expires', H_EXPIRES], ['content-length', H_CLEN], ['l', H_CLEN],
  ];
  const table: [string, number][][] = [];
  for (const entry of names) (table[entry[0].length] ??= []).push(entry);
  return table;
})();

function nameId(s: string, start: number, end: number): number {
  while (end > start && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0x09)) end--;
  const candidates = BY_LENGTH[end - start];
  if (candidates === undefined) return 0;
  for (const [name, id] of candidates) {
    let i = 0;
    // ASCII letters, digits and '-' only: OR-ing 0x20 lower-cases letters and keeps '-' and digits.
    while (i < name.length && (s.charCodeAt(start + i) | 0x20) === name.charCodeAt(i)) i++;
    if (i === name.length) return id;
  }
  return 0;
}

const CRLF = 0x0d0a;

function tagOf(value: string): string {
  // `;tag=` is a header parameter; it always follows the URI (which may contain `;` only
  // inside `<>` in name-addr form, RFC 3261 §20.10), so search after the closing bracket.
  const gt = value.lastIndexOf('>');
  const at = value.indexOf(';tag=', gt < 0 ? 0 : gt);
  if (at < 0) return '';
  let end = at + 5;
  while (end < value.length) {
    const c = value.charCodeAt(end);
    if (c === 0x3b || c === 0x20 || c === 0x3e || c === 0x2c) break;
    end++;
  }
  return value.slice(at + 5, end);
}

function branchOf(via: string): string {
  const at = via.indexOf('branch=');
  if (at < 0) return '';
  let end = at + 7;
  while (end < via.length) {
    const c = via.charCodeAt(end);
    if (c === 0x3b || c === 0x2c || c === 0x20) break;
    end++;
  }
  return via.slice(at + 7, end);
}

function uriOf(contact: string): string {
  const lt = contact.indexOf('<');
  if (lt >= 0) {
    const gt = contact.indexOf('>', lt);
    return gt > lt ? contact.slice(lt + 1, gt) : '';
  }
  const semi = contact.indexOf(';');
  return (semi < 0 ? contact : contact.slice(0, semi)).trim();
}

/** Scan one datagram; null when it is not a SIP message (keep-alives, garbage). */
export function scanMessage(buf: Buffer): ScannedMessage | null {
  let headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) headEnd = buf.length;
  const head = buf.toString('latin1', 0, headEnd);
  const lineEnd0 = head.indexOf('\r\n');
  const startLine = lineEnd0 < 0 ? head : head.slice(0, lineEnd0);
  const m: ScannedMessage = {
    isRequest: false, status: 0, method: '', branch: '', callId: '', cseq: 0, fromTag: '',
    toTag: '', etag: '', contactUri: '', subState: '', expires: -1, copy: [], body: buf.subarray(0, 0),
  };
  if (startLine.startsWith('SIP/2.0 ')) {
    m.status = Number.parseInt(startLine.slice(8, 11), 10);
    if (!(m.status >= 100 && m.status < 700)) return null;
  } else {
    const sp = startLine.indexOf(' ');
    if (sp <= 0 || !startLine.endsWith(' SIP/2.0')) return null;
    m.isRequest = true;
    m.method = startLine.slice(0, sp);
  }
  let contentLength = -1;
  let pos = lineEnd0 < 0 ? head.length : lineEnd0 + 2;
  while (pos < head.length) {
    let end = head.indexOf('\r\n', pos);
    if (end < 0) end = head.length;
    // Folded continuation lines (RFC 3261 §7.3.1) never carry the fields we read first-hand.
    const colon = head.indexOf(':', pos);
    if (colon > pos && colon < end) {
      const id = nameId(head, pos, colon);
      if (id !== 0) {
        const value = head.slice(colon + 1, end).trim();
        switch (id) {
          case H_VIA:
            if (m.branch === '') m.branch = branchOf(value);
            if (m.isRequest) m.copy.push(head.slice(pos, end));
            break;
          case H_CALL_ID: m.callId = value; if (m.isRequest) m.copy.push(head.slice(pos, end)); break;
          case H_CSEQ: {
            const sp = value.indexOf(' ');
            m.cseq = Number.parseInt(value, 10);
            if (!m.isRequest && sp > 0) m.method = value.slice(sp + 1).trim();
            if (m.isRequest) m.copy.push(head.slice(pos, end));
            break;
          }
          case H_FROM: m.fromTag = tagOf(value); if (m.isRequest) m.copy.push(head.slice(pos, end)); break;
          case H_TO: m.toTag = tagOf(value); if (m.isRequest) m.copy.push(head.slice(pos, end)); break;
          case H_ETAG: m.etag = value; break;
          case H_CONTACT: if (m.contactUri === '') m.contactUri = uriOf(value); break;
          case H_SUBSTATE: m.subState = value; break;
          case H_EXPIRES: m.expires = Number.parseInt(value, 10); break;
          case H_CLEN: contentLength = Number.parseInt(value, 10); break;
        }
      }
    }
    pos = end + 2;
  }
  const bodyStart = Math.min(headEnd + 4, buf.length);
  const bodyEnd = contentLength >= 0 ? Math.min(buf.length, bodyStart + contentLength) : buf.length;
  m.body = buf.subarray(bodyStart, bodyEnd);
  return m;
}

/** True when the datagram is only CRLFs (RFC 5626 §4.4.1 keep-alive). */
export function isKeepAlive(buf: Buffer): boolean {
  return buf.length >= 2 && buf.length <= 4 && buf.readUInt16BE(0) === CRLF;
}
