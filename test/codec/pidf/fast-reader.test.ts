// The one-pass reader against the general path, differentially: for every fixture, every
// generated document and every mutant, the one-pass reader either declines (null) or returns exactly
// what parsePidfGeneral returns; it never throws; it takes every plain document clients send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { parsePidf, parsePidfFastOnly, parsePidfGeneral } from '../../../src/codec/pidf/parse.js';
import { LIMITS, checkGenerated, checkMutated, mutatedArb, same, type FastFuzzStats } from '../fuzz/pidf-fast-fuzz.js';
import { genDocArb } from '../fuzz/pidf-gen.js';
import { fixturePath, readFixture, readFixtureJson } from '../../support/fixtures.js';

function publishBodies(): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  for (const client of readdirSync(fixturePath('clients'), { withFileTypes: true })) {
    if (!client.isDirectory()) continue;
    for (const file of readdirSync(fixturePath('clients', client.name)).sort()) {
      const raw = readFixture('clients', client.name, file);
      const end = raw.indexOf('\r\n\r\n');
      if (!raw.subarray(0, 8).toString('latin1').startsWith('PUBLISH') || end < 0 || raw.length === end + 4) continue;
      out.push([`${client.name}/${file}`, raw.subarray(end + 4)]);
    }
  }
  return out;
}

test('every PIDF fixture: the fast reader agrees, takes every accepted one, declines every refused one', () => {
  const index = readFixtureJson<{ documents: { file: string }[] }>('pidf', 'index.json');
  assert.ok(index.documents.length >= 30);
  for (const { file } of index.documents) {
    const body = readFixture('pidf', file);
    const took = same(body, file);
    // All accepted fixtures are plain XML: a decline would mean a gap in the reader.
    assert.equal(took, parsePidfGeneral(body, LIMITS).ok, `${file}: fast reader took=${took}`);
    assert.deepEqual(parsePidf(body), parsePidfGeneral(body, LIMITS), file);
  }
});

test('every PUBLISH body captured from Linphone and baresip is read by the fast reader, identically', () => {
  const bodies = publishBodies();
  assert.ok(bodies.length >= 12, `only ${bodies.length} PUBLISH bodies`);
  for (const [name, body] of bodies) assert.ok(same(body, name), `${name} declined`);
});

test('the fast reader honours the caller limits by declining (the general path then refuses)', () => {
  const body = readFixture('pidf', 'rfc4480-rpid.xml');
  for (const limits of [{ ...LIMITS, maxBytes: 1000 }, { ...LIMITS, maxDepth: 3 }, { ...LIMITS, maxElements: 2 }]) {
    assert.equal(parsePidfFastOnly(body, limits), null);
    assert.equal(parsePidf(body, limits).ok, false);
  }
  // <rpid:place-is><rpid:audio><rpid:noisy/> in dm:person: 5 levels with <presence>.
  assert.ok(same(body, 'depth 5 is enough', { ...LIMITS, maxDepth: 5 }));
});

test('tricky but plain documents are taken, with the general path\'s result', () => {
  const P = 'urn:ietf:params:xml:ns:pidf';
  const DM = 'urn:ietf:params:xml:ns:pidf:data-model';
  const doc = (inner: string, pre = ''): string => `${pre}<presence xmlns="${P}" xmlns:dm="${DM}" entity=" sip:a@b ">${inner}</presence>`;
  const tuple = (inner: string): string => doc(`<tuple id="t"><status><basic> open\r\n</basic></status>${inner}</tuple>`);
  const cases = [
    tuple('<x:a xmlns:x="urn:x" v="a/>b" w=\'say "hi"\' z="1&gt;0"/>'), tuple('<note></note><note>  </note>'),
    tuple('<contact priority=" 0.5 ">\n sip:a@b \n</contact><timestamp> 2026-11-25T13:45:42Z </timestamp>'),
    doc('\u00a0<tuple id="t"><status/></tuple>\u2028'), tuple('<x:a xmlns:x="urn:x" v="line\r\nbreak\ttab"/>'),
    doc('<dm:person id="p"><timestamp> 1 </timestamp><dm:note>n</dm:note><timestamp> 2 </timestamp></dm:person>'),
    doc('<dm:person id="p"><timestamp> 1 </timestamp><dm:timestamp> 2 </dm:timestamp></dm:person>'),
    doc('<dm:device id="d"><timestamp><x:a xmlns:x="urn:x"/></timestamp></dm:device>'),
    doc('<tuple id="t"><status/></tuple>', '\uFEFF<?xml version="1.0" encoding="utf-8" standalone="no"?>\r\n'),
    doc('<tuple id="&#x263A;&amp;"><status/></tuple>'), `<impp:presence xmlns:impp="${P}" entity="e"/>`,
  ];
  for (const text of cases) assert.ok(same(new TextEncoder().encode(text), 'tricky'), `declined: ${text}`);
});

