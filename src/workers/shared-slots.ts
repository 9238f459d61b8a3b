// The shared memory between the main thread and the parse workers: a few slots, each an input
// area (datagrams) and an output area (what reading them found), in SharedArrayBuffers handed
// to every worker once, at start (Piscina's workerData). A parse task then carries only
// `{ slot, count }`: no structured clone of the bytes, no transfer, one Promise per batch.
//
// Input of a slot:  ints [0] = count, [1 + i] = end offset of datagram i in the bytes area.
// Output of a slot: per message i, REC ints at ints[i * REC]:
//   [kind, wireAt, blobStart, blobLen, ownStart, ownLen]
//   kind: KEEPALIVE | REQ | RES | BAD
//   wireAt: int index of the message's SipMsg record (msg-wire.ts) in the wire area, or -1
//   blob: msgpack bytes (gate verdict, parsed PIDF, parse failure), when there is one
//   own: the bytes the record describes when they are not the datagram (fallback re-encoding)
// The wire area follows the per-message records; blobs and own bytes share the bytes area.
import { packr } from '../codec/wire/packr.js';
import { readWire, wireSize, writeWire } from '../codec/sip/msg-wire.js';
import type { Read } from '../codec/sip/scan.js';
import type { SipMsg } from '../codec/sip/msg.js';
import type { PidfParseResult } from '../codec/pidf/types.js';

export const KEEPALIVE = 0;
export const REQ = 1;
export const RES = 2;
export const BAD = 3;
const REC = 6;

/** Datagrams per slot, at most (the server's batch cap). */
export const SLOT_MESSAGES = 256;
const IN_BYTES = 1 << 20;
const OUT_BYTES = 1 << 20;
const OUT_INTS = SLOT_MESSAGES * REC + SLOT_MESSAGES * 128;

export interface SlotBuffers {
  inInts: SharedArrayBuffer;
  inBytes: SharedArrayBuffer;
  outInts: SharedArrayBuffer;
  outBytes: SharedArrayBuffer;
}

export function allocateSlots(n: number): SlotBuffers[] {
  return Array.from({ length: n }, () => ({
    inInts: new SharedArrayBuffer(4 * (1 + SLOT_MESSAGES)),
    inBytes: new SharedArrayBuffer(IN_BYTES),
    outInts: new SharedArrayBuffer(4 * OUT_INTS),
    outBytes: new SharedArrayBuffer(OUT_BYTES),
  }));
}

/** One slot's typed views (made once per slot on each side). */
export class SlotView {
  readonly inInts: Int32Array;
  readonly inBytes: Buffer;
  readonly outInts: Int32Array;
  readonly outBytes: Buffer;
  constructor(b: SlotBuffers) {
    this.inInts = new Int32Array(b.inInts);
    this.inBytes = Buffer.from(b.inBytes);
    this.outInts = new Int32Array(b.outInts);
    this.outBytes = Buffer.from(b.outBytes);
  }

  /** Main thread: copies as many datagrams from `from` as fit; returns how many. */
  fill(datagrams: readonly { data: Buffer }[], from: number): number {
    let off = 0;
    let n = 0;
    for (let i = from; i < datagrams.length && n < SLOT_MESSAGES; i++, n++) {
      const d = datagrams[i]!.data;
      if (off + d.length > this.inBytes.length) break;
      d.copy(this.inBytes, off);
      off += d.length;
      this.inInts[1 + n] = off;
    }
    this.inInts[0] = n;
    return n;
  }

  /** Worker: datagram i as a Buffer view over the input area. */
  datagram(i: number): Buffer {
    const start = i === 0 ? 0 : this.inInts[i]!;
    return this.inBytes.subarray(start, this.inInts[1 + i]!);
  }
}

/** Worker side: appends what reading datagram i found to the slot's output. */
export class SlotWriter {
  #wire: number;
  #bytes = 0;
  constructor(readonly view: SlotView) {
    this.#wire = SLOT_MESSAGES * REC;
  }

  put(i: number, r: Read, pidf: PidfParseResult | null): void {
    const o = this.view.outInts;
    const at = i * REC;
    o[at + 1] = -1;
    o[at + 2] = o[at + 3] = o[at + 4] = o[at + 5] = 0;
    switch (r.t) {
      case 'keepalive':
        o[at] = KEEPALIVE;
        return;
      case 'bad':
        o[at] = BAD;
        this.#blob(at, { status: r.status, reason: r.reason, drop: r.drop });
        if (r.partial !== null) this.#msg(at, r.partial, true);
        return;
      case 'res':
        o[at] = RES;
        this.#msg(at, r.msg, r.msg.rewritten);
        return;
      case 'req':
        o[at] = REQ;
        this.#msg(at, r.msg, r.msg.rewritten);
        if (r.gate !== null || pidf !== null) this.#blob(at, { gate: r.gate, pidf });
        return;
    }
  }

  #msg(at: number, msg: SipMsg, own: boolean): void {
    const o = this.view.outInts;
    if (this.#wire + wireSize(msg) > o.length) throw new RangeError('slot output full');
    o[at + 1] = this.#wire;
    this.#wire = writeWire(msg, o, this.#wire);
    if (own) {
      const start = this.#reserve(msg.buf.length);
      msg.buf.copy(this.view.outBytes, start);
      o[at + 4] = start;
      o[at + 5] = msg.buf.length;
    }
  }

  #blob(at: number, value: unknown): void {
    const packed = packr.pack(value);
    const start = this.#reserve(packed.length);
    this.view.outBytes.set(packed, start);
    this.view.outInts[at + 2] = start;
    this.view.outInts[at + 3] = packed.length;
  }

  #reserve(n: number): number {
    if (this.#bytes + n > this.view.outBytes.length) throw new RangeError('slot output full');
    const start = this.#bytes;
    this.#bytes += n;
    return start;
  }
}

/** Main thread: what the worker found for datagram i (`data` is the main thread's own copy). */
export function readSlot(view: SlotView, i: number, data: Buffer): { read: Read; pidf: PidfParseResult | null } {
  const o = view.outInts;
  const at = i * REC;
  const kind = o[at]!;
  const blob = o[at + 3]! > 0 ? (packr.unpack(view.outBytes.subarray(o[at + 2]!, o[at + 2]! + o[at + 3]!)) as Record<string, unknown>) : null;
  // Bytes the record describes: the datagram, or a copy of the worker's re-encoding.
  const bytes = (): Buffer => (o[at + 5]! > 0 ? Buffer.from(view.outBytes.subarray(o[at + 4]!, o[at + 4]! + o[at + 5]!)) : data);
  switch (kind) {
    case KEEPALIVE:
      return { read: { t: 'keepalive' }, pidf: null };
    case RES:
      return { read: { t: 'res', msg: readWire(bytes(), o, o[at + 1]!) }, pidf: null };
    case REQ: {
      const msg = readWire(bytes(), o, o[at + 1]!);
      const gate = (blob?.gate ?? null) as Extract<Read, { t: 'req' }>['gate'];
      return { read: { t: 'req', msg, gate }, pidf: (blob?.pidf ?? null) as PidfParseResult | null };
    }
    default: {
      const b = blob as { status: number; reason: string; drop: boolean };
      const partial = o[at + 1]! >= 0 ? readWire(bytes(), o, o[at + 1]!) : null;
      return { read: { t: 'bad', status: b.status, reason: b.reason, drop: b.drop, partial }, pidf: null };
    }
  }
}
