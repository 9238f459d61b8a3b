// What every request gets (RFC 3261 §8.2): OPTIONS, 405/501 with Allow, 420 with Unsupported,
// malformed → 400 naming the fault, CRLF keep-alives ignored, IPv6, and NOTIFY coalescing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../support/server.js';
import { SipUA, hdr, hdrs, rand, body, PIDF } from '../support/sip-ua.js';

let srv: RunningServer;
let ua: SipUA;

before(async () => {
  srv = await startServer();
  ua = await new SipUA().bind();
});
after(async () => {
  ua.close();
  await srv.stop();
  srv.cleanup();
});

const base = (method: string, headers: [string, string][] = []) => ({
  method, uri: 'sip:bob@127.0.0.1', from: `<sip:a@127.0.0.1>;tag=${rand()}`, to: '<sip:bob@127.0.0.1>', callId: rand(), cseq: 1, headers,
});

test('OPTIONS → 200 with Allow, Accept, Allow-Events and Server; every header echoed', async () => {
  const spec = base('OPTIONS');
  const r = await ua.request(spec, srv.port);
  assert.equal(r.status, 200);
  assert.match(hdr(r, 'Allow')!, /REGISTER.*PUBLISH.*SUBSCRIBE.*OPTIONS/);
  assert.equal(hdr(r, 'Accept'), 'application/pidf+xml, application/dialog-info+xml');
  assert.match(hdr(r, 'Allow-Events')!, /^presence/);
  assert.match(hdr(r, 'Server')!, /^ComSIPL\/\d/);
  assert.equal(hdr(r, 'Call-ID'), spec.callId);
  assert.match(hdrs(r, 'Via')[0]!, /received=127\.0\.0\.1/);
  assert.match(hdrs(r, 'Via')[0]!, new RegExp(`rport=${ua.port}`));
});

test('INVITE → 405 with Allow; FOO → 501; Require: foo → 420 with Unsupported', async () => {
  let r = await ua.request(base('INVITE'), srv.port);
  assert.equal(r.status, 405);
  assert.ok(hdr(r, 'Allow'));
  r = await ua.request(base('FOO'), srv.port);
  assert.equal(r.status, 501);
  r = await ua.request(base('OPTIONS', [['Require', 'foo']]), srv.port);
  assert.equal(r.status, 420);
  assert.equal(hdr(r, 'Unsupported'), 'foo');
});

test('malformed → 400 whose reason names the fault; keep-alives get nothing', async () => {
  const start = ua.received.length;
  ua.sendRaw('\r\n\r\n', srv.port);
  const spec = base('OPTIONS');
  ua.sendRaw(ua.build(spec).replace(/^Call-ID:.*\r\n/m, ''), srv.port);
  const r = await ua.waitFor((m) => m.kind === 'response', 3000, start);
  assert.equal(r.kind === 'response' && r.status, 400);
  assert.match(r.kind === 'response' ? r.reason : '', /Call-ID/);
  assert.equal(ua.received.length - start, 1, 'the keep-alive was not answered');
});

test('a burst of changes while a NOTIFY is unanswered coalesces into one NOTIFY with the newest state', async () => {
  const aor = `sip:c${rand()}@127.0.0.1`;
  ua.autoAnswerNotify = false;
  try {
    const callId = rand();
    const s = await ua.request({ method: 'SUBSCRIBE', uri: aor, from: '<sip:w@127.0.0.1>;tag=w1', to: `<${aor}>`, callId, cseq: 1, headers: [['Event', 'presence'], ['Contact', `<sip:w@${ua.hostPort}>`]] }, srv.port);
    assert.equal(s.status, 200);
    const first = await ua.waitNotify(callId, 3000, 0);
    const p = (n: number, etag?: string) => ua.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=p${n}`, to: `<${aor}>`, callId: rand(), cseq: n, headers: [['Event', 'presence'], ['Content-Type', 'application/pidf+xml'], ...(etag ? [['SIP-If-Match', etag] as [string, string]] : [])], body: PIDF(aor, 'open', 't', `state-${n}`) }, srv.port);
    let etag = hdr(await p(1), 'SIP-ETag');
    etag = hdr(await p(2, etag), 'SIP-ETag');
    await p(3, etag);
    await new Promise((r) => setTimeout(r, 200));
    // The first NOTIFY is still unanswered (its retransmissions carry the same CSeq): no new one yet.
    const cseqs = new Set(ua.notifies(callId).map((n) => hdr(n, 'CSeq')));
    assert.equal(cseqs.size, 1, `one NOTIFY transaction in flight, got ${[...cseqs]}`);
    const mark = ua.received.length;
    ua.sendRaw(ua.responseTo(first, 200), Number(hdrs(first, 'Via')[0]!.match(/:(\d+);/)![1]));
    const next = await ua.waitNotify(callId, 3000, mark);
    assert.match(body(next), /state-3/, 'the newest state, not the intermediate ones');
    await new Promise((r) => setTimeout(r, 300));
    // Retransmissions of the first NOTIFY (a slow machine may see some) carry its CSeq.
    const later = ua.notifies(callId).map((n) => hdr(n, 'CSeq')).filter((c) => c !== hdr(first, 'CSeq'));
    assert.equal(new Set(later).size, 1, `exactly one NOTIFY for the three changes, got ${[...new Set(later)]}`);
  } finally {
    ua.autoAnswerNotify = true;
  }
});

test('IPv6: the server on [::1] answers REGISTER over IPv6 with received/rport', async () => {
  const srv6 = await startServer([], { host: '::1' });
  const ua6 = await new SipUA('::1').bind();
  try {
    const r = await ua6.request({ method: 'REGISTER', uri: 'sip:[::1]', from: '<sip:six@[::1]>;tag=6', to: '<sip:six@[::1]>', callId: rand(), cseq: 1, headers: [['Contact', `<sip:six@${ua6.hostPort}>`]] }, srv6.port);
    assert.equal(r.status, 200);
    assert.match(hdrs(r, 'Via')[0]!, /received=::1/);
    assert.match(hdr(r, 'Contact')!, /\[::1\]/);
  } finally {
    ua6.close();
    await srv6.stop();
    srv6.cleanup();
  }
});
