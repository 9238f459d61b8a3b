// The fdb actor: the only owner of presence_w.fdb (publications, watchers) and registered.fdb
// (registrations). LMDB through the `lmdb` package, one file each (noSubdir), values msgpack.
//
// Group commit: lmdb collects every asynchronous put/remove issued in the same event-loop turn
// into one write transaction and resolves their promises when it is durably committed, so the
// callers (the actors) await the returned promise before the 200 OK leaves.
import { mkdirSync, accessSync, existsSync, statSync, constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import type { PidfDocument } from '../codec/pidf/types.js';

export const PRESENCE_FILE = 'presence_w.fdb';
export const REGISTERED_FILE = 'registered.fdb';

export interface PublicationRecord {
  aor: string;
  etag: string;
  expiresAt: number; // ms since epoch
  modified: number;
  doc: PidfDocument;
}

export interface SubscriptionRecord {
  id: string; // dialog id: call-id, local (to) tag, remote (from) tag, event id
  aor: string; // presentity address of record
  entity: string; // presentity URI as the SUBSCRIBE named it (PIDF entity)
  event: string; // 'presence' | 'presence.winfo'
  eventId: string | null;
  callId: string;
  localTag: string;
  remoteTag: string;
  localUri: string; // our From in NOTIFYs (the SUBSCRIBE's To, without tag)
  remoteUri: string; // our To in NOTIFYs (the SUBSCRIBE's From, without tag)
  watcherAor: string;
  remoteTarget: string; // Contact URI of the watcher
  routeSet: string[]; // Record-Route values, in order
  /** Last CSeq used for a NOTIFY, and the persisted high-water mark that restarts resume above. */
  localCseq: number;
  cseqReserved: number;
  remoteCseq: number;
  expiresAt: number;
  state: 'active' | 'pending' | 'terminated';
  /** Polite blocking (RFC 5025): the watcher is told the presentity is offline. */
  polite: boolean;
  /** Where the SUBSCRIBE came from, for remote targets that cannot be resolved (flow fallback). */
  source: { address: string; port: number };
}

export interface BindingRecord {
  contact: string; // the Contact header value as given (name-addr form, without expires param)
  uri: string; // the contact URI
  expiresAt: number;
  q: number | null;
  callId: string;
  cseq: number;
  instance: string | null; // +sip.instance
}

export interface Restored {
  publications: PublicationRecord[];
  subscriptions: SubscriptionRecord[];
  registrations: Map<string, BindingRecord[]>;
  dropped: number;
}

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

export class FdbStore {
  readonly #presence: RootDatabase;
  readonly #registered: RootDatabase;
  readonly #sync: boolean;

  private constructor(presence: RootDatabase, registered: RootDatabase, sync: boolean) {
    this.#presence = presence;
    this.#registered = registered;
    this.#sync = sync;
  }

  /**
   * lmdb-js resolves a write when its transaction is committed (visible), and — with its
   * default overlappingSync — flushes to disk afterwards, in parallel with later commits. A
   * durable acknowledgement waits for that flush too (`db.flushed`); every write of the same
   * flush shares the one fsync, so this is still group commit.
   */
  #durable(db: RootDatabase, write: Promise<boolean>): Promise<boolean> {
    return this.#sync ? write.then((ok) => db.flushed.then(() => ok)) : write;
  }

  /** Opens (creating) both files under `dir`; a clear StoreError when the directory is unusable. */
  /**
   * `sync: false` (--durability os) skips the fsync at each commit: a killed process loses
   * nothing (the commit is in the OS page cache, LMDB stays consistent), a power cut or kernel
   * crash may lose the last commits. The default fsyncs before any 200 OK leaves.
   */
  static open(dir: string, opts: { sync?: boolean } = {}): FdbStore {
    const noSync = opts.sync === false;
    try {
      makeDirs(dir);
      if (!statSync(dir).isDirectory()) throw new Error(`ENOTDIR: not a directory`);
      accessSync(dir, constants.W_OK | constants.R_OK);
    } catch (e) {
      throw new StoreError(`data directory ${dir} is not usable: ${(e as Error).message}`);
    }
    try {
      const presence = open({ path: join(dir, PRESENCE_FILE), noSubdir: true, compression: false, noSync });
      const registered = open({ path: join(dir, REGISTERED_FILE), noSubdir: true, compression: false, noSync });
      return new FdbStore(presence, registered, !noSync);
    } catch (e) {
      throw new StoreError(`cannot open the store in ${dir}: ${(e as Error).message}`);
    }
  }

  putPublication(rec: PublicationRecord): Promise<boolean> {
    return this.#durable(this.#presence, this.#presence.put(['pub', rec.aor, rec.etag], rec));
  }

  removePublication(aor: string, etag: string): Promise<boolean> {
    return this.#durable(this.#presence, this.#presence.remove(['pub', aor, etag]));
  }

  putSubscription(rec: SubscriptionRecord): Promise<boolean> {
    return this.#durable(this.#presence, this.#presence.put(['sub', rec.id], rec));
  }

  removeSubscription(id: string): Promise<boolean> {
    return this.#durable(this.#presence, this.#presence.remove(['sub', id]));
  }

  putBindings(aor: string, bindings: BindingRecord[]): Promise<boolean> {
    const db = this.#registered;
    return this.#durable(db, bindings.length === 0 ? db.remove(aor) : db.put(aor, bindings));
  }

  /** Reads everything back at boot; expired rows are deleted before the server serves. */
  async restore(now: number): Promise<Restored> {
    const out: Restored = { publications: [], subscriptions: [], registrations: new Map(), dropped: 0 };
    const deletes: Promise<boolean>[] = [];
    for (const { key, value } of this.#presence.getRange({ start: ['pub'], end: ['pub', '\uffff'] })) {
      const rec = value as PublicationRecord;
      if (rec.expiresAt <= now) {
        deletes.push(this.#presence.remove(key));
        out.dropped++;
      } else out.publications.push(rec);
    }
    for (const { key, value } of this.#presence.getRange({ start: ['sub'], end: ['sub', '\uffff'] })) {
      const rec = value as SubscriptionRecord;
      if (rec.expiresAt <= now || rec.state === 'terminated') {
        deletes.push(this.#presence.remove(key));
        out.dropped++;
      } else out.subscriptions.push(rec);
    }
    for (const { key, value } of this.#registered.getRange({})) {
      const live = (value as BindingRecord[]).filter((b) => b.expiresAt > now);
      out.dropped += (value as BindingRecord[]).length - live.length;
      if (live.length === 0) deletes.push(this.#registered.remove(key));
      else {
        if (live.length !== (value as BindingRecord[]).length) deletes.push(this.#registered.put(key, live));
        out.registrations.set(key as string, live);
      }
    }
    await Promise.all(deletes);
    return out;
  }

  async close(): Promise<void> {
    await this.#presence.flushed;
    await this.#registered.flushed;
    await this.#presence.close();
    await this.#registered.close();
  }
}
