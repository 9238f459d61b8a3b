// The load generator's reader for what the server sends: one pass over the bytes of a
// datagram that records where the few fields a simulated user agent needs are (RFC 3261 §7,
// §8.1.3), without creating strings or objects; callers take a string only of the field they
// use. One SipView is reused for every datagram of a socket, so it is valid only until the
// next scan. Deliberately independent of src/codec: the generator must not share the
// server's parser (a shared bug would hide itself).

export const M_OTHER = 0;
export const M_REGISTER = 1;
export const M_PUBLISH = 2;
export const M_SUBSCRIBE = 3;
export const M_NOTIFY = 4;
export const M_OPTIONS = 5;
export const METHOD_NAMES: readonly string[] = ['OTHER', 'REGISTER', 'PUBLISH', 'SUBSCRIBE', 'NOTIFY', 'OPTIONS'];

/** Fields whose value position is recorded (`start`/`end` are byte offsets into the datagram). */
export const F_BRANCH = 0;
export const F_CALL_ID = 1;
export const F_FROM_TAG = 2;
export const F_TO_TAG = 3;
export const F_ETAG = 4;
export const F_CONTACT_URI = 5;
export const F_SUBSTATE = 6;
export const F_METHOD = 7;
const FIELDS = 8;

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
// none, RFC 6665 §8.2.3), grouped by length so a line's name is compared with few candidates.
const BY_LENGTH: ReadonlyArray<ReadonlyArray<readonly [Uint8Array, number]>> = (() => {
  const names: [string, number][] = [
    ['via', H_VIA], ['v', H_VIA], ['call-id', H_CALL_ID], ['i', H_CALL_ID], ['cseq', H_CSEQ],
    ['from', H_FROM], ['f', H_FROM], ['to', H_TO], ['t', H_TO], ['sip-etag', H_ETAG],
    ['contact', H_CONTACT], ['m', H_CONTACT], ['subscription-state', H_SUBSTATE],
    ['expires', H_EXPIRES], ['content-length', H_CLEN], ['l', H_CLEN],
  ];
  const table: [Uint8Array, number][][] = [];
  for (let len = 0; len <= 18; len++) table.push([]);
  for (const [name, id] of names) table[name.length]!.push([Buffer.from(name, 'latin1'), id]);
  return table;
})();

const MAX_COPY = 16;
const SIP_VERSION = Buffer.from(' SIP/2.0', 'latin1');
const BRANCH = Buffer.from('branch=', 'latin1');
const TAG = Buffer.from(';tag=', 'latin1');
const TERMINATED = Buffer.from('terminated', 'latin1');

/** Lower-cases ASCII letters and keeps '-' and digits: enough to compare header names and params. */
function lowerEquals(b: Uint8Array, at: number, word: Uint8Array): boolean {
  for (let i = 0; i < word.length; i++) if ((b[at + i]! | 0x20) !== (word[i]! | 0x20)) return false;
  return true;
}

function find(b: Uint8Array, from: number, to: number, word: Uint8Array): number {
  const last = to - word.length;
  for (let i = from; i <= last; i++) if (lowerEquals(b, i, word)) return i;
  return -1;
}

/** End of a parameter value: `;`, `,`, `>`, whitespace or the end of the header value. */
function paramEnd(b: Uint8Array, from: number, to: number): number {
  let i = from;
  while (i < to) {
    const c = b[i]!;
    if (c === 0x3b || c === 0x2c || c === 0x3e || c === 0x20 || c === 0x09) break;
    i++;
  }
  return i;
}

function parseUint(b: Uint8Array, from: number, to: number): number {
  let v = -1;
  for (let i = from; i < to; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 9) break;
    v = (v < 0 ? 0 : v * 10) + d;
  }
  return v;
}

function methodId(b: Uint8Array, from: number, to: number): number {
  const len = to - from;
  const c = b[from];
  if (len === 8 && c === 0x52) return M_REGISTER; // REGISTER
  if (len === 7 && c === 0x50) return M_PUBLISH; // PUBLISH
  if (len === 9 && c === 0x53) return M_SUBSCRIBE; // SUBSCRIBE
  if (len === 6 && c === 0x4e) return M_NOTIFY; // NOTIFY
  if (len === 7 && c === 0x4f) return M_OPTIONS; // OPTIONS
  return M_OTHER;
}

