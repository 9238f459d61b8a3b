// The response builder as it was before the byte-template writer: kept as the reference the
// writer is checked against (test/codec/sip/response-writer.test.ts, bench/codec/sip-scan.bench.ts).
// The single place where an outcome becomes response bytes (Kamailio's one `goto error` exit):
// echoes Via/From/To/Call-ID/CSeq (RFC 3261 §8.2.6.2), adds received/rport to the top Via and
// answers to the address RFC 3581 §4 / RFC 3261 §18.2.2 name, and caches the bytes in the
// server transaction so a retransmitted request gets the identical response.
import { getHeaderValues, type HasHeaders } from '../../../src/codec/sip/headers.js';
import { serializeResponse } from '../../../src/codec/sip/serialize.js';
import { parseVia, responseTarget } from '../../../src/codec/sip/via.js';
import { reasonFor } from '../../../src/errors.js';
import type { Destination } from '../../../src/transport/destination.js';
import type { SipHeader } from '../../../src/codec/sip/types.js';

export interface ReplyOptions { reason?: string; toTag?: string; headers?: SipHeader[]; body?: string | Uint8Array; contentType?: string }
import { randomToken } from '../../../src/core/random.js';

/** Where the response to a request goes: with rport the source; without, sent-by's port at the source IP. */
export function responseDestination(msg: HasHeaders, source: Destination): Destination {
  const top = getHeaderValues(msg, 'Via')[0];
  const via = top === undefined ? null : parseVia(top);
  if (via === null) return source;
  const t = responseTarget(via, source.address, source.port);
  return { address: t.host, port: t.port, family: source.family };
}

export function buildResponse(
  msg: HasHeaders,
  source: Destination,
  status: number,
  server: string,
  opts: ReplyOptions = {},
): Buffer {
  // Every non-100 response carries a To-tag (RFC 3261 §8.2.6.2); the serializer only adds it
  // when the request's To has none.
  return serializeResponse(msg, status, opts.reason ?? reasonFor(status), {
    toTag: opts.toTag ?? randomToken(),
    viaReceived: { ip: source.address, port: source.port },
    extraHeaders: opts.headers ?? [],
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    ...(opts.contentType !== undefined ? { contentType: opts.contentType } : {}),
    server,
  });
}
