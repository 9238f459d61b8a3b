import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSipMessage } from '../../../src/codec/sip/parse.js';
import { gateRequest, gateResponse, NO_RESPONSE, type GateResult } from '../../../src/codec/sip/request-gate.js';
import type { SipRequest } from '../../../src/codec/sip/types.js';

const OPTS = { supportedExtensions: ['path', 'outbound'] };

function build(method: string, uri: string, headers: Record<string, string | string[]>, version = 'SIP/2.0'): SipRequest {
  const base: Record<string, string | string[]> = {
    Via: 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1', From: '<sip:a@x>;tag=1', To: '<sip:b@x>', 'Call-ID': 'c@x', CSeq: `1 ${method}`,
  };
  const all = { ...base, ...headers };
  const h: { name: string; value: string }[] = [];
  for (const [name, v] of Object.entries(all)) {
    if (v === '__absent__') continue;
    for (const value of Array.isArray(v) ? v : [v]) h.push({ name, value });
  }
  return { kind: 'request', method, uri, version, headers: h, body: new Uint8Array(0) };
}

function gate(method: string, headers: Record<string, string | string[]> = {}, uri = 'sip:b@x', version?: string): GateResult | null {
  return gateRequest(build(method, uri, headers, version), OPTS);
}

test('well-formed requests of served methods pass', () => {
  for (const m of ['REGISTER', 'PUBLISH', 'SUBSCRIBE', 'OPTIONS']) assert.equal(gate(m), null, m);
  assert.equal(gate('REGISTER', { Contact: '*', Expires: '0' }), null);
  assert.equal(gate('SUBSCRIBE', { Require: 'path', 'Max-Forwards': 'garbage', 'Proxy-Require': 'foo' }), null);
});

test('ACK → no response at all', () => {
  assert.equal(gate('ACK')?.status, NO_RESPONSE);
  assert.equal(gate('ACK', { Via: '__absent__' })?.status, NO_RESPONSE);
});

test('CORE-06: missing mandatory headers, named', () => {
  assert.deepEqual(gate('OPTIONS', { 'Call-ID': '__absent__' }), { status: 400, reason: 'Bad Request - missing Call-ID', headers: [] });
  assert.equal(gate('OPTIONS', { Via: '__absent__', CSeq: '__absent__' })?.reason, 'Bad Request - missing Via, CSeq');
});

test('multiple values in single-valued headers', () => {
  assert.equal(gate('OPTIONS', { To: ['<sip:b@x>', '<sip:c@x>'] })?.reason, 'Bad Request - multiple values in To');
  assert.equal(gate('OPTIONS', { To: '<sip:b@x>, <sip:c@x>' })?.reason, 'Bad Request - multiple values in To');
  assert.equal(gate('OPTIONS', { To: '"B, C" <sip:b@x>' }), null);
  assert.equal(gate('OPTIONS', { Expires: ['1', '2'], 'Content-Type': ['a/b', 'c/d'] })?.reason, 'Bad Request - multiple values in Content-Type, Expires');
  assert.equal(gate('OPTIONS', { 'Max-Forwards': '70, 70' })?.status, 400);
});

test('unparsable Via / From / To / Call-ID / CSeq → 400 naming them', () => {
  assert.equal(gate('OPTIONS', { Via: 'SIP/2.0/UDP 192.0.2.15;;,;,,' })?.reason, 'Bad Via header');
  assert.equal(gate('OPTIONS', { Via: ['SIP/2.0/UDP a', 'garbage'] })?.reason, 'Bad Via header');
  assert.equal(gate('OPTIONS', { From: '"open <sip:a@x>' })?.reason, 'Bad From header');
  assert.equal(gate('OPTIONS', { To: '< sip:b@x >' })?.reason, 'Bad To header');
  assert.equal(gate('OPTIONS', { 'Call-ID': 'a b' })?.reason, 'Bad Call-ID');
  assert.equal(gate('OPTIONS', { CSeq: '4294967296 OPTIONS' })?.reason, 'Bad CSeq');
  assert.equal(gate('OPTIONS', { CSeq: 'x OPTIONS' })?.reason, 'Bad CSeq');
});

