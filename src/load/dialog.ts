// A subscription dialog as seen by the subscriber (RFC 6665 §4.1): identified by Call-ID
// and local tag, learns the remote tag and target from the 2xx or from the first NOTIFY
// (a NOTIFY may overtake the 200, RFC 6665 §4.1.2.4), and queues NOTIFYs for the scenario.
import type { ScannedMessage } from './sip-scan.js';

export type NotifyPredicate = (m: ScannedMessage) => boolean;

export interface NotifyWaiter {
  dialog: Dialog;
  pred: NotifyPredicate;
  done: boolean;
  resolve: (m: ScannedMessage | null) => void;
}

export class Dialog {
  readonly callId: string;
  readonly fromTag: string;
  readonly watcher: string;
  readonly presentity: string;
  toTag = '';
  remoteTarget = '';
  cseq = 1;
  /** Highest NOTIFY CSeq seen: a lower or equal one is a retransmission (RFC 3261 §12.2.2). */
  lastNotifyCseq = -1;
  terminated = false;
  readonly #queue: ScannedMessage[] = [];
  #waiter: NotifyWaiter | null = null;

  constructor(callId: string, fromTag: string, watcher: string, presentity: string) {
    this.callId = callId;
    this.fromTag = fromTag;
    this.watcher = watcher;
    this.presentity = presentity;
  }

  /** Take the remote tag/target from a 2xx to SUBSCRIBE (RFC 3261 §12.1.2). */
  learnFromResponse(m: ScannedMessage): void {
    if (m.toTag !== '') this.toTag = m.toTag;
    if (m.contactUri !== '') this.remoteTarget = m.contactUri;
  }

  /** A new (non-retransmitted) NOTIFY for this dialog. */
  deliver(m: ScannedMessage): void {
    if (this.toTag === '' && m.fromTag !== '') this.toTag = m.fromTag;
    if (this.remoteTarget === '' && m.contactUri !== '') this.remoteTarget = m.contactUri;
    if (m.subState.startsWith('terminated')) this.terminated = true;
    const w = this.#waiter;
    if (w !== null && !w.done && w.pred(m)) {
      w.done = true;
      this.#waiter = null;
      w.resolve(m);
      return;
    }
    this.#queue.push(m);
  }

  /**
   * Resolve with the first queued or future NOTIFY matching `pred`. Queued NOTIFYs that do
   * not match are discarded: the scenario asks for a state, and older states are history.
   * The caller registers the returned waiter with a timeout (see Agent.waitNotify).
   */
  take(pred: NotifyPredicate, resolve: (m: ScannedMessage | null) => void): NotifyWaiter | null {
    while (this.#queue.length > 0) {
      const m = this.#queue.shift()!;
      if (pred(m)) {
        resolve(m);
        return null;
      }
    }
    const w: NotifyWaiter = { dialog: this, pred, done: false, resolve };
    this.#waiter = w;
    return w;
  }

  /** Called by the timeout: forget the waiter and resolve it with null. */
  expire(w: NotifyWaiter): void {
    if (w.done) return;
    w.done = true;
    if (this.#waiter === w) this.#waiter = null;
    w.resolve(null);
  }
}
