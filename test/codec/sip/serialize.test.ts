import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSipMessage } from '../../../src/codec/sip/parse.js';
import { getHeader, getHeaderValues } from '../../../src/codec/sip/headers.js';
import { serializeRequest, serializeResponse } from '../../../src/codec/sip/serialize.js';
import { parseVia } from '../../../src/codec/sip/via.js';
import { parseNameAddr } from '../../../src/codec/sip/name-addr.js';
import type { SipMessage, SipRequest } from '../../../src/codec/sip/types.js';
import { readFixture } from '../../support/fixtures.js';

function parse(buf: Uint8Array): SipMessage {
  const r = parseSipMessage(buf);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.msg;
}

const REGISTER = readFixture('clients', 'linphonec', '01-REGISTER.sip');

test('serializeResponse round trip: Via list, From, To+tag, Call-ID, CSeq copied (§8.2.6.2)', () => {
  const req = parse(REGISTER) as SipRequest;
  const out = serializeResponse(req, 200, 'OK', {
    toTag: 'srv1', viaReceived: { ip: '127.0.0.1', port: 25071 }, server: 'ComSIPL/0.1.0',
    extraHeaders: [{ name: 'Expires', value: '30' }, { name: 'Content-Length', value: '999' }],
  });
  const res = parse(out);
  assert.ok(res.kind === 'response');
  assert.equal(res.status, 200);
  assert.deepEqual(res.headers.map((h) => h.name), ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Expires', 'Server', 'Content-Length']);
  assert.equal(getHeader(res, 'Via'), 'SIP/2.0/UDP 127.0.0.1:25071;branch=z9hG4bK.-INnpgtFs;rport=25071;received=127.0.0.1');
  assert.equal(getHeader(res, 'From'), getHeader(req, 'From'));
  assert.equal(getHeader(res, 'To'), getHeader(req, 'To') + ';tag=srv1');
  assert.equal(parseNameAddr(getHeader(res, 'To')!)?.params.get('tag'), 'srv1');
  assert.equal(getHeader(res, 'Call-ID'), getHeader(req, 'Call-ID'));
  assert.equal(getHeader(res, 'CSeq'), getHeader(req, 'CSeq'));
  assert.equal(getHeader(res, 'Content-Length'), '0');
  assert.equal(getHeader(res, 'Server'), 'ComSIPL/0.1.0');
  assert.ok(out.subarray(out.length - 4).equals(Buffer.from('\r\n\r\n')));
});

test('all Vias echoed in order, only the top one modified, comma-combined lines too', () => {
  const req = parse(readFixture('torture', 'transports.dat'));
  const res = parse(serializeResponse(req, 200, 'OK', { viaReceived: { ip: '192.0.2.7', port: 5060 } }));
  const a = getHeaderValues(req, 'Via');
  const b = getHeaderValues(res, 'Via');
  assert.equal(b.length, 5);
  assert.deepEqual(b.slice(1), a.slice(1));
  assert.equal(b[0], a[0] + ';received=192.0.2.7');
  const comma = { headers: [{ name: 'Via', value: 'SIP/2.0/UDP a;rport, SIP/2.0/UDP b' }, { name: 'To', value: '<sip:x@y>;tag=t' }] };
  const r2 = parse(serializeResponse(comma, 486, 'Busy Here', { toTag: 'zz', viaReceived: { ip: '::1', port: 9 } }));
  assert.deepEqual(getHeaderValues(r2, 'Via'), ['SIP/2.0/UDP a;rport=9;received=::1', 'SIP/2.0/UDP b']);
  assert.equal(getHeader(r2, 'To'), '<sip:x@y>;tag=t', 'an existing To tag is kept');
  const v = parseVia(getHeaderValues(r2, 'Via')[0]!);
  assert.equal(v?.params.get('received'), '::1');
});

test('100 Trying gets no To tag; body + Content-Type; UTF-8 display names survive', () => {
  const req = { headers: [{ name: 'Via', value: 'SIP/2.0/UDP h;branch=z9hG4bK1' }, { name: 'To', value: '"Zoë" <sip:z@x>' }, { name: 'CSeq', value: '1 SUBSCRIBE' }] };
  const t = parse(serializeResponse(req, 100, 'Trying', { toTag: 'abc' }));
  assert.equal(getHeader(t, 'To'), '"Zoë" <sip:z@x>');
  const body = '<?xml version="1.0"?><x>é</x>';
  const out = serializeResponse(req, 200, 'OK', { toTag: 'abc', body, contentType: 'application/xml' });
  const m = parse(out);
  assert.equal(getHeader(m, 'Content-Type'), 'application/xml');
  assert.equal(Number(getHeader(m, 'Content-Length')), Buffer.byteLength(body));
  assert.equal(Buffer.from(m.body).toString('utf8'), body);
  assert.equal(getHeader(m, 'To'), '"Zoë" <sip:z@x>;tag=abc');
  const bin = serializeResponse(req, 200, 'OK', { body: new Uint8Array([0, 10, 13, 255]), contentType: 'application/octet-stream' });
  assert.deepEqual([...parse(bin).body], [0, 10, 13, 255]);
});

test('serializeRequest: start line, headers in order, Content-Length from octets', () => {
  const body = Buffer.from('<presence>ü</presence>', 'utf8');
  const out = serializeRequest({
    method: 'NOTIFY', uri: 'sip:alice@127.0.0.1:25071',
    headers: [
      { name: 'Via', value: 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKn1;rport' },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: '<sip:bob@x>;tag=a' }, { name: 'To', value: '<sip:alice@x>;tag=b' },
      { name: 'Call-ID', value: 'cid' }, { name: 'CSeq', value: '2 NOTIFY' },
      { name: 'Content-Type', value: 'application/pidf+xml' }, { name: 'Content-Length', value: '1' },
    ],
    body,
  });
  const m = parse(out) as SipRequest;
  assert.equal(m.method, 'NOTIFY');
  assert.equal(m.uri, 'sip:alice@127.0.0.1:25071');
  assert.deepEqual(m.headers.map((h) => h.name), ['Via', 'Max-Forwards', 'From', 'To', 'Call-ID', 'CSeq', 'Content-Type', 'Content-Length']);
  assert.equal(getHeader(m, 'Content-Length'), String(body.length));
  assert.ok(Buffer.from(m.body).equals(body));
  const empty = parse(serializeRequest({ method: 'OPTIONS', uri: 'sip:x', headers: [] }));
  assert.equal(getHeader(empty, 'Content-Length'), '0');
});
