// One list subscription's state (RFC 4662) and the pure steps that change it: the dialog with
// its watcher (a Sub, as presence dialogs are), the members it watches inside the server, what
// changed since the last NOTIFY, and whether full state is owed. Store writes and replies are
// collected in a ListBatch (an undo log like the presentity's), carried out by the actor once
// durable. No I/O, no clock: `now` comes in the messages.
import type { ReplyTo, ResponseSpec } from '../../core/reply.js';
import { line, refuse } from '../../core/reply.js';
import { SIP_ERR } from '../../errors.js';
import type { Batch } from '../../actors/runtime.js';
import { CSEQ_BLOCK, FINAL_SENT, TRANSIENT, toSec, type Sub, type SubPatch } from '../../actors/subscription.js';
import type { MemberWatcher } from '../../actors/presentity-state.js';
import type { WatcherDecision } from '../../policy/watcher-rules.js';
import type { ListSubscriptionRecord, StoreOp } from '../../store/records.js';
import type { ResubscribeMsg } from '../../core/subscribe.js';

/** A list member: the internal watcher registered with the member's presentity actor. */
export class Member implements MemberWatcher {
  /** The member's state as its package renders it; null until its presentity reported. */
  state: string | null = null;
  constructor(
    readonly sink: { tell(m: ListMsg): void },
    readonly idx: number,
    readonly uri: string,
    readonly name: string | undefined,
    /** Its presentity's AoR; null when the domain is not served (RLMI: terminated, noresource). */
    readonly aor: string | null,
    public decision: WatcherDecision,
  ) {}

  report(state: string): void {
    this.sink.tell({ t: 'member', m: this, state });
  }
}

export type ListMsg =
  | { t: 'subscribe'; rt: ReplyTo; fetch: boolean; headers: string }
  | ResubscribeMsg
  | { t: 'subExpired'; sub: Sub; now: number }
  | { t: 'notified'; sub: Sub; status: number; retryAfter: number | null }
  | { t: 'reserve'; sub: Sub }
  | { t: 'member'; m: Member; state: string }
  | { t: 'decide'; m: Member; decision: WatcherDecision }
  | { t: 'flush'; now: number }
  /** Another node notifies it from now on (several nodes): stop here, no final NOTIFY. */
  | { t: 'release'; done: (ok: boolean) => void };

export class ListState {
  readonly sub: Sub;
  readonly rec: ListSubscriptionRecord;
  readonly members: Member[] = [];
  /** Members whose state changed since it was last sent. */
  readonly dirty = new Set<Member>();
  /** Full state is owed (new subscription, refresh, restart): next NOTIFYs start from member `fullFrom`. */
  needFull = true;
  fullFrom = 0;
  /** Members that reported at least once (full state waits for all, or for the window). */
  seen = 0;
  /** Watchers attached to the member presentities. */
  attached = false;
  /** A fetch (RFC 6665 §4.4.3: initial SUBSCRIBE with Expires 0): one full-state NOTIFY that ends it. */
  fetch = false;
  constructor(sub: Sub, rec: ListSubscriptionRecord) {
    this.sub = sub;
    this.rec = rec;
  }
}

export class ListBatch implements Batch {
  readonly ops: StoreOp[] = [];
  readonly replies: [ReplyTo, ResponseSpec][] = [];
  /** A NOTIFY is owed at commit (answer to a SUBSCRIBE, final NOTIFY). */
  notify = false;
  /** The batching window should be (re)considered at commit. */
  changed = false;
  /** Attach the internal watchers at commit (new or restored subscription). */
  attach = false;
  /** The dialog is over: detach and forget at commit. */
  gone = false;
  /** The expiry moved: reschedule. */
  timer = false;
  outcome = false;
  reserved = false;
  /** Hand-overs to answer once this batch is done. */
  readonly handed: ((ok: boolean) => void)[] = [];
  readonly #undo: (() => void)[] = [];

  reply(rt: ReplyTo, spec: ResponseSpec): void {
    this.replies.push([rt, spec]);
  }

