// One notifier per list subscription (RFC 4662) across nodes, as ownership.ts does for dialogs:
//  - survivors adopt a dead node's lists (sweep) and start each as a restart would: the list
//    actor watches its members again and sends full state with a CSeq above the stored
//    reservation (every CSeq the dead node used was reserved below it);
//  - a refresh reaching another node takes the list over: at once from a dead owner, or after
//    the live owner stopped it here and recorded the asker (the same ask/answer messages).
import type { ActorSystem } from '../actors/system.js';
import { DialogBusyError } from '../actors/system.js';
import type { ResubscribeMsg } from '../core/subscribe.js';
import type { RedisStore } from '../store/redis-store.js';
import type { Logger } from '../log.js';

/** List subscriptions moved per ADOPT_LISTS call, and calls per sweep of one dead node. */
const ADOPT_CHUNK = 200;
const ADOPT_ROUNDS = 50;

export class ListOwnership {
  readonly #store: RedisStore;
  readonly #sys: ActorSystem;
  readonly #log: Logger;
  readonly #ask: (tag: string, owner: string) => Promise<boolean>;
  readonly counters = { adopted: 0, handedIn: 0, handedOut: 0 };

  constructor(store: RedisStore, sys: ActorSystem, log: Logger, ask: (tag: string, owner: string) => Promise<boolean>) {
    this.#store = store;
    this.#sys = sys;
    this.#log = log;
    this.#ask = ask;
  }

  /** The list subscription `tag`, taken over here (undefined: none is stored). */
  async locate(tag: string): Promise<{ tell(m: ResubscribeMsg): void } | undefined> {
    const host = this.#sys.lists;
    if (host === null) return undefined;
    let c = await this.#store.lists.claim(tag);
    if (c.t === 'owned') {
      const ok = await this.#ask(tag, c.node);
      c = await this.#store.lists.claim(tag);
      if (c.t === 'owned') {
        this.#log.warn({ tag, owner: c.node, answered: ok }, 'list subscription owner did not hand it over');
        throw new DialogBusyError(`list subscription ${tag} is notified by ${c.node}`);
      }
      if (ok) this.counters.handedIn++;
    }
    if (c.t === 'none') return undefined;
    if (host.ownerOf(tag) === undefined) host.restore(c.rec);
    return host.ownerOf(tag);
  }

  /**
   * Another node asks for `tag`: when it is a list held here, stop it, record the asker as its
   * notifier and answer (true: taken care of here).
   */
  onAsk(tag: string, asker: string, reply: (ok: boolean) => void): boolean {
    const host = this.#sys.lists;
    if (host === null) return false;
    return host.release(tag, (ok) => {
      if (!ok) return reply(false);
      this.#store.lists.claim(tag, asker, this.#store.node).then(
        (c) => {
          this.counters.handedOut++;
          reply(c.t === 'ours');
        },
        (e: Error) => {
          this.#log.warn({ tag, err: e.message }, 'list subscription hand-over not recorded');
          reply(false);
        },
      );
    });
  }

  /** Adopts the list subscriptions of the dead node `dead`. */
  async adopt(dead: string): Promise<void> {
    const host = this.#sys.lists;
    if (host === null) return;
    let started = 0;
    for (let round = 0; round < ADOPT_ROUNDS; round++) {
      const { moved, live } = await this.#store.lists.adopt(dead, ADOPT_CHUNK, Date.now());
      if (moved === 0) break;
      for (const rec of live) {
        if (host.ownerOf(rec.tag) !== undefined) continue;
        host.restore(rec);
        started++;
      }
    }
    if (started > 0) {
      this.counters.adopted += started;
      this.#log.info({ dead, lists: started }, 'adopted the list subscriptions of a dead node');
    }
  }

  /** After a long disconnection: stop here the lists another node adopted meanwhile. */
  async verify(): Promise<number> {
    const host = this.#sys.lists;
    if (host === null) return 0;
    const tags = [...host.tags()];
    let dropped = 0;
    for (let i = 0; i < tags.length; i += 1000) {
      const chunk = tags.slice(i, i + 1000);
      const held = await this.#store.lists.held(chunk);
      chunk.forEach((tag, j) => {
        if (held[j] === true) return;
        dropped++;
        host.release(tag, () => undefined);
      });
    }
    return dropped;
  }
}
