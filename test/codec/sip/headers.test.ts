import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  getHeader, getHeaderLines, getHeaderValues, hasHeader, mediaTypeOf, parseCSeq, parseExpiresValue,
  parseMaxForwards, parseParams, splitCommaList, unquote,
} from '../../../src/codec/sip/headers.js';

const msg = {
  headers: [
    { name: 'Via', value: 'SIP/2.0/UDP a;branch=1, SIP/2.0/UDP b;branch=2' },
    { name: 'Via', value: 'SIP/2.0/UDP c;branch=3' },
    { name: 'Contact', value: '"Doe, John" <sip:j@x;a=b,c>;q=0.5, <sip:k@y>' },
    { name: 'Date', value: 'Sat, 13 Nov 2010 23:29:00 GMT' },
    { name: 'X-Custom', value: 'one, two' },
    { name: 'To', value: '"A, B" <sip:a@b>' },
  ],
};

test('getHeader / hasHeader: first value, any case, compact names', () => {
  assert.equal(getHeader(msg, 'via'), 'SIP/2.0/UDP a;branch=1, SIP/2.0/UDP b;branch=2');
  assert.equal(getHeader(msg, 'v'), getHeader(msg, 'Via'));
  assert.equal(getHeader(msg, 'm'), msg.headers[2]!.value);
  assert.equal(getHeader(msg, 'x-custom'), 'one, two');
  assert.equal(getHeader(msg, 'X-CUSTOM'), 'one, two');
  assert.equal(getHeader(msg, 'Call-ID'), undefined);
  assert.ok(hasHeader(msg, 'DATE'));
  assert.ok(!hasHeader(msg, 'i'));
  assert.deepEqual(getHeaderLines(msg, 'Via').length, 2);
});

test('getHeaderValues: comma lists and repeated lines are equivalent (CORE-04)', () => {
  assert.deepEqual(getHeaderValues(msg, 'Via'), ['SIP/2.0/UDP a;branch=1', 'SIP/2.0/UDP b;branch=2', 'SIP/2.0/UDP c;branch=3']);
  assert.deepEqual(getHeaderValues(msg, 'Contact'), ['"Doe, John" <sip:j@x;a=b,c>;q=0.5', '<sip:k@y>']);
  // Not lists: kept whole.
  assert.deepEqual(getHeaderValues(msg, 'Date'), ['Sat, 13 Nov 2010 23:29:00 GMT']);
  assert.deepEqual(getHeaderValues(msg, 'To'), ['"A, B" <sip:a@b>']);
  assert.deepEqual(getHeaderValues(msg, 'X-Custom'), ['one', 'two']);
  assert.deepEqual(getHeaderValues(msg, 'Allow'), []);
});

test('splitCommaList: quotes (with escapes), <>, empties', () => {
  assert.deepEqual(splitCommaList('a, "b,\\"c", <d,e>;x, f'), ['a', '"b,\\"c"', '<d,e>;x', 'f']);
  assert.deepEqual(splitCommaList(' , a,,b , '), ['a', 'b']);
  assert.deepEqual(splitCommaList('a,,b', true), ['a', '', 'b']);
  assert.deepEqual(splitCommaList(''), []);
  assert.deepEqual(splitCommaList('"unclosed, quote'), ['"unclosed, quote']);
});

test('parseParams and unquote', () => {
  const p = parseParams(';tag=abc ; expires = 30;lr;+sip.instance="<urn:uuid:1>";Q=0.5');
  assert.ok(p);
  assert.deepEqual([...p], [['tag', 'abc'], ['expires', '30'], ['lr', null], ['+sip.instance', '"<urn:uuid:1>"'], ['q', '0.5']]);
  assert.equal(unquote(p.get('+sip.instance')!), '<urn:uuid:1>');
  assert.equal(unquote('"a\\"b\\\\"'), 'a"b\\');
  assert.equal(unquote('plain'), 'plain');
  assert.deepEqual(parseParams(''), new Map());
  for (const bad of [';', ';;a', ';a=', ';a="x', 'a=b', ';a b', ';a=b c']) assert.equal(parseParams(bad), null, bad);
  assert.equal(parseParams(';a=1;a=2')?.get('a'), '1');
});

test('parseCSeq: exact 32-bit range, method token, LWS', () => {
  assert.deepEqual(parseCSeq('0009 INVITE'), { seq: 9, method: 'INVITE' });
  assert.deepEqual(parseCSeq('  4294967295\tREGISTER '), { seq: 4294967295, method: 'REGISTER' });
  assert.equal(parseCSeq('4294967296 REGISTER'), null);
  assert.equal(parseCSeq('36893488147419103232 REGISTER'), null);
  assert.equal(parseCSeq('00000000000000000001 OPTIONS')?.seq, 1);
  for (const bad of ['', '1', 'INVITE', '1INVITE', '-1 INVITE', '1.5 INVITE', '1 INV ITE', '1 INVITE,']) assert.equal(parseCSeq(bad), null, bad);
});

test('parseExpiresValue / parseMaxForwards / mediaTypeOf', () => {
  assert.equal(parseExpiresValue('3600'), 3600);
  assert.equal(parseExpiresValue(' 0 '), 0);
  assert.equal(parseExpiresValue('4294967295'), 4294967295);
  assert.equal(parseExpiresValue('1'.padEnd(101, '0')), null);
  assert.equal(parseExpiresValue('280297596632815'), null);
  assert.equal(parseExpiresValue('-1'), null);
  assert.equal(parseExpiresValue('1.5'), null);
  assert.equal(parseExpiresValue(undefined), null);
  assert.equal(parseMaxForwards('0068'), 68);
  assert.equal(parseMaxForwards('300'), null);
  assert.equal(parseMaxForwards('x'), null);
  assert.equal(mediaTypeOf(' Application/PIDF+XML ; charset=utf-8'), 'application/pidf+xml');
  assert.equal(mediaTypeOf(undefined), null);
});
