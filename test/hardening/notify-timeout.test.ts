// NOTIFY failure policy (RFC 6665 §4.2.2; Kamailio's timeout_rm_subs as --notify-timeout):
// a watcher that never answers makes the NOTIFY transaction time out (timer F = 64·T1; T1 is
// shortened to 20 ms through the test-only COMSIPL_TEST_T1_MS, so F is 1.28 s); with `end` the
// subscription is gone (refresh → 481), with `keep` it lives on (refresh → 200). A 481 answer
// ends it whatever the policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.js';
import { SipUA, rand } from '../support/sip-ua.js';
import { subscribe, refresh, sleep } from './helpers.js';

process.env.COMSIPL_TEST_T1_MS = '20'; // this file runs in its own process (node --test)

async function scenario(policy: 'end' | 'keep', answer: number | null): Promise<{ status: number; retransmitted: number }> {
  const srv = await startServer(['--notify-timeout', policy]);
  const ua = await new SipUA().bind();
  try {
    ua.autoAnswerNotify = answer !== null;
    if (answer !== null) ua.notifyAnswerStatus = answer;
    const aor = `sip:nt${rand()}@127.0.0.1`;
    const d = await subscribe(ua, srv.port, aor, 'sip:w@127.0.0.1');
    assert.equal(d.res.status, 200);
    await ua.waitNotify(d.callId, 3000, 0);
    // Past timer F (1.28 s) plus the server's 50 ms tick.
    await sleep(answer === null ? 1700 : 200);
    const retransmitted = ua.notifies(d.callId).length;
    ua.autoAnswerNotify = true;
    ua.notifyAnswerStatus = 200;
    const r = await refresh(ua, srv.port, d);
    return { status: r.status, retransmitted };
  } finally {
    ua.close();
    await srv.stop();
    srv.cleanup();
  }
}

test('--notify-timeout end: an unanswered NOTIFY (408 / timer F) ends the subscription', async () => {
  const r = await scenario('end', null);
  assert.ok(r.retransmitted >= 5, `timer E retransmitted the NOTIFY (${r.retransmitted} copies)`);
  assert.equal(r.status, 481);
});

test('--notify-timeout keep: the subscription survives an unanswered NOTIFY', async () => {
  const r = await scenario('keep', null);
  assert.equal(r.status, 200);
});

test('a NOTIFY answered 481 ends the subscription even with keep', async () => {
  const r = await scenario('keep', 481);
  assert.equal(r.status, 481);
});

test('timer T1 is configurable only from the test environment variable, and validated', async () => {
  const { loadConfig } = await import('../../src/config/load.js');
  assert.equal(loadConfig([], {}).timerT1, 500);
  assert.equal(loadConfig([], { COMSIPL_TEST_T1_MS: '20' }).timerT1, 20);
  assert.throws(() => loadConfig([], { COMSIPL_TEST_T1_MS: '0' }), /COMSIPL_TEST_T1_MS/);
  assert.throws(() => loadConfig(['--timer-t1', '20'], {}), /unknown option/);
});

test('--max-notifies 1: a second dialog waits in the backlog until the first NOTIFY transaction ends', async () => {
  const srv = await startServer(['--max-notifies', '1']);
  const silent = await new SipUA().bind();
  const ua = await new SipUA().bind();
  try {
    silent.autoAnswerNotify = false;
    const aor = `sip:mn${rand()}@127.0.0.1`;
    const a = await subscribe(silent, srv.port, aor, 'sip:a@127.0.0.1');
    await silent.waitNotify(a.callId, 3000, 0);
    const t0 = Date.now();
    const b = await subscribe(ua, srv.port, aor, 'sip:b@127.0.0.1');
    assert.equal(b.res.status, 200, 'the SUBSCRIBE itself is answered at once');
    await sleep(300);
    assert.equal(ua.notifies(b.callId).length, 0, 'its NOTIFY waits for the slot');
    await ua.waitNotify(b.callId, 4000, 0);
    assert.ok(Date.now() - t0 >= 900, 'sent after the first transaction timed out (timer F = 1.28 s)');
  } finally {
    silent.close();
    ua.close();
    await srv.stop();
    srv.cleanup();
  }
});
