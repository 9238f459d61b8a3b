import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RateLimiter } from '../../src/overload/token-bucket.js';

test('a new key gets its burst, then is limited until tokens refill', () => {
  const rl = new RateLimiter({ ratePerSec: 2, burst: 3, maxKeys: 10 });
  assert.deepEqual([1, 2, 3, 4].map(() => rl.take('a', 0)), [true, true, true, false]);
  assert.equal(rl.take('a', 499), false, 'less than one token after 499 ms at 2/s');
  assert.equal(rl.take('a', 500), true, 'one token after 500 ms');
  assert.equal(rl.take('a', 500), false);
  assert.equal(rl.take('b', 500), true, 'keys are independent');
});

test('refill is capped at burst', () => {
  const rl = new RateLimiter({ ratePerSec: 100, burst: 2, maxKeys: 10 });
  rl.take('a', 0);
  const afterLongIdle = [0, 0, 0].map(() => rl.take('a', 3_600_000));
  assert.deepEqual(afterLongIdle, [true, true, false]);
});

test('time going backwards refills nothing', () => {
  const rl = new RateLimiter({ ratePerSec: 1, burst: 1, maxKeys: 10 });
  assert.equal(rl.take('a', 10_000), true);
  assert.equal(rl.take('a', 0), false);
  assert.equal(rl.take('a', 10_999), false);
  assert.equal(rl.take('a', 11_000), true);
});

test('ratePerSec 0 allows exactly the burst, ever', () => {
  const rl = new RateLimiter({ ratePerSec: 0, burst: 2, maxKeys: 10 });
  assert.deepEqual([0, 1e6, 1e9].map((t) => rl.take('a', t)), [true, true, false]);
});

test('at most maxKeys keys are tracked; the least recently used is evicted', () => {
  const rl = new RateLimiter({ ratePerSec: 0, burst: 1, maxKeys: 2 });
  assert.equal(rl.take('a', 0), true);
  assert.equal(rl.take('b', 0), true);
  assert.equal(rl.take('a', 1), false); // a is now most recent
  assert.equal(rl.take('c', 2), true);  // evicts b
  assert.equal(rl.size, 2);
  assert.equal(rl.take('a', 3), false, 'a was kept, still empty');
  assert.equal(rl.take('b', 4), true, 'b was forgotten and comes back full');
});

test('options are validated', () => {
  assert.throws(() => new RateLimiter({ ratePerSec: -1, burst: 1, maxKeys: 1 }), /ratePerSec/);
  assert.throws(() => new RateLimiter({ ratePerSec: 1, burst: 0, maxKeys: 1 }), /burst/);
  assert.throws(() => new RateLimiter({ ratePerSec: 1, burst: 1, maxKeys: 0 }), /maxKeys/);
  assert.throws(() => new RateLimiter({ ratePerSec: Number.NaN, burst: 1, maxKeys: 1 }), /ratePerSec/);
});

test('property: allowed requests never exceed burst + rate × elapsed, and size never exceeds maxKeys', () => {
  const op = fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), dt: fc.nat({ max: 400 }) });
  fc.assert(fc.property(
    fc.double({ min: 0, max: 50, noNaN: true }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 300 }),
    (rate, burst, maxKeys, ops) => {
      const rl = new RateLimiter({ ratePerSec: rate, burst, maxKeys });
      let now = 0;
      const first = new Map<string, number>();
      const allowed = new Map<string, number>();
      const evictable = maxKeys < 4;
      for (const { key, dt } of ops) {
        now += dt;
        if (!first.has(key)) first.set(key, now);
        if (rl.take(key, now)) allowed.set(key, (allowed.get(key) ?? 0) + 1);
        if (rl.size > maxKeys) return false;
      }
      // Without eviction a key can never get more than its bucket ever held.
      if (!evictable) {
        for (const [key, n] of allowed) {
          if (n > burst + (rate * (now - first.get(key)!)) / 1000 + 1e-9) return false;
        }
      }
      return true;
    }), { numRuns: 300 });
});

test('property: a single key in a tight loop gets exactly burst at one instant', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 100 }), (burst, extra) => {
    const rl = new RateLimiter({ ratePerSec: 10, burst, maxKeys: 1 });
    let ok = 0;
    for (let i = 0; i < burst + extra; i++) if (rl.take('k', 42)) ok++;
    return ok === burst;
  }));
});
