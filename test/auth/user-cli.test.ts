import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { runUserCli } from '../../src/auth/user-cli.js';
import { computeHa1 } from '../../src/auth/digest.js';
import { loadUsers, lookupHa1 } from '../../src/auth/users-file.js';

function sink(): { stream: Writable; text: () => string } {
  let out = '';
  const stream = new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } });
  return { stream, text: () => out };
}

async function run(argv: string[], stdinText = '') {
  const out = sink();
  const err = sink();
  const code = await runUserCli(argv, { stdin: Readable.from([stdinText]), stdout: out.stream, stderr: err.stream });
  return { code, out: out.text(), err: err.text() };
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-ucli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('user add with --password writes <data>/users.json and prints one line', async (t) => {
  const dir = tempDir(t);
  const r = await run(['add', 'alice@example.com', '--password', 'pw1', '--data', dir]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `added alice@example.com (realm "example.com") in ${join(dir, 'users.json')}\n`);
  assert.equal(r.err, '');
  const users = loadUsers(join(dir, 'users.json'));
  assert.equal(lookupHa1(users, 'alice', 'example.com', 'MD5'), computeHa1('alice', 'example.com', 'pw1', 'MD5'));
});

test('user add reads the password from stdin (first line) and honours --realm and --file', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'custom.json');
  const r = await run(['user', 'add', 'bob@example.com', '--realm=corp', `--file=${file}`], 'from stdin\r\nignored\n');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^added bob@example\.com \(realm "corp"\) in .*custom\.json\n$/);
  const users = loadUsers(file);
  assert.equal(lookupHa1(users, 'bob', 'corp', 'SHA-256'), computeHa1('bob', 'corp', 'from stdin', 'SHA-256'));
  const again = await run(['add', 'bob@example.com', '--realm', 'corp', '--file', file, '--password', 'new']);
  assert.match(again.out, /^updated bob@example\.com/);
});

test('user list prints one line per user', async (t) => {
  const dir = tempDir(t);
  assert.equal((await run(['list', '--data', dir])).out, `no users in ${join(dir, 'users.json')}\n`);
  await run(['add', 'zed@example.com', '--password', 'a', '--data', dir]);
  await run(['add', 'amy@example.org', '--password', 'b', '--data', dir]);
  const r = await run(['list', '--data', dir]);
  assert.equal(r.code, 0);
  assert.equal(r.out, 'amy@example.org realm="example.org" algorithms=MD5,SHA-256\nzed@example.com realm="example.com" algorithms=MD5,SHA-256\n');
  assert.ok(!readFileSync(join(dir, 'users.json'), 'utf8').includes('"a"'));
});

test('user remove deletes one user and keeps the others; an unknown user exits 1; --help', async (t) => {
  const dir = tempDir(t);
  await run(['add', 'amy@example.org', '--password', 'a', '--data', dir]);
  await run(['add', 'zed@example.com', '--password', 'b', '--data', dir]);
  const r = await run(['remove', 'amy@EXAMPLE.org', '--data', dir]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `removed amy@EXAMPLE.org from ${join(dir, 'users.json')}\n`);
  assert.deepEqual(Object.keys(loadUsers(join(dir, 'users.json')).users), ['zed@example.com']);
  const again = await run(['remove', 'amy@example.org', '--data', dir]);
  assert.equal(again.code, 1);
  assert.match(again.err, /^comsipl user remove: no user amy@example\.org in /);
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: comsipl user add [\s\S]*comsipl user remove [\s\S]*comsipl user list /);
  assert.equal((await run(['remove', '--help'])).code, 0);
});

test('bad usage exits 2 with one line on stderr', async (t) => {
  const dir = tempDir(t);
  const cases: string[][] = [
    [],
    ['delete', 'a@b.c'],
    ['remove'],
    ['remove', 'a@b.c', 'b@c.d'],
    ['remove', 'a@b.c', '--realm', 'x'],
    ['add'],
    ['add', 'nodomain', '--password', 'x', '--data', dir],
    ['add', 'a@b.c', 'extra', '--password', 'x', '--data', dir],
    ['add', 'a@b.c', '--colour', 'red'],
    ['add', 'a@b.c', '--password'],
    ['add', 'a@b.c', '--password', '', '--data', dir],
    ['add', 'a:x@b.c', '--password', 'x', '--data', dir],
    ['list', 'extra', '--data', dir],
    ['list', '--realm', 'x'],
  ];
  for (const argv of cases) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(r.out, '');
    assert.equal(r.err.split('\n').length, 2, `one line: ${r.err}`);
    assert.match(r.err, /^comsipl user: .*usage: comsipl user add/);
  }
  // No password anywhere (empty stdin) is also a usage error.
  const r = await run(['add', 'a@b.c', '--data', dir], '');
  assert.equal(r.code, 2);
  assert.match(r.err, /no password/);
});

test('an unreadable users file exits 1', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'users.json'), '{broken');
  const list = await run(['list', '--data', dir]);
  assert.equal(list.code, 1);
  assert.match(list.err, /^comsipl user list: .*users\.json/);
  const add = await run(['add', 'a@b.c', '--password', 'x', '--data', dir]);
  assert.equal(add.code, 1);
  assert.equal(readFileSync(join(dir, 'users.json'), 'utf8'), '{broken', 'a broken file is not overwritten');
});
