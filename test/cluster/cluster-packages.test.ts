// Scale-out of the other subscription kinds, three nodes and one private Redis on loopback, the
// test playing the balancer: resource-list subscriptions (RFC 4662) and busy-lamp dialogs
// (RFC 4235). A phone's dialog PUBLISH on one node reaches BLF watchers on another (and never
// presence watchers); when the node notifying a list or a BLF dialog is SIGKILLed, a survivor
// takes it over: the watcher's refresh there gets 200, NOTIFYs go on with higher CSeqs, and
// later changes reach it from the survivor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SipUA, hdr, body, rand, tagOf } from '../support/sip-ua.js';
import type { SipMessage, SipResponse } from '../../src/codec/sip/types.js';
import { testCluster } from '../support/redis.js';
import { PrivateRedis, cseqOf, publish, startNodes, stopNodes, until, type Watch } from './support.js';

let redis: PrivateRedis;
let ua: SipUA;

before(async () => {
  redis = await PrivateRedis.start();
  ua = await new SipUA().bind();
});
after(async () => {
  ua.close();
  await redis.stop();
});

const ok = (r: SipResponse): boolean => r.status === 200;
const isNotify = (m: SipMessage, callId: string): boolean => m.kind === 'request' && m.method === 'NOTIFY' && hdr(m, 'Call-ID') === callId;
const maxCseq = (callId: string): number => Math.max(0, ...ua.notifies(callId).map(cseqOf));

