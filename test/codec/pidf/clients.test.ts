// The PIDF bodies real clients PUBLISH (test/fixtures/clients) parse, and Linphone's status
// encodings survive as basic + RPID activity in the fragments we keep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { parsePidf } from '../../../src/codec/pidf/parse.js';
import type { PidfDocument } from '../../../src/codec/pidf/types.js';
import { fixturePath, readFixture } from '../../support/fixtures.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');

function publishBodies(): { name: string; body: Buffer }[] {
  const out: { name: string; body: Buffer }[] = [];
  for (const dir of readdirSync(fixturePath('clients'), { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const file of readdirSync(fixturePath('clients', dir.name)).sort()) {
      if (!file.includes('PUBLISH') || !file.endsWith('.sip')) continue;
      const raw = readFixture('clients', dir.name, file);
      const at = raw.indexOf(CRLFCRLF);
      assert.ok(at > 0, `${file}: no end of headers`);
      out.push({ name: `${dir.name}/${file}`, body: raw.subarray(at + 4) });
    }
  }
  return out;
}

function parsed(dir: string, file: string): PidfDocument {
  const raw = readFixture('clients', dir, file);
  const r = parsePidf(raw.subarray(raw.indexOf(CRLFCRLF) + 4));
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.doc;
}

test('every PIDF body PUBLISHed by baresip, linphonec and liblinphone parses', () => {
  const all = publishBodies();
  const withBody = all.filter((p) => p.body.length > 0);
  // Un-PUBLISHes and baresip's body-less refresh carry no document.
  assert.ok(withBody.length >= 14, `only ${withBody.length} PUBLISH bodies found`);
  for (const { name, body } of withBody) {
    const r = parsePidf(body);
    assert.ok(r.ok, `${name}: ${r.ok ? '' : r.reason}`);
    const tuples = r.doc.elements.filter((e) => e.kind === 'tuple');
    assert.equal(tuples.length, 1, name);
    assert.ok(tuples[0]!.basic === 'open' || tuples[0]!.basic === 'closed', name);
    assert.match(r.doc.entity, /^sip:(alice|carol)@127\.0\.0\.1$/, name);
  }
});

test('Linphone: busy, dnd, away and on-the-phone map to basic + rpid activity', () => {
  const cases: [string, 'open' | 'closed', string][] = [
    ['04-PUBLISH-busy.sip', 'open', 'away'],
    ['05-PUBLISH-dnd.sip', 'closed', 'away'],
    ['06-PUBLISH-away.sip', 'open', 'away'],
    ['07-PUBLISH-on-the-phone.sip', 'open', 'on-the-phone'],
  ];
  for (const [file, basic, activity] of cases) {
    const d = parsed('liblinphone-lpresence', file);
    const tuple = d.elements.find((e) => e.kind === 'tuple')!;
    assert.equal(tuple.basic, basic, file);
    assert.match(tuple.xml, new RegExp(`<basic>${basic}</basic>`), file);
    const person = d.elements.find((e) => e.kind === 'person')!;
    assert.ok(person, `${file}: no dm:person`);
    assert.match(person.xml, new RegExp(`<rpid:activities><rpid:${activity}/></rpid:activities>`), file);
    // Linphone writes the PIDF <timestamp> inside dm:person; it is kept and reported.
    assert.match(person.timestamp ?? '', /^2026-11-25T13:45:\d\dZ$/, file);
  }
});

test('Linphone online: the pidfonline extension inside <status> is preserved with its namespace', () => {
  const d = parsed('liblinphone-lpresence', '02-PUBLISH-initial-online.sip');
  const tuple = d.elements[0]!;
  assert.equal(tuple.basic, 'open');
  assert.match(tuple.xml, /xmlns:pidfonline="http:\/\/www\.linphone\.org\/xsds\/pidfonline\.xsd"/);
  assert.match(tuple.xml, /<status><basic>open<\/basic><pidfonline:online\/><\/status>/);
  assert.match(tuple.xml, /<contact priority="0\.8">sip:alice@127\.0\.0\.1<\/contact>/);
});

test('baresip: CRLF body with an empty rpid:activities person', () => {
  const d = parsed('baresip', '02-PUBLISH-initial.sip');
  assert.deepEqual(d.elements.map((e) => [e.kind, e.id]), [['person', 'p4159'], ['tuple', 't4109']]);
  assert.equal(d.elements[0]!.xml, '<dm:person id="p4159"><rpid:activities/></dm:person>');
  assert.equal(parsed('baresip', '05-PUBLISH-modify-closed.sip').elements[1]!.basic, 'closed');
});
