// The presentity actor's transitions without a socket, a store or a clock: (state, message) →
// (state, effects), and the undo of a batch restores exactly the state it started from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PresentityState } from '../../src/actors/presentity-state.js';
import { PresBatch } from '../../src/actors/presentity-batch.js';
import { step, type PresMsg } from '../../src/actors/presentity-transitions.js';
import { FINAL_SENT, TRANSIENT, WINFO_EVENTS, WITHHELD } from '../../src/actors/subscription.js';
import type { ReplyTo, ResponseSpec } from '../../src/core/reply.js';
import type { PidfDocument } from '../../src/codec/pidf/types.js';
import type { SubscriptionRecord } from '../../src/store/records.js';

const AOR = 'sip:alice@example.com';
const CFG = { notifyTimeout: 'end' as const };
const doc = (note: string): PidfDocument => ({ entity: AOR, elements: [{ kind: 'tuple', id: 't', xml: `<tuple id="t"><note>${note}</note></tuple>`, timestamp: null, basic: 'open' }] });

function rt(): ReplyTo & { got: ResponseSpec[] } {
  const got: ResponseSpec[] = [];
  return { got, reply: (s) => got.push(s) };
}

function run(s: PresentityState, ...msgs: PresMsg[]): PresBatch {
  const b = new PresBatch(s);
  for (const m of msgs) step(s, b, m, CFG);
  return b;
}

function replies(b: PresBatch): number[] {
  return b.replies.map(([, spec]) => spec.status);
}

function subRec(tag: string, over: Partial<SubscriptionRecord> = {}): SubscriptionRecord {
  return {
    tag, aor: AOR, event: 'presence', eventId: null, callId: `call-${tag}`, remoteTag: 'rt', localUri: `<${AOR}>`, remoteUri: '<sip:bob@example.com>',
    watcherAor: 'sip:bob@example.com', entity: AOR, target: 'sip:bob@127.0.0.1:5099', routes: [], expiresAt: 600_000, remoteCseq: 1,
    cseqReserved: 100, state: 'active', polite: false, source: '127.0.0.1 5099', ...over,
  };
}

const publish = (over: Partial<Extract<PresMsg, { t: 'publish' }>>): PresMsg => ({ t: 'publish', rt: rt(), now: 1000, ifMatch: null, etag: 'e1', expires: 60, doc: doc('a'), ...over });

test('PUBLISH: initial, refresh (same state: no version change), modify, remove; one store write each', () => {
  const s = new PresentityState(AOR, new Map());
  let b = run(s, publish({}));
  assert.deepEqual(replies(b), [200]);
  assert.match(b.replies[0]![1].headers!, /SIP-ETag: e1\r\nExpires: 60\r\n/);
  assert.equal(s.version, 1);
  assert.deepEqual(b.ops.map((o) => o.t), ['putPub']);
  assert.ok(b.changed);

  b = run(s, publish({ ifMatch: 'e1', etag: 'e2', doc: null, now: 2000 }));
  assert.deepEqual(replies(b), [200]);
  assert.equal(s.version, 1, 'a refresh does not change the composed state');
  assert.equal(b.changed, false);
  assert.deepEqual([...s.pubs!.keys()], ['e2']);
  assert.deepEqual(b.ops.map((o) => o.t), ['putPub'], 'one write, not a delete and a put');
  const id = s.pubs!.get('e2')!.rec.id;
  assert.equal(id, 'e1', 'the store key stays the first ETag');

  b = run(s, publish({ ifMatch: 'e2', etag: 'e3', doc: doc('same?'), now: 3000 }));
  assert.equal(s.version, 2);
  b = run(s, publish({ ifMatch: 'e3', etag: 'e4', doc: doc('same?'), now: 4000 }));
  assert.equal(s.version, 2, 'a modify with an equal body is a refresh (Linphone)');

  b = run(s, publish({ ifMatch: 'e4', etag: 'e5', expires: 0, doc: null, now: 5000 }));
  assert.deepEqual(replies(b), [200]);
  assert.equal(s.pubs!.size, 0);
  assert.deepEqual(b.ops, [{ t: 'delPub', aor: AOR, id: 'e1' }]);
  assert.equal(s.version, 3);
});

