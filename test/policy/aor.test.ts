import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { aorKey, domainOfKey, isWildcardKey } from '../../src/policy/aor.js';

test('aorKey keeps user and host, drops scheme, port, params and headers', () => {
  const cases: [string, string][] = [
    ['sip:alice@example.com', 'alice@example.com'],
    ['SIPS:Alice@EXAMPLE.com', 'Alice@example.com'],
    ['pres:alice@example.com', 'alice@example.com'],
    ['sip:alice@example.com:5060;transport=udp', 'alice@example.com'],
    ['sip:alice@example.com?subject=x', 'alice@example.com'],
    ['"Alice" <sip:alice@example.com;tag=x>', 'alice@example.com'],
    ['<sip:alice@Example.com>;tag=1', 'alice@example.com'],
    ['alice@example.com', 'alice@example.com'],
    ['sip:%61lice@example.com', 'alice@example.com'],
    ['sip:bad%zz@example.com', 'bad%zz@example.com'],
    ['sip:alice@[2001:DB8::1]:5060', 'alice@[2001:db8::1]'],
    ['*@Example.com', '*@example.com'],
    ['  sip:alice@example.com  ', 'alice@example.com'],
    ['example.com', 'example.com'],
  ];
  for (const [input, key] of cases) assert.equal(aorKey(input), key, input);
});

test('domainOfKey and isWildcardKey', () => {
  assert.equal(domainOfKey('alice@example.com'), 'example.com');
  assert.equal(domainOfKey('example.com'), 'example.com');
  assert.equal(isWildcardKey('*@example.com'), true);
  assert.equal(isWildcardKey('alice@example.com'), false);
});

test('property: aorKey never throws and is idempotent', () => {
  fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => {
    const k = aorKey(s);
    return aorKey(k) === aorKey(aorKey(k));
  }), { numRuns: 1000 });
});

test('keys are stable: an unclosed < and an escaped @ survive a second pass', () => {
  for (const s of ['<<<', '<sip:a@b', 'sip:%2540@x', 'sip:a%40b@Example.com', '%41@x']) {
    const k = aorKey(s);
    assert.equal(aorKey(k), k, JSON.stringify(s));
  }
  assert.equal(aorKey('sip:a%40b@Example.com'), 'a%40b@example.com');
});
