// Memory per active subscription and restore time: N watcher dialogs (default 100,000; set
// SUBS=1000000 for the million) held by the actor system as the server holds them after a
// SUBSCRIBE (Sub objects, presentity maps, the directory, the expiry wheel), then written to
// presence_w.fdb and restored as at a restart.
// Run with --expose-gc for exact heap figures: node --expose-gc dist/bench/actors/subscription-memory.bench.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ActorSystem } from '../../src/actors/system.js';
import { CSEQ_BLOCK } from '../../src/actors/subscription.js';
import { FdbStore } from '../../src/store/fdb-store.js';
import type { StoreOp, SubscriptionRecord } from '../../src/store/records.js';
import { sameUri } from '../../src/core/register.js';
import { createLogger } from '../../src/log.js';
import { isMain } from '../support/report.js';

const PER = Number(process.env.WATCHERS ?? 10);
const NO_NOTIFY = { send: () => undefined, paced: () => false, delay: () => undefined };
const CFG = { notifyTimeout: 'end' as const, domain: [] };

function record(i: number, now: number): SubscriptionRecord {
  const p = `sip:user${Math.floor(i / PER)}@example.com`;
  return {
    tag: `srvtag${i}x`, aor: p, event: 'presence', eventId: null, callId: `a84b4c76e66710-${i}@192.0.2.4`, remoteTag: `wtag${i}`,
    localUri: `<${p}>`, remoteUri: `<sip:watcher${i}@example.com>`, watcherAor: '', entity: p,
    target: `sip:watcher${i}@192.0.2.4:5060`, routes: [], expiresAt: now + 3_600_000, remoteCseq: 1, cseqReserved: CSEQ_BLOCK,
    state: 'active', polite: false, source: '192.0.2.4 5060',
  };
}

function heap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function commit(store: FdbStore, ops: StoreOp[]): Promise<void> {
  return new Promise((res, rej) => {
    store.submit(ops, (e) => (e ? rej(e) : res()));
    store.flush();
  });
}

export async function run(): Promise<void> {
  const n = Number(process.env.SUBS ?? 100_000);
  console.log(`# subscription-memory (node ${process.version}, ${n} subscriptions, ${PER} per presentity${(globalThis as { gc?: unknown }).gc ? '' : ', no --expose-gc: approximate'})`);
  const dir = mkdtempSync(join(tmpdir(), 'subs-bench-'));
  const log = createLogger('silent');
  const store = FdbStore.open(dir);
  try {
    const now = Date.now();
    const sys = new ActorSystem(store, log, CFG, NO_NOTIFY, sameUri, now);
    const sink = sys.restoreSink();
    const before = heap();
    for (let i = 0; i < n; i++) {
      const rec = sys.intern(record(i, now));
      sink.subscription(rec);
    }
    const held = heap() - before;
    // sys is used below: an optimized frame may otherwise drop it, and the heap with it, before
    // the measurement.
    console.log(`heap per active subscription: ${(held / n).toFixed(0)} bytes (${(held / 1048576).toFixed(1)} MiB for ${sys.subscriptions} dialogs, ${sys.presentities.size} presentities)`);
    let t0 = performance.now();
    const chunk = 10_000;
    for (let i = 0; i < n; i += chunk) {
      const ops: StoreOp[] = [];
      for (let k = i; k < Math.min(n, i + chunk); k++) ops.push({ t: 'putSub', rec: record(k, now) });
      await commit(store, ops);
    }
    console.log(`persist ${n} subscriptions (durable, ${chunk} per commit): ${(performance.now() - t0).toFixed(0)} ms`);
    await store.close();
    const store2 = FdbStore.open(dir);
    t0 = performance.now();
    const sys2 = new ActorSystem(store2, log, CFG, NO_NOTIFY, sameUri, Date.now());
    const r = await store2.restore(Date.now(), sys2.restoreSink());
    console.log(`restore ${r.subscriptions} subscriptions (read + rebuild actors, directory and timers): ${(performance.now() - t0).toFixed(0)} ms`);
    await store2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await run();
