// Resource list subscriptions (RFC 4662) end to end over UDP: a list from the lists file and
// liblinphone's list in the request (its real deflated SUBSCRIBE, byte for byte), full state
// first, partial NOTIFYs after, 421 without eventlist, members' authorization by the owner's
// watcher rules, a large list split, hostile list bodies, and survival of a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { startServer, type RunningServer } from '../support/server.js';
import { SipUA, hdr, rand, tagOf, PIDF } from '../support/sip-ua.js';
import { readFixture } from '../support/fixtures.js';
import { boundaryOf, readMultipart } from '../../src/codec/multipart.js';
import type { SipMessage, SipRequest } from '../../src/codec/sip/types.js';

let srv: RunningServer;
let ua: SipUA;
let pub: SipUA;
let data: string;
const R = rand(3);
const member = (i: number): string => `sip:m${i}${R}@127.0.0.1`;

before(async () => {
  data = mkdtempSync(join(tmpdir(), 'comsipl-lists-'));
  writeFileSync(join(data, 'lists.json'), JSON.stringify({
    lists: {
      [`sip:friends${R}@127.0.0.1`]: { owner: 'sip:alice@127.0.0.1', entries: [member(1), { uri: member(2), name: 'Two' }, `sip:team${R}@127.0.0.1`, 'sip:blocked@127.0.0.1', 'sip:shy@127.0.0.1'] },
      [`sip:keys${R}@127.0.0.1`]: { entries: [`sip:ext1${R}@127.0.0.1`, `sip:ext2${R}@127.0.0.1`] },
      [`sip:team${R}@127.0.0.1`]: { entries: [member(3)] },
      [`sip:big${R}@127.0.0.1`]: { entries: Array.from({ length: 2000 }, (_, i) => `sip:b${i}x${R}@127.0.0.1`) },
    },
  }));
  writeFileSync(join(data, 'rules.json'), JSON.stringify({ users: { 'sip:blocked@127.0.0.1': { default: 'block' }, 'sip:shy@127.0.0.1': { default: 'confirm' } } }));
  srv = await startServer(['--min-expires', '1', '--list-batch-ms', '150', '--rls-users', 'rls,rls-eve'], { data });
  ua = await new SipUA().bind();
  pub = await new SipUA().bind();
});
after(async () => {
  ua.close();
  pub.close();
  await srv.stop();
});

interface ListDialog { callId: string; fromTag: string; toTag: string; uri: string; status: number; res: SipMessage }

async function subscribeList(uri: string, extra: [string, string][] = [], bodyText?: string, from = 'sip:alice@127.0.0.1'): Promise<ListDialog> {
  const callId = rand();
  const fromTag = rand();
  const res = await ua.request({
    method: 'SUBSCRIBE', uri, from: `<${from}>;tag=${fromTag}`, to: `<${uri}>`, callId, cseq: 1,
    headers: [...([['Event', 'presence'], ['Contact', `<sip:alice@${ua.hostPort}>`], ['Expires', '600'], ['Accept', 'multipart/related, application/rlmi+xml, application/pidf+xml']] as [string, string][]).filter(([n]) => !extra.some(([e]) => e === n)), ...extra],
    ...(bodyText === undefined ? {} : { body: bodyText }),
  }, srv.port, 5000);
  return { callId, fromTag, toTag: tagOf(hdr(res, 'To')) ?? '', uri, status: res.status, res };
}

interface Parsed { version: number; fullState: boolean; resources: { uri: string; state: string; cid?: string; reason?: string }[]; parts: Map<string, string> }

