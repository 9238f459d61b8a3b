// Focused parse behaviour: namespaces by URI, decoding and re-escaping, limits, PIDF rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePidf } from '../../../src/codec/pidf/parse.js';
import type { PidfDocument } from '../../../src/codec/pidf/types.js';
import { readFixture } from '../../support/fixtures.js';

function ok(body: Uint8Array | string): PidfDocument {
  const r = parsePidf(body);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.doc;
}

function refused(body: Uint8Array | string, status = 400): string {
  const r = parsePidf(body);
  assert.equal(r.ok, false);
  assert.equal(r.ok ? 0 : r.status, status);
  return r.ok ? '' : r.reason;
}

const P = 'urn:ietf:params:xml:ns:pidf';
const doc = (inner: string, extra = ''): string =>
  `<?xml version="1.0" encoding="UTF-8"?><presence xmlns="${P}"${extra} entity="sip:a@example.com">${inner}</presence>`;
const TUPLE = '<tuple id="t"><status><basic>open</basic></status></tuple>';

test('prefixes are resolved by URI: impp: and default namespace give identical fragments', () => {
  const a = ok(readFixture('pidf', 'rfc3863-impp-prefix.xml'));
  const b = ok(readFixture('pidf', 'rfc3863-default-ns.xml'));
  assert.deepEqual(a, b);
  assert.equal(a.elements[0]!.xml,
    '<tuple id="sg89ae"><status><basic>open</basic></status><contact priority="0.8">tel:+09012345678</contact></tuple>');
});

test('unusual prefixes: canonical dm:/rpid:, vendor namespace declared, references decoded and re-escaped', () => {
  const d = ok(readFixture('pidf', 'ok-unusual-prefixes.xml'));
  assert.equal(d.entity, 'sip:alice@example.com');
  const [tuple, person] = d.elements;
  assert.equal(tuple!.kind, 'tuple');
  assert.match(tuple!.xml, /^<tuple id="t-1" xmlns:vnd="urn:example:vendor:presence-ext">/);
  assert.match(tuple!.xml, /<vnd:client-version>4\.2<\/vnd:client-version>/);
  assert.equal(person!.kind, 'person');
  assert.equal(person!.id, 'p-1');
  assert.match(person!.xml, /^<dm:person id="p-1"><rpid:activities><rpid:on-the-phone\/><\/rpid:activities>/);
  assert.match(person!.xml, /<dm:note xml:lang="en">On a call &amp; busy &lt;until 3pm&gt; \u263A<\/dm:note>/);
});