export class SipView {
  buf: Buffer = Buffer.alloc(0);
  isRequest = false;
  /** Response status, 0 for requests. */
  status = 0;
  /** Request method, or the CSeq method of a response (M_* ids). */
  method = M_OTHER;
  cseq = -1;
  /** Expires header, -1 when absent. */
  expires = -1;
  bodyStart = 0;
  bodyEnd = 0;
  readonly start = new Int32Array(FIELDS);
  readonly end = new Int32Array(FIELDS);
  /** Header lines (with their CRLF) a UAS copies into its response (RFC 3261 §8.2.6.2). */
  readonly copyStart = new Int32Array(MAX_COPY);
  readonly copyEnd = new Int32Array(MAX_COPY);
  copyCount = 0;

  /** Scan one datagram; false when it is not a SIP message (keep-alives, garbage). */
  scan(buf: Buffer): boolean {
    this.buf = buf;
    this.start.fill(-1);
    this.end.fill(-1);
    this.status = 0;
    this.method = M_OTHER;
    this.cseq = -1;
    this.expires = -1;
    this.copyCount = 0;
    const len = buf.length;
    let eol = 0;
    while (eol < len && buf[eol] !== 0x0a) eol++;
    const lineEnd = eol > 0 && buf[eol - 1] === 0x0d ? eol - 1 : eol;
    if (lineEnd >= 12 && buf[0] === 0x53 && buf[1] === 0x49 && buf[2] === 0x50 && buf[3] === 0x2f && buf[7] === 0x20) {
      this.isRequest = false;
      this.status = parseUint(buf, 8, 11);
      if (!(this.status >= 100 && this.status < 700)) return false;
    } else {
      let sp = 0;
      while (sp < lineEnd && buf[sp] !== 0x20) sp++;
      if (sp === 0 || sp >= lineEnd || lineEnd < SIP_VERSION.length || !lowerEquals(buf, lineEnd - SIP_VERSION.length, SIP_VERSION)) return false;
      this.isRequest = true;
      this.method = methodId(buf, 0, sp);
      this.start[F_METHOD] = 0;
      this.end[F_METHOD] = sp;
    }
    let contentLength = -1;
    let pos = eol + 1;
    let bodyStart = len;
    while (pos < len) {
      let e = pos;
      let colon = -1;
      while (e < len && buf[e] !== 0x0a) {
        if (colon < 0 && buf[e] === 0x3a) colon = e;
        e++;
      }
      const stop = e > pos && buf[e - 1] === 0x0d ? e - 1 : e;
      if (stop === pos) {
        bodyStart = e + 1;
        break;
      }
      // Folded continuation lines (RFC 3261 §7.3.1) never carry the fields we read.
      const first = buf[pos]!;
      if (colon > pos && first !== 0x20 && first !== 0x09 && colon < stop) {
        const id = this.#nameId(buf, pos, colon);
        if (id !== 0) contentLength = this.#header(id, pos, colon + 1, stop, e, contentLength);
      }
      pos = e + 1;
    }
    this.bodyStart = Math.min(bodyStart, len);
    this.bodyEnd = contentLength >= 0 ? Math.min(len, this.bodyStart + contentLength) : len;
    return true;
  }

