// The actor registry on the main thread: per-AoR registration state, per-AoR presentity
// actors, the watcher dialogs, one timer wheel for every expiry, and the fdb store behind
// them. Each state change is applied in memory, committed (group commit) and only then
// acknowledged; a failed commit puts the previous state back.
import type { FdbStore, BindingRecord, PublicationRecord, SubscriptionRecord } from '../store/fdb-store.js';
import { PresentityActor } from './presentity-actor.js';
import { TimerWheel } from './timer-wheel.js';
import { expireBindings } from './registration-actor.js';
import type { Logger } from '../log.js';
import { metrics } from '../metrics/metrics.js';

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
  /** Wheel slot of the expiry timer (ActorSystem only). */
  timerSlot?: number | undefined;
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

const NO_ROUTES: string[] = [];
Object.freeze(NO_ROUTES);

/** Source addresses repeat across many subscriptions (NATs, proxies): keep one copy of each. */
const addresses = new Map<string, string>();
function internAddress(a: string): string {
  const known = addresses.get(a);
  if (known !== undefined) return known;
  if (addresses.size < 100_000) addresses.set(a, a);
  return a;
}

/** CSeq values reserved per persisted write: NOTIFY CSeqs resume above them after a restart. */
export const CSEQ_BLOCK = 100;

