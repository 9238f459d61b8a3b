// Several ComSIPL nodes serving one population through one Redis/Valkey (README "Scale-out").
// This node's part of it:
//  - what the actors read (SharedState): publications and bindings as stored, before an
//    actor's first message and after a change elsewhere; batches are checked against the
//    version they build on (optimistic concurrency, the COMMIT script);
//  - change propagation: the script publishes a hint with every change; a node holding the
//    presentity (or registration) tells its actor, which reads the new state and notifies its
//    local watchers at once; lost hints are repaired by version checks (repair.ts);
//  - liveness and dialog ownership: a lease renewed every third of --node-ttl, dead nodes'
//    dialogs adopted by the survivors, hand-over between live nodes (ownership.ts);
//  - outages: while Redis is unreachable requests get 503 (the store is unavailable); when it
//    is back, the node renews its lease, compares every version it holds, checks which dialogs
//    are still its own, and adopts nothing until it has been connected for a whole lease.
import type { ActorSystem } from '../actors/system.js';
import type { PresSnapshot, RegSnapshot, SharedState, WatcherSnapshot } from '../actors/shared.js';
import type { RedisStore } from '../store/redis-store.js';
import type { Logger } from '../log.js';
import { parseChannelMsg } from './messages.js';
import { Ownership } from './ownership.js';
import { Repair } from './repair.js';

export interface ClusterOptions {
  /** Lease length, ms (--node-ttl). */
  leaseMs: number;
  /** Steady repair pace, ms between two steps. */
  repairMs?: number;
}

export class Cluster implements SharedState {
  readonly store: RedisStore;
  readonly ownership: Ownership;
  readonly repair: Repair;
  readonly #sys: ActorSystem;
  readonly #log: Logger;
  readonly #leaseMs: number;
  readonly #repairMs: number;
  #timer: NodeJS.Timeout | null = null;
  #lastBeat = 0;
  #lastRepair = 0;
  #lastSweep = 0;
  /** Since when the connection has been up without a break (0: down). */
  #upSince = 0;
  #wasDown = false;
  #busy = false;
  readonly counters = { hints: 0, hintsApplied: 0 };

  constructor(store: RedisStore, sys: ActorSystem, log: Logger, opts: ClusterOptions) {
    this.store = store;
    this.#sys = sys;
    this.#log = log;
    this.#leaseMs = opts.leaseMs;
    this.#repairMs = opts.repairMs ?? 1000;
    this.ownership = new Ownership(store, sys, log);
    this.repair = new Repair(store, sys);
    sys.share(this);
    sys.locator = this.ownership;
    store.onState((up) => this.#onState(up));
  }

  get node(): string {
    return this.store.node;
  }

  loadPresentity(aor: string): Promise<PresSnapshot> {
    return this.store.loadPresentity(aor, Date.now());
  }

  loadBindings(aor: string): Promise<RegSnapshot> {
    return this.store.loadBindings(aor, Date.now());
  }

  loadWatchers(aor: string): Promise<WatcherSnapshot> {
    return this.store.loadWatchers(aor);
  }

  /** After the store's restore (connected, lease taken): listen and keep time. */
  async start(): Promise<void> {
    await this.store.listen((text) => this.#onMessage(text));
    this.#upSince = Date.now();
    this.#lastBeat = Date.now();
    this.#wasDown = false;
    this.#timer = setInterval(() => this.#tick(), 100);
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    // A clean stop hands this node's dialogs to the others at their next sweep.
    if (this.store.available) await this.store.resign().catch(() => undefined);
  }

  #onState(up: boolean): void {
    if (!up) {
      if (this.#upSince !== 0) this.#log.warn({}, 'lost the store: requests get 503 until it is back');
      this.#upSince = 0;
      this.#wasDown = true;
      return;
    }
    if (this.#upSince !== 0 || this.#timer === null) return;
    this.#upSince = Date.now();
    this.#log.info({}, 'store reachable again: resynchronising');
  }

  async #resync(): Promise<void> {
    try {
      await this.store.heartbeat();
      this.#lastBeat = Date.now();
      const dropped = await this.ownership.verify();
      await this.repair.full();
      this.#wasDown = false;
      this.#log.info({ repaired: this.repair.repaired, dropped }, 'resynchronised');
    } catch (e) {
      this.#log.warn({ err: (e as Error).message }, 'resynchronisation failed; retried at the next reconnection or step');
    }
  }

  #onMessage(text: string): void {
    const m = parseChannelMsg(text);
    if (m === null) return;
    const me = this.node;
    switch (m.t) {
      case 'hint': {
        this.counters.hints++;
        if (m.node === me) return;
        if (m.kind === 'p') {
          const a = this.#sys.presentities.get(m.aor);
          if (a !== undefined) {
            this.counters.hintsApplied++;
            a.tell({ t: 'remote', rev: m.rev });
          }
        } else if (m.kind === 'w') {
          this.#sys.presentities.get(m.aor)?.tell({ t: 'remoteWatchers', rev: m.rev });
        } else if (m.kind === 'r') {
          const a = this.#sys.registrations.get(m.aor);
          if (a !== undefined) {
            this.counters.hintsApplied++;
            a.tell({ t: 'remote', rev: m.rev });
          }
        }
        return;
      }
      case 'ask':
        if (m.owner === me) this.ownership.onAsk(m.tag, m.asker);
        return;
      case 'answer':
        if (m.asker === me) this.ownership.onAnswer(m.tag, m.ok);
        return;
    }
  }

  #tick(): void {
    if (this.#busy || this.#upSince === 0) return;
    const now = Date.now();
    let work: Promise<unknown> | null = null;
    if (now - this.#lastBeat >= this.#leaseMs / 3) {
      this.#lastBeat = now;
      work = this.store.heartbeat();
    } else if (this.#wasDown) {
      work = this.#resync();
    } else if (now - this.#lastSweep >= 1000 && now - this.#upSince >= this.#leaseMs) {
      // Only after a whole lease connected: every live node has renewed its lease by then.
      this.#lastSweep = now;
      work = this.ownership.sweep();
    } else if (now - this.#lastRepair >= this.#repairMs) {
      this.#lastRepair = now;
      work = this.repair.step();
    }
    if (work === null) return;
    this.#busy = true;
    work.then(
      () => (this.#busy = false),
      (e: Error) => {
        this.#busy = false;
        // A lease renewal may have failed too (Redis refusing writes while connected): check
        // which dialogs are still ours, and compare versions, once steps work again.
        this.#wasDown = true;
        this.#log.warn({ err: e.message }, 'cluster step failed');
      },
    );
  }
}
