// The JIT warm-up: synthetic messages through the pure request path, never sent anywhere, in
// slices that leave the event loop to real traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warmUpInSlices, warmUpRound } from '../../src/core/warm-up.js';
import { ServerTransactionTable } from '../../src/transaction/server-transactions.js';
import { startServer } from '../support/server.js';
import { SipUA, hdr, rand } from '../support/sip-ua.js';

const OPTS = { maxSize: 65507, supported: [] as string[] };

test('a round takes every synthetic request through the scanner and answers it (no fallback, no refusal)', () => {
  const table = new ServerTransactionTable({ maxEntries: 64, arenaBytes: 1 << 16 });
  // REGISTER, SUBSCRIBE, PUBLISH and OPTIONS answered (4 responses) plus one NOTIFY rendered:
  // each is well over 200 bytes, so a round that skipped one would fall under this floor.
  for (let n = 0; n < 50; n++) assert.ok(warmUpRound(n, table, OPTS) > 5 * 200, `round ${n}`);
});

test('the slices run every round, and stop() ends them early', async () => {
  assert.equal(await warmUpInSlices(OPTS, 300).done, 300);
  const w = warmUpInSlices(OPTS, 1_000_000);
  await new Promise((r) => setImmediate(r));
  w.stop();
  const ran = await w.done;
  assert.ok(ran > 0 && ran < 1_000_000);
});

test('a server warming up answers real requests meanwhile and says when it is warm', async () => {
  const srv = await startServer(['--warm-up', '3000', '--log-level', 'debug']);
  const ua = await new SipUA().bind();
  try {
    const user = `w${rand()}`;
    const r = await ua.request({
      method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<sip:${user}@127.0.0.1>;tag=${rand()}`, to: `<sip:${user}@127.0.0.1>`,
      callId: rand(), cseq: 1, headers: [['Contact', `<sip:${user}@127.0.0.1:5999>`], ['Expires', '600']],
    }, srv.port);
    assert.equal(r.status, 200);
    assert.match(hdr(r, 'Contact') ?? '', /5999>/);
    for (let i = 0; i < 600 && !srv.logs.some((l) => l.includes('"msg":"warmed up"')); i++) await new Promise((res) => setTimeout(res, 100));
    assert.ok(srv.logs.some((l) => l.includes('"rounds":3000') && l.includes('"msg":"warmed up"')), 'warm-up finished');
    // Nothing of the warm-up was committed: the synthetic users never registered.
    const q = await ua.request({
      method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<sip:w1@warm-up.invalid>;tag=${rand()}`, to: `<sip:w1@warm-up.invalid>`, callId: rand(), cseq: 1, headers: [],
    }, srv.port);
    assert.equal(q.status, 200, 'a query');
    assert.equal(hdr(q, 'Contact'), undefined, 'no binding');
  } finally {
    ua.close();
    await srv.stop();
    srv.cleanup();
  }
});
