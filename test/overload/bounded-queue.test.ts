import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BoundedQueue } from '../../src/overload/bounded-queue.js';

test('FIFO order, refusal when full, undefined when empty', () => {
  const q = new BoundedQueue<number>(3);
  assert.equal(q.capacity, 3);
  assert.equal(q.shift(), undefined);
  assert.equal(q.peek(), undefined);
  assert.deepEqual([1, 2, 3, 4].map((x) => q.push(x)), [true, true, true, false]);
  assert.equal(q.size, 3);
  assert.equal(q.peek(), 1);
  assert.equal(q.shift(), 1);
  assert.equal(q.push(5), true);
  assert.deepEqual([...q], [2, 3, 5]);
  assert.deepEqual([q.shift(), q.shift(), q.shift(), q.shift()], [2, 3, 5, undefined]);
  assert.equal(q.size, 0);
});

test('grows from a small ring up to capacity across wrap-around', () => {
  const q = new BoundedQueue<number>(100, 2);
  let next = 0;
  let expect = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 7; i++) if (q.size < 100) assert.equal(q.push(next++), true);
    for (let i = 0; i < 5; i++) assert.equal(q.shift(), expect++);
  }
  assert.equal(q.size, next - expect);
  assert.deepEqual([...q], Array.from({ length: q.size }, (_, i) => expect + i));
});

test('clear empties the queue and it stays usable', () => {
  const q = new BoundedQueue<string>(2);
  q.push('a');
  q.push('b');
  q.clear();
  assert.equal(q.size, 0);
  assert.equal(q.shift(), undefined);
  assert.equal(q.push('c'), true);
  assert.equal(q.shift(), 'c');
});

test('bad sizes are refused', () => {
  assert.throws(() => new BoundedQueue(0), RangeError);
  assert.throws(() => new BoundedQueue(1.5), RangeError);
  assert.throws(() => new BoundedQueue(4, 0), RangeError);
});

test('property: behaves like a capped array (model-based)', () => {
  const cmd = fc.oneof(fc.record({ t: fc.constant('push' as const), v: fc.integer() }), fc.record({ t: fc.constant('shift' as const) }), fc.record({ t: fc.constant('clear' as const) }));
  fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 8 }), fc.array(cmd, { maxLength: 400 }), (cap, initial, cmds) => {
    const q = new BoundedQueue<number>(cap, initial);
    const model: number[] = [];
    for (const c of cmds) {
      if (c.t === 'push') {
        const accepted = q.push(c.v);
        assert.equal(accepted, model.length < cap);
        if (accepted) model.push(c.v);
      } else if (c.t === 'shift') {
        assert.equal(q.shift(), model.shift());
      } else {
        q.clear();
        model.length = 0;
      }
      assert.equal(q.size, model.length);
      assert.ok(q.size <= cap);
      assert.equal(q.peek(), model[0]);
    }
    assert.deepEqual([...q], model);
  }), { numRuns: 300 });
});
