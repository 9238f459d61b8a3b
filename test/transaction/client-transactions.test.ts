import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientTransactions } from '../../src/transaction/client-transactions.js';

const dest = { address: '127.0.0.1', port: 5000, family: 4 as const };

test('timer E doubles from T1 to T2, timer F reports 408 at 64*T1 (TXC-01, TXC-03)', () => {
  const sends: number[] = [];
  let now = 0;
  const tx = new ClientTransactions(() => sends.push(now), 0);
  let outcome: number | null = null;
  tx.start('b1', Buffer.from('NOTIFY'), dest, 0, (s) => { outcome = s; });
  for (now = 0; now <= 40000; now += 10) tx.tick(now);
  // Sent at 0, then 500, 1500, 3500, 7500, then every 4 s until 32 s.
  assert.deepEqual(sends.slice(0, 5).map((t) => Math.round(t / 100) * 100), [0, 500, 1500, 3500, 7500]);
  const gaps = sends.slice(5).map((t, i) => t - sends[4 + i]!);
  assert.ok(gaps.every((g) => g >= 3990 && g <= 4060), `T2 gaps ${gaps}`);
  assert.equal(outcome, 408);
  assert.equal(tx.size, 0);
});

test('a final response ends the transaction; a provisional one keeps it (TXC-02)', () => {
  const tx = new ClientTransactions(() => undefined, 0);
  const got: number[] = [];
  tx.start('b2', Buffer.from('x'), dest, 0, (s) => got.push(s));
  assert.equal(tx.onResponse('b2', 100, null), true);
  assert.equal(tx.size, 1);
  assert.equal(tx.onResponse('b2', 200, null), true);
  assert.deepEqual(got, [200]);
  assert.equal(tx.onResponse('b2', 200, null), false, 'stray retransmission absorbed');
});

test('over a reliable transport: sent once, never retransmitted, timer F still ends it with 408 (RFC 3261 §17.1.2.2)', () => {
  const sends: number[] = [];
  let now = 0;
  const tx = new ClientTransactions(() => sends.push(now), 0);
  let outcome: number | null = null;
  tx.start('r1', Buffer.from('NOTIFY'), { ...dest, transport: 'tcp', flow: 4 }, 0, (s) => { outcome = s; });
  for (now = 0; now <= 31_000; now += 10) tx.tick(now);
  assert.deepEqual(sends, [0]);
  assert.equal(outcome, null, 'still waiting before 64·T1');
  for (; now <= 40_000; now += 10) tx.tick(now);
  assert.equal(outcome, 408);
  assert.deepEqual(sends, [0]);
});

test('a request its reliable transport cannot send (the connection is gone) ends at once as 503 (§17.1.4); UDP is never judged so', () => {
  const tx = new ClientTransactions(() => false, 0);
  const got: number[] = [];
  tx.start('g1', Buffer.from('x'), { ...dest, transport: 'ws', flow: 9 }, 0, (s) => got.push(s));
  assert.deepEqual(got, [503]);
  assert.equal(tx.size, 0);
  assert.equal(tx.failures, 1);
  tx.start('g2', Buffer.from('x'), dest, 0, (s) => got.push(s));
  assert.deepEqual(got, [503], 'UDP: the retransmissions and timer F decide');
  assert.equal(tx.size, 1);
});
