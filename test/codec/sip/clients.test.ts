// Real client captures (Linphone, liblinphone, baresip): every datagram parses, every request
// passes the gate, and the quirks the README lists are handled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { isKeepAlive, parseSipMessage } from '../../../src/codec/sip/parse.js';
import { gateRequest, gateResponse } from '../../../src/codec/sip/request-gate.js';
import { getHeader, getHeaderValues, parseCSeq } from '../../../src/codec/sip/headers.js';
import { parseNameAddr } from '../../../src/codec/sip/name-addr.js';
import { parseVia } from '../../../src/codec/sip/via.js';
import type { SipMessage, SipRequest } from '../../../src/codec/sip/types.js';
import { fixturePath, readFixture } from '../../support/fixtures.js';

const DIRS = ['linphonec', 'liblinphone-lpresence', 'baresip'];

function parsed(dir: string, file: string): SipMessage {
  const r = parseSipMessage(readFixture('clients', dir, file));
  assert.ok(r.ok, `${dir}/${file}: ${r.ok ? '' : r.reason}`);
  return r.msg;
}

function request(dir: string, file: string): SipRequest {
  const m = parsed(dir, file);
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

test('every client datagram parses and every request passes the gate', () => {
  let requests = 0;
  let responses = 0;
  for (const dir of DIRS) {
    const files = readdirSync(fixturePath('clients', dir)).filter((f) => f.endsWith('.sip')).sort();
    assert.ok(files.length >= 9, dir);
    for (const f of files) {
      const buf = readFixture('clients', dir, f);
      if (isKeepAlive(buf)) continue;
      const m = parsed(dir, f);
      // Gate needs no extension support for these clients (they Require nothing).
      if (m.kind === 'request') {
        assert.equal(gateRequest(m, { supportedExtensions: [] }), null, `${dir}/${f}`);
        requests++;
      } else {
        assert.equal(gateResponse(m), null, `${dir}/${f}`);
        responses++;
      }
      for (const v of getHeaderValues(m, 'Via')) assert.ok(parseVia(v), `${dir}/${f} Via`);
    }
  }
  assert.equal(requests, 33);
  assert.equal(responses, 2);
});

test('linphonec REGISTER: no Content-Length → empty body; Accept lines and Supported list', () => {
  const m = request('linphonec', '01-REGISTER.sip');
  assert.equal(getHeader(m, 'Content-Length'), undefined);
  assert.equal(m.body.length, 0);
  assert.deepEqual(getHeaderValues(m, 'Accept'), ['application/sdp', 'text/plain', 'application/vnd.gsma.rcs-ft-http+xml']);
  assert.deepEqual(getHeaderValues(m, 'Supported'), ['replaces', 'outbound', 'gruu']);
  const contact = parseNameAddr(getHeaderValues(m, 'Contact')[0]!);
  assert.ok(contact);
  assert.equal(contact.displayName, 'Alice');
  assert.equal(contact.uri, 'sip:alice@127.0.0.1:25071;transport=udp');
  assert.equal(contact.params.get('+sip.instance'), '"<urn:uuid:f4c36c2d-cfe2-0059-9491-d89dec801c12>"');
  const via = parseVia(getHeader(m, 'Via')!);
  assert.ok(via && via.params.has('rport') && via.params.get('rport') === null);
});

test('linphonec un-PUBLISH: no body, no Content-Length, SIP-If-Match kept', () => {
  const m = request('linphonec', '08-PUBLISH-remove.sip');
  assert.equal(m.method, 'PUBLISH');
  assert.equal(m.body.length, 0);
  assert.equal(getHeader(m, 'Expires'), '0');
  assert.equal(getHeader(m, 'sip-if-match'), 'etag-q2lo6as5');
});

test('linphonec PUBLISH carries a PIDF body of exactly Content-Length octets (LF-only body lines)', () => {
  const m = request('linphonec', '02-PUBLISH-initial.sip');
  assert.equal(m.body.length, Number(getHeader(m, 'Content-Length')));
  assert.equal(getHeader(m, 'Content-Type'), 'application/pidf+xml');
  assert.ok(Buffer.from(m.body).toString('utf8').includes('<presence'));
});

test('baresip SUBSCRIBE: empty Supported tolerated, Route kept', () => {
  const m = request('baresip', '03-SUBSCRIBE.sip');
  assert.equal(getHeader(m, 'Supported'), '');
  assert.deepEqual(getHeaderValues(m, 'Supported'), []);
  assert.deepEqual(getHeaderValues(m, 'Route'), ['<sip:127.0.0.1:25090;transport=udp;lr>']);
  assert.deepEqual(parseCSeq(getHeader(m, 'CSeq')!), { seq: 3909, method: 'SUBSCRIBE' });
  assert.equal(getHeader(m, 'o'), 'presence');
});

test('responses to NOTIFY parse as responses', () => {
  for (const dir of ['linphonec', 'baresip']) {
    const m = parsed(dir, '04-NOTIFY-200-response.sip');
    assert.ok(m.kind === 'response');
    assert.equal(m.status, 200);
    assert.deepEqual(parseCSeq(getHeader(m, 'CSeq')!)?.method, 'NOTIFY');
  }
});

test('CRLFCRLF keep-alive: isKeepAlive true, never a message', () => {
  const ka = readFixture('clients', 'linphonec', '10-keepalive-CRLFCRLF.sip');
  assert.ok(isKeepAlive(ka));
  assert.ok(isKeepAlive(Buffer.from('\r\n')));
  assert.ok(isKeepAlive(Buffer.from('\n\n\r')));
  assert.equal(isKeepAlive(Buffer.alloc(0)), false);
  assert.equal(isKeepAlive(Buffer.from('\r\n \r\n')), false);
  assert.equal(isKeepAlive(readFixture('clients', 'linphonec', '01-REGISTER.sip')), false);
  const r = parseSipMessage(ka);
  assert.ok(!r.ok && r.drop);
});
