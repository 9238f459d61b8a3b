// application/dialog-info+xml (RFC 4235 §4): what PUBLISH bodies are accepted, what is kept of
// each dialog (everything a call pickup needs), how publications aggregate, and the documents
// watchers receive (single-dialog and dummy-dialog options included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDialogInfo } from '../../../src/codec/dialog-info/parse.js';
import { composeDialogs, dialogInfoDocument, mergeDialogs } from '../../../src/codec/dialog-info/compose.js';
import { safeReadXml } from '../../../src/codec/xml/safe-read.js';
import type { DialogInfoDocument } from '../../../src/codec/dialog-info/types.js';

const NS = 'urn:ietf:params:xml:ns:dialog-info';
const doc = (inner: string, attrs = 'version="1" state="full" entity="sip:alice@example.com"') => Buffer.from(`<?xml version="1.0"?><dialog-info xmlns="${NS}" ${attrs}>${inner}</dialog-info>`);
const ok = (b: Buffer): DialogInfoDocument => {
  const r = parseDialogInfo(b);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.doc;
};
const refused = (b: Buffer): { reason: string; status?: number } => {
  const r = parseDialogInfo(b);
  assert.ok(!r.ok, 'should be refused');
  return r;
};

test('RFC 4235 example: state, ids, identities and targets kept as written', () => {
  const d = ok(doc(`<dialog id="as7d900as8" call-id="a84b4c76e66710" local-tag="1928301774" direction="initiator">
    <state event="replaced">  confirmed </state><duration>274</duration>
    <local><identity display="Alice">sip:alice@example.com</identity><target uri="sip:alice@pc33.example.com"><param pname="+sip.rendering" pval="yes"/></target></local>
    <remote><identity display="Bob">sip:bob@example.org</identity><target uri="sip:bobster@phone21.example.org"/></remote></dialog>`));
  assert.equal(d.entity, 'sip:alice@example.com');
  assert.equal(d.dialogs.length, 1);
  const x = d.dialogs[0]!;
  assert.equal(x.id, 'as7d900as8');
  assert.equal(x.state, 'confirmed');
  assert.match(x.xml, /^<dialog id="as7d900as8" call-id="a84b4c76e66710" local-tag="1928301774" direction="initiator">/);
  assert.match(x.xml, /<state event="replaced">confirmed<\/state>/, 'state text trimmed');
  assert.match(x.xml, /<identity display="Alice">sip:alice@example\.com<\/identity>/);
  assert.match(x.xml, /<target uri="sip:alice@pc33\.example\.com"><param pname="\+sip\.rendering" pval="yes"\/><\/target>/);
  assert.match(x.xml, /<remote><identity display="Bob">sip:bob@example\.org<\/identity><target uri="sip:bobster@phone21\.example\.org"\/><\/remote>/);
  // The composed document is well-formed and namespaced as dialog-info.
  const full = safeReadXml(Buffer.from(dialogInfoDocument('sip:alice@example.com', 7, `${x.xml}\n`)), { maxBytes: 1e6, maxDepth: 32 });
  assert.ok(full.ok);
  assert.equal(full.root.ns, NS);
});

test("Yealink's bare terminated dialog, prefixed namespaces and extensions", () => {
  assert.equal(ok(doc('<dialog id="x"><state>terminated</state></dialog>')).dialogs[0]!.state, 'terminated');
  const p = ok(Buffer.from(`<di:dialog-info xmlns:di="${NS}" xmlns:sa="urn:ietf:params:xml:ns:sa-dialog-info" version="0" state="partial" entity="sip:1001@pbx"><di:dialog id="a"><di:state>early</di:state><sa:appearance>1</sa:appearance></di:dialog><x:ext xmlns:x="urn:x"/></di:dialog-info>`));
  assert.equal(p.dialogs.length, 1);
  assert.match(p.dialogs[0]!.xml, /^<dialog id="a" xmlns:sa="urn:ietf:params:xml:ns:sa-dialog-info"><state>early<\/state><sa:appearance>1<\/sa:appearance><\/dialog>$/);
  assert.equal(ok(doc('')).dialogs.length, 0, 'no dialog at all is valid (idle)');
});

