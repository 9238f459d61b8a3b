import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerTransactions } from '../../src/transaction/server-transactions.js';

const dest = { address: '127.0.0.1', port: 5000, family: 4 as const };

test('new → trying → completed replays the same bytes until timer J', () => {
  const t = new ServerTransactions(32000);
  assert.equal(t.begin('k').state, 'new');
  assert.equal(t.begin('k').state, 'trying');
  const resp = Buffer.from('SIP/2.0 200 OK\r\n\r\n');
  t.complete('k', resp, dest, 1000);
  const again = t.begin('k');
  assert.equal(again.state, 'completed');
  assert.equal(again.state === 'completed' && again.response, resp);
  t.sweep(1000 + 31999);
  assert.equal(t.begin('k').state, 'completed');
  t.sweep(1000 + 32000);
  assert.equal(t.begin('k').state, 'new');
});

test('abandon forgets a transaction without a response', () => {
  const t = new ServerTransactions();
  t.begin('ack');
  t.abandon('ack');
  assert.equal(t.size, 0);
});
