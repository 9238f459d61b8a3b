// Where a NOTIFY goes (RFC 3261 §8.1.2, §12.2.1.1): the first Route, else the remote target;
// an unresolvable target falls back to the address the SUBSCRIBE came from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostPort, notifyDestination } from '../../src/actors/notifier.js';
import { Sub } from '../../src/actors/subscription.js';
import type { SubscriptionRecord } from '../../src/store/records.js';

test('hostPort reads host and port from the URI forms watchers send', () => {
  assert.deepEqual(hostPort('sip:bob@192.0.2.4:5070;transport=udp'), { host: '192.0.2.4', port: 5070 });
  assert.deepEqual(hostPort('sip:192.0.2.4'), { host: '192.0.2.4', port: null });
  assert.deepEqual(hostPort('<sip:[2001:db8::1]:5080;lr>'), { host: '2001:db8::1', port: 5080 });
  assert.deepEqual(hostPort('sips:alice@example.com'), { host: 'example.com', port: null });
  assert.deepEqual(hostPort('sip:u%40x@h.invalid;transport=ws'), { host: 'h.invalid', port: null });
  assert.deepEqual(hostPort('sip:a:pw@10.0.0.1:5060'), { host: '10.0.0.1', port: 5060 });
  assert.equal(hostPort('tel:+15551234'), null);
  assert.equal(hostPort('sip:h:99999'), null);
});

test('NOTIFY destination: route first, then target, then the SUBSCRIBE source for names we cannot resolve', () => {
  const rec = (over: Partial<SubscriptionRecord>): SubscriptionRecord => ({
    tag: 't', aor: 'sip:a@h', event: 'presence', eventId: null, callId: 'c', remoteTag: 'r', localUri: '<sip:a@h>', remoteUri: '<sip:w@h>',
    watcherAor: '', entity: 'sip:a@h', target: 'sip:w@192.0.2.9:5099', routes: [], expiresAt: Date.now() + 60_000, remoteCseq: 1,
    cseqReserved: 100, state: 'active', polite: false, source: '198.51.100.7 40000', ...over,
  });
  const topic = { aor: 'sip:a@h', event: 'presence', eventId: null, localUri: '<sip:a@h>', entity: 'sip:a@h', counters: [{ n: 0 }, { n: 0 }, { n: 0 }, { n: 0 }, { n: 0 }] };
  assert.deepEqual(notifyDestination(new Sub(topic, rec({}))), { address: '192.0.2.9', port: 5099, family: 4 });
  assert.deepEqual(notifyDestination(new Sub(topic, rec({ routes: ['<sip:[::1]:5061;lr>'] }))), { address: '::1', port: 5061, family: 6 });
  assert.deepEqual(notifyDestination(new Sub(topic, rec({ target: 'sip:x@abcd.invalid;transport=ws' }))), { address: '198.51.100.7', port: 40000, family: 4 });
});
