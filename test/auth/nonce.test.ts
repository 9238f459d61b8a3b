import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mintNonce, openNonce, NonceCounter, MIN_SECRET_BYTES } from '../../src/auth/nonce.js';

const SECRET = Buffer.alloc(32, 7);

test('a minted nonce opens with its secret and carries its time stamp', () => {
  const n = mintNonce(SECRET, 1_700_000_000_123);
  assert.match(n, /^[A-Za-z0-9_-]{75}$/);
  assert.deepEqual(openNonce(n, SECRET), { ok: true, issuedAt: 1_700_000_000_123 });
  assert.deepEqual(openNonce(n, Buffer.alloc(32, 8)), { ok: false });
});

test('nonces differ even at the same instant (random part)', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) seen.add(mintNonce(SECRET, 5));
  assert.equal(seen.size, 100);
  // With a fixed random part the nonce is deterministic.
  const r = Buffer.alloc(16, 1);
  assert.equal(mintNonce(SECRET, 5, r), mintNonce(SECRET, 5, r));
});

test('short secrets are a programming error', () => {
  assert.throws(() => mintNonce(Buffer.alloc(MIN_SECRET_BYTES - 1), 0), TypeError);
  assert.throws(() => openNonce('x', Buffer.alloc(3)), TypeError);
});

test('property: any single-character change breaks authenticity', () => {
  const n = mintNonce(SECRET, 1_700_000_000_000);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  fc.assert(fc.property(fc.nat({ max: n.length - 1 }), fc.constantFrom(...alphabet), (pos, ch) => {
    fc.pre(n[pos] !== ch);
    const changed = n.slice(0, pos) + ch + n.slice(pos + 1);
    return openNonce(changed, SECRET).ok === false;
  }), { numRuns: 500 });
});

test('NonceCounter accepts only increasing counts per nonce', () => {
  const c = new NonceCounter(10);
  assert.equal(c.accept('a', 1), true);
  assert.equal(c.accept('a', 1), false);
  assert.equal(c.accept('a', 3), true);
  assert.equal(c.accept('a', 2), false);
  assert.equal(c.accept('b', 1), true);
  assert.equal(c.highest('a'), 3);
});

test('NonceCounter is a bounded LRU', () => {
  const c = new NonceCounter(2);
  c.accept('a', 1);
  c.accept('b', 1);
  c.accept('a', 2); // a becomes most recent
  c.accept('c', 1); // evicts b
  assert.equal(c.size, 2);
  assert.equal(c.highest('b'), undefined);
  assert.equal(c.highest('a'), 2);
  assert.equal(c.accept('a', 2), false);
  assert.throws(() => new NonceCounter(0), RangeError);
});
