import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalHeaderName, isKnownHeaderName, lookupHeaderName } from '../../../src/codec/sip/header-names.js';

function onBytes(s: string, pad = 3): string | null {
  const b = Buffer.from('x'.repeat(pad) + s + 'yy', 'latin1');
  return lookupHeaderName(b, pad, pad + s.length);
}

test('lookup on bytes: any case, compact forms, within a larger buffer', () => {
  assert.equal(onBytes('cAlL-iD'), 'Call-ID');
  assert.equal(onBytes('CSEQ'), 'CSeq');
  assert.equal(onBytes('www-authenticate'), 'WWW-Authenticate');
  assert.equal(onBytes('sip-etag'), 'SIP-ETag');
  const compact: Record<string, string> = {
    i: 'Call-ID', m: 'Contact', f: 'From', t: 'To', v: 'Via', l: 'Content-Length', c: 'Content-Type', k: 'Supported',
    e: 'Content-Encoding', s: 'Subject', o: 'Event', u: 'Allow-Events', r: 'Refer-To', x: 'Session-Expires', y: 'Identity',
    b: 'Referred-By', a: 'Accept-Contact', j: 'Reject-Contact', d: 'Request-Disposition',
  };
  for (const [short, long] of Object.entries(compact)) {
    assert.equal(onBytes(short), long, short);
    assert.equal(onBytes(short.toUpperCase()), long, short.toUpperCase());
  }
  assert.equal(onBytes('C%6Fntact'), null, 'never percent-decode names (RFC 4475 esc02)');
  assert.equal(onBytes('Contacts'), null);
  assert.equal(onBytes('X-Unknown'), null);
  assert.equal(onBytes('g'), null);
});

test('canonicalHeaderName on strings', () => {
  assert.equal(canonicalHeaderName('l'), 'Content-Length');
  assert.equal(canonicalHeaderName('max-forwards'), 'Max-Forwards');
  assert.equal(canonicalHeaderName('X-Foo'), 'X-Foo');
  assert.ok(isKnownHeaderName('Via'));
  assert.ok(!isKnownHeaderName('via'));
  assert.ok(!isKnownHeaderName('X-Foo'));
});
