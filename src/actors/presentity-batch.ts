// The batch a run of a presentity actor's transitions writes through: the draft. Every change
// to the state goes through one of its methods, which applies it (so the next message of the
// batch sees it) and records how to undo it. A failed commit undoes the log in reverse and the
// state is exactly the committed one again.
import { pubScope, type StoreOp, type SubscriptionRecord, type PublicationRecord } from '../store/records.js';
import type { Batch } from './runtime.js';
import type { ReplyTo, ResponseSpec } from '../core/reply.js';
import type { Sub, SubPatch } from './subscription.js';
import type { Memo, MemoDraft } from './state-rules.js';
import type { MemberWatcher, Pub, PresentityState } from './presentity-state.js';

/** The effects of a batch, carried out by the actor once the batch is durable. */
export class PresBatch implements Batch, MemoDraft {
  readonly ops: StoreOp[] = [];
  rev?: number;
  /** A 'check' op leads the ops: the publications' new version comes back as `rev`. */
  checked = false;
  /** Read the shared state again once this batch is done (a change elsewhere, a failed read). */
  reload = false;
  /** Read the shared watcher list once this batch is done (for a local winfo subscriber). */
  reloadWatchers = false;
  /** Dialogs handed to another node: their done() runs at commit. */
  readonly handed: ((ok: boolean) => void)[] = [];
  readonly replies: [ReplyTo, ResponseSpec][] = [];
  /** The composed presence changed: NOTIFY every presence watcher (pacing applies). */
  changed = false;
  /** The watcher list changed: NOTIFY the presence.winfo subscribers (RFC 3857 §5.4). */
  winfo = false;
  /** Dialogs owed a NOTIFY now (answer to a SUBSCRIBE, a refresh, a final NOTIFY). */
  readonly notify: Sub[] = [];
  /** Dialogs whose expiry moved or began: (re)schedule. */
  readonly timers: Sub[] = [];
  /** Dialogs this batch created. */
  readonly added: Sub[] = [];
  /** Dialogs that left the presentity: forget their timer. */
  readonly gone: Sub[] = [];
  /** NOTIFY outcomes processed: clear their in-flight mark (commit or not). */
  readonly outcomes: Sub[] = [];
  /** CSeq reservations committed. */
  readonly reserved: Sub[] = [];
  /** Publications whose expiry moved, began (live) or ended (not live). */
  readonly pubTimers: Pub[] = [];
  /** Timers to fire again later when the batch does not commit (expiry retries). */
  readonly retry: (Pub | Sub)[] = [];
  /** Member watchers that started watching: told the state at commit. */
  readonly inform: MemberWatcher[] = [];
  readonly #undo: (() => void)[] = [];
  readonly #state: PresentityState;
  readonly #shared: boolean;

  constructor(state: PresentityState, shared = false) {
    this.#state = state;
    this.#shared = shared;
  }

  /** A publication write. With a shared store the batch first checks the version it builds on. */
  pubOp(op: StoreOp): void {
    if (this.#shared && !this.checked) {
      this.ops.unshift({ t: 'check', kind: 'pres', aor: pubScope(this.#state.pkg, this.#state.aor), rev: this.#state.rev });
      this.checked = true;
    }
    this.ops.push(op);
  }

  setRemote(remote: SubscriptionRecord[] | null, wrev: number): void {
    const s = this.#state;
    const before = s.remote;
    const beforeRev = s.wrev;
    s.remote = remote;
    s.wrev = wrev;
    this.#undo.push(() => {
      s.remote = before;
      s.wrev = beforeRev;
    });
  }

  setRev(rev: number): void {
    const s = this.#state;
    const before = s.rev;
    s.rev = rev;
    this.#undo.push(() => (s.rev = before));
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

  memo(key: string): Memo | undefined {
    return this.#state.memo?.get(key);
  }

  remember(key: string, m: Memo): void {
    const map = (this.#state.memo ??= new Map());
    const before = map.get(key);
    map.delete(key); // re-inserted last: the Map's order is the eviction order
    map.set(key, m);
    let evicted: [string, Memo] | null = null;
    if (map.size > 1024) {
      const oldest = map.keys().next().value as string;
      evicted = [oldest, map.get(oldest)!];
      map.delete(oldest);
    }
    this.#undo.push(() => {
      map.delete(key);
      if (before !== undefined) map.set(key, before);
      if (evicted !== null) map.set(evicted[0], evicted[1]);
    });
  }

  addMember(w: MemberWatcher): void {
    const set = (this.#state.members ??= new Set());
    if (set.has(w)) return;
    set.add(w);
    this.inform.push(w);
    this.#undo.push(() => set.delete(w));
  }

  removeMember(w: MemberWatcher): void {
    const set = this.#state.members;
    if (set === null || !set.delete(w)) return;
    this.#undo.push(() => set.add(w));
  }

  addSub(sub: Sub): void {
    const s = this.#state;
    s.link(sub);
    this.added.push(sub);
    this.#undo.push(() => s.unlink(sub));
  }

  removeSub(sub: Sub): void {
    const s = this.#state;
    if (s.sub(sub.tag) !== sub) return;
    s.unlink(sub);
    this.gone.push(sub);
    this.#undo.push(() => s.link(sub));
  }

  /** Changes durable fields of a dialog. */
  update(sub: Sub, patch: SubPatch): void {
    const before: SubPatch = {};
    for (const k of Object.keys(patch) as (keyof SubPatch)[]) (before as Record<string, unknown>)[k] = sub[k];
    Object.assign(sub, patch);
    this.#undo.push(() => Object.assign(sub, before));
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

  setWinfoEvent(sub: Sub, event: number): void {
    const before = sub.winfo;
    sub.winfo = event;
    this.#undo.push(() => (sub.winfo = before));
  }
}
