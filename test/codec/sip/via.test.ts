import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatViaWithReceived, parseVia, responseTarget } from '../../../src/codec/sip/via.js';
import type { Via } from '../../../src/codec/sip/types.js';

function via(s: string): Via {
  const v = parseVia(s);
  assert.ok(v, s);
  return v;
}

test('parseVia: transport, sent-by, params, SWS around / : ; =', () => {
  const v = via('SIP/2.0/udp Host.Example.com:5070;branch=z9hG4bK776;rport;received=1.2.3.4');
  assert.equal(v.transport, 'UDP');
  assert.equal(v.host, 'host.example.com');
  assert.equal(v.port, 5070);
  assert.deepEqual([...v.params], [['branch', 'z9hG4bK776'], ['rport', null], ['received', '1.2.3.4']]);
  const w = via('SIP  /   2.0 /UDP    192.0.2.2;branch=390skdjuw');
  assert.equal(w.host, '192.0.2.2');
  const x = via('SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8');
  assert.equal(x.params.get('branch'), 'z9hG4bK9ikj8');
  assert.equal(via('SIP/2.0/UNKNOWN t4.example.com;branch=z').transport, 'UNKNOWN');
  assert.equal(via('SIP/2.0/UDP h : 5080').port, 5080);
});

test('parseVia: IPv6 sent-by and received with or without brackets', () => {
  const v = via('SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111');
  assert.equal(v.host, '[2001:db8::9:1]');
  assert.equal(v.port, 6050);
  assert.equal(via('SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=a').params.get('received'), '2001:db8::9:255');
  assert.equal(via('SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=a').params.get('received'), '[2001:db8::9:255]');
});

test('parseVia: rejects malformed values', () => {
  for (const s of ['', 'SIP/2.0/UDP', 'SIP/2.0 UDP host', 'SIP/2.0/UDPhost', 'SIP/2.0/UDP 192.0.2.15;;', ';', 'SIP/2.0/UDP host:99999',
    'SIP/2.0/UDP host;branch=', 'SIP/2.0/UDP [::1', 'SIP/2.0/UDP host junk']) {
    assert.equal(parseVia(s), null, s);
  }
});

test('formatViaWithReceived: RFC 3581 rport fill-in, received always, IPv6 without brackets', () => {
  const v = via('SIP/2.0/UDP 10.1.1.1:4540;branch=z9hG4bKkjshdyff;rport');
  assert.equal(formatViaWithReceived(v, '192.0.2.1', 9988), 'SIP/2.0/UDP 10.1.1.1:4540;branch=z9hG4bKkjshdyff;rport=9988;received=192.0.2.1');
  const n = via('SIP/2.0/UDP 192.0.2.1;branch=b');
  assert.equal(formatViaWithReceived(n, '192.0.2.1', 5060), 'SIP/2.0/UDP 192.0.2.1;branch=b;received=192.0.2.1');
  const old = via('SIP/2.0/UDP h;received=6.6.6.6;branch=b;rport=1');
  assert.equal(formatViaWithReceived(old, '[2001:db8::1]', 7), 'SIP/2.0/UDP h;received=2001:db8::1;branch=b;rport=1');
  const q = via('SIP/2.0/UDP h;x="a;b";rport');
  assert.equal(formatViaWithReceived(q, '::1', 9), 'SIP/2.0/UDP h;x="a;b";rport=9;received=::1');
  assert.ok(parseVia(formatViaWithReceived(v, '2001:db8::5', 1)));
});

test('responseTarget: rport → source; otherwise source IP on sent-by port (default 5060/5061)', () => {
  assert.deepEqual(responseTarget(via('SIP/2.0/UDP 10.0.0.1:5062;rport;branch=a'), '192.0.2.9', 40000), { host: '192.0.2.9', port: 40000 });
  assert.deepEqual(responseTarget(via('SIP/2.0/UDP 10.0.0.1:5062;branch=a'), '192.0.2.9', 40000), { host: '192.0.2.9', port: 5062 });
  assert.deepEqual(responseTarget(via('SIP/2.0/UDP 10.0.0.1;branch=a;received=6.6.6.6'), '192.0.2.9', 40000), { host: '192.0.2.9', port: 5060 });
  assert.deepEqual(responseTarget(via('SIP/2.0/TLS h;branch=a'), '::1', 1), { host: '::1', port: 5061 });
});
