// Non-INVITE client transactions for the generator (RFC 3261 §17.1.2): retransmit on
// timer E (T1, doubling, capped at T2; at T2 once a provisional arrived), give up on
// timer F (64*T1) and report 408 as data. Responses match on the top Via branch plus the
// CSeq method (RFC 3261 §17.1.3).
// Timers are FIFO queues, one per retransmission interval (see deadline-queue.ts), ticked by
// the engine, because a setTimeout per transaction costs too much at 50,000 requests/s.
import { DeadlineQueue } from './deadline-queue.js';
import type { ScannedMessage } from './sip-scan.js';
import type { Stats } from './stats.js';

export interface TxResult {
  /** Final status, or 408 when timer F fired (RFC 3261 §17.1.2.2). */
  status: number;
  msg: ScannedMessage | null;
}

export interface TimerConfig {
  /** RFC 3261 §17.1.1.1: 500 ms. */
  t1Ms: number;
  /** RFC 3261 §17.1.2.2: 4 s. */
  t2Ms: number;
  /** Timer F, RFC 3261 §17.1.2.2: 64*T1. */
  timerFMs: number;
}

export const RFC_TIMERS: Readonly<TimerConfig> = Object.freeze({ t1Ms: 500, t2Ms: 4000, timerFMs: 32_000 });

interface Tx {
  branch: string;
  method: string;
  buf: Buffer;
  sentAt: number;
  level: number;
  proceeding: boolean;
  done: boolean;
  resolve: (r: TxResult) => void;
}

export class UacTransactions {
  readonly #pending = new Map<string, Tx>();
  readonly #levels: DeadlineQueue<Tx>[] = [];
  readonly #intervals: number[] = [];
  readonly #timerF = new DeadlineQueue<Tx>();
  readonly #send: (buf: Buffer) => void;
  readonly #stats: Stats;
  readonly #cfg: TimerConfig;
  #closed = false;

  constructor(send: (buf: Buffer) => void, stats: Stats, cfg: TimerConfig = RFC_TIMERS) {
    this.#send = send;
    this.#stats = stats;
    this.#cfg = cfg;
    // Intervals T1, 2T1, 4T1 … until T2; the last level repeats at T2.
    for (let iv = cfg.t1Ms; ; iv *= 2) {
      this.#intervals.push(Math.min(iv, cfg.t2Ms));
      this.#levels.push(new DeadlineQueue<Tx>());
      if (iv >= cfg.t2Ms) break;
    }
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  /** Send a request and resolve with its final response (or 408 on timer F). */
  request(branch: string, method: string, buf: Buffer, now: number): Promise<TxResult> {
    if (this.#closed) return Promise.resolve({ status: 408, msg: null });
    return new Promise<TxResult>((resolve) => {
      const tx: Tx = { branch, method, buf, sentAt: now, level: 0, proceeding: false, done: false, resolve };
      this.#pending.set(branch, tx);
      this.#stats.requests++;
      this.#levels[0]!.push(now + this.#intervals[0]!, tx);
      this.#timerF.push(now + this.#cfg.timerFMs, tx);
      this.#send(buf);
    });
  }

  /** Feed a response; false when no transaction matches (a stray or late duplicate). */
  onResponse(msg: ScannedMessage, now: number): boolean {
    const tx = this.#pending.get(msg.branch);
    if (tx === undefined || tx.method !== msg.method) return false;
    if (msg.status < 200) {
      // Proceeding: keep retransmitting, at T2 (RFC 3261 §17.1.2.2).
      tx.proceeding = true;
      return true;
    }
    this.#finish(tx);
    this.#stats.recordResponse(tx.method, msg.status, (now - tx.sentAt) * 1000);
    tx.resolve({ status: msg.status, msg });
    return true;
  }

  /** Fire due timers E and F. */
  tick(now: number): void {
    const last = this.#levels.length - 1;
    for (let i = last; i >= 0; i--) {
      this.#levels[i]!.drain(now, (tx) => {
        if (tx.done) return;
        this.#stats.retransmissions++;
        this.#send(tx.buf);
        const next = tx.proceeding ? last : Math.min(i + 1, last);
        tx.level = next;
        this.#levels[next]!.push(now + this.#intervals[next]!, tx);
      });
    }
    this.#timerF.drain(now, (tx) => {
      if (tx.done) return;
      this.#finish(tx);
      this.#stats.timeouts++;
      tx.resolve({ status: 408, msg: null });
    });
  }

  /** Abandon everything still pending (end of a bounded run): each resolves as 408, and so does any later request. */
  abortAll(): void {
    this.#closed = true;
    for (const tx of [...this.#pending.values()]) {
      this.#finish(tx);
      this.#stats.timeouts++;
      tx.resolve({ status: 408, msg: null });
    }
  }

  #finish(tx: Tx): void {
    tx.done = true;
    this.#pending.delete(tx.branch);
    tx.buf = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);
