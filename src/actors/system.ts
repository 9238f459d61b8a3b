// The actor registry on the main thread: per-AoR registration state, per-AoR presentity
// actors, the watcher dialogs, one timer wheel for every expiry, and the fdb store behind
// them. Each state change is applied in memory, committed (group commit) and only then
// acknowledged; a failed commit puts the previous state back.
import type { FdbStore, BindingRecord, PublicationRecord, SubscriptionRecord } from '../store/fdb-store.js';
import { PresentityActor } from './presentity-actor.js';
import { TimerWheel } from './timer-wheel.js';
import { expireBindings } from './registration-actor.js';
import type { Logger } from '../log.js';

/** A watcher dialog at run time: its persisted record plus NOTIFY pacing state. */
export interface Subscription {
  rec: SubscriptionRecord;
  inFlight: boolean;
  dirty: boolean;
  /** Set once the final (terminated) NOTIFY is decided: reason, and whether it was sent. */
  ending: string | null;
  ended: boolean;
  /** Keep in memory only (fetch, i.e. an initial SUBSCRIBE with Expires 0). */
  transient: boolean;
  /** Set when the final NOTIFY must carry no state (the watcher was pending or is rejected). */
  withheld?: boolean;
  /** Earliest time (ms) the next state NOTIFY may leave (--notify-min-interval); 0 = now. */
  holdUntil?: number;
  /** RFC 3858 §5 event of the watcher's last state change, shown to winfo subscribers. */
  winfoEvent?: 'subscribe' | 'approved' | 'rejected' | 'timeout' | 'deactivated' | 'noresource' | 'giveup';
}

/** The set of an actor a subscription belongs to: watchers of the state, or of the watcher list. */
function setOf(actor: PresentityActor, sub: Subscription): Set<string> {
  return sub.rec.event === 'presence.winfo' ? actor.winfo : actor.watchers;
}

export interface ExpiryHandlers {
  publicationExpired(actor: PresentityActor, rec: PublicationRecord): void;
  subscriptionExpired(sub: Subscription): void;
}

/** CSeq values reserved per persisted write: NOTIFY CSeqs resume above them after a restart. */
export const CSEQ_BLOCK = 100;

export class ActorSystem {
  readonly registrations = new Map<string, BindingRecord[]>();
  readonly presentities = new Map<string, PresentityActor>();
  readonly subscriptions = new Map<string, Subscription>();
  readonly #wheel: TimerWheel<string>;
  readonly #store: FdbStore;
  readonly #domains: ReadonlySet<string>;
  readonly #log: Logger;
  handlers: ExpiryHandlers | null = null;
  /** Store writes issued and not yet committed (or failed): the fdb write queue's length. */
  pendingWrites = 0;

  constructor(store: FdbStore, domains: readonly string[], log: Logger, now: number) {
    this.#store = store;
    this.#domains = new Set(domains.map((d) => d.toLowerCase()));
    this.#log = log;
    this.#wheel = new TimerWheel<string>(1000, now);
  }

  get store(): FdbStore {
    return this.#store;
  }

