// Overload behaviour of the running server: a per-source rate limit that throttles one
// flooding host while another is served, 503 + Retry-After past --max-pending while accepted
// requests keep their answers, NOTIFY coalescing under --notify-min-interval, and 513 for
// datagrams over --max-message-size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.js';
import { SipUA, hdr, body, rand, PIDF, type ReqSpec } from '../support/sip-ua.js';
import type { SipMessage } from '../../src/codec/sip/types.js';
import { subscribe, sleep } from '../hardening/helpers.js';

/** A UA bound to another loopback address that still talks to the server on 127.0.0.1. */
class OtherSource extends SipUA {
  override sendRaw(data: string | Buffer, port: number, host = '127.0.0.1'): void {
    super.sendRaw(data, port, host);
  }
}

const options = (ua: SipUA, branch = `z9hG4bK${rand()}`): ReqSpec => ({
  method: 'OPTIONS', uri: 'sip:127.0.0.1', from: `<sip:f@127.0.0.1>;tag=${rand()}`, to: '<sip:127.0.0.1>', callId: rand(), cseq: 1, branch,
  headers: [['Contact', `<sip:f@${ua.hostPort}>`]],
});

const finals = (ua: SipUA, from: number): SipMessage[] => ua.received.slice(from).map((r) => r.msg).filter((m) => m.kind === 'response');

test('per-source rate limit: a flood from one address is limited (503, then silence), another address is served', async () => {
  const srv = await startServer(['--rate-limit', '5', '--rate-burst', '5']);
  const flooder = await new SipUA('127.0.0.1').bind();
  const other = await new OtherSource('127.0.0.2').bind(); // the whole 127/8 is loopback on Linux
  try {
    for (let i = 0; i < 60; i++) flooder.sendRaw(flooder.build(options(flooder)), srv.port);
    await sleep(150);
    const ok = await other.request({ ...options(other), method: 'REGISTER', uri: 'sip:127.0.0.1', from: '<sip:o@127.0.0.1>;tag=1', to: '<sip:o@127.0.0.1>', headers: [['Contact', `<sip:o@${other.hostPort}>`]] }, srv.port);
    assert.equal(ok.status, 200, 'the other source is not affected');
    await sleep(200);
    const got = finals(flooder, 0);
    const twoHundreds = got.filter((m) => m.kind === 'response' && m.status === 200).length;
    const rejected = got.filter((m) => m.kind === 'response' && m.status === 503);
    assert.ok(twoHundreds >= 5 && twoHundreds <= 7, `burst of 5 (+ refill) served, got ${twoHundreds}`);
    assert.ok(rejected.length >= 1, 'some 503s');
    assert.ok(rejected.every((m) => hdr(m, 'Retry-After') === '1'));
    assert.ok(got.length < 40, `the rest of the flood is dropped, not answered (${got.length} answers to 60)`);
  } finally {
    flooder.close();
    other.close();
    await srv.stop();
    srv.cleanup();
  }
});

test('--max-pending 1: a burst gets 503 + Retry-After; a retransmission of an accepted request gets its 200 again', async () => {
  const srv = await startServer(['--max-pending', '1']);
  const ua = await new SipUA().bind();
  try {
    const specs: ReqSpec[] = [];
    for (let i = 0; i < 20; i++) {
      const aor = `sip:mp${i}x${rand(3)}@127.0.0.1`;
      specs.push({ method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<${aor}>;tag=1`, to: `<${aor}>`, callId: rand(), cseq: 1, branch: `z9hG4bK${rand()}`, headers: [['Contact', `<sip:x@${ua.hostPort}>`]] });
    }
    // One datagram batch: handlers run in one turn while the first commit is still pending.
    for (const s of specs) ua.sendRaw(ua.build(s), srv.port);
    await sleep(500);
    const got = finals(ua, 0);
    const busy = got.filter((m) => m.kind === 'response' && m.status === 503);
    const ok = got.filter((m) => m.kind === 'response' && m.status === 200);
    assert.ok(busy.length >= 1, `expected 503s, got ${got.map((m) => (m.kind === 'response' ? m.status : 0)).join(',')}`);
    assert.ok(busy.every((m) => hdr(m, 'Retry-After') === '5'));
    assert.ok(ok.length >= 1);
    const accepted = specs.find((s) => ok.some((m) => hdr(m, 'Call-ID') === s.callId))!;
    const again = await ua.request(accepted, srv.port); // same branch: a retransmission
    assert.equal(again.status, 200);
  } finally {
    ua.close();
    await srv.stop();
    srv.cleanup();
  }
});

test('--notify-min-interval 1: three quick changes → one NOTIFY with the newest state, after the interval', async () => {
  const srv = await startServer(['--notify-min-interval', '1']);
  const ua = await new SipUA().bind();
  try {
    const aor = `sip:mi${rand()}@127.0.0.1`;
    const d = await subscribe(ua, srv.port, aor, 'sip:w@127.0.0.1');
    assert.equal(d.res.status, 200);
    await ua.waitNotify(d.callId, 3000, 0);
    const t0 = Date.now();
    const mark = ua.received.length;
    for (const note of ['one', 'two', 'three']) {
      const r = await ua.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=p`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Content-Type', 'application/pidf+xml']], body: PIDF(aor, 'open', 'd', note) }, srv.port);
      assert.equal(r.status, 200);
    }
    const n = await ua.waitNotify(d.callId, 3000, mark);
    assert.ok(Date.now() - t0 >= 700, 'held for the interval');
    assert.match(body(n), /<note>three<\/note>/);
    await sleep(300);
    assert.equal(ua.notifies(d.callId).length, 2, 'initial + one coalesced NOTIFY');
  } finally {
    ua.close();
    await srv.stop();
    srv.cleanup();
  }
});

test('a datagram over --max-message-size → 513, and the server keeps serving', async () => {
  const srv = await startServer(['--max-message-size', '1024']);
  const ua = await new SipUA().bind();
  try {
    const big: ReqSpec = { ...options(ua), headers: [['Contact', `<sip:f@${ua.hostPort}>`], ['X-Padding', 'a'.repeat(3000)]] };
    const r = await ua.request(big, srv.port);
    assert.equal(r.status, 513);
    assert.equal((await ua.request(options(ua), srv.port)).status, 200);
  } finally {
    ua.close();
    await srv.stop();
    srv.cleanup();
  }
});
