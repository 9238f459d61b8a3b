// The dialog event package (RFC 4235, BLF) end to end over UDP, shaped like what desk phones
// send: Yealink/Polycom SUBSCRIBE Event: dialog with 1800-s expiry, Kamailio pua_dialoginfo
// style PUBLISHes (one per call), a bare Yealink terminated dialog, and two publishers racing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../support/server.js';
import { SipUA, hdr, rand, tagOf, body } from '../support/sip-ua.js';
import type { SipRequest } from '../../src/codec/sip/types.js';

let srv: RunningServer;
let phone: SipUA;
let proxy: SipUA;

before(async () => {
  srv = await startServer(['--min-expires', '1', '--max-expires', '3600', '--notify-min-interval', '5']);
  phone = await new SipUA().bind();
  proxy = await new SipUA().bind();
});
after(async () => {
  phone.close();
  proxy.close();
  await srv.stop();
  srv.cleanup();
});

const DI = (entity: string, dialogs: string, version = 1): string =>
  `<?xml version="1.0"?>\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="${entity}">${dialogs}</dialog-info>`;
const dialog = (id: string, state: string, extra = ''): string =>
  `<dialog id="${id}" call-id="${id}@pbx" local-tag="lt" remote-tag="rt" direction="recipient"><state>${state}</state>${extra}</dialog>`;

function publish(aor: string, text: string, ifMatch?: string, expires = 120) {
  return proxy.request({
    method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1,
    headers: [['Event', 'dialog'], ['Expires', String(expires)], ['Content-Type', 'application/dialog-info+xml'], ...(ifMatch === undefined ? [] : [['SIP-If-Match', ifMatch] as [string, string]])],
    body: text,
  }, srv.port);
}

/** A Yealink-shaped BLF SUBSCRIBE (its headers and default 1800-s expiry). */
async function blf(aor: string, ua = phone) {
  const callId = rand();
  const res = await ua.request({
    method: 'SUBSCRIBE', uri: aor, from: `"Desk" <sip:desk@127.0.0.1>;tag=${rand()}`, to: `<${aor}>`, callId, cseq: 1,
    headers: [['Event', 'dialog'], ['Accept', 'application/dialog-info+xml'], ['Contact', `<sip:desk@${ua.hostPort}>`], ['Expires', '1800'], ['Allow-Events', 'talk,hold,conference,refer,check-sync'], ['User-Agent', 'Yealink SIP-T46S 66.86.0.15']],
  }, srv.port);
  return { callId, res };
}

const versionOf = (n: SipRequest): number => Number(/version="(\d+)"/.exec(body(n))![1]);
const notifiesFor = (callId: string) => phone.notifies(callId);

test('BLF: 200 + NOTIFY with the aggregated dialogs, version from 0 and +1 per NOTIFY, identities kept, pacing never applied', async () => {
  const ext = `sip:ext${rand()}@127.0.0.1`;
  const s = await blf(ext);
  assert.equal(s.res.status, 200);
  assert.ok(tagOf(hdr(s.res, 'To')));
  assert.equal(hdr(s.res, 'Expires'), '1800');
  const n0 = await phone.waitNotify(s.callId, 3000, 0);
  assert.equal(hdr(n0, 'Content-Type'), 'application/dialog-info+xml');
  assert.equal(hdr(n0, 'Event'), 'dialog');
  assert.equal(versionOf(n0), 0);
  assert.match(body(n0), /state="full"/);
  assert.doesNotMatch(body(n0), /<dialog /, 'idle: no dialog');

  const pickup = '<local><identity display="Bob">sip:bob@127.0.0.1</identity><target uri="sip:bob@10.0.0.9:5060"/></local><remote><identity>sip:carol@127.0.0.1</identity></remote>';
  const p1 = await publish(ext, DI(ext, dialog('call1', 'early', pickup)));
  assert.equal(p1.status, 200);
  const etag = hdr(p1, 'SIP-ETag')!;
  let n = await phone.waitFor((m) => m.kind === 'request' && hdr(m, 'Call-ID') === s.callId && /early/.test(body(m)), 3000) as SipRequest;
  assert.equal(versionOf(n), 1);
  assert.match(body(n), /<identity display="Bob">sip:bob@127\.0\.0\.1<\/identity>/, 'local identity kept (call pickup)');
  assert.match(body(n), /<target uri="sip:bob@10\.0\.0\.9:5060"\/>/);
  // --notify-min-interval 5 holds presence, never BLF: early → confirmed → terminated within a second.
  const p2 = await publish(ext, DI(ext, dialog('call1', 'confirmed', pickup), 2), etag);
  n = await phone.waitFor((m) => m.kind === 'request' && hdr(m, 'Call-ID') === s.callId && /confirmed/.test(body(m)), 3000) as SipRequest;
  await publish(ext, DI(ext, dialog('call1', 'terminated'), 3), hdr(p2, 'SIP-ETag')!);
  n = await phone.waitFor((m) => m.kind === 'request' && hdr(m, 'Call-ID') === s.callId && /terminated<\/state>/.test(body(m)), 3000) as SipRequest;
  // Reaching here within the waits (3 s each) means none was held for the 5-s presence interval.
  const versions = notifiesFor(s.callId).map(versionOf);
  for (let i = 1; i < versions.length; i++) assert.equal(versions[i], versions[i - 1]! + 1, `versions grow by one: ${versions.join(',')}`);
});

