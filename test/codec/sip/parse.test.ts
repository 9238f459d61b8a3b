import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MAX_SIZE, parseSipMessage } from '../../../src/codec/sip/parse.js';
import { getHeader, getHeaderValues } from '../../../src/codec/sip/headers.js';
import type { ParseFailure, SipMessage, SipRequest } from '../../../src/codec/sip/types.js';

const BASE = [
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1',
  'From: <sip:a@example.com>;tag=1',
  'To: <sip:b@example.com>',
  'Call-ID: c1@example.com',
  'CSeq: 1 OPTIONS',
];

function msg(lines: string[], body = ''): Buffer {
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body, 'utf8');
}

function ok(buf: Uint8Array): SipMessage {
  const r = parseSipMessage(buf);
  assert.ok(r.ok, r.ok ? '' : `${r.status} ${r.reason}`);
  return r.msg;
}

function req(buf: Uint8Array): SipRequest {
  const m = ok(buf);
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

function failure(buf: Uint8Array, max?: number): ParseFailure {
  const r = parseSipMessage(buf, max === undefined ? undefined : { maxSize: max });
  assert.ok(!r.ok);
  return r;
}

test('request line and headers', () => {
  const m = req(msg(['OPTIONS sip:b@example.com SIP/2.0', ...BASE, 'Content-Length: 0']));
  assert.equal(m.method, 'OPTIONS');
  assert.equal(m.uri, 'sip:b@example.com');
  assert.equal(m.version, 'SIP/2.0');
  assert.deepEqual(m.headers.map((h) => h.name), ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Content-Length']);
  assert.equal(m.body.length, 0);
  assert.equal(req(msg(['OPTIONS sip:b@example.com sip/2.0', ...BASE])).version, 'sip/2.0');
});

test('CORE-01/02: compact forms expand to canonical names', () => {
  const m = req(msg(['SUBSCRIBE sip:b@x SIP/2.0', 'v: SIP/2.0/UDP h;branch=z9hG4bK1', 'f: <sip:a@x>;tag=1', 't: <sip:b@x>',
    'i: abc', 'CSeq: 1 SUBSCRIBE', 'm: <sip:a@h>', 'k: path', 'c: text/plain', 'e: gzip', 's: hi', 'o: presence',
    'u: presence', 'r: <sip:c@x>', 'x: 90', 'b: <sip:d@x>', 'a: *;audio', 'j: *;video', 'd: proxy', 'y: sig', 'l: 3'], 'abc'));
  assert.deepEqual(m.headers.map((h) => h.name), ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Supported', 'Content-Type',
    'Content-Encoding', 'Subject', 'Event', 'Allow-Events', 'Refer-To', 'Session-Expires', 'Referred-By', 'Accept-Contact',
    'Reject-Contact', 'Request-Disposition', 'Identity', 'Content-Length']);
  assert.equal(Buffer.from(m.body).toString(), 'abc');
});

test('CORE-03: any case, whitespace around :, folding; unknown names keep their spelling', () => {
  const m = req(msg(['OPTIONS sip:b@x SIP/2.0', 'vIA  :  SIP/2.0/UDP h;branch=z9hG4bK1', 'cAlL-iD:x', 'FROM:<sip:a@x>;tag=1',
    'TO :', ' <sip:b@x>', 'cseq: 0009', '  OPTIONS', 'X-Thing\t: folded  ', ' \tvalue\t', '\t more', 'MaX-fOrWaRdS: 70']));
  assert.deepEqual(m.headers.map((h) => h.name), ['Via', 'Call-ID', 'From', 'To', 'CSeq', 'X-Thing', 'Max-Forwards']);
  assert.equal(getHeader(m, 'Via'), 'SIP/2.0/UDP h;branch=z9hG4bK1');
  assert.equal(getHeader(m, 'To'), '<sip:b@x>');
  assert.equal(getHeader(m, 'CSeq'), '0009 OPTIONS');
  assert.equal(getHeader(m, 'x-thing'), 'folded value more');
  assert.equal(getHeader(m, 'Call-ID'), 'x');
});

test('CORE-04: comma-combined and repeated lines give the same values, order kept', () => {
  const a = req(msg(['OPTIONS sip:b@x SIP/2.0', 'Via: SIP/2.0/UDP h1;branch=1, SIP/2.0/UDP h2;branch=2', ...BASE.slice(1)]));
  const b = req(msg(['OPTIONS sip:b@x SIP/2.0', 'Via: SIP/2.0/UDP h1;branch=1', 'v: SIP/2.0/UDP h2;branch=2', ...BASE.slice(1)]));
  assert.deepEqual(getHeaderValues(a, 'Via'), getHeaderValues(b, 'Via'));
  assert.equal(getHeaderValues(b, 'Via').length, 2);
});

test('values: latin1 for ASCII, UTF-8 where present, invalid UTF-8 falls back to latin1', () => {
  const m = req(Buffer.concat([msg(['OPTIONS sip:b@x SIP/2.0', ...BASE, 'Subject: Grüße', 'X-Raw: ']).subarray(0, -4), Buffer.from([0xff, 0xfe]), Buffer.from('\r\n\r\n')]));
  assert.equal(getHeader(m, 'Subject'), 'Grüße');
  assert.equal(getHeader(m, 'X-Raw'), '\u00ff\u00fe');
});

test('CORE-05 framing: body is exactly Content-Length; rest of datagram without it', () => {
  const m = req(msg(['OPTIONS sip:b@x SIP/2.0', ...BASE, 'Content-Length: 3'], 'abcEXTRA'));
  assert.equal(Buffer.from(m.body).toString(), 'abc');
  const n = req(msg(['OPTIONS sip:b@x SIP/2.0', ...BASE], 'a\r\nb\0c\n'));
  assert.equal(Buffer.from(n.body).toString('latin1'), 'a\r\nb\0c\n');
  assert.equal(req(msg(['OPTIONS sip:b@x SIP/2.0', ...BASE, 'l: 2', 'Content-Length: 02'], 'xyz')).body.length, 2);
  const big = failure(msg(['OPTIONS sip:b@x SIP/2.0', ...BASE, 'Content-Length: 4'], 'abc'));
  assert.equal(big.status, 400);
  assert.match(big.reason, /Content-Length/);
  for (const v of ['-1', 'abc', '', '1 2', '99999999999999999999']) {
    const f = failure(msg(['OPTIONS sip:b@x SIP/2.0', ...BASE, `Content-Length: ${v}`], 'abc'));
    assert.equal(f.status, 400, v);
    assert.match(f.reason, /Content-Length/, v);
  }
  assert.match(failure(msg(['OPTIONS sip:b@x SIP/2.0', ...BASE, 'Content-Length: 1', 'l: 2'], 'abc')).reason, /Conflicting/);
});

test('framing errors: unterminated header section, bare LF, bad header lines', () => {
  const inc = failure(Buffer.from(['OPTIONS sip:b@x SIP/2.0', ...BASE, ''].join('\r\n')));
  assert.equal(inc.reason, 'Incomplete Header Section');
  assert.equal(inc.drop, false);
  assert.equal(inc.partial.length, 5);
  assert.match(failure(Buffer.from('OPTIONS sip:b@x SIP/2.0\r\n' + BASE.join('\n') + '\r\n\r\n')).reason, /Bare LF/);
  assert.match(failure(Buffer.from('OPTIONS sip:b@x SIP/2.0\n' + BASE.join('\r\n') + '\r\n\r\n')).reason, /Bare LF/);
  assert.match(failure(msg(['OPTIONS sip:b@x SIP/2.0', ...BASE, 'Foobar roobar'])).reason, /Bad Header Line/);
  assert.match(failure(msg(['OPTIONS sip:b@x SIP/2.0', ' folded-first', ...BASE])).reason, /Folding/);
  assert.match(failure(msg(['OPTIONS sip:b@x SIP/2.0', ...BASE, ': novalue'])).reason, /Bad Header Line/);
  const none = failure(msg(['OPTIONS sip:b@x SIP/2.0', 'From: <sip:a@x>']).subarray(0, 10));
  assert.equal(none.drop, true);
});

test('leading CRLFs are skipped (RFC 3261 §7.5)', () => {
  assert.equal(req(Buffer.concat([Buffer.from('\r\n\r\n'), msg(['OPTIONS sip:b@x SIP/2.0', ...BASE])])).method, 'OPTIONS');
});

test('strict Request-Line', () => {
  for (const line of ['OPTIONS  sip:b@x SIP/2.0', 'OPTIONS sip:b@x SIP/2.0 ', 'OPTIONS <sip:b@x> SIP/2.0', 'OPTIONS sip:b@x; lr SIP/2.0',
    'OPTIONS sip:b@x', 'OPTIONS', ' OPTIONS sip:b@x SIP/2.0', 'OPT IONS sip:b@x SIP/2.0', 'OPTIONS sip:b@x HTTP/1.1', 'OPTIONS sip:b@x SIP/2', 'OPTIONS\tsip:b@x SIP/2.0']) {
    const f = failure(msg([line, ...BASE]));
    assert.equal(f.status, 400, line);
    assert.equal(f.reason, 'Bad Request-Line', line);
    assert.equal(f.drop, false, line);
  }
});

test('version other than 2.0 → 505 after a full parse, with partial headers', () => {
  const f = failure(msg(['OPTIONS sip:b@x SIP/3.0', ...BASE]));
  assert.equal(f.status, 505);
  assert.equal(f.partial.length, 5);
  // A framing error outranks the version.
  assert.equal(failure(msg(['OPTIONS sip:b@x SIP/3.0', ...BASE, 'Content-Length: x'])).status, 400);
});

test('size limit → 513 (default 65507, configurable)', () => {
  const m = msg(['OPTIONS sip:b@x SIP/2.0', ...BASE], 'x'.repeat(200));
  assert.equal(failure(m, 100).status, 513);
  assert.equal(failure(m, 100).drop, false);
  assert.ok(parseSipMessage(m, { maxSize: m.length }).ok);
  assert.equal(DEFAULT_MAX_SIZE, 65507);
  const huge = msg(['OPTIONS sip:b@x SIP/2.0', ...BASE], 'y'.repeat(DEFAULT_MAX_SIZE));
  assert.equal(failure(huge).status, 513);
});

test('responses: status line rules; failures always drop', () => {
  const r = ok(msg(['SIP/2.0 200 OK', ...BASE]));
  assert.ok(r.kind === 'response' && r.status === 200 && r.reason === 'OK');
  const e = ok(msg(['SIP/2.0 180 ', ...BASE]));
  assert.ok(e.kind === 'response' && e.reason === '');
  const u = ok(msg(['SIP/2.0 699 Ça va là', ...BASE]));
  assert.ok(u.kind === 'response' && u.reason === 'Ça va là');
  assert.ok(ok(msg(['SIP/2.0 200', ...BASE])).kind === 'response');
  for (const line of ['SIP/2.0 4294967301 x', 'SIP/2.0 20 OK', 'SIP/2.0 099 x', 'SIP/2.0 2000 x', 'SIP/2.0 abc x', 'SIP/2.0', 'SIP/2.0 200x OK']) {
    const f = failure(msg([line, ...BASE]));
    assert.equal(f.drop, true, line);
  }
  const v = failure(msg(['SIP/3.0 200 OK', ...BASE]));
  assert.ok(v.drop && v.status === 505);
  assert.equal(failure(msg(['SIP/2.0 200 OK', ...BASE, 'Content-Length: 9'])).drop, true);
});

test('accepts a plain Uint8Array view into a larger buffer', () => {
  const inner = msg(['OPTIONS sip:b@x SIP/2.0', ...BASE, 'Content-Length: 2'], 'hi');
  const big = new Uint8Array(inner.length + 20);
  big.set(inner, 10);
  const m = req(big.subarray(10, 10 + inner.length));
  assert.equal(Buffer.from(m.body).toString(), 'hi');
});
