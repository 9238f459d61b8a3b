// List subscriptions (RFC 4662) in the shared store: each lives in the hash of the node that
// notifies it (`<P>l:<node>`, written by the COMMIT script's pl/dl ops). What the cluster needs
// to move them between nodes: survivors adopt a dead node's lists (ADOPT_LISTS), and a refresh
// reaching another node takes the list over from a dead owner or one that handed it over
// (CLAIM_LIST). Both move the record in one script step: a list never has two notifiers.
import type { ListSubscriptionRecord } from './records.js';
import type { RedisKeys } from './redis-keys.js';
import { ADOPT_LISTS, CLAIM_LIST } from './redis-scripts.js';
import type { RedisConnection, Reply } from './redis-connection.js';
import { decode } from './redis-codec.js';

export type ListClaim = { t: 'ours'; rec: ListSubscriptionRecord } | { t: 'owned'; node: string } | { t: 'none' };

export class RedisLists {
  readonly #redis: RedisConnection;
  readonly #keys: RedisKeys;
  readonly #node: string;

  constructor(redis: RedisConnection, keys: RedisKeys, node: string) {
    this.#redis = redis;
    this.#keys = keys;
    this.#node = node;
  }

  /**
   * Moves up to `count` list subscriptions of a dead node to this one; the live ones come back
   * (expired ones are deleted: their watcher stopped refreshing them).
   */
  async adopt(dead: string, count: number, now: number): Promise<{ moved: number; live: ListSubscriptionRecord[] }> {
    const r = (await this.#redis.run(ADOPT_LISTS, [this.#keys.prefix, this.#node, dead, String(count)])) as Buffer[];
    const live: ListSubscriptionRecord[] = [];
    const ended: string[] = [];
    for (const b of r) {
      const rec = decode<ListSubscriptionRecord>(b);
      if (rec.expiresAt <= now) ended.push(rec.tag);
      else live.push(rec);
    }
    if (ended.length > 0) await this.#redis.cmd(['HDEL', this.#keys.lists(this.#node), ...ended]);
    return { moved: r.length, live };
  }

  /**
   * Makes `to` (this node by default) the list's notifier when it is so already, its owner is
   * dead, or its owner is `giver` (who handed it over).
   */
  async claim(tag: string, to = this.#node, giver = ''): Promise<ListClaim> {
    const r = (await this.#redis.run(CLAIM_LIST, [this.#keys.prefix, to, tag, giver])) as [number, Buffer?];
    if (r[0] === 1) return { t: 'ours', rec: decode<ListSubscriptionRecord>(r[1]!) };
    if (r[0] === 0) return { t: 'owned', node: r[1]!.toString() };
    return { t: 'none' };
  }

  /** Which of `tags` are still this node's (another may have adopted some while it was cut off). */
  async held(tags: readonly string[]): Promise<boolean[]> {
    if (tags.length === 0) return [];
    const r = (await this.#redis.cmd(['HMGET', this.#keys.lists(this.#node), ...tags])) as Reply[];
    return r.map((b) => b !== null);
  }
}
