import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerWheel } from '../../src/actors/timer-wheel.js';

test('fires keys in time order, once, never before their deadline', () => {
  const w = new TimerWheel<string>(100, 0);
  w.schedule(250, 'b');
  w.schedule(120, 'a');
  w.schedule(900, 'c');
  const fired: string[] = [];
  w.advance(199, (k) => fired.push(k));
  assert.equal(fired.length, 0, "a (120) rounds up to the 200 slot: never early");
  w.advance(200, (k) => fired.push(k));
  assert.deepEqual(fired, ['a']);
  w.advance(300, (k) => fired.push(k));
  assert.deepEqual(fired, ['a', 'b']);
  assert.equal(w.size, 1);
  w.advance(5000, (k) => fired.push(k));
  assert.deepEqual(fired, ['a', 'b', 'c']);
  assert.equal(w.size, 0);
});

test('an overdue deadline fires within one resolution; rescheduling from fire works', () => {
  const w = new TimerWheel<number>(10, 1000);
  w.advance(2000, () => assert.fail('empty'));
  w.schedule(5, 1); // long past
  const fired: number[] = [];
  const fire = (k: number): void => {
    fired.push(k);
    if (k < 3) w.schedule(2020 + k * 10, k + 1);
  };
  w.advance(2010, fire);
  assert.deepEqual(fired, [1]);
  w.advance(2100, fire);
  assert.deepEqual(fired, [1, 2, 3]);
});

test('cancel removes exactly one entry; the others still fire', () => {
  const w = new TimerWheel<object>(1000, 0);
  const a = {};
  const b = {};
  const slotA = w.schedule(5000, a);
  w.schedule(5000, b);
  w.cancel(slotA, a);
  w.cancel(slotA, a); // twice is harmless
  assert.equal(w.size, 1);
  const fired: object[] = [];
  w.advance(6000, (k) => fired.push(k));
  assert.deepEqual(fired, [b]);
});
