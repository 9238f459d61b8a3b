// The state of one presentity actor: its live publications (RFC 3903: one per SIP-ETag) and
// the dialogs watching it. Changed only through the batch's draft (presentity-batch.ts).
import type { PublicationRecord, SubscriptionRecord } from '../store/records.js';
import type { Timed } from './timer-wheel.js';
import type { Sub, Topic } from './subscription.js';
import { TRANSPORTS } from '../transport/destination.js';
import { flat, internEvent } from './strings.js';
import { PRESENCE_RULES, type Memo, type StateRules } from './state-rules.js';

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

/** A presentity's Topic; its local URI is derived when it is `<entity>`. */
class PresTopic implements Topic {
  constructor(
    readonly aor: string,
    readonly event: string,
    readonly eventId: string | null,
    readonly ownLocalUri: string | null,
    readonly entity: string,
    readonly counters: readonly { n: number }[],
  ) {}

  get localUri(): string {
    return this.ownLocalUri ?? `<${this.entity}>`;
  }
}

/** The rarely used part of a presentity's state (see PresentityState's accessors). */
class Rare {
  memo: Map<string, Memo> | null = null;
  members: Set<MemberWatcher> | null = null;
  rev = -1;
  remote: SubscriptionRecord[] | null = null;
  wrev = -1;
  topics: PresTopic[] | null = null;
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
  /** The Topics its dialogs share: usually one (every watcher names it the same way), so the
   * first has a field of its own and further ones go in Rare. */
  #topic: PresTopic | null = null;
  /** What most presentities never use, in one object made when first needed (memory: one
   * field instead of six on each of a million presentities). */
  #rare: Rare | null = null;

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

  /** The package's ordering memory (dialog id → most advanced state seen); null while empty. */
  get memo(): Map<string, Memo> | null {
    return this.#rare?.memo ?? null;
  }

  set memo(m: Map<string, Memo> | null) {
    if (m !== null || this.#rare !== null) (this.#rare ??= new Rare()).memo = m;
  }

  /** Watchers inside the server (list members); null while there are none. */
  get members(): Set<MemberWatcher> | null {
    return this.#rare?.members ?? null;
  }

  set members(m: Set<MemberWatcher> | null) {
    if (m !== null || this.#rare !== null) (this.#rare ??= new Rare()).members = m;
  }

  /** With a shared store: the stored publications' version this view holds (-1: not read yet). */
  get rev(): number {
    return this.#rare?.rev ?? -1;
  }

  set rev(v: number) {
    if (v !== -1 || this.#rare !== null) (this.#rare ??= new Rare()).rev = v;
  }

  /** With a shared store and a local presence.winfo subscriber: the watchers other nodes
   * notify (RFC 3857: the winfo subscriber sees them all), and their list's version. */
  get remote(): SubscriptionRecord[] | null {
    return this.#rare?.remote ?? null;
  }

  set remote(r: SubscriptionRecord[] | null) {
    if (r !== null || this.#rare !== null) (this.#rare ??= new Rare()).remote = r;
  }

  get wrev(): number {
    return this.#rare?.wrev ?? -1;
  }

  set wrev(v: number) {
    if (v !== -1 || this.#rare !== null) (this.#rare ??= new Rare()).wrev = v;
  }

  get empty(): boolean {
    return (this.pubs === null || this.pubs.size === 0) && this.head === null && (this.members === null || this.members.size === 0);
  }

  /**
   * The shared Topic for a dialog on this presentity named as in `r`. A localUri of '' (as the
   * store decodes it) stands for `<entity>`.
   */
  topic(r: { event: string; eventId: string | null; localUri: string; entity: string }): Topic {
    // A topic without a local URI of its own stands for `<entity>` (compared without building it).
    const same = (t: PresTopic): boolean =>
      t.event === r.event && t.eventId === r.eventId && t.entity === r.entity
      && (t.ownLocalUri === null ? r.localUri === '' || isAngled(r.localUri, r.entity) : t.ownLocalUri === r.localUri);
    if (this.#topic !== null && same(this.#topic)) return this.#topic;
    const more = this.#rare?.topics ?? null;
    if (more !== null) for (const t of more) if (same(t)) return t;
    // Kept as long as the presentity has dialogs: flat copies, the entity sharing the AoR's
    // string, the local URI not kept at all when it is `<entity>` (the usual case).
    const entity = r.entity === this.aor ? this.aor : flat(r.entity);
    const localUri = r.localUri === '' || isAngled(r.localUri, r.entity) ? null : flat(r.localUri);
    let counters = this.#perEvent.get(r.event);
    if (counters === undefined) this.#perEvent.set(r.event, (counters = TRANSPORTS.map(() => ({ n: 0 }))));
    const t = new PresTopic(this.aor, internEvent(r.event), r.eventId === null ? null : flat(r.eventId), localUri, entity, counters);
    if (this.#topic === null) this.#topic = t;
    // A few variants at most; a pathological client naming it differently each time gets its own.
    else if (((this.#rare ??= new Rare()).topics ??= []).length < 8) this.#rare.topics.push(t);
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
