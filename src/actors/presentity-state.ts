// The state of one presentity actor — its live publications (RFC 3903: one per SIP-ETag) and
// the dialogs watching it — and the batch a run of its transitions writes through.
//
// The batch is the draft: every change to the state goes through one of its methods, which
// applies it (so the next message of the batch sees it) and records how to undo it. A failed
// commit undoes the log in reverse and the state is exactly the committed one again.
import { pubScope, type PublicationRecord, type StoreOp, type SubscriptionRecord } from '../store/records.js';
import type { Batch } from './runtime.js';
import type { ReplyTo, ResponseSpec } from '../core/reply.js';
import type { Timed } from './timer-wheel.js';
import type { Sub, SubPatch, Topic } from './subscription.js';
import { TRANSPORTS } from '../transport/destination.js';
import { PRESENCE_RULES, type Memo, type MemoDraft, type StateRules } from './state-rules.js';

/**
 * A watcher inside the server (RFC 4662: a list subscription's member): told the presentity's
 * state, as its package renders a list member, after every committed change and at once when
 * it starts watching. Not stored: list subscriptions re-attach after a restore.
 */
export interface MemberWatcher {
  report(state: string): void;
}

/** One live publication; the object (and its expiry timer) lives across refreshes. */
export class Pub implements Timed {
  rec: PublicationRecord;
  slot = -1;
  idx = 0;
  constructor(rec: PublicationRecord) {
    this.rec = rec;
  }
}

/** Is `s` exactly `<inner>`? (Compared in place: this runs once per restored dialog.) */
function isAngled(s: string, inner: string): boolean {
  return s.length === inner.length + 2 && s.charCodeAt(0) === 0x3c && s.charCodeAt(s.length - 1) === 0x3e && s.startsWith(inner, 1);
}

export class PresentityState {
  readonly aor: string;
  /** The package whose state this is (presence, dialog …): its name and actor-side rules. */
  readonly rules: StateRules;
  /** Our tag → dialog, for every presentity (shared: in-dialog requests find their owner here). */
  readonly directory: Map<string, Sub>;
  /** Live publications by their current ETag; null while there are none (memory). */
  pubs: Map<string, Pub> | null = null;
  /** The watcher dialogs (presence and presence.winfo), chained through Sub.next/prev. */
  head: Sub | null = null;
  count = 0;
  /** Bumped on every change of the composed state: NOTIFY bodies are shared per version. */
  version = 0;
  /** The package's ordering memory (dialog id → most advanced state seen); null while empty. */
  memo: Map<string, Memo> | null = null;
  /** Watchers inside the server (list members); null while there are none. */
  members: Set<MemberWatcher> | null = null;
  /** With a shared store: the stored publications' version this view holds (-1: not read yet). */
  rev = -1;
  /** With a shared store and a local presence.winfo subscriber: the watchers other nodes
   * notify (RFC 3857: the winfo subscriber sees them all), and their list's version. */
  remote: SubscriptionRecord[] | null = null;
  wrev = -1;
  /** The Topics its dialogs share: usually one (every watcher names it the same way), so the
   * first has a field of its own and an array exists only for more. */
  #topic: Topic | null = null;
  #topics: Topic[] | null = null;

  /** Dialogs per event package, all presentities together (a gauge read at scrape time). */
  readonly #perEvent: Map<string, { n: number }[]>;

  constructor(aor: string, directory: Map<string, Sub>, rules: StateRules = PRESENCE_RULES, perEvent: Map<string, { n: number }[]> = new Map()) {
    this.aor = aor;
    this.directory = directory;
    this.rules = rules;
    this.#perEvent = perEvent;
  }

  get pkg(): string {
    return this.rules.name;
  }

  get empty(): boolean {
    return (this.pubs === null || this.pubs.size === 0) && this.head === null && (this.members === null || this.members.size === 0);
  }

  /**
   * The shared Topic for a dialog on this presentity named as in `r`. A localUri of '' (as the
   * store decodes it) stands for `<entity>`.
   */
  topic(r: { event: string; eventId: string | null; localUri: string; entity: string }): Topic {
    const same = (t: Topic): boolean =>
      t.event === r.event && t.eventId === r.eventId && t.entity === r.entity && (r.localUri === '' ? isAngled(t.localUri, r.entity) : t.localUri === r.localUri);
    if (this.#topic !== null && same(this.#topic)) return this.#topic;
    if (this.#topics !== null) for (const t of this.#topics) if (same(t)) return t;
    const localUri = r.localUri === '' ? `<${r.entity}>` : r.localUri;
    let counters = this.#perEvent.get(r.event);
    if (counters === undefined) this.#perEvent.set(r.event, (counters = TRANSPORTS.map(() => ({ n: 0 }))));
    const t: Topic = { aor: this.aor, event: r.event, eventId: r.eventId, localUri, entity: r.entity, counters };
    if (this.#topic === null) this.#topic = t;
    // A few variants at most; a pathological client naming it differently each time gets its own.
    else if ((this.#topics ??= []).length < 8) this.#topics.push(t);
    return t;
  }

  /** This presentity's dialog with our tag `tag`. */
  sub(tag: string): Sub | undefined {
    const s = this.directory.get(tag);
    return s !== undefined && s.aor === this.aor ? s : undefined;
  }

  *subs(): IterableIterator<Sub> {
    for (let s = this.head; s !== null; s = s.next) yield s;
  }

  /** Chains `sub` in (front) or out; the directory follows. */
  link(sub: Sub): void {
    sub.prev = null;
    sub.next = this.head;
    if (this.head !== null) this.head.prev = sub;
    this.head = sub;
    this.count++;
    this.directory.set(sub.tag, sub);
    sub.topic.counters[sub.transport]!.n++;
  }

  unlink(sub: Sub): void {
    if (sub.prev !== null) sub.prev.next = sub.next;
    else this.head = sub.next;
    if (sub.next !== null) sub.next.prev = sub.prev;
    sub.next = sub.prev = null;
    this.count--;
    if (this.directory.get(sub.tag) === sub) this.directory.delete(sub.tag);
    sub.topic.counters[sub.transport]!.n--;
  }
}

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