test('PUBLISH: unknown or expired ETag → 412; ten racing on one ETag → exactly one 200', () => {
  const s = new PresentityState(AOR, new Map());
  run(s, publish({}));
  assert.deepEqual(replies(run(s, publish({ ifMatch: 'nope', etag: 'x' }))), [412]);
  assert.deepEqual(replies(run(s, publish({ ifMatch: 'e1', etag: 'x', now: 70_000 }))), [412], 'expired');
  const race = Array.from({ length: 10 }, (_, i) => publish({ ifMatch: 'e1', etag: `r${i}`, now: 2000 }));
  assert.deepEqual(replies(run(s, ...race)).sort(), [200, ...Array<number>(9).fill(412)]);
});

test('a failed batch undoes exactly what it did', () => {
  const s = new PresentityState(AOR, new Map());
  run(s, publish({}));
  run(s, { t: 'subscribe', rt: rt(), rec: subRec('w1'), fetch: false, headers: '' });
  const view = (): string => JSON.stringify({ v: s.version, pubs: [...s.pubs!.entries()].map(([k, p]) => [k, p.rec]), subs: [...s.subs()].map((x) => [x.record(), x.reason, x.flags]).sort(), dir: [...s.directory.keys()].sort() });
  const snapshot = view();
  const b = run(
    s,
    publish({ ifMatch: 'e1', etag: 'e2', doc: doc('b'), now: 2000 }),
    { t: 'subscribe', rt: rt(), rec: subRec('w2'), fetch: false, headers: '' },
    { t: 'resubscribe', rt: rt(), now: 2000, tag: 'w1', callId: 'call-w1', remoteTag: 'rt', event: 'presence', eventId: null, cseq: 2, expires: 0, target: null, headers: '' },
  );
  assert.deepEqual(replies(b), [200, 200, 200]);
  assert.ok(s.sub('w1')!.ending);
  b.undo();
  assert.equal(view(), snapshot);
});

test('SUBSCRIBE: new → stored, NOTIFY owed, winfo told; refresh; out-of-order CSeq → 500; unknown dialog → 481; unsubscribe → final NOTIFY', () => {
  const s = new PresentityState(AOR, new Map());
  let b = run(s, { t: 'subscribe', rt: rt(), rec: subRec('w1'), fetch: false, headers: 'Expires: 600\r\n' });
  assert.deepEqual(replies(b), [200]);
  assert.equal(b.replies[0]![1].toTag, 'w1');
  assert.deepEqual(b.ops.map((o) => o.t), ['putSub']);
  assert.equal(b.notify.length, 1);
  assert.ok(b.winfo);
  const sub = s.sub('w1')!;

  const re = (cseq: number, expires: number, over: Partial<Extract<PresMsg, { t: 'resubscribe' }>> = {}): PresMsg => ({
    t: 'resubscribe', rt: rt(), now: 5000, tag: 'w1', callId: 'call-w1', remoteTag: 'rt', event: 'presence', eventId: null, cseq, expires, target: 'sip:bob@127.0.0.1:6000', headers: '', ...over,
  });
  b = run(s, re(2, 300));
  assert.deepEqual(replies(b), [200]);
  assert.equal(sub.expiresAt, 305_000);
  assert.equal(sub.target, 'sip:bob@127.0.0.1:6000', 'target refresh');
  assert.deepEqual(replies(run(s, re(2, 300))), [500]);
  assert.deepEqual(replies(run(s, re(3, 300, { callId: 'other' }))), [481]);
  assert.deepEqual(replies(run(s, re(3, 300, { eventId: 'x' }))), [481]);

  b = run(s, re(3, 0));
  assert.deepEqual(replies(b), [200]);
  assert.equal(sub.reason, 'timeout');
  assert.deepEqual(b.ops.map((o) => o.t), ['delSub']);
  assert.deepEqual(replies(run(s, re(4, 300))), [481], 'an ending dialog takes no refresh');
  // The final NOTIFY's answer removes it.
  sub.flags |= FINAL_SENT;
  b = run(s, { t: 'notified', sub, status: 200, retryAfter: null });
  assert.equal(s.count, 0);
  assert.deepEqual(b.gone, [sub]);
  assert.deepEqual(b.ops, [], 'the record went with the unsubscribe');
});

