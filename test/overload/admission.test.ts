// Admission decisions with a controlled clock: per-source buckets, the bounded number of 503s
// a limited source gets before it is ignored, and the global bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admission, REJECTS_PER_SEC } from '../../src/overload/admission.js';

const base = { rateLimit: 0, rateBurst: 1, maxPending: 100, maxStoreQueue: 100 };

test('no rate limit: only the global bounds refuse, with Retry-After 5', () => {
  const a = new Admission(base);
  for (let i = 0; i < 1000; i++) assert.equal(a.admit('10.0.0.1', 1, 0, 0).t, 'ok');
  assert.deepEqual(a.admit('10.0.0.1', 101, 0, 0), { t: 'reject', retryAfter: 5, reason: 'Service Unavailable - overloaded' });
  assert.equal(a.admit('10.0.0.1', 100, 0, 0).t, 'ok');
  assert.equal(a.admit('10.0.0.1', 1, 100, 0).t, 'reject', 'store queue full');
  assert.equal(a.refused.busy, 2);
});

test('per source: the burst passes, then a few 503s with Retry-After 1, then silence; other sources unaffected; refill', () => {
  const a = new Admission({ ...base, rateLimit: 10, rateBurst: 10 });
  const verdicts = Array.from({ length: 40 }, () => a.admit('10.0.0.1', 1, 0, 1000).t);
  assert.equal(verdicts.filter((v) => v === 'ok').length, 10);
  assert.equal(verdicts.filter((v) => v === 'reject').length, REJECTS_PER_SEC);
  assert.equal(verdicts.filter((v) => v === 'drop').length, 40 - 10 - REJECTS_PER_SEC);
  assert.deepEqual(verdicts.slice(0, 11), [...Array(10).fill('ok'), 'reject'], 'ok first, then reject, then drop');
  assert.equal(a.admit('10.0.0.2', 1, 0, 1000).t, 'ok');
  // 10/s: after 500 ms five tokens are back.
  const later = Array.from({ length: 6 }, () => a.admit('10.0.0.1', 1, 0, 1500).t);
  assert.deepEqual(later.slice(0, 5), Array(5).fill('ok'));
  assert.notEqual(later[5], 'ok');
});