test('xml:lang notes kept, contact trimmed, timestamp and basic extracted', () => {
  const d = ok(readFixture('pidf', 'rfc3863-example.xml'));
  assert.deepEqual(d.elements.map((e) => [e.kind, e.id, e.basic, e.timestamp]), [
    ['tuple', 'bs35r9', 'open', '2001-10-27T16:49:29Z'],
    ['tuple', 'eg92n8', 'open', null],
    ['note', null, null, null],
  ]);
  assert.match(d.elements[0]!.xml, /<note xml:lang="fr">Ne derangez pas, s'il vous plait<\/note>/);
  const ext = ok(readFixture('pidf', 'rfc3863-extension-elements.xml'));
  assert.match(ext.elements[1]!.xml, /<contact priority="1\.0">im:someone@mobilecarrier\.net<\/contact>/);
  assert.equal(ext.elements[2]!.kind, 'other');
  assert.match(ext.elements[2]!.xml, /^<myex:mytag xmlns:myex="http:\/\/id\.example\.com\/presence\/">/);
});

test('data model: person/device kinds and dm:timestamp; cipid and caps get their canonical prefixes', () => {
  const rpid = ok(readFixture('pidf', 'rfc4480-rpid.xml'));
  const person = rpid.elements.find((e) => e.kind === 'person')!;
  assert.equal(person.timestamp, '2005-05-30T16:09:44+05:00');
  assert.match(person.xml, /<rpid:activities from="2005-05-30T12:00:00\+05:00" until="2005-05-30T17:00:00\+05:00">/);
  assert.match(person.xml, /xmlns:lt="urn:ietf:params:xml:ns:location-type"/);
  assert.equal(rpid.elements.filter((e) => e.kind === 'device').length, 1);
  const cipid = ok(readFixture('pidf', 'rfc4482-cipid.xml'));
  assert.match(cipid.elements[2]!.xml, /^<dm:person id="p1" xmlns:c="urn:ietf:params:xml:ns:pidf:cipid"><c:card>/);
  const dm = ok(readFixture('pidf', 'rfc4479-data-model.xml'));
  assert.match(dm.elements[0]!.xml, /xmlns:caps="urn:ietf:params:xml:ns:pidf:caps"/);
  assert.match(dm.elements[0]!.xml, /<caps:methods><caps:supported><caps:MESSAGE\/>/);
});

test('an extension using a canonical prefix for another namespace is renamed', () => {
  const d = ok(doc(`<tuple id="t"><status><basic>open</basic></status><c:x xmlns:c="urn:other">1</c:x></tuple>`));
  assert.match(d.elements[0]!.xml, /xmlns:ns1="urn:other"/);
  assert.match(d.elements[0]!.xml, /<ns1:x>1<\/ns1:x>/);
});

test('mustUnderstand: refused on unknown extensions when true, kept when false', () => {
  const ext = (mu: string): string =>
    doc(`<tuple id="t"><status><basic>open</basic></status><x:e xmlns:x="urn:x" mustUnderstand="${mu}">v</x:e></tuple>`, '');
  // Unprefixed attributes are in no namespace: only the PIDF-namespace attribute counts.
  ok(ext('1'));
  const pfx = (mu: string): string =>
    doc(`<tuple id="t"><status><basic>open</basic></status><x:e xmlns:x="urn:x" p:mustUnderstand="${mu}">v</x:e></tuple>`,
      ` xmlns:p="${P}"`);
  assert.match(refused(pfx('true')), /mustUnderstand/);
  const kept = ok(pfx('false'));
  assert.match(kept.elements[0]!.xml, /<x:e pidf:mustUnderstand="false">v<\/x:e>/);
  assert.match(kept.elements[0]!.xml, new RegExp(`xmlns:pidf="${P}"`));
});

test('PIDF rules: priority range, basic value, duplicate ids, status count', () => {
  const withPriority = (p: string): string =>
    doc(`<tuple id="t"><status><basic>open</basic></status><contact priority="${p}">sip:a@b</contact></tuple>`);
  for (const p of ['0', '0.5', '1', '1.000', '0.125']) ok(withPriority(p));
  for (const p of ['1.5', '-0.1', '0.1234', 'high', '2']) refused(withPriority(p));
  refused(doc('<tuple id="t"><status><basic>Open</basic></status></tuple>'));
  refused(doc(TUPLE + TUPLE));
  refused(doc('<tuple id="t"><status/><status/></tuple>'));
  ok(doc('<tuple id="t"><status/></tuple>'));
});

test('refusals: DOCTYPE, undefined entities, bad UTF-8, size, depth, foreign encodings', () => {
  assert.equal(refused(`<?xml version="1.0"?><!DOCTYPE presence><presence/>`), 'DOCTYPE not allowed');
  refused(doc(`<note>&nbsp;</note>` + TUPLE));
  refused(doc(`<note>&#0;</note>` + TUPLE));
  refused(doc(TUPLE, ' a="&#x110000;"'));
  refused(new Uint8Array([0x3c, 0x61, 0xff, 0x3e]));
  refused(doc(`<note>${'x'.repeat(70000)}</note>` + TUPLE), 413);
  const big = parsePidf(doc(`<note>${'x'.repeat(70000)}</note>` + TUPLE), { maxBytes: 80000 });
  assert.ok(big.ok);
  const deep = (n: number): string => doc(`<tuple id="t"><status/>${'<x:a xmlns:x="urn:x">'.repeat(n)}${'</x:a>'.repeat(n)}</tuple>`);
  ok(deep(29)); // presence + tuple + 29 = 31 levels; limit is 32
  assert.match(refused(deep(31)), /nested deeper/);
  refused(`<?xml version="1.0" encoding="ISO-8859-1"?>` + doc(TUPLE).slice(38));
  refused('');
  refused(doc(TUPLE) + '<presence/>');
});

test('string and byte input give the same document; CDATA is literal', () => {
  const text = doc(`<tuple id="t"><status><basic>open</basic></status><note><![CDATA[a<b & c]]></note></tuple>`);
  assert.deepEqual(ok(text), ok(new TextEncoder().encode(text)));
  assert.match(ok(text).elements[0]!.xml, /<note>a&lt;b &amp; c<\/note>/);
});

test('C0 control characters are refused (XML 1.0 §2.2), in text and in attribute values', () => {
  const doc = (note: string, attr = 'x'): string =>
    `<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@h"><tuple id="${attr}"><status><basic>open</basic></status><note>${note}</note></tuple></presence>`;
  for (const bad of [doc('a\u0001b'), doc('ok', 'x\u001fy'), doc('\u0000')]) {
    const r = parsePidf(Buffer.from(bad));
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /control character/);
  }
  assert.ok(parsePidf(Buffer.from(doc('tab\there\r\nand newline'))).ok);
});