test('fetch: answered, one final NOTIFY, never stored; pending watchers get no state in it', () => {
  const s = new PresentityState(AOR, new Map());
  const b = run(s, { t: 'subscribe', rt: rt(), rec: subRec('f1', { state: 'pending' }), fetch: true, headers: '' });
  assert.deepEqual(replies(b), [200]);
  assert.deepEqual(b.ops, []);
  const sub = s.sub('f1')!;
  assert.equal(sub.reason, 'timeout');
  assert.ok((sub.flags & TRANSIENT) !== 0 && (sub.flags & WITHHELD) !== 0);
});

test('NOTIFY outcomes: 481/404/410 end the dialog; 408 follows the policy; 5xx with Retry-After keeps it', () => {
  for (const [status, ra, ends] of [[481, null, true], [404, null, true], [410, null, true], [408, null, true], [503, 5, false], [503, null, true], [200, null, false]] as const) {
    const s = new PresentityState(AOR, new Map());
    run(s, { t: 'subscribe', rt: rt(), rec: subRec('w'), fetch: false, headers: '' });
    const sub = s.sub('w')!;
    const b = run(s, { t: 'notified', sub, status, retryAfter: ra });
    assert.equal(s.sub('w') !== undefined, !ends, `status ${status}`);
    assert.deepEqual(b.ops.map((o) => o.t), ends ? ['delSub'] : []);
    assert.deepEqual(b.outcomes, [sub]);
  }
  const s = new PresentityState(AOR, new Map());
  run(s, { t: 'subscribe', rt: rt(), rec: subRec('w'), fetch: false, headers: '' });
  const b = new PresBatch(s);
  step(s, b, { t: 'notified', sub: s.sub('w')!, status: 408, retryAfter: null }, { notifyTimeout: 'keep' });
  assert.ok(s.sub('w') !== undefined, '--notify-timeout keep');
});

test('expiry: a due dialog ends with timeout; one refreshed meanwhile is left alone', () => {
  const s = new PresentityState(AOR, new Map());
  run(s, { t: 'subscribe', rt: rt(), rec: subRec('w', { expiresAt: 10_000 }), fetch: false, headers: '' });
  const sub = s.sub('w')!;
  let b = run(s, { t: 'subExpired', sub, now: 9_000 });
  assert.equal(sub.reason, null);
  b = run(s, { t: 'subExpired', sub, now: 10_000 });
  assert.equal(sub.reason, 'timeout');
  assert.deepEqual(b.ops.map((o) => o.t), ['delSub']);
  assert.deepEqual(b.retry, [sub], 'retried later if the delete does not commit');
  const p = new PresentityState(AOR, new Map());
  run(p, publish({ expires: 10 }));
  const pub = p.pubs!.get('e1')!;
  b = run(p, { t: 'pubExpired', pub, now: 11_000 });
  assert.equal(p.pubs!.size, 0);
  assert.ok(b.changed);
});

