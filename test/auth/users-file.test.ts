import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addUser, findUser, loadUsers, lookupHa1, parseUsers, usersFilePath, UsersFileError } from '../../src/auth/users-file.js';
import { buildChallenge, computeHa1, digestResponse, parseAuthorization, verifyDigest, NonceCounter } from '../../src/auth/digest.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'comsipl-users-'));
}

test('addUser writes HA1 values only, atomically, with mode 0600', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = usersFilePath(join(dir, 'data'));
  const r = addUser(file, { user: 'alice', domain: 'Example.COM', password: 'p4ss-word' });
  assert.deepEqual(r, { created: true, aor: 'alice@example.com', realm: 'example.com' });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes('p4ss-word'), 'no plaintext password on disk');
  const json = JSON.parse(text);
  assert.equal(json.version, 1);
  assert.deepEqual(json.users['alice@example.com'].ha1, {
    MD5: computeHa1('alice', 'example.com', 'p4ss-word', 'MD5'),
    'SHA-256': computeHa1('alice', 'example.com', 'p4ss-word', 'SHA-256'),
  });
  assert.equal(json.users['alice@example.com'].ha1b.MD5, computeHa1('alice@example.com', 'example.com', 'p4ss-word', 'MD5'));
  assert.deepEqual(readdirSync(join(dir, 'data')), ['users.json'], 'no temp file left behind');
});

test('addUser keeps other users and replaces an existing one', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'users.json');
  addUser(file, { user: 'alice', domain: 'example.com', password: 'one' });
  addUser(file, { user: 'bob', domain: 'example.com', realm: 'corp', password: 'two' });
  const again = addUser(file, { user: 'alice', domain: 'example.com', password: 'three' });
  assert.equal(again.created, false);
  const users = loadUsers(file);
  assert.deepEqual(Object.keys(users.users).sort(), ['alice@example.com', 'bob@example.com']);
  assert.equal(lookupHa1(users, 'alice', 'example.com', 'MD5'), computeHa1('alice', 'example.com', 'three', 'MD5'));
  assert.equal(lookupHa1(users, 'bob', 'corp', 'SHA-256'), computeHa1('bob', 'corp', 'two', 'SHA-256'));
  assert.equal(lookupHa1(users, 'bob', 'example.com', 'SHA-256'), undefined, 'realm must match');
});

test('lookup by short name and by full AoR', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'users.json');
  addUser(file, { user: 'carol', domain: 'example.com', password: 'pw' });
  const users = loadUsers(file);
  assert.equal(lookupHa1(users, 'carol@example.com', 'example.com', 'SHA-256'), computeHa1('carol@example.com', 'example.com', 'pw', 'SHA-256'));
  assert.equal(findUser(users, 'carol', 'example.com')?.aor, 'carol@example.com');
  assert.equal(findUser(users, 'carol@example.com', 'example.com')?.aor, 'carol@example.com');
  assert.equal(findUser(users, 'dave', 'example.com'), undefined);
  assert.ok(Object.isFrozen(users) && Object.isFrozen(users.users));
});

test('a short name shared by two domains in one realm is ambiguous', () => {
  const ha1 = { MD5: '0'.repeat(32) };
  const users = parseUsers({ version: 1, users: { 'x@a.com': { realm: 'r', ha1 }, 'x@b.com': { realm: 'r', ha1: { MD5: '1'.repeat(32) } } } }, 'mem');
  assert.equal(lookupHa1(users, 'x', 'r', 'MD5'), undefined);
  assert.equal(findUser(users, 'x', 'r'), undefined);
});

test('the users file drives verifyDigest end to end', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'users.json');
  addUser(file, { user: 'alice', domain: 'example.com', password: 'secret' });
  const users = loadUsers(file);
  const secret = Buffer.alloc(32, 1);
  const now = 1_000_000;
  const nonce = /nonce="([^"]+)"/.exec(buildChallenge({ realm: 'example.com', secret, now })[0]!)![1]!;
  for (const username of ['alice', 'alice@example.com']) {
    const ha1 = computeHa1(username, 'example.com', 'secret', 'SHA-256');
    const response = digestResponse({ algorithm: 'SHA-256', ha1, nonce, nc: '00000001', cnonce: 'cn', qop: 'auth', method: 'PUBLISH', uri: 'sip:alice@example.com' });
    const credentials = parseAuthorization(`Digest username="${username}", realm="example.com", nonce="${nonce}", uri="sip:alice@example.com", response="${response}", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="cn"`)!;
    const r = verifyDigest({
      credentials, method: 'PUBLISH', realm: 'example.com', secret, now, nonceTtlMs: 300_000,
      ha1: (u, realm, a) => lookupHa1(users, u, realm, a), nonceCounter: new NonceCounter(),
    });
    assert.deepEqual(r, { ok: true, username });
  }
});

test('loadUsers: missing file → no users; broken files → UsersFileError naming the file', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.deepEqual(Object.keys(loadUsers(join(dir, 'absent.json')).users), []);
  const cases: [string, RegExp][] = [
    ['{not json', /users\.json/],
    ['[]', /expected a JSON object/],
    ['{"version":2,"users":{}}', /unsupported version/],
    ['{"version":1,"users":{"nodomain":{"realm":"r","ha1":{}}}}', /user@domain/],
    ['{"version":1,"users":{"a@b.c":{"realm":"","ha1":{}}}}', /realm/],
    ['{"version":1,"users":{"a@b.c":{"realm":"r","ha1":{"MD5":"xyz"}}}}', /hex/],
    ['{"version":1,"users":{"a@b.c":{"realm":"r","ha1":{"SHA-1":"00"}}}}', /unknown algorithm/],
    ['{"version":1,"users":{"a@b.c":{"realm":"r","password":"plain"}}}', /HA1/],
  ];
  const file = join(dir, 'users.json');
  for (const [text, re] of cases) {
    writeFileSync(file, text);
    assert.throws(() => loadUsers(file), (e: unknown) => e instanceof UsersFileError && re.test(e.message), text);
  }
});

test('addUser validates its input', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'users.json');
  assert.throws(() => addUser(file, { user: 'a:b', domain: 'example.com', password: 'x' }), UsersFileError);
  assert.throws(() => addUser(file, { user: 'a', domain: 'bad domain', password: 'x' }), UsersFileError);
  assert.throws(() => addUser(file, { user: 'a', domain: 'example.com', password: '' }), UsersFileError);
  assert.deepEqual(readdirSync(dir), []);
});
