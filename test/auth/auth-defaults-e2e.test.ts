// The authentication defaults every client can answer (README "Authentication"): one MD5
// challenge, because SIP.js and JsSIP compute MD5 only, SIPp fails on more than one challenge
// and baresip 1.0 on any but MD5 alone; and a site that requires SHA-256 gets exactly that: a
// SHA-256 challenge and MD5 answers refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addUser } from '../../src/auth/users-file.js';
import { startServer } from '../support/server.js';
import { SipUA, hdrs, rand, type ReqSpec } from '../support/sip-ua.js';
import { authorization, parseChallenge, type Challenge } from '../hardening/helpers.js';

const aor = 'sip:alice@127.0.0.1';
const register = (ua: SipUA, cseq: number, auth?: string): ReqSpec => ({
  method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq,
  headers: [['Contact', `<sip:alice@${ua.hostPort}>`], ...(auth ? [['Authorization', auth] as [string, string]] : [])],
});

async function withServer(args: string[], f: (port: number, ua: SipUA) => Promise<void>): Promise<void> {
  const data = mkdtempSync(join(tmpdir(), 'comsipl-authdef-'));
  addUser(join(data, 'users.json'), { user: 'alice', domain: '127.0.0.1', password: 'secret' });
  const srv = await startServer(['--auth', 'on', ...args], { data });
  const ua = await new SipUA().bind();
  try {
    await f(srv.port, ua);
  } finally {
    ua.close();
    await srv.stop();
    rmSync(data, { recursive: true, force: true });
  }
}

test('by default: exactly one challenge, MD5, and an MD5 answer registers', async () => {
  await withServer([], async (port, ua) => {
    const r = await ua.request(register(ua, 1), port);
    assert.equal(r.status, 401);
    const values = hdrs(r, 'WWW-Authenticate');
    assert.equal(values.length, 1, 'one challenge: SIPp and baresip 1.0 fail on two');
    const ch = parseChallenge(values[0]!);
    assert.equal(ch.algorithm, 'MD5');
    const ok = await ua.request(register(ua, 2, authorization(ch, { user: 'alice', password: 'secret' }, 'REGISTER', 'sip:127.0.0.1')), port);
    assert.equal(ok.status, 200);
  });
});

test('--auth-algorithms SHA-256: a SHA-256 challenge only, and an MD5 answer is refused', async () => {
  await withServer(['--auth-algorithms', 'SHA-256'], async (port, ua) => {
    const r = await ua.request(register(ua, 1), port);
    const values = hdrs(r, 'WWW-Authenticate');
    assert.equal(values.length, 1);
    const ch = parseChallenge(values[0]!);
    assert.equal(ch.algorithm, 'SHA-256');
    const md5: Challenge = { ...ch, algorithm: 'MD5' };
    const refused = await ua.request(register(ua, 2, authorization(md5, { user: 'alice', password: 'secret' }, 'REGISTER', 'sip:127.0.0.1')), port);
    assert.equal(refused.status, 401, 'a site that requires SHA-256 takes no MD5 answer');
    const ok = await ua.request(register(ua, 3, authorization(ch, { user: 'alice', password: 'secret' }, 'REGISTER', 'sip:127.0.0.1')), port);
    assert.equal(ok.status, 200);
  });
});
