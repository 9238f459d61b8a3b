// Scale-out end to end: three nodes and one Redis on loopback (a private redis-server this test
// starts), the test playing the balancer. A publish on one node reaches watchers on the other
// two; state written on one node is seen on the others; Contact is the shared advertised
// address. SIGKILL of a node under load loses nothing acknowledged, and its dialogs go on from
// the survivors with growing CSeqs; a Redis restart under load is ridden out without restarting
// any node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SipUA, hdr, hdrs, body } from '../support/sip-ua.js';
import type { SipResponse } from '../../src/codec/sip/types.js';
import { testCluster } from '../support/redis.js';
import {
  ADVERTISE, PrivateRedis, cseqOf, publish, refresh, register, sleep, startNodes, stopNodes, subscribe, until, type Node, type Watch,
} from './support.js';

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

test('three nodes: a publish on one reaches watchers on the other two; bindings and ETags are shared; Contact is the advertised address', async () => {
  const nodes = await startNodes(redis, 3);
  const [a, b, c] = nodes.map((n) => n.srv.port) as [number, number, number];
  try {
    const alice = `sip:alice-${testCluster()}@127.0.0.1`;
    const sb = await subscribe(ua, b, alice);
    const sc = await subscribe(ua, c, alice);
    assert.equal(sb.res.status, 200);
    assert.equal(sc.res.status, 200);
    assert.equal(hdr(sb.res, 'Contact'), `<sip:${ADVERTISE}>`, 'every node gives the shared address');
    await ua.waitNotify(sb.w.callId, 5000, 0);
    await ua.waitNotify(sc.w.callId, 5000, 0);

    const mark = ua.received.length;
    const p = await publish(ua, a, alice, 'from-node-a');
    assert.equal(p.status, 200);
    for (const w of [sb.w, sc.w]) {
      const n = await ua.waitFor((m) => m.kind === 'request' && m.method === 'NOTIFY' && hdr(m, 'Call-ID') === w.callId && body(m).includes('from-node-a'), 10_000, mark);
      assert.match(hdr(n, 'Contact') ?? '', /127\.0\.0\.1:5999/);
    }

    // Alice watches her watchers on node A: she sees the ones nodes B and C notify (RFC 3857).
    const winfoCall = `winfo-${testCluster()}`;
    const wi = await ua.request({
      method: 'SUBSCRIBE', uri: alice, from: `<${alice}>;tag=wi`, to: `<${alice}>`, callId: winfoCall, cseq: 1,
      headers: [['Event', 'presence.winfo'], ['Contact', `<sip:alice@${ua.hostPort}>`], ['Expires', '600']],
    }, a);
    assert.equal(wi.status, 200);
    const count = (m: { body: Uint8Array }): number => (body(m as never).match(/<watcher /g) ?? []).length;
    await ua.waitFor((m) => m.kind === 'request' && m.method === 'NOTIFY' && hdr(m, 'Call-ID') === winfoCall && count(m) === 2, 10_000, 0);
    const wmark = ua.received.length;
    assert.equal((await subscribe(ua, c, alice)).res.status, 200);
    await ua.waitFor((m) => m.kind === 'request' && m.method === 'NOTIFY' && hdr(m, 'Call-ID') === winfoCall && count(m) === 3, 10_000, wmark);

    // The ETag given by node A refreshes the publication on node C; A's old one is then stale on B.
    const etag = hdr(p, 'SIP-ETag')!;
    const r2 = await publish(ua, c, alice, 'modified-on-c', etag);
    assert.equal(r2.status, 200);
    const r3 = await publish(ua, b, alice, 'too-late', etag);
    assert.equal(r3.status, 412, 'the ETag replaced on node C is stale on node B');

    // A binding made on node A is listed by a query on node C.
    const bob = `sip:bob-${testCluster()}@127.0.0.1`;
    assert.equal((await register(ua, a, bob, 'sip:bob@127.0.0.1:7001')).status, 200);
    const q = await register(ua, c, bob, null);
    assert.match(hdrs(q, 'Contact').join(','), /7001/);
    // Two nodes writing one AoR at once: both bindings are kept (no lost update).
    const [x, y] = await Promise.all([register(ua, a, bob, 'sip:bob@127.0.0.1:7002'), register(ua, b, bob, 'sip:bob@127.0.0.1:7003')]);
    assert.equal(x.status, 200);
    assert.equal(y.status, 200);
    const all = hdrs(await register(ua, c, bob, null), 'Contact').join(',');
    for (const port of ['7001', '7002', '7003']) assert.match(all, new RegExp(port));
  } finally {
    await stopNodes(nodes);
  }
});