  /** Counts a store write while it waits for its group commit (STYLE rule 7: a bounded fdb queue). */
  #track<T>(p: Promise<T>): Promise<T> {
    this.pendingWrites++;
    const done = (): void => {
      this.pendingWrites--;
    };
    p.then(done, done);
    return p;
  }

  servesDomain(host: string): boolean {
    return this.#domains.size === 0 || this.#domains.has(host.toLowerCase());
  }

  // ---- registrations --------------------------------------------------------------------

  bindingsOf(aor: string, now: number): BindingRecord[] {
    return (this.registrations.get(aor) ?? []).filter((b) => b.expiresAt > now);
  }

  async setBindings(aor: string, bindings: BindingRecord[], now: number): Promise<void> {
    const before = this.registrations.get(aor);
    if (bindings.length === 0) this.registrations.delete(aor);
    else this.registrations.set(aor, bindings);
    for (const b of bindings) this.#wheel.schedule(b.expiresAt, `r\n${aor}`);
    try {
      await this.#track(this.#store.putBindings(aor, bindings));
    } catch (err) {
      if (before === undefined) this.registrations.delete(aor);
      else this.registrations.set(aor, before);
      this.#log.error({ aor, err: (err as Error).message, now }, 'registration commit failed');
      throw err;
    }
  }

  // ---- presentities ---------------------------------------------------------------------

  presentity(aor: string): PresentityActor {
    let a = this.presentities.get(aor);
    if (a === undefined) {
      a = new PresentityActor(aor);
      this.presentities.set(aor, a);
    }
    return a;
  }

  /** Passivation: an actor with no publications and no watchers holds no memory. */
  release(actor: PresentityActor): void {
    if (actor.idle) this.presentities.delete(actor.aor);
  }

  /** Applies a publication change, commits it, restores the old state if the commit fails. */
  async commitPublication(actor: PresentityActor, rec: PublicationRecord | null, oldEtag: string | null): Promise<void> {
    const prev = oldEtag === null ? undefined : actor.pubs.get(oldEtag);
    if (rec !== null) {
      actor.put(rec, oldEtag);
      this.#wheel.schedule(rec.expiresAt, `p\n${actor.aor}\n${rec.etag}`);
    } else if (oldEtag !== null) actor.pubs.delete(oldEtag);
    const writes: Promise<boolean>[] = [];
    if (oldEtag !== null) writes.push(this.#track(this.#store.removePublication(actor.aor, oldEtag)));
    if (rec !== null) writes.push(this.#track(this.#store.putPublication(rec)));
    try {
      await Promise.all(writes);
    } catch (err) {
      if (rec !== null) actor.pubs.delete(rec.etag);
      if (prev !== undefined) actor.pubs.set(prev.etag, prev);
      this.#log.error({ aor: actor.aor, err: (err as Error).message }, 'publication commit failed');
      throw err;
    }
  }

  // ---- subscriptions --------------------------------------------------------------------

  addSubscription(sub: Subscription): void {
    this.subscriptions.set(sub.rec.id, sub);
    setOf(this.presentity(sub.rec.aor), sub).add(sub.rec.id);
    this.#wheel.schedule(sub.rec.expiresAt, `s\n${sub.rec.id}`);
  }

  persistSubscription(sub: Subscription): Promise<boolean> {
    if (sub.transient) return Promise.resolve(true);
    return this.#track(this.#store.putSubscription(sub.rec));
  }

  rescheduleSubscription(sub: Subscription): void {
    this.#wheel.schedule(sub.rec.expiresAt, `s\n${sub.rec.id}`);
  }

  removeSubscription(sub: Subscription): void {
    sub.ended = true;
    this.subscriptions.delete(sub.rec.id);
    const actor = this.presentities.get(sub.rec.aor);
    if (actor !== undefined) {
      setOf(actor, sub).delete(sub.rec.id);
      this.release(actor);
    }
    if (!sub.transient) {
      this.#track(this.#store.removeSubscription(sub.rec.id)).catch((err: Error) => this.#log.error({ err: err.message, sub: sub.rec.id }, 'subscription delete failed'));
    }
  }

  /** Next CSeq for a NOTIFY; every CSEQ_BLOCK values the high-water mark is persisted. */
  nextCseq(sub: Subscription): number {
    const r = sub.rec;
    r.localCseq++;
    if (r.localCseq >= r.cseqReserved) {
      r.cseqReserved = r.localCseq + CSEQ_BLOCK;
      this.persistSubscription(sub).catch((err: Error) => this.#log.error({ err: err.message, sub: r.id }, 'cseq reservation failed'));
    }
    return r.localCseq;
  }

  // ---- expiry ---------------------------------------------------------------------------

  tick(now: number): void {
    this.#wheel.advance(now, (key) => this.#fire(key, now));
  }

  #fire(key: string, now: number): void {
    const parts = key.split('\n');
    switch (parts[0]) {
      case 'r': {
        const aor = parts[1]!;
        const after = expireBindings(this.registrations.get(aor) ?? [], now);
        if (after !== null) {
          this.setBindings(aor, after, now).catch(() => this.#wheel.schedule(now + 5000, key));
        }
        return;
      }
      case 'p': {
        const actor = this.presentities.get(parts[1]!);
        const rec = actor?.pubs.get(parts[2]!);
        if (actor !== undefined && rec !== undefined && rec.expiresAt <= now) this.handlers?.publicationExpired(actor, rec);
        return;
      }
      case 's': {
        const sub = this.subscriptions.get(parts.slice(1).join('\n'));
        if (sub !== undefined && sub.rec.expiresAt <= now) this.handlers?.subscriptionExpired(sub);
        return;
      }
      default:
        return;
    }
  }

  /** Loads what the store restored: bindings, publications and subscriptions with their timers. */
  load(
    regs: Map<string, BindingRecord[]>,
    pubs: PublicationRecord[],
    subs: SubscriptionRecord[],
  ): void {
    for (const [aor, bindings] of regs) {
      this.registrations.set(aor, bindings);
      for (const b of bindings) this.#wheel.schedule(b.expiresAt, `r\n${aor}`);
    }
    for (const rec of pubs) {
      this.presentity(rec.aor).pubs.set(rec.etag, rec);
      this.#wheel.schedule(rec.expiresAt, `p\n${rec.aor}\n${rec.etag}`);
    }
    for (const rec of subs) {
      // DLG-03: resume NOTIFY CSeqs above anything that may have been sent before the restart.
      rec.localCseq = Math.max(rec.localCseq, rec.cseqReserved);
      rec.cseqReserved = rec.localCseq;
      this.addSubscription({ rec, inFlight: false, dirty: false, ending: null, ended: false, transient: false });
    }
  }
}
