// The hot path's view of one SIP message: the message bytes plus a table of header-line offsets,
// filled by the single-pass scanner (scan.ts). No per-header objects: a value becomes a string
// only when a handler asks for it (Kamailio's `str` into the receive buffer, decoded late).
//
// Messages the scanner does not take (folding, comma-joined Vias, bare LF …) go through the
// full parser and its gate first, and are then re-encoded in canonical form (one header per
// line, long names, one via-parm per Via line; canonical.ts writes the line table as it
// encodes): every handler sees this one type, whatever the input.
//
// `rewritten` tells which of the two a message is: false = buf is the datagram as received
// (offsets into it), true = buf is the canonical re-encoding (a worker must ship it).
//
// Layout of `lines` (4 int32 per header line, in message order):
//   [hdr id (HDR.* of header-ids.ts, or HDR.OTHER), name start, value start, value end]
// Value offsets exclude the leading/trailing whitespace; values never contain LF, nor CR but
// a lone one (a CR not before LF is a value octet to the full parser as well).

import { isPlainAscii } from './grammar-bytes.js';
import { parseCSeq } from './headers.js';
import { isTokenByte, UINT32_MAX } from './chars.js';
import { canonicalHeaderName } from './header-names.js';
import { HDR, hdrIdOf, type HdrId } from './header-ids.js';
import { decode, internMethod, nameAddrForm, parseTopVia, splitList, tagParam, viaForm } from './msg-bytes.js';

/** The top Via, taken apart once (RFC 3261 §18.2.1, RFC 3581). */
export interface TopVia {
  transport: string; // upper case
  host: string; // lower case, IPv6 with brackets
  port: number | null;
  branch: string; // '' when absent
  rport: boolean; // `;rport` present (with or without value)
  /** Offset in msg.buf just past the via-parm (where `;received=…;rport=…` is inserted). */
  end: number;
  /** Offset in msg.buf of the first `;rport` param's start, and its end (-1 when absent, and
   * when the line holds octets beyond plain ASCII). */
  rportStart: number;
  rportEnd: number;
}

const EMPTY_LINES = new Int32Array(0);
/** Not computed yet (the memoized forms). */
const UNKNOWN = -100;

/** What the start line said (uriStart: offset of the Request-URI in buf, -1 for a response). */
export interface StartInfo {
  isRequest: boolean;
  method: string;
  uri: string;
  status: number;
  uriStart?: number;
}

export class SipMsg {
  readonly buf: Buffer;
  readonly lines: Int32Array;
  readonly count: number;
  readonly isRequest: boolean;
  /** Request method (interned for the methods we know), or '' for a response. */
  readonly method: string;
  /** Request-URI as written, or '' for a response. */
  readonly uri: string;
  readonly status: number;
  readonly bodyStart: number;
  readonly bodyEnd: number;
  /** Offset of the Request-URI in buf (its length is uri.length: latin1), -1 when none. */
  readonly uriStart: number;
  /** buf is the canonical re-encoding of what the fallback parsed, not the datagram. */
  readonly rewritten: boolean;
  /** Every header value and the Request-URI are printable ASCII (and HT): the scanner's
   * finding, so the byte checks need not look again (grammar-bytes.ts precondition). */
  readonly plainAscii: boolean;
  // Lazily decoded, then cached.
  #callId: string | undefined;
  #cseq = -1;
  #cseqMethod: string | undefined;
  #fromTag: string | null | undefined;
  #toTag: string | null | undefined;
  #via: TopVia | null | undefined;
  #toForm = UNKNOWN;
  #via0Form = UNKNOWN;

  constructor(
    buf: Buffer,
    lines: Int32Array,
    count: number,
    start: StartInfo,
    bodyStart: number,
    bodyEnd: number,
    rewritten = false,
    plainAscii = false,
  ) {
    this.buf = buf;
    this.lines = count === 0 ? EMPTY_LINES : lines;
    this.count = count;
    this.isRequest = start.isRequest;
    this.method = start.method;
    this.uri = start.uri;
    this.status = start.status;
    this.bodyStart = bodyStart;
    this.bodyEnd = bodyEnd;
    this.uriStart = start.uriStart ?? -1;
    this.rewritten = rewritten;
    this.plainAscii = plainAscii;
  }

  /** buf[s, e) is printable ASCII and HT (known for the whole message when plainAscii). */
  isPlain(s: number, e: number): boolean {
    return this.plainAscii || isPlainAscii(this.buf, s, e);
  }

  get body(): Buffer {
    return this.buf.subarray(this.bodyStart, this.bodyEnd);
  }

  get bodyLength(): number {
    return this.bodyEnd - this.bodyStart;
  }

  /** Index (line number) of the first line of header `id`, or -1. */
  index(id: HdrId, from = 0): number {
    const l = this.lines;
    for (let i = from; i < this.count; i++) if (l[i * 4] === id) return i;
    return -1;
  }

  has(id: HdrId): boolean {
    return this.index(id) >= 0;
  }

  /** Number of lines of header `id`. */
  countOf(id: HdrId): number {
    let n = 0;
    const l = this.lines;
    for (let i = 0; i < this.count; i++) if (l[i * 4] === id) n++;
    return n;
  }

  /** Decoded value of line `i` (latin1 when ASCII, UTF-8 when valid, latin1 otherwise). */
  valueAt(i: number): string {
    return decode(this.buf, this.lines[i * 4 + 2]!, this.lines[i * 4 + 3]!);
  }

