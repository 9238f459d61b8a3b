// Request templates: a message is laid out once as bytes, and each request only copies them
// and writes its varying bytes. Numeric holes are fixed-width lowercase hex (transaction id,
// user number, watcher index), so their offsets never move and a template without string
// holes is one copy plus a few digit writes. String holes (a dialog's tags, an ETag) are
// variable; a message with them is assembled from the fixed chunks between them.
//
//   const t = new SipTemplate(sip`REGISTER sip:${domain} SIP/2.0\r\nVia: ...;branch=z9hG4bK${TX_SLOT}${TX_GEN}...`);
//   const buf = t.render(values.set(slot, gen, n, 0));

/** The values a render writes into the holes; one instance is reused for every request. */
export class HoleValues {
  /** Numeric holes by index (the `arg` of the hole constants below); all < 2^32. */
  readonly num = new Float64Array(6);
  /** String holes by index. */
  readonly str: string[] = ['', '', '', ''];

  set(txSlot: number, txGen: number, n: number, idx: number): this {
    const v = this.num;
    v[0] = txSlot;
    v[1] = txGen;
    v[2] = n;
    v[3] = idx;
    return this;
  }

  dialog(slot: number, gen: number): this {
    this.num[4] = slot;
    this.num[5] = gen;
    return this;
  }
}

/** A numeric hole: which HoleValues.num entry, and its width in hex digits. */
export interface NumHole {
  readonly kind: 'num';
  readonly arg: number;
  readonly width: number;
}

/** A string hole: which HoleValues.str entry, written as latin1. */
export interface StrHole {
  readonly kind: 'str';
  readonly arg: number;
}

export type Hole = NumHole | StrHole;

/** The transaction id: 6 hex digits of slot then 6 of generation (see uac-transaction.ts). */
export const TX_SLOT: NumHole = { kind: 'num', arg: 0, width: 6 };
export const TX_GEN: NumHole = { kind: 'num', arg: 1, width: 6 };
/** The call number (user names, PIDF markers). */
export const N: NumHole = { kind: 'num', arg: 2, width: 8 };
/** A watcher's index within a fan-out call. */
export const IDX: NumHole = { kind: 'num', arg: 3, width: 4 };
/** The id of the transaction that created a dialog (its Call-ID and local tag). */
export const DLG_SLOT: NumHole = { kind: 'num', arg: 4, width: 6 };
export const DLG_GEN: NumHole = { kind: 'num', arg: 5, width: 6 };
export const S0: StrHole = { kind: 'str', arg: 0 };
export const S1: StrHole = { kind: 'str', arg: 1 };
export const S2: StrHole = { kind: 'str', arg: 2 };
export const S3: StrHole = { kind: 'str', arg: 3 };

const HEX = Buffer.from('0123456789abcdef', 'latin1');

/** Write `value` (0 ≤ value < 2^32) as `width` lowercase hex digits. */
export function writeHex(out: Uint8Array, at: number, value: number, width: number): void {
  let v = value >>> 0;
  for (let i = at + width - 1; i >= at; i--) {
    out[i] = HEX[v & 15]!;
    v >>>= 4;
  }
}

/** Read `width` hex digits; -1 when one is not a hex digit. */
export function readHex(b: Uint8Array, at: number, width: number): number {
  let v = 0;
  for (let i = at; i < at + width; i++) {
    const c = b[i]! | 0x20;
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

export function hex(value: number, width: number): string {
  return (value >>> 0).toString(16).padStart(width, '0');
}

export type Part = string | Hole;

/** One fixed chunk and the numeric holes inside it, followed by a string hole (or the end). */
interface Chunk {
  bytes: Buffer;
  holeAt: number[];
  holeArg: number[];
  holeWidth: number[];
  /** String argument written after this chunk, -1 after the last chunk. */
  strArg: number;
}

export class SipTemplate {
  readonly #chunks: Chunk[];
  readonly #fixedLength: number;

  constructor(parts: readonly Part[]) {
    this.#chunks = [];
    let text = '';
    let holes: [number, number, number][] = [];
    const close = (strArg: number): void => {
      const bytes = Buffer.from(text, 'latin1');
      this.#chunks.push({ bytes, holeAt: holes.map((h) => h[0]), holeArg: holes.map((h) => h[1]), holeWidth: holes.map((h) => h[2]), strArg });
      text = '';
      holes = [];
    };
    for (const p of parts) {
      if (typeof p === 'string') text += p;
      else if (p.kind === 'num') {
        holes.push([text.length, p.arg, p.width]);
        text += '0'.repeat(p.width);
      } else close(p.arg);
    }
    close(-1);
    this.#fixedLength = this.#chunks.reduce((a, c) => a + c.bytes.length, 0);
  }

  /** Bytes of the message without its string holes. */
  get fixedLength(): number {
    return this.#fixedLength;
  }

  /** A fresh Buffer with the holes filled (fresh because a retransmission re-sends it). */
  render(v: HoleValues): Buffer {
    const chunks = this.#chunks;
    const num = v.num;
    let len = this.#fixedLength;
    for (let c = 0; c < chunks.length - 1; c++) len += v.str[chunks[c]!.strArg]!.length;
    const out = Buffer.allocUnsafe(len);
    let at = 0;
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c]!;
      chunk.bytes.copy(out, at);
      for (let h = 0; h < chunk.holeAt.length; h++) writeHex(out, at + chunk.holeAt[h]!, num[chunk.holeArg[h]!]!, chunk.holeWidth[h]!);
      at += chunk.bytes.length;
      if (chunk.strArg >= 0) at += out.write(v.str[chunk.strArg]!, at, 'latin1');
    }
    return at === len ? out : out.subarray(0, at);
  }
}

/** Tagged template: strings are inlined, holes stay holes; the parts feed `new SipTemplate`. */
export function sip(strings: TemplateStringsArray, ...values: (string | number | Hole)[]): Part[] {
  const parts: Part[] = [strings[0]!];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    parts.push(typeof v === 'object' ? v : String(v), strings[i + 1]!);
  }
  return parts;
}

/** Byte length of parts without string holes (a body, whose Content-Length is then fixed). */
export function fixedLength(parts: readonly Part[]): number {
  let n = 0;
  for (const p of parts) {
    if (typeof p === 'string') n += Buffer.byteLength(p, 'latin1');
    else if (p.kind === 'num') n += p.width;
    else throw new Error('a string hole has no fixed length');
  }
  return n;
}
