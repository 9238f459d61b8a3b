// The server's V8 heap settings: set unless the operator gave node the same flags already.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEAP_GROWING_PERCENT, heapPlan } from '../../src/ops/heap-tuning.js';

test('the heap growing factor and the nursery cap apply by default', () => {
  const expected = { flags: [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`], capNursery: true };
  assert.deepEqual(heapPlan([], ''), expected);
  assert.deepEqual(heapPlan(['--enable-source-maps'], '--max-old-space-size=4096'), expected);
});

test("an operator's own heap flags are kept", () => {
  assert.deepEqual(heapPlan(['--heap-growing-percent=50'], '').flags, []);
  assert.deepEqual(heapPlan([], '--require x.js --heap-growing-percent=10').flags, []);
  assert.equal(heapPlan(['--max-semi-space-size=64'], '').capNursery, false);
  assert.equal(heapPlan([], '--semi-space-growth-factor=4').capNursery, false);
  assert.equal(heapPlan([], '--heap-growing-percent=10').capNursery, true);
});
