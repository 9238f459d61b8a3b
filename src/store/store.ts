// The store seam: the one interface the actors persist through. The embedded LMDB files
// (fdb-store.ts) are its first implementation; nothing outside src/store imports lmdb.
//
// Group commit is the contract: every batch of operations submitted during one event-loop turn
// is committed as one unit, and each submitter's `done` runs once that unit is durable — or has
// failed, in which case none of its operations took effect. A 200 OK leaves from `done`.
import type { RestoreSink, RestoreStats, StoreOp } from './records.js';

/**
 * `rev`: with a shared store, the presentity's or registration's new version after the batch
 * (a 'check' op in it asked for one); undefined otherwise.
 */
export type StoreDone = (err: Error | null, rev?: number) => void;

/** The store cannot be reached now (a networked store is down): the request may be retried. */
export class StoreUnavailableError extends Error {}

/**
 * A shared store refused a batch whose 'check' op named a version that another node has since
 * changed, or a dialog that another node now owns: nothing of it was written. The actor reloads
 * and runs the batch's messages again.
 */
export class StaleError extends Error {}

export interface Store {
  /** Queues `ops` (one actor's batch) into the current turn's commit. */
  submit(ops: readonly StoreOp[], done: StoreDone): void;
  /** Commits what was submitted since the last flush (the actor system calls it at turn end). */
  flush(): void;
  /** Operations submitted and not yet durable (or failed): the store queue's depth. */
  readonly pending: number;
  /** false while a networked store cannot be reached: requests that need it get 503 at once. */
  readonly available?: boolean;
  /** Streams every live record to `sink`; expired ones are deleted first. */
  restore(now: number, sink: RestoreSink): Promise<RestoreStats>;
  close(): Promise<void>;
}
