// A watcher dialog as its presentity actor holds it: the durable part (what the store keeps,
// changed only through the batch's draft so a failed commit can undo it) and the NOTIFY
// bookkeeping that only the owning actor touches after its commits.
//
// Memory matters (a million watchers per process), so this is one flat object: no separate
// record object, times as small integers (seconds since TIME_BASE: a 31-bit Smi, where ms since
// 1970 would be a 16-byte heap number), booleans and small enums packed into the flags word, what
// the watchers of one presentity share in one Topic object, the
// presentity's dialogs chained through the objects themselves (no Map per presentity), the
// expiry wheel's fields on the object (no entry object), and repeated strings shared.
import type { SubscriptionRecord } from '../store/records.js';
import type { Timed } from './timer-wheel.js';
import { parseNameAddr } from '../codec/sip/name-addr.js';
import { aorOf, parseUri } from '../codec/sip/uri.js';
import { TRANSPORTS } from '../transport/destination.js';

/** NOTIFY bookkeeping flags (Sub.flags). */
export const IN_FLIGHT = 1; // a NOTIFY transaction of this dialog is open (one at a time, RFC 6665 §4.2.2)
export const DIRTY = 2; // the state changed since the NOTIFY in flight was rendered
export const RESERVING = 4; // a CSeq reservation is being committed
export const FINAL_SENT = 8; // the terminated NOTIFY has left
export const TRANSIENT = 16; // a fetch (initial SUBSCRIBE with Expires 0): never stored
export const WITHHELD = 32; // the final NOTIFY carries no state (pending or rejected watcher)
export const HELD = 64; // waiting for --notify-min-interval
export const GONE = 128; // removed from its presentity: nothing more is sent

/** CSeqs reserved per persisted write: after a restart NOTIFY CSeqs resume above them. */
export const CSEQ_BLOCK = 100;

/** Seconds are counted from here (2025-01-01T00:00:00Z) so that they stay small integers. */
export const TIME_BASE = Date.UTC(2025, 0, 1);
/** ms since 1970 → seconds since TIME_BASE, rounded up (an expiry never comes early). */
export const toSec = (ms: number): number => Math.ceil((ms - TIME_BASE) / 1000);
export const toMs = (sec: number): number => TIME_BASE + sec * 1000;

/** RFC 3858 §5 events a winfo subscriber sees for a watcher (0 = none yet). */
export const WINFO_EVENTS = ['', 'subscribe', 'approved', 'rejected', 'timeout', 'deactivated', 'noresource', 'giveup'] as const;
export type WinfoEvent = Exclude<(typeof WINFO_EVENTS)[number], ''>;

/** The durable fields a transition may change (the draft's update() records their old values). */
export interface SubPatch {
  expires?: number;
  remoteCseq?: number;
  cseqReserved?: number;
  target?: string;
  pending?: boolean;
  polite?: boolean;
  source?: string;
}

/**
 * What all dialogs on one resource share (the presentity, the package, how the SUBSCRIBE named
 * it): one object for the 100 watchers of a presentity instead of five fields in each.
 */
export interface Topic {
  readonly aor: string;
  readonly event: string;
  readonly eventId: string | null;
  readonly localUri: string;
  readonly entity: string;
  /** Live dialogs of this event package per transport (TRANSPORTS order), all presentities together (a gauge). */
  readonly counters: readonly { n: number }[];
}

/** Counters for dialogs that no gauge counts (list subscriptions keep their own figures). */
export const UNCOUNTED: readonly { n: number }[] = TRANSPORTS.map(() => ({ n: 0 }));

const PENDING = 1 << 8; // the watcher waits for the presentity's approval
const POLITE = 1 << 9; // polite blocking (RFC 5025): shown a closed document
const WINFO_SHIFT = 10; // 4 bits: index into WINFO_EVENTS
const WINFO_MASK = 15 << WINFO_SHIFT;
const TRANSPORT_SHIFT = 14; // 3 bits: index into TRANSPORTS of the flow the dialog came on
const TRANSPORT_MASK = 7 << TRANSPORT_SHIFT;

export class Sub implements Timed {
  // ---- durable (the store's SubscriptionRecord) ----
  readonly topic: Topic;
  readonly tag: string; // our To-tag: unique per subscription, hence its key
  readonly callId: string;
  readonly remoteTag: string;
  readonly remoteUri: string;
  /** '' when it is the AoR of remoteUri (unauthenticated watchers): derived, not stored twice. */
  readonly #watcher: string;
  target: string;
  readonly routes: string[];
  /** Where NOTIFYs fall back to or, for a connection, the flow they go on (destination.ts sourceText). */
  source: string;
  /** Expiry, seconds since TIME_BASE. */
  expires: number;
  remoteCseq: number;
  cseqReserved: number;
  // ---- NOTIFY bookkeeping (volatile; bits 8+ of flags are durable: pending, polite, winfo) ----
  /** Last NOTIFY CSeq used (RFC 3261 §12.2.1.1: strictly increasing within the dialog). */
  cseq: number;
  flags: number;
  /** Set once the subscription is ending: the Subscription-State reason of its last NOTIFY. */
  reason: string | null = null;
  // ---- the presentity's chain of dialogs, and the expiry wheel ----
  next: Sub | null = null;
  prev: Sub | null = null;
  slot = -1;
  idx = 0;

