// A watcher dialog as its presentity actor holds it. `rec` is the durable part (replaced, never
// edited, when it changes: the batch's undo log puts the old one back on a failed commit); the
// rest is NOTIFY bookkeeping that only the owning actor touches, after its commits.
//
// Memory matters (a million watchers per process): one object with a flags word instead of a
// handful of booleans, the wheel's timer fields carried by the object itself (no entry object),
// and strings shared with the presentity wherever they repeat.
import type { SubscriptionRecord } from '../store/records.js';
import type { Timed } from './timer-wheel.js';

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

/** RFC 3858 §5 events a winfo subscriber sees for a watcher. */
export type WinfoEvent = 'subscribe' | 'approved' | 'rejected' | 'timeout' | 'deactivated' | 'noresource' | 'giveup';

export class Sub implements Timed {
  rec: SubscriptionRecord;
  /** Last NOTIFY CSeq used (RFC 3261 §12.2.1.1: strictly increasing within the dialog). */
  cseq: number;
  flags: number;
  /** Set once the subscription is ending: the Subscription-State reason of its last NOTIFY. */
  reason: string | null = null;
  /** Earliest time (ms) the next state NOTIFY may leave (--notify-min-interval). */
  holdUntil = 0;
  winfo: WinfoEvent | null = null;
  // Timed (the expiry wheel)
  at = 0;
  slot = -1;
  idx = 0;

  /** `cseq`: 0 for a new dialog; a restored one resumes at its reservation (DLG-03), above
   * every CSeq that may have been used before the restart. */
  constructor(rec: SubscriptionRecord, flags = 0, cseq = 0) {
    this.rec = rec;
    this.cseq = cseq;
    this.flags = flags;
  }

  get tag(): string {
    return this.rec.tag;
  }

  get ending(): boolean {
    return this.reason !== null;
  }

  /** The Subscription-State value of a NOTIFY sent now (RFC 6665 §4.1.3). */
  stateHeader(now: number): string {
    if (this.reason !== null) return `terminated;reason=${this.reason}`;
    const left = Math.max(0, Math.round((this.rec.expiresAt - now) / 1000));
    return `${this.rec.state};expires=${left}`;
  }

  /** Does an in-dialog request name this dialog (RFC 6665 §4.1.2.2: dialog + event + id)? */
  matches(callId: string, remoteTag: string, event: string, eventId: string | null): boolean {
    const r = this.rec;
    return r.callId === callId && r.remoteTag === remoteTag && r.event === event && r.eventId === eventId;
  }
}
