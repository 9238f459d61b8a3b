// writeResponse against today's buildResponse (core/respond.ts), the Via rendering (RFC 3581
// §4, RFC 3261 §18.2.1) over generated Vias, the To tag rule (§8.2.6.2), the destination
// (§18.2.2) and the cached Date. Every fixture is also compared in scan.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readMessage } from '../../../src/codec/sip/scan.js';
import { writeResponse } from '../../../src/codec/sip/response-writer.js';
import { responseDestination } from '../../../src/codec/sip/response-via.js';
import { httpDate } from '../../../src/core/http-date.js';
import { buildResponse } from '../../support/reference/respond.js';
import { parseSipMessage } from '../../../src/codec/sip/parse.js';
import type { SipMsg } from '../../../src/codec/sip/msg.js';
import type { SipRequest } from '../../../src/codec/sip/types.js';
import { PRODUCT } from '../../../src/version.js';
import { compareRead, newStats } from '../fuzz/read-diff.js';
import { readFixture } from '../../support/fixtures.js';

const SRC4 = { address: '192.0.2.9', port: 40000, family: 4 as const };
const SRC6 = { address: '2001:db8::9', port: 5099, family: 6 as const };

function scanned(buf: Buffer): SipMsg {
  const r = readMessage(buf, { maxSize: 65507, supported: [] });
  assert.ok(r.t === 'req' || r.t === 'res');
  return r.msg;
}

function request(text: string): { msg: SipMsg; ref: SipRequest } {
  const buf = Buffer.from(text, 'utf8');
  const p = parseSipMessage(buf);
  assert.ok(p.ok && p.msg.kind === 'request');
  return { msg: scanned(buf), ref: p.msg };
}

const REGISTER = (via: string, to = '<sip:alice@example.com>'): string =>
  `REGISTER sip:example.com SIP/2.0\r\nVia: ${via}\r\nFrom: "Alice" <sip:alice@example.com>;tag=f1\r\nTo: ${to}\r\n`
  + 'Call-ID: abc@h\r\nCSeq: 7 REGISTER\r\nContact: <sip:alice@192.0.2.9:40000>\r\nContent-Length: 0\r\n\r\n';

test('Linphone REGISTER: the same bytes as buildResponse, IPv4 and IPv6 sources', () => {
  const buf = readFixture('clients', 'linphonec', '01-REGISTER.sip');
  const msg = scanned(buf);
  const p = parseSipMessage(buf);
  assert.ok(p.ok && p.msg.kind === 'request');
  const headers = [{ name: 'Contact', value: '<sip:alice@127.0.0.1:25071;transport=udp>;expires=30' }, { name: 'Date', value: httpDate(Date.UTC(2026, 11, 2, 14, 0, 0)) }];
  for (const src of [SRC4, SRC6]) {
    const mine = writeResponse(msg, src, { status: 200, toTag: 'T0', headers: headers.map((h) => `${h.name}: ${h.value}\r\n`).join('') });
    const ref = buildResponse(p.msg, src, 200, PRODUCT, { toTag: 'T0', headers });
    assert.equal(mine.toString('latin1'), ref.toString('latin1'));
  }
  const text = writeResponse(msg, SRC6, { status: 200, toTag: 'T0' }).toString('latin1');
  assert.match(text, /\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:25071;branch=z9hG4bK\.-INnpgtFs;rport=5099;received=2001:db8::9\r\n/);
  assert.match(text, /\r\nServer: ComSIPL\/[^\r]+\r\nContent-Length: 0\r\n\r\n$/);
});

