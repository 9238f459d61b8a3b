// Where list subscriptions live: the list actors by our dialog tag (in-dialog requests, expiry,
// restore), the wake-ups of their batching windows (checked on the server's 50-ms tick), and the
// internal watchers' attachment to presentity actors — always by message, so each presentity
// actor alone changes its own watcher set.
import { presentityKey, type ActorSystem, type ListHost } from '../../actors/system.js';
import { Sub, TRANSIENT, UNCOUNTED, type Topic } from '../../actors/subscription.js';
import type { NotifySink } from '../../actors/presentity-actor.js';
import type { ListSubscriptionRecord } from '../../store/records.js';
import type { WatcherDecision } from '../../policy/watcher-rules.js';
import { aorKey } from '../../policy/aor.js';
import { parseUri, aorOf } from '../../codec/sip/uri.js';
import type { ListEntry } from '../../codec/resource-lists/parse.js';
import { ListActor, type ListEnv } from './list-actor.js';
import { ListState, Member, type ListMsg } from './list-state.js';
import type { ListsFile } from './list-file.js';

export interface ListHostConfig {
  notifyTimeout: 'end' | 'keep';
  listBatchMs: number;
  listMaxBody: number;
}

export class ListActors implements ListHost {
  readonly actors = new Map<string, ListActor>();
  readonly #sys: ActorSystem;
  readonly #wake = new Map<ListActor, number>();
  readonly #env: ListEnv;
  readonly file: ListsFile;
  authorize: (presentity: string, watcher: string) => WatcherDecision;

  constructor(sys: ActorSystem, notifier: NotifySink, file: ListsFile, cfg: ListHostConfig, host: string, authorize: (p: string, w: string) => WatcherDecision) {
    this.#sys = sys;
    this.file = file;
    this.authorize = authorize;
    this.#env = {
      runtime: sys.runtime,
      wheel: sys.wheel,
      notifier,
      notifyTimeout: cfg.notifyTimeout,
      batchMs: cfg.listBatchMs,
      maxBody: cfg.listMaxBody,
      host,
      watch: (pkg, m) => this.#sys.presentity(m.aor!, pkg).tell({ t: 'watch', w: m }),
      unwatch: (pkg, m) => this.#sys.presentities.get(presentityKey(pkg, m.aor!))?.tell({ t: 'unwatch', w: m }),
      wakeAt: (a, at) => {
        const had = this.#wake.get(a);
        if (had === undefined || at < had) this.#wake.set(a, at);
      },
      forget: (a) => {
        if (this.actors.get(a.sub.tag) === a) this.actors.delete(a.sub.tag);
        this.#wake.delete(a);
      },
    };
  }

  get size(): number {
    return this.actors.size;
  }

  ownerOf(tag: string): ListActor | undefined {
    return this.actors.get(tag);
  }

  /** Batching windows and full-state deadlines that came: a message to each actor. */
  tick(now: number): void {
    for (const [a, at] of this.#wake) {
      if (at > now) continue;
      this.#wake.delete(a);
      a.tell({ t: 'flush', now });
    }
  }

  /** Members of a list as `owner` sees them (watcher rules, RFC 4662 §4.4 + RFC 5025). */
  members(sink: { tell(m: ListMsg): void }, entries: readonly ListEntry[], owner: string): Member[] {
    return entries.map((e, i) => {
      const u = parseUri(e.uri);
      const aor = u === null || u.user === null || !this.#sys.servesDomain(u.host) ? null : aorOf(u);
      const decision: WatcherDecision = aor === null ? 'allow' : aorKey(aor) === aorKey(owner) ? 'allow' : this.authorize(aor, owner);
      return new Member(sink, i, e.uri, e.name, aor, decision);
    });
  }

  /** A new list subscription's actor (its first message is 'subscribe'). */
  create(rec: ListSubscriptionRecord, entries: readonly ListEntry[], transient: boolean): ListActor {
    const actor = this.#make(rec, entries, transient ? 16 : 0, 0);
    this.actors.set(rec.tag, actor);
    return actor;
  }

  restore(rec: ListSubscriptionRecord): void {
    const entries = rec.list.entries ?? this.file.get(rec.list.uri)?.entries ?? [];
    const actor = this.#make(rec, entries, 0, rec.cseqReserved);
    this.actors.set(rec.tag, actor);
    this.#sys.wheel.schedule(actor.sub, actor.sub.expiresAt);
    actor.attachRestored();
  }

  release(tag: string, done: (ok: boolean) => void): boolean {
    const a = this.actors.get(tag);
    if (a === undefined) return false;
    a.tell({ t: 'release', done });
    return true;
  }

  /** The stored ones only: a fetch (transient) is nowhere in the store. */
  *tags(): IterableIterator<string> {
    for (const [tag, a] of this.actors) if ((a.sub.flags & TRANSIENT) === 0) yield tag;
  }

  /** The watcher rules changed: decide every member again (RFC 5025 via the owner). */
  reapply(): number {
    let changed = 0;
    for (const a of this.actors.values()) {
      for (const m of a.state.members) {
        if (m.aor === null || aorKey(m.aor) === aorKey(a.state.rec.list.owner)) continue;
        const d = this.authorize(m.aor, a.state.rec.list.owner);
        if (d === m.decision) continue;
        changed++;
        a.tell({ t: 'decide', m, decision: d });
      }
    }
    return changed;
  }

  #make(rec: ListSubscriptionRecord, entries: readonly ListEntry[], flags: number, cseq: number): ListActor {
    const topic: Topic = { aor: rec.aor, event: rec.event, eventId: rec.eventId, localUri: rec.localUri, entity: rec.entity, counters: UNCOUNTED };
    const sub = new Sub(topic, rec, flags, cseq);
    const state = new ListState(sub, rec);
    const pkg = this.#sys.packages.get(rec.event)!;
    const actor = new ListActor(state, pkg, this.#env);
    for (const m of this.members(actor, entries, rec.list.owner)) state.members.push(m);
    return actor;
  }
}
