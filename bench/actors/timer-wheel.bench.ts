// The expiry wheel at a million timers: schedule, reschedule (a refresh), then fire them all.
import { performance } from 'node:perf_hooks';
import { TimerWheel, type Timed } from '../../src/actors/timer-wheel.js';
import { printRate, isMain } from '../support/report.js';

class Item implements Timed {
  at = 0;
  slot = -1;
  idx = 0;
}

export async function run(): Promise<void> {
  console.log(`# timer-wheel (node ${process.version})`);
  const n = 1_000_000;
  const w = new TimerWheel<Item>(1000, 0);
  const items = Array.from({ length: n }, () => new Item());
  let t0 = performance.now();
  for (let i = 0; i < n; i++) w.schedule(items[i]!, 1000 + ((i * 7919) % 3_600_000));
  printRate('schedule 1M expiries over an hour', n, performance.now() - t0, 'timers');
  t0 = performance.now();
  for (let i = 0; i < n; i++) w.schedule(items[i]!, 2000 + ((i * 104729) % 3_600_000));
  printRate('reschedule 1M (refresh: O(1) move)', n, performance.now() - t0, 'timers');
  let fired = 0;
  t0 = performance.now();
  for (let now = 0; now <= 3_700_000; now += 1000) w.advance(now, () => { fired++; });
  printRate('advance an hour in 1 s ticks, fire all', fired, performance.now() - t0, 'timers');
}

if (isMain(import.meta.url)) await run();