  #nameId(b: Uint8Array, from: number, colon: number): number {
    let to = colon;
    while (to > from && (b[to - 1] === 0x20 || b[to - 1] === 0x09)) to--;
    const candidates = BY_LENGTH[to - from];
    if (candidates === undefined) return 0;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      if (lowerEquals(b, from, c[0])) return c[1];
    }
    return 0;
  }

  /** Record one header's value; returns the Content-Length seen so far. */
  #header(id: number, lineStart: number, from: number, to: number, eol: number, contentLength: number): number {
    const b = this.buf;
    while (from < to && (b[from] === 0x20 || b[from] === 0x09)) from++;
    while (to > from && (b[to - 1] === 0x20 || b[to - 1] === 0x09)) to--;
    const copy = id === H_VIA || id === H_CALL_ID || id === H_CSEQ || id === H_FROM || id === H_TO;
    if (copy && this.isRequest && this.copyCount < MAX_COPY) {
      this.copyStart[this.copyCount] = lineStart;
      this.copyEnd[this.copyCount++] = eol + 1 <= b.length ? eol + 1 : eol;
    }
    switch (id) {
      case H_VIA:
        if (this.start[F_BRANCH]! < 0) this.#param(F_BRANCH, BRANCH, from, to);
        break;
      case H_CALL_ID: this.#set(F_CALL_ID, from, to); break;
      case H_CSEQ: {
        this.cseq = parseUint(b, from, to);
        let m = from;
        while (m < to && b[m] !== 0x20 && b[m] !== 0x09) m++;
        while (m < to && (b[m] === 0x20 || b[m] === 0x09)) m++;
        if (!this.isRequest) this.method = methodId(b, m, to);
        break;
      }
      case H_FROM: this.#tag(F_FROM_TAG, from, to); break;
      case H_TO: this.#tag(F_TO_TAG, from, to); break;
      case H_ETAG: this.#set(F_ETAG, from, to); break;
      case H_CONTACT: if (this.start[F_CONTACT_URI]! < 0) this.#uri(from, to); break;
      case H_SUBSTATE: this.#set(F_SUBSTATE, from, to); break;
      case H_EXPIRES: this.expires = parseUint(b, from, to); break;
      case H_CLEN: return parseUint(b, from, to);
    }
    return contentLength;
  }

  #set(f: number, from: number, to: number): void {
    this.start[f] = from;
    this.end[f] = to;
  }

  #param(f: number, name: Uint8Array, from: number, to: number): void {
    const at = find(this.buf, from, to, name);
    if (at >= 0) this.#set(f, at + name.length, paramEnd(this.buf, at + name.length, to));
  }

  #tag(f: number, from: number, to: number): void {
    // `;tag=` is a header parameter: it follows the URI, which may hold `;` only inside `<>`
    // (name-addr form, RFC 3261 §20.10), so search after the closing bracket.
    let gt = to - 1;
    while (gt >= from && this.buf[gt] !== 0x3e) gt--;
    this.#param(f, TAG, gt < from ? from : gt, to);
  }

  #uri(from: number, to: number): void {
    const b = this.buf;
    let lt = from;
    while (lt < to && b[lt] !== 0x3c) lt++;
    if (lt < to) {
      let gt = lt + 1;
      while (gt < to && b[gt] !== 0x3e) gt++;
      if (gt < to) this.#set(F_CONTACT_URI, lt + 1, gt);
      return;
    }
    let semi = from;
    while (semi < to && b[semi] !== 0x3b) semi++;
    while (semi > from && (b[semi - 1] === 0x20 || b[semi - 1] === 0x09)) semi--;
    this.#set(F_CONTACT_URI, from, semi);
  }

  has(f: number): boolean {
    return this.start[f]! >= 0;
  }

  /** The field as a string ('' when absent); latin1, as every field we read is a token or URI. */
  str(f: number): string {
    const s = this.start[f]!;
    return s < 0 ? '' : this.buf.toString('latin1', s, this.end[f]!);
  }

  /** Compare a field with a string without creating one. */
  fieldIs(f: number, value: string): boolean {
    const s = this.start[f]!;
    if (s < 0) return value === '';
    if (this.end[f]! - s !== value.length) return false;
    for (let i = 0; i < value.length; i++) if (this.buf[s + i] !== value.charCodeAt(i)) return false;
    return true;
  }

  /** Subscription-State is `terminated` (RFC 6665 §4.1.3). */
  isTerminated(): boolean {
    const s = this.start[F_SUBSTATE]!;
    return s >= 0 && this.end[F_SUBSTATE]! - s >= TERMINATED.length && lowerEquals(this.buf, s, TERMINATED);
  }

  /** The body contains `marker` (a latin1 Buffer). */
  bodyHas(marker: Buffer): boolean {
    const at = this.buf.indexOf(marker, this.bodyStart);
    return at >= 0 && at + marker.length <= this.bodyEnd;
  }

  body(): Buffer {
    return this.buf.subarray(this.bodyStart, this.bodyEnd);
  }
}

/** True when the datagram is only CRLFs (RFC 5626 §4.4.1 keep-alive). */
export function isKeepAlive(buf: Buffer): boolean {
  return buf.length >= 2 && buf.length <= 4 && buf[0] === 0x0d && buf[1] === 0x0a;
}
