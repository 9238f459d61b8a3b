// SUBSCRIBE/NOTIFY end to end (RFC 6665, RFC 3856) against the real server over UDP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../support/server.js';
import { SipUA, hdr, rand, tagOf, body, PIDF } from '../support/sip-ua.js';
import type { SipResponse } from '../../src/codec/sip/types.js';

let srv: RunningServer;
let watcher: SipUA;
let publisher: SipUA;

before(async () => {
  srv = await startServer(['--min-expires', '1']);
  watcher = await new SipUA().bind();
  publisher = await new SipUA().bind();
});
after(async () => {
  watcher.close();
  publisher.close();
  await srv.stop();
  srv.cleanup();
});

interface Dialog { callId: string; fromTag: string; toTag: string; cseq: number; presentity: string; res: SipResponse }

async function subscribe(presentity: string, expires = 600, extra: [string, string][] = []): Promise<Dialog> {
  const callId = rand();
  const fromTag = rand();
  const res = await watcher.request({
    method: 'SUBSCRIBE', uri: presentity, from: `<sip:w@127.0.0.1>;tag=${fromTag}`, to: `<${presentity}>`, callId, cseq: 1,
    headers: [['Event', 'presence'], ['Contact', `<sip:w@${watcher.hostPort}>`], ['Expires', String(expires)], ...extra],
  }, srv.port);
  return { callId, fromTag, toTag: tagOf(hdr(res, 'To')) ?? '', cseq: 1, presentity, res };
}

function inDialog(d: Dialog, expires: number) {
  d.cseq++;
  return watcher.request({
    method: 'SUBSCRIBE', uri: d.presentity, from: `<sip:w@127.0.0.1>;tag=${d.fromTag}`, to: `<${d.presentity}>;tag=${d.toTag}`,
    callId: d.callId, cseq: d.cseq, headers: [['Event', 'presence'], ['Contact', `<sip:w@${watcher.hostPort}>`], ['Expires', String(expires)]],
  }, srv.port);
}

function publish(aor: string, bodyText: string, headers: [string, string][] = []) {
  return publisher.request({
    method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1,
    headers: [['Event', 'presence'], ['Content-Type', 'application/pidf+xml'], ...headers], body: bodyText,
  }, srv.port);
}

const cseqOf = (m: { headers: { name: string; value: string }[] }) => Number(hdr(m as never, 'CSeq')!.split(' ')[0]);

