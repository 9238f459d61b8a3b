// Realistic request bytes for benchmarks: the captured Linphone messages.
import { readFixture } from '../../test/support/fixtures.js';

export const REGISTER = readFixture('clients', 'linphonec', '01-REGISTER.sip');
export const PUBLISH = readFixture('clients', 'linphonec', '02-PUBLISH-initial.sip');
export const SUBSCRIBE = readFixture('clients', 'linphonec', '03-SUBSCRIBE.sip');

/** `n` datagrams concatenated as the transport hands a batch to the parse task. */
export function batchOf(msgs: Buffer[], n: number): { data: Uint8Array; ends: Uint32Array } {
  const parts = Array.from({ length: n }, (_, i) => msgs[i % msgs.length]!);
  const data = new Uint8Array(parts.reduce((a, b) => a + b.length, 0));
  const ends = new Uint32Array(n);
  let off = 0;
  parts.forEach((p, i) => {
    data.set(p, off);
    off += p.length;
    ends[i] = off;
  });
  return { data, ends };
}
