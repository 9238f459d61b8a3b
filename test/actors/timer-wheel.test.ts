import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerWheel } from '../../src/actors/timer-wheel.js';

test('fires keys in time order, once, when their slot passes', () => {
  const w = new TimerWheel<string>(100, 0);
  w.schedule(250, 'b');
  w.schedule(120, 'a');
  w.schedule(900, 'c');
  const fired: string[] = [];
  w.advance(199, (k) => fired.push(k));
  assert.deepEqual(fired, ['a']);
  w.advance(300, (k) => fired.push(k));
  assert.deepEqual(fired, ['a', 'b']);
  assert.equal(w.size, 1);
  w.advance(5000, (k) => fired.push(k));
  assert.deepEqual(fired, ['a', 'b', 'c']);
  assert.equal(w.size, 0);
});

test('a deadline in the past fires on the next advance; rescheduling from fire works', () => {
  const w = new TimerWheel<number>(10, 1000);
  w.advance(2000, () => assert.fail('empty'));
  w.schedule(5, 1);
  const fired: number[] = [];
  w.advance(2001, (k) => {
    fired.push(k);
    if (k < 3) w.schedule(2001 + 10, k + 1);
  });
  w.advance(2100, (k) => fired.push(k));
  assert.deepEqual(fired, [1, 2]);
});
