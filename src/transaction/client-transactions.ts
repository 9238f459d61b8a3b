// Non-INVITE client transactions for the NOTIFYs we send (RFC 3261 §17.1.2): over UDP the
// request is retransmitted at T1, 2·T1, 4·T1 … capped at T2 (timer E); after a provisional
// response every T2; with no final response by 64·T1 (timer F) the transaction times out and
// its user sees 408. Responses are matched by the branch we generated.
import { TimerWheel } from '../actors/timer-wheel.js';
import { T1, T2, TIMER_F } from './timers.js';
import type { Destination } from './server-transactions.js';
import { metrics } from '../metrics/metrics.js';

export type Outcome = (status: number, retryAfter: number | null) => void;

interface Pending {
  request: Buffer;
  dest: Destination;
  interval: number;
  nextAt: number;
  deadline: number;
  proceeding: boolean;
  done: Outcome;
}

export class ClientTransactions {
  readonly #pending = new Map<string, Pending>();
  readonly #wheel: TimerWheel<string>;
  readonly #send: (buf: Buffer, dest: Destination) => void;
  readonly #t1: number;
  readonly #timerF: number;
  retransmissions = 0;
  timeouts = 0;

  /** `t1` other than the RFC's 500 ms is for tests only (timer F = 64·T1, §17.1.2.2). */
  constructor(send: (buf: Buffer, dest: Destination) => void, now: number, t1: number = T1) {
    this.#send = send;
    this.#t1 = t1;
    this.#timerF = t1 === T1 ? TIMER_F : 64 * t1;
    this.#wheel = new TimerWheel<string>(Math.min(50, t1), now);
  }

  get size(): number {
    return this.#pending.size;
  }

  start(branch: string, request: Buffer, dest: Destination, now: number, done: Outcome): void {
    const p: Pending = { request, dest, interval: this.#t1, nextAt: now + this.#t1, deadline: now + this.#timerF, proceeding: false, done };
    this.#pending.set(branch, p);
    this.#send(request, dest);
    this.#wheel.schedule(p.nextAt, branch);
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
    p.done(status, retryAfter);
    return true;
  }

  tick(now: number): void {
    this.#wheel.advance(now, (branch) => {
      const p = this.#pending.get(branch);
      if (p === undefined) return;
      if (now >= p.deadline) {
        this.#pending.delete(branch);
        this.timeouts++;
        p.done(408, null);
        return;
      }
      if (now < p.nextAt) {
        this.#wheel.schedule(p.nextAt, branch);
        return;
      }
      this.retransmissions++;
      metrics.notify('retransmitted');
      this.#send(p.request, p.dest);
      p.interval = p.proceeding ? T2 : Math.min(p.interval * 2, T2);
      p.nextAt = Math.min(now + p.interval, p.deadline);
      this.#wheel.schedule(p.nextAt, branch);
    });
  }

  /** Ends every transaction at shutdown without calling its user. */
  clear(): void {
    this.#pending.clear();
  }
}
