// The shared store: Redis 7 / Valkey through node-redis (`@redis/client`), for several ComSIPL
// nodes serving one population (src/cluster/). Same seam as the LMDB store (store.ts):
//  - group commit: every batch submitted during a turn goes to Redis as ONE script call
//    (redis-scripts.ts COMMIT), atomic, checked and applied batch by batch; each submitter's
//    done() runs when Redis has answered. With `appendonly yes` + `appendfsync always` Redis
//    answers a write only after its AOF fsync, so a 200 OK still leaves only for a durable
//    change (README "Scale-out" for the other settings and what they cost);
//  - while Redis cannot be reached, commands fail at once (redis-connection.ts): the request
//    gets 503 and nothing is acknowledged that is not stored; the client reconnects by itself.
// Beyond the seam it gives the cluster the reads and the few atomic steps it needs (dialog
// ownership, adoption, leases, change hints); nothing else in the code talks to Redis.
import type { Store, StoreDone } from './store.js';
import { StaleError } from './store.js';
import type { BindingRecord, ListSubscriptionRecord, PublicationRecord, RestoreSink, RestoreStats, StoreOp, SubscriptionRecord } from './records.js';
import { redisKeys, type RedisKeys } from './redis-keys.js';
import { ADOPT, CLAIM, COMMIT, type Script } from './redis-scripts.js';
import { RedisConnection, type Reply } from './redis-connection.js';
import { RedisLists } from './redis-lists.js';
import { decode, decodeBindings, decodePubs, decodeSub, encodeBatch, type Arg } from './redis-codec.js';
import type { Logger } from '../log.js';

export interface RedisStoreOptions {
  /** Key prefix and channel: nodes with the same name share presence. */
  cluster: string;
  /** This node's id (owner of the dialogs it notifies). */
  node: string;
  log: Logger;
  /** How long start() waits for the first connection. */
  connectTimeoutMs?: number;
  /** This run of the node (the lease's value) and the lease's length: taken before the restore. */
  incarnation: string;
  leaseMs: number;
}

/** What the ownership steps answer about one dialog. */
export type Claim = { t: 'ours'; aor: string } | { t: 'owned'; node: string } | { t: 'none' };

interface Waiting {
  ops: readonly StoreOp[];
  done: StoreDone;
}

export class RedisStore implements Store {
  readonly keys: RedisKeys;
  readonly node: string;
  /** List subscriptions' moves between nodes (adoption, hand-over). */
  readonly lists: RedisLists;
  readonly #redis: RedisConnection;
  readonly #log: Logger;
  readonly #connectTimeout: number;
  readonly #incarnation: string;
  readonly #leaseMs: number;
  #turn: Waiting[] = [];
  #pending = 0;
  /** Script calls and the argument bytes they carried (benchmarks). */
  readonly counters = { commits: 0, batches: 0, argBytes: 0 };

