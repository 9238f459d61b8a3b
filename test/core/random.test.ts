// Dialog tags: unique, ordered by creation (LMDB appends), with 48 random bits at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dialogTag, randomToken } from '../../src/core/random.js';

test('dialog tags sort in creation order and never repeat', () => {
  const t0 = Date.UTC(2026, 11, 2, 12, 0, 0);
  const tags: string[] = [];
  for (let i = 0; i < 3000; i++) tags.push(dialogTag(t0 + Math.floor(i / 1000) * 1000));
  assert.deepEqual([...tags].sort(), tags, 'lexicographic order = creation order');
  assert.equal(new Set(tags).size, tags.length);
  for (const t of tags) assert.match(t, /^[0-9a-z]{9}[A-Za-z0-9_-]{8}$/);
  // The random tail differs even within one second (RFC 3261 §19.3: ≥ 32 random bits).
  assert.equal(new Set(tags.map((t) => t.slice(9))).size, tags.length);
});

test('random tokens are URL-safe and of the asked size', () => {
  assert.match(randomToken(8), /^[A-Za-z0-9_-]{11}$/);
  assert.notEqual(randomToken(), randomToken());
});
