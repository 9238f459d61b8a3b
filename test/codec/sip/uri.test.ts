import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aorOf, parseUri, unescapeUriPart, uriEquals } from '../../../src/codec/sip/uri.js';
import type { SipUri } from '../../../src/codec/sip/types.js';

function uri(s: string): SipUri {
  const u = parseUri(s);
  assert.ok(u, s);
  return u;
}

test('sip URI: user, password, host, port, params, headers', () => {
  const u = uri('sips:alice:secret@Example.COM:5061;transport=TLS;lr;Maddr=x?Subject=hi&Priority=urgent');
  assert.equal(u.scheme, 'sips');
  assert.equal(u.user, 'alice');
  assert.equal(u.password, 'secret');
  assert.equal(u.host, 'example.com');
  assert.equal(u.port, 5061);
  assert.deepEqual([...u.params], [['transport', 'TLS'], ['lr', null], ['maddr', 'x']]);
  assert.equal(u.headers, 'Subject=hi&Priority=urgent');
  const h = uri('SIP:example.com');
  assert.equal(h.scheme, 'sip');
  assert.equal(h.user, null);
  assert.equal(h.port, null);
});

test('userinfo splits at the last @ (semiuri) and keeps escapes and odd chars (intmeth)', () => {
  const s = uri('sip:user;par=u%40example.net@example.com');
  assert.equal(s.user, 'user;par=u%40example.net');
  assert.equal(s.host, 'example.com');
  assert.equal(s.params.size, 0);
  const i = uri("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
  assert.equal(i.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  assert.equal(i.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  assert.equal(i.headers, null);
  const e = uri('sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31');
  assert.equal(e.user, 'cal%6Cer');
  assert.equal(e.params.get('n%61me'), 'v%61lue%25%34%31');
});

test('IPv6 references (RFC 5118)', () => {
  const a = uri('sip:[2001:db8::10]:5070');
  assert.equal(a.host, '[2001:db8::10]');
  assert.equal(a.port, 5070);
  const b = uri('sip:[2001:db8::10:5070]');
  assert.equal(b.host, '[2001:db8::10:5070]');
  assert.equal(b.port, null);
  assert.ok(parseUri('sip:user@[2001:db8:::192.0.2.1]'));
  assert.ok(parseUri('sip:ted@[::ffff:192.0.2.2]'));
  assert.equal(parseUri('sip:2001:db8::10'), null);
  assert.equal(parseUri('sip:[2001:db8::10'), null);
});

test('invalid URIs', () => {
  for (const s of ['', 'sip:', 'nocolon', '1sip:x', 'sip:a b@c', 'sip:user@host:99999', 'sip:user@host:', 'sip:@host',
    'sip:us%zzer@host', 'sip:host;;lr', 'sip:host?', 'sip:<host>', 'mailto:']) {
    assert.equal(parseUri(s), null, s);
  }
});

test('other schemes keep scheme + opaque', () => {
  const u = uri('nobodyKnowsThisScheme:totallyopaquecontent');
  assert.equal(u.scheme, 'nobodyknowsthisscheme');
  assert.equal(u.opaque, 'totallyopaquecontent');
  assert.equal(uri('soap.beep://192.0.2.103:3002').scheme, 'soap.beep');
  assert.equal(uri('tel:+1-201-555-0123').opaque, '+1-201-555-0123');
});

test('aorOf: canonical sip:user@host[:port], escapes normalised, %00 kept', () => {
  assert.equal(aorOf(uri('sip:Alice@Example.COM;transport=udp?x=y')), 'sip:Alice@example.com');
  assert.equal(aorOf(uri('sips:alice@example.com:5061')), 'sip:alice@example.com:5061');
  assert.equal(aorOf(uri('sip:%75se%72@example.com')), aorOf(uri('sip:user@example.com')));
  assert.equal(aorOf(uri('sip:a%3bb@x')), 'sip:a;b@x');
  assert.equal(aorOf(uri('sip:null-%00-null@example.com')), 'sip:null-%00-null@example.com');
  assert.notEqual(aorOf(uri('sip:%00@h')), aorOf(uri('sip:%00%00@h')));
  assert.equal(aorOf(uri('sip:a%2fb@x')), 'sip:a/b@x');
  assert.equal(aorOf(uri('sip:a%20b@x')), 'sip:a%20b@x');
  assert.equal(aorOf(uri('tel:+123')), 'tel:+123');
});

test('uriEquals: RFC 3261 §19.1.4 examples', () => {
  const eq = (a: string, b: string): boolean => uriEquals(uri(a), uri(b));
  // equivalent
  assert.ok(eq('sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'));
  assert.ok(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'));
  assert.ok(eq('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;newparam=5'));
  assert.ok(eq('sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com'));
  assert.ok(eq('sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x'));
  // not equivalent
  assert.ok(!eq('SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'));
  assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'));
  assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'));
  assert.ok(!eq('sip:bob@biloxi.com', 'sips:bob@biloxi.com'));
  assert.ok(!eq('sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'));
  assert.ok(!eq('sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'));
  assert.ok(!eq('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'));
  assert.ok(!eq('sip:a:pw@x', 'sip:a@x'));
  assert.ok(eq('tel:+1', 'tel:+1'));
  assert.ok(!eq('tel:+1', 'tel:+2'));
});

test('unescapeUriPart keeps NUL and leaves bad escapes alone', () => {
  assert.equal(unescapeUriPart('null-%00-null'), 'null-\u0000-null');
  assert.equal(unescapeUriPart('%4'), '%4');
  assert.equal(unescapeUriPart('plain'), 'plain');
});
