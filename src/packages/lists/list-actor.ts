// One list subscription (RFC 4662) as an actor: it owns the dialog with the watcher and a
// Member per list entry, each registered as an internal watcher with the member's presentity
// actor (a message, no SIP loop-back: the presentity actor alone changes its state, and reports
// it to its members after each committed change). Around the transitions (list-state.ts):
//  - full state first (version 0), and again after every refresh and after a restart; a full
//    state larger than the cap goes out in several NOTIFYs, each with complete parts, the first
//    with fullState="true";
//  - afterwards partial-state NOTIFYs carrying only the members that changed, batched over
//    --list-batch-ms, never more than one NOTIFY in flight;
//  - CSeqs reserved on disk ahead of use, as for presence dialogs (DLG-03), so that CSeqs and
//    the RLMI version (CSeq - 1) keep growing across a restart.
import { Actor, type Runtime } from '../../actors/runtime.js';
import { CSEQ_BLOCK, DIRTY, FINAL_SENT, GONE, IN_FLIGHT, RESERVING, TRANSIENT, type Sub } from '../../actors/subscription.js';
import type { NotifyOwner, NotifySink } from '../../actors/presentity-actor.js';
import type { TimerWheel, Timed } from '../../actors/timer-wheel.js';
import { refuse } from '../../core/reply.js';
import { SIP_ERR } from '../../errors.js';
import type { EventPackage } from '../types.js';
import { ListBatch, ListState, stepList, type ListMsg, type Member } from './list-state.js';
import { memberCost, renderListNotify } from './list-render.js';

export interface ListEnv {
  runtime: Runtime;
  wheel: TimerWheel<Timed>;
  notifier: NotifySink;
  notifyTimeout: 'end' | 'keep';
  /** Batching window of partial NOTIFYs, ms. */
  batchMs: number;
  /** Largest NOTIFY body (bytes) a full state is split under. */
  maxBody: number;
  /** Our host for Content-IDs. */
  host: string;
  /** Attach / detach a member's internal watcher to its presentity actor. */
  watch(pkg: string, m: Member): void;
  unwatch(pkg: string, m: Member): void;
  /** Wake the actor with {t:'flush'} at `atMs`. */
  wakeAt(actor: ListActor, atMs: number): void;
  /** The list subscription is over: forget it. */
  forget(actor: ListActor): void;
}

const RETRY_MS = 5000;

export class ListActor extends Actor<ListMsg, ListBatch> implements NotifyOwner {
  readonly state: ListState;
  readonly pkg: EventPackage;
  readonly #env: ListEnv;
  /** What the NOTIFY being rendered carries. */
  #plan: { members: Member[]; full: boolean } | null = null;
  /** When the batching window of the current changes ends (0 = none open). */
  #flushAt = 0;
  /** When a full state stops waiting for members that have not reported. */
  #fullDeadline = 0;

  constructor(state: ListState, pkg: EventPackage, env: ListEnv) {
    super(env.runtime);
    this.state = state;
    this.pkg = pkg;
    this.#env = env;
  }

  get sub(): Sub {
    return this.state.sub;
  }

  protected begin(): ListBatch {
    return new ListBatch();
  }

