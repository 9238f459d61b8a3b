// A store that refuses writes (a full disk: LMDB fails the commit with ENOSPC/MDB_MAP_FULL)
// must cost the request a 500 with Retry-After, never a 200 for a change that is not on disk;
// the actor's state stays exactly the committed one (a later change is never overwritten by a
// rollback), and the files restore to exactly the acknowledged state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FdbStore } from '../../src/store/fdb-store.js';
import type { Store, StoreDone } from '../../src/store/store.js';
import type { BindingRecord, PublicationRecord, RestoreSink, StoreOp, SubscriptionRecord } from '../../src/store/records.js';
import { ActorSystem } from '../../src/actors/system.js';
import type { NotifySink } from '../../src/actors/presentity-actor.js';
import { handleRegister, sameUri } from '../../src/core/register.js';
import { handlePublish } from '../../src/core/publish.js';
import { handleSubscribe } from '../../src/core/subscribe.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { PIDF } from '../support/sip-ua.js';
import { head, makeRequest } from '../support/request.js';

/** The real store, refusing whole batches while `full` is on (as a failed commit would). */
class FailingStore implements Store {
  full = false;
  constructor(readonly real: FdbStore) {}
  get pending(): number {
    return this.real.pending;
  }
  submit(ops: readonly StoreOp[], done: StoreDone): void {
    if (this.full) setImmediate(() => done(new Error('MDB_MAP_FULL: Environment mapsize limit reached')));
    else this.real.submit(ops, done);
  }
  flush(): void {
    this.real.flush();
  }
  restore(now: number, sink: RestoreSink) {
    return this.real.restore(now, sink);
  }
  close() {
    return this.real.close();
  }
}

function fixture(dir: string) {
  const cfg = loadConfig(['--data', dir], {});
  const store = new FailingStore(FdbStore.open(dir));
  const sent: string[] = [];
  const notifier: NotifySink = { send: (sub) => sent.push(sub.tag), paced: () => false, delay: () => undefined };
  const sys = new ActorSystem(store, createLogger('silent'), cfg, notifier, sameUri);
  const deps = { sys, cfg, contactFor: () => '<sip:127.0.0.1:5060>', authorize: () => 'allow' as const };
  return { cfg, store, sent, sys, deps };
}

test('disk full: REGISTER, PUBLISH and SUBSCRIBE get 500 + Retry-After, nothing is announced, the files restore the acknowledged state', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-full-'));
  const { cfg, store, sent, sys, deps } = fixture(dir);
  const alice = 'sip:alice@127.0.0.1';
  try {
    const reg = (contact: string) => makeRequest([...head('REGISTER', 'sip:127.0.0.1', alice, alice, `r-${contact}`), `Contact: <sip:alice@${contact}>`]);
    const r1 = reg('10.0.0.1:5060');
    handleRegister(r1.req, sys, cfg);
    assert.equal((await r1.answer).status, 200);

    store.full = true;
    const r2 = reg('10.0.0.2:5060');
    handleRegister(r2.req, sys, cfg);
    const a2 = await r2.answer;
    assert.equal(a2.status, 500);
    assert.match(a2.headers ?? '', /Retry-After: \d+/);
    assert.deepEqual(sys.registrations.get(alice)!.live(Date.now()).map((b) => b.uri), ['sip:alice@10.0.0.1:5060'], 'state is the committed one');

    const p = makeRequest([...head('PUBLISH', alice, alice, alice, 'p1'), 'Event: presence', 'Content-Type: application/pidf+xml'], PIDF(alice, 'open'));
    handlePublish(p.req, sys, cfg);
    const pa = await p.answer;
    assert.equal(pa.status, 500);
    assert.match(pa.headers ?? '', /Retry-After/);
    assert.equal(sys.presentities.get(alice)?.state.pubs?.size ?? 0, 0);

    const s = makeRequest([...head('SUBSCRIBE', alice, 'sip:bob@127.0.0.1', alice, 's1'), 'Event: presence', 'Contact: <sip:bob@127.0.0.1:5099>', 'Expires: 600']);
    handleSubscribe(s.req, deps);
    assert.equal((await s.answer).status, 500);
    assert.equal(sys.subscriptions, 0);
    assert.deepEqual(sent, [], 'no NOTIFY for anything refused');

    store.full = false;
    await store.close();
    const again = FdbStore.open(dir);
    const regs = new Map<string, BindingRecord[]>();
    const pubs: PublicationRecord[] = [];
    const subs: SubscriptionRecord[] = [];
    await again.restore(Date.now(), { bindings: (a, b) => regs.set(a, b), publication: (x) => pubs.push(x), subscription: (x) => subs.push({ ...x }) });
    assert.deepEqual([...regs.keys()], [alice]);
    assert.deepEqual(regs.get(alice)!.map((b) => b.uri), ['sip:alice@10.0.0.1:5060']);
    assert.equal(pubs.length + subs.length, 0);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed batch is undone exactly: the request queued behind it builds on the committed state', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-undo-'));
  const { cfg, store, sys } = fixture(dir);
  const alice = 'sip:alice@127.0.0.1';
  try {
    const reg = (contact: string, cseq: number) => makeRequest([...head('REGISTER', 'sip:127.0.0.1', alice, alice, 'same-call', cseq), `Contact: <sip:alice@${contact}>`]);
    const first = reg('10.0.0.1:5060', 1);
    handleRegister(first.req, sys, cfg);
    assert.equal((await first.answer).status, 200);
    // The second REGISTER arrives while the first one's commit is in flight: the actor takes
    // no message until that commit fails and is undone, then builds on the committed bindings.
    store.full = true;
    const failing = reg('10.0.0.2:5060', 2);
    handleRegister(failing.req, sys, cfg);
    await new Promise((r) => setImmediate(r)); // the first batch is submitted
    store.full = false;
    const after = reg('10.0.0.3:5060', 3);
    handleRegister(after.req, sys, cfg);
    assert.equal((await failing.answer).status, 500);
    assert.equal((await after.answer).status, 200);
    assert.deepEqual(sys.registrations.get(alice)!.live(Date.now()).map((b) => b.uri).sort(), ['sip:alice@10.0.0.1:5060', 'sip:alice@10.0.0.3:5060']);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the store queue is counted while commits are pending', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-q-'));
  const real = FdbStore.open(dir);
  try {
    const b = (u: string): BindingRecord => ({ contact: `<${u}>`, uri: u, expiresAt: Date.now() + 60_000, q: null, callId: 'c', cseq: 1, instance: null });
    const done = Promise.all(['a', 'b'].map((x) => new Promise<void>((res, rej) => real.submit([{ t: 'putBindings', aor: `sip:${x}@x`, bindings: [b(`sip:${x}@h`)] }], (e) => (e ? rej(e) : res())))));
    assert.equal(real.pending, 2);
    real.flush();
    await done;
    assert.equal(real.pending, 0);
  } finally {
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
