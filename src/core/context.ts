// What every request handler is given: the scanned request, where it came from, who sent it,
// and the one way to answer it (ReplyTo: rendered by the response writer from the request's own
// bytes, then cached in the server transaction).
import type { SipMsg } from '../codec/sip/msg.js';
import { HDR } from '../codec/sip/header-ids.js';
import type { PidfParseResult } from '../codec/pidf/types.js';
import type { Destination } from '../transport/destination.js';
import type { ReplyTo } from './reply.js';
import { line, refuse } from './reply.js';
import { SIP_ERR } from '../errors.js';

export interface Request extends ReplyTo {
  readonly msg: SipMsg;
  readonly source: Destination;
  readonly now: number;
  /** The PIDF body of a PUBLISH, parsed off the hot path; null when there is none. */
  readonly pidf: PidfParseResult | null;
  /** The authenticated user ('alice@example.com'), or null when authentication is off. */
  identity: string | null;
}

/** Parses a delta-seconds value (Expires header or param); null when absent or malformed. */
export function deltaSeconds(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (v.length === 0 || v.length > 10) return null;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return null;
    n = n * 10 + c;
  }
  // RFC 3261 §20.19: values above 2**32-1 are treated as the maximum.
  return Math.min(n, 2 ** 32 - 1);
}

/** Splits `presence;id=abc` into the package name (lower case) and its id parameter. */
export function parseEvent(value: string | undefined): { pkg: string; id: string | null } | null {
  if (value === undefined) return null;
  const semi = value.indexOf(';');
  const pkg = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  if (pkg === '') return null;
  if (semi < 0) return { pkg, id: null };
  let id: string | null = null;
  for (const p of value.slice(semi + 1).split(';')) {
    const eq = p.indexOf('=');
    if (eq > 0 && p.slice(0, eq).trim().toLowerCase() === 'id') id = p.slice(eq + 1).trim();
  }
  return { pkg, id };
}

/**
 * The Expires a PUBLISH or SUBSCRIBE is granted (RFC 3903 §6 step 4, RFC 6665 §4.2.1.1): the
 * package default when absent, never longer than the maximum, 423 + Min-Expires when shorter
 * than the minimum (0 stays 0: remove / unsubscribe / fetch). null when a response was sent.
 */
export function grantExpires(req: Request, cfg: { defaultExpires: number; minExpires: number; maxExpires: number }): number | null {
  const raw = req.msg.first(HDR.Expires);
  const asked = raw === undefined ? cfg.defaultExpires : deltaSeconds(raw);
  if (asked === null) {
    req.reply(refuse(SIP_ERR.BAD_EXPIRES));
    return null;
  }
  if (asked > 0 && asked < cfg.minExpires) {
    req.reply(refuse(SIP_ERR.INTERVAL_TOO_BRIEF, line('Min-Expires', cfg.minExpires)));
    return null;
  }
  return Math.min(asked, cfg.maxExpires);
}
