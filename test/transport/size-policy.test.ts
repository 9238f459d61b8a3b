// RFC 3261 §18.1.1: requests over 1,300 bytes prefer a congestion-controlled transport when the
// transports layer offers one; otherwise they stay where they were going.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { destinationFor, UDP_SIZE_LIMIT } from '../../src/transport/size-policy.js';

test('large NOTIFYs take the stream the transports layer offers; small ones and unknown flows stay on UDP', () => {
  const udp = { address: '127.0.0.1', port: 5070, family: 4 as const };
  const tcp = { address: '127.0.0.1', port: 5071, family: 4 as const };
  const offer = () => tcp;
  assert.equal(destinationFor(udp, UDP_SIZE_LIMIT, offer), udp);
  assert.equal(destinationFor(udp, UDP_SIZE_LIMIT + 1, offer), tcp);
  assert.equal(destinationFor(udp, 60_000, null), udp, 'no transports layer yet');
  assert.equal(destinationFor(udp, 60_000, () => null), udp, 'no flow to that target');
});