test('CORE-07: CSeq method mismatch → 400; for an unknown method → 501', () => {
  assert.deepEqual(gate('OPTIONS', { CSeq: '8 INVITE' }), { status: 400, reason: 'Bad CSeq - method mismatch', headers: [] });
  const r = gate('NEWMETHOD', { CSeq: '8 INVITE' });
  assert.equal(r?.status, 501);
  assert.deepEqual(r?.headers, [{ name: 'Allow', value: 'REGISTER, PUBLISH, SUBSCRIBE, OPTIONS' }]);
});

test('Request-URI: unparsable → 400, headers → 400, other scheme → 416 (CORE-08)', () => {
  assert.equal(gate('OPTIONS', {}, 'sip:2001:db8::10')?.reason, 'Bad Request-URI');
  assert.match(gate('OPTIONS', {}, 'sip:b@x?Route=%3Csip:y%3E')?.reason ?? '', /headers/);
  assert.equal(gate('OPTIONS', {}, 'mailto:b@x')?.status, 416);
  assert.equal(gate('OPTIONS', {}, 'tel:+123')?.status, 416);
  assert.equal(gate('OPTIONS', {}, 'sips:b@x'), null);
});

test('Contact: addr-spec with ? → 400; * only alone on REGISTER', () => {
  assert.equal(gate('REGISTER', { Contact: 'sip:user@example.com?Route=%3Csip:sip.example.com%3E' })?.reason, 'Bad Contact header');
  assert.equal(gate('REGISTER', { Contact: '<sip:user@example.com?Route=%3Csip:sip.example.com%3E>' }), null);
  assert.equal(gate('REGISTER', { Contact: '*, <sip:a@b>' })?.reason, 'Bad Contact header');
  assert.equal(gate('SUBSCRIBE', { Contact: '*' })?.reason, 'Bad Contact header');
  assert.equal(gate('REGISTER', { Contact: ['<sip:a@b>', '<sip:c@d>;expires=0'] }), null);
});

test('version, methods (CORE-09), REGISTER AoR, Require (CORE-10)', () => {
  assert.equal(gate('OPTIONS', {}, 'sip:b@x', 'SIP/3.0')?.status, 505);
  for (const m of ['INVITE', 'BYE', 'MESSAGE', 'NOTIFY', 'CANCEL', 'INFO']) {
    const r = gate(m);
    assert.equal(r?.status, 405, m);
    assert.equal(r?.headers[0]?.name, 'Allow', m);
  }
  assert.equal(gate('FOO')?.status, 501);
  assert.equal(gate('register')?.status, 501, 'methods are case-sensitive');
  assert.equal(gate('REGISTER', { To: 'isbn:2983792873' })?.reason, 'Bad To header - not a SIP URI');
  assert.equal(gate('SUBSCRIBE', { To: 'isbn:2983792873' }), null);
  const r = gate('SUBSCRIBE', { Require: ['foo, path', 'bar'] });
  assert.deepEqual(r, { status: 420, reason: 'Bad Extension', headers: [{ name: 'Unsupported', value: 'foo, bar' }] });
  // Method check comes before Require (§8.2.1 before §8.2.2.3).
  assert.equal(gate('INVITE', { Require: 'foo' })?.status, 405);
});

test('gateResponse: one Via and matching headers', () => {
  const res = (headers: { name: string; value: string }[]) => ({ kind: 'response' as const, status: 200, reason: 'OK', version: 'SIP/2.0', headers, body: new Uint8Array(0) });
  const base = [{ name: 'Via', value: 'SIP/2.0/UDP h;branch=z9hG4bK1' }, { name: 'From', value: '<sip:a@x>;tag=1' }, { name: 'To', value: '<sip:b@x>;tag=2' }, { name: 'Call-ID', value: 'c' }, { name: 'CSeq', value: '1 NOTIFY' }];
  assert.equal(gateResponse(res(base)), null);
  assert.match(gateResponse(res([...base, { name: 'Via', value: 'SIP/2.0/UDP z' }])) ?? '', /one Via/);
  assert.match(gateResponse(res(base.filter((h) => h.name !== 'Call-ID'))) ?? '', /Call-ID/);
  assert.match(gateResponse(res(base.map((h) => (h.name === 'CSeq' ? { name: 'CSeq', value: '9292394834772304023312 NOTIFY' } : h)))) ?? '', /CSeq/);
  const parsed = parseSipMessage(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a, SIP/2.0/UDP b\r\nFrom: <sip:a@x>\r\nTo: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 NOTIFY\r\n\r\n'));
  assert.ok(parsed.ok && parsed.msg.kind === 'response');
  assert.notEqual(gateResponse(parsed.msg), null);
});
