// The top Via of a response (received, rport: RFC 3261 §18.2.1, RFC 3581) and where the response goes.
import { formatViaWithReceived, parseVia } from './via.js';
import { quotedEndB, skipWsp, eqLower } from './grammar-bytes.js';
import { VIA_NOT_ASCII, VIA_REFUSED } from './msg-bytes.js';
import type { SipMsg } from './msg.js';
import { copy, put, putInt, type Piece } from './response-bytes.js';

/** Where the request came from. */
export interface Source {
  address: string;
  port: number;
}

const RPORT = Buffer.from(';rport=', 'latin1');

/** `;received=<ip>` for the last source address seen (consecutive requests often share it). */
let receivedFor = '';
let receivedBytes: Buffer = Buffer.alloc(0);

function received(ip: string): Buffer {
  if (ip !== receivedFor) {
    receivedFor = ip;
    receivedBytes = Buffer.from(';received=' + bareIp(ip), 'latin1');
  }
  return receivedBytes;
}

// The top Via is rendered into this scratch first (its length depends on the params), then
// copied into the response.
let scratch = Buffer.allocUnsafeSlow(512);

function bareIp(ip: string): string {
  return ip.length > 1 && ip.charCodeAt(0) === 0x5b && ip.charCodeAt(ip.length - 1) === 0x5d ? ip.slice(1, -1) : ip;
}

/**
 * via.ts formatViaWithReceived on the bytes of a plain-ASCII via-parm parseVia accepts (`semi`:
 * its first `;`, or e without params):
 * sent-by part, then each param trimmed, `received` replaced, a bare `rport` filled in with the
 * source port (RFC 3581 §4), and `;received=<ip>` appended when there was none (§18.2.1).
 */
function renderTopVia(b: Buffer, s: number, e: number, semi: number, ip: string, port: number): number {
  const need = (e - s) * 2 + 96;
  if (scratch.length < need) scratch = Buffer.allocUnsafeSlow(need);
  const out = scratch;
  if (semi === e) return put(out, copy(out, 0, b, s, e), received(ip));
  let pe = semi;
  while (pe > s && (b[pe - 1] === 0x20 || b[pe - 1] === 0x09)) pe--;
  let n = copy(out, 0, b, s, pe);
  let hadReceived = false;
  let i = semi + 1;
  for (;;) {
    // One piece: up to the next ';' outside a quoted-string.
    let j = i;
    while (j < e && b[j] !== 0x3b) {
      // An unclosed quote makes the rest one piece, as via.ts splitSemis does.
      const q = b[j] === 0x22 ? quotedEndB(b, j, e) : j + 1;
      j = q < 0 ? e : q;
    }
    const ps = skipWsp(b, i, j);
    let pt = j;
    while (pt > ps && (b[pt - 1] === 0x20 || b[pt - 1] === 0x09)) pt--;
    let eq = ps;
    while (eq < pt && b[eq] !== 0x3d) eq++;
    let ne = eq;
    while (ne > ps && (b[ne - 1] === 0x20 || b[ne - 1] === 0x09)) ne--;
    if (eqLower(b, ps, ne, 'received')) {
      n = put(out, n, received(ip));
      hadReceived = true;
    } else if (eq === pt && eqLower(b, ps, ne, 'rport')) {
      n = put(out, n, RPORT);
      n = putInt(out, n, port);
    } else {
      out[n++] = 0x3b;
      n = copy(out, n, b, ps, pt);
    }
    if (j >= e) break;
    i = j + 1;
  }
  return hadReceived ? n : put(out, n, received(ip));
}

/** The top Via line's value as the response carries it: bytes in `scratch` (their length) or a piece. */
export function topViaValue(msg: SipMsg, i: number, source: Source): Piece | number {
  const b = msg.buf;
  const s = msg.lines[i * 4 + 2]!;
  const e = msg.lines[i * 4 + 3]!;
  const form = msg.viaFormAt(i);
  if (form === VIA_REFUSED) return b.subarray(s, e); // echoed as received, as serialize.ts does
  if (form === VIA_NOT_ASCII) return formatViaWithReceived(parseVia(msg.valueAt(i))!, source.address, source.port);
  return renderTopVia(b, s, e, form, source.address, source.port);
}

/** Writes a value topViaValue returned (its bytes in the scratch, or the piece). */
export function putTopVia(out: Buffer, at: number, value: Piece | number): number {
  return typeof value === 'number' ? copy(out, at, scratch, 0, value) : put(out, at, value);
}

// ---- where it goes ----------------------------------------------------------------------------

/**
 * Where the response to a UDP request goes (core/respond.ts responseDestination): with rport,
 * the source address and port (RFC 3581 §4); without, the source IP on sent-by's port, default
 * 5060 (5061 for TLS) (RFC 3261 §18.2.2; an incoming `received` is not trusted).
 */
export function responseDestination<D extends Source>(msg: SipMsg, source: D): D {
  const via = msg.topVia;
  if (via === null || via.rport) return source;
  return { ...source, port: via.port ?? (via.transport === 'TLS' ? 5061 : 5060) };
}
