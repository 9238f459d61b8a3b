// The fdb store: the only owner of presence_w.fdb (publications, watchers) and registered.fdb
// (registrations). LMDB through the `lmdb` package, one file each (noSubdir), values msgpack.
//
// One commit per turn: everything submitted during an event-loop turn goes into one LMDB write
// transaction per file (`batch()` keeps the transaction open for the whole callback, so lmdb
// cannot split it), and the submitters' callbacks run together when that transaction is
// durable. Durable means flushed: lmdb-js resolves a write at commit and, with overlappingSync,
// fsyncs afterwards, so the batch's own flush promise is taken right after the batch is queued
// (`db.flushed` read later may already belong to the next batch and would make every 200 wait
// one fsync too many). `--durability os` stops at the commit (in the OS page cache).
import { mkdirSync, accessSync, existsSync, statSync, constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { Store, StoreDone } from './store.js';
import type { BindingRecord, ListSubscriptionRecord, PublicationRecord, RestoreSink, RestoreStats, StoreOp, SubscriptionRecord } from './records.js';
import { fromLegacySubscription } from './legacy.js';
import { decodeSubscription, emptySubscription, encodeSubscription } from './sub-codec.js';

export const PRESENCE_FILE = 'presence_w.fdb';
export const REGISTERED_FILE = 'registered.fdb';

export class StoreError extends Error {}

/**
 * mkdir -p, one level at a time: Node 20's recursive mkdirSync never returns for some paths
 * (under /proc), and a server that hangs at start is worse than one that says why it cannot.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  let d = resolve(dir);
  while (!existsSync(d)) {
    missing.push(d);
    const up = dirname(d);
    if (up === d || missing.length > 64) break;
    d = up;
  }
  for (const m of missing.reverse()) mkdirSync(m);
}

/** Key prefix of 0.1's subscription records in the root database (migrated at restore). */
const LEGACY_SUB = 'sub';
const PUB = 'pub';
/** The named database of presence_w.fdb holding the watcher dialogs, in sub-codec's form. */
const SUBS_DB = 'subs';

/** Restore decodes every dialog into this one record; the sink copies what it keeps. */
let restoreRecord: SubscriptionRecord = emptySubscription();
const subsEncoder = {
  encode: (rec: SubscriptionRecord): Buffer => encodeSubscription(rec),
  decode: (b: Uint8Array, size?: number): SubscriptionRecord | null => (decodeSubscription(b, size ?? b.length, restoreRecord) ? restoreRecord : null),
};
/** List subscriptions (RFC 4662), in presence_w.fdb beside the dialogs they resemble. */
const LST = 'lst';

export class FdbStore implements Store {
  readonly #presence: RootDatabase;
  readonly #subs: Database;
  readonly #registered: RootDatabase;
  readonly #sync: boolean;
  #ops: StoreOp[] = [];
  #dones: StoreDone[] = [];
  #pending = 0;
  /** Commit latency observer (ms), for metrics; set by the owner. */
  onCommit: ((ms: number, ops: number) => void) | null = null;

  private constructor(presence: RootDatabase, registered: RootDatabase, sync: boolean) {
    this.#presence = presence;
    this.#subs = presence.openDB({ name: SUBS_DB, encoder: subsEncoder } as never) as Database;
    this.#registered = registered;
    this.#sync = sync;
  }

  /**
   * Opens (creating) both files under `dir`; a clear StoreError when the directory is unusable.
   * `sync: false` (--durability os) skips the fsync at each commit: a killed process loses
   * nothing (the commit is in the OS page cache), a power cut may lose the last commits.
   */
  static open(dir: string, opts: { sync?: boolean } = {}): FdbStore {
    const noSync = opts.sync === false;
    try {
      makeDirs(dir);
      if (!statSync(dir).isDirectory()) throw new Error('ENOTDIR: not a directory');
      accessSync(dir, constants.W_OK | constants.R_OK);
    } catch (e) {
      throw new StoreError(`data directory ${dir} is not usable: ${(e as Error).message}`);
    }
    try {
      const o = { noSubdir: true, compression: false, noSync, overlappingSync: !noSync };
      const presence = open({ path: join(dir, PRESENCE_FILE), ...o });
      const registered = open({ path: join(dir, REGISTERED_FILE), ...o });
      return new FdbStore(presence, registered, !noSync);
    } catch (e) {
      throw new StoreError(`cannot open the store in ${dir}: ${(e as Error).message}`);
    }
  }

  get pending(): number {
    return this.#pending;
  }

  submit(ops: readonly StoreOp[], done: StoreDone): void {
    for (let i = 0; i < ops.length; i++) this.#ops.push(ops[i]!);
    this.#dones.push(done);
    this.#pending += ops.length;
  }

  flush(): void {
    if (this.#dones.length === 0) return;
    const ops = this.#ops;
    const dones = this.#dones;
    this.#ops = [];
    this.#dones = [];
    const started = performance.now();
    let commits: Promise<unknown>[];
    try {
      commits = this.#commit(ops);
    } catch (e) {
      commits = [Promise.reject(e as Error)];
    }
    const settle = (err: Error | null): void => {
      this.#pending -= ops.length;
      this.onCommit?.(performance.now() - started, ops.length);
      for (let i = 0; i < dones.length; i++) dones[i]!(err);
    };
    (commits.length === 1 ? commits[0]! : Promise.all(commits)).then(
      () => settle(null),
      (e: Error) => settle(e instanceof Error ? e : new Error(String(e))),
    );
  }

  /** One batch per file that has work; each promise resolves once its batch is durable. */
  #commit(ops: StoreOp[]): Promise<unknown>[] {
    let pres = false;
    let reg = false;
    for (const op of ops) {
      if (op.t === 'putBindings') reg = true;
      else if (op.t !== 'check') pres = true;
    }
    const out: Promise<unknown>[] = [];
    if (pres) {
      const db = this.#presence;
      out.push(this.#durable(db, db.batch(() => {
        for (const op of ops) {
          switch (op.t) {
            case 'putPub':
              void db.put([PUB, op.rec.aor, op.rec.id], op.rec);
              break;
            case 'delPub':
              void db.remove([PUB, op.aor, op.id]);
              break;
            case 'putSub':
              void this.#subs.put(op.rec.tag, op.rec);
              break;
            case 'delSub':
              void this.#subs.remove(op.tag);
              break;
            case 'putList':
              void db.put([LST, op.rec.tag], op.rec);
              break;
            case 'delList':
              void db.remove([LST, op.tag]);
              break;
            case 'putBindings':
            case 'check': // one process, one writer: nothing to check
              break;
          }
        }
      })));
    }
    if (reg) {
      const db = this.#registered;
      out.push(this.#durable(db, db.batch(() => {
        for (const op of ops) {
          if (op.t !== 'putBindings') continue;
          if (op.bindings.length === 0) void db.remove(op.aor);
          else void db.put(op.aor, op.bindings);
        }
      })));
    }
    return out;
  }

  #durable(db: RootDatabase, committed: Promise<unknown>): Promise<unknown> {
    if (!this.#sync) return committed;
    // Taken now, while `flushed` still refers to this batch (see the file comment).
    const flushed = new Promise<void>((res, rej) => {
      db.flushed.then(() => res(), rej);
    });
    return Promise.all([committed, flushed]);
  }

  /** Streams everything back at boot; expired rows are deleted before the server serves. */
  async restore(now: number, sink: RestoreSink): Promise<RestoreStats> {
    const stats: RestoreStats = { registrations: 0, publications: 0, subscriptions: 0, dropped: 0 };
    const rootDrops: unknown[] = [];
    for (const { key, value } of this.#presence.getRange({ start: [PUB], end: [PUB, '\uffff'] })) {
      const rec = value as PublicationRecord;
      // Version 0.1 keyed publications by ETag and had no id: the ETag is that key.
      if (typeof rec.id !== 'string') rec.id = rec.etag;
      if (rec.expiresAt <= now) {
        rootDrops.push(key);
        stats.dropped++;
      } else {
        stats.publications++;
        sink.publication(rec);
      }
    }
    // 0.1's dialog records: read, moved into the dialog database, deleted from the root.
    const migrate: SubscriptionRecord[] = [];
    for (const { key, value } of this.#presence.getRange({ start: [LEGACY_SUB], end: [LEGACY_SUB, '\uffff'] })) {
      const rec = fromLegacySubscription(value as SubscriptionRecord);
      rootDrops.push(key);
      if (rec === null || rec.expiresAt <= now) stats.dropped++;
      else migrate.push(rec);
    }
    restoreRecord = emptySubscription();
    const subDrops: string[] = [];
    for (const { key, value } of this.#subs.getRange({})) {
      const rec = value as SubscriptionRecord | null;
      // The sink may refuse a dialog it cannot serve any more (its connection is gone).
      if (rec === null || rec.expiresAt <= now || sink.subscription(rec) === false) {
        subDrops.push(key as string);
        stats.dropped++;
      } else stats.subscriptions++;
    }
    const migrated: SubscriptionRecord[] = [];
    for (const rec of migrate) {
      if (sink.subscription(rec) === false) {
        stats.dropped++;
        continue;
      }
      stats.subscriptions++;
      migrated.push(rec);
    }
    for (const { key, value } of this.#presence.getRange({ start: [LST], end: [LST, '\uffff'] })) {
      const rec = value as ListSubscriptionRecord;
      if (rec.expiresAt <= now || sink.listSubscription === undefined) {
        rootDrops.push(key);
        stats.dropped++;
      } else {
        stats.lists = (stats.lists ?? 0) + 1;
        sink.listSubscription(rec);
      }
    }
    const regDrops: { key: string; live: BindingRecord[] }[] = [];
    for (const { key, value } of this.#registered.getRange({})) {
      const all = value as BindingRecord[];
      const live = all.filter((b) => b.expiresAt > now);
      stats.dropped += all.length - live.length;
      if (live.length !== all.length) regDrops.push({ key: key as string, live });
      if (live.length > 0) {
        stats.registrations++;
        sink.bindings(key as string, live);
      }
    }
    if (rootDrops.length > 0 || subDrops.length > 0 || migrated.length > 0) {
      await this.#presence.batch(() => {
        for (const k of rootDrops) void this.#presence.remove(k as never);
        for (const k of subDrops) void this.#subs.remove(k);
        for (const rec of migrated) void this.#subs.put(rec.tag, rec);
      });
    }
    if (regDrops.length > 0) {
      await this.#registered.batch(() => {
        for (const r of regDrops) void (r.live.length === 0 ? this.#registered.remove(r.key) : this.#registered.put(r.key, r.live));
      });
    }
    return stats;
  }

  async close(): Promise<void> {
    await this.#presence.flushed;
    await this.#registered.flushed;
    await this.#presence.close();
    await this.#registered.close();
  }
}
