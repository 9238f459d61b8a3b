// Digest authentication end to end (RFC 3261 §22, RFC 7616/8760) against the real server:
// challenges, SHA-256 and MD5 answers, wrong passwords, nonce-count replays, AoR ownership,
// retransmissions that must not burn a nonce count, and users added while running.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addUser } from '../../src/auth/users-file.js';
import { startServer, type RunningServer } from '../support/server.js';
import { SipUA, hdr, hdrs, rand, PIDF, type ReqSpec } from '../support/sip-ua.js';
import { authorization, challengeFor, sleep, type Creds } from '../hardening/helpers.js';

const REALM = 'comsipl.test';
const ALICE: Creds = { user: 'alice', password: 'wonder-land' };
const BOB: Creds = { user: 'bob', password: 'builder' };
const aliceAor = 'sip:alice@127.0.0.1';
const bobAor = 'sip:bob@127.0.0.1';
let data: string;
let srv: RunningServer;
let ua: SipUA;

before(async () => {
  data = mkdtempSync(join(tmpdir(), 'comsipl-auth-'));
  addUser(join(data, 'users.json'), { user: 'alice', domain: '127.0.0.1', realm: REALM, password: ALICE.password });
  addUser(join(data, 'users.json'), { user: 'bob', domain: '127.0.0.1', realm: REALM, password: BOB.password });
  srv = await startServer(['--auth', 'on', '--realm', REALM, '--auth-algorithms', 'SHA-256,MD5'], { data });
  ua = await new SipUA().bind();
});
after(async () => {
  ua.close();
  await srv.stop();
  rmSync(data, { recursive: true, force: true });
});

function register(aor: string, extra: [string, string][] = [], branch?: string): ReqSpec {
  return {
    method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1,
    headers: [['Contact', `<sip:x@${ua.hostPort}>`], ...extra], ...(branch ? { branch } : {}),
  };
}

