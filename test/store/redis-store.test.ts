// The shared store against a real redis-server on loopback (CI's, or one started here): group
// commit in one script call, version checks refusing exactly the stale batch, dialog owners
// fencing writes, restore of a node's own dialogs, adoption of a dead node's dialogs and
// hand-over, the lost script cache, and an outage (fail fast, then back by itself).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { RedisStore } from '../../src/store/redis-store.js';
import { StaleError, StoreUnavailableError } from '../../src/store/store.js';
import { StoreError } from '../../src/store/fdb-store.js';
import type { PublicationRecord, RestoreSink, StoreOp, SubscriptionRecord } from '../../src/store/records.js';
import { createLogger } from '../../src/log.js';
import { freePort, startRedisServer, testCluster, testRedis } from '../support/redis.js';

const log = createLogger('silent');
const opened: RedisStore[] = [];

function store(url: string, cluster: string, node: string, leaseMs = 60_000): RedisStore {
  const s = new RedisStore(url, { cluster, node, log, incarnation: 'i', leaseMs, connectTimeoutMs: 3000 });
  opened.push(s);
  return s;
}

after(async () => {
  for (const s of opened) await s.close();
});

const sink = (subs: SubscriptionRecord[] = []): RestoreSink => ({ bindings: () => undefined, publication: () => undefined, subscription: (r) => subs.push(r) });

/** Submits the batches in one turn and flushes: one commit. */
function commit(s: RedisStore, batches: StoreOp[][]): Promise<{ err: Error | null; rev?: number }[]> {
  const results: Promise<{ err: Error | null; rev?: number }>[] = [];
  for (const ops of batches) results.push(new Promise((resolve) => s.submit(ops, (err, rev) => resolve({ err, rev }))));
  s.flush();
  return Promise.all(results);
}

/** One raw command over its own connection (what an operator's redis-cli would do). */
function raw(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1', () => c.write(`${line}\r\n`));
    c.once('data', (d) => {
      c.destroy();
      resolve(d.toString());
    });
    c.once('error', reject);
  });
}

const pub = (aor: string, id: string, etag: string, note: string): PublicationRecord => ({
  aor, id, etag, expiresAt: Date.now() + 600_000, modified: Date.now(), doc: { entity: aor, elements: [{ kind: 'note', id: null, xml: `<note>${note}</note>`, timestamp: null, basic: null }] },
});

const sub = (aor: string, tag: string): SubscriptionRecord => ({
  tag, aor, event: 'presence', eventId: null, callId: `c-${tag}`, remoteTag: 'r', localUri: `<${aor}>`, remoteUri: '<sip:w@x>', watcherAor: '',
  entity: aor, target: 'sip:w@127.0.0.1:5099', routes: [], expiresAt: Date.now() + 600_000, remoteCseq: 1, cseqReserved: 100, state: 'active', polite: false, source: '127.0.0.1 5099',
});

test('one script call per turn; a stale batch is refused alone; versions grow; records read back', async () => {
  const { url, port } = await testRedis();
  const s = store(url, testCluster(), 'n1');
  await s.restore(Date.now(), sink());
  const alice = 'sip:alice@x';
  const bob = 'sip:bob@x';
  const before = s.counters.commits;
  const [a, b] = await commit(s, [
    [{ t: 'check', kind: 'pres', aor: alice, rev: 0 }, { t: 'putPub', rec: pub(alice, 'e1', 'e1', 'one') }],
    [{ t: 'check', kind: 'reg', aor: bob, rev: 0 }, { t: 'putBindings', aor: bob, bindings: [{ contact: '<sip:b@h>', uri: 'sip:b@h', expiresAt: Date.now() + 60_000, q: null, callId: 'c', cseq: 1, instance: null }] }],
  ]);
  assert.equal(s.counters.commits, before + 1, 'one script call for the turn');
  assert.equal(a!.err, null);
  assert.equal(b!.err, null);
  assert.ok(a!.rev! > 0 && b!.rev! > a!.rev!, 'versions come from one growing sequence');

  // A batch built on an old version is refused whole; the other one of the turn commits.
  const [stale, fresh] = await commit(s, [
    [{ t: 'check', kind: 'pres', aor: alice, rev: 0 }, { t: 'putPub', rec: pub(alice, 'e2', 'e2', 'lost') }],
    [{ t: 'check', kind: 'pres', aor: alice, rev: a!.rev! }, { t: 'putPub', rec: pub(alice, 'e1', 'e3', 'two') }],
  ]);
  assert.ok(stale!.err instanceof StaleError);
  assert.equal(fresh!.err, null);
  const p = await s.loadPresentity(alice, Date.now());
  assert.equal(p.rev, fresh!.rev);
  assert.deepEqual(p.pubs.map((x) => [x.id, x.etag]), [['e1', 'e3']], 'nothing of the stale batch was written');
  assert.equal((await s.loadBindings(bob, Date.now())).bindings.length, 1);

  // The script cache lost (as after a Redis restart): EVAL once, then on as before.
  assert.match(await raw(port, 'SCRIPT FLUSH'), /^\+OK/);
  const [c] = await commit(s, [[{ t: 'check', kind: 'pres', aor: alice, rev: fresh!.rev! }, { t: 'delPub', aor: alice, id: 'e1' }]]);
  assert.equal(c!.err, null);
  assert.deepEqual((await s.loadPresentity(alice, Date.now())).pubs, []);
});

