// Property test over mutated real messages (undici test/fuzzing style): the parser and the gate
// must never throw, must answer only with the statuses a parse failure may carry, and must not
// hang. Fixed seed, so a failure reproduces exactly. The generators and properties live in
// test/codec/fuzz/sip-fuzz.ts, shared with the long run (`npm run fuzz`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mutantArb, checkMutant, bytesArb, checkBytes, type SipFuzzStats } from '../fuzz/sip-fuzz.js';

test('fuzz: mutated, truncated and spliced fixtures never throw and fail only with 400/505/513/drop', () => {
  const stats: SipFuzzStats = { oks: 0, fails: 0 };
  fc.assert(fc.property(mutantArb, (x) => checkMutant(x, stats)), { seed: 42, numRuns: 2000 });
  // The mutations must exercise both sides.
  assert.ok(stats.oks > 100, `ok parses: ${stats.oks}`);
  assert.ok(stats.fails > 100, `failures: ${stats.fails}`);
});

test('fuzz: arbitrary bytes never throw', () => {
  fc.assert(fc.property(bytesArb, checkBytes), { seed: 42, numRuns: 2000 });
});
