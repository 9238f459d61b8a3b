// Persistence across restarts: registrations, publications and subscriptions survive a stop
// and a SIGKILL; NOTIFY CSeqs keep increasing (DLG-03); in-dialog refresh after a restart is 200.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../support/server.js';
import { SipUA, hdr, hdrs, rand, tagOf, body, PIDF } from '../support/sip-ua.js';
import { onRedis } from '../support/redis.js';

test('state survives SIGKILL: bindings, publications, subscriptions, CSeq order', async () => {
  const data = mkdtempSync(join(tmpdir(), 'comsipl-restart-'));
  const ua = await new SipUA().bind();
  try {
    let srv = await startServer([], { data });
    if (!onRedis()) assert.ok(existsSync(join(data, 'presence_w.fdb')) && existsSync(join(data, 'registered.fdb')));
    const user = `r${rand()}`;
    const aor = `sip:${user}@127.0.0.1`;
    let r = await ua.request({ method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<${aor}>;tag=1`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Contact', `<sip:${user}@127.0.0.1:5070>`]] }, srv.port);
    assert.equal(r.status, 200);
    r = await ua.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=2`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Content-Type', 'application/pidf+xml']], body: PIDF(aor, 'open', 'a', 'before-crash') }, srv.port);
    assert.equal(r.status, 200);
    const etag = hdr(r, 'SIP-ETag')!;
    const callId = rand();
    const s = await ua.request({ method: 'SUBSCRIBE', uri: aor, from: '<sip:w@127.0.0.1>;tag=wt', to: `<${aor}>`, callId, cseq: 1, headers: [['Event', 'presence'], ['Contact', `<sip:w@${ua.hostPort}>`]] }, srv.port);
    assert.equal(s.status, 200);
    const toTag = tagOf(hdr(s, 'To'))!;
    const n1 = await ua.waitNotify(callId, 3000, 0);
    const cseq1 = Number(hdr(n1, 'CSeq')!.split(' ')[0]);

    await srv.kill(); // SIGKILL: no clean shutdown
    srv = await startServer([], { data });
    try {
      r = await ua.request({ method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<${aor}>;tag=1`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [] }, srv.port);
      assert.match(hdrs(r, 'Contact').join(','), /5070/, 'binding restored');
      // In-dialog refresh after the restart is 200, not 481.
      const before = ua.received.length;
      const ref = await ua.request({ method: 'SUBSCRIBE', uri: aor, from: '<sip:w@127.0.0.1>;tag=wt', to: `<${aor}>;tag=${toTag}`, callId, cseq: 2, headers: [['Event', 'presence'], ['Contact', `<sip:w@${ua.hostPort}>`]] }, srv.port);
      assert.equal(ref.status, 200);
      const n2 = await ua.waitNotify(callId, 3000, before);
      assert.match(body(n2), /before-crash/, 'publication restored');
      assert.ok(Number(hdr(n2, 'CSeq')!.split(' ')[0]) > cseq1, 'NOTIFY CSeq increases across the restart');
      // The restored ETag still works.
      r = await ua.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=2`, to: `<${aor}>`, callId: rand(), cseq: 2, headers: [['Event', 'presence'], ['SIP-If-Match', etag]] }, srv.port);
      assert.equal(r.status, 200);
    } finally {
      await srv.stop();
    }
  } finally {
    ua.close();
    rmSync(data, { recursive: true, force: true });
  }
});