export class ActorSystem {
  readonly registrations = new Map<string, BindingRecord[]>();
  readonly presentities = new Map<string, PresentityActor>();
  readonly subscriptions = new Map<string, Subscription>();
  readonly #wheel: TimerWheel<string | Subscription>;
  readonly #regSlots = new Map<string, number>();
  readonly #pubSlots = new WeakMap<PublicationRecord, number>();
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
    this.#wheel = new TimerWheel<string | Subscription>(1000, now);
  }

  get store(): FdbStore {
    return this.#store;
  }

  /** Counts a store write while it waits for its group commit (STYLE rule 7: a bounded fdb queue). */
  #track<T>(p: Promise<T>): Promise<T> {
    this.pendingWrites++;
    const t0 = metrics.now();
    const done = (): void => {
      this.pendingWrites--;
      metrics.commit(metrics.now() - t0);
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
    this.#scheduleBindings(aor, bindings);
    try {
      await this.#track(this.#store.putBindings(aor, bindings));
    } catch (err) {
      if (before === undefined) this.registrations.delete(aor);
      else this.registrations.set(aor, before);
      this.#log.error({ aor, err: (err as Error).message, now }, 'registration commit failed');
      throw err;
    }
  }

  /**
   * One wheel entry per registered AoR, at its earliest binding expiry, replaced on every
   * change: a busy registrar must not pile up an entry per REGISTER for a whole Expires period.
   */
  #scheduleBindings(aor: string, bindings: readonly BindingRecord[]): void {
    const key = `r\n${aor}`;
    const old = this.#regSlots.get(aor);
    if (old !== undefined) this.#wheel.cancel(old, key);
    this.#regSlots.delete(aor);
    if (bindings.length === 0) return;
    let at = Infinity;
    for (const b of bindings) at = Math.min(at, b.expiresAt);
    this.#regSlots.set(aor, this.#wheel.schedule(at, key));
  }

  /** Likewise one entry per live publication, cancelled when it is replaced or removed. */
  #schedulePublication(rec: PublicationRecord | undefined, next: PublicationRecord | null): void {
    if (rec !== undefined) {
      const slot = this.#pubSlots.get(rec);
      if (slot !== undefined) this.#wheel.cancel(slot, `p\n${rec.aor}\n${rec.etag}`);
      this.#pubSlots.delete(rec);
    }
    if (next !== null) this.#pubSlots.set(next, this.#wheel.schedule(next.expiresAt, `p\n${next.aor}\n${next.etag}`));
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
    if (rec !== null) actor.put(rec, oldEtag);
    else if (oldEtag !== null) actor.pubs.delete(oldEtag);
    this.#schedulePublication(prev, rec);
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

  /**
   * Memory matters here (a million watchers per process): the subscription's id is its local
   * tag string itself (shared, not a new key string), the timer wheel holds the object rather
   * than a key, and repeated values (AoR, event name, source address, empty route set) are
   * shared between subscriptions instead of one copy each.
   */
  addSubscription(sub: Subscription): void {
    const r = sub.rec;
    const actor = this.presentity(r.aor);
    r.aor = actor.aor;
    r.id = r.localTag;
    r.event = r.event === 'presence' ? 'presence' : r.event === 'presence.winfo' ? 'presence.winfo' : r.event;
    if (r.routeSet.length === 0) r.routeSet = NO_ROUTES;
    r.source.address = internAddress(r.source.address);
    this.subscriptions.set(r.id, sub);
    setOf(actor, sub).add(r.id);
    this.#schedule(sub);
  }

  /** One live wheel entry per subscription: an ended one must not stay referenced for an hour. */
  #schedule(sub: Subscription): void {
    if (sub.timerSlot !== undefined) this.#wheel.cancel(sub.timerSlot, sub);
    sub.timerSlot = this.#wheel.schedule(sub.rec.expiresAt, sub);
  }

  /** The subscription of an in-dialog request (RFC 6665 §4.1.2.2: dialog + event package + id). */
  findSubscription(callId: string, localTag: string, remoteTag: string, event: string, eventId: string | null): Subscription | undefined {
    const sub = this.subscriptions.get(localTag);
    if (sub === undefined) return undefined;
    const r = sub.rec;
    return r.callId === callId && r.remoteTag === remoteTag && r.event === event && r.eventId === eventId ? sub : undefined;
  }

  persistSubscription(sub: Subscription): Promise<boolean> {
    if (sub.transient) return Promise.resolve(true);
    return this.#track(this.#store.putSubscription(sub.rec));
  }

  rescheduleSubscription(sub: Subscription): void {
    this.#schedule(sub);
  }

  removeSubscription(sub: Subscription): void {
    if (sub.timerSlot !== undefined) this.#wheel.cancel(sub.timerSlot, sub);
    sub.timerSlot = undefined;
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

  #fire(key: string | Subscription, now: number): void {
    if (typeof key !== 'string') {
      key.timerSlot = undefined; // the wheel dropped the entry with its slot
      if (!key.ended && key.rec.expiresAt <= now && this.subscriptions.get(key.rec.id) === key) this.handlers?.subscriptionExpired(key);
      return;
    }
    const parts = key.split('\n');
    switch (parts[0]) {
      case 'r': {
        const aor = parts[1]!;
        this.#regSlots.delete(aor);
        const current = this.registrations.get(aor) ?? [];
        const after = expireBindings(current, now);
        if (after === null) this.#scheduleBindings(aor, current);
        else this.setBindings(aor, after, now).catch(() => this.#regSlots.set(aor, this.#wheel.schedule(now + 5000, key)));
        return;
      }
      case 'p': {
        const actor = this.presentities.get(parts[1]!);
        const rec = actor?.pubs.get(parts[2]!);
        if (actor !== undefined && rec !== undefined && rec.expiresAt <= now) this.handlers?.publicationExpired(actor, rec);
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
      this.#scheduleBindings(aor, bindings);
    }
    for (const rec of pubs) {
      this.presentity(rec.aor).pubs.set(rec.etag, rec);
      this.#schedulePublication(undefined, rec);
    }
    for (const rec of subs) {
      // DLG-03: resume NOTIFY CSeqs above anything that may have been sent before the restart.
      rec.localCseq = Math.max(rec.localCseq, rec.cseqReserved);
      rec.cseqReserved = rec.localCseq;
      this.addSubscription({ rec, inFlight: false, dirty: false, ending: null, ended: false, transient: false });
    }
  }
}
