// Off-heap storage for the final responses of completed server transactions: a byte ring
// (one Buffer, grown by doubling up to a bound) holding, per transaction, what is needed to
// re-render the response from the retransmitted request itself — status, reason when not the
// default, To tag, extra header lines, Content-Type and body — instead of the response bytes
// (the Via/From/To/Call-ID/CSeq part is copied again from the retransmission).
//
// Records are written in completion order and freed from the oldest, so the ring needs no
// allocator: `head` and `tail` are logical offsets (physical = logical mod capacity) and a
// record never wraps (it starts at the next multiple of the capacity when it would).
//
// Record: u16 status, u16 reason length + 1 (0 = default reason), u16 tag length,
// u16 content-type length + 1 (0 = none), u32 header-lines length, u32 body length, the bytes.
import type { ResponseSpec } from '../codec/sip/response-writer.js';

const HEADER = 16;

export class AnswerArena {
  #buf: Buffer;
  readonly #max: number;
  /** Logical offset where the next record goes / of the oldest live byte. */
  head = 0;
  tail = 0;

  constructor(maxBytes: number, initialBytes = 64 * 1024) {
    this.#max = Math.max(HEADER, maxBytes);
    this.#buf = Buffer.allocUnsafeSlow(Math.min(initialBytes, this.#max));
  }

  get capacity(): number {
    return this.#buf.length;
  }

  /** Bytes a record for `spec` (with its resolved tag) takes. */
  static sizeOf(spec: ResponseSpec, tag: string): number {
    return HEADER + (spec.reason === undefined ? 0 : Buffer.byteLength(spec.reason)) + Buffer.byteLength(tag)
      + (spec.contentType === undefined ? 0 : Buffer.byteLength(spec.contentType)) + pieceLength(spec.headers) + pieceLength(spec.body);
  }

  /**
   * Where a record of `len` bytes would start, or -1 when it does not fit in the free space
   * (the caller frees the oldest records and asks again). Grows the buffer while it may.
   */
  place(len: number): number {
    if (len > this.#max) return -1;
    for (;;) {
      const cap = this.#buf.length;
      let start = this.head;
      const p = start % cap;
      if (p + len > cap) start += cap - p;
      // Empty: nothing live to keep, the skipped gap need not count.
      if (this.tail === this.head) this.tail = this.head = start;
      if (start + len - this.tail <= cap) return start;
      if (cap >= this.#max) return -1;
      this.#grow(Math.min(this.#max, cap * 2));
    }
  }

  /** The length fields of a record can hold this spec (u16 reason, tag, content type). */
  static storable(spec: ResponseSpec, tag: string): boolean {
    return (spec.reason === undefined || Buffer.byteLength(spec.reason) < 0xffff) && Buffer.byteLength(tag) <= 0xffff
      && (spec.contentType === undefined || Buffer.byteLength(spec.contentType) < 0xffff);
  }

  /** True when a record of `len` bytes can ever be stored. */
  fitsAtAll(len: number): boolean {
    return len <= this.#max;
  }

  /** Writes the record at `start` (from place) and advances head. */
  write(start: number, spec: ResponseSpec, tag: string): void {
    const b = this.#buf;
    let p = start % b.length;
    const at = p;
    p += HEADER;
    const reasonLen = spec.reason === undefined ? 0 : b.write(spec.reason, p, 'utf8');
    p += reasonLen;
    const tagLen = b.write(tag, p, 'utf8');
    p += tagLen;
    const ctLen = spec.contentType === undefined ? 0 : b.write(spec.contentType, p, 'utf8');
    p += ctLen;
    const hLen = putPiece(b, p, spec.headers);
    p += hLen;
    const bodyLen = putPiece(b, p, spec.body);
    p += bodyLen;
    b.writeUInt16LE(spec.status, at);
    b.writeUInt16LE(spec.reason === undefined ? 0 : reasonLen + 1, at + 2);
    b.writeUInt16LE(tagLen, at + 4);
    b.writeUInt16LE(spec.contentType === undefined ? 0 : ctLen + 1, at + 6);
    b.writeUInt32LE(hLen, at + 8);
    b.writeUInt32LE(bodyLen, at + 12);
    this.head = start + (p - at);
  }

  /** The spec stored at `start`; header lines and body are views into the arena (copy before keeping). */
  read(start: number): ResponseSpec & { toTag: string } {
    const b = this.#buf;
    let p = start % b.length;
    const status = b.readUInt16LE(p);
    const reasonLen = b.readUInt16LE(p + 2);
    const tagLen = b.readUInt16LE(p + 4);
    const ctLen = b.readUInt16LE(p + 6);
    const hLen = b.readUInt32LE(p + 8);
    const bodyLen = b.readUInt32LE(p + 12);
    p += HEADER;
    const spec: ResponseSpec & { toTag: string } = { status, toTag: '' };
    if (reasonLen > 0) spec.reason = b.toString('utf8', p, (p += reasonLen - 1));
    spec.toTag = b.toString('utf8', p, (p += tagLen));
    if (ctLen > 0) spec.contentType = b.toString('utf8', p, (p += ctLen - 1));
    spec.headers = b.subarray(p, (p += hLen));
    spec.body = b.subarray(p, p + bodyLen);
    return spec;
  }

  /** Copies the live range into a larger buffer; logical offsets stay valid (see file comment). */
  #grow(capacity: number): void {
    const old = this.#buf;
    const next = Buffer.allocUnsafeSlow(capacity);
    for (let x = this.tail; x < this.head;) {
      const n = Math.min(this.head - x, old.length - (x % old.length), capacity - (x % capacity));
      old.copy(next, x % capacity, x % old.length, (x % old.length) + n);
      x += n;
    }
    this.#buf = next;
  }
}

function pieceLength(p: string | Uint8Array | undefined): number {
  if (p === undefined) return 0;
  return typeof p === 'string' ? Buffer.byteLength(p, 'utf8') : p.length;
}

function putPiece(b: Buffer, at: number, p: string | Uint8Array | undefined): number {
  if (p === undefined) return 0;
  if (typeof p === 'string') return b.write(p, at, 'utf8');
  b.set(p, at);
  return p.length;
}
