// One presentity (address of record): the actor that owns its publications and the dialogs
// watching it. Transitions are in presentity-transitions.ts; here is what happens around them:
// the effects carried out once a batch is durable, and the NOTIFY bookkeeping of its dialogs —
// one NOTIFY in flight per dialog, newer state coalesced, CSeqs never above what is reserved
// on disk (so they keep growing across a crash).
import { Actor, type Runtime } from './runtime.js';
import { PresentityState, type Pub } from './presentity-state.js';
import { PresBatch } from './presentity-batch.js';
import { step, type PresMsg, type TransitionConfig } from './presentity-transitions.js';
import { CSEQ_BLOCK, DIRTY, FINAL_SENT, GONE, HELD, IN_FLIGHT, RESERVING, TRANSIENT, type Sub } from './subscription.js';
import type { TimerWheel, Timed } from './timer-wheel.js';
import { refuse } from '../core/reply.js';
import { metrics } from '../metrics/metrics.js';
import { SIP_ERR } from '../errors.js';
import type { PubDoc, StateRules } from './state-rules.js';
import type { PackageRegistry } from '../packages/registry.js';
import { StaleError, StoreUnavailableError } from '../store/store.js';
import { MAX_CONFLICTS, type SharedState } from './shared.js';
import { pubScope } from '../store/records.js';

/** A live publication as a package's composer sees it (one per SIP-ETag). */
export interface LivePublication {
  etag: string;
  modified: number;
  doc: PubDoc;
}

/** Where a dialog's NOTIFY goes once the actor decided to send one. */
/** Who owns a dialog the notifier sends for: it renders the body and hears the outcome. */
export interface NotifyOwner {
  tell(m: { t: 'notified'; sub: Sub; status: number; retryAfter: number | null }): void;
  /** The minimum interval of a held dialog ended. */
  released(sub: Sub): void;
  /** The NOTIFY's body (and extra header lines) for `sub`, now. */
  content(sub: Sub, now: number, turn: Map<object, unknown>): { type: string | null; body: Buffer | null; extra?: string; event?: string };
}

export interface NotifySink {
  /** Render and send `sub`'s NOTIFY (CSeq already taken); the outcome comes back as 'notified'. */
  send(sub: Sub, owner: NotifyOwner): void;
  /**
   * Must a state NOTIFY of `sub` wait for --notify-min-interval (RFC 3856 §6.10)? If so the
   * notifier holds it and calls owner.released(sub) when the interval ends.
   */
  paced(sub: Sub, owner: NotifyOwner, nowMs: number): boolean;
  /** Hold `sub` until `untilMs`, then owner.released(sub) (a retry after a failed commit). */
  delay(sub: Sub, owner: NotifyOwner, untilMs: number): void;
}

export interface PresenceEnv extends TransitionConfig {
  runtime: Runtime;
  wheel: TimerWheel<Timed>;
  /** Our tag → dialog, for in-dialog requests (every presentity's dialogs). */
  directory: Map<string, Sub>;
  /** Dialogs per event package. */
  perEvent: Map<string, { n: number }[]>;
  notifier: NotifySink;
  /** Passivation: the registry forgets an actor that holds nothing. */
  release(actor: PresentityActor): void;
  /** Who wants to hear about committed changes (operators' views); null = nobody. */
  observer: CoreObserver | null;
  /** The event packages (bodies, pacing, list members' state). */
  packages: PackageRegistry;
  /** Set when several nodes share the store: what the actor reads before it decides. */
  shared?: SharedState;
}

/** Committed changes, for operators' views (the admin feed). Called only after a commit. */
export interface CoreObserver {
  presence(actor: PresentityActor): void;
  watcher(sub: Sub, state: 'active' | 'pending' | 'terminated' | 'gone'): void;
  registration(aor: string, bindings: number): void;
}

const isRequest = (m: PresMsg): m is Extract<PresMsg, { rt: unknown }> => m.t === 'publish' || m.t === 'subscribe' || m.t === 'resubscribe';

/** Retry delay for an expiry whose commit failed (the store is refusing writes). */
const RETRY_MS = 5000;

export class PresentityActor extends Actor<PresMsg, PresBatch> implements NotifyOwner {
  readonly state: PresentityState;
  readonly #env: PresenceEnv;
  /** Batches refused as stale in a row (shared store). */
  #conflicts = 0;

  constructor(aor: string, env: PresenceEnv, rules?: StateRules) {
    super(env.runtime);
    this.state = new PresentityState(aor, env.directory, rules, env.perEvent);
    this.#env = env;
  }

  /** The package whose state this actor holds. */
  get pkg(): string {
    return this.state.pkg;
  }

  get aor(): string {
    return this.state.aor;
  }

