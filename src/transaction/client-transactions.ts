// Non-INVITE client transactions for the NOTIFYs we send (RFC 3261 §17.1.2): over UDP the
// request is retransmitted at T1, 2·T1, 4·T1 … capped at T2 (timer E); after a provisional
// response every T2; with no final response by 64·T1 (timer F) the transaction times out and
// its user sees 408. Over a reliable transport nothing is retransmitted (timer E is not set,
// §17.1.2.2) but timer F still runs, and a request that cannot be sent at all (its connection
// is gone) ends at once as 503 (§17.1.4). Responses are matched by the branch we generated (§17.1.3).
import { TimerWheel, type Timed } from '../actors/timer-wheel.js';
import { T1, T2, TIMER_F } from './timers.js';
import { isReliable, type Destination } from '../transport/destination.js';
import { metrics } from '../metrics/metrics.js';

export type Outcome = (status: number, retryAfter: number | null) => void;

class Pending implements Timed {
  slot = -1;
  idx = 0;
  constructor(
    readonly branch: string,
    readonly request: Buffer,
    readonly dest: Destination,
    public interval: number,
    readonly deadline: number,
    readonly done: Outcome,
    public proceeding = false,
  ) {}
}

export class ClientTransactions {
  readonly #pending = new Map<string, Pending>();
  readonly #wheel: TimerWheel<Pending>;
  readonly #send: (buf: Buffer, dest: Destination) => unknown;
  readonly #t1: number;
  readonly #timerF: number;
  retransmissions = 0;
  timeouts = 0;
  /** Requests that could not be sent at all (a reliable transport's connection is gone). */
  failures = 0;

  /** `t1` other than the RFC's 500 ms is for tests only (timer F = 64·T1, §17.1.2.2). */
  constructor(send: (buf: Buffer, dest: Destination) => unknown, now: number, t1: number = T1) {
    this.#send = send;
    this.#t1 = t1;
    this.#timerF = t1 === T1 ? TIMER_F : 64 * t1;
    this.#wheel = new TimerWheel<Pending>(Math.min(50, t1), now);
  }

  get size(): number {
    return this.#pending.size;
  }

  start(branch: string, request: Buffer, dest: Destination, now: number, done: Outcome): void {
    const p = new Pending(branch, request, dest, this.#t1, now + this.#timerF, done);
    const reliable = isReliable(dest);
    if (this.#send(request, dest) === false && reliable) {
      this.failures++;
      done(503, null);
      return;
    }
    this.#pending.set(branch, p);
    this.#wheel.schedule(p, reliable ? p.deadline : now + this.#t1);
  }

  /** A response arrived; returns false when it matches no transaction (stray or late). */
  onResponse(branch: string, status: number, retryAfter: number | null): boolean {
    const p = this.#pending.get(branch);
    if (p === undefined) return false;
    if (status < 200) {
      p.proceeding = true; // §17.1.2.2: Proceeding, retransmit every T2
      return true;
    }
    this.#pending.delete(branch);
    this.#wheel.cancel(p);
    p.done(status, retryAfter);
    return true;
  }

  tick(now: number): void {
    this.#wheel.advance(now, (p) => {
      if (this.#pending.get(p.branch) !== p) return;
      if (now >= p.deadline) {
        this.#pending.delete(p.branch);
        this.timeouts++;
        p.done(408, null);
        return;
      }
      if (isReliable(p.dest)) {
        this.#wheel.schedule(p, p.deadline); // timer F only
        return;
      }
      this.retransmissions++;
      metrics.notify('retransmitted');
      this.#send(p.request, p.dest);
      p.interval = p.proceeding ? T2 : Math.min(p.interval * 2, T2);
      this.#wheel.schedule(p, Math.min(now + p.interval, p.deadline));
    });
  }

  /** Ends every transaction at shutdown without calling its user. */
  clear(): void {
    this.#pending.clear();
  }
}
