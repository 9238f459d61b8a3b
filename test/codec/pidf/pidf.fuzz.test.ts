// Property tests: mutated, truncated and spliced fixture documents never make parsePidf throw,
// and whatever it accepts composes into a document that parses again. The generators and
// properties live in test/codec/fuzz/pidf-fuzz.ts, shared with the long run (`npm run fuzz`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mutantArb, checkMutant, pairArb, checkPair, type PidfFuzzStats } from '../fuzz/pidf-fuzz.js';

test('parsePidf never throws on mutated fixtures; accepted documents compose and re-parse', () => {
  const seen: PidfFuzzStats = { accepted: 0, refused: 0 };
  fc.assert(fc.property(mutantArb, (x) => checkMutant(x, seen)), { seed: 42, numRuns: 1000 });
  // Both outcomes must be exercised, or the property says nothing about one of them.
  assert.ok(seen.accepted >= 100, `only ${seen.accepted} mutants accepted`);
  assert.ok(seen.refused >= 50, `only ${seen.refused} mutants refused`);
});

test('two accepted mutants compose together and re-parse with unique ids', () => {
  fc.assert(fc.property(pairArb, checkPair), { seed: 42, numRuns: 300 });
});