test('PUBLISH 200 with SIP-ETag and Expires; 423 with Min-Expires and a custom reason; body with Content-Type', () => {
  const buf = readFixture('clients', 'linphonec', '02-PUBLISH-initial.sip');
  const msg = scanned(buf);
  const p = parseSipMessage(buf);
  assert.ok(p.ok && p.msg.kind === 'request');
  const cases = [
    { status: 200, headers: [{ name: 'SIP-ETag', value: 'e1' }, { name: 'Expires', value: '20' }] },
    { status: 423, reason: 'Interval Too Brief', headers: [{ name: 'Min-Expires', value: '60' }] },
    { status: 489, reason: 'Bad Event - unknown package', headers: [{ name: 'Allow-Events', value: 'presence' }] },
  ];
  for (const c of cases) {
    const mine = writeResponse(msg, SRC4, { status: c.status, ...(c.reason ? { reason: c.reason } : {}), toTag: 'x', headers: c.headers.map((h) => `${h.name}: ${h.value}\r\n`).join('') });
    const ref = buildResponse(p.msg, SRC4, c.status, PRODUCT, { toTag: 'x', headers: c.headers, ...(c.reason ? { reason: c.reason } : {}) });
    assert.equal(mine.toString('latin1'), ref.toString('latin1'), String(c.status));
  }
  const body = Buffer.from('<?xml version="1.0"?><presence/>');
  const mine = writeResponse(msg, SRC4, { status: 200, toTag: 'x', body, contentType: 'application/pidf+xml' });
  const ref = buildResponse(p.msg, SRC4, 200, PRODUCT, { toTag: 'x', body, contentType: 'application/pidf+xml' });
  assert.deepEqual(mine, ref);
});

test('To tag: added only to a valid To without one, never to a 100', () => {
  const add = request(REGISTER('SIP/2.0/UDP h;branch=z9hG4bK1'));
  assert.match(writeResponse(add.msg, SRC4, { status: 200, toTag: 'new' }).toString(), /\r\nTo: <sip:alice@example\.com>;tag=new\r\n/);
  assert.match(writeResponse(add.msg, SRC4, { status: 100, toTag: 'new' }).toString(), /\r\nTo: <sip:alice@example\.com>\r\n/);
  assert.match(writeResponse(add.msg, SRC4, { status: 200 }).toString(), /\r\nTo: <sip:alice@example\.com>;tag=[\w-]{11}\r\n/);
  const has = request(REGISTER('SIP/2.0/UDP h;branch=z9hG4bK1', '<sip:alice@example.com> ; TAG = old'));
  assert.match(writeResponse(has.msg, SRC4, { status: 200, toTag: 'new' }).toString(), /\r\nTo: <sip:alice@example\.com> ; TAG = old\r\n/);
  const bad = request(REGISTER('SIP/2.0/UDP h;branch=z9hG4bK1', '<sip:alice@example.com'));
  assert.match(writeResponse(bad.msg, SRC4, { status: 400, toTag: 'new' }).toString(), /\r\nTo: <sip:alice@example\.com\r\n/);
});

