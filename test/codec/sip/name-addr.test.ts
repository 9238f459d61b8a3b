import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNameAddr, tagOf } from '../../../src/codec/sip/name-addr.js';

test('quoted display name with escapes, params after >', () => {
  const n = parseNameAddr('"J Rosenberg \\\\\\"" <sip:jdrosen@example.com> ; tag = 98asjd8');
  assert.ok(n);
  assert.equal(n.displayName, 'J Rosenberg \\"');
  assert.equal(n.uri, 'sip:jdrosen@example.com');
  assert.equal(n.params.get('tag'), '98asjd8');
  const c = parseNameAddr('"BEL:\\\u0007 NUL:\\\u0000 DEL:\\\u007f" <sip:x@example.com>');
  assert.equal(c?.displayName, 'BEL:\u0007 NUL:\u0000 DEL:\u007f');
  assert.equal(parseNameAddr('"Ünïcödé" <sip:u@x>')?.displayName, 'Ünïcödé');
});

test('token display names, with or without LWS before <', () => {
  assert.equal(parseNameAddr('caller<sip:caller@example.com>;tag=323')?.displayName, 'caller');
  assert.equal(parseNameAddr("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>")?.displayName, "token1~` token2'+_ token3*%!.-");
  assert.equal(parseNameAddr('<sip:a@b>')?.displayName, null);
});

test('addr-spec: params after the URI belong to the header', () => {
  const n = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam');
  assert.ok(n);
  assert.equal(n.uri, 'sip:+19725552222@gw1.example.net');
  assert.deepEqual([...n.params], [['unknownparam', null]]);
  const b = parseNameAddr('<sip:+19725552222@gw1.example.net;unknownparam>');
  assert.equal(b?.uri, 'sip:+19725552222@gw1.example.net;unknownparam');
  assert.equal(b?.params.size, 0);
  const w = parseNameAddr('sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n');
  assert.equal(w?.uri, 'sip:vivekg@chair-dnrc.example.com');
  assert.equal(w?.params.get('tag'), '1918181833n');
  assert.equal(parseNameAddr('isbn:2983792873')?.uri, 'isbn:2983792873');
});

test('rejected forms', () => {
  for (const v of [
    '', '   ', '"Mr. J. User <sip:j.user@example.com>', 'Bell, Alexander <sip:a.g.bell@example.com>;tag=43',
    '"Watson, Thomas" < sip:t.watson@example.org >', 'sip:user@example.com?Route=%3Csip:sip.example.com%3E',
    '"Joe" <sip:joe@example.org>;;;;', '<sip:a@b', '"x" sip:a@b', '*', '<sip:a@b>;tag', '<sip:a@b>;=x',
  ]) {
    const r = parseNameAddr(v);
    if (v === '<sip:a@b>;tag') assert.ok(r && r.params.get('tag') === null);
    else assert.equal(r, null, JSON.stringify(v));
  }
});

test('tagOf', () => {
  assert.equal(tagOf('"A" <sip:a@x>;tag=abc'), 'abc');
  assert.equal(tagOf('<sip:a@x;tag=inuri>'), null);
  assert.equal(tagOf('sip:a@x'), null);
});