test('SIGKILL of a node under load: nothing acknowledged is lost, its dialogs go on from the survivors with growing CSeqs', async () => {
  const cluster = testCluster();
  const nodes: Node[] = await startNodes(redis, 3, cluster);
  const [a, b, c] = nodes.map((n) => n.srv.port) as [number, number, number];
  try {
    // Ten presentities, two watchers each, every dialog made on node A (the one that dies).
    const aors = Array.from({ length: 10 }, (_, i) => `sip:p${i}-${cluster}@127.0.0.1`);
    const watches: Watch[] = [];
    for (const aor of aors) {
      assert.equal((await publish(ua, b, aor, 'start')).status, 200);
      for (let k = 0; k < 2; k++) {
        const s = await subscribe(ua, a, aor);
        assert.equal(s.res.status, 200);
        watches.push(s.w);
      }
    }
    for (const w of watches) await ua.waitNotify(w.callId, 5000, 0);

    // Load: publishes and registrations spread over the three nodes; A is killed half way.
    const acked: { kind: 'pub' | 'reg'; aor: string; etag?: string; contact?: string }[] = [];
    const pending: Promise<void>[] = [];
    let killed: Promise<void> | null = null;
    for (let i = 0; i < 60; i++) {
      const port = [a, b, c][i % 3]!;
      const aor = aors[i % aors.length]!;
      pending.push(publish(ua, port, aor, `note-${i}`).then((r) => {
        if (r.status === 200) acked.push({ kind: 'pub', aor, etag: hdr(r, 'SIP-ETag')! });
      }, () => undefined));
      const reg = `sip:r${i}-${cluster}@127.0.0.1`;
      pending.push(register(ua, port, reg, `sip:r${i}@127.0.0.1:${7100 + i}`).then((r) => {
        if (r.status === 200) acked.push({ kind: 'reg', aor: reg, contact: `${7100 + i}` });
      }, () => undefined));
      if (i === 30) killed = nodes[0]!.srv.kill();
      await sleep(15);
    }
    await killed;
    await Promise.all(pending);
    const beforeKill = new Map<string, number>();
    const killMark = ua.received.length;
    for (const w of watches) beforeKill.set(w.callId, Math.max(0, ...ua.notifies(w.callId).map(cseqOf)));
    assert.ok(acked.length >= 60, `enough acknowledged (${acked.length})`);

    // Every acknowledged change is there, read through the survivors.
    const lost: string[] = [];
    const lastEtag = new Map<string, string>();
    for (const x of acked) if (x.kind === 'pub') lastEtag.set(x.aor, x.etag!);
    for (const x of acked) {
      if (x.kind !== 'reg') continue;
      const q = await register(ua, b, x.aor, null);
      if (!hdrs(q, 'Contact').join(',').includes(x.contact!)) lost.push(`binding ${x.aor}`);
    }
    assert.deepEqual(lost, []);

    // The dialogs of the dead node go on: a survivor adopts them and sends their state, or
    // the watcher's next refresh, re-routed to another node, gets 200 and a NOTIFY.
    const bad: string[] = [];
    for (const [i, w] of watches.entries()) {
      const port = i % 2 === 0 ? b : c;
      const r = await until(() => refresh(ua, port, w, 8000), ok, 5, 500);
      if (r.status !== 200) bad.push(`${w.callId}: refresh ${r.status}`);
    }
    assert.deepEqual(bad, [], 'every dialog of the dead node refreshed on a survivor');
    const late: string[] = [];
    for (const w of watches) {
      try {
        await ua.waitNotify(w.callId, 10_000, killMark);
      } catch {
        late.push(w.callId);
      }
    }
    assert.deepEqual(late, [], 'each dialog got a NOTIFY from a survivor');
    // A publish after the takeover reaches every watcher, with CSeqs above all used before.
    const mark = ua.received.length;
    for (const aor of aors) {
      const etag = lastEtag.get(aor);
      const r = await publish(ua, c, aor, 'after-takeover', etag);
      assert.equal(r.status, 200, `the last acknowledged ETag of ${aor} is still valid`);
    }
    const order: string[] = [];
    for (const w of watches) {
      const n = await ua.waitFor((m) => m.kind === 'request' && m.method === 'NOTIFY' && hdr(m, 'Call-ID') === w.callId && body(m).includes('after-takeover'), 10_000, mark);
      if (cseqOf(n) <= beforeKill.get(w.callId)!) order.push(`${w.callId}: ${cseqOf(n)} after ${beforeKill.get(w.callId)}`);
      // Per dialog, the NOTIFYs after the kill never go back in CSeq (a repeat is a retransmission).
      const seq = ua.received.slice(killMark).map((x) => x.msg).filter((m) => m.kind === 'request' && m.method === 'NOTIFY' && hdr(m, 'Call-ID') === w.callId).map(cseqOf);
      for (let k = 1; k < seq.length; k++) if (seq[k]! < seq[k - 1]!) order.push(`${w.callId}: ${seq.join(',')}`);
    }
    assert.deepEqual(order, []);
  } finally {
    await stopNodes(nodes);
  }
});

