// Random tokens for tags, ETags and branches: ≥ 64 bits (RFC 3261 §19.3 asks for ≥ 32).
// Drawn from a pool of cryptographic randomness refilled 16 KiB at a time: one randomFillSync
// per ~2000 tokens instead of one per token (it was 7 % of the CPU profile of a REGISTER load).
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.allocUnsafeSlow(16 * 1024);
let poolOffset = POOL.length;

export function randomToken(bytes = 8): string {
  if (poolOffset + bytes > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const s = POOL.toString('base64url', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return s;
}
