// What the actors need when several nodes share one store (src/cluster/ provides it): reads of
// what other nodes may have changed. An actor reads before its first message and again after a
// change hint or a refused batch (optimistic concurrency: the store checks the version a batch
// builds on); state is still changed only by the actor, through its messages.
import type { BindingRecord, PublicationRecord, SubscriptionRecord } from '../store/records.js';

export interface PresSnapshot {
  /** Version of the publications (0: none ever). */
  rev: number;
  pubs: PublicationRecord[];
}

export interface RegSnapshot {
  rev: number;
  bindings: BindingRecord[];
}

/** Every dialog watching a presentity, whichever node notifies it (for presence.winfo). */
export interface WatcherSnapshot {
  rev: number;
  subs: SubscriptionRecord[];
}

export interface SharedState {
  /** `scope`: the AoR for presence, `<pkg> <aor>` for another package (records.ts pubScope). */
  loadPresentity(scope: string): Promise<PresSnapshot>;
  loadBindings(aor: string): Promise<RegSnapshot>;
  loadWatchers(aor: string): Promise<WatcherSnapshot>;
}

/** Batches refused as stale in a row before the requests get 500 (a livelock breaker). */
export const MAX_CONFLICTS = 8;