test('watcher rules changed: pending → approved and stored; block → rejected without state; confirm → nothing', () => {
  const s = new PresentityState(AOR, new Map());
  run(s, { t: 'subscribe', rt: rt(), rec: subRec('w', { state: 'pending' }), fetch: false, headers: '' });
  const sub = s.sub('w')!;
  assert.deepEqual(run(s, { t: 'decide', sub, decision: 'confirm' }).ops, []);
  let b = run(s, { t: 'decide', sub, decision: 'allow' });
  assert.equal(sub.state, 'active');
  assert.equal(WINFO_EVENTS[sub.winfo], 'approved');
  assert.deepEqual(b.ops.map((o) => o.t), ['putSub']);
  b = run(s, { t: 'decide', sub, decision: 'block' });
  assert.equal(sub.reason, 'rejected');
  assert.ok((sub.flags & WITHHELD) !== 0);
  assert.deepEqual(b.ops.map((o) => o.t), ['delSub']);
});

test('CSeq reservation moves the stored high-water mark up one block', () => {
  const s = new PresentityState(AOR, new Map());
  run(s, { t: 'subscribe', rt: rt(), rec: subRec('w'), fetch: false, headers: '' });
  const sub = s.sub('w')!;
  sub.cseq = 99;
  const b = run(s, { t: 'reserve', sub });
  assert.equal(sub.cseqReserved, 200, 'a block above the old mark (which is above every CSeq used)');
  assert.deepEqual(b.ops.map((o) => o.t), ['putSub']);
});

test('drop (its flow closed): the dialog leaves without a NOTIFY, the record is deleted, other watchers untouched; undo restores it', () => {
  const s = new PresentityState(AOR, new Map());
  run(s, { t: 'subscribe', rt: rt(), rec: subRec('ws1', { source: '127.0.0.1 40000 ws 7', target: 'sip:x@abcd.invalid;transport=ws' }), fetch: false, headers: '' });
  run(s, { t: 'subscribe', rt: rt(), rec: subRec('udp1'), fetch: false, headers: '' });
  const ws = s.sub('ws1')!;
  const other = s.sub('udp1')!;
  const b = run(s, { t: 'drop', sub: ws, reason: 'flow closed' });
  assert.equal(s.sub('ws1'), undefined);
  assert.equal(s.sub('udp1'), other, 'the other watcher stays');
  assert.equal(s.count, 1);
  assert.deepEqual(b.ops, [{ t: 'delSub', tag: 'ws1' }]);
  assert.deepEqual(b.notify, [], 'no NOTIFY: nobody is there to receive it');
  assert.deepEqual(b.gone, [ws]);
  assert.equal(WINFO_EVENTS[ws.winfo], 'deactivated', 'winfo: the watcher should subscribe again');
  assert.ok(b.winfo);
  b.undo();
  assert.equal(s.sub('ws1'), ws);
  assert.equal(s.count, 2);
  // A second drop, or one for a dialog already gone, changes nothing.
  run(s, { t: 'drop', sub: ws, reason: 'flow closed' });
  const again = run(s, { t: 'drop', sub: ws, reason: 'flow closed' });
  assert.deepEqual(again.ops, []);
  // A NOTIFY outcome that arrives after the drop is only bookkeeping.
  const late = run(s, { t: 'notified', sub: ws, status: 200, retryAfter: null });
  assert.deepEqual(late.ops, []);
  assert.deepEqual(late.outcomes, [ws]);
});

test('resubscribe over another flow moves the dialog to it (durably)', () => {
  const s = new PresentityState(AOR, new Map());
  run(s, { t: 'subscribe', rt: rt(), rec: subRec('t1', { source: '127.0.0.1 40000 tcp 3' }), fetch: false, headers: '' });
  const b = run(s, { t: 'resubscribe', rt: rt(), now: 1000, tag: 't1', callId: 'call-t1', remoteTag: 'rt', event: 'presence', eventId: null, cseq: 2, expires: 600, target: null, headers: '', source: '127.0.0.1 40001 tcp 9' });
  assert.equal(s.sub('t1')!.source, '127.0.0.1 40001 tcp 9');
  const put = b.ops.find((o) => o.t === 'putSub');
  assert.ok(put !== undefined && put.t === 'putSub' && put.rec.source === '127.0.0.1 40001 tcp 9');
  b.undo();
  assert.equal(s.sub('t1')!.source, '127.0.0.1 40000 tcp 3');
});
