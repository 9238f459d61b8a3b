// PUBLISH end to end (RFC 3903 §6) against the real server over UDP on loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../support/server.js';
import { SipUA, hdr, rand, PIDF } from '../support/sip-ua.js';

let srv: RunningServer;
let ua: SipUA;

before(async () => {
  srv = await startServer(['--min-expires', '60']);
  ua = await new SipUA().bind();
});
after(async () => {
  ua.close();
  await srv.stop();
  srv.cleanup();
});

function pub(user: string, cseq: number, headers: [string, string][], bodyText?: string) {
  const aor = `sip:${user}@127.0.0.1`;
  const h: [string, string][] = [['Event', 'presence'], ...headers];
  if (bodyText !== undefined) h.push(['Content-Type', 'application/pidf+xml']);
  return ua.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq, headers: h, ...(bodyText !== undefined ? { body: bodyText } : {}) }, srv.port);
}

test('initial, refresh, modify, remove; stale ETags get 412', async () => {
  const user = `p${rand()}`;
  const aor = `sip:${user}@127.0.0.1`;
  let r = await pub(user, 1, [['Expires', '600']], PIDF(aor, 'open'));
  assert.equal(r.status, 200);
  const t1 = hdr(r, 'SIP-ETag')!;
  assert.ok(t1);
  assert.equal(hdr(r, 'Expires'), '600');

  r = await pub(user, 2, [['SIP-If-Match', t1], ['Expires', '600']]);
  assert.equal(r.status, 200, 'refresh');
  const t2 = hdr(r, 'SIP-ETag')!;
  assert.notEqual(t2, t1);

  r = await pub(user, 3, [['SIP-If-Match', t1]]);
  assert.equal(r.status, 412, 'old ETag no longer valid (PUB-07)');

  r = await pub(user, 4, [['SIP-If-Match', t2]], PIDF(aor, 'closed'));
  assert.equal(r.status, 200, 'modify');
  const t3 = hdr(r, 'SIP-ETag')!;

  r = await pub(user, 5, [['SIP-If-Match', t3], ['Expires', '0']]);
  assert.equal(r.status, 200, 'remove');
  assert.equal(hdr(r, 'Expires'), '0');
  r = await pub(user, 6, [['SIP-If-Match', t3]]);
  assert.equal(r.status, 412);
});

test('errors: 489, 415, 400 invalid PIDF, 400 no body, 423, 400 two If-Match, max clamp', async () => {
  const user = `e${rand()}`;
  const aor = `sip:${user}@127.0.0.1`;
  let r = await ua.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=1`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Content-Type', 'application/pidf+xml']], body: PIDF(aor, 'open') }, srv.port);
  assert.equal(r.status, 489);
  assert.equal(hdr(r, 'Allow-Events'), 'presence, dialog');
  r = await ua.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=1`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Content-Type', 'text/plain']], body: 'hello' }, srv.port);
  assert.equal(r.status, 415);
  assert.equal(hdr(r, 'Accept'), 'application/pidf+xml');
  r = await pub(user, 1, [], '<presence xmlns="urn:ietf:params:xml:ns:pidf"><tuple id="a"></presence>');
  assert.equal(r.status, 400);
  r = await pub(user, 1, []);
  assert.equal(r.status, 400);
  r = await pub(user, 1, [['Expires', '5']], PIDF(aor, 'open'));
  assert.equal(r.status, 423);
  assert.equal(hdr(r, 'Min-Expires'), '60');
  r = await pub(user, 1, [['SIP-If-Match', 'a, b']]);
  assert.equal(r.status, 400);
  r = await pub(user, 1, [['Expires', '999999']], PIDF(aor, 'open'));
  assert.equal(r.status, 200);
  assert.equal(hdr(r, 'Expires'), '3600', 'never lengthened beyond the maximum (PUB-11)');
});

test('ten PUBLISHes racing on one ETag: exactly one 200 (PUB-20)', async () => {
  const user = `r${rand()}`;
  const aor = `sip:${user}@127.0.0.1`;
  const r = await pub(user, 1, [], PIDF(aor, 'open'));
  const etag = hdr(r, 'SIP-ETag')!;
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) => pub(user, 10 + i, [['SIP-If-Match', etag]], PIDF(aor, i % 2 ? 'open' : 'closed', 't1', `n${i}`))),
  );
  const codes = results.map((x) => x.status).sort();
  assert.deepEqual(codes, [200, 412, 412, 412, 412, 412, 412, 412, 412, 412]);
});
