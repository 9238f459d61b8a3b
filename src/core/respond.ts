// The single place where a response spec becomes bytes for a request: echoes Via/From/To/
// Call-ID/CSeq (RFC 3261 §8.2.6.2), adds received/rport to the top Via and answers to the
// address RFC 3581 §4 / RFC 3261 §18.2.2 name.
import { HDR, HDR_NAME, type SipMsg } from '../codec/sip/msg.js';
import { serializeResponse } from '../codec/sip/serialize.js';
import { responseTarget } from '../codec/sip/via.js';
import { parseVia } from '../codec/sip/via.js';
import type { SipHeader } from '../codec/sip/types.js';
import { reasonFor } from '../errors.js';
import type { Destination } from '../transport/destination.js';
import type { ResponseSpec } from './reply.js';
import { randomToken } from './random.js';
import { PRODUCT } from '../version.js';

const ECHO = new Set<number>([HDR.Via, HDR.From, HDR.To, HDR.CallId, HDR.CSeq]);

function echoed(msg: SipMsg): SipHeader[] {
  const out: SipHeader[] = [];
  for (let i = 0; i < msg.count; i++) {
    const id = msg.lines[i * 4]!;
    if (ECHO.has(id)) out.push({ name: HDR_NAME[id]!, value: msg.valueAt(i) });
  }
  return out;
}

function extra(headers: string | undefined): SipHeader[] {
  if (headers === undefined || headers === '') return [];
  const out: SipHeader[] = [];
  for (const l of headers.split('\r\n')) {
    if (l === '') continue;
    const c = l.indexOf(':');
    out.push({ name: l.slice(0, c), value: l.slice(c + 1).trim() });
  }
  return out;
}

/** Where the response to a request goes: with rport the source; without, sent-by's port at the source IP. */
export function responseDestination(msg: SipMsg, source: Destination): Destination {
  const i = msg.index(HDR.Via);
  const via = i < 0 ? null : parseVia(msg.valueAt(i));
  if (via === null) return source;
  const t = responseTarget(via, source.address, source.port);
  return { address: t.host, port: t.port, family: source.family };
}

export function renderResponse(msg: SipMsg, source: Destination, spec: ResponseSpec): Buffer {
  return serializeResponse({ headers: echoed(msg) }, spec.status, spec.reason ?? reasonFor(spec.status), {
    toTag: spec.toTag ?? randomToken(),
    viaReceived: { ip: source.address, port: source.port },
    extraHeaders: extra(spec.headers),
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    ...(spec.contentType !== undefined ? { contentType: spec.contentType } : {}),
    server: PRODUCT,
  });
}