function parseListNotify(n: SipMessage): Parsed {
  const ct = hdr(n, 'Content-Type')!;
  assert.match(ct, /^multipart\/related;type="application\/rlmi\+xml";start="<[^>]+>";boundary=[^";]+$/, 'unquoted boundary');
  assert.equal(hdr(n, 'Require'), 'eventlist');
  const parts = readMultipart(Buffer.from(n.body), boundaryOf(ct)!)!;
  assert.ok(parts !== null && parts.length >= 1, 'well-formed multipart');
  assert.equal(parts[0]!.headers.get('content-type'), 'application/rlmi+xml');
  const rlmi = parts[0]!.body.toString();
  const version = Number(/<list [^>]*version="(\d+)"/.exec(rlmi)![1]);
  const fullState = /fullState="true"/.test(rlmi);
  const resources = [...rlmi.matchAll(/<resource uri="([^"]+)">(?:<name>[^<]*<\/name>)?<instance id="[^"]+" state="(\w+)"(?: reason="(\w+)")?(?: cid="([^"]+)")?\/><\/resource>/g)]
    .map((m) => ({ uri: m[1]!, state: m[2]!, ...(m[3] === undefined ? {} : { reason: m[3] }), ...(m[4] === undefined ? {} : { cid: m[4] }) }));
  const map = new Map<string, string>();
  for (const p of parts.slice(1)) map.set(p.headers.get('content-id')!, p.body.toString());
  for (const r of resources) if (r.cid !== undefined) assert.ok(map.has(r.cid), `part for ${r.cid}`);
  return { version, fullState, resources, parts: map };
}

function publish(aor: string, note: string) {
  return pub.request({
    method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1,
    headers: [['Event', 'presence'], ['Expires', '600'], ['Content-Type', 'application/pidf+xml']], body: PIDF(aor, 'open', 't1', note),
  }, srv.port);
}

const listNotifies = (callId: string): SipRequest[] => ua.notifies(callId);

test('a file list: 421 without eventlist; 200 + full state (version 0) with nested lists flattened; partial NOTIFYs after; members authorized as the owner', async () => {
  const uri = `sip:friends${R}@127.0.0.1`;
  const no = await subscribeList(uri);
  assert.equal(no.status, 421);
  assert.equal(hdr(no.res, 'Require'), 'eventlist');
  await publish(member(1), 'first-state');
  const d = await subscribeList(uri, [['Supported', 'eventlist']]);
  assert.equal(d.status, 200);
  assert.equal(hdr(d.res, 'Require'), 'eventlist');
  const first = await ua.waitNotify(d.callId, 5000, 0);
  assert.equal(hdr(first, 'Event'), 'presence', 'a file list keeps the RFC token');
  const n0 = parseListNotify(first);
  assert.equal(n0.version, 0);
  assert.ok(n0.fullState);
  assert.deepEqual(n0.resources.map((r) => r.uri), [member(1), member(2), member(3), 'sip:blocked@127.0.0.1', 'sip:shy@127.0.0.1']);
  assert.equal(n0.resources[3]!.state, 'terminated');
  assert.equal(n0.resources[3]!.reason, 'rejected');
  assert.equal(n0.resources[4]!.state, 'pending', 'the owner awaits approval: pending, no state');
  assert.equal(n0.resources[4]!.cid, undefined);
  assert.match(n0.parts.get(n0.resources[0]!.cid!)!, /first-state/);
  assert.match(n0.parts.get(n0.resources[1]!.cid!)!, /<basic>closed<\/basic>/, 'nothing published: closed');

  const before = ua.received.length;
  await publish(member(2), 'second-changed');
  const n1 = parseListNotify(await ua.waitFor((m) => m.kind === 'request' && hdr(m, 'Call-ID') === d.callId, 5000, before));
  assert.equal(n1.version, 1);
  assert.equal(n1.fullState, false);
  assert.deepEqual(n1.resources.map((r) => r.uri), [member(2)], 'only what changed');
  assert.match(n1.parts.get(n1.resources[0]!.cid!)!, /second-changed/);

  // Only the owner may subscribe to an owned list.
  const other = await subscribeList(uri, [['Supported', 'eventlist']], undefined, 'sip:mallory@127.0.0.1');
  assert.equal(other.status, 403);
});

test('liblinphone: its deflated recipient-list SUBSCRIBE (real bytes) → 200 + full state of its five buddies; its un-SUBSCRIBE without body ends it', async () => {
  // The captured datagram, re-addressed to this server's port only in transport (bytes unchanged).
  const sub = readFixture('clients', 'liblinphone-rls', '01-SUBSCRIBE-list-deflate.sip');
  const unsub = readFixture('clients', 'liblinphone-rls', '02-SUBSCRIBE-list-unsubscribe.sip');
  const from = ua.received.length;
  ua.sendRaw(sub, srv.port);
  const res = await ua.waitFor((m) => m.kind === 'response' && hdr(m, 'Call-ID') === 'PIzVZqajiH' && hdr(m, 'CSeq') === '20 SUBSCRIBE', 5000, from);
  assert.equal((res as { status: number }).status, 200);
  // NOTIFYs go to the Contact in the capture (127.0.0.1:25190): not listening here. Instead
  // check the dialog exists: the in-dialog un-SUBSCRIBE (captured with another To-tag) gets 481,
  // and the same with our tag gets 200.
  const text = unsub.toString('latin1').replace(/;tag=ww7zmtvs/, `;tag=${tagOf(hdr(res, 'To'))}`);
  const from2 = ua.received.length;
  ua.sendRaw(Buffer.from(text, 'latin1'), srv.port);
  const r2 = await ua.waitFor((m) => m.kind === 'response' && hdr(m, 'CSeq') === '21 SUBSCRIBE', 5000, from2);
  assert.equal((r2 as { status: number }).status, 200);
});

test('a body list at sip:rls@: full state of every entry; hostile list bodies refused with the right status', async () => {
  const rl = (entries: string[], extra = '') => `<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list>${entries.map((e) => `<entry uri="${e}"/>`).join('')}${extra}</list></resource-lists>`;
  const headers = (enc?: string): [string, string][] => [['Supported', 'eventlist'], ['Require', 'recipient-list-subscribe'], ['Content-Disposition', 'recipient-list'], ['Content-Type', 'application/resource-lists+xml'], ...(enc === undefined ? [] : [['Content-Encoding', enc] as [string, string]])];
  const d = await subscribeList('sip:rls@127.0.0.1', headers(), rl([member(5), member(6)]));
  assert.equal(d.status, 200);
  const first = await ua.waitNotify(d.callId, 5000, 0);
  // liblinphone 5.1 takes list NOTIFYs only as `Event: Presence` (--list-event-quirk, on by default).
  assert.equal(hdr(first, 'Event'), 'Presence');
  const n0 = parseListNotify(first);
  assert.deepEqual(n0.resources.map((r) => r.uri), [member(5), member(6)]);

  const send = async (text: string | Buffer, enc?: string) => {
    const callId = rand();
    const msg = ua.build({ method: 'SUBSCRIBE', uri: 'sip:rls@127.0.0.1', from: `<sip:alice@127.0.0.1>;tag=${rand()}`, to: '<sip:rls@127.0.0.1>', callId, cseq: 1,
      headers: [['Event', 'presence'], ['Contact', `<sip:alice@${ua.hostPort}>`], ...headers(enc)], body: '' });
    const b = typeof text === 'string' ? Buffer.from(text) : text;
    const raw = Buffer.concat([Buffer.from(msg.replace('Content-Length: 0', `Content-Length: ${b.length}`)), b]);
    const at = ua.received.length;
    ua.sendRaw(raw, srv.port);
    const r = await ua.waitFor((m) => m.kind === 'response' && hdr(m, 'Call-ID') === callId, 10_000, at) as { status: number };
    return { status: r.status };
  };
  const bomb = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list><entry uri="sip:x@127.0.0.1">&b;</entry></list></resource-lists>`;
  const deep = `<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">${'<list>'.repeat(3000)}<entry uri="sip:x@127.0.0.1"/>${'</list>'.repeat(3000)}</resource-lists>`;
  const huge = deflateSync(Buffer.from(rl(Array.from({ length: 6000 }, (_, i) => `sip:h${i}@127.0.0.1`))));
  const zipBomb = deflateSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
  const cases: [string, string | Buffer, number, string?][] = [
    ['entity expansion', bomb, 400], ['deep nesting', deep, 400], ['huge list (deflated)', huge, 413, 'deflate'],
    ['deflate bomb', zipBomb, 413, 'deflate'], ['contains itself', rl(['sip:rls@127.0.0.1']), 400],
    ['contains a file list', rl([`sip:team${R}@127.0.0.1`]), 400], ['unknown encoding', rl([member(1)]), 415, 'br'],
  ];
  // How fast they are refused is measured in bench/packages/hostile.bench.ts (no timing asserted here).
  for (const [what, text, status, enc] of cases) {
    const r = await send(text, enc);
    assert.equal(r.status, status, what);
  }
  // The server still serves after all of them.
  const again = await subscribeList('sip:rls@127.0.0.1', headers(), rl([member(7)]));
  assert.equal(again.status, 200);
});

test('a 2,000-member list: full state split into NOTIFYs under the cap, each with complete parts, first fullState=true, versions consecutive', async () => {
  const d = await subscribeList(`sip:big${R}@127.0.0.1`, [['Supported', 'eventlist']], undefined, 'sip:bigwatcher@127.0.0.1');
  assert.equal(d.status, 200);
  const seen = new Set<string>();
  const deadline = Date.now() + 20_000;
  while (seen.size < 2000 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    seen.clear();
    for (const n of listNotifies(d.callId)) for (const r of parseListNotify(n).resources) seen.add(r.uri);
  }
  const all = listNotifies(d.callId).map(parseListNotify);
  assert.equal(seen.size, 2000, 'every member reported');
  assert.ok(all.length > 1, 'split');
  assert.ok(all[0]!.fullState && all.slice(1).every((p) => !p.fullState));
  assert.deepEqual(all.map((p) => p.version), all.map((_, i) => i));
  for (const n of listNotifies(d.callId)) assert.ok(n.body.length <= 60_000, 'under --list-max-body');
});

test('list subscriptions, their versions and CSeqs survive a restart', async () => {
  const uri = `sip:team${R}@127.0.0.1`;
  const d = await subscribeList(uri, [['Supported', 'eventlist']]);
  assert.equal(d.status, 200);
  await ua.waitNotify(d.callId, 5000, 0);
  const cseqBefore = Math.max(...listNotifies(d.callId).map((n) => Number(hdr(n, 'CSeq')!.split(' ')[0])));
  await srv.kill();
  // Counted before the start: the restored list's NOTIFY may leave as soon as UDP is bound,
  // before the banner that ends startServer() (the start goes on with the other listeners).
  const at = ua.received.length;
  srv = await startServer(['--min-expires', '1', '--list-batch-ms', '150', '--rls-users', 'rls,rls-eve'], { data });
  // After a restart the list owes full state again (its member states were re-read).
  const n = await ua.waitFor((m) => m.kind === 'request' && hdr(m, 'Call-ID') === d.callId, 8000, at) as SipRequest;
  const p = parseListNotify(n);
  assert.ok(p.fullState);
  const cseq = Number(hdr(n, 'CSeq')!.split(' ')[0]);
  assert.ok(cseq > cseqBefore, `CSeq grows across the restart (${cseqBefore} → ${cseq})`);
  assert.ok(p.version > 0, 'version grows too');
  // The dialog is known: an in-dialog refresh is 200, not 481.
  const r = await ua.request({ method: 'SUBSCRIBE', uri, from: `<sip:alice@127.0.0.1>;tag=${d.fromTag}`, to: `<${uri}>;tag=${d.toTag}`, callId: d.callId, cseq: 2,
    headers: [['Event', 'presence'], ['Contact', `<sip:alice@${ua.hostPort}>`], ['Expires', '600'], ['Supported', 'eventlist']] }, srv.port, 5000);
  assert.equal(r.status, 200);
});

test('a BLF list (Yealink "BLF List", Event: dialog): dialog-info parts, the call shows as it rings', async () => {
  const uri = `sip:keys${R}@127.0.0.1`;
  const callId = rand();
  const res = await ua.request({
    method: 'SUBSCRIBE', uri, from: `<sip:desk@127.0.0.1>;tag=${rand()}`, to: `<${uri}>`, callId, cseq: 1,
    headers: [['Event', 'dialog'], ['Supported', 'eventlist'], ['Accept', 'application/dialog-info+xml, multipart/related, application/rlmi+xml'], ['Contact', `<sip:desk@${ua.hostPort}>`], ['Expires', '1800']],
  }, srv.port, 5000);
  assert.equal(res.status, 200);
  const first = parseListNotify(await ua.waitNotify(callId, 5000, 0));
  assert.ok(first.fullState);
  assert.equal(first.resources.length, 2);
  assert.match(first.parts.get(first.resources[0]!.cid!)!, /<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0" state="full" entity="sip:ext1/);
  const before = ua.received.length;
  const ext = `sip:ext2${R}@127.0.0.1`;
  const p = await pub.request({
    method: 'PUBLISH', uri: ext, from: `<${ext}>;tag=${rand()}`, to: `<${ext}>`, callId: rand(), cseq: 1,
    headers: [['Event', 'dialog'], ['Expires', '600'], ['Content-Type', 'application/dialog-info+xml']],
    body: `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="${ext}"><dialog id="ring"><state>early</state></dialog></dialog-info>`,
  }, srv.port);
  assert.equal(p.status, 200);
  const n = parseListNotify(await ua.waitFor((m) => m.kind === 'request' && hdr(m, 'Call-ID') === callId, 5000, before));
  assert.deepEqual(n.resources.map((r) => r.uri), [ext]);
  assert.match(n.parts.get(n.resources[0]!.cid!)!, /version="1".*<dialog id="ring"><state>early<\/state><\/dialog>/s);
});

test('a list subscription expires like any other: final NOTIFY terminated;reason=timeout, then 481', async () => {
  const uri = `sip:team${R}@127.0.0.1`;
  const d = await subscribeList(uri, [['Supported', 'eventlist'], ['Expires', '2']]);
  assert.equal(d.status, 200);
  const end = await ua.waitFor((m) => m.kind === 'request' && hdr(m, 'Call-ID') === d.callId && /^terminated/.test(hdr(m, 'Subscription-State') ?? ''), 8000, 0);
  assert.equal(hdr(end, 'Subscription-State'), 'terminated;reason=timeout');
  const r = await ua.request({ method: 'SUBSCRIBE', uri, from: `<sip:alice@127.0.0.1>;tag=${d.fromTag}`, to: `<${uri}>;tag=${d.toTag}`, callId: d.callId, cseq: 5,
    headers: [['Event', 'presence'], ['Contact', `<sip:alice@${ua.hostPort}>`], ['Expires', '600'], ['Supported', 'eventlist']] }, srv.port, 5000);
  assert.equal(r.status, 481);
});

test('the watcher rules change (file rewritten): a pending member of a list becomes active in a partial NOTIFY', async () => {
  const uri = `sip:friends${R}@127.0.0.1`;
  const d = await subscribeList(uri, [['Supported', 'eventlist']]);
  assert.equal(d.status, 200);
  const n0 = parseListNotify(await ua.waitNotify(d.callId, 5000, 0));
  assert.equal(n0.resources.find((r) => r.uri === 'sip:shy@127.0.0.1')!.state, 'pending');
  const before = ua.received.length;
  writeFileSync(join(data, 'rules.json'), JSON.stringify({ users: { 'sip:blocked@127.0.0.1': { default: 'block' }, 'sip:shy@127.0.0.1': { default: 'allow' } } }));
  const n = await ua.waitFor((m) => m.kind === 'request' && hdr(m, 'Call-ID') === d.callId && /sip:shy@127\.0\.0\.1/.test(Buffer.from(m.body).toString()), 10_000, before);
  const p = parseListNotify(n);
  assert.equal(p.fullState, false);
  const shy = p.resources.find((r) => r.uri === 'sip:shy@127.0.0.1')!;
  assert.equal(shy.state, 'active');
  assert.match(p.parts.get(shy.cid!)!, /<basic>closed<\/basic>/);
});

test('a fetch of a list (Expires 0, RFC 6665 §4.4.3): 200, then one NOTIFY with the full state that ends it', async () => {
  const uri = `sip:team${R}@127.0.0.1`;
  const d = await subscribeList(uri, [['Supported', 'eventlist'], ['Expires', '0']]);
  assert.equal(d.status, 200);
  const n = await ua.waitNotify(d.callId, 5000, 0);
  assert.equal(hdr(n, 'Subscription-State'), 'terminated;reason=timeout');
  const p = parseListNotify(n);
  assert.ok(p.fullState);
  assert.deepEqual(p.resources.map((r) => r.uri), [member(3)]);
});
