// Admission control for new requests: the answer before any handler runs when the server, or
// one source, asks for more than it may have. Retransmissions never get here (the transaction
// layer answers them from its cache), so a client whose request was accepted always gets
// that answer again, however loaded the server is.
//
// API:
//   class Admission {
//     constructor({ rateLimit, rateBurst, maxPending, maxStoreQueue })
//     admit(sourceIp: string, inFlight: number, storeQueue: number, now: number): Verdict
//     readonly refused: { busy: number; limited: number; dropped: number }
//   }
//   type Verdict = { t: 'ok' } | { t: 'reject'; retryAfter: number; reason: string } | { t: 'drop' }
//
// Order of the checks and why:
//   1. per-source token bucket (--rate-limit/--rate-burst, keyed by source IP): one flooding
//      host must not use up the global bounds below for everybody else. Over its limit a
//      source gets 503 + Retry-After (RFC 3261 §21.5.4) — but at most REJECTS_PER_SEC such
//      answers per second; beyond that its requests are dropped silently, because answering
//      each datagram of a flood would turn us into a reflector (RFC 5390 §3 warns about
//      amplifying overload with rejections; over UDP the sender retransmits anyway).
//   2. global bounds: requests in flight (--max-pending) and store writes awaiting their
//      commit (--max-store-queue) → 503 + Retry-After 5 for everybody.
import { RateLimiter } from './token-bucket.js';

export type Verdict = { t: 'ok' } | { t: 'reject'; retryAfter: number; reason: string } | { t: 'drop' };

export interface AdmissionOptions {
  /** Requests per second per source IP; 0 = no per-source limit. */
  rateLimit: number;
  rateBurst: number;
  maxPending: number;
  maxStoreQueue: number;
}

/** 503s per second and source once it is over its rate; the rest of its flood is dropped. */
export const REJECTS_PER_SEC = 5;
/** Sources tracked at once; beyond, the least recently seen is forgotten (token-bucket.ts). */
const MAX_SOURCES = 65536;

const OK: Verdict = { t: 'ok' };
const DROP: Verdict = { t: 'drop' };

export class Admission {
  readonly #o: AdmissionOptions;
  readonly #perSource: RateLimiter | null;
  readonly #rejects: RateLimiter | null;
  readonly refused = { busy: 0, limited: 0, dropped: 0 };

  constructor(o: AdmissionOptions) {
    this.#o = o;
    this.#perSource = o.rateLimit > 0 ? new RateLimiter({ ratePerSec: o.rateLimit, burst: Math.max(1, o.rateBurst), maxKeys: MAX_SOURCES }) : null;
    this.#rejects = o.rateLimit > 0 ? new RateLimiter({ ratePerSec: REJECTS_PER_SEC, burst: REJECTS_PER_SEC, maxKeys: MAX_SOURCES }) : null;
  }

  admit(sourceIp: string, inFlight: number, storeQueue: number, now: number): Verdict {
    if (this.#perSource !== null && !this.#perSource.take(sourceIp, now)) {
      if (this.#rejects!.take(sourceIp, now)) {
        this.refused.limited++;
        return { t: 'reject', retryAfter: 1, reason: 'Service Unavailable - rate limit' };
      }
      this.refused.dropped++;
      return DROP;
    }
    if (inFlight > this.#o.maxPending || storeQueue >= this.#o.maxStoreQueue) {
      this.refused.busy++;
      return { t: 'reject', retryAfter: 5, reason: 'Service Unavailable - overloaded' };
    }
    return OK;
  }
}