const RL = (entries: string[]): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list>${entries.map((e) => `<entry uri="${e}"/>`).join('')}</list></resource-lists>`;

/** A list in the SUBSCRIBE body at the RLS URI (RFC 5367), so no node needs a lists file. */
async function subscribeList(port: number, entries: string[]): Promise<{ w: Watch; res: SipResponse }> {
  const w: Watch = { callId: rand(), fromTag: rand(), toTag: '', cseq: 1, aor: 'sip:rls@127.0.0.1', watcher: `sip:lw${rand(3)}@127.0.0.1` };
  const res = await ua.request({
    method: 'SUBSCRIBE', uri: w.aor, from: `<${w.watcher}>;tag=${w.fromTag}`, to: `<${w.aor}>`, callId: w.callId, cseq: 1,
    headers: [['Event', 'presence'], ['Contact', `<sip:lw@${ua.hostPort}>`], ['Expires', '600'], ['Supported', 'eventlist'],
      ['Accept', 'multipart/related, application/rlmi+xml, application/pidf+xml'], ['Content-Disposition', 'recipient-list'], ['Content-Type', 'application/resource-lists+xml']],
    body: RL(entries),
  }, port, 5000);
  w.toTag = tagOf(hdr(res, 'To')) ?? '';
  return { w, res };
}

function refreshList(port: number, w: Watch): Promise<SipResponse> {
  w.cseq++;
  return ua.request({
    method: 'SUBSCRIBE', uri: w.aor, from: `<${w.watcher}>;tag=${w.fromTag}`, to: `<${w.aor}>;tag=${w.toTag}`, callId: w.callId, cseq: w.cseq,
    headers: [['Event', 'presence'], ['Contact', `<sip:lw@${ua.hostPort}>`], ['Expires', '600'], ['Supported', 'eventlist']],
  }, port, 8000);
}

test('a list subscription outlives its node: a refresh on a survivor gets 200, full state with a higher CSeq, member changes flow from there', async () => {
  const cluster = testCluster();
  const nodes = await startNodes(redis, 3, cluster, ['--list-batch-ms', '100']);
  const [a, b, c] = nodes.map((n) => n.srv.port) as [number, number, number];
  try {
    const m1 = `sip:m1-${cluster}@127.0.0.1`;
    const m2 = `sip:m2-${cluster}@127.0.0.1`;
    assert.equal((await publish(ua, b, m1, 'm1-before')).status, 200);
    // Two lists on node A: one refreshed after the kill, one left to the survivors' sweep.
    const l1 = await subscribeList(a, [m1, m2]);
    const l2 = await subscribeList(a, [m1, m2]);
    for (const l of [l1, l2]) {
      assert.equal(l.res.status, 200);
      assert.equal(hdr(l.res, 'Require'), 'eventlist');
      await ua.waitFor((m) => isNotify(m, l.w.callId) && body(m).includes('m1-before'), 10_000, 0);
    }
    const before1 = maxCseq(l1.w.callId);
    const before2 = maxCseq(l2.w.callId);

    await nodes[0]!.srv.kill();
    const killMark = ua.received.length;
    const r = await until(() => refreshList(b, l1.w), ok, 20, 500);
    assert.equal(r.status, 200, 'the refresh on a survivor is taken, not 481');
    assert.equal(hdr(r, 'Require'), 'eventlist');
    for (const [l, before] of [[l1, before1], [l2, before2]] as const) {
      const n = await ua.waitFor((m) => isNotify(m, l.w.callId) && /fullState="true"/.test(body(m)) && body(m).includes('m1-before'), 15_000, killMark);
      assert.ok(cseqOf(n) > before, `full state from a survivor with CSeq ${cseqOf(n)} above ${before}`);
      assert.equal(tagOf(hdr(n, 'From')), l.w.toTag, 'the same dialog');
    }

    // A member's change, published on a survivor, reaches both lists from their new notifier.
    const mark = ua.received.length;
    const highs = [maxCseq(l1.w.callId), maxCseq(l2.w.callId)];
    assert.equal((await publish(ua, c, m2, 'm2-after')).status, 200);
    for (const [i, l] of [l1, l2].entries()) {
      const n = await ua.waitFor((m) => isNotify(m, l.w.callId) && body(m).includes('m2-after'), 10_000, mark);
      assert.ok(cseqOf(n) > highs[i]!, 'CSeqs keep growing');
    }
    // The list lives on exactly one survivor: a second refresh, on the other one, is handed over.
    assert.equal((await until(() => refreshList(c, l1.w), ok, 10, 500)).status, 200);
    assert.equal((await until(() => refreshList(b, l1.w), ok, 10, 500)).status, 200);
  } finally {
    await stopNodes(nodes);
  }
});

const DI = (entity: string, id: string, state: string): string =>
  `<?xml version="1.0"?>\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="${entity}"><dialog id="${id}" call-id="${id}@pbx" local-tag="lt" remote-tag="rt" direction="recipient"><state>${state}</state></dialog></dialog-info>`;

function publishDialog(port: number, aor: string, id: string, state: string): Promise<SipResponse> {
  return ua.request({
    method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1,
    headers: [['Event', 'dialog'], ['Expires', '600'], ['Content-Type', 'application/dialog-info+xml']], body: DI(aor, id, state),
  }, port);
}

async function blf(port: number, aor: string): Promise<{ w: Watch; res: SipResponse }> {
  const w: Watch = { callId: rand(), fromTag: rand(), toTag: '', cseq: 1, aor, watcher: `sip:desk${rand(3)}@127.0.0.1` };
  const res = await ua.request({
    method: 'SUBSCRIBE', uri: aor, from: `<${w.watcher}>;tag=${w.fromTag}`, to: `<${aor}>`, callId: w.callId, cseq: 1,
    headers: [['Event', 'dialog'], ['Accept', 'application/dialog-info+xml'], ['Contact', `<sip:desk@${ua.hostPort}>`], ['Expires', '600']],
  }, port);
  w.toTag = tagOf(hdr(res, 'To')) ?? '';
  return { w, res };
}

function refreshBlf(port: number, w: Watch): Promise<SipResponse> {
  w.cseq++;
  return ua.request({
    method: 'SUBSCRIBE', uri: w.aor, from: `<${w.watcher}>;tag=${w.fromTag}`, to: `<${w.aor}>;tag=${w.toTag}`, callId: w.callId, cseq: w.cseq,
    headers: [['Event', 'dialog'], ['Accept', 'application/dialog-info+xml'], ['Contact', `<sip:desk@${ua.hostPort}>`], ['Expires', '600']],
  }, port, 8000);
}

test('BLF across nodes: a dialog PUBLISH on one node reaches lamps on the others (not presence watchers); a lamp outlives its node', async () => {
  const cluster = testCluster();
  const nodes = await startNodes(redis, 3, cluster);
  const [a, b, c] = nodes.map((n) => n.srv.port) as [number, number, number];
  try {
    const ext = `sip:ext-${cluster}@127.0.0.1`;
    const onB = await blf(b, ext);
    const onA = await blf(a, ext);
    assert.equal(onB.res.status, 200);
    assert.equal(onA.res.status, 200);
    // A presence watcher of the same AoR on node C: dialog state is none of its business.
    const pres = await ua.request({
      method: 'SUBSCRIBE', uri: ext, from: `<sip:pw@127.0.0.1>;tag=${rand()}`, to: `<${ext}>`, callId: `pw-${cluster}`, cseq: 1,
      headers: [['Event', 'presence'], ['Contact', `<sip:pw@${ua.hostPort}>`], ['Expires', '600']],
    }, c);
    assert.equal(pres.status, 200);
    for (const w of [onB.w, onA.w]) await ua.waitNotify(w.callId, 5000, 0);
    await ua.waitNotify(`pw-${cluster}`, 5000, 0);

    const mark = ua.received.length;
    assert.equal((await publishDialog(a, ext, 'call1', 'early')).status, 200);
    for (const w of [onB.w, onA.w]) {
      const n = await ua.waitFor((m) => isNotify(m, w.callId) && /<state>early<\/state>/.test(body(m)), 10_000, mark);
      assert.equal(hdr(n, 'Content-Type'), 'application/dialog-info+xml');
      assert.equal(hdr(n, 'Event'), 'dialog');
    }
    // The presence side of the AoR: a PIDF publish on B reaches the watcher on C, without dialog-info.
    assert.equal((await publish(ua, b, ext, 'pres-note')).status, 200);
    const pn = await ua.waitFor((m) => isNotify(m, `pw-${cluster}`) && body(m).includes('pres-note'), 10_000, mark);
    assert.doesNotMatch(body(pn), /dialog-info/);
    for (const m of ua.received.slice(mark).map((x) => x.msg)) {
      if (isNotify(m, onB.w.callId) || isNotify(m, onA.w.callId)) assert.doesNotMatch(body(m), /pres-note/, 'no PIDF in a BLF NOTIFY');
    }

    // Node A, notifying one lamp, dies: its refresh on B gets 200 and the dialog state, CSeq higher.
    const beforeKill = maxCseq(onA.w.callId);
    await nodes[0]!.srv.kill();
    const killMark = ua.received.length;
    const r = await until(() => refreshBlf(b, onA.w), ok, 20, 500);
    assert.equal(r.status, 200);
    const n = await ua.waitFor((m) => isNotify(m, onA.w.callId) && /<state>early<\/state>/.test(body(m)), 15_000, killMark);
    assert.ok(cseqOf(n) > beforeKill, `CSeq ${cseqOf(n)} above ${beforeKill}`);
    assert.equal(hdr(n, 'Content-Type'), 'application/dialog-info+xml');
    // The call is answered, published on C: both lamps see it.
    const later = ua.received.length;
    assert.equal((await publishDialog(c, ext, 'call1', 'confirmed')).status, 200);
    for (const w of [onB.w, onA.w]) await ua.waitFor((m) => isNotify(m, w.callId) && /<state>confirmed<\/state>/.test(body(m)), 10_000, later);
  } finally {
    await stopNodes(nodes);
  }
});
