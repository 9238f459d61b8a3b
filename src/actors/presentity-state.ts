// The state of one presentity actor — its live publications (RFC 3903: one per SIP-ETag) and
// the dialogs watching it — and the batch a run of its transitions writes through.
//
// The batch is the draft: every change to the state goes through one of its methods, which
// applies it (so the next message of the batch sees it) and records how to undo it. A failed
// commit undoes the log in reverse and the state is exactly the committed one again.
import type { PublicationRecord, StoreOp, SubscriptionRecord } from '../store/records.js';
import type { Batch } from './runtime.js';
import type { ReplyTo, ResponseSpec } from '../core/reply.js';
import type { Timed } from './timer-wheel.js';
import type { Sub } from './subscription.js';

/** One live publication; the object (and its expiry timer) lives across refreshes. */
export class Pub implements Timed {
  rec: PublicationRecord;
  at = 0;
  slot = -1;
  idx = 0;
  constructor(rec: PublicationRecord) {
    this.rec = rec;
  }
}

export class PresentityState {
  readonly aor: string;
  /** Live publications by their current ETag; null while there are none (memory). */
  pubs: Map<string, Pub> | null = null;
  /** Watcher dialogs (presence and presence.winfo) by our tag; null while there are none. */
  subs: Map<string, Sub> | null = null;
  /** Bumped on every change of the composed state: NOTIFY bodies are shared per version. */
  version = 0;

  constructor(aor: string) {
    this.aor = aor;
  }

  get empty(): boolean {
    return (this.pubs === null || this.pubs.size === 0) && (this.subs === null || this.subs.size === 0);
  }
}

/** The effects of a batch, carried out by the actor once the batch is durable. */
export class PresBatch implements Batch {
  readonly ops: StoreOp[] = [];
  readonly replies: [ReplyTo, ResponseSpec][] = [];
  /** The composed presence changed: NOTIFY every presence watcher (pacing applies). */
  changed = false;
  /** The watcher list changed: NOTIFY the presence.winfo subscribers (RFC 3857 §5.4). */
  winfo = false;
  /** Dialogs owed a NOTIFY now (answer to a SUBSCRIBE, a refresh, a final NOTIFY). */
  readonly notify: Sub[] = [];
  /** Dialogs whose expiry moved or began: (re)schedule. */
  readonly timers: Sub[] = [];
  /** Dialogs that left the presentity: forget (directory, timer). */
  readonly gone: Sub[] = [];
  /** NOTIFY outcomes processed: clear their in-flight mark (commit or not). */
  readonly outcomes: Sub[] = [];
  /** CSeq reservations committed. */
  readonly reserved: Sub[] = [];
  /** Publications whose expiry moved, began (live) or ended (not live). */
  readonly pubTimers: Pub[] = [];
  /** Timers to fire again later when the batch does not commit (expiry retries). */
  readonly retry: (Pub | Sub)[] = [];
  readonly #undo: (() => void)[] = [];
  readonly #state: PresentityState;

  constructor(state: PresentityState) {
    this.#state = state;
  }

  reply(rt: ReplyTo, spec: ResponseSpec): void {
    this.replies.push([rt, spec]);
  }

  undo(): void {
    for (let i = this.#undo.length - 1; i >= 0; i--) this.#undo[i]!();
    this.#undo.length = 0;
  }

  // ---- draft operations ---------------------------------------------------------------------

  setPub(etag: string, pub: Pub): void {
    const s = this.#state;
    const map = (s.pubs ??= new Map());
    const before = map.get(etag);
    map.set(etag, pub);
    this.#undo.push(() => (before === undefined ? map.delete(etag) : map.set(etag, before)));
  }

  deletePub(etag: string): void {
    const map = this.#state.pubs;
    const before = map?.get(etag);
    if (map === null || before === undefined) return;
    map.delete(etag);
    this.#undo.push(() => map.set(etag, before));
  }

  setPubRec(pub: Pub, rec: PublicationRecord): void {
    const before = pub.rec;
    pub.rec = rec;
    this.#undo.push(() => (pub.rec = before));
  }

  bumpVersion(): void {
    const s = this.#state;
    s.version++;
    this.changed = true;
    this.#undo.push(() => s.version--);
  }

  addSub(sub: Sub): void {
    const map = (this.#state.subs ??= new Map());
    map.set(sub.tag, sub);
    this.#undo.push(() => map.delete(sub.tag));
  }

  removeSub(sub: Sub): void {
    const map = this.#state.subs;
    if (map === null || map.get(sub.tag) !== sub) return;
    map.delete(sub.tag);
    this.gone.push(sub);
    this.#undo.push(() => map.set(sub.tag, sub));
  }

  setRec(sub: Sub, rec: SubscriptionRecord): void {
    const before = sub.rec;
    sub.rec = rec;
    this.#undo.push(() => (sub.rec = before));
  }

  /** Marks the dialog as ending with `reason`; its final NOTIFY goes at commit. */
  end(sub: Sub, reason: string, flags = 0): void {
    const before = sub.reason;
    const beforeFlags = sub.flags;
    sub.reason = reason;
    sub.flags |= flags;
    this.notify.push(sub);
    this.#undo.push(() => {
      sub.reason = before;
      sub.flags = beforeFlags;
    });
  }

  setWinfoEvent(sub: Sub, event: Sub['winfo']): void {
    const before = sub.winfo;
    sub.winfo = event;
    this.#undo.push(() => (sub.winfo = before));
  }
}