test('a fragment with many namespaces: prefixes planned as serialize.ts plans them', () => {
  // Past 8 namespaces the prefix plan indexes them (prefix-plan.ts); wanted prefixes collide.
  const P = 'urn:ietf:params:xml:ns:pidf';
  const wanted = ['a', 'a', 'ns1', 'c', 'caps', 'b', 'xmlx', 'pidf', 'ns3', 'b', 'q'];
  let ext = '';
  for (let k = 0; k < 40; k++) ext += `<${wanted[k % wanted.length]}:e${k} xmlns:${wanted[k % wanted.length]}="urn:v${k % 23}" x="${k}"/>`;
  const text = `<presence xmlns="${P}" entity="sip:a@b"><tuple id="t"><status><basic>open</basic></status>${ext}</tuple></presence>`;
  assert.ok(same(new TextEncoder().encode(text), 'many namespaces'));
});

test('outside the subset, the fast reader declines and the general path decides', () => {
  const P = 'urn:ietf:params:xml:ns:pidf';
  const doc = (inner: string): string => `<presence xmlns="${P}" entity="sip:a@b">${inner}</presence>`;
  const tuple = (ext: string): string => doc(`<tuple id="t"><status><basic>open</basic></status>${ext}</tuple>`);
  const outside = [
    doc('<!-- c --><tuple id="t"><status/></tuple>'), tuple('<note><![CDATA[a<b]]></note>'), tuple('<?pi x?>'),
    tuple('<x:a xmlns:x="urn:x">a<x:b/>c</x:a>'), tuple('<x:a xmlns:x="urn:x">\u0001</x:a>'),
    tuple('<toString xmlns="urn:x"/>'), tuple('<x:a xmlns:x="urn:x" constructor="1"/>'), tuple('<note>&#x0000000041;</note>'),
    tuple('<note xmlns="">x</note>'), tuple('<x:a xmlns:x="urn:x"></x:a >'), tuple('<x:é xmlns:x="urn:x"/>'),
    `<!DOCTYPE presence>${doc('')}`, ` <?xml version="1.0"?>${doc('')}`, `${doc('')}<!-- after -->`,
  ];
  for (const text of outside) {
    const body = new TextEncoder().encode(text);
    assert.equal(parsePidfFastOnly(body, LIMITS), null, text);
    assert.deepEqual(parsePidf(body), parsePidfGeneral(body, LIMITS), text);
  }
});

test('property: generated PIDF documents — fast reader equals the general path, takes every plain accepted one', () => {
  const seen: FastFuzzStats = { fast: 0, accepted: 0, refused: 0 };
  fc.assert(fc.property(genDocArb, (doc) => checkGenerated(doc, seen)), { numRuns: 1500 });
  // Both outcomes are exercised, or the property says little.
  assert.ok(seen.fast >= 500, `fast reader took only ${seen.fast}`);
  assert.ok(seen.refused >= 100, `only ${seen.refused} refused`);
});

test('property: mutated, truncated and spliced documents — no throw, agreement on accept/refuse and result', () => {
  fc.assert(fc.property(mutatedArb, checkMutated), { numRuns: 1500 });
});
