// One notifier per dialog (RFC 6665 §4.2.2 ordering, RFC 3261 §12.2.1.1 growing CSeqs, with
// several nodes): the store records which node notifies each dialog, and it changes hands only
//  - when its node is dead (its lease ran out): survivors adopt its dialogs in chunks at once
//    (sweep) and send each its state with a CSeq above the stored high-water mark;
//  - when a request for it reaches another node (the balancer re-routed it): that node asks the
//    owner, which forgets the dialog and records the asker as its notifier before saying yes,
//    so two nodes never notify it at the same time (locate).
import type { ActorSystem, DialogLocator } from '../actors/system.js';
import { DialogBusyError, presentityKey } from '../actors/system.js';
import type { ResubscribeMsg } from '../core/subscribe.js';
import { ListOwnership } from './list-ownership.js';
import type { SubscriptionRecord } from '../store/records.js';
import type { RedisStore } from '../store/redis-store.js';
import type { Logger } from '../log.js';
import { answerText, askText } from './messages.js';

/** How long an asker waits for the owner's answer before trying again or giving up (503). */
const HANDOVER_WAIT_MS = 3000;
/** Dialogs moved per ADOPT call, and calls per sweep of one dead node. */
const ADOPT_CHUNK = 500;
const ADOPT_ROUNDS = 40;

type Resubscriber = { tell(m: ResubscribeMsg): void };

export class Ownership implements DialogLocator {
  readonly #store: RedisStore;
  readonly #sys: ActorSystem;
  readonly #log: Logger;
  /** Dialogs being located, so that two requests for one dialog share the work. */
  readonly #locating = new Map<string, Promise<Resubscriber | undefined>>();
  /** Hand-overs this node asked for: tag → its answer. */
  readonly #asked = new Map<string, (ok: boolean) => void>();
  readonly counters = { adopted: 0, handedIn: 0, handedOut: 0 };

  /** List subscriptions' part (RFC 4662): they move between nodes as dialogs do. */
  readonly lists: ListOwnership;

  constructor(store: RedisStore, sys: ActorSystem, log: Logger) {
    this.#store = store;
    this.#sys = sys;
    this.#log = log;
    this.lists = new ListOwnership(store, sys, log, (tag, owner) => this.ask(tag, owner));
  }

  locate(tag: string): Promise<Resubscriber | undefined> {
    let p = this.#locating.get(tag);
    if (p === undefined) {
      p = this.#locate(tag).finally(() => this.#locating.delete(tag));
      this.#locating.set(tag, p);
    }
    return p;
  }

  async #locate(tag: string): Promise<Resubscriber | undefined> {
    let c = await this.#store.claim(tag, false);
    // Not a dialog of a presentity: maybe a list subscription (RFC 4662).
    if (c.t === 'none') return this.lists.locate(tag);
    if (c.t === 'owned') {
      const ok = await this.ask(tag, c.node);
      // No answer: the owner may have just died (its lease runs out) — look once more.
      c = await this.#store.claim(tag, false);
      if (c.t === 'owned') {
        this.#log.warn({ tag, owner: c.node, answered: ok }, 'dialog owner did not hand it over');
        throw new DialogBusyError(`dialog ${tag} is notified by ${c.node}`);
      }
      if (ok) this.counters.handedIn++;
    }
    if (c.t === 'none') return undefined;
    const known = this.#sys.ownerOf(tag);
    if (known !== undefined) return known;
    const recs = (await this.#store.loadDialogs([{ tag, aor: c.aor }])).map((r) => this.#sys.intern(r));
    if (recs.length === 0) return undefined;
    const actor = this.#sys.presentity(c.aor, this.#sys.packages.stateOf(recs[0]!.event));
    // The request that asked answers it, and its NOTIFY follows: no extra one here.
    actor.tell({ t: 'adopt', recs, notify: false });
    return actor;
  }

  /** Asks the live node `owner` to hand the dialog or list subscription `tag` to this node. */
  ask(tag: string, owner: string): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#asked.delete(tag);
        resolve(false);
      }, HANDOVER_WAIT_MS);
      this.#asked.set(tag, (ok) => {
        clearTimeout(timer);
        this.#asked.delete(tag);
        resolve(ok);
      });
      this.#store.publish(askText(tag, owner, this.#store.node)).catch(() => undefined);
    });
  }

  /** Another node asks for a dialog this node notifies: forget it, record the asker, answer. */
  onAsk(tag: string, asker: string): void {
    const reply = (ok: boolean): void => {
      this.#store.publish(answerText(tag, asker, ok)).catch(() => undefined);
    };
    const hand = (): void => {
      this.#store.claim(tag, true, asker).then(
        () => {
          this.counters.handedOut++;
          reply(true);
        },
        (e: Error) => {
          this.#log.warn({ tag, err: e.message }, 'dialog hand-over not recorded');
          reply(false);
        },
      );
    };
    if (this.lists.onAsk(tag, asker, reply) === true) return;
    const owner = this.#sys.ownerOf(tag);
    if (owner === undefined) hand();
    else owner.tell({ t: 'release', tag, done: (ok) => (ok ? hand() : reply(false)) });
  }

  onAnswer(tag: string, ok: boolean): void {
    this.#asked.get(tag)?.(ok);
  }

  /** Adopts the dialogs of dead nodes (their leases ran out); each gets its state at once. */
  async sweep(): Promise<void> {
    for (const peer of await this.#store.peers()) {
      if (peer.alive) continue;
      let moved = 0;
      for (let round = 0; round < ADOPT_ROUNDS; round++) {
        const pairs = await this.#store.adopt(peer.node, ADOPT_CHUNK);
        if (pairs.length === 0) break;
        moved += pairs.length;
        this.#deliver(await this.#store.loadDialogs(pairs), true);
      }
      if (moved > 0) {
        this.counters.adopted += moved;
        this.#log.info({ dead: peer.node, dialogs: moved }, 'adopted the dialogs of a dead node');
      }
      // Its list subscriptions after its dialogs: the presentities they watch are up by then.
      await this.lists.adopt(peer.node);
    }
  }

  /**
   * After a long disconnection another node may have adopted dialogs held here: forget those
   * (their new owner notifies them).
   */
  async verify(): Promise<number> {
    const tags = [...this.#sys.directory.keys()];
    let dropped = 0;
    for (let i = 0; i < tags.length; i += 1000) {
      const chunk = tags.slice(i, i + 1000);
      const owners = await this.#store.owners(chunk);
      chunk.forEach((tag, j) => {
        const o = owners[j];
        if (o === null || o === undefined || o === this.#store.node) return;
        dropped++;
        this.#sys.ownerOf(tag)?.tell({ t: 'release', tag, done: () => undefined });
      });
    }
    dropped += await this.lists.verify();
    if (dropped > 0) this.#log.warn({ dialogs: dropped }, 'dialogs adopted by other nodes while this one was cut off');
    return dropped;
  }

  #deliver(recs: SubscriptionRecord[], notify: boolean): void {
    // Grouped by presentity actor: a BLF dialog (Event: dialog) belongs to the AoR's dialog actor.
    const byActor = new Map<string, SubscriptionRecord[]>();
    for (const r of recs) {
      const key = presentityKey(this.#sys.packages.stateOf(r.event), r.aor);
      let l = byActor.get(key);
      if (l === undefined) byActor.set(key, (l = []));
      l.push(this.#sys.intern(r));
    }
    for (const list of byActor.values()) {
      const first = list[0]!;
      this.#sys.presentity(first.aor, this.#sys.packages.stateOf(first.event)).tell({ t: 'adopt', recs: list, notify });
    }
  }
}
