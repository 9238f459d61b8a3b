// A subscription dialog as seen by the subscriber (RFC 6665 §4.1): identified by Call-ID
// and local tag (both made from the id of the SUBSCRIBE transaction that created it), learns
// the remote tag and target from the 2xx or from the first NOTIFY (a NOTIFY may overtake the
// 200, RFC 6665 §4.1.2.4), and hands NOTIFYs to the scenario waiting for one.
import type { Role } from './requests.js';
import { F_CONTACT_URI, F_FROM_TAG, F_TO_TAG, type SipView } from './sip-view.js';

/** What a scenario waits for: any active NOTIFY, the terminated one, or one whose body holds a marker. */
export const WANT_ACTIVE = 0;
export const WANT_TERMINATED = 1;
export const WANT_MARKER = 2;

export interface NotifyWaiter {
  dialog: Dialog;
  want: number;
  marker: Buffer | null;
  done: boolean;
  resolve: (arrived: boolean) => void;
}

/** A NOTIFY that arrived before anyone waited for it. */
interface Arrived {
  terminated: boolean;
  body: Buffer;
}

export class Dialog {
  readonly callId: string;
  /** The SUBSCRIBE transaction id the Call-ID and From-tag are made of. */
  readonly idSlot: number;
  readonly idGen: number;
  readonly fromTag: string;
  readonly sock: number;
  readonly n: number;
  readonly idx: number;
  readonly watcher: Role;
  readonly presentity: Role;
  toTag = '';
  remoteTarget = '';
  cseq = 1;
  /** Highest NOTIFY CSeq seen: a lower or equal one is a retransmission (RFC 3261 §12.2.2). */
  lastNotifyCseq = -1;
  terminated = false;
  readonly #queue: Arrived[] = [];
  #waiter: NotifyWaiter | null = null;

  constructor(prefix: string, idSlot: number, idGen: number, sock: number, call: { n: number; idx: number; watcher: Role; presentity: Role }) {
    this.idSlot = idSlot;
    this.idGen = idGen;
    this.fromTag = `${prefix}${idSlot.toString(16).padStart(6, '0')}${idGen.toString(16).padStart(6, '0')}`;
    this.callId = `${this.fromTag}@load`;
    this.sock = sock;
    this.n = call.n;
    this.idx = call.idx;
    this.watcher = call.watcher;
    this.presentity = call.presentity;
  }

  /** Take the remote tag/target from a 2xx to SUBSCRIBE (RFC 3261 §12.1.2). */
  learnFromResponse(res: SipView): void {
    if (res.has(F_TO_TAG)) this.toTag = res.str(F_TO_TAG);
    if (res.has(F_CONTACT_URI)) this.remoteTarget = res.str(F_CONTACT_URI);
  }

  /** The NOTIFY in `m` is for this dialog (its To-tag is our From-tag, RFC 3261 §12.2.2). */
  owns(m: SipView): boolean {
    return m.fieldIs(F_TO_TAG, this.fromTag);
  }

  /** A new (non-retransmitted) NOTIFY for this dialog. */
  deliver(m: SipView): void {
    if (this.toTag === '' && m.has(F_FROM_TAG)) this.toTag = m.str(F_FROM_TAG);
    if (this.remoteTarget === '' && m.has(F_CONTACT_URI)) this.remoteTarget = m.str(F_CONTACT_URI);
    const terminated = m.isTerminated();
    if (terminated) this.terminated = true;
    const w = this.#waiter;
    if (w !== null && !w.done && (w.want === WANT_MARKER ? m.bodyHas(w.marker!) : (w.want === WANT_TERMINATED) === terminated)) {
      w.done = true;
      this.#waiter = null;
      w.resolve(true);
      return;
    }
    this.#queue.push({ terminated, body: m.body() });
  }

  /**
   * Resolve true with the first queued or future NOTIFY that is what the scenario wants.
   * Queued NOTIFYs that do not match are discarded: the scenario asks for a state, and older
   * states are history. The caller registers the returned waiter with a timeout.
   */
  take(want: number, marker: Buffer | null, resolve: (arrived: boolean) => void): NotifyWaiter | null {
    while (this.#queue.length > 0) {
      const a = this.#queue.shift()!;
      if (want === WANT_MARKER ? a.body.includes(marker!) : (want === WANT_TERMINATED) === a.terminated) {
        resolve(true);
        return null;
      }
    }
    const w: NotifyWaiter = { dialog: this, want, marker, done: false, resolve };
    this.#waiter = w;
    return w;
  }

  /** Called by the timeout: forget the waiter and resolve it with false. */
  expire(w: NotifyWaiter): void {
    if (w.done) return;
    w.done = true;
    if (this.#waiter === w) this.#waiter = null;
    w.resolve(false);
  }
}
