// Non-INVITE server transactions (RFC 3261 §17.2.2), kept compact: at 40,000 requests/s the
// Completed set holds ~1.3 M transactions for Timer J (64·T1 = 32 s on UDP), so nothing here is
// a JS object, a string or a Buffer per transaction. A transaction is its 64-bit key hash
// (tx-hash.ts, the §17.2.3 key) in an open-addressing table of typed arrays, plus — once
// Completed — a slot in a FIFO ring (Timer J is constant, so completion order is expiry order)
// and a record in the off-heap AnswerArena from which the response is re-rendered, through
// response-writer.ts, from the retransmitted request itself.
//
// States: Trying (recorded by begin, absorbs retransmissions: no provisional response is ever
// sent for these methods), Completed (replays the final response, at most `maxReplays` times:
// a real UAC retransmits ~11 times within Timer F, and a bound stops the ping-pong with a
// looped client that answers every response with a retransmission), then gone at Timer J.
// Timer J is a constructor parameter: 0 for reliable transports (§17.2.2), where nothing is kept.
//
// Collisions: a false match needs both 32-bit hashes equal. With n live transactions a new
// request falsely matches with probability n/2^64: 7·10^-14 at n = 1.3 M, i.e. once in about
// 11 years at a sustained 40,000 requests/s; it would be absorbed or answered with another
// transaction's response. Equal first hashes alone only share a probe chain (tested).
//
// Memory per Completed transaction: 33 bytes of typed arrays (two hashes, expiry, arena offset,
// replay count, two hash slots at load ≤ 1/2) plus its arena record (16 bytes + tag + extra
// header lines + body: ~130 bytes for a 200 to REGISTER with Contact, Expires and Date).
import { randomToken } from '../core/random.js';
import { writeResponse, type ResponseSpec } from '../codec/sip/response-writer.js';
import type { Source } from '../codec/sip/response-via.js';
import type { SipMsg } from '../codec/sip/msg.js';
import { AnswerArena } from './answer-arena.js';
import { TIMER_J } from './timers.js';
import { KEY, transactionHash } from './tx-hash.js';
import { OpenTable } from './open-table.js';


/** begin(): a retransmission of a request still being processed (absorb it). */
export const TRYING = -1;
/** begin(): a retransmission of a completed request (answer it with replay()). */
export const COMPLETED = -2;
/** begin(): an ACK matching no transaction (no transaction is created; nothing is sent). */
export const NOT_TRACKED = -3;

export interface TransactionTableOptions {
  /** How long a completed transaction is kept, ms (Timer J: 64·T1 on UDP, 0 on TCP/TLS). */
  timerJ?: number;
  /** Most completed transactions kept; beyond it the oldest are dropped (default 2^21). */
  maxEntries?: number;
  /** Most bytes for stored answers (default 64 MiB). */
  arenaBytes?: number;
  /** Replays per transaction before its retransmissions are absorbed silently (default 16). */
  maxReplays?: number;
  /** Key hash (tests force collisions with it); fills KEY. */
  hash?: (msg: SipMsg) => void;
}

export class ServerTransactionTable {
  readonly #timerJ: number;
  readonly #maxEntries: number;
  readonly #maxReplays: number;
  readonly #hash: (msg: SipMsg) => void;
  readonly #keys = new OpenTable();
  readonly #arena: AnswerArena;
  // Completed ring, indexed by sequence number & (capacity − 1); [tail, head) are live and
  // [tail, dataTail) have no stored answer any more (dropped for arena room, or never stored).
  #cap = 1024;
  #h1 = new Uint32Array(this.#cap);
  #h2 = new Uint32Array(this.#cap);
  #expires = new Float64Array(this.#cap);
  #start = new Float64Array(this.#cap);
  #replays = new Uint8Array(this.#cap);
  #head = 0;
  #tail = 0;
  #dataTail = 0;

  constructor(opts: TransactionTableOptions = {}) {
    this.#timerJ = opts.timerJ ?? TIMER_J;
    this.#maxEntries = Math.max(1, opts.maxEntries ?? 2 ** 21);
    this.#maxReplays = Math.min(255, opts.maxReplays ?? 16);
    this.#hash = opts.hash ?? transactionHash;
    this.#arena = new AnswerArena(opts.arenaBytes ?? 64 * 1024 * 1024);
    this.#keys.ring = { h1: this.#h1, h2: this.#h2 };
  }

  /** Live transactions, Trying and Completed. */
  get size(): number {
    return this.#keys.trying + (this.#head - this.#tail);
  }

  /** Bytes held: typed arrays and the answer arena. */
  get bytes(): number {
    return this.#keys.bytes + this.#cap * (4 + 4 + 8 + 8 + 1) + this.#arena.capacity;
  }

  /**
   * Looks a request up (expiring what Timer J ended first). A new request is recorded as
   * Trying and gets a handle ≥ 0 for complete/abandon; otherwise TRYING, COMPLETED or, for an
   * ACK that matches nothing, NOT_TRACKED.
   */
  begin(msg: SipMsg, now: number): number {
    this.sweep(now);
    this.#hash(msg);
    const slot = this.#keys.find(KEY.h1, KEY.h2);
    if (slot >= 0) return this.#keys.isTrying(slot) ? TRYING : COMPLETED;
    if (msg.method === 'ACK') return NOT_TRACKED; // §17.2.1: ACK creates no transaction
    return this.#keys.addTrying(KEY.h1, KEY.h2);
  }

