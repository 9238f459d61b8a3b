// The Authenticator as the server uses it, with a fixed secret and a controlled clock: stale
// nonces (stale=true), replays, realms, and reloading a broken users file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authenticator, type AuthRequest } from '../../src/auth/authenticator.js';
import { addUser, UsersFileError } from '../../src/auth/users-file.js';
import { authorization, parseChallenge } from '../hardening/helpers.js';

const REALM = 'example.com';
const SECRET = Buffer.alloc(32, 7);

function setup(): { dir: string; auth: Authenticator } {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-authn-'));
  addUser(join(dir, 'users.json'), { user: 'alice', domain: 'example.com', password: 'pw' });
  return { dir, auth: new Authenticator({ realm: REALM, usersPath: join(dir, 'users.json'), secret: SECRET, nonceTtlMs: 1000 }) };
}

function req(method: string, auth?: string): AuthRequest {
  return { method, uri: 'sip:example.com', to: '<sip:alice@example.com>', from: undefined, credentials: auth === undefined ? [] : [auth] };
}

function challenge(a: Authenticator, now: number): ReturnType<typeof parseChallenge> {
  const r = a.check(req('REGISTER'), now);
  assert.equal(r.ok, false);
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.status, 401);
  assert.deepEqual(r.headers.map((h) => h.name), ['WWW-Authenticate', 'WWW-Authenticate']);
  return parseChallenge(r.headers[0]!.value);
}

test('the right answer authenticates as the AoR of the users file', () => {
  const { dir, auth } = setup();
  const ch = challenge(auth, 10_000);
  const r = auth.check(req('REGISTER', authorization(ch, { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:example.com')), 10_100);
  assert.deepEqual(r, { ok: true, user: 'alice@example.com' });
  rmSync(dir, { recursive: true });
});

test('a correct answer on an expired nonce → 401 with stale=true; a wrong one on it → not stale', () => {
  const { dir, auth } = setup();
  const ch = challenge(auth, 10_000);
  const late = auth.check(req('REGISTER', authorization(ch, { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:example.com')), 12_000);
  assert.equal(late.ok, false);
  if (late.ok) return;
  assert.equal(late.why, 'stale nonce');
  assert.ok(late.headers.every((h) => /, stale=true$/.test(h.value)));
  const wrong = auth.check(req('REGISTER', authorization(ch, { user: 'alice', password: 'nope' }, 'REGISTER', 'sip:example.com')), 12_000);
  assert.ok(!wrong.ok && wrong.headers.every((h) => !/stale/.test(h.value)));
  rmSync(dir, { recursive: true });
});

test('the method is part of the digest, the nc may not repeat, and another realm is not ours', () => {
  const { dir, auth } = setup();
  const ch = challenge(auth, 10_000);
  const h = authorization(ch, { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:example.com', 5);
  assert.equal(auth.check(req('PUBLISH', h), 10_001).ok, false, 'REGISTER digest replayed as PUBLISH');
  assert.equal(auth.check(req('REGISTER', h), 10_002).ok, true);
  const again = auth.check(req('REGISTER', h), 10_003);
  assert.ok(!again.ok && again.why === 'replayed nonce count');
  const other = auth.check(req('REGISTER', authorization({ ...ch, realm: 'elsewhere' }, { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:example.com', 6)), 10_004);
  assert.ok(!other.ok && other.why === 'no credentials for our realm');
  rmSync(dir, { recursive: true });
});

test('reload: new users are seen; a broken file throws and the old users stay', () => {
  const { dir, auth } = setup();
  addUser(join(dir, 'users.json'), { user: 'bob', domain: 'example.com', password: 'b' });
  auth.reload();
  assert.equal(auth.userCount, 2);
  writeFileSync(join(dir, 'users.json'), '{"version": 1, "users": ');
  assert.throws(() => auth.reload(), UsersFileError);
  assert.equal(auth.userCount, 2);
  const ch = challenge(auth, 10_000);
  assert.equal(auth.check(req('REGISTER', authorization(ch, { user: 'alice', password: 'pw' }, 'REGISTER', 'sip:example.com')), 10_001).ok, true);
  rmSync(dir, { recursive: true });
});
