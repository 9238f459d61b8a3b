// The server's V8 heap settings: set unless the operator gave node the same flag already.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEAP_GROWING_PERCENT, heapFlags } from '../../src/ops/heap-tuning.js';

test('the heap growing factor is set by default', () => {
  assert.deepEqual(heapFlags([], ''), [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
  assert.deepEqual(heapFlags(['--enable-source-maps'], '--max-old-space-size=4096'), [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
});

test("an operator's own --heap-growing-percent is kept", () => {
  assert.deepEqual(heapFlags(['--heap-growing-percent=50'], ''), []);
  assert.deepEqual(heapFlags([], '--require x.js --heap-growing-percent=10'), []);
});
