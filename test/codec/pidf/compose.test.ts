// Composition of several publications into one document (RFC 3856 §6.7, RFC 4479).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closedPidf, composePidf } from '../../../src/codec/pidf/compose.js';
import { parsePidf } from '../../../src/codec/pidf/parse.js';
import type { PidfDocument, Publication } from '../../../src/codec/pidf/types.js';
import { readFixture, readFixtureJson } from '../../support/fixtures.js';

function doc(body: Uint8Array | string): PidfDocument {
  const r = parsePidf(body);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.doc;
}

const pub = (etag: string, modified: number, d: PidfDocument): Publication => ({ etag, modified, doc: d });
const ENTITY = 'sip:alice@example.com';

const phone = doc(`<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf"
  xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:r="urn:ietf:params:xml:ns:pidf:rpid"
  entity="${ENTITY}"><tuple id="t1"><status><basic>open</basic></status><contact>sip:alice@phone</contact></tuple>
  <dm:person id="p"><r:activities><r:on-the-phone/></r:activities></dm:person></presence>`);
const laptop = doc(`<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf"
  xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" entity="${ENTITY}">
  <tuple id="t1"><status><basic>closed</basic></status><contact>sip:alice@laptop</contact></tuple>
  <note>at lunch</note><dm:person id="p"/></presence>`);

test('two publications: one document, both tuples with unique ids, persons kept, newest first', () => {
  const xml = composePidf(ENTITY, [pub('A', 1000, phone), pub('B', 2000, laptop)]);
  const out = doc(xml);
  assert.equal(out.entity, ENTITY);
  const tuples = out.elements.filter((e) => e.kind === 'tuple');
  assert.equal(tuples.length, 2);
  // B (laptop) is newer: its tuple keeps id t1 and comes first; the phone's is renamed.
  assert.deepEqual(tuples.map((e) => [e.id, e.basic]), [['t1', 'closed'], ['t1-2', 'open']]);
  assert.match(tuples[1]!.xml, /sip:alice@phone/);
  const persons = out.elements.filter((e) => e.kind === 'person');
  assert.deepEqual(persons.map((e) => e.id), ['p', 'p-2']);
  assert.match(persons[1]!.xml, /<rpid:on-the-phone\/>/);
  assert.equal(out.elements.filter((e) => e.kind === 'note').length, 1);
  // Schema order (RFC 3863 §4.1): tuples, notes, then extensions.
  assert.deepEqual(out.elements.map((e) => e.kind), ['tuple', 'tuple', 'note', 'person', 'person']);
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" '
    + 'xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:alice@example.com">'));
});

test('composition is deterministic: input order does not matter, equal times fall back to the ETag', () => {
  const a = composePidf(ENTITY, [pub('A', 5, phone), pub('B', 5, laptop)]);
  const b = composePidf(ENTITY, [pub('B', 5, laptop), pub('A', 5, phone)]);
  assert.equal(a, b);
  assert.equal(doc(a).elements[0]!.basic, 'open'); // A sorts before B
});

test('renamed ids avoid ids other publications already use', () => {
  const other = doc(`<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${ENTITY}">
    <tuple id="t1-2"><status><basic>open</basic></status></tuple></presence>`);
  const out = doc(composePidf(ENTITY, [pub('A', 3, laptop), pub('B', 2, other), pub('C', 1, phone)]));
  assert.deepEqual(out.elements.filter((e) => e.kind === 'tuple').map((e) => e.id), ['t1', 't1-2', 't1-3']);
});

test('the entity is the one given, escaped', () => {
  const xml = composePidf('sip:a&b@example.com', [pub('A', 1, phone)]);
  assert.match(xml, /entity="sip:a&amp;b@example\.com"/);
  assert.equal(doc(xml).entity, 'sip:a&b@example.com');
});

test('no publication: a neutral closed document, one tuple and nothing else', () => {
  const xml = composePidf(ENTITY, []);
  assert.equal(xml, closedPidf(ENTITY));
  const d = doc(xml);
  assert.equal(d.elements.length, 1);
  assert.equal(d.elements[0]!.kind, 'tuple');
  assert.equal(d.elements[0]!.basic, 'closed');
  assert.doesNotMatch(xml, /contact|pidfonline|note|person/);
});

test('round trip: the composition of every accepted fixture re-parses to the same fragments', () => {
  const index = readFixtureJson<{ documents: { file: string; expect: string }[] }>('pidf', 'index.json');
  const accepted = index.documents.filter((d) => d.expect === 'accept');
  assert.ok(accepted.length >= 10);
  const docs: PidfDocument[] = [];
  for (const f of accepted) {
    const d = doc(readFixture('pidf', f.file));
    docs.push(d);
    const again = doc(composePidf(d.entity, [pub('e', 1, d)]));
    assert.equal(again.entity, d.entity, f.file);
    // Same fragments, in schema order (tuples, notes, extensions).
    const rank = (k: string): number => (k === 'tuple' ? 0 : k === 'note' ? 1 : 2);
    const expected = [...d.elements].sort((x, y) => rank(x.kind) - rank(y.kind));
    assert.deepEqual(again.elements, expected, f.file);
  }
  const everything = doc(composePidf(ENTITY, docs.map((d, i) => pub(`e${i}`, i, d))));
  const ids = everything.elements.flatMap((e) => (e.id === null ? [] : [e.id]));
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(everything.elements.filter((e) => e.kind === 'tuple').length,
    docs.reduce((n, d) => n + d.elements.filter((e) => e.kind === 'tuple').length, 0));
});
