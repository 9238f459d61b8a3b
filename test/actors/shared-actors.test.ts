// The actors with a shared store, without Redis: a fake store that refuses batches as stale on
// demand, and a fake shared state standing for what other nodes wrote. Transitions: taking in a
// fresh read, adoption (CSeqs resume at the stored mark), hand-over. Actors: the first message
// waits for the read, a stale batch is read again and run again (answered once, with the fresh
// state), an unreadable state answers 503, a check op leads every shared write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PresentityState } from '../../src/actors/presentity-state.js';
import { PresBatch } from '../../src/actors/presentity-batch.js';
import { step, type PresMsg } from '../../src/actors/presentity-transitions.js';
import { ActorSystem } from '../../src/actors/system.js';
import type { NotifySink } from '../../src/actors/presentity-actor.js';
import type { PresSnapshot, RegSnapshot, SharedState, WatcherSnapshot } from '../../src/actors/shared.js';
import { GONE } from '../../src/actors/subscription.js';
import { StaleError, type Store, type StoreDone } from '../../src/store/store.js';
import type { PublicationRecord, RestoreSink, StoreOp, SubscriptionRecord } from '../../src/store/records.js';
import type { PidfDocument } from '../../src/codec/pidf/types.js';
import type { ReplyTo, ResponseSpec } from '../../src/core/reply.js';
import { createLogger } from '../../src/log.js';
import { sameUri } from '../../src/core/register.js';

const AOR = 'sip:alice@example.com';
const CFG = { notifyTimeout: 'end' as const };
const doc = (note: string): PidfDocument => ({ entity: AOR, elements: [{ kind: 'tuple', id: 't', xml: `<tuple id="t"><note>${note}</note></tuple>`, timestamp: null, basic: 'open' }] });
const pubRec = (id: string, etag: string, note: string, modified = 1000): PublicationRecord => ({ aor: AOR, id, etag, expiresAt: 10_000_000_000_000, modified, doc: doc(note) });
const subRec = (tag: string, cseqReserved = 300): SubscriptionRecord => ({
  tag, aor: AOR, event: 'presence', eventId: null, callId: `call-${tag}`, remoteTag: 'rt', localUri: `<${AOR}>`, remoteUri: '<sip:bob@example.com>',
  watcherAor: '', entity: AOR, target: 'sip:bob@127.0.0.1:5099', routes: [], expiresAt: 10_000_000_000_000, remoteCseq: 1, cseqReserved, state: 'active', polite: false, source: '127.0.0.1 5099',
});

function rt(): ReplyTo & { got: ResponseSpec[]; next: Promise<ResponseSpec> } {
  const got: ResponseSpec[] = [];
  let resolve!: (s: ResponseSpec) => void;
  const next = new Promise<ResponseSpec>((r) => (resolve = r));
  return { got, next, reply: (s) => { got.push(s); resolve(s); } };
}

function run(s: PresentityState, ...msgs: PresMsg[]): PresBatch {
  const b = new PresBatch(s, true);
  for (const m of msgs) step(s, b, m, CFG);
  return b;
}

test('sync: the first read fills the view; older reads are ignored; later reads replace what changed and notify', () => {
  const s = new PresentityState(AOR, new Map());
  let b = run(s, { t: 'sync', snap: { rev: 5, pubs: [pubRec('a', 'a1', 'one')] } });
  assert.equal(s.rev, 5);
  assert.deepEqual([...s.pubs!.keys()], ['a1']);
  b = run(s, { t: 'sync', snap: { rev: 4, pubs: [] } });
  assert.equal(s.rev, 5, 'an older read is ignored');
  assert.equal(b.changed, false);
  b = run(s, { t: 'remote', rev: 5 });
  assert.equal(b.reload, false, 'a hint about what we hold already');
  b = run(s, { t: 'remote', rev: 9 });
  assert.equal(b.reload, true);
  b = run(s, { t: 'sync', snap: { rev: 9, pubs: [pubRec('a', 'a2', 'one'), pubRec('b', 'b1', 'two', 2000)] } });
  assert.deepEqual([...s.pubs!.keys()].sort(), ['a2', 'b1']);
  assert.ok(b.changed, 'a new publication: watchers are notified');
  b.undo();
  assert.deepEqual([...s.pubs!.keys()], ['a1'], 'undone exactly');
  assert.equal(s.rev, 5);
});

