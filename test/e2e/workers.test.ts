// The Piscina path: with --workers 2 the same flows work (parse batches and NOTIFY renders run
// in worker threads and come back as msgpack records).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.js';
import { SipUA, hdr, rand, body, PIDF } from '../support/sip-ua.js';

test('register, publish, subscribe and NOTIFY through worker threads', async () => {
  const srv = await startServer(['--workers', '2']);
  const ua = await new SipUA().bind();
  try {
    const aor = `sip:w${rand()}@127.0.0.1`;
    const r = await ua.request({ method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<${aor}>;tag=1`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Contact', `<sip:x@${ua.hostPort}>`]] }, srv.port);
    assert.equal(r.status, 200);
    const callId = rand();
    const s = await ua.request({ method: 'SUBSCRIBE', uri: aor, from: '<sip:w@127.0.0.1>;tag=2', to: `<${aor}>`, callId, cseq: 1, headers: [['Event', 'presence'], ['Contact', `<sip:w@${ua.hostPort}>`]] }, srv.port);
    assert.equal(s.status, 200);
    await ua.waitNotify(callId, 3000, 0);
    const before = ua.received.length;
    const p = await ua.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=3`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Content-Type', 'application/pidf+xml']], body: PIDF(aor, 'open', 'pool', 'via-workers') }, srv.port);
    assert.equal(p.status, 200);
    assert.ok(hdr(p, 'SIP-ETag'));
    const n = await ua.waitNotify(callId, 3000, before);
    assert.match(body(n), /via-workers/);
    // A malformed datagram parsed in a worker still gets its 400.
    const bad = await ua.request({ method: 'OPTIONS', uri: 'sip:127.0.0.1', from: '<sip:a@127.0.0.1>;tag=4', to: '<sip:b@127.0.0.1>', callId: rand(), cseq: 1, headers: [['CSeq', '7 INVITE']] }, srv.port);
    assert.equal(bad.status, 400);
  } finally {
    ua.close();
    await srv.stop();
    srv.cleanup();
  }
});