test('dialogs: written by their owner only, restored by it, adopted when it is dead, handed over when asked', async () => {
  const { url } = await testRedis();
  const cluster = testCluster();
  const one = store(url, cluster, 'one', 300);
  const two = store(url, cluster, 'two');
  await one.restore(Date.now(), sink());
  await two.restore(Date.now(), sink());
  const aor = 'sip:carol@x';
  const [w] = await commit(one, [[{ t: 'putSub', rec: sub(aor, 'd1') }, { t: 'putSub', rec: sub(aor, 'd2') }]]);
  assert.equal(w!.err, null);
  // Another node may not write a dialog it does not notify.
  const [x] = await commit(two, [[{ t: 'putSub', rec: { ...sub(aor, 'd1'), cseqReserved: 5 } }]]);
  assert.ok(x!.err instanceof StaleError);
  assert.equal((await two.loadWatchers(aor)).subs.length, 2);
  assert.deepEqual(await two.claim('d1', false), { t: 'owned', node: 'one' }, 'a live owner keeps it');

  // A restart of node "one" streams its own dialogs back.
  const again: SubscriptionRecord[] = [];
  const oneAgain = store(url, cluster, 'one', 300);
  await oneAgain.restore(Date.now(), sink(again));
  assert.deepEqual(again.map((r) => r.tag).sort(), ['d1', 'd2']);

  // Hand-over: the owner records the asker; then the asker's claim finds it its own.
  assert.deepEqual(await oneAgain.claim('d1', true, 'two'), { t: 'ours', aor });
  assert.deepEqual(await two.claim('d1', false), { t: 'ours', aor });

  // "one" dies (its lease runs out): "two" adopts what is left, and the dead node is forgotten.
  await new Promise((r) => setTimeout(r, 400));
  assert.deepEqual(await two.peers(), [{ node: 'one', alive: false }]);
  assert.deepEqual(await two.adopt('one', 100), [{ tag: 'd2', aor }]);
  assert.deepEqual(await two.peers(), []);
  assert.deepEqual(await two.owners(['d1', 'd2', 'nope']), ['two', 'two', null]);
  const [y] = await commit(two, [[{ t: 'putSub', rec: { ...sub(aor, 'd2'), cseqReserved: 200 } }, { t: 'delSub', tag: 'd1' }]]);
  assert.equal(y!.err, null);
  assert.deepEqual((await two.loadWatchers(aor)).subs.map((r) => [r.tag, r.cseqReserved]), [['d2', 200]]);
});

test('Redis unreachable: a clear error at start; an outage fails writes at once as unavailable, and the store is back by itself', async () => {
  const port = await freePort();
  const nobody = store(`redis://127.0.0.1:${port}`, testCluster(), 'n');
  await assert.rejects(nobody.restore(Date.now(), sink()), (e: Error) => e instanceof StoreError && /cannot reach the store at redis:\/\/127\.0\.0\.1/.test(e.message));

  const dir = mkdtempSync(join(tmpdir(), 'comsipl-redis-outage-'));
  let proc = await startRedisServer(port, dir);
  try {
    const s = store(`redis://127.0.0.1:${port}`, testCluster(), 'n');
    await s.restore(Date.now(), sink());
    const [ok] = await commit(s, [[{ t: 'putPub', rec: pub('sip:d@x', 'a', 'a', 'kept') }]]);
    assert.equal(ok!.err, null);
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
    for (let i = 0; i < 50 && s.available; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(s.available, false);
    const [down] = await commit(s, [[{ t: 'putPub', rec: pub('sip:d@x', 'b', 'b', 'refused') }]]);
    assert.ok(down!.err instanceof StoreUnavailableError, String(down!.err));
    proc = await startRedisServer(port, dir);
    for (let i = 0; i < 100 && !s.available; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.available, true, 'reconnected without being told');
    const p = await s.loadPresentity('sip:d@x', Date.now());
    assert.deepEqual(p.pubs.map((x) => x.id), ['a'], 'the acknowledged write survived the SIGKILL (AOF, fsync always)');
  } finally {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
