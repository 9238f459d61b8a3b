// The stored form of a dialog: every field round-trips, with and without the derivable parts
// left out (entity = AoR, From = <entity>, presence), routes, UTF-8, and foreign bytes refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeSubscription, emptySubscription, encodeSubscription } from '../../src/store/sub-codec.js';
import type { SubscriptionRecord } from '../../src/store/records.js';

const str = fc.string({ unit: 'grapheme', maxLength: 60 });
const rec: fc.Arbitrary<SubscriptionRecord> = fc.record({
  tag: str, aor: str, event: fc.constantFrom('presence', 'presence.winfo', 'dialog'), eventId: fc.option(str, { nil: null }),
  callId: str, remoteTag: str, localUri: str, remoteUri: str, watcherAor: str, entity: str, target: str,
  routes: fc.array(str, { maxLength: 4 }), expiresAt: fc.integer({ min: 0, max: 4_102_444_800_000 }), remoteCseq: fc.nat({ max: 2 ** 32 - 1 }),
  cseqReserved: fc.nat({ max: 2 ** 32 - 1 }), state: fc.constantFrom('active' as const, 'pending' as const), polite: fc.boolean(), source: str,
}).chain((r) => fc.constantFrom(r, { ...r, entity: r.aor }, { ...r, entity: r.aor, localUri: `<${r.aor}>` }));

test('a dialog record round-trips through its stored form', () => {
  fc.assert(fc.property(rec, (r) => {
    const b = encodeSubscription(r);
    const out = emptySubscription();
    assert.ok(decodeSubscription(b, b.length, out));
    const expected = { ...r, localUri: r.localUri === `<${r.entity}>` ? '' : r.localUri };
    assert.deepEqual({ ...out }, expected);
  }));
});

test('bytes of another version or too short are refused', () => {
  const out = emptySubscription();
  assert.equal(decodeSubscription(Buffer.from([2, 0, 0]), 3, out), false);
  assert.equal(decodeSubscription(Buffer.alloc(0), 0, out), false);
});