test('invalid documents are refused with a reason (400), oversized ones 413', () => {
  assert.match(refused(doc('<dialog><state>early</state></dialog>')).reason, /without id/);
  assert.match(refused(doc('<dialog id="a"/>')).reason, /one <state>/);
  assert.match(refused(doc('<dialog id="a"><state>ringing</state></dialog>')).reason, /unknown state/);
  assert.match(refused(doc('<dialog id="a"><state>early</state></dialog><dialog id="a"><state>early</state></dialog>')).reason, /duplicate/);
  assert.match(refused(doc('', 'version="1" state="full"')).reason, /entity/);
  assert.match(refused(doc('', 'version="x" state="full" entity="sip:a@b"')).reason, /version/);
  assert.match(refused(doc('', 'version="1" state="half" entity="sip:a@b"')).reason, /state must be/);
  assert.match(refused(Buffer.from('<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b"/>')).reason, /not <dialog-info>/);
  assert.match(refused(Buffer.from(`<!DOCTYPE x [<!ENTITY a "b">]><dialog-info xmlns="${NS}" entity="sip:a@b">&a;</dialog-info>`)).reason, /DOCTYPE/);
  assert.match(refused(doc(`<dialog id="d"><state>early</state>${'<x>'.repeat(100)}${'</x>'.repeat(100)}</dialog>`)).reason, /nested deeper/);
  assert.match(refused(doc(Array.from({ length: 257 }, (_, i) => `<dialog id="m${i}"><state>early</state></dialog>`).join(''))).reason, /more than 256/);
  assert.equal(refused(doc(`<dialog id="big"><state>early</state><x>${'y'.repeat(70_000)}</x></dialog>`)).status, 413);
});

const pub = (etag: string, modified: number, dialogs: string) => ({ etag, modified, doc: ok(doc(dialogs)) });

test('aggregation: one entry per dialog id, the most advanced state wins whatever the order, newest publication first', () => {
  const older = pub('a', 1, '<dialog id="x"><state>terminated</state></dialog><dialog id="y"><state>confirmed</state></dialog>');
  const newer = pub('b', 2, '<dialog id="x"><state>early</state></dialog><dialog id="z"><state>trying</state></dialog>');
  const merged = mergeDialogs([older, newer]);
  assert.deepEqual(merged.map((d) => [d.id, d.state]), [['x', 'terminated'], ['z', 'trying'], ['y', 'confirmed']]);
  assert.deepEqual(mergeDialogs([newer, older]).map((d) => d.id), merged.map((d) => d.id), 'deterministic');
});

test('options: single dialog picks the most relevant (ringing first for pickup); dummy dialog when idle', () => {
  const p = pub('a', 1, '<dialog id="c"><state>confirmed</state></dialog><dialog id="e"><state>early</state></dialog><dialog id="t"><state>terminated</state></dialog>');
  assert.equal((composeDialogs([p], { single: false, dummy: false }).match(/<dialog /g) ?? []).length, 3);
  const one = composeDialogs([p], { single: true, dummy: false });
  assert.equal((one.match(/<dialog /g) ?? []).length, 1);
  assert.match(one, /id="e"/);
  const busy = composeDialogs([pub('b', 1, '<dialog id="c"><state>confirmed</state></dialog><dialog id="t"><state>terminated</state></dialog>')], { single: true, dummy: false });
  assert.match(busy, /id="c"/);
  assert.equal(composeDialogs([], { single: false, dummy: false }), '');
  assert.match(composeDialogs([], { single: false, dummy: true }), /^<dialog id="[^"]+" direction="recipient"><state>terminated<\/state><\/dialog>\n$/);
  assert.match(dialogInfoDocument('sip:a@b', 0, ''), /version="0" state="full" entity="sip:a@b"/);
});
