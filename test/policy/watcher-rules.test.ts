import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rulesFilePath, RulesFileError, WatcherRules, type WatcherDecision } from '../../src/policy/watcher-rules.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-rules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const DOC = {
  default: 'allow',
  domains: {
    'example.com': {
      default: 'confirm',
      allow: ['sip:bob@example.com', '*@partner.org'],
      block: ['sip:spam@evil.net'],
      politeBlock: ['*@rival.com'],
    },
  },
  users: {
    'sip:alice@example.com': {
      default: 'block',
      allow: ['sip:carol@other.org', '*@friends.net'],
      block: ['sip:bob@example.com'],
      politeBlock: ['sip:boss@example.com'],
      confirm: ['sip:dan@friends.net'],
    },
    'sip:erin@example.com': {
      allow: ['*@evil.net'],
    },
  },
};

test('precedence: self > user exact > user wildcard > user default > domain > global default', () => {
  const r = WatcherRules.fromObject(DOC, '/nonexistent/rules.json');
  const cases: [string, string, WatcherDecision][] = [
    ['sip:alice@example.com', 'sip:alice@example.com', 'allow'],          // self-view, despite default block
    ['sip:alice@example.com', 'sip:carol@other.org', 'allow'],            // user exact
    ['sip:alice@example.com', 'sip:bob@example.com', 'block'],            // user exact beats domain allow
    ['sip:alice@example.com', 'sip:boss@example.com', 'polite-block'],
    ['sip:alice@example.com', 'sip:dan@friends.net', 'confirm'],          // exact beats the *@friends.net allow
    ['sip:alice@example.com', 'sip:eve@friends.net', 'allow'],            // user wildcard
    ['sip:alice@example.com', 'sip:zoe@nowhere.org', 'block'],            // user default
    ['sip:erin@example.com', 'sip:other@evil.net', 'allow'],              // user wildcard
    ['sip:erin@example.com', 'sip:bob@example.com', 'allow'],             // user has no match and no default → domain exact
    ['sip:erin@example.com', 'sip:x@unknown.org', 'confirm'],             // → domain default
    ['sip:frank@example.com', 'sip:bob@example.com', 'allow'],            // domain exact
    ['sip:frank@example.com', 'sip:x@partner.org', 'allow'],              // domain wildcard
    ['sip:frank@example.com', 'sip:x@rival.com', 'polite-block'],
    ['sip:frank@example.com', 'sip:x@unknown.org', 'confirm'],            // domain default
    ['sip:gina@elsewhere.org', 'sip:x@unknown.org', 'allow'],             // global default
  ];
  for (const [p, w, d] of cases) assert.equal(r.decide(p, w), d, `${p} watched by ${w}`);
});

test('a user rule beats the domain rule for the same watcher', () => {
  // erin's own *@evil.net allow is a user-level match, so it wins over the domain's exact block.
  const r = WatcherRules.fromObject(DOC, '/x');
  assert.equal(r.decide('sip:erin@example.com', 'sip:spam@evil.net'), 'allow');
});

test('AoRs are compared by identity: scheme, case of host, port and params do not matter', () => {
  const r = WatcherRules.fromObject(DOC, '/x');
  assert.equal(r.decide('<sips:alice@EXAMPLE.com:5061>', '"Bob" <sip:bob@Example.Com;transport=tcp>'), 'block');
  assert.equal(r.decide('sip:alice@example.com;x=y', 'alice@example.com'), 'allow');
  // The user part is case-sensitive (RFC 3261 §19.1.4): Alice has no user rules, so the domain default applies.
  assert.equal(r.decide('sip:Alice@example.com', 'sip:carol@other.org'), 'confirm');
});

test('inside one level the most restrictive list wins', () => {
  const r = WatcherRules.fromObject({
    users: {
      'sip:a@x.com': {
        allow: ['sip:w1@y.com', 'sip:w2@y.com', 'sip:w3@y.com', '*@z.com'],
        confirm: ['sip:w1@y.com', 'sip:w2@y.com'],
        politeBlock: ['sip:w2@y.com', 'sip:w3@y.com'],
        block: ['sip:w3@y.com', '*@z.com'],
      },
    },
  }, '/x');
  assert.equal(r.decide('sip:a@x.com', 'sip:w1@y.com'), 'confirm');
  assert.equal(r.decide('sip:a@x.com', 'sip:w2@y.com'), 'polite-block');
  assert.equal(r.decide('sip:a@x.com', 'sip:w3@y.com'), 'block');
  assert.equal(r.decide('sip:a@x.com', 'sip:any@z.com'), 'block');
});

