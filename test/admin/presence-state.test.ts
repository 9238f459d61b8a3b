// The board's one-word state from a composed PIDF document (src/admin/presence-state.ts),
// with documents as Linphone, baresip and RPID publishers send them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePidf } from '../../src/codec/pidf/parse.js';
import type { PidfElement } from '../../src/codec/pidf/types.js';
import { presenceStateOf, noteOf, activitiesOf } from '../../src/admin/presence-state.js';

const NS = 'xmlns="urn:ietf:params:xml:ns:pidf" xmlns:r="urn:ietf:params:xml:ns:pidf:rpid" xmlns:d="urn:ietf:params:xml:ns:pidf:data-model"';

function elements(...docs: string[]): PidfElement[] {
  const out: PidfElement[] = [];
  for (const inner of docs) {
    const r = parsePidf(`<?xml version="1.0"?><presence ${NS} entity="sip:a@b">${inner}</presence>`);
    assert.ok(r.ok, inner);
    out.push(...r.doc.elements);
  }
  return out;
}

const tuple = (basic: string, note = ''): string => `<tuple id="t${basic}"><status><basic>${basic}</basic></status>${note}</tuple>`;
const person = (...acts: string[]): string => `<d:person id="p"><r:activities>${acts.map((a) => `<r:${a}/>`).join('')}</r:activities></d:person>`;

test('states: offline, available, busy, away, on the phone', () => {
  assert.equal(presenceStateOf([], false), 'offline');
  assert.equal(presenceStateOf(elements(tuple('closed')), true), 'offline');
  assert.equal(presenceStateOf(elements(tuple('open')), true), 'available');
  assert.equal(presenceStateOf(elements(tuple('open') + person('busy')), true), 'busy');
  assert.equal(presenceStateOf(elements(tuple('closed') + person('busy')), true), 'busy', 'do-not-disturb');
  assert.equal(presenceStateOf(elements(tuple('open') + person('away')), true), 'away');
  assert.equal(presenceStateOf(elements(tuple('open') + person('vacation')), true), 'away');
  assert.equal(presenceStateOf(elements(tuple('open') + person('on-the-phone')), true), 'on-the-phone');
  assert.equal(presenceStateOf(elements(tuple('open') + person('meeting', 'on-the-phone')), true), 'on-the-phone');
  assert.equal(presenceStateOf(elements(tuple('open') + person('unknown')), true), 'available');
  assert.equal(presenceStateOf(elements(tuple('open') + person()), true), 'available');
});

test('the newest person decides (composition order); any open tuple is available', () => {
  assert.equal(presenceStateOf(elements(tuple('open') + person('away'), tuple('open') + person('busy')), true), 'away');
  assert.equal(presenceStateOf(elements(tuple('closed'), tuple('open')), true), 'available');
});

test('notes: top-level first, then a person\'s, then a tuple\'s; entities decoded', () => {
  assert.equal(noteOf(elements(tuple('open', '<note>at desk</note>'))), 'at desk');
  assert.equal(noteOf(elements(tuple('open', '<note>t</note>') + '<d:person id="p"><d:note>p &amp; q</d:note></d:person>')), 'p & q');
  assert.equal(noteOf(elements(tuple('open', '<note>t</note>') + '<note xml:lang="en">top</note>')), 'top');
  assert.equal(noteOf(elements(tuple('open'))), null);
  assert.deepEqual(activitiesOf('<dm:person id="p"><rpid:activities><rpid:busy/><rpid:note>x</rpid:note></rpid:activities></dm:person>'), ['busy']);
});
