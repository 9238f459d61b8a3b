// Resource lists without sockets: the lists file (nested lists, cycles, limits) and the list
// subscription's transitions (RFC 4662 over RFC 6665 §4.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listsFromObject, ListsFileError } from '../../src/packages/lists/list-file.js';
import { ListBatch, ListState, stepList, type ListMsg } from '../../src/packages/lists/list-state.js';
import { Sub, UNCOUNTED } from '../../src/actors/subscription.js';
import type { ListSubscriptionRecord } from '../../src/store/records.js';
import type { ReplyTo, ResponseSpec } from '../../src/core/reply.js';
import type { Request } from '../../src/core/context.js';

test('lists file: nested lists flattened, duplicates dropped, owners kept; cycles and oversize refused with the list named', () => {
  const lists = listsFromObject({ lists: {
    'sip:a@x': { owner: 'sip:o@x', entries: ['sip:u1@x', 'sip:b@x', { uri: 'sip:u2@x', name: 'Two' }] },
    'sip:b@x': { entries: ['sip:u3@x', 'sip:u1@x'] },
  } }, 10);
  assert.deepEqual(lists.get('a@x')!.entries, [{ uri: 'sip:u1@x' }, { uri: 'sip:u3@x' }, { uri: 'sip:u2@x', name: 'Two' }]);
  assert.equal(lists.get('a@x')!.owner, 'sip:o@x');
  assert.throws(() => listsFromObject({ lists: { 'sip:a@x': { entries: ['sip:b@x'] }, 'sip:b@x': { entries: ['sip:a@x'] } } }, 10), (e: Error) => e instanceof ListsFileError && /contains itself: a@x → b@x → a@x/.test(e.message));
  assert.throws(() => listsFromObject({ lists: { 'sip:a@x': { entries: ['sip:a@x'] } } }, 10), /contains itself/);
  assert.throws(() => listsFromObject({ lists: { 'sip:a@x': { entries: Array.from({ length: 11 }, (_, i) => `sip:u${i}@x`) } } }, 10), /more than 10/);
  assert.throws(() => listsFromObject({ lists: { 'not a uri': { entries: [] } } }, 10), /SIP URI/);
  assert.throws(() => listsFromObject({ lists: { 'sip:a@x': { entries: 'sip:u@x' } } }, 10), /array/);
});

const rt = (): ReplyTo & { got: ResponseSpec[] } => {
  const got: ResponseSpec[] = [];
  return { got, reply: (s) => got.push(s) };
};
function listState(): ListState {
  const rec: ListSubscriptionRecord = {
    tag: 'L1', aor: 'sip:friends@x', event: 'presence', eventId: null, callId: 'c1', remoteTag: 'rt', localUri: '<sip:friends@x>',
    remoteUri: '<sip:o@x>', watcherAor: 'sip:o@x', entity: 'sip:friends@x', target: 'sip:o@127.0.0.1:5099', routes: [], expiresAt: 600_000,
    remoteCseq: 1, cseqReserved: 100, state: 'active', polite: false, source: '127.0.0.1 5099', list: { uri: 'sip:friends@x', owner: 'sip:o@x', entries: null },
  };
  return new ListState(new Sub({ aor: rec.aor, event: rec.event, eventId: null, localUri: rec.localUri, entity: rec.entity, counters: UNCOUNTED }, rec), rec);
}
const run = (s: ListState, ...msgs: ListMsg[]): ListBatch => {
  const b = new ListBatch();
  for (const m of msgs) stepList(s, b, m, 'end');
  return b;
};
const re = (cseq: number, expires: number): ListMsg => ({ t: 'resubscribe', rt: rt() as unknown as Request, now: 1000, tag: 'L1', callId: 'c1', remoteTag: 'rt', event: 'presence', eventId: null, cseq, expires, target: null, headers: '' });

test('list subscription: stored at subscribe, full state again on refresh, out-of-order CSeq 500, unsubscribe ends it, a failed batch is undone', () => {
  const s = listState();
  let b = run(s, { t: 'subscribe', rt: rt(), fetch: false, headers: '' });
  assert.deepEqual(b.ops.map((o) => o.t), ['putList']);
  assert.ok(b.attach && b.timer);
  s.needFull = false;
  b = run(s, re(2, 600));
  assert.equal(b.replies[0]![1].status, 200);
  assert.match(b.replies[0]![1].headers!, /Require: eventlist/);
  assert.ok(s.needFull, 'full state again after a refresh (RFC 4662 §5.4)');
  assert.equal(run(s, re(2, 600)).replies[0]![1].status, 500);
  s.needFull = false;
  b = run(s, re(3, 600));
  b.undo();
  assert.equal(s.needFull, false);
  assert.equal(s.sub.remoteCseq, 2);
  b = run(s, re(4, 0));
  assert.deepEqual(b.ops.map((o) => o.t), ['delList']);
  assert.ok(s.sub.ending && b.notify);
});

test('NOTIFY outcomes: 481 ends the list subscription, 408 per policy, CSeq reservation persists the record', () => {
  const s = listState();
  let b = run(s, { t: 'notified', sub: s.sub, status: 200, retryAfter: null });
  assert.ok(!b.gone && b.outcome);
  b = run(s, { t: 'reserve', sub: s.sub });
  assert.equal(s.sub.cseqReserved, 200);
  assert.equal((b.ops[0] as { rec: ListSubscriptionRecord }).rec.list.uri, 'sip:friends@x');
  b = run(s, { t: 'notified', sub: s.sub, status: 481, retryAfter: null });
  assert.ok(b.gone);
  assert.deepEqual(b.ops.map((o) => o.t), ['delList']);
});