test('shared writes lead with a check op naming the version they build on', () => {
  const s = new PresentityState(AOR, new Map());
  run(s, { t: 'sync', snap: { rev: 7, pubs: [] } });
  const b = run(s, { t: 'publish', rt: rt(), now: 1000, ifMatch: null, etag: 'e1', expires: 60, doc: doc('x') });
  assert.deepEqual(b.ops[0], { t: 'check', kind: 'pres', aor: AOR, rev: 7 });
  assert.equal(b.ops[1]!.t, 'putPub');
  assert.ok(b.checked);
});

test('adopt: dialogs resume above their stored CSeq mark; release forgets one; a late NOTIFY outcome is harmless', () => {
  const dir = new Map();
  const s = new PresentityState(AOR, dir);
  run(s, { t: 'sync', snap: { rev: 1, pubs: [] } });
  let b = run(s, { t: 'adopt', recs: [subRec('d1', 300), subRec('d2', 500)], notify: true });
  assert.equal(b.ops.length, 0, 'ownership already moved in the store');
  assert.deepEqual(b.notify.map((x) => [x.tag, x.cseq]), [['d1', 300], ['d2', 500]]);
  b = run(s, { t: 'adopt', recs: [subRec('d1', 999)], notify: true });
  assert.equal(b.notify.length, 0, 'adopting twice changes nothing');
  const d1 = s.sub('d1')!;
  let handed: boolean | null = null;
  b = run(s, { t: 'release', tag: 'd1', done: (ok) => (handed = ok) });
  assert.equal(s.sub('d1'), undefined);
  assert.deepEqual(b.gone, [d1]);
  assert.equal(b.handed.length, 1);
  b.handed[0]!(true);
  assert.equal(handed, true);
  d1.flags |= GONE;
  b = run(s, { t: 'notified', sub: d1, status: 481, retryAfter: null }, { t: 'reserve', sub: d1 });
  assert.deepEqual(b.ops, [], 'nothing written for a dialog another node notifies');
});

test('watchers of other nodes: read only for a local winfo subscriber, ours left out, undone exactly', () => {
  const s = new PresentityState(AOR, new Map());
  run(s, { t: 'sync', snap: { rev: 1, pubs: [] } });
  let b = run(s, { t: 'remoteWatchers', rev: 3 });
  assert.equal(b.reloadWatchers, false, 'no winfo subscriber here: nothing to read');
  run(s, { t: 'adopt', recs: [{ ...subRec('wi'), event: 'presence.winfo' }, subRec('mine')], notify: false });
  b = run(s, { t: 'remoteWatchers', rev: 3 });
  assert.equal(b.reloadWatchers, true);
  b = run(s, { t: 'watchers', snap: { rev: 3, subs: [subRec('mine'), subRec('theirs'), { ...subRec('wi'), event: 'presence.winfo' }] } });
  assert.deepEqual(s.remote!.map((r) => r.tag), ['theirs']);
  assert.ok(b.winfo, 'the winfo subscriber is notified');
  b.undo();
  assert.equal(s.remote, null);
});

/** A store that refuses the next `stale` batches as stale and records the rest. */
class FakeStore implements Store {
  stale = 0;
  readonly batches: StoreOp[][] = [];
  #turn: { ops: readonly StoreOp[]; done: StoreDone }[] = [];
  rev = 100;
  get pending(): number {
    return 0;
  }
  submit(ops: readonly StoreOp[], done: StoreDone): void {
    this.#turn.push({ ops, done });
  }
  flush(): void {
    const turn = this.#turn;
    this.#turn = [];
    setImmediate(() => {
      for (const w of turn) {
        if (this.stale > 0) {
          this.stale--;
          w.done(new StaleError('changed elsewhere'));
        } else {
          this.batches.push([...w.ops]);
          w.done(null, ++this.rev);
        }
      }
    });
  }
  async restore(_now: number, _sink: RestoreSink) {
    return { registrations: 0, publications: 0, subscriptions: 0, dropped: 0 };
  }
  async close() {}
}