  /**
   * The response to send again for a retransmission begin() found COMPLETED, re-rendered from
   * `msg`; null when nothing may be sent (an ACK, the replay bound reached, the answer dropped).
   */
  replay(msg: SipMsg, source: Source): Buffer | null {
    if (msg.method === 'ACK') return null;
    this.#hash(msg);
    const slot = this.#keys.find(KEY.h1, KEY.h2);
    if (slot < 0 || this.#keys.isTrying(slot)) return null;
    const i = this.#keys.ringIndex(slot);
    if (this.#replays[i]! >= this.#maxReplays) return null;
    this.#replays[i]!++;
    const start = this.#start[i]!;
    return start < 0 ? null : writeResponse(msg, source, this.#arena.read(start));
  }

  /**
   * Renders the final response of the transaction `handle` (from begin) and records it: the
   * transaction is Completed until Timer J. A missing `toTag` is drawn here, so that replays
   * carry the same one. Returns the bytes to send.
   */
  complete(handle: number, msg: SipMsg, source: Source, spec: ResponseSpec, now: number): Buffer {
    const tag = spec.toTag ?? randomToken();
    const full: ResponseSpec = spec.toTag === undefined ? { ...spec, toTag: tag } : spec;
    const out = writeResponse(msg, source, full);
    if (!this.#keys.isLiveTrying(handle)) return out;
    if (this.#timerJ <= 0) {
      this.#keys.removeTrying(handle);
      return out;
    }
    this.sweep(now);
    if (this.#head - this.#tail >= this.#maxEntries) this.#pop();
    else if (this.#head - this.#tail >= this.#cap) this.#growRing();
    const seq = this.#head;
    const i = seq & (this.#cap - 1);
    this.#h1[i] = this.#keys.tryH1(handle);
    this.#h2[i] = this.#keys.tryH2(handle);
    this.#expires[i] = now + this.#timerJ;
    this.#replays[i] = 0;
    this.#start[i] = -1;
    this.#head = seq + 1;
    this.#keys.complete(handle, i);
    this.#start[i] = this.#store(full, tag);
    this.#advanceDataTail();
    return out;
  }

  /** Forgets a Trying transaction that got no response (ACK, dropped under overload). */
  abandon(handle: number): void {
    if (this.#keys.isLiveTrying(handle)) this.#keys.removeTrying(handle);
  }

  /** Ends the Completed transactions whose Timer J has fired. */
  sweep(now: number): void {
    while (this.#tail < this.#head && this.#expires[this.#tail & (this.#cap - 1)]! <= now) this.#pop();
  }

  /** Drops the oldest completed transaction. */
  #pop(): void {
    const i = this.#tail & (this.#cap - 1);
    this.#keys.removeCompleted(this.#h1[i]!, this.#h2[i]!, i);
    this.#tail++;
    this.#advanceDataTail();
  }

  /** Keeps dataTail on the oldest record with an answer, and the arena's tail on its bytes. */
  #advanceDataTail(): void {
    const mask = this.#cap - 1;
    if (this.#dataTail < this.#tail) this.#dataTail = this.#tail;
    while (this.#dataTail < this.#head && this.#start[this.#dataTail & mask]! < 0) this.#dataTail++;
    this.#arena.tail = this.#dataTail < this.#head ? this.#start[this.#dataTail & mask]! : this.#arena.head;
  }

  /**
   * Stores an answer, dropping the oldest stored answers while the arena is full. Those
   * transactions stay Completed: a late retransmission of one is absorbed without a reply
   * (the client's Timer F then ends a request we did process) rather than processed twice.
   * Returns the arena offset, or -1 when the answer is larger than the whole arena.
   */
  #store(spec: ResponseSpec, tag: string): number {
    const len = AnswerArena.sizeOf(spec, tag);
    if (!this.#arena.fitsAtAll(len) || !AnswerArena.storable(spec, tag)) return -1;
    let start = this.#arena.place(len);
    while (start < 0 && this.#dataTail < this.#head) {
      const i = this.#dataTail & (this.#cap - 1);
      this.#start[i] = -1;
      this.#advanceDataTail();
      start = this.#arena.place(len);
    }
    if (start < 0) return -1;
    this.#arena.write(start, spec, tag);
    return start;
  }

  #growRing(): void {
    const cap = this.#cap * 2;
    const h1 = new Uint32Array(cap);
    const h2 = new Uint32Array(cap);
    const expires = new Float64Array(cap);
    const start = new Float64Array(cap);
    const replays = new Uint8Array(cap);
    const oldMask = this.#cap - 1;
    for (let seq = this.#tail; seq < this.#head; seq++) {
      const o = seq & oldMask;
      const n = seq & (cap - 1);
      h1[n] = this.#h1[o]!;
      h2[n] = this.#h2[o]!;
      expires[n] = this.#expires[o]!;
      start[n] = this.#start[o]!;
      replays[n] = this.#replays[o]!;
    }
    this.#cap = cap;
    this.#h1 = h1;
    this.#h2 = h2;
    this.#expires = expires;
    this.#start = start;
    this.#replays = replays;
    this.#keys.ring = { h1, h2 };
    // A ring index o stands for the one live sequence number ≡ o (mod the old capacity).
    const tail = this.#tail;
    this.#keys.remapCompleted((o) => (tail + ((o - (tail & oldMask)) & oldMask)) & (cap - 1));
  }
}