test('Redis restart under load: 503 while it is down, service resumes by itself, acknowledged state kept, changes flow again', async () => {
  const nodes = await startNodes(redis, 2);
  const [a, b] = nodes.map((n) => n.srv.port) as [number, number];
  try {
    const cluster = testCluster();
    const alice = `sip:alice-${cluster}@127.0.0.1`;
    const w = await subscribe(ua, b, alice);
    assert.equal(w.res.status, 200);
    const acked: string[] = [];
    const statuses = new Set<number>();
    const round = async (i: number, port: number): Promise<void> => {
      const aor = `sip:q${i}-${cluster}@127.0.0.1`;
      try {
        const r = await register(ua, port, aor, `sip:q@127.0.0.1:${7300 + i}`);
        statuses.add(r.status);
        if (r.status === 200) acked.push(aor);
        else if (r.status === 503) assert.match(hdr(r, 'Retry-After') ?? '', /^\d+$/);
      } catch {
        /* unanswered while a write was cut off: never acknowledged */
      }
    };
    const load: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      load.push(round(i, i % 2 === 0 ? a : b));
      if (i === 15) await redis.kill();
      if (i === 25) await redis.restart();
      await sleep(40);
    }
    await Promise.all(load);
    assert.ok(statuses.has(503), `requests during the outage got 503 (${[...statuses].join(',')})`);
    // Service resumes without restarting the nodes.
    const back = await until(() => register(ua, a, `sip:late-${cluster}@127.0.0.1`, 'sip:late@127.0.0.1:7399'), ok, 40, 250);
    assert.equal(back.status, 200);
    for (const aor of acked) {
      const q = await until(() => register(ua, b, aor, null), ok, 10, 200);
      assert.ok(hdrs(q, 'Contact').length > 0, `acknowledged binding ${aor} kept`);
    }
    // Changes flow between the nodes again (the channel re-subscribed, versions repaired).
    const mark = ua.received.length;
    const p = await until(() => publish(ua, a, alice, 'after-restart'), ok, 20, 250);
    assert.equal(p.status, 200);
    await ua.waitFor((m) => m.kind === 'request' && m.method === 'NOTIFY' && hdr(m, 'Call-ID') === w.w.callId && body(m).includes('after-restart'), 10_000, mark);
  } finally {
    await stopNodes(nodes);
  }
});
