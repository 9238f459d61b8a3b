// The actor runtime: a mailbox per actor, run to completion, and one store commit per turn.
//
// An actor takes every message waiting in its mailbox, runs its transition over them in order
// (each sees the state the previous one left), and submits the batch's store operations. Until
// that commit is durable the actor takes no further message, so:
//  - the effects of the batch (200 OKs, NOTIFYs, timers) run only once it is on disk;
//  - a failed commit undoes exactly the batch — nothing can have been built on top of it — and
//    every request of the batch gets 500 (the old snapshot restore could overwrite a later
//    committed change; that cannot happen here);
//  - one presentity's requests are strictly ordered (FIELD.md: the BLF and 412-race reports).
// All actors made ready during a turn run in one drain, then the store flushes once: the whole
// turn is one commit. Timers and NOTIFY outcomes reach actors as messages like any request.
import type { Store } from '../store/store.js';
import type { StoreOp } from '../store/records.js';
import type { Logger } from '../log.js';

/** What a batch of transitions hands back to the runtime. */
export interface Batch {
  /** Store operations; empty = nothing durable changed, the batch commits at once. */
  readonly ops: StoreOp[];
  /** What a shared store answered for the batch's 'check' op: the new version (set before commit). */
  rev?: number;
}

const BUSY = 1;
const QUEUED = 2;

/** What the runtime's ready list holds. */
export interface Runnable {
  run(): void;
}

export abstract class Actor<M, B extends Batch = Batch> implements Runnable {
  readonly #runtime: Runtime;
  #mailbox: M[] | null = null;
  /** BUSY: a commit is in flight; QUEUED: on the runtime's ready list. One word, not two. */
  #state = 0;

  constructor(runtime: Runtime) {
    this.#runtime = runtime;
  }

  get runtime(): Runtime {
    return this.#runtime;
  }

  /** A commit of this actor's is in flight. */
  get busy(): boolean {
    return (this.#state & BUSY) !== 0;
  }

  get waiting(): number {
    return this.#mailbox?.length ?? 0;
  }

  tell(msg: M): void {
    (this.#mailbox ??= []).push(msg);
    if (this.#state === 0) {
      this.#state = QUEUED;
      this.#runtime.ready(this);
    }
  }

  /** Opens a batch over the committed state. */
  protected abstract begin(): B;
  /** One message's transition, against the batch's draft. */
  protected abstract step(batch: B, msg: M): void;
  /** The batch is durable (or had nothing to persist): carry out its effects. */
  protected abstract commit(batch: B): void;
  /** The commit failed: undo the draft, tell every waiting request. */
  protected abstract rollback(batch: B, msgs: readonly M[], err: Error): void;
  /** Nothing held and nothing waiting: the registry may forget the actor (passivation). */
  protected abstract get idle(): boolean;
  protected abstract passivate(): void;

  /** @internal called by the runtime's drain. */
  run(): void {
    this.#state &= ~QUEUED;
    const msgs = this.#mailbox;
    if (msgs === null || msgs.length === 0 || (this.#state & BUSY) !== 0) return;
    this.#mailbox = null;
    const batch = this.begin();
    try {
      for (let i = 0; i < msgs.length; i++) this.step(batch, msgs[i]!);
    } catch (e) {
      // A bug in a transition fails this actor's batch only (XState's `_process`): undone,
      // answered 500, logged; the actor and every other one go on.
      this.#runtime.log.error({ err: (e as Error).stack }, 'actor transition failed');
      this.rollback(batch, msgs, e as Error);
      this.#settled();
      return;
    }
    if (batch.ops.length === 0) {
      this.commit(batch);
      this.#settled();
      return;
    }
    this.#state |= BUSY;
    this.#runtime.store.submit(batch.ops, (err, rev) => {
      this.#state &= ~BUSY;
      try {
        if (err === null) {
          batch.rev = rev;
          this.commit(batch);
        }
        else this.rollback(batch, msgs, err);
      } catch (e) {
        this.#runtime.log.error({ err: (e as Error).stack }, 'actor effect failed');
      }
      this.#settled();
    });
  }

  /**
   * Takes no message until `until` settles; the message it yields comes first. A shared store
   * uses it to read what other nodes may have changed before the actor goes on.
   */
  protected suspend(until: Promise<M>): void {
    this.#state |= BUSY;
    until.then(
      (m) => {
        this.#state &= ~BUSY;
        (this.#mailbox ??= []).unshift(m);
        this.#settled();
      },
      (e: Error) => {
        this.#state &= ~BUSY;
        this.#runtime.log.error({ err: e.stack }, 'actor suspension failed');
        this.#settled();
      },
    );
  }

  /** Puts messages back in front of the mailbox (a batch to run again after a reload). */
  protected requeue(msgs: readonly M[]): void {
    if (msgs.length > 0) (this.#mailbox ??= []).unshift(...msgs);
  }

  #settled(): void {
    if (this.#mailbox !== null && this.#mailbox.length > 0) {
      if (this.#state === 0) {
        this.#state = QUEUED;
        this.#runtime.ready(this);
      }
    } else {
      this.#mailbox = null;
      if (this.#state === 0 && this.idle) this.passivate();
    }
  }
}

/** Runs ready actors once per turn, then flushes the store: one commit per turn. */
export class Runtime {
  readonly store: Store;
  readonly log: Logger;
  #ready: Runnable[] = [];
  #scheduled = false;
  /** Work to run after each drain (the notifier's NOTIFY batch). */
  readonly #afterDrain: (() => void)[] = [];

  constructor(store: Store, log: Logger) {
    this.store = store;
    this.log = log;
  }

  ready(actor: Runnable): void {
    this.#ready.push(actor);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.drain);
    }
  }

  onDrain(f: () => void): void {
    this.#afterDrain.push(f);
  }

  /** Runs every ready actor (and those they make ready), then commits the turn's writes. */
  readonly drain = (): void => {
    this.#scheduled = false;
    let rounds = 0;
    while (this.#ready.length > 0 && rounds++ < 64) {
      const list = this.#ready;
      this.#ready = [];
      for (let i = 0; i < list.length; i++) {
        try {
          list[i]!.run();
        } catch (e) {
          // A bug in an effect (run() already contains transition faults) must not take the
          // other actors, or the process, down.
          this.log.error({ err: (e as Error).stack }, 'actor run failed');
        }
      }
    }
    if (this.#ready.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.drain);
    }
    this.store.flush();
    for (const f of this.#afterDrain) f();
  };
}
