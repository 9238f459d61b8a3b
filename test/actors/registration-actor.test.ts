import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRegister, expireBindings } from '../../src/actors/registration-actor.js';

const eq = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const change = (uri: string, expires: number) => ({ contact: `<${uri}>`, uri, expires, q: null, instance: null });

test('adds, refreshes, removes; same Call-ID with an old CSeq aborts everything', () => {
  let r = applyRegister([], [change('sip:a@h', 60), change('sip:b@h', 60)], 'c1', 1, 0, eq);
  assert.ok(r.ok);
  const two = r.ok ? r.bindings : [];
  assert.equal(two.length, 2);
  r = applyRegister(two, [change('sip:A@h', 120)], 'c1', 2, 1000, eq);
  assert.ok(r.ok && r.bindings.find((b) => b.uri === 'sip:A@h')!.expiresAt === 121000);
  r = applyRegister(two, [change('sip:b@h', 0), change('sip:a@h', 30)], 'c1', 1, 1000, eq);
  assert.deepEqual(r, { ok: false, status: 500, reason: 'Out of Order CSeq for Binding' });
  r = applyRegister(two, [change('sip:b@h', 0)], 'other-call', 1, 1000, eq);
  assert.ok(r.ok && r.bindings.length === 1);
});

test('expiry drops only what is due', () => {
  const r = applyRegister([], [change('sip:a@h', 10), change('sip:b@h', 20)], 'c', 1, 0, eq);
  const b = r.ok ? r.bindings : [];
  assert.equal(expireBindings(b, 5000), null);
  assert.equal(expireBindings(b, 10000)!.length, 1);
});
