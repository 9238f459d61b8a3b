// The fdb store: both files created, one commit per flush with each submitter told once,
// writes read back at restore, expired rows dropped first, 0.1 subscription records upgraded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { FdbStore, PRESENCE_FILE, REGISTERED_FILE } from '../../src/store/fdb-store.js';
import type { BindingRecord, PublicationRecord, RestoreSink, StoreOp, SubscriptionRecord } from '../../src/store/records.js';

function commit(store: FdbStore, ops: StoreOp[]): Promise<void> {
  return new Promise((resolve, reject) => {
    store.submit(ops, (err) => (err === null ? resolve() : reject(err)));
    store.flush();
  });
}

function collect(): { sink: RestoreSink; pubs: PublicationRecord[]; subs: SubscriptionRecord[]; regs: Map<string, BindingRecord[]> } {
  const out = { pubs: [] as PublicationRecord[], subs: [] as SubscriptionRecord[], regs: new Map<string, BindingRecord[]>() };
  return {
    ...out,
    sink: { publication: (p) => out.pubs.push(p), subscription: (s) => out.subs.push({ ...s }), bindings: (a, b) => out.regs.set(a, b) },
  };
}

const sub = (tag: string, expiresAt: number): SubscriptionRecord => ({
  tag, aor: 'sip:a@h', event: 'presence', eventId: null, callId: `c-${tag}`, remoteTag: 'r', localUri: '<sip:a@h>', remoteUri: '<sip:w@h>',
  watcherAor: 'sip:w@h', entity: 'sip:a@h', target: 'sip:w@127.0.0.1:5099', routes: [], expiresAt, remoteCseq: 1, cseqReserved: 100,
  state: 'active', polite: false, source: '127.0.0.1 5099',
});

test('restore returns live rows and deletes expired ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fdb-test-'));
  try {
    const now = Date.now();
    let store = FdbStore.open(dir);
    assert.ok(existsSync(join(dir, PRESENCE_FILE)) && existsSync(join(dir, REGISTERED_FILE)));
    const doc = { entity: 'sip:a@h', elements: [] };
    const b = (uri: string, at: number) => ({ contact: `<${uri}>`, uri, expiresAt: at, q: null, callId: 'c', cseq: 1, instance: null });
    // Everything in one flush: one commit per file, every submitter told.
    let told = 0;
    const ops: StoreOp[][] = [
      [{ t: 'putPub', rec: { aor: 'sip:a@h', id: 'p1', etag: 'live', expiresAt: now + 60_000, modified: now, doc } }],
      [{ t: 'putPub', rec: { aor: 'sip:a@h', id: 'p2', etag: 'dead', expiresAt: now - 1, modified: now, doc } }],
      [{ t: 'putBindings', aor: 'sip:a@h', bindings: [b('sip:a@1', now + 60_000), b('sip:a@2', now - 1)] }],
      [{ t: 'putBindings', aor: 'sip:gone@h', bindings: [b('sip:g@1', now - 1)] }],
      [{ t: 'putSub', rec: sub('s1', now + 60_000) }, { t: 'putSub', rec: sub('s2', now - 1) }],
    ];
    await new Promise<void>((resolve, reject) => {
      for (const o of ops) store.submit(o, (err) => (err !== null ? reject(err) : ++told === ops.length && resolve()));
      assert.equal(store.pending, 6);
      store.flush();
    });
    assert.equal(store.pending, 0);
    // A refresh is one write under the publication's stable id.
    await commit(store, [{ t: 'putPub', rec: { aor: 'sip:a@h', id: 'p1', etag: 'live2', expiresAt: now + 60_000, modified: now, doc } }]);
    await store.close();

    store = FdbStore.open(dir);
    const c = collect();
    const r = await store.restore(now, c.sink);
    assert.deepEqual(c.pubs.map((p) => p.etag), ['live2']);
    assert.deepEqual([...c.regs.keys()], ['sip:a@h']);
    assert.deepEqual(c.regs.get('sip:a@h')!.map((x) => x.uri), ['sip:a@1']);
    assert.deepEqual(c.subs.map((s) => s.tag), ['s1']);
    assert.deepEqual(r, { registrations: 1, publications: 1, subscriptions: 1, dropped: 4 });
    await store.close();

    store = FdbStore.open(dir);
    const again = await store.restore(now, collect().sink);
    assert.equal(again.dropped, 0, 'expired rows were deleted, not just skipped');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('subscriptions written by 0.1 come back in the new shape; ended ones are dropped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fdb-legacy-'));
  try {
    const now = Date.now();
    const db = open({ path: join(dir, PRESENCE_FILE), noSubdir: true, compression: false });
    const old = {
      id: 'tg1', aor: 'sip:a@h', entity: 'sip:a@h', event: 'presence', eventId: null, callId: 'cid', localTag: 'tg1', remoteTag: 'rt',
      localUri: '<sip:a@h>', remoteUri: '<sip:w@h>', watcherAor: 'sip:w@h', remoteTarget: 'sip:w@127.0.0.1:5099', routeSet: [],
      localCseq: 7, cseqReserved: 100, remoteCseq: 3, expiresAt: now + 60_000, state: 'active', polite: false,
      source: { address: '127.0.0.1', port: 5099 },
    };
    await db.put(['sub', 'tg1'], old);
    await db.put(['sub', 'tg2'], { ...old, id: 'tg2', localTag: 'tg2', state: 'terminated' });
    await db.put(['pub', 'sip:a@h', 'etag0'], { aor: 'sip:a@h', etag: 'etag0', expiresAt: now + 60_000, modified: now, doc: { entity: 'sip:a@h', elements: [] } });
    await db.close();
    const store = FdbStore.open(dir);
    const c = collect();
    const r = await store.restore(now, c.sink);
    assert.equal(r.dropped, 1);
    assert.equal(c.subs.length, 1);
    assert.equal(c.subs[0]!.tag, 'tg1');
    assert.equal(c.subs[0]!.target, 'sip:w@127.0.0.1:5099');
    assert.equal(c.subs[0]!.source, '127.0.0.1 5099');
    assert.equal(c.pubs[0]!.id, 'etag0', 'a 0.1 publication is keyed by its ETag');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
