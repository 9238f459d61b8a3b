// A SipMsg as a fixed-layout Int32Array record, so that a worker can scan a datagram and send
// back only the offsets: the main thread rebuilds the view over its own copy of the datagram.
// Messages the fallback re-encoded (`rewritten`) live in a buffer of their own, which the
// worker must send along (the record then describes that buffer, not the datagram).
//
// Record layout (int32 each):
//   [0] WIRE_TAG   [1] flags (1 = request, 2 = rewritten, 4 = plain ASCII)   [2] status
//   [3] method start  [4] method length  [5] uri start (-1)  [6] uri length
//   [7] body start  [8] body end  [9] line count n  [10 … 10+4n) the lines table (msg.ts)
import { internMethod } from './msg-bytes.js';
import { SipMsg } from './msg.js';

/** 'SIP1': marks a record, and its layout version. */
export const WIRE_TAG = 0x53495031;
export const WIRE_HEADER_INTS = 10;
const REQUEST = 1;
const REWRITTEN = 2;
const PLAIN = 4;

/** Ints the record of `msg` takes. */
export function wireSize(msg: SipMsg): number {
  return WIRE_HEADER_INTS + msg.count * 4;
}

/** Writes the record of `msg` at out[at]; returns the index just past it. */
export function writeWire(msg: SipMsg, out: Int32Array, at: number): number {
  let methodStart = 0;
  if (msg.isRequest && msg.method.length > 0) {
    const b = msg.buf;
    while (methodStart < b.length && (b[methodStart] === 0x0d || b[methodStart] === 0x0a)) methodStart++;
  }
  out[at] = WIRE_TAG;
  out[at + 1] = (msg.isRequest ? REQUEST : 0) | (msg.rewritten ? REWRITTEN : 0) | (msg.plainAscii ? PLAIN : 0);
  out[at + 2] = msg.status;
  out[at + 3] = methodStart;
  out[at + 4] = msg.method.length;
  out[at + 5] = msg.uriStart;
  out[at + 6] = msg.uri.length;
  out[at + 7] = msg.bodyStart;
  out[at + 8] = msg.bodyEnd;
  out[at + 9] = msg.count;
  out.set(msg.lines.subarray(0, msg.count * 4), at + WIRE_HEADER_INTS);
  return at + WIRE_HEADER_INTS + msg.count * 4;
}

/**
 * The SipMsg a record at src[at] describes, over `buf` (the datagram, or the rewritten buffer
 * when flag 2 is set). The line table is copied out of `src`, which may be a shared ring.
 * Throws on a record that does not fit `buf`: that is a bug between the two sides, not input.
 */
export function readWire(buf: Buffer, src: Int32Array, at: number): SipMsg {
  if (src[at] !== WIRE_TAG) throw new Error('readWire: not a SipMsg record');
  const flags = src[at + 1]!;
  const count = src[at + 9]!;
  const bodyEnd = src[at + 8]!;
  const bodyStart = src[at + 7]!;
  const lines = src.slice(at + WIRE_HEADER_INTS, at + WIRE_HEADER_INTS + count * 4);
  let maxOffset = bodyEnd;
  for (let i = 0; i < count; i++) maxOffset = Math.max(maxOffset, lines[i * 4 + 3]!);
  if (count < 0 || lines.length !== count * 4 || bodyStart > bodyEnd || maxOffset > buf.length) {
    throw new Error('readWire: record does not fit its buffer');
  }
  const isRequest = (flags & REQUEST) !== 0;
  const methodStart = src[at + 3]!;
  const methodLength = src[at + 4]!;
  const uriStart = src[at + 5]!;
  const uriLength = src[at + 6]!;
  const method = methodLength > 0 ? internMethod(buf, methodStart, methodStart + methodLength) : '';
  const uri = uriStart >= 0 ? buf.toString('latin1', uriStart, uriStart + uriLength) : '';
  const start = { isRequest, method, uri, status: src[at + 2]!, uriStart };
  return new SipMsg(buf, lines, count, start, bodyStart, bodyEnd, (flags & REWRITTEN) !== 0, (flags & PLAIN) !== 0);
}

/** The record of `msg` in an array of its own. */
export function toWire(msg: SipMsg): Int32Array {
  const out = new Int32Array(wireSize(msg));
  writeWire(msg, out, 0);
  return out;
}

/** The SipMsg of a record made by toWire, over `buf`. */
export function fromWire(buf: Buffer, wire: Int32Array): SipMsg {
  return readWire(buf, wire, 0);
}
