// The intrusive timer wheel: order, never early, O(1) cancel/reschedule, and the edge cases of
// items cancelled or rescheduled by another item firing in the same slot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerWheel, type Timed } from '../../src/actors/timer-wheel.js';

class Item implements Timed {
  at = 0;
  slot = -1;
  idx = 0;
  constructor(readonly name: string) {}
}

test('fires items in time order, once, never before their deadline', () => {
  const w = new TimerWheel<Item>(100, 0);
  const [a, b, c] = [new Item('a'), new Item('b'), new Item('c')];
  w.schedule(b, 250);
  w.schedule(a, 120);
  w.schedule(c, 900);
  const fired: string[] = [];
  w.advance(199, (i) => fired.push(i.name));
  assert.equal(fired.length, 0, 'a (120) rounds up to the 200 slot: never early');
  w.advance(200, (i) => fired.push(i.name));
  assert.deepEqual(fired, ['a']);
  w.advance(300, (i) => fired.push(i.name));
  assert.deepEqual(fired, ['a', 'b']);
  assert.equal(w.size, 1);
  w.advance(5000, (i) => fired.push(i.name));
  assert.deepEqual(fired, ['a', 'b', 'c']);
  assert.equal(w.size, 0);
  assert.equal(c.slot, -1);
});

test('an overdue deadline fires within one resolution; rescheduling from fire works', () => {
  const w = new TimerWheel<Item>(10, 1000);
  w.advance(2000, () => assert.fail('empty'));
  const items = [new Item('1'), new Item('2'), new Item('3')];
  w.schedule(items[0]!, 5); // long past
  const fired: string[] = [];
  const fire = (i: Item): void => {
    fired.push(i.name);
    const k = Number(i.name);
    if (k < 3) w.schedule(items[k]!, 2020 + k * 10);
  };
  w.advance(2010, fire);
  assert.deepEqual(fired, ['1']);
  w.advance(2100, fire);
  assert.deepEqual(fired, ['1', '2', '3']);
});

test('cancel and reschedule are exact; the others still fire; no stale entries', () => {
  const w = new TimerWheel<Item>(1000, 0);
  const items = Array.from({ length: 50 }, (_, i) => new Item(`i${i}`));
  for (const it of items) w.schedule(it, 5000);
  w.cancel(items[10]!);
  w.cancel(items[10]!); // twice is harmless
  w.schedule(items[20]!, 9000); // moved, not duplicated
  w.schedule(items[20]!, 9500);
  assert.equal(w.size, 49);
  const fired: string[] = [];
  w.advance(6000, (i) => fired.push(i.name));
  assert.equal(fired.length, 48);
  assert.ok(!fired.includes('i10') && !fired.includes('i20'));
  w.advance(10_000, (i) => fired.push(i.name));
  assert.deepEqual(fired.slice(48), ['i20']);
  assert.equal(w.size, 0);
});

test('an item cancelled or moved by an earlier item of the same slot does not fire there', () => {
  const w = new TimerWheel<Item>(1000, 0);
  const [a, b, c] = [new Item('a'), new Item('b'), new Item('c')];
  for (const it of [a, b, c]) w.schedule(it, 2000);
  const fired: string[] = [];
  w.advance(2000, (i) => {
    fired.push(i.name);
    if (i === a) {
      w.cancel(b);
      w.schedule(c, 4000);
    }
  });
  assert.deepEqual(fired, ['a']);
  w.advance(4000, (i) => fired.push(i.name));
  assert.deepEqual(fired, ['a', 'c']);
});