test('BLF ordering: an early published after terminated (two sources, within ms) never shows; aggregation keeps one entry per dialog', async () => {
  const ext = `sip:race${rand()}@127.0.0.1`;
  const s = await blf(ext);
  await phone.waitNotify(s.callId, 3000, 0);
  // Source A (the callee's phone) says terminated; source B (a proxy) says early for the same
  // dialog right after, as separate initial PUBLISHes: Kamailio #3192.
  const a = publish(ext, DI(ext, dialog('racey', 'terminated')));
  await new Promise((r) => setTimeout(r, 2));
  const b = publish(ext, DI(ext, dialog('racey', 'early')));
  assert.equal((await a).status, 200);
  assert.equal((await b).status, 200);
  // Then the terminated publication goes away: the early must not come back to life.
  const gone = await publish(ext, '', hdr(await a, 'SIP-ETag')!, 0);
  assert.equal(gone.status, 200);
  await new Promise((r) => setTimeout(r, 400));
  const last = notifiesFor(s.callId).at(-1)!;
  assert.doesNotMatch(body(last), /<state>early<\/state>/, 'the stale early was dropped');
  for (const n of notifiesFor(s.callId)) assert.ok((body(n).match(/id="racey"/g) ?? []).length <= 1, 'one entry per dialog id');
});

test('a bare Yealink terminated dialog is valid input; hostile dialog-info bodies get 400/413 at once', async () => {
  const ext = `sip:y${rand()}@127.0.0.1`;
  assert.equal((await publish(ext, DI(ext, '<dialog id="x1"><state>terminated</state></dialog>'))).status, 200);
  const bomb = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="${ext}">&b;</dialog-info>`;
  const deep = `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="${ext}"><dialog id="d"><state>early</state>${'<x>'.repeat(5000)}${'</x>'.repeat(5000)}</dialog></dialog-info>`;
  const many = DI(ext, Array.from({ length: 300 }, (_, i) => dialog(`m${i}`, 'early')).join(''));
  const big = DI(ext, dialog('b', 'early', `<note>${'x'.repeat(70_000)}</note>`));
  for (const [what, text, status] of [['entity expansion', bomb, 400], ['deep nesting', deep, 400], ['too many dialogs', many, 400], ['no state', DI(ext, '<dialog id="n"/>'), 400], ['bad state', DI(ext, dialog('q', 'ringing')), 400]] as const) {
    const r = await publish(ext, text);
    assert.equal(r.status, status, what);
  }
  assert.ok([413, 513].includes((await publish(ext, big).catch(() => ({ status: 513 }))).status), 'oversized body refused');
  const wrongType = await proxy.request({ method: 'PUBLISH', uri: ext, from: `<${ext}>;tag=1`, to: `<${ext}>`, callId: rand(), cseq: 1, headers: [['Event', 'dialog'], ['Content-Type', 'application/pidf+xml']], body: '<x/>' }, srv.port);
  assert.equal(wrongType.status, 415);
  assert.equal(hdr(wrongType, 'Accept'), 'application/dialog-info+xml');
});

test('a watcher watching 50 extensions gets one NOTIFY per extension and every change', async () => {
  const console1 = await new SipUA().bind();
  try {
    const exts = Array.from({ length: 50 }, (_, i) => `sip:e${i}x${rand(3)}@127.0.0.1`);
    const subs = await Promise.all(exts.map((e) => blf(e, console1)));
    for (const s of subs) assert.equal(s.res.status, 200);
    for (const s of subs) await console1.waitNotify(s.callId, 5000, 0);
    await Promise.all(exts.map((e, i) => publish(e, DI(e, dialog(`c${i}`, 'confirmed')))));
    for (let i = 0; i < subs.length; i++) {
      await console1.waitFor((m) => m.kind === 'request' && hdr(m, 'Call-ID') === subs[i]!.callId && /confirmed/.test(body(m)), 5000, 0);
    }
  } finally {
    console1.close();
  }
});