test('a missing file means no rules (global default allow)', (t) => {
  const dir = tempDir(t);
  const r = WatcherRules.load(rulesFilePath(dir));
  assert.equal(r.decide('sip:a@x.com', 'sip:b@y.com'), 'allow');
  assert.equal(r.path, join(dir, 'rules.json'));
});

test('setDecision persists atomically, moves the watcher between lists and survives a reload', (t) => {
  const dir = tempDir(t);
  const file = rulesFilePath(dir);
  writeFileSync(file, JSON.stringify({ default: 'confirm', users: { 'sip:alice@example.com': { block: ['sip:bob@example.com'], note: 'kept' } } }));
  const r = WatcherRules.load(file);
  assert.equal(r.decide('sip:alice@example.com', 'sip:bob@example.com'), 'block');
  r.setDecision('alice@example.com', '<sip:bob@example.com>', 'allow');
  assert.equal(r.decide('sip:alice@example.com', 'sip:bob@example.com'), 'allow');
  const json = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(json.users['sip:alice@example.com'], { block: [], note: 'kept', allow: ['sip:bob@example.com'] });
  assert.equal(json.default, 'confirm');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['rules.json']);

  r.setDecision('sip:alice@example.com', 'sip:carol@example.com', 'polite-block');
  r.setDecision('sip:new@example.com', '*@spam.org', 'block');
  const fresh = WatcherRules.load(file);
  assert.equal(fresh.decide('sip:alice@example.com', 'sip:carol@example.com'), 'polite-block');
  assert.equal(fresh.decide('sip:new@example.com', 'sip:x@spam.org'), 'block');
  assert.equal(fresh.decide('sip:new@example.com', 'sip:x@ham.org'), 'confirm');
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).users['sip:new@example.com'], { block: ['*@spam.org'] });
});

test('reload picks up edits; a broken file throws and keeps the previous rules', (t) => {
  const dir = tempDir(t);
  const file = rulesFilePath(dir);
  writeFileSync(file, JSON.stringify({ default: 'allow' }));
  const r = WatcherRules.load(file);
  writeFileSync(file, JSON.stringify({ default: 'block' }));
  r.reload();
  assert.equal(r.decide('sip:a@x.com', 'sip:b@y.com'), 'block');
  writeFileSync(file, '{"default": "maybe"}');
  assert.throws(() => r.reload(), (e: unknown) => e instanceof RulesFileError && /maybe/.test(e.message));
  assert.equal(r.decide('sip:a@x.com', 'sip:b@y.com'), 'block');
  writeFileSync(file, '{oops');
  assert.throws(() => r.reload(), RulesFileError);
  assert.equal(r.decide('sip:a@x.com', 'sip:b@y.com'), 'block');
});

test('invalid documents are refused with a message naming the place', () => {
  const bad: [unknown, RegExp][] = [
    [[], /expected a JSON object/],
    [{ default: 'deny' }, /default/],
    [{ users: [] }, /"users" must be an object/],
    [{ users: { 'sip:a@x.com': { allow: 'sip:b@y.com' } } }, /allow: expected an array/],
    [{ users: { 'sip:a@x.com': { block: [''] } } }, /non-empty strings/],
    [{ domains: { 'x.com': { default: 'polite' } } }, /domains\["x\.com"\]\.default/],
  ];
  for (const [doc, re] of bad) {
    assert.throws(() => WatcherRules.fromObject(doc, 'rules.json'), (e: unknown) => e instanceof RulesFileError && re.test(e.message), JSON.stringify(doc));
  }
  const r = WatcherRules.fromObject({}, '/x');
  assert.throws(() => r.setDecision('sip:a@x.com', 'sip:b@y.com', 'confirm' as never), RulesFileError);
});

test('property: watching yourself is always allowed, whatever the rules', () => {
  const decision = fc.constantFrom('allow', 'block', 'polite-block', 'confirm');
  const user = fc.stringMatching(/^[a-z]{1,6}$/);
  fc.assert(fc.property(user, decision, decision, fc.array(user), (u, def, userDef, blocked) => {
    const aor = `sip:${u}@example.com`;
    const r = WatcherRules.fromObject({
      default: def, domains: { 'example.com': { default: def, block: [`*@example.com`] } },
      users: { [aor]: { default: userDef, block: [aor, ...blocked.map((b) => `sip:${b}@example.com`)] } },
    }, '/x');
    return r.decide(aor, `<${aor}>`) === 'allow';
  }), { numRuns: 200 });
});
