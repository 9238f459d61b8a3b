// What every request handler is given: the parsed request, where it came from, and the
// one way to answer it (core/respond.ts).
import { randomFillSync } from 'node:crypto';
import type { SipHeader, SipRequest } from '../codec/sip/types.js';
import type { PidfParseResult } from '../codec/pidf/types.js';
import type { Destination } from '../transaction/server-transactions.js';

export interface ReplyOptions {
  reason?: string;
  toTag?: string;
  headers?: SipHeader[];
  body?: string | Uint8Array;
  contentType?: string;
}

export interface RequestContext {
  req: SipRequest;
  pidf: PidfParseResult | null;
  source: Destination;
  now: number;
  /** The authenticated user ('alice@example.com'), or null when authentication is off. */
  identity: string | null;
  /** Sends the final response (once) and completes the server transaction. */
  reply(status: number, opts?: ReplyOptions): void;
}

/** Parses a delta-seconds value (Expires header or param); null when absent or malformed. */
export function deltaSeconds(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (!/^\d{1,10}$/.test(v)) return null;
  const n = Number(v);
  // RFC 3261 §20.19: values above 2**32-1 are treated as the maximum.
  return Math.min(n, 2 ** 32 - 1);
}

/** Splits `presence;id=abc` into the package name (lower case) and its id parameter. */
export function parseEvent(value: string | undefined): { pkg: string; id: string | null } | null {
  if (value === undefined) return null;
  const parts = value.split(';');
  const pkg = parts[0]!.trim().toLowerCase();
  if (pkg === '') return null;
  let id: string | null = null;
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq > 0 && p.slice(0, eq).trim().toLowerCase() === 'id') id = p.slice(eq + 1).trim();
  }
  return { pkg, id };
}

/** Random token for tags, ETags and branches: ≥ 64 bits (RFC 3261 §19.3 asks for ≥ 32). */
// Tags, ETags and branches are drawn from a pool of cryptographic randomness refilled 16 KiB at
// a time: one randomFillSync per ~2000 tokens instead of one per token (it was 7 % of the CPU
// profile of a REGISTER load).
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

/**
 * The Expires a PUBLISH or SUBSCRIBE is granted (RFC 3903 §6 step 4, RFC 6665 §4.2.1.1): the
 * package default when absent, never longer than the maximum, 423 + Min-Expires when shorter
 * than the minimum (0 stays 0: remove / unsubscribe / fetch). null when a response was sent.
 */
export function grantExpires(ctx: RequestContext, cfg: { defaultExpires: number; minExpires: number; maxExpires: number }): number | null {
  const raw = ctx.req.headers.find((h) => h.name === 'Expires')?.value;
  const asked = raw === undefined ? cfg.defaultExpires : deltaSeconds(raw);
  if (asked === null) {
    ctx.reply(400, { reason: 'Bad Request - malformed Expires' });
    return null;
  }
  if (asked > 0 && asked < cfg.minExpires) {
    ctx.reply(423, { headers: [{ name: 'Min-Expires', value: String(cfg.minExpires) }] });
    return null;
  }
  return Math.min(asked, cfg.maxExpires);
}
