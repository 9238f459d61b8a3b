// RFC 3261 §18.1.1: a request larger than 1,300 bytes, when the path MTU is unknown, MUST go over
// a congestion-controlled transport (TCP). Large NOTIFYs are the list NOTIFYs of RFC 4662 (and a
// busy presentity's composition). The transports layer plugs in `streamFor`: a stream destination
// (a flow to the same target) for a datagram one, or null when there is none; until it does, the
// NOTIFY stays on UDP and list NOTIFYs are kept under --list-max-body (one UDP datagram).

import type { Destination } from './destination.js';

/** RFC 3261 §18.1.1 threshold, bytes of the whole request. */
export const UDP_SIZE_LIMIT = 1300;

/** A stream destination for this datagram destination, or null (the transports branch provides it). */
export type StreamFor = (dest: Destination) => Destination | null;

/** Where a request of `size` bytes goes: `dest`, or the stream the transports layer offers. */
export function destinationFor(dest: Destination, size: number, streamFor: StreamFor | null): Destination {
  if (size <= UDP_SIZE_LIMIT || streamFor === null) return dest;
  return streamFor(dest) ?? dest;
}
