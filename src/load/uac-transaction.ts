// Non-INVITE client transactions for the generator (RFC 3261 §17.1.2): retransmit on
// timer E (T1, doubling, capped at T2; at T2 once a provisional arrived), give up on timer F
// (64*T1) and report 408 as data. A response matches on the top Via branch plus the CSeq
// method (RFC 3261 §17.1.3).
//
// Built for tens of thousands of requests a second: a transaction is a slot in typed arrays,
// its branch is `z9hG4bK<prefix><slot:6 hex><generation:6 hex>`, so a response finds its slot
// by reading 12 hex digits (no Map, no string), and the generation rejects a late answer to an
// earlier use of the slot. Timers are FIFO rings per retransmission interval (timer-fifo.ts).
import { F_BRANCH, type SipView } from './sip-view.js';
import type { Stats } from './stats.js';
import { readHex } from './template.js';
import { TimerFifo } from './timer-fifo.js';

/** Called once per transaction with the final status (408 on timer F); `res` is valid only during the call. */
export type TxDone = (status: number, res: SipView | null) => void;

export interface TimerConfig {
  /** RFC 3261 §17.1.1.1: 500 ms. */
  t1Ms: number;
  /** RFC 3261 §17.1.2.2: 4 s. */
  t2Ms: number;
  /** Timer F, RFC 3261 §17.1.2.2: 64*T1. */
  timerFMs: number;
}

export const RFC_TIMERS: Readonly<TimerConfig> = Object.freeze({ t1Ms: 500, t2Ms: 4000, timerFMs: 32_000 });

const FREE = 0;
const TRYING = 1;
const PROCEEDING = 2;
const MAX_SLOTS = 1 << 24;
const GEN_MASK = 0xffffff;
const NOOP: TxDone = () => undefined;

export class UacTransactions {
  /** `z9hG4bK` + the shard's prefix: every branch this table issued starts with it. */
  readonly branchPrefix: string;
  readonly #prefixBytes: Buffer;
  #state = new Uint8Array(1024);
  #gen = new Int32Array(1024);
  #method = new Uint8Array(1024);
  #sock = new Uint16Array(1024);
  #sentAt = new Float64Array(1024);
  #buf: (Buffer | null)[] = new Array<Buffer | null>(1024).fill(null);
  #done: TxDone[] = new Array<TxDone>(1024).fill(NOOP);
  #free = new Int32Array(1024);
  #freeCount = 0;
  #used = 0;
  #inFlight = 0;
  readonly #timerE: TimerFifo[] = [];
  readonly #intervals: number[] = [];
  readonly #timerF = new TimerFifo();
  readonly #send: (sock: number, buf: Buffer) => void;
  readonly #stats: Stats;
  readonly #cfg: TimerConfig;
  #closed = false;