  constructor(url: string, opts: RedisStoreOptions) {
    this.keys = redisKeys(opts.cluster);
    this.node = opts.node;
    this.#log = opts.log;
    this.#connectTimeout = opts.connectTimeoutMs ?? 10_000;
    this.#incarnation = opts.incarnation;
    this.#leaseMs = opts.leaseMs;
    this.#redis = new RedisConnection(url, opts.log);
    this.lists = new RedisLists(this.#redis, this.keys, this.node);
  }

  get url(): string {
    return this.#redis.url;
  }

  get pending(): number {
    return this.#pending;
  }

  get available(): boolean {
    return this.#redis.available;
  }

  /** Called with true when Redis is (back) up, false when a connection is lost. */
  onState(f: (ready: boolean) => void): void {
    this.#redis.onState(f);
  }

  // ---- the store seam ------------------------------------------------------------------------

  submit(ops: readonly StoreOp[], done: StoreDone): void {
    this.#turn.push({ ops, done });
    this.#pending += ops.length;
  }

  /** Commits `ops` on their own, now (restore's clean-up, before any actor runs). */
  #commitNow(ops: readonly StoreOp[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.submit(ops, (err) => (err ? reject(err) : resolve()));
      this.flush();
    });
  }

  flush(): void {
    if (this.#turn.length === 0) return;
    const turn = this.#turn;
    this.#turn = [];
    const args: Arg[] = [this.keys.prefix, this.node, String(turn.length)];
    let count = 0;
    try {
      for (const w of turn) {
        encodeBatch(w.ops, args);
        count += w.ops.length;
      }
    } catch (e) {
      this.#settle(turn, count, e as Error, null);
      return;
    }
    this.counters.commits++;
    this.counters.batches += turn.length;
    for (const a of args) this.counters.argBytes += a.length;
    this.#run(COMMIT, args).then(
      (reply) => this.#settle(turn, count, null, reply as number[]),
      (e: Error) => this.#settle(turn, count, e, null),
    );
  }

  #settle(turn: Waiting[], count: number, err: Error | null, results: number[] | null): void {
    this.#pending -= count;
    if (err !== null) this.#log.warn({ err: err.message, batches: turn.length }, 'store commit failed');
    for (let i = 0; i < turn.length; i++) {
      const r = results?.[i];
      try {
        if (err !== null) turn[i]!.done(err);
        else if (r === -1) turn[i]!.done(new StaleError('changed by another node'));
        else turn[i]!.done(null, r);
      } catch (e) {
        this.#log.error({ err: (e as Error).stack }, 'store callback failed');
      }
    }
  }

  /**
   * Streams this node's own dialogs (the ones it notifies) back at start: a restarted node with
   * the same id takes up what nobody adopted meanwhile. Publications and bindings are read when
   * an actor first needs them (every node may change them: no node keeps them from the start).
   */
  async restore(now: number, sink: RestoreSink): Promise<RestoreStats> {
    await this.#redis.connect(this.#connectTimeout);
    // The lease first: from now on no survivor adopts what this node is about to take up.
    await this.heartbeat();
    const stats: RestoreStats = { registrations: 0, publications: 0, subscriptions: 0, dropped: 0 };
    const owned = this.keys.owned(this.node);
    let cursor = '0';
    do {
      const [next, tags] = (await this.#cmd(['SSCAN', owned, cursor, 'COUNT', '1000'])) as [Buffer, Buffer[]];
      cursor = next.toString();
      const list = tags.map((t) => t.toString());
      const aors = (await Promise.all(list.map((tag) => this.#cmd(['HGET', this.keys.dialog(tag), 'a'])))) as (Buffer | null)[];
      const gone: string[] = [];
      const pairs: { tag: string; aor: string }[] = [];
      list.forEach((tag, i) => (aors[i] === null ? gone.push(tag) : pairs.push({ tag, aor: aors[i]!.toString() })));
      const refused: StoreOp[] = [];
      for (const rec of await this.loadDialogs(pairs)) {
        if (rec.expiresAt <= now) stats.dropped++;
        // The sink refuses a dialog it cannot serve any more (its connection died with us).
        else if (sink.subscription(rec) === false) {
          stats.dropped++;
          refused.push({ t: 'delSub', tag: rec.tag });
        } else stats.subscriptions++;
      }
      if (gone.length > 0) {
        stats.dropped += gone.length;
        await this.#cmd(['SREM', owned, ...gone]);
      }
      if (refused.length > 0) await this.#commitNow(refused);
    } while (cursor !== '0');
    // List subscriptions last: the presentities they watch are up by now.
    const lists = this.keys.lists(this.node);
    const rows = (await this.#cmd(['HGETALL', lists])) as Buffer[];
    const ended: string[] = [];
    for (let i = 0; i + 1 < rows.length; i += 2) {
      const rec = decode<ListSubscriptionRecord>(rows[i + 1]!);
      if (rec.expiresAt <= now || sink.listSubscription === undefined) ended.push(rows[i]!.toString());
      else {
        stats.lists = (stats.lists ?? 0) + 1;
        sink.listSubscription(rec);
      }
    }
    if (ended.length > 0) {
      stats.dropped += ended.length;
      await this.#cmd(['HDEL', lists, ...ended]);
    }
    return stats;
  }

  close(): Promise<void> {
    return this.#redis.close();
  }

  // ---- what the cluster reads and does --------------------------------------------------------

  /** A presentity's live publications and their version (0: none ever). */
  async loadPresentity(aor: string, now: number): Promise<{ rev: number; pubs: PublicationRecord[] }> {
    return decodePubs((await this.#cmd(['HGETALL', this.keys.pubs(aor)])) as Buffer[], now);
  }

  async loadBindings(aor: string, now: number): Promise<{ rev: number; bindings: BindingRecord[] }> {
    return decodeBindings((await this.#cmd(['HGETALL', this.keys.bindings(aor)])) as Buffer[], now);
  }

  /** Every dialog watching `aor`, whichever node notifies it, and the watcher list's version. */
  async loadWatchers(aor: string): Promise<{ rev: number; subs: SubscriptionRecord[] }> {
    const reply = (await this.#cmd(['HGETALL', this.keys.subs(aor)])) as Buffer[];
    let rev = 0;
    const subs: SubscriptionRecord[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const field = reply[i]!.toString();
      if (field === 'w') rev = Number(reply[i + 1]!.toString());
      else if (field.startsWith('s:')) subs.push(decodeSub(reply[i + 1]!));
    }
    return { rev, subs };
  }

  /** The stored records of the given dialogs (missing ones are left out). */
  async loadDialogs(pairs: readonly { tag: string; aor: string }[]): Promise<SubscriptionRecord[]> {
    const byAor = new Map<string, string[]>();
    for (const p of pairs) {
      let l = byAor.get(p.aor);
      if (l === undefined) byAor.set(p.aor, (l = []));
      l.push(`s:${p.tag}`);
    }
    const replies = await Promise.all([...byAor].map(([aor, fields]) => this.#cmd(['HMGET', this.keys.subs(aor), ...fields])));
    const out: SubscriptionRecord[] = [];
    for (const r of replies) for (const b of r as (Buffer | null)[]) if (b !== null) out.push(decodeSub(b));
    return out;
  }

  /**
   * Makes `to` (this node by default) the dialog's notifier when it is so already, its owner is
   * dead, or `force` (its owner hands it over).
   */
  async claim(tag: string, force: boolean, to = this.node): Promise<Claim> {
    const r = (await this.#run(CLAIM, [this.keys.prefix, to, tag, force ? '1' : '0'])) as [number, Buffer?];
    if (r[0] === 1) return { t: 'ours', aor: r[1]!.toString() };
    if (r[0] === 0) return { t: 'owned', node: r[1]!.toString() };
    return { t: 'none' };
  }

  /** Moves up to `count` dialogs of a dead node to this one. */
  async adopt(dead: string, count: number): Promise<{ tag: string; aor: string }[]> {
    const r = (await this.#run(ADOPT, [this.keys.prefix, this.node, dead, String(count)])) as Buffer[];
    const out: { tag: string; aor: string }[] = [];
    for (let i = 0; i + 1 < r.length; i += 2) out.push({ tag: r[i]!.toString(), aor: r[i + 1]!.toString() });
    return out;
  }

  /** Renews this node's lease and lists it among the nodes. */
  async heartbeat(): Promise<void> {
    await Promise.all([
      this.#cmd(['SET', this.keys.lease(this.node), this.#incarnation, 'PX', String(this.#leaseMs)]),
      this.#cmd(['SADD', this.keys.nodes, this.node]),
    ]);
  }

  /** Drops this node's lease (a clean stop: the others may adopt at once). */
  async resign(): Promise<void> {
    await this.#cmd(['DEL', this.keys.lease(this.node)]);
  }

  /** The other nodes that may own dialogs, and whether each one's lease is alive. */
  async peers(): Promise<{ node: string; alive: boolean }[]> {
    const nodes = ((await this.#cmd(['SMEMBERS', this.keys.nodes])) as Buffer[]).map((b) => b.toString()).filter((n) => n !== this.node);
    const alive = await Promise.all(nodes.map((n) => this.#cmd(['EXISTS', this.keys.lease(n)])));
    return nodes.map((node, i) => ({ node, alive: alive[i] === 1 }));
  }

  /** Who notifies each dialog now (null: no such dialog any more). */
  async owners(tags: readonly string[]): Promise<(string | null)[]> {
    const r = (await Promise.all(tags.map((t) => this.#cmd(['HGET', this.keys.dialog(t), 'n'])))) as (Buffer | null)[];
    return r.map((b) => (b === null ? null : b.toString()));
  }

  /** Current versions of publications ('p') or bindings ('r') of many AoRs (repair). */
  async versions(kind: 'p' | 'r', aors: readonly string[]): Promise<number[]> {
    const key = kind === 'p' ? this.keys.pubs : this.keys.bindings;
    const r = (await Promise.all(aors.map((a) => this.#cmd(['HGET', key(a), 'v'])))) as (Buffer | null)[];
    return r.map((b) => (b === null ? 0 : Number(b.toString())));
  }

  /** Listens to the cluster's channel (change hints and hand-over messages). */
  listen(f: (msg: string) => void): Promise<void> {
    return this.#redis.listen(this.keys.channel, f);
  }

  async publish(msg: string): Promise<void> {
    await this.#cmd(['PUBLISH', this.keys.channel, msg]);
  }

  #cmd(args: Arg[]): Promise<Reply> {
    return this.#redis.cmd(args);
  }

  #run(script: Script, args: Arg[]): Promise<Reply> {
    return this.#redis.run(script, args);
  }
}