test('top Via: rport filled, received appended or replaced, params trimmed, quoted values kept', () => {
  const cases: [string, string][] = [
    ['SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa;rport', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa;rport=40000;received=192.0.2.9'],
    ['SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa', 'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa;received=192.0.2.9'],
    ['SIP/2.0/UDP h;received=6.6.6.6;branch=b;rport=1', 'SIP/2.0/UDP h;received=192.0.2.9;branch=b;rport=1'],
    ['SIP/2.0/UDP h ; branch = b ;RPORT', 'SIP/2.0/UDP h;branch = b;rport=40000;received=192.0.2.9'],
    ['SIP/2.0/UDP h;x="a;b";rport', 'SIP/2.0/UDP h;x="a;b";rport=40000;received=192.0.2.9'],
    ['SIP / 2.0 / UDP h', 'SIP / 2.0 / UDP h;received=192.0.2.9'],
    ['SIP/2.0/UDP h$;branch=z', 'SIP/2.0/UDP h$;branch=z'],
  ];
  for (const [via, want] of cases) {
    const r = request(REGISTER(via));
    const text = writeResponse(r.msg, SRC4, { status: 200, toTag: 't' }).toString();
    assert.ok(text.includes(`\r\nVia: ${want}\r\n`), `${via} → ${text.split('\r\n')[1]}`);
  }
});

const viaArb = fc.tuple(
  fc.constantFrom('SIP/2.0/UDP ', 'SIP/2.0/TCP ', 'SIP / 2.0 / UDP ', 'SIP/2.0/TLS '),
  fc.constantFrom('h.example.com', '10.0.0.1', '[2001:db8::1]', 'H', '[::1]'),
  fc.constantFrom('', ':5060', ':5061', ' : 7'),
  fc.array(fc.tuple(fc.constantFrom(';', ' ;', '; '), fc.constantFrom('branch=z9hG4bKx', 'rport', 'RPort', 'rport=5', 'received=1.1.1.1', 'Received = 2.2.2.2', 'x="q;u"', 'ttl=1', 'maddr=[::2]', 'lr')), { maxLength: 5 }),
  fc.constantFrom('', ' '),
).map(([p, h, port, params, tail]) => p + h + port + params.map(([s, v]) => s + v).join('') + tail);

test('property: generated Vias (and a second Via) render exactly as formatViaWithReceived', () => {
  const stats = newStats();
  fc.assert(fc.property(viaArb, fc.option(viaArb), fc.constantFrom('REGISTER', 'SUBSCRIBE', 'OPTIONS', 'INVITE'), (top, second, method) => {
    const text = `${method} sip:example.com SIP/2.0\r\nVia: ${top}\r\n${second === null ? '' : `Via: ${second}\r\n`}`
      + `From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: c\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`;
    compareRead('via', Buffer.from(text), stats);
  }), { numRuns: 1500 });
  assert.ok(stats.scanned > 1000 && stats.bytesCompared > 1000, JSON.stringify(stats));
});

test('responseDestination: rport → the source; otherwise sent-by port on the source IP (5060, 5061 for TLS)', () => {
  const d = (via: string): unknown => {
    const r = request(REGISTER(via));
    const { address, port } = responseDestination(r.msg, SRC4);
    return { address, port };
  };
  assert.deepEqual(d('SIP/2.0/UDP 10.0.0.1:5062;rport;branch=a'), { address: '192.0.2.9', port: 40000 });
  assert.deepEqual(d('SIP/2.0/UDP 10.0.0.1:5062;branch=a'), { address: '192.0.2.9', port: 5062 });
  assert.deepEqual(d('SIP/2.0/UDP 10.0.0.1;branch=a;received=6.6.6.6'), { address: '192.0.2.9', port: 5060 });
  assert.deepEqual(d('SIP/2.0/TLS h;branch=a'), { address: '192.0.2.9', port: 5061 });
  assert.equal(responseDestination(request(REGISTER('SIP/2.0/UDP 10.0.0.1:5062;rport')).msg, SRC6).family, 6);
});

test('httpDate: RFC 1123 form, one string per second', () => {
  const t = Date.UTC(2026, 11, 2, 14, 37, 36, 120);
  assert.equal(httpDate(t), 'Wed, 02 Dec 2026 14:37:36 GMT');
  assert.equal(httpDate(t + 500), httpDate(t));
  assert.equal(httpDate(t + 880), 'Wed, 02 Dec 2026 14:37:37 GMT');
});

test('a value that is not UTF-8 is copied as received (serializeResponse re-encodes it)', () => {
  // A lone latin1 é (0xE9) in the display name.
  const text = Buffer.from(REGISTER('SIP/2.0/UDP h;branch=z9hG4bK1').replace('"Alice"', '"Al\xe9ce"'), 'latin1');
  const msg = scanned(text);
  const out = writeResponse(msg, SRC4, { status: 200, toTag: 't' });
  assert.ok(out.includes(Buffer.from([0x22, 0x41, 0x6c, 0xe9, 0x63, 0x65, 0x22])));
});