  constructor(prefix: string, send: (sock: number, buf: Buffer) => void, stats: Stats, cfg: TimerConfig = RFC_TIMERS) {
    this.branchPrefix = `z9hG4bK${prefix}`;
    this.#prefixBytes = Buffer.from(this.branchPrefix, 'latin1');
    this.#send = send;
    this.#stats = stats;
    this.#cfg = cfg;
    // Intervals T1, 2T1, 4T1 … until T2; the last level repeats at T2.
    for (let iv = cfg.t1Ms; ; iv *= 2) {
      this.#intervals.push(Math.min(iv, cfg.t2Ms));
      this.#timerE.push(new TimerFifo());
      if (iv >= cfg.t2Ms) break;
    }
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Reserve a transaction; render its request with `slot` and `genOf(slot)`, then `send` it. */
  begin(method: number, sock: number, done: TxDone): number {
    let slot: number;
    if (this.#freeCount > 0) slot = this.#free[--this.#freeCount]!;
    else {
      if (this.#used === this.#state.length) this.#grow();
      slot = this.#used++;
    }
    this.#state[slot] = TRYING;
    this.#gen[slot] = (this.#gen[slot]! + 1) & GEN_MASK;
    this.#method[slot] = method;
    this.#sock[slot] = sock;
    this.#done[slot] = done;
    this.#inFlight++;
    return slot;
  }

  genOf(slot: number): number {
    return this.#gen[slot]!;
  }

  /** Send the first copy and start timers E and F. */
  send(slot: number, buf: Buffer, now: number): void {
    const gen = this.#gen[slot]!;
    this.#buf[slot] = buf;
    this.#sentAt[slot] = now;
    this.#stats.requests++;
    this.#timerE[0]!.push(now + this.#intervals[0]!, slot, gen);
    this.#timerF.push(now + this.#cfg.timerFMs, slot, gen);
    this.#send(this.#sock[slot]!, buf);
  }

  /** Feed a response; false when no transaction matches (a stray or a late duplicate). */
  onResponse(res: SipView, now: number): boolean {
    const slot = this.#slotOf(res);
    if (slot < 0 || res.method !== this.#method[slot]) return false;
    if (res.status < 200) {
      // Proceeding: keep retransmitting, at T2 (RFC 3261 §17.1.2.2).
      this.#state[slot] = PROCEEDING;
      return true;
    }
    this.#stats.recordResponse(this.#method[slot]!, res.status, (now - this.#sentAt[slot]!) * 1000);
    this.#finish(slot, res.status, res);
    return true;
  }

  /** Fire due timers E and F. */
  tick(now: number): void {
    const last = this.#timerE.length - 1;
    for (let level = last; level >= 0; level--) {
      const fifo = this.#timerE[level]!;
      while (fifo.due(now)) {
        fifo.shift();
        const slot = fifo.slot;
        if (this.#gen[slot] !== fifo.gen || this.#state[slot] === FREE) continue;
        this.#stats.retransmissions++;
        this.#send(this.#sock[slot]!, this.#buf[slot]!);
        const next = this.#state[slot] === PROCEEDING ? last : Math.min(level + 1, last);
        this.#timerE[next]!.push(now + this.#intervals[next]!, slot, fifo.gen);
      }
    }
    const f = this.#timerF;
    while (f.due(now)) {
      f.shift();
      if (this.#gen[f.slot] !== f.gen || this.#state[f.slot] === FREE) continue;
      this.#stats.timeouts++;
      this.#finish(f.slot, 408, null);
    }
  }

  /** Abandon everything still pending (end of a bounded run): each ends as 408, and so does any later request. */
  abortAll(): void {
    this.#closed = true;
    for (let slot = 0; slot < this.#used; slot++) {
      if (this.#state[slot] === FREE) continue;
      this.#stats.timeouts++;
      this.#finish(slot, 408, null);
    }
  }

  #slotOf(res: SipView): number {
    const at = res.start[F_BRANCH]!;
    const p = this.#prefixBytes;
    if (at < 0 || res.end[F_BRANCH]! - at !== p.length + 12) return -1;
    const b = res.buf;
    for (let i = 0; i < p.length; i++) if (b[at + i] !== p[i]) return -1;
    const slot = readHex(b, at + p.length, 6);
    const gen = readHex(b, at + p.length + 6, 6);
    if (slot < 0 || slot >= this.#used || this.#gen[slot] !== gen || this.#state[slot] === FREE) return -1;
    return slot;
  }

  #finish(slot: number, status: number, res: SipView | null): void {
    const done = this.#done[slot]!;
    this.#state[slot] = FREE;
    this.#buf[slot] = null;
    this.#done[slot] = NOOP;
    this.#free[this.#freeCount++] = slot;
    this.#inFlight--;
    done(status, res);
  }

  #grow(): void {
    const cap = this.#state.length * 2;
    if (cap > MAX_SLOTS) throw new Error(`more than ${MAX_SLOTS} transactions in flight`);
    const grow = <T extends Uint8Array | Uint16Array | Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.#state = grow(this.#state, (n) => new Uint8Array(n));
    this.#gen = grow(this.#gen, (n) => new Int32Array(n));
    this.#method = grow(this.#method, (n) => new Uint8Array(n));
    this.#sock = grow(this.#sock, (n) => new Uint16Array(n));
    this.#sentAt = grow(this.#sentAt, (n) => new Float64Array(n));
    this.#free = grow(this.#free, (n) => new Int32Array(n));
    this.#buf = this.#buf.concat(new Array<Buffer | null>(cap - this.#buf.length).fill(null));
    this.#done = this.#done.concat(new Array<TxDone>(cap - this.#done.length).fill(NOOP));
  }
}
