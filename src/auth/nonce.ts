// Stateless digest nonces and the nonce-count replay guard.
//
// API:
//   mintNonce(secret: Buffer, now: number, random?: Buffer): string
//   openNonce(nonce: string, secret: Buffer): { ok: true; issuedAt: number } | { ok: false }
//   class NonceCounter { constructor(maxEntries?: number); accept(nonce: string, nc: number): boolean; size: number }
//   MIN_SECRET_BYTES = 16
//
// Nonce layout (RFC 7616 §3.3 leaves the format to the server and suggests a time stamp plus
// a keyed hash, so that nonces need no server state):
//
//   nonce = base64url( ts(8, ms since epoch, big-endian) || random(16) || HMAC-SHA256(secret, ts || random)(32) )
//
// 56 bytes → 75 base64url characters. The HMAC proves the server minted the nonce; the time
// stamp lets the verifier tell a stale-but-authentic nonce (→ stale=true, the client retries
// silently) from a forged one (→ fresh challenge, stale=false). Any node holding the same
// secret can verify, so nothing is stored per challenge.
//
// NonceCounter: RFC 7616 §3.4 / RFC 3261 §22.4 — the server "should" check that nc increases
// for a given nonce, which defeats replay of a captured Authorization header while the nonce
// is still fresh. It is a bounded LRU (Map insertion order) from nonce to the highest nc
// accepted. Limits, written down on purpose:
//   - a nonce evicted from the LRU forgets its history, so a replay of an old nc within the
//     nonce TTL is accepted again; size maxEntries above (challenges issued per TTL).
//   - out-of-order arrival (nc=3 before nc=2) rejects the later one; SIP clients send one
//     request at a time per registration/subscription, and UDP retransmissions carry the same
//     nc but are absorbed by the transaction layer (RFC 3261 §17.2) before authentication.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const MIN_SECRET_BYTES = 16;
const TS_BYTES = 8;
const RANDOM_BYTES = 16;
const MAC_BYTES = 32;
const NONCE_BYTES = TS_BYTES + RANDOM_BYTES + MAC_BYTES;
const NONCE_CHARS = Math.ceil((NONCE_BYTES * 4) / 3); // base64url without padding

function mac(secret: Buffer, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

function checkSecret(secret: Buffer): void {
  if (!Buffer.isBuffer(secret) || secret.length < MIN_SECRET_BYTES) {
    throw new TypeError(`digest nonce secret must be a Buffer of at least ${MIN_SECRET_BYTES} bytes`);
  }
}

/** A new nonce for time `now` (ms). `random` is for tests; production passes nothing. */
export function mintNonce(secret: Buffer, now: number, random?: Buffer): string {
  checkSecret(secret);
  const buf = Buffer.allocUnsafe(NONCE_BYTES);
  buf.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(now))), 0);
  const rnd = random ?? randomBytes(RANDOM_BYTES);
  if (rnd.length !== RANDOM_BYTES) throw new TypeError(`nonce random part must be ${RANDOM_BYTES} bytes`);
  rnd.copy(buf, TS_BYTES);
  mac(secret, buf.subarray(0, TS_BYTES + RANDOM_BYTES)).copy(buf, TS_BYTES + RANDOM_BYTES);
  return buf.toString('base64url');
}

/** Authenticity only: was this nonce minted with `secret`, and when. Freshness is the caller's. */
export function openNonce(nonce: string, secret: Buffer): { ok: true; issuedAt: number } | { ok: false } {
  checkSecret(secret);
  if (typeof nonce !== 'string' || nonce.length !== NONCE_CHARS) return { ok: false };
  const buf = Buffer.from(nonce, 'base64url');
  // Buffer's base64 decoder skips characters outside the alphabet; the round trip rejects
  // such inputs and non-canonical trailing bits, so one nonce has exactly one spelling.
  if (buf.length !== NONCE_BYTES || buf.toString('base64url') !== nonce) return { ok: false };
  const expected = mac(secret, buf.subarray(0, TS_BYTES + RANDOM_BYTES));
  if (!timingSafeEqual(expected, buf.subarray(TS_BYTES + RANDOM_BYTES))) return { ok: false };
  return { ok: true, issuedAt: Number(buf.readBigUInt64BE(0)) };
}

export class NonceCounter {
  readonly #max: number;
  readonly #seen = new Map<string, number>();

  constructor(maxEntries = 65536) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('NonceCounter maxEntries must be a positive integer');
    this.#max = maxEntries;
  }

  /** Number of nonces remembered. */
  get size(): number {
    return this.#seen.size;
  }

  /** True (and remembered) when nc is above every nc accepted so far for this nonce. */
  accept(nonce: string, nc: number): boolean {
    const prev = this.#seen.get(nonce);
    if (prev !== undefined) {
      if (nc <= prev) return false;
      this.#seen.delete(nonce); // re-insert below: most recently used goes last
    } else if (this.#seen.size >= this.#max) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    this.#seen.set(nonce, nc);
    return true;
  }

  /** The highest nc accepted for `nonce`, if remembered. */
  highest(nonce: string): number | undefined {
    return this.#seen.get(nonce);
  }
}