  /** First value of header `id`, or undefined. */
  first(id: HdrId): string | undefined {
    const i = this.index(id);
    return i < 0 ? undefined : this.valueAt(i);
  }

  /** Every line of header `id`, unsplit, in order. */
  linesOf(id: HdrId): string[] {
    const out: string[] = [];
    const l = this.lines;
    for (let i = 0; i < this.count; i++) if (l[i * 4] === id) out.push(this.valueAt(i));
    return out;
  }

  /** All values of a list header: comma lists split (outside quotes and <>), lines in order. */
  values(id: HdrId): string[] {
    const out: string[] = [];
    const l = this.lines;
    for (let i = 0; i < this.count; i++) if (l[i * 4] === id) splitList(this.valueAt(i), out);
    return out;
  }

  /** First value of a header by name (any case, long or compact form already expanded). */
  byName(name: string): string | undefined {
    const canonical = canonicalHeaderName(name);
    const id = hdrIdOf(canonical);
    if (id !== HDR.OTHER) return this.first(id);
    const want = canonical.toLowerCase();
    for (let i = 0; i < this.count; i++) {
      if (this.lines[i * 4] !== HDR.OTHER) continue;
      if (this.nameAt(i).toLowerCase() === want) return this.valueAt(i);
    }
    return undefined;
  }

  /** Header name of line `i` as written. */
  nameAt(i: number): string {
    const s = this.lines[i * 4 + 1]!;
    let e = s;
    const b = this.buf;
    while (e < b.length && b[e] !== 0x3a && b[e] !== 0x20 && b[e] !== 0x09) e++;
    return b.toString('latin1', s, e);
  }

  get callId(): string {
    return (this.#callId ??= this.first(HDR.CallId) ?? '');
  }

  /** CSeq number (0 when absent or malformed: the gate refuses such requests before handlers see them). */
  get cseq(): number {
    if (this.#cseq < 0) this.#parseCSeq();
    return this.#cseq;
  }

  get cseqMethod(): string {
    if (this.#cseq < 0) this.#parseCSeq();
    return this.#cseqMethod!;
  }

  /** CSeq as headers.ts parseCSeq reads it; 0 and '' when it is not `seq LWS method`. */
  #parseCSeq(): void {
    const i = this.index(HDR.CSeq);
    this.#cseq = 0;
    this.#cseqMethod = '';
    if (i < 0) return;
    const b = this.buf;
    const s = this.lines[i * 4 + 2]!;
    const e = this.lines[i * 4 + 3]!;
    if (!this.isPlain(s, e)) {
      const cseq = parseCSeq(this.valueAt(i));
      if (cseq !== null) {
        this.#cseq = cseq.seq;
        this.#cseqMethod = cseq.method;
      }
      return;
    }
    let p = s;
    let n = 0;
    while (p < e && b[p]! >= 0x30 && b[p]! <= 0x39 && n <= UINT32_MAX) n = n * 10 + (b[p++]! - 0x30);
    const digitsEnd = p;
    while (p < e && (b[p] === 0x20 || b[p] === 0x09)) p++;
    const ms = p;
    while (p < e && isTokenByte(b[p]!)) p++;
    if (digitsEnd === s || n > UINT32_MAX || ms === digitsEnd || ms === e || p !== e) return;
    this.#cseq = n;
    this.#cseqMethod = internMethod(b, ms, e);
  }

  get fromTag(): string | null {
    if (this.#fromTag === undefined) this.#fromTag = this.#tag(HDR.From);
    return this.#fromTag;
  }

  /** nameAddrForm of the first To line (0 when there is none), memoized: the gate and the response writer both ask. */
  get toForm(): number {
    if (this.#toForm === UNKNOWN) {
      const i = this.index(HDR.To);
      this.#toForm = i < 0 ? 0 : nameAddrForm(this, i);
    }
    return this.#toForm;
  }

  /** viaForm of Via line i, memoized for the first Via line (the gate and the writer both ask). */
  viaFormAt(i: number): number {
    if (i !== this.index(HDR.Via)) return viaForm(this, i);
    if (this.#via0Form === UNKNOWN) this.#via0Form = viaForm(this, i);
    return this.#via0Form;
  }

  get toTag(): string | null {
    if (this.#toTag === undefined) this.#toTag = this.#tag(HDR.To);
    return this.#toTag;
  }

  /** `tag` param of a From/To line: searched after the URI (past `>` when there is one). */
  #tag(id: HdrId): string | null {
    const i = this.index(id);
    if (i < 0) return null;
    return tagParam(this.buf, this.lines[i * 4 + 2]!, this.lines[i * 4 + 3]!);
  }

  /**
   * The top Via, or null when parseVia (via.ts) would refuse it. "Top" as getHeaderValues
   * finds it: the first non-empty Via value, i.e. the first Via line of any request the gate
   * passed (a later one only when the lines before it are empty).
   */
  get topVia(): TopVia | null {
    if (this.#via === undefined) {
      this.#via = null;
      const l = this.lines;
      for (let i = 0; i < this.count; i++) {
        if (l[i * 4] !== HDR.Via) continue;
        const s = l[i * 4 + 2]!;
        const e = l[i * 4 + 3]!;
        if (this.isPlain(s, e) ? s === e : this.valueAt(i).trim() === '') continue;
        this.#via = parseTopVia(this.buf, s, e, this.plainAscii);
        break;
      }
    }
    return this.#via;
  }
}
