import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { runRulesCli } from '../../src/policy/rules-cli.js';
import { WatcherRules } from '../../src/policy/watcher-rules.js';

function sink(): { stream: Writable; text: () => string } {
  let out = '';
  const stream = new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } });
  return { stream, text: () => out };
}

async function run(argv: string[]) {
  const out = sink();
  const err = sink();
  const code = await runRulesCli(argv, { stdin: Readable.from([]), stdout: out.stream, stderr: err.stream });
  return { code, out: out.text(), err: err.text() };
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-rcli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('approve, deny and polite-block edit <data>/rules.json', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'rules.json');
  writeFileSync(file, JSON.stringify({ default: 'confirm' }));
  const a = await run(['approve', 'sip:alice@example.com', 'sip:bob@example.com', '--data', dir]);
  assert.equal(a.code, 0, a.err);
  assert.equal(a.out, `sip:alice@example.com watched by sip:bob@example.com: allow (written to ${file})\n`);
  assert.equal(WatcherRules.load(file).decide('sip:alice@example.com', 'sip:bob@example.com'), 'allow');

  assert.equal((await run(['rules', 'deny', 'alice@example.com', 'bob@example.com', '--data', dir])).code, 0);
  assert.equal(WatcherRules.load(file).decide('sip:alice@example.com', 'sip:bob@example.com'), 'block');

  assert.equal((await run(['polite-block', 'alice@example.com', '*@spam.org', `--file=${file}`])).code, 0);
  const rules = WatcherRules.load(file);
  assert.equal(rules.decide('sip:alice@example.com', 'sip:x@spam.org'), 'polite-block');
  assert.equal(rules.decide('sip:alice@example.com', 'sip:x@ham.org'), 'confirm');
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).users['sip:alice@example.com'],
    { allow: [], block: ['sip:bob@example.com'], politeBlock: ['*@spam.org'] });

  const c = await run(['check', 'alice@example.com', 'sip:bob@example.com', '--data', dir]);
  assert.equal(c.out, 'sip:alice@example.com watched by sip:bob@example.com: block\n');
});

test('bad usage exits 2 with one line; a broken file exits 1 and is left alone', async (t) => {
  const dir = tempDir(t);
  const cases: string[][] = [
    [], ['allow', 'a@x.com', 'b@y.com'], ['approve', 'a@x.com'], ['approve', 'a@x.com', 'b@y.com', 'c@z.com'],
    ['approve', 'nohost', 'b@y.com', '--data', dir], ['approve', '*@x.com', 'b@y.com', '--data', dir],
    ['approve', 'a@x.com', 'b', '--data', dir], ['deny', 'a@x.com', 'b@y.com', '--password', 'x'],
    ['deny', 'a@x.com', 'b@y.com', '--data'], ['toString', 'a@x.com', 'b@y.com'],
  ];
  for (const argv of cases) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(r.out, '');
    assert.equal(r.err.split('\n').length, 2, r.err);
    assert.match(r.err, /^comsipl rules: .*usage: comsipl rules approve\|deny\|polite-block/);
  }
  writeFileSync(join(dir, 'rules.json'), '{"default": "nope"}');
  const r = await run(['approve', 'a@x.com', 'b@y.com', '--data', dir]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^comsipl rules approve: .*nope/);
  assert.equal(readFileSync(join(dir, 'rules.json'), 'utf8'), '{"default": "nope"}');
});

test('list prints the rules without a server (a note says pending watchers are unknown); --help', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'rules.json'), JSON.stringify({
    default: 'confirm',
    domains: { 'example.com': { allow: ['*@example.com'] } },
    users: { 'sip:alice@example.com': { block: ['sip:eve@example.org'], politeBlock: ['sip:boss@example.com'] }, 'sip:bob@example.com': { default: 'allow' } },
  }));
  const r = await run(['list', '--data', dir, '--http', '127.0.0.1:1']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, [
    `rules in ${join(dir, 'rules.json')}:`,
    '  everyone else: confirm',
    '  presentities of example.com: allow: *@example.com',
    '  sip:alice@example.com: polite-block: sip:boss@example.com; block: sip:eve@example.org',
    '  sip:bob@example.com: default allow',
    '',
  ].join('\n'));
  assert.match(r.err, /^comsipl rules list: pending watchers not shown: /);
  const one = await run(['list', 'bob@example.com', '--data', dir, '--http', '127.0.0.1:1']);
  assert.equal(one.out, `rules in ${join(dir, 'rules.json')}:\n  sip:bob@example.com: default allow\n`);
  assert.equal((await run(['list', 'a@b.c', 'd@e.f'])).code, 2);
  writeFileSync(join(dir, 'rules.json'), '{"default": "nope"}');
  assert.equal((await run(['list', '--data', dir])).code, 1);
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: comsipl rules approve\|deny\|polite-block\|check [\s\S]*comsipl rules list/);
});