  /**
   * `cseq`: 0 for a new dialog; a restored one resumes at its reservation (DLG-03), above every
   * CSeq that may have been used before the restart.
   */
  constructor(topic: Topic, r: SubscriptionRecord, flags = 0, cseq = 0) {
    this.topic = topic;
    this.tag = r.tag;
    this.callId = r.callId;
    this.remoteTag = r.remoteTag;
    this.remoteUri = r.remoteUri;
    this.#watcher = r.watcherAor;
    this.target = r.target;
    this.routes = r.routes;
    this.source = r.source;
    this.expires = toSec(r.expiresAt);
    this.remoteCseq = r.remoteCseq;
    this.cseqReserved = r.cseqReserved;
    this.cseq = cseq;
    this.flags = flags | (r.state === 'pending' ? PENDING : 0) | (r.polite ? POLITE : 0) | (transportIndex(r.source) << TRANSPORT_SHIFT);
  }

  /** Index into TRANSPORTS of the transport the dialog's SUBSCRIBE came on. */
  get transport(): number {
    return (this.flags & TRANSPORT_MASK) >> TRANSPORT_SHIFT;
  }

  get aor(): string {
    return this.topic.aor;
  }

  get event(): string {
    return this.topic.event;
  }

  get eventId(): string | null {
    return this.topic.eventId;
  }

  get localUri(): string {
    return this.topic.localUri;
  }

  get entity(): string {
    return this.topic.entity;
  }

  get watcherAor(): string {
    return this.#watcher !== '' ? this.#watcher : fromAor(this.remoteUri);
  }

  get pending(): boolean {
    return (this.flags & PENDING) !== 0;
  }

  set pending(v: boolean) {
    this.flags = v ? this.flags | PENDING : this.flags & ~PENDING;
  }

  get polite(): boolean {
    return (this.flags & POLITE) !== 0;
  }

  set polite(v: boolean) {
    this.flags = v ? this.flags | POLITE : this.flags & ~POLITE;
  }

  /** Index into WINFO_EVENTS of the watcher's last state change (0 = none yet). */
  get winfo(): number {
    return (this.flags & WINFO_MASK) >> WINFO_SHIFT;
  }

  set winfo(i: number) {
    this.flags = (this.flags & ~WINFO_MASK) | (i << WINFO_SHIFT);
  }

  get expiresAt(): number {
    return toMs(this.expires);
  }

  get ending(): boolean {
    return this.reason !== null;
  }

  get state(): 'active' | 'pending' {
    return this.pending ? 'pending' : 'active';
  }

  /** What the store keeps of the dialog. */
  record(): SubscriptionRecord {
    const t = this.topic;
    return {
      tag: this.tag, aor: t.aor, event: t.event, eventId: t.eventId, callId: this.callId, remoteTag: this.remoteTag,
      localUri: t.localUri, remoteUri: this.remoteUri, watcherAor: this.#watcher, entity: t.entity, target: this.target,
      routes: this.routes, expiresAt: this.expiresAt, remoteCseq: this.remoteCseq, cseqReserved: this.cseqReserved,
      state: this.state, polite: this.polite, source: this.source,
    };
  }

  /** The Subscription-State value of a NOTIFY sent now (RFC 6665 §4.1.3). */
  stateHeader(nowMs: number): string {
    if (this.reason !== null) return `terminated;reason=${this.reason}`;
    // Whole seconds left, never more than granted (the stored expiry is rounded up).
    const left = Math.max(0, Math.floor((this.expiresAt - nowMs) / 1000));
    return `${this.state};expires=${left}`;
  }

  /** Does an in-dialog request name this dialog (RFC 6665 §4.1.2.2: dialog + event + id)? */
  matches(callId: string, remoteTag: string, event: string, eventId: string | null): boolean {
    return this.callId === callId && this.remoteTag === remoteTag && this.topic.event === event && this.topic.eventId === eventId;
  }
}

/** TRANSPORTS index of a stored source (`address port` = UDP, `address port transport flow`). */
function transportIndex(source: string): number {
  const a = source.indexOf(' ');
  const b = a < 0 ? -1 : source.indexOf(' ', a + 1);
  if (b < 0) return 0;
  const c = source.indexOf(' ', b + 1);
  const i = (TRANSPORTS as readonly string[]).indexOf(source.slice(b + 1, c < 0 ? undefined : c));
  return i < 0 ? 0 : i;
}

/** The AoR of a From value's URI (`"Bob" <sip:bob@x;p>` → `sip:bob@x`). */
export function fromAor(remoteUri: string): string {
  const na = parseNameAddr(remoteUri);
  const uri = na === null ? null : parseUri(na.uri);
  return uri === null ? remoteUri : aorOf(uri);
}
