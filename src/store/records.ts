// What the store keeps: the durable part of registrations, publications and subscriptions, and
// the operations that change them. The store seam (store.ts) speaks only these types, so a
// second store (a networked one for several nodes) implements the same few operations.
import type { PidfDocument } from '../codec/pidf/types.js';
import type { DialogInfoDocument } from '../codec/dialog-info/types.js';
import type { ListEntry } from '../codec/resource-lists/parse.js';

export interface BindingRecord {
  contact: string; // the Contact value as given (name-addr form, without the expires param)
  uri: string; // the contact URI
  expiresAt: number; // ms since epoch
  q: number | null;
  callId: string;
  cseq: number;
  instance: string | null; // +sip.instance
}

export interface PublicationRecord {
  aor: string;
  /** Stable key of the publication in the store: its first ETag, kept across refreshes, so a
   * refresh or modify is one write rather than a delete plus a put (RFC 3903 gives a new ETag
   * on every success). */
  id: string;
  etag: string;
  expiresAt: number;
  /** When the published state last changed (a refresh keeps it): composition order. */
  modified: number;
  /** The event package; absent = presence (every record written before packages existed). */
  event?: string;
  doc: PidfDocument | DialogInfoDocument;
}

/**
 * The durable part of a watcher dialog (RFC 6665 §4.1.2.2: Call-ID, tags, event package + id),
 * enough to send its NOTIFYs after a restart with CSeqs above any used before it.
 */
export interface SubscriptionRecord {
  tag: string; // our To-tag: unique per subscription, hence its key
  aor: string; // the presentity's address of record (the actor that owns it)
  event: string; // package: 'presence' | 'presence.winfo' | …
  eventId: string | null;
  callId: string;
  remoteTag: string;
  localUri: string; // our From in NOTIFYs: the SUBSCRIBE's To without tag, as `<uri>`
  remoteUri: string; // our To in NOTIFYs: the SUBSCRIBE's From without tag (display name kept)
  watcherAor: string; // who watches: the authenticated user; '' = the AoR of remoteUri (not stored twice)
  entity: string; // the presentity URI as the SUBSCRIBE named it (PIDF `entity`)
  target: string; // the watcher's Contact URI (remote target)
  routes: string[]; // Record-Route values, in order (the route set)
  expiresAt: number;
  remoteCseq: number;
  /** NOTIFY CSeqs resume above this after a restart (a persisted high-water mark). */
  cseqReserved: number;
  state: 'active' | 'pending';
  polite: boolean; // polite blocking (RFC 5025): the watcher is shown a closed document
  /** Where the SUBSCRIBE came from: `address port` (the flow NOTIFYs fall back to). */
  source: string;
}

/**
 * A list subscription (RFC 4662): the dialog with its watcher, plus what makes it a list — the
 * list URI, whose authorization its members follow (the owner), and the members themselves when
 * they came in the SUBSCRIBE body (RFC 5367; null = the operator's list file names them).
 */
export interface ListSubscriptionRecord extends SubscriptionRecord {
  list: {
    uri: string;
    owner: string;
    entries: ListEntry[] | null;
    /** The Event token its NOTIFYs carry when it differs from `event` (liblinphone 5.1 quirk). */
    eventToken?: string;
  };
}

/**
 * Where one event package's publications of an AoR are kept apart from the other packages':
 * presence keeps the bare AoR, another package (dialog) `<pkg> <aor>`. The presentity actors are
 * keyed the same way, so a shared store's change hint names the actor it concerns.
 */
export function pubScope(event: string | undefined, aor: string): string {
  return event === undefined || event === 'presence' ? aor : `${event} ${aor}`;
}

export type StoreOp =
  | { t: 'putBindings'; aor: string; bindings: readonly BindingRecord[] } // empty = delete
  | { t: 'putPub'; rec: PublicationRecord }
  | { t: 'delPub'; aor: string; id: string; event?: string }
  | { t: 'putSub'; rec: SubscriptionRecord }
  | { t: 'delSub'; tag: string }
  | { t: 'putList'; rec: ListSubscriptionRecord }
  | { t: 'delList'; tag: string }
  /**
   * Shared stores only (the embedded one ignores it): the batch commits only if the
   * presentity's publications ('pres') or the AoR's bindings ('reg') are still at version
   * `rev` (-1: whatever they are), and its done() gets the new version (optimistic concurrency
   * between nodes). At most one per batch, first.
   */
  | { t: 'check'; kind: 'pres' | 'reg'; aor: string; rev: number };

/** What a restore hands back, record by record (a million subscriptions are streamed, not listed). */
export interface RestoreSink {
  bindings(aor: string, bindings: BindingRecord[]): void;
  publication(rec: PublicationRecord): void;
  /** Returns false when the dialog cannot live on (its connection died with the process): it is deleted. */
  subscription(rec: SubscriptionRecord): unknown;
  /** List subscriptions come last: the presentities they watch are restored by then. */
  listSubscription?(rec: ListSubscriptionRecord): void;
}

export interface RestoreStats {
  registrations: number;
  publications: number;
  subscriptions: number;
  lists?: number;
  /** Expired or ended rows deleted before serving. */
  dropped: number;
}
