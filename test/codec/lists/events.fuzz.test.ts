// Property tests of the event-package codecs (fixed seed in npm test, FC_SEED to vary): the
// dialog-info and resource-lists readers never throw on any input — mutated valid documents,
// random markup, random bytes — and what they accept is what was written; multipart bodies
// read back part for part; RLMI with arbitrary URIs and names stays well-formed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDialogInfo } from '../../../src/codec/dialog-info/parse.js';
import { composeDialogs, dialogInfoDocument } from '../../../src/codec/dialog-info/compose.js';
import { DIALOG_STATES } from '../../../src/codec/dialog-info/types.js';
import { parseResourceLists } from '../../../src/codec/resource-lists/parse.js';
import { readMultipart, renderMultipart } from '../../../src/codec/multipart.js';
import { renderResource, renderRlmi } from '../../../src/codec/rlmi/render.js';
import { safeReadXml } from '../../../src/codec/xml/safe-read.js';
import { escapeAttr, escapeText } from '../../../src/codec/pidf/xml-text.js';

const NS = 'urn:ietf:params:xml:ns:dialog-info';
const idArb = fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/);
const textArb = fc.string({ maxLength: 20 });
const dialogArb = fc.record({ id: idArb, state: fc.constantFrom(...DIALOG_STATES), who: textArb, target: textArb });
const docArb = fc.uniqueArray(dialogArb, { selector: (d) => d.id, maxLength: 6 });

function write(dialogs: { id: string; state: string; who: string; target: string }[]): string {
  return `<?xml version="1.0"?><dialog-info xmlns="${NS}" version="1" state="full" entity="sip:e@x">${dialogs.map((d) =>
    `<dialog id="${escapeAttr(d.id)}"><state>${d.state}</state><local><identity>${escapeText(d.who)}</identity><target uri="${escapeAttr(d.target)}"/></local></dialog>`).join('')}</dialog-info>`;
}

/** Byte-level damage: cut, duplicate or flip a slice. */
const mutate = (s: string) => fc.tuple(fc.nat(s.length), fc.nat(40), fc.constantFrom('cut', 'dup', 'flip', 'insert'), fc.string({ maxLength: 8 })).map(([at, len, how, ins]) => {
  if (how === 'cut') return s.slice(0, at) + s.slice(at + len);
  if (how === 'dup') return s.slice(0, at + len) + s.slice(at, at + len) + s.slice(at + len);
  if (how === 'insert') return s.slice(0, at) + ins + s.slice(at);
  return s.slice(0, at) + s.slice(at, at + len).split('').reverse().join('') + s.slice(at + len);
});

test('dialog-info: valid documents parse to what was written and compose to a well-formed document', () => {
  fc.assert(fc.property(docArb, (dialogs) => {
    const r = parseDialogInfo(Buffer.from(write(dialogs)));
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.deepEqual(r.doc.dialogs.map((d) => [d.id, d.state]), dialogs.map((d) => [d.id, d.state]));
    const out = dialogInfoDocument('sip:e@x', 1, composeDialogs([{ etag: 'e', modified: 1, doc: r.doc }], { single: false, dummy: true }));
    const again = parseDialogInfo(Buffer.from(out));
    assert.ok(again.ok, again.ok ? '' : again.reason);
    assert.equal(again.doc.dialogs.length, Math.max(1, dialogs.length));
  }), { numRuns: 300 });
});

test('dialog-info and resource-lists readers never throw on damaged documents or random input', () => {
  let accepted = 0;
  let refused = 0;
  const anyInput = fc.oneof(
    docArb.chain((d) => mutate(write(d))),
    fc.string({ maxLength: 200 }).map((s) => `<dialog-info xmlns="${NS}" entity="sip:a@b">${s}</dialog-info>`),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
  );
  fc.assert(fc.property(anyInput, (text) => {
    const r = parseDialogInfo(Buffer.from(text, 'latin1'));
    if (r.ok) accepted++;
    else refused++;
    const l = parseResourceLists(Buffer.from(text.replaceAll('dialog-info', 'resource-lists')), { maxBytes: 1 << 16, maxDepth: 16, maxEntries: 50 });
    assert.ok(typeof l.ok === 'boolean');
  }), { numRuns: 1500 });
  assert.ok(accepted >= 50 && refused >= 50, `both outcomes exercised (${accepted}/${refused})`);
});

test('resource-lists: random nested lists flatten to their unique entries in document order', () => {
  const entry = fc.stringMatching(/^[a-z]{1,6}$/).map((u) => `sip:${u}@x`);
  const tree: fc.Arbitrary<string[][]> = fc.array(fc.array(entry, { maxLength: 5 }), { maxLength: 5 });
  fc.assert(fc.property(tree, (lists) => {
    const xml = `<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">${lists.map((l) => `<list>${l.map((u) => `<entry uri="${u}"/>`).join('')}<list/></list>`).join('')}</resource-lists>`;
    const r = parseResourceLists(Buffer.from(xml), { maxBytes: 1 << 16, maxDepth: 16, maxEntries: 1000 });
    const want = [...new Set(lists.flat())];
    if (want.length === 0) assert.ok(!r.ok);
    else {
      assert.ok(r.ok);
      assert.deepEqual(r.entries.map((e) => e.uri), want);
    }
  }), { numRuns: 300 });
});

test('multipart bodies read back part for part; RLMI with any URI and name is well-formed', () => {
  const part = fc.record({ cid: idArb, body: fc.uint8Array({ maxLength: 200 }) });
  fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), idArb, (parts, b) => {
    const boundary = `cs${b.replace(/[^A-Za-z0-9]/g, '')}x`;
    // A part body that contains the delimiter cannot be framed: the renderer's callers never make one.
    fc.pre(parts.every((p) => !Buffer.from(p.body).includes(`--${boundary}`)));
    const body = renderMultipart(boundary, parts.map((p) => ({ headers: `Content-Id: ${p.cid}\r\n`, body: Buffer.from(p.body) })));
    const back = readMultipart(body, boundary);
    assert.ok(back !== null);
    assert.deepEqual(back.map((p) => [p.headers.get('content-id'), Buffer.from(p.body).toString('hex')]), parts.map((p) => [p.cid, Buffer.from(p.body).toString('hex')]));
  }), { numRuns: 300 });
  const xmlChar = fc.string({ maxLength: 30 }).map((s) => s.replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd]/g, ''));
  fc.assert(fc.property(fc.array(fc.record({ uri: xmlChar, name: xmlChar }), { maxLength: 8 }), (rs) => {
    const text = renderRlmi({ uri: 'sip:l@x', version: 0, fullState: true }, rs.map((r, i) => renderResource({ uri: r.uri, name: r.name, instance: { id: `r${i}`, state: 'active', cid: `r${i}@h` } })).join(''));
    const r = safeReadXml(Buffer.from(text), { maxBytes: 1 << 20, maxDepth: 8 });
    assert.ok(r.ok, r.ok ? '' : r.reason);
  }), { numRuns: 300 });
});
