// The Map-based server transaction cache the server used before the compact table
// (src/transaction/server-transactions.ts): kept only as the baseline of bench/codec/sip-scan.
//
// Non-INVITE server transactions (RFC 3261 §17.2.2), keyed per §17.2.3 by the top Via branch,
// its sent-by and the CSeq method — not by branch alone. A retransmission that arrives while
// the request is still being processed (Trying) is absorbed; one that arrives after the final
// response (Completed) gets the very same response bytes again, and the actors never see it.
import { TIMER_J } from '../../../src/transaction/timers.js';

export interface Destination { address: string; port: number; family: 4 | 6 }

interface Entry {
  response: Buffer | null; // null while Trying
  dest: Destination | null;
  expiresAt: number; // meaningful once Completed
}

export type Lookup = { state: 'new' } | { state: 'trying' } | { state: 'completed'; response: Buffer; dest: Destination };

export class ServerTransactions {
  // Map keeps insertion order; completed entries are re-inserted when completed, so they are
  // ordered by expiry (constant TIMER_J) and the sweep stops at the first live one.
  readonly #entries = new Map<string, Entry>();
  readonly #completed = new Map<string, number>();
  readonly #timerJ: number;

  constructor(timerJ: number = TIMER_J) {
    this.#timerJ = timerJ;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Looks a request up; a new key is recorded as Trying. */
  begin(key: string): Lookup {
    const e = this.#entries.get(key);
    if (e === undefined) {
      this.#entries.set(key, { response: null, dest: null, expiresAt: 0 });
      return { state: 'new' };
    }
    if (e.response === null || e.dest === null) return { state: 'trying' };
    return { state: 'completed', response: e.response, dest: e.dest };
  }

  /** Records the final response of a transaction (Completed state, timer J starts). */
  complete(key: string, response: Buffer, dest: Destination, now: number): void {
    const e = this.#entries.get(key) ?? { response: null, dest: null, expiresAt: 0 };
    e.response = response;
    e.dest = dest;
    e.expiresAt = now + this.#timerJ;
    this.#entries.set(key, e);
    this.#completed.delete(key);
    this.#completed.set(key, e.expiresAt);
  }

  /** Forgets a transaction that produced no response (ACK, dropped request). */
  abandon(key: string): void {
    this.#entries.delete(key);
  }

  /** Drops completed transactions whose timer J fired. */
  sweep(now: number): void {
    for (const [key, at] of this.#completed) {
      if (at > now) break;
      this.#completed.delete(key);
      this.#entries.delete(key);
    }
  }
}