  protected step(b: ListBatch, m: ListMsg): void {
    const s = this.state;
    if ((s.sub.flags & GONE) !== 0) {
      // Over here (ended, or handed to another node): nothing may be written for it any more.
      if (m.t === 'resubscribe') b.reply(m.rt, refuse(SIP_ERR.NO_SUBSCRIPTION));
      else if (m.t === 'release') {
        b.gone = true;
        b.handed.push(m.done);
      }
      return;
    }
    if (m.t === 'member') {
      if (m.m.state === null) s.seen++;
      if (m.m.state === m.state) return;
      m.m.state = m.state;
      if (!s.needFull || s.fullFrom > m.m.idx) s.dirty.add(m.m);
    } else if (m.t === 'decide') {
      if (m.m.decision === m.decision) return;
      m.m.decision = m.decision;
      s.dirty.add(m.m);
    }
    stepList(s, b, m, this.#env.notifyTimeout);
  }

  protected get idle(): boolean {
    return false; // held by the lists host until the dialog ends (forget)
  }

  protected passivate(): void {}

  protected commit(b: ListBatch): void {
    const env = this.#env;
    const s = this.state;
    const sub = s.sub;
    for (const [rt, spec] of b.replies) rt.reply(spec);
    if (b.outcome) sub.flags &= ~IN_FLIGHT;
    if (b.reserved) sub.flags &= ~RESERVING;
    if (b.attach && !s.attached) {
      s.attached = true;
      for (const m of s.members) if (m.aor !== null) env.watch(this.pkg.stateOf, m);
      this.#fullDeadline = Date.now() + Math.max(50, env.batchMs);
      env.wakeAt(this, this.#fullDeadline);
    }
    if (b.gone) {
      this.#finish();
      for (const done of b.handed) done(true);
      return;
    }
    if (b.timer && !sub.ending) env.wheel.schedule(sub, sub.expiresAt);
    if (b.notify) {
      if (sub.ending) env.wheel.cancel(sub);
      this.#want();
      return;
    }
    if (b.changed || b.outcome || b.reserved) this.#consider();
  }

  protected rollback(b: ListBatch, msgs: readonly ListMsg[], err: Error): void {
    b.undo();
    for (const done of b.handed) done(false);
    this.runtime.log.error({ list: this.state.rec.list.uri, err: err.message }, 'list subscription commit failed');
    for (const m of msgs) if (m.t === 'subscribe' || m.t === 'resubscribe') m.rt.reply(refuse(SIP_ERR.STORE_FAILED));
    const sub = this.state.sub;
    if (b.outcome || b.reserved) {
      sub.flags = (sub.flags & ~(IN_FLIGHT | RESERVING)) | DIRTY;
      this.#env.notifier.delay(sub, this, Date.now() + RETRY_MS);
    }
    if (msgs.some((m) => m.t === 'subExpired')) this.#env.wheel.schedule(sub, Date.now() + RETRY_MS);
    if (msgs.some((m) => m.t === 'subscribe')) this.#finish();
  }

  /** Is a NOTIFY due now, or when? */
  #consider(): void {
    const s = this.state;
    if (s.sub.ending) return;
    const now = Date.now();
    if (s.needFull) {
      // Full state once every member reported (the usual case within one turn), or at the deadline.
      if (s.fullFrom > 0 || s.seen >= this.#reporting() || now >= this.#fullDeadline) {
        // A fetch: this NOTIFY carries the state and ends the subscription (RFC 6665 §4.4.3).
        if (s.fetch) s.sub.reason = 'timeout';
        this.#want();
      } else this.#env.wakeAt(this, this.#fullDeadline);
      return;
    }
    if (s.dirty.size === 0) return;
    // The window opens with the first change after a NOTIFY; an earlier wake-up (a full-state
    // deadline) may come first, so every look that finds it still open asks again.
    if (this.#flushAt === 0) this.#flushAt = now + this.#env.batchMs;
    if (now >= this.#flushAt) this.#want();
    else this.#env.wakeAt(this, this.#flushAt);
  }

  #reporting(): number {
    let n = 0;
    for (const m of this.state.members) if (m.aor !== null) n++;
    return n;
  }

  /** One NOTIFY now, unless one is in flight (then DIRTY: it follows the outcome). */
  #want(): void {
    const sub = this.state.sub;
    const f = sub.flags;
    if ((f & (GONE | FINAL_SENT)) !== 0) return;
    if ((f & (IN_FLIGHT | RESERVING)) !== 0) {
      sub.flags = f | DIRTY;
      return;
    }
    const stored = !sub.ending && (f & TRANSIENT) === 0;
    if (stored && sub.cseq + 1 > sub.cseqReserved) {
      sub.flags = f | DIRTY | RESERVING;
      this.tell({ t: 'reserve', sub });
      return;
    }
    if (stored && sub.cseq + 1 > sub.cseqReserved - CSEQ_BLOCK / 2) {
      sub.flags |= RESERVING;
      this.tell({ t: 'reserve', sub });
    }
    // A final NOTIFY carries no state, unless full state is still owed (a fetch).
    this.#plan = sub.ending && !this.state.needFull ? null : this.#nextPlan();
    if (!sub.ending && this.#plan === null) {
      sub.flags &= ~DIRTY;
      return;
    }
    sub.cseq++;
    sub.flags = (sub.flags | IN_FLIGHT) & ~DIRTY;
    if (sub.ending) sub.flags |= FINAL_SENT;
    this.#flushAt = 0;
    this.#env.notifier.send(sub, this);
  }

  /** The members of the next NOTIFY: the next full-state chunk, or what changed (also chunked). */
  #nextPlan(): { members: Member[]; full: boolean } | null {
    const s = this.state;
    const cap = this.#env.maxBody;
    const out: Member[] = [];
    let bytes = 600;
    if (s.needFull) {
      const first = s.fullFrom === 0;
      let i = s.fullFrom;
      for (; i < s.members.length; i++) {
        const m = s.members[i]!;
        const c = memberCost(m);
        if (out.length > 0 && bytes + c > cap) break;
        bytes += c;
        out.push(m);
        s.dirty.delete(m);
      }
      if (i >= s.members.length) {
        s.needFull = false;
        s.fullFrom = 0;
      } else s.fullFrom = i;
      // An empty list still gets its full-state NOTIFY (RFC 4662 §5: the first is full state).
      return { members: out, full: first };
    }
    if (s.dirty.size === 0) return null;
    for (const m of s.dirty) {
      const c = memberCost(m);
      if (out.length > 0 && bytes + c > cap) break;
      bytes += c;
      out.push(m);
    }
    for (const m of out) s.dirty.delete(m);
    out.sort((a, b) => a.idx - b.idx);
    return { members: out, full: false };
  }

  /** The minimum interval never applies to lists; a delayed retry ends here. */
  released(): void {
    const sub = this.state.sub;
    if ((sub.flags & DIRTY) !== 0) {
      sub.flags &= ~DIRTY;
      this.#want();
    }
  }

  content(sub: Sub, now: number): { type: string | null; body: Buffer | null; extra?: string; event?: string } {
    void now;
    const plan = this.#plan;
    const token = this.state.rec.list.eventToken;
    const c = plan === null
      ? { type: null, body: null, extra: 'Require: eventlist\r\n' }
      // RFC 4662 §5.2: version 0 in the first NOTIFY, +1 per NOTIFY of the subscription.
      : renderListNotify({ listUri: this.state.rec.list.uri, tag: sub.tag, version: sub.cseq - 1, fullState: plan.full, members: plan.members, pkg: this.pkg }, this.#env.host);
    return token === undefined ? c : { ...c, event: token };
  }

  /** A restored subscription: watch the members again; full state follows their reports. */
  attachRestored(): void {
    const b = new ListBatch();
    b.attach = true;
    this.commit(b);
  }

  #finish(): void {
    const s = this.state;
    s.sub.flags |= GONE;
    this.#env.wheel.cancel(s.sub);
    if (s.attached) for (const m of s.members) if (m.aor !== null) this.#env.unwatch(this.pkg.stateOf, m);
    s.attached = false;
    this.#env.forget(this);
  }
}
