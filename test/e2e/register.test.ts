// REGISTER end to end (RFC 3261 §10.3) against the real server over UDP on loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../support/server.js';
import { SipUA, hdr, hdrs, rand } from '../support/sip-ua.js';

let srv: RunningServer;
let ua: SipUA;

before(async () => {
  srv = await startServer(['--min-expires', '60', '--max-expires', '3600']);
  ua = await new SipUA().bind();
});
after(async () => {
  ua.close();
  await srv.stop();
  srv.cleanup();
});

function reg(user: string, callId: string, cseq: number, headers: [string, string][]) {
  return ua.request({
    method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<sip:${user}@127.0.0.1>;tag=${rand()}`, to: `<sip:${user}@127.0.0.1>`,
    callId, cseq, headers,
  }, srv.port);
}

test('add, refresh with param, query, remove one, wildcard remove', async () => {
  const user = `u${rand()}`;
  const cid = rand();
  let r = await reg(user, cid, 1, [['Contact', `<sip:${user}@127.0.0.1:5999>`], ['Expires', '600']]);
  assert.equal(r.status, 200);
  assert.ok(tagOf(hdr(r, 'To')), 'To-tag present');
  assert.match(hdrs(r, 'Contact').join(','), /5999>;expires=(600|599)/);
  assert.match(hdr(r, 'Server') ?? '', /^ComSIPL\//);

  // A second binding with an expires param overriding the header (REG-05), max clamp (REG-07).
  r = await reg(user, cid, 2, [['Contact', `<sip:${user}@127.0.0.1:6000>;expires=99999`], ['Expires', '120']]);
  assert.equal(r.status, 200);
  const contacts = hdrs(r, 'Contact').join(',');
  assert.match(contacts, /6000>;expires=3600/);
  assert.match(contacts, /5999>/, 'all current bindings listed (REG-14)');

  // Query (REG-04).
  r = await reg(user, cid, 3, []);
  assert.equal(r.status, 200);
  assert.equal(hdrs(r, 'Contact').length, 2);

  // Remove one (REG-12).
  r = await reg(user, cid, 4, [['Contact', `<sip:${user}@127.0.0.1:5999>;expires=0`]]);
  assert.equal(r.status, 200);
  assert.equal(hdrs(r, 'Contact').length, 1);

  // Out-of-order CSeq on the same Call-ID aborts (REG-10).
  r = await reg(user, cid, 2, [['Contact', `<sip:${user}@127.0.0.1:6000>`]]);
  assert.equal(r.status, 500);

  // Wildcard with Expires 0 (REG-08); wildcard with other expires → 400 (REG-09).
  r = await reg(user, cid, 5, [['Contact', '*'], ['Expires', '60']]);
  assert.equal(r.status, 400);
  r = await reg(user, cid, 6, [['Contact', '*'], ['Expires', '0']]);
  assert.equal(r.status, 200);
  assert.equal(hdrs(r, 'Contact').length, 0);
});

test('423 with Min-Expires for too brief an interval (REG-06)', async () => {
  const r = await reg(`u${rand()}`, rand(), 1, [['Contact', '<sip:x@127.0.0.1:5000>'], ['Expires', '10']]);
  assert.equal(r.status, 423);
  assert.equal(hdr(r, 'Min-Expires'), '60');
});

test('a retransmitted REGISTER gets the identical response (TXS-03)', async () => {
  const user = `u${rand()}`;
  const text = ua.build({
    method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<sip:${user}@127.0.0.1>;tag=abc`, to: `<sip:${user}@127.0.0.1>`,
    callId: rand(), cseq: 1, headers: [['Contact', `<sip:${user}@127.0.0.1:7000>`]],
  });
  const start = ua.received.length;
  ua.sendRaw(text, srv.port);
  await ua.waitFor((m) => m.kind === 'response', 3000, start);
  ua.sendRaw(text, srv.port);
  await ua.waitFor((m) => m.kind === 'response', 3000, start + 1);
  const [a, b] = ua.received.slice(start, start + 2);
  assert.deepEqual(a!.raw, b!.raw);
});

function tagOf(v: string | undefined): string | undefined {
  return v?.match(/;tag=([^;]+)/)?.[1];
}
