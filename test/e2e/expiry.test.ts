// Expiry timers remove state from the store itself (not only from answers): after a binding
// and a publication expire, a restart finds nothing to drop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../support/server.js';
import { SipUA, rand, PIDF } from '../support/sip-ua.js';

function restored(logs: string[]): { registrations: number; publications: number; dropped: number } {
  const line = logs.map((l) => { try { return JSON.parse(l) as { msg?: string; restored?: never }; } catch { return {}; } }).find((j) => j.msg === 'listening');
  return line!.restored!;
}

test('expired bindings and publications are deleted by their timers', async () => {
  const data = mkdtempSync(join(tmpdir(), 'comsipl-expiry-'));
  const ua = await new SipUA().bind();
  try {
    let srv = await startServer(['--min-expires', '1'], { data });
    const aor = `sip:e${rand()}@127.0.0.1`;
    const r = await ua.request({ method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<${aor}>;tag=1`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Contact', `<sip:e@${ua.hostPort}>;expires=1`]] }, srv.port);
    assert.equal(r.status, 200);
    const p = await ua.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=2`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Expires', '1'], ['Content-Type', 'application/pidf+xml']], body: PIDF(aor, 'open') }, srv.port);
    assert.equal(p.status, 200);
    await new Promise((res) => setTimeout(res, 3000));
    await srv.stop();
    srv = await startServer([], { data });
    try {
      assert.deepEqual(restored(srv.logs), { registrations: 0, publications: 0, subscriptions: 0, dropped: 0 });
    } finally {
      await srv.stop();
    }
  } finally {
    ua.close();
    rmSync(data, { recursive: true, force: true });
  }
});
