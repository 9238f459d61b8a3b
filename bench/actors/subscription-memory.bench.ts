// Memory per active subscription and restore time: N watcher dialogs (default 100,000; set
// SUBS=1000000 for the million) held by the actor system, as the server holds them after a
// SUBSCRIBE, then written to presence_w.fdb and restored as at a restart.
// Run with --expose-gc for exact heap figures: node --expose-gc dist/bench/actors/subscription-memory.bench.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ActorSystem, CSEQ_BLOCK } from '../../src/actors/system.js';
import { FdbStore, type SubscriptionRecord } from '../../src/store/fdb-store.js';
import { createLogger } from '../../src/log.js';
import { isMain } from '../support/report.js';

const PER = Number(process.env.WATCHERS ?? 10);

function record(i: number, now: number): SubscriptionRecord {
  const callId = `a84b4c76e66710-${i}@192.0.2.4`;
  return {
    id: `${callId}\nsrvtag${i}\nwtag${i}\npresence\n`,
    aor: `sip:user${Math.floor(i / PER)}@example.com`,
    entity: `sip:user${Math.floor(i / PER)}@example.com`,
    event: 'presence', eventId: null, callId, localTag: `srvtag${i}`, remoteTag: `wtag${i}`,
    localUri: `<sip:user${Math.floor(i / PER)}@example.com>`, remoteUri: `<sip:watcher${i}@example.com>`,
    watcherAor: `sip:watcher${i}@example.com`, remoteTarget: `sip:watcher${i}@192.0.2.4:5060`, routeSet: [],
    localCseq: 1, cseqReserved: CSEQ_BLOCK, remoteCseq: 1, expiresAt: now + 3_600_000,
    state: 'active', polite: false, source: { address: '192.0.2.4', port: 5060 },
  };
}

function heap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

export async function run(): Promise<void> {
  const n = Number(process.env.SUBS ?? 100_000);
  console.log(`# subscription-memory (node ${process.version}, ${n} subscriptions, ${PER} per presentity${(globalThis as { gc?: unknown }).gc ? '' : ', no --expose-gc: approximate'})`);
  const dir = mkdtempSync(join(tmpdir(), 'subs-bench-'));
  const log = createLogger('silent');
  const store = FdbStore.open(dir);
  try {
    const now = Date.now();
    const sys = new ActorSystem(store, [], log, now);
    const before = heap();
    for (let i = 0; i < n; i++) sys.addSubscription({ rec: record(i, now), inFlight: false, dirty: false, ending: null, ended: false, transient: false });
    const held = heap() - before;
    console.log(`heap per active subscription: ${(held / n).toFixed(0)} bytes (${(held / 1048576).toFixed(1)} MiB for ${n})`);
    let t0 = performance.now();
    const chunk = 10_000;
    const all = [...sys.subscriptions.values()];
    for (let i = 0; i < all.length; i += chunk) await Promise.all(all.slice(i, i + chunk).map((s) => store.putSubscription(s.rec)));
    console.log(`persist ${n} subscriptions: ${(performance.now() - t0).toFixed(0)} ms`);
    await store.close();
    const store2 = FdbStore.open(dir);
    t0 = performance.now();
    const restored = await store2.restore(Date.now());
    const sys2 = new ActorSystem(store2, [], log, Date.now());
    sys2.load(restored.registrations, restored.publications, restored.subscriptions);
    console.log(`restore ${restored.subscriptions.length} subscriptions (read + rebuild actors and timers): ${(performance.now() - t0).toFixed(0)} ms`);
    await store2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await run();
