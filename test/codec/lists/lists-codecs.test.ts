// The resource-list codecs: resource-lists bodies (RFC 4826, RFC 5367), RLMI (RFC 4662 §5) and
// multipart/related in the one form liblinphone's belle-sip parses (boundary bare and last, body
// starting with the dash-boundary, close delimiter followed by CRLF only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { countEntryTags, parseResourceLists } from '../../../src/codec/resource-lists/parse.js';
import { renderResource, renderRlmi } from '../../../src/codec/rlmi/render.js';
import { boundaryOf, multipartRelatedType, readMultipart, renderMultipart } from '../../../src/codec/multipart.js';
import { safeReadXml } from '../../../src/codec/xml/safe-read.js';
import { readFixture } from '../../support/fixtures.js';

const O = { maxBytes: 1 << 20, maxDepth: 16, maxEntries: 100 };
const RL = (inner: string) => Buffer.from(`<?xml version="1.0"?><resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">${inner}</resource-lists>`);

test("liblinphone's deflated list (fixture bytes) → its five buddies", () => {
  const raw = readFixture('clients', 'liblinphone-rls', '01-SUBSCRIBE-list-deflate.sip');
  const body = raw.subarray(raw.indexOf('\r\n\r\n') + 4);
  const r = parseResourceLists(inflateSync(body), O);
  assert.ok(r.ok);
  assert.deepEqual(r.entries.map((e) => e.uri), [0, 1, 2, 3, 4].map((i) => `sip:buddy${i}@127.0.0.1`));
});

test('nested lists flattened in order, duplicates dropped, display names kept; references and non-SIP entries refused', () => {
  const r = parseResourceLists(RL('<list name="a"><entry uri="sip:b@x"><display-name>Bob</display-name></entry><list><entry uri="sip:c@x"/><entry uri="sip:b@x"/></list></list><list><entry uri="sips:d@x"/></list>'), O);
  assert.ok(r.ok);
  assert.deepEqual(r.entries, [{ uri: 'sip:b@x', name: 'Bob' }, { uri: 'sip:c@x' }, { uri: 'sips:d@x' }]);
  for (const [inner, why] of [
    ['<list><entry-ref ref="resource-lists/users/x/index/~~/list/entry"/></list>', /references/],
    ['<list><external anchor="http://x/list"/></list>', /references/],
    ['<list><entry uri="http://evil/"/></list>', /not a SIP URI/],
    ['<list/>', /no entries/],
  ] as const) {
    const x = parseResourceLists(RL(inner), O);
    assert.ok(!x.ok);
    assert.match(x.reason, why);
    assert.equal(x.status, 400);
  }
});

test('hostile lists: a list containing itself 400, too many entries 413 (counted before parsing), DTD 400, deep 400', () => {
  const self = parseResourceLists(RL('<list><entry uri="sip:rls@x"/></list>'), { ...O, isLoop: (u) => u === 'sip:rls@x' });
  assert.ok(!self.ok && self.status === 400 && /itself/.test(self.reason));
  const many = RL(`<list>${Array.from({ length: 101 }, (_, i) => `<entry uri="sip:u${i}@x"/>`).join('')}</list>`);
  const m = parseResourceLists(many, O);
  assert.ok(!m.ok && m.status === 413);
  const huge = RL(`<list>${Array.from({ length: 500 }, (_, i) => `<rl:entry xmlns:rl="urn:ietf:params:xml:ns:resource-lists" uri="sip:u${i}@x"/>`).join('')}</list>`);
  assert.equal(countEntryTags(huge), 500);
  const h = parseResourceLists(huge, O);
  assert.ok(!h.ok && h.status === 413);
  const dtd = parseResourceLists(Buffer.from('<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">&e;</resource-lists>'), O);
  assert.ok(!dtd.ok && dtd.status === 400);
  const deep = parseResourceLists(RL(`${'<list>'.repeat(40)}<entry uri="sip:a@x"/>${'</list>'.repeat(40)}`), O);
  assert.ok(!deep.ok && /nested deeper/.test(deep.reason));
});

test('RLMI: well-formed, resources with instance state/reason/cid, names escaped', () => {
  const resources = renderResource({ uri: 'sip:a@x', name: 'A & B', instance: { id: 'r0', state: 'active', cid: 'r0.t@h' } })
    + renderResource({ uri: 'sip:b@x', instance: { id: 'r1', state: 'terminated', reason: 'rejected' } })
    + renderResource({ uri: 'sip:c@x', instance: { id: 'r2', state: 'pending' } });
  const text = renderRlmi({ uri: 'sip:list@x', version: 3, fullState: false }, resources);
  const r = safeReadXml(Buffer.from(text), { maxBytes: 1e6, maxDepth: 8 });
  assert.ok(r.ok);
  assert.equal(r.root.ns, 'urn:ietf:params:xml:ns:rlmi');
  assert.match(text, /<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:list@x" version="3" fullState="false">/);
  assert.match(text, /<name>A &amp; B<\/name><instance id="r0" state="active" cid="r0\.t@h"\/>/);
  assert.match(text, /state="terminated" reason="rejected"\/>/);
});

test('multipart/related: the form belle-sip parses; the reader gets back the parts', () => {
  const ct = multipartRelatedType('csTAGv0', 'application/rlmi+xml', 'list.t@h');
  assert.equal(ct, 'multipart/related;type="application/rlmi+xml";start="<list.t@h>";boundary=csTAGv0');
  assert.ok(ct.endsWith(';boundary=csTAGv0'), 'belle-sip takes everything after ";boundary=" as the boundary');
  assert.throws(() => multipartRelatedType('has space', 'a/b', 'c'));
  assert.throws(() => multipartRelatedType('a=b', 'a/b', 'c'));
  const body = renderMultipart('csTAGv0', [
    { headers: 'Content-Id: list.t@h\r\nContent-Type: application/rlmi+xml\r\n', body: Buffer.from('<list/>') },
    { headers: 'Content-Id: r0.t@h\r\nContent-Type: application/pidf+xml\r\n', body: Buffer.from('<presence/>\n') },
  ]);
  const text = body.toString();
  assert.ok(text.startsWith('--csTAGv0\r\n'));
  assert.ok(text.endsWith('\r\n--csTAGv0--\r\n'));
  assert.equal(boundaryOf(ct), 'csTAGv0');
  assert.equal(boundaryOf('multipart/related; boundary="q b"'), 'q b');
  const parts = readMultipart(body, 'csTAGv0')!;
  assert.equal(parts.length, 2);
  assert.equal(parts[1]!.headers.get('content-id'), 'r0.t@h');
  assert.equal(parts[1]!.body.toString(), '<presence/>\n');
  assert.equal(readMultipart(Buffer.from('--x\r\nno end'), 'x'), null);
});