  protected begin(): PresBatch {
    return new PresBatch(this.state, this.#env.shared !== undefined);
  }

  protected step(batch: PresBatch, msg: PresMsg): void {
    if (this.#env.shared !== undefined && this.state.rev < 0 && isRequest(msg)) {
      // The shared state could not be read: decide nothing on a view that may be stale.
      batch.reply(msg.rt, refuse(SIP_ERR.STORE_UNAVAILABLE));
      batch.reload = true;
      return;
    }
    step(this.state, batch, msg, this.#env);
    // A new winfo subscriber here sees the watchers other nodes notify too (RFC 3857 §5.4).
    if (this.#env.shared !== undefined && msg.t === 'subscribe' && msg.rec.event === 'presence.winfo') batch.reloadWatchers = true;
  }

  /** Reads the shared publications before the next message (shared store only). */
  load(): void {
    const shared = this.#env.shared;
    if (shared === undefined) return;
    this.suspend(shared.loadPresentity(pubScope(this.state.pkg, this.aor)).then(
      (snap): PresMsg => ({ t: 'sync', snap }),
      (): PresMsg => ({ t: 'sync', snap: null }),
    ));
  }

  protected get idle(): boolean {
    return this.state.empty;
  }

  protected passivate(): void {
    this.#env.release(this);
  }

  protected commit(b: PresBatch): void {
    const env = this.#env;
    this.#conflicts = 0;
    if (b.checked && b.rev !== undefined) this.state.rev = b.rev;
    for (const [rt, spec] of b.replies) rt.reply(spec);
    for (const pub of b.pubTimers) this.#schedulePub(pub);
    for (const sub of b.gone) {
      sub.flags |= GONE;
      env.wheel.cancel(sub);
    }
    for (const sub of b.timers) env.wheel.schedule(sub, sub.expiresAt);
    for (const sub of b.outcomes) sub.flags &= ~IN_FLIGHT;
    for (const sub of b.reserved) sub.flags &= ~RESERVING;
    for (const sub of b.notify) {
      if (sub.ending) env.wheel.cancel(sub);
      this.want(sub, true);
    }
    if (b.changed) {
      // Packages that must not be paced (BLF) send at once; bursts coalesce while one is in flight.
      const urgent = this.#env.packages.get(this.state.pkg)?.paced === false;
      for (let sub = this.state.head; sub !== null; sub = sub.next) if (sub.event === this.state.pkg) this.want(sub, urgent);
    }
    if ((b.changed || b.inform.length > 0) && this.state.members !== null) this.#report(b);
    // Outcomes and reservations: a change that waited behind them goes now.
    for (const sub of b.outcomes) if ((sub.flags & DIRTY) !== 0) this.want(sub, sub.ending);
    for (const sub of b.reserved) if ((sub.flags & DIRTY) !== 0) this.want(sub, sub.ending);
    if (b.winfo) this.#winfoChanged();
    const obs = env.observer;
    if (obs !== null) {
      if (b.changed) obs.presence(this);
      for (const sub of b.added) if (!sub.ending) obs.watcher(sub, sub.state);
      for (const sub of b.notify) if (sub.ending || !b.added.includes(sub)) obs.watcher(sub, sub.ending ? 'terminated' : sub.state);
      for (const sub of b.gone) obs.watcher(sub, 'gone');
    }
    for (const done of b.handed) done(true);
    if (b.reload) this.load();
    if (b.reloadWatchers && env.shared !== undefined) {
      // Not needed to decide anything: read it on the side and let the actor take it in.
      env.shared.loadWatchers(this.aor).then((snap) => this.tell({ t: 'watchers', snap }), () => undefined);
    }
  }

  protected rollback(b: PresBatch, msgs: readonly PresMsg[], err: Error): void {
    b.undo();
    if (err instanceof StaleError && this.#env.shared !== undefined && this.#conflicts++ < MAX_CONFLICTS) {
      // Another node changed the presentity first: read it again and run the same messages on
      // the fresh state (old reads are dropped: the new one replaces them).
      this.requeue(msgs.filter((m) => m.t !== 'sync' && m.t !== 'remote'));
      this.load();
      return;
    }
    this.#conflicts = 0;
    const refusal = err instanceof StoreUnavailableError ? SIP_ERR.STORE_UNAVAILABLE : SIP_ERR.STORE_FAILED;
    // A write cut off with the connection may have landed: read the shared state again.
    if (err instanceof StoreUnavailableError) this.load();
    for (const done of b.handed) done(false);
    this.runtime.log.error({ aor: this.aor, err: err.message, messages: msgs.length }, 'presentity commit failed; state kept as committed');
    for (const m of msgs) {
      if (isRequest(m)) m.rt.reply(refuse(refusal));
    }
    // Nothing of the batch happened; keep the machinery moving: dialogs whose NOTIFY outcome or
    // CSeq reservation was lost try again after a pause.
    const later = Date.now() + RETRY_MS;
    for (const sub of [...b.outcomes, ...b.reserved]) {
      sub.flags = (sub.flags & ~(IN_FLIGHT | RESERVING)) | DIRTY | HELD;
      this.#env.notifier.delay(sub, this, later);
    }
    for (const item of b.retry) this.#env.wheel.schedule(item, later);
  }

  /** Tells the member watchers (list subscriptions) the state: all after a change, else the new. */
  #report(b: PresBatch): void {
    const members = this.state.members!;
    const pkg = this.#env.packages.get(this.state.pkg);
    if (pkg?.memberState === undefined || members.size === 0) return;
    const state = pkg.memberState(this, Date.now());
    if (b.changed) for (const w of members) w.report(state);
    else for (const w of b.inform) if (members.has(w)) w.report(state);
  }

  /** The NOTIFY body of one of its dialogs, by its package. */
  content(sub: Sub, now: number, turn: Map<object, unknown>): { type: string | null; body: Buffer | null; extra?: string } {
    const pkg = this.#env.packages.get(sub.event);
    if (pkg === undefined) return { type: null, body: null };
    return pkg.content(this, sub, now, turn);
  }

  #schedulePub(pub: Pub): void {
    if (this.state.pubs?.get(pub.rec.etag) === pub) this.#env.wheel.schedule(pub, pub.rec.expiresAt);
    else this.#env.wheel.cancel(pub);
  }

  // ---- NOTIFY bookkeeping (RFC 6665 §4.2.2, RFC 3856 §6.10) -----------------------------------

  /**
   * The dialog should get a NOTIFY with its current state. `urgent` skips the minimum interval:
   * answers to SUBSCRIBE and final NOTIFYs are never held (RFC 6665 §4.2.1.2).
   */
  want(sub: Sub, urgent: boolean): void {
    const f = sub.flags;
    if ((f & (GONE | FINAL_SENT)) !== 0) return;
    if ((f & (IN_FLIGHT | RESERVING)) !== 0) {
      if ((f & DIRTY) === 0) metrics.notify('coalesced');
      sub.flags = f | DIRTY;
      return;
    }
    if ((f & HELD) !== 0) {
      if (!urgent && !sub.ending) {
        sub.flags = f | DIRTY;
        return;
      }
    } else if (!urgent && !sub.ending && this.#env.notifier.paced(sub, this, Date.now())) {
      sub.flags = f | DIRTY | HELD;
      return;
    }
    const stored = !sub.ending && (f & TRANSIENT) === 0;
    if (stored && sub.cseq + 1 > sub.cseqReserved) {
      // No CSeq may leave that a restart could hand out again: wait for the reservation.
      sub.flags = f | DIRTY | RESERVING;
      this.tell({ t: 'reserve', sub });
      return;
    }
    if (stored && sub.cseq + 1 > sub.cseqReserved - CSEQ_BLOCK / 2) {
      // Reserve ahead, so that the next NOTIFYs never wait for the disk.
      sub.flags |= RESERVING;
      this.tell({ t: 'reserve', sub });
    }
    sub.cseq++;
    sub.flags = (sub.flags | IN_FLIGHT) & ~(DIRTY | HELD);
    if (sub.ending) sub.flags |= FINAL_SENT;
    this.#env.notifier.send(sub, this);
  }

  /** The minimum interval of a held dialog ended (called by the notifier). */
  released(sub: Sub): void {
    sub.flags &= ~HELD;
    if ((sub.flags & DIRTY) !== 0) this.want(sub, false);
  }

  #winfoChanged(): void {
    for (let sub = this.state.head; sub !== null; sub = sub.next) if (sub.event === 'presence.winfo') this.want(sub, true);
  }

  // ---- what NOTIFY bodies are made of ---------------------------------------------------------

  /** Live publications, newest modification first (a deterministic composition order). */
  live(now: number): LivePublication[] {
    const out: LivePublication[] = [];
    const pubs = this.state.pubs;
    if (pubs !== null) for (const p of pubs.values()) if (p.rec.expiresAt > now) out.push({ etag: p.rec.etag, modified: p.rec.modified, doc: p.rec.doc });
    out.sort((a, b) => b.modified - a.modified || (a.etag < b.etag ? -1 : 1));
    return out;
  }

  /** The package's watchers (not its winfo subscribers), for winfo documents, rules and operators. */
  *watchers(): Iterable<Sub> {
    for (let sub = this.state.head; sub !== null; sub = sub.next) if (sub.event === this.state.pkg) yield sub;
  }
}