  update(sub: Sub, patch: SubPatch): void {
    const before: SubPatch = {};
    for (const k of Object.keys(patch) as (keyof SubPatch)[]) (before as Record<string, unknown>)[k] = sub[k];
    Object.assign(sub, patch);
    this.#undo.push(() => Object.assign(sub, before));
  }

  set<K extends 'needFull' | 'fullFrom'>(s: ListState, k: K, v: ListState[K]): void {
    const before = s[k];
    s[k] = v;
    this.#undo.push(() => (s[k] = before));
  }

  end(sub: Sub, reason: string): void {
    const before = sub.reason;
    sub.reason = reason;
    this.notify = true;
    this.#undo.push(() => (sub.reason = before));
  }

  undo(): void {
    for (let i = this.#undo.length - 1; i >= 0; i--) this.#undo[i]!();
    this.#undo.length = 0;
  }
}

export function listRecord(s: ListState): ListSubscriptionRecord {
  return { ...s.sub.record(), list: s.rec.list };
}

/** The transitions of a list subscription (RFC 4662 §4-5 over RFC 6665 §4.2). */
export function stepList(s: ListState, b: ListBatch, m: ListMsg, notifyTimeout: 'end' | 'keep'): void {
  const sub = s.sub;
  switch (m.t) {
    case 'subscribe':
      b.reply(m.rt, { status: 200, toTag: sub.tag, headers: m.headers });
      b.attach = true;
      if (m.fetch) {
        // Nothing stored: the state, once the members reported, goes in a terminated NOTIFY.
        s.fetch = true;
        return;
      }
      b.ops.push({ t: 'putList', rec: listRecord(s) });
      b.timer = true;
      return;
    case 'resubscribe': {
      if (sub.ending || !sub.matches(m.callId, m.remoteTag, m.event, m.eventId)) {
        b.reply(m.rt, refuse(SIP_ERR.NO_SUBSCRIPTION));
        return;
      }
      if (m.cseq <= sub.remoteCseq) {
        b.reply(m.rt, refuse(SIP_ERR.SUBSCRIBE_CSEQ));
        return;
      }
      b.update(sub, { remoteCseq: m.cseq, expires: toSec(m.now + m.expires * 1000), target: m.target ?? sub.target });
      b.reply(m.rt, { status: 200, headers: m.headers + line('Require', 'eventlist') });
      if (m.expires === 0) {
        b.ops.push({ t: 'delList', tag: sub.tag });
        b.end(sub, 'timeout');
        return;
      }
      // RFC 4662 §5.4: a refresh gets the full state again.
      b.set(s, 'needFull', true);
      b.set(s, 'fullFrom', 0);
      b.ops.push({ t: 'putList', rec: listRecord(s) });
      b.timer = true;
      b.changed = true;
      return;
    }
    case 'subExpired':
      if (sub.ending || sub.expiresAt > m.now) return;
      b.ops.push({ t: 'delList', tag: sub.tag });
      b.end(sub, 'timeout');
      return;
    case 'notified': {
      b.outcome = true;
      if (sub.ending) {
        if ((sub.flags & FINAL_SENT) !== 0) b.gone = true;
        return;
      }
      let end = false;
      if (m.status === 408) end = notifyTimeout === 'end';
      else if (m.status === 481 || m.status === 404 || m.status === 410) end = true;
      else if (m.status >= 300) end = m.retryAfter === null;
      if (!end) {
        b.changed = true;
        return;
      }
      b.ops.push({ t: 'delList', tag: sub.tag });
      b.gone = true;
      return;
    }
    case 'reserve':
      b.reserved = true;
      if (sub.ending || (sub.flags & TRANSIENT) !== 0) return;
      b.update(sub, { cseqReserved: Math.max(sub.cseqReserved, sub.cseq) + CSEQ_BLOCK });
      b.ops.push({ t: 'putList', rec: listRecord(s) });
      return;
    case 'release':
      // Its record stays stored: the new notifier moves it to its own node and goes on from it.
      b.gone = true;
      b.handed.push(m.done);
      return;
    case 'member':
    case 'decide':
    case 'flush':
      // Volatile bookkeeping: done by the actor outside the batch (nothing durable changes).
      b.changed = true;
      return;
  }
}