class FakeShared implements SharedState {
  pres: PresSnapshot = { rev: 0, pubs: [] };
  reg: RegSnapshot = { rev: 0, bindings: [] };
  fail = false;
  reads = 0;
  async loadPresentity(): Promise<PresSnapshot> {
    this.reads++;
    if (this.fail) throw new Error('down');
    return structuredClone(this.pres);
  }
  async loadBindings(): Promise<RegSnapshot> {
    this.reads++;
    if (this.fail) throw new Error('down');
    return structuredClone(this.reg);
  }
  async loadWatchers(): Promise<WatcherSnapshot> {
    return { rev: 0, subs: [] };
  }
}

function system() {
  const store = new FakeStore();
  const shared = new FakeShared();
  const notifier: NotifySink = { send: () => undefined, paced: () => false, delay: () => undefined };
  const sys = new ActorSystem(store, createLogger('silent'), { notifyTimeout: 'end', domain: [] }, notifier, sameUri);
  sys.share(shared);
  return { store, shared, sys };
}

test('a stale PUBLISH is read again and run again: one answer, decided on the fresh state', async () => {
  const { store, shared, sys } = system();
  shared.pres = { rev: 10, pubs: [pubRec('x', 'old', 'theirs')] };
  const a = sys.presentity(AOR);
  // Another node replaces the ETag after our read: our conditional PUBLISH is refused as stale…
  store.stale = 1;
  shared.pres = { rev: 11, pubs: [pubRec('x', 'newer', 'theirs')] };
  const r = rt();
  a.tell({ t: 'publish', rt: r, now: Date.now(), ifMatch: 'old', etag: 'mine', expires: 60, doc: doc('mine') });
  const spec = await r.next;
  // …and, run again on the fresh read, it gets the answer the fresh state deserves.
  assert.equal(spec.status, 412);
  assert.equal(r.got.length, 1, 'answered once');
  assert.ok(shared.reads >= 2);
  const r2 = rt();
  a.tell({ t: 'publish', rt: r2, now: Date.now(), ifMatch: 'newer', etag: 'mine2', expires: 60, doc: doc('mine') });
  assert.equal((await r2.next).status, 200);
  const last = store.batches.at(-1)!;
  assert.deepEqual(last[0], { t: 'check', kind: 'pres', aor: AOR, rev: 11 });
});

test('REGISTER with a shared store: a concurrent change elsewhere is merged, not overwritten; unreadable state answers 503', async () => {
  const { store, shared, sys } = system();
  const bob = 'sip:bob@example.com';
  const later = Date.now() + 600_000;
  shared.reg = { rev: 3, bindings: [{ contact: '<sip:b@one>', uri: 'sip:b@one', expiresAt: later, q: null, callId: 'c1', cseq: 1, instance: null }] };
  const a = sys.registration(bob);
  store.stale = 1;
  const r = rt();
  // Meanwhile another node added a binding: the stale write is redone on top of it.
  shared.reg = { rev: 4, bindings: [...shared.reg.bindings, { contact: '<sip:b@two>', uri: 'sip:b@two', expiresAt: later, q: null, callId: 'c2', cseq: 1, instance: null }] };
  a.tell({ t: 'register', rt: r, now: Date.now(), changes: [{ contact: '<sip:b@three>', uri: 'sip:b@three', expires: 600, q: null, instance: null }], callId: 'c3', cseq: 1 });
  const spec = await r.next;
  assert.equal(spec.status, 200);
  assert.equal((spec.headers!.match(/Contact:/g) ?? []).length, 3, spec.headers);
  const put = store.batches.at(-1)!;
  assert.deepEqual(put[0], { t: 'check', kind: 'reg', aor: bob, rev: 4 });

  shared.fail = true;
  const c = sys.registration('sip:carol@example.com');
  const r2 = rt();
  c.tell({ t: 'register', rt: r2, now: Date.now(), changes: null, callId: 'q', cseq: 1 });
  const s2 = await r2.next;
  assert.equal(s2.status, 503);
  assert.match(s2.headers ?? '', /Retry-After/);
});