test('no credentials: REGISTER, PUBLISH and SUBSCRIBE are challenged with 401, SHA-256 offered before MD5', async () => {
  const r = await ua.request(register(aliceAor), srv.port);
  assert.equal(r.status, 401);
  const values = hdrs(r, 'WWW-Authenticate');
  assert.equal(values.length, 2);
  assert.match(values[0]!, /^Digest realm="comsipl\.test", nonce="[^"]+", qop="auth", algorithm=SHA-256$/);
  assert.match(values[1]!, /algorithm=MD5$/);
  assert.equal(hdr(r, 'Proxy-Authenticate'), undefined, '401 for every method: we are the UAS (RFC 3261 §22.3)');
  const p = await ua.request({ method: 'PUBLISH', uri: aliceAor, from: `<${aliceAor}>;tag=1`, to: `<${aliceAor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Content-Type', 'application/pidf+xml']], body: PIDF(aliceAor, 'open') }, srv.port);
  assert.equal(p.status, 401);
  const s = await ua.request({ method: 'SUBSCRIBE', uri: aliceAor, from: `<${bobAor}>;tag=1`, to: `<${aliceAor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Contact', `<sip:b@${ua.hostPort}>`]] }, srv.port);
  assert.equal(s.status, 401);
  assert.ok(hdr(s, 'WWW-Authenticate'));
});

for (const alg of ['SHA-256', 'MD5'] as const) {
  test(`correct ${alg} credentials → 200; the binding is stored`, async () => {
    const first = await ua.request(register(aliceAor), srv.port);
    const ch = challengeFor(first, alg);
    const ok = await ua.request(register(aliceAor, [['Authorization', authorization(ch, ALICE, 'REGISTER', 'sip:127.0.0.1')]]), srv.port);
    assert.equal(ok.status, 200);
    assert.match(hdrs(ok, 'Contact').join(','), new RegExp(ua.hostPort.replace(/\./g, '\\.')));
  });
}

test('wrong password → 401 with a fresh challenge, not stale', async () => {
  const ch = challengeFor(await ua.request(register(aliceAor), srv.port), 'SHA-256');
  const r = await ua.request(register(aliceAor, [['Authorization', authorization(ch, { user: 'alice', password: 'guess' }, 'REGISTER', 'sip:127.0.0.1')]]), srv.port);
  assert.equal(r.status, 401);
  assert.ok(hdrs(r, 'WWW-Authenticate').every((v) => !/stale=true/.test(v)));
  const unknown = await ua.request(register('sip:mallory@127.0.0.1', [['Authorization', authorization(ch, { user: 'mallory', password: 'x' }, 'REGISTER', 'sip:127.0.0.1')]]), srv.port);
  assert.equal(unknown.status, 401);
  assert.equal(unknown.reason, r.reason, 'unknown user and wrong password look the same');
});

test('a replayed nonce count is refused; a higher nc on the same nonce is accepted', async () => {
  const ch = challengeFor(await ua.request(register(aliceAor), srv.port), 'SHA-256');
  const auth1 = authorization(ch, ALICE, 'REGISTER', 'sip:127.0.0.1', 1, 'c1');
  assert.equal((await ua.request(register(aliceAor, [['Authorization', auth1]]), srv.port)).status, 200);
  // A captured header sent again as a new transaction (new branch, new Call-ID).
  const replay = await ua.request(register(aliceAor, [['Authorization', auth1]]), srv.port);
  assert.equal(replay.status, 401);
  const auth2 = authorization(ch, ALICE, 'REGISTER', 'sip:127.0.0.1', 2, 'c2');
  assert.equal((await ua.request(register(aliceAor, [['Authorization', auth2]]), srv.port)).status, 200);
});

test('a retransmission is answered from the transaction, without spending the nonce count', async () => {
  const ch = challengeFor(await ua.request(register(aliceAor), srv.port), 'MD5');
  const spec = register(aliceAor, [['Authorization', authorization(ch, ALICE, 'REGISTER', 'sip:127.0.0.1', 1)]], `z9hG4bK${rand()}`);
  const first = await ua.request(spec, srv.port);
  assert.equal(first.status, 200);
  const again = await ua.request(spec, srv.port); // same branch: a retransmission
  assert.equal(again.status, 200);
  assert.equal(hdr(again, 'To'), hdr(first, 'To'), 'the very same response (same To-tag)');
});

test("another user's AoR: REGISTER and PUBLISH → 403; PUBLISH of one's own → 200", async () => {
  const ch = challengeFor(await ua.request(register(aliceAor), srv.port), 'SHA-256');
  const r = await ua.request(register(bobAor, [['Authorization', authorization(ch, ALICE, 'REGISTER', 'sip:127.0.0.1', 1)]]), srv.port);
  assert.equal(r.status, 403);
  const pub = (aor: string, nc: number) => ua.request({
    method: 'PUBLISH', uri: aor, from: `<${aliceAor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1,
    headers: [['Event', 'presence'], ['Content-Type', 'application/pidf+xml'], ['Authorization', authorization(ch, ALICE, 'PUBLISH', aor, nc)]],
    body: PIDF(aor, 'open'),
  }, srv.port);
  assert.equal((await pub(bobAor, 2)).status, 403);
  const own = await pub(aliceAor, 3);
  assert.equal(own.status, 200);
  assert.ok(hdr(own, 'SIP-ETag'));
});

test('SUBSCRIBE with credentials → 200 and a NOTIFY; credentials in Proxy-Authorization are read too', async () => {
  const ch = challengeFor(await ua.request(register(bobAor), srv.port), 'SHA-256');
  const callId = rand();
  const s = await ua.request({
    method: 'SUBSCRIBE', uri: aliceAor, from: `<${bobAor}>;tag=${rand()}`, to: `<${aliceAor}>`, callId, cseq: 1,
    headers: [['Event', 'presence'], ['Contact', `<sip:b@${ua.hostPort}>`], ['Proxy-Authorization', authorization(ch, BOB, 'SUBSCRIBE', aliceAor)]],
  }, srv.port);
  assert.equal(s.status, 200);
  await ua.waitNotify(callId, 3000, 0);
});

test('a user added while the server runs can register after the file change (or SIGHUP)', async () => {
  addUser(join(data, 'users.json'), { user: 'carol', domain: '127.0.0.1', realm: REALM, password: 'c4rol' });
  srv.proc.kill('SIGHUP');
  let status = 0;
  for (let i = 0; i < 20 && status !== 200; i++) {
    const ch = challengeFor(await ua.request(register('sip:carol@127.0.0.1'), srv.port), 'SHA-256');
    status = (await ua.request(register('sip:carol@127.0.0.1', [['Authorization', authorization(ch, { user: 'carol', password: 'c4rol' }, 'REGISTER', 'sip:127.0.0.1')]]), srv.port)).status;
    if (status !== 200) await sleep(100);
  }
  assert.equal(status, 200);
});

test('without --realm the realm is the AoR domain, so `user add alice@domain` works as is', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-realm-'));
  // The realm `comsipl user add` gives by default: the user's domain.
  addUser(join(dir, 'users.json'), { user: 'dora', domain: '127.0.0.1', password: 'expl0rer' });
  const s2 = await startServer(['--auth', 'on', '--auth-algorithms', 'SHA-256,MD5'], { data: dir });
  try {
    const aor = 'sip:dora@127.0.0.1';
    const first = await ua.request(register(aor), s2.port);
    assert.equal(first.status, 401);
    assert.match(hdrs(first, 'WWW-Authenticate')[0]!, /^Digest realm="127\.0\.0\.1"/);
    const ok = await ua.request(register(aor, [['Authorization', authorization(challengeFor(first, 'SHA-256'), { user: 'dora', password: 'expl0rer' }, 'REGISTER', 'sip:127.0.0.1')]]), s2.port);
    assert.equal(ok.status, 200);
  } finally {
    await s2.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
