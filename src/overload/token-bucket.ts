// Per-key token-bucket rate limiting, e.g. requests per source IP or per AoR.
//
// API:
//   class RateLimiter {
//     constructor(opts: { ratePerSec: number; burst: number; maxKeys: number })
//     take(key: string, now: number): boolean     // true = allowed (one token spent), false = over the limit
//     readonly size: number                       // keys currently tracked
//   }
//
// Each key owns a bucket of at most `burst` tokens, refilled continuously at `ratePerSec`;
// a request spends one token. A new key starts full, so a first burst of `burst` requests
// passes. `now` is milliseconds from any monotonic source the caller chooses (the server
// passes its clock, tests a fake one); time going backwards refills nothing. There are no
// timers: refill is computed lazily from the time of the key's previous request.
//
// Memory is bounded: at most `maxKeys` buckets live in a Map kept in least-recently-used
// order (a hit is deleted and re-inserted, so the first key in iteration order is the LRU),
// and adding a key beyond the bound evicts the least recently used one. An evicted key comes
// back with a full bucket; an attacker rotating over more than maxKeys source keys therefore
// escapes per-key limits, which is why this sits behind the global bound (maxPending → 503),
// not instead of it. Size maxKeys above the number of active sources in one refill period.

export interface RateLimiterOptions {
  ratePerSec: number;
  burst: number;
  maxKeys: number;
}

interface Bucket {
  tokens: number;
  last: number;
}

export class RateLimiter {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(opts: RateLimiterOptions) {
    if (!(Number.isFinite(opts.ratePerSec) && opts.ratePerSec >= 0)) throw new RangeError('options.ratePerSec must be a finite number >= 0');
    if (!(Number.isFinite(opts.burst) && opts.burst >= 1)) throw new RangeError('options.burst must be a finite number >= 1');
    if (!(Number.isInteger(opts.maxKeys) && opts.maxKeys >= 1)) throw new RangeError('options.maxKeys must be a positive integer');
    this.#perMs = opts.ratePerSec / 1000;
    this.#burst = opts.burst;
    this.#maxKeys = opts.maxKeys;
  }

  get size(): number {
    return this.#buckets.size;
  }

  take(key: string, now: number): boolean {
    let b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= this.#maxKeys) {
        const lru = this.#buckets.keys().next().value;
        if (lru !== undefined) this.#buckets.delete(lru);
      }
      b = { tokens: this.#burst, last: now };
    } else {
      this.#buckets.delete(key); // re-inserted below as most recently used
      const elapsed = now - b.last;
      if (elapsed > 0) {
        b.tokens = Math.min(this.#burst, b.tokens + elapsed * this.#perMs);
        b.last = now;
      }
    }
    this.#buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    return false;
  }
}