test('subscribe: 200 with To-tag/Contact/Expires, immediate NOTIFY, NOTIFY per change, unsubscribe', async () => {
  const aor = `sip:s${rand()}@127.0.0.1`;
  const d = await subscribe(aor);
  assert.equal(d.res.status, 200);
  assert.ok(d.toTag, 'To-tag');
  assert.match(hdr(d.res, 'Contact') ?? '', /^<sip:127\.0\.0\.1:\d+>$/);
  assert.equal(hdr(d.res, 'Expires'), '600');
  const n1 = await watcher.waitNotify(d.callId, 3000, 0);
  assert.match(hdr(n1, 'Subscription-State')!, /^active;expires=(600|599)$/);
  assert.equal(hdr(n1, 'Event'), 'presence');
  assert.equal(hdr(n1, 'Content-Type'), 'application/pidf+xml');
  assert.match(hdr(n1, 'User-Agent')!, /^ComSIPL\//);
  assert.equal(tagOf(hdr(n1, 'From')), d.toTag, 'NOTIFY From-tag is our To-tag');
  assert.equal(tagOf(hdr(n1, 'To')), d.fromTag);
  assert.match(body(n1), /<basic>closed<\/basic>/, 'nothing published: closed');
  assert.match(body(n1), new RegExp(`entity="${aor}"`));

  const before = watcher.received.length;
  const p = await publish(aor, PIDF(aor, 'open', 'dev1', 'at desk'));
  assert.equal(p.status, 200);
  const n2 = await watcher.waitNotify(d.callId, 3000, before);
  assert.match(body(n2), /<basic>open<\/basic>/);
  assert.match(body(n2), /at desk/);
  assert.ok(cseqOf(n2) > cseqOf(n1), 'CSeq grows');

  // A second device: one document with both tuples (PRES-06).
  const before2 = watcher.received.length;
  await publish(aor, PIDF(aor, 'closed', 'dev1', 'second phone'));
  const n3 = await watcher.waitNotify(d.callId, 3000, before2);
  assert.equal((body(n3).match(/<tuple /g) ?? []).length, 2, body(n3));

  // Refresh (SUB-10): 200 and a NOTIFY.
  const before3 = watcher.received.length;
  const r = await inDialog(d, 300);
  assert.equal(r.status, 200);
  assert.equal(hdr(r, 'Expires'), '300');
  await watcher.waitNotify(d.callId, 3000, before3);

  // Unsubscribe (SUB-12).
  const before4 = watcher.received.length;
  const u = await inDialog(d, 0);
  assert.equal(u.status, 200);
  const last = await watcher.waitNotify(d.callId, 3000, before4);
  assert.match(hdr(last, 'Subscription-State')!, /^terminated;reason=timeout/);
  // The dialog is gone (SUB-11).
  const gone = await inDialog(d, 600);
  assert.equal(gone.status, 481);
});

test('fetch: initial SUBSCRIBE with Expires 0 → 200 and one terminated NOTIFY (SUB-13)', async () => {
  const aor = `sip:f${rand()}@127.0.0.1`;
  await publish(aor, PIDF(aor, 'open'));
  const d = await subscribe(aor, 0);
  assert.equal(d.res.status, 200);
  const n = await watcher.waitNotify(d.callId, 3000, 0);
  assert.match(hdr(n, 'Subscription-State')!, /^terminated/);
  assert.match(body(n), /<basic>open<\/basic>/);
});

test('errors: 489 with Allow-Events, 481 unknown dialog, 406 for an Accept we cannot serve', async () => {
  const aor = `sip:x${rand()}@127.0.0.1`;
  const r = await watcher.request({ method: 'SUBSCRIBE', uri: aor, from: '<sip:w@127.0.0.1>;tag=1', to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'message-summary'], ['Contact', `<sip:w@${watcher.hostPort}>`]] }, srv.port);
  assert.equal(r.status, 489);
  assert.equal(hdr(r, 'Allow-Events'), 'presence, presence.winfo, dialog');
  const r2 = await watcher.request({ method: 'SUBSCRIBE', uri: aor, from: '<sip:w@127.0.0.1>;tag=1', to: `<${aor}>;tag=nope`, callId: rand(), cseq: 2, headers: [['Event', 'presence'], ['Contact', `<sip:w@${watcher.hostPort}>`]] }, srv.port);
  assert.equal(r2.status, 481);
  const d = await subscribe(aor, 600, [['Accept', 'application/xpidf+xml']]);
  assert.equal(d.res.status, 406);
});

test('un-PUBLISH → watchers get a plain closed document, not the old tuple', async () => {
  const aor = `sip:o${rand()}@127.0.0.1`;
  const p = await publish(aor, PIDF(aor, 'open', 'linph', 'online-marker'));
  const d = await subscribe(aor);
  const n1 = await watcher.waitNotify(d.callId, 3000, 0);
  assert.match(body(n1), /online-marker/);
  const before = watcher.received.length;
  const etag = hdr(p, 'SIP-ETag')!;
  await publisher.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=x`, to: `<${aor}>`, callId: rand(), cseq: 2, headers: [['Event', 'presence'], ['SIP-If-Match', etag], ['Expires', '0']], contentLength: false }, srv.port);
  const n2 = await watcher.waitNotify(d.callId, 3000, before);
  assert.match(body(n2), /<basic>closed<\/basic>/);
  assert.doesNotMatch(body(n2), /online-marker|linph/);
});

test('a NOTIFY answered 481 ends the subscription (NOT-06)', async () => {
  const aor = `sip:k${rand()}@127.0.0.1`;
  watcher.notifyAnswerStatus = 481;
  try {
    const d = await subscribe(aor);
    await watcher.waitNotify(d.callId, 3000, 0);
    await new Promise((r) => setTimeout(r, 200));
    const r = await inDialog(d, 600);
    assert.equal(r.status, 481);
  } finally {
    watcher.notifyAnswerStatus = 200;
  }
});

test('subscription and publication expiry: timeout NOTIFY, closed NOTIFY', async () => {
  const aor = `sip:t${rand()}@127.0.0.1`;
  await publish(aor, PIDF(aor, 'open'), [['Expires', '1']]);
  const d = await subscribe(aor, 3);
  const n1 = await watcher.waitNotify(d.callId, 3000, 0);
  assert.match(body(n1), /open/);
  const n2 = await watcher.waitFor((m) => m.kind === 'request' && hdr(m, 'Call-ID') === d.callId && /closed/.test(body(m)), 4000, 0);
  assert.ok(n2);
  const n3 = await watcher.waitFor((m) => m.kind === 'request' && hdr(m, 'Call-ID') === d.callId && /^terminated;reason=timeout/.test(hdr(m, 'Subscription-State') ?? ''), 5000, 0);
  assert.ok(n3);
});
