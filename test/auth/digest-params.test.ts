import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAuthorization, pickCredentials, quoteString } from '../../src/auth/digest-params.js';

const BASE = 'username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", response="245f23415f11432b3434341c022"';

test('parses a RFC 3261 style Authorization value', () => {
  const c = parseAuthorization(`Digest ${BASE}, algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b", opaque=""`);
  assert.ok(c);
  assert.equal(c.username, 'bob');
  assert.equal(c.realm, 'biloxi.com');
  assert.equal(c.uri, 'sip:bob@biloxi.com');
  assert.equal(c.algorithm, 'MD5');
  assert.equal(c.qop, 'auth');
  assert.equal(c.nc, '00000001');
  assert.equal(c.cnonce, '0a4f113b');
  assert.equal(c.opaque, '');
  assert.equal(c.params.get('response'), '245f23415f11432b3434341c022');
});

test('scheme and parameter names are case-insensitive; whitespace and empty elements are tolerated', () => {
  const c = parseAuthorization(`  DIGEST   USERNAME = "bob" ,, Realm="biloxi.com",NONCE="n" ,\tresponse="r"  `);
  assert.ok(c);
  assert.equal(c.username, 'bob');
  assert.equal(c.realm, 'biloxi.com');
  assert.equal(c.uri, undefined);
});

test('quoted strings keep commas and equals signs and unescape quoted-pairs', () => {
  const c = parseAuthorization('Digest username="a\\"b\\\\c", realm="x, y=z", nonce="n", response="r"');
  assert.ok(c);
  assert.equal(c.username, 'a"b\\c');
  assert.equal(c.realm, 'x, y=z');
});

test('rejects non-digest schemes, duplicates, broken syntax and missing required fields', () => {
  const bad = [
    '', 'Digest', 'Digest ', 'Basic dXNlcjpwYXNz', `Digestusername="a"`, `Bearer ${BASE}`,
    `Digest ${BASE}, username="eve"`,                 // duplicate parameter (RFC 7616 §3.4)
    `Digest ${BASE}, qop`,                           // name without value
    `Digest ${BASE}, cnonce="unterminated`,          // open quote
    `Digest ${BASE}, cnonce="x"y`,                   // junk after a quoted value
    `Digest ${BASE}, =x`,
    `Digest ${BASE}, nc=`,
    'Digest realm="r", nonce="n", response="x"',     // no username
    'Digest username="u", nonce="n", response="x"',  // no realm
    'Digest username="u", realm="r", response="x"',  // no nonce
    'Digest username="u", realm="r", nonce="n"',     // no response
    `Digest ${BASE}, cnonce="a\\`,                   // dangling backslash
  ];
  for (const v of bad) assert.equal(parseAuthorization(v), null, v);
});

test('a parameter named __proto__ is just data', () => {
  const c = parseAuthorization(`Digest ${BASE}, __proto__="x", constructor=y`);
  assert.ok(c);
  assert.equal(c.params.get('__proto__'), 'x');
  assert.equal(Object.getPrototypeOf(c), Object.prototype);
});

test('pickCredentials chooses the header for our realm', () => {
  const other = 'Digest username="u", realm="elsewhere", nonce="n", response="r"';
  const ours = 'Digest username="v", realm="ours", nonce="n", response="r"';
  assert.equal(pickCredentials([other, 'garbage', ours], 'ours')?.username, 'v');
  assert.equal(pickCredentials([other], 'ours'), null);
});

test('property: parseAuthorization never throws on arbitrary input', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
    parseAuthorization(s);
    parseAuthorization('Digest ' + s);
  }), { numRuns: 2000 });
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
    parseAuthorization('Digest username="a", ' + s);
  }), { numRuns: 1000 });
});

test('property: any values written with quoteString read back unchanged', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
  fc.assert(fc.property(fc.uniqueArray(fc.tuple(name, fc.string({ maxLength: 40 })), { selector: (t) => t[0], maxLength: 6 }),
    fc.record({ u: fc.string(), r: fc.string(), n: fc.string(), x: fc.string() }), (extra, req) => {
      const fixed = new Map([['username', req.u], ['realm', req.r], ['nonce', req.n], ['response', req.x]]);
      const all = [...fixed, ...extra.filter(([k]) => !fixed.has(k))];
      const header = 'Digest ' + all.map(([k, v]) => `${k}=${quoteString(v)}`).join(', ');
      const c = parseAuthorization(header);
      assert.ok(c, header);
      for (const [k, v] of all) assert.equal(c.params.get(k), v);
      assert.equal(c.username, req.u);
    }), { numRuns: 500 });
});
