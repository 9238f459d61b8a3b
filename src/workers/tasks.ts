// The task functions that run in Piscina workers — or inline on the main thread with
// `--workers 0`, the very same code, so the pool's benefit is measured, not assumed.
// Pure and synchronous: bytes in, msgpack bytes out; no I/O, no timers, no module state.
import { parseSipMessage, isKeepAlive } from '../codec/sip/parse.js';
import { gateRequest } from '../codec/sip/request-gate.js';
import { getHeader, mediaTypeOf } from '../codec/sip/headers.js';
import { serializeRequest } from '../codec/sip/serialize.js';
import { parsePidf } from '../codec/pidf/parse.js';
import { composePidf } from '../codec/pidf/compose.js';
import {
  packr, WIRE_VERSION,
  type ParseBatchInput, type ParsedRecord, type RenderBatchInput, type NotifySpec,
} from '../codec/wire/packr.js';
import type { SipHeader, SipRequest } from '../codec/sip/types.js';
import type { PidfParseResult } from '../codec/pidf/types.js';

const PIDF_TYPE = 'application/pidf+xml';

/** PIDF bodies are parsed here, in the worker, so the main thread only sees documents. */
function pidfOf(req: SipRequest): PidfParseResult | null {
  if (req.method !== 'PUBLISH' || req.body.length === 0) return null;
  if (mediaTypeOf(getHeader(req, 'Content-Type')) !== PIDF_TYPE) return null;
  return parsePidf(req.body);
}

export function parseOne(buf: Uint8Array, maxSize: number, extensions: string[]): ParsedRecord {
  if (isKeepAlive(buf)) return { t: 'keepalive', v: WIRE_VERSION };
  const r = parseSipMessage(buf, { maxSize });
  if (!r.ok) return { t: 'bad', v: WIRE_VERSION, failure: r };
  if (r.msg.kind === 'response') return { t: 'res', v: WIRE_VERSION, msg: r.msg };
  const gate = gateRequest(r.msg, { supportedExtensions: extensions });
  return { t: 'req', v: WIRE_VERSION, msg: r.msg, gate, pidf: gate === null ? pidfOf(r.msg) : null };
}

export function parseRecords(input: ParseBatchInput): ParsedRecord[] {
  const out: ParsedRecord[] = new Array(input.ends.length);
  let start = 0;
  for (let i = 0; i < input.ends.length; i++) {
    const end = input.ends[i]!;
    out[i] = parseOne(input.data.subarray(start, end), input.maxSize, input.extensions);
    start = end;
  }
  return out;
}

export function parseBatch(input: ParseBatchInput): Uint8Array {
  return packr.pack(parseRecords(input));
}

function notifyHeaders(n: NotifySpec, hasBody: boolean): SipHeader[] {
  const h: SipHeader[] = [
    { name: 'Via', value: `SIP/2.0/UDP ${n.viaHost}:${n.viaPort};branch=${n.branch};rport` },
    { name: 'Max-Forwards', value: '70' },
  ];
  for (const r of n.routes) h.push({ name: 'Route', value: r });
  h.push(
    { name: 'From', value: n.from },
    { name: 'To', value: n.to },
    { name: 'Call-ID', value: n.callId },
    { name: 'CSeq', value: `${n.cseq} NOTIFY` },
    { name: 'Contact', value: n.contact },
    { name: 'Event', value: n.event },
    { name: 'Subscription-State', value: n.state },
    { name: 'User-Agent', value: n.userAgent },
  );
  if (hasBody) h.push({ name: 'Content-Type', value: n.contentType });
  return h;
}

/** Renders each distinct body once, then every NOTIFY that shares it. */
export function renderNotifies(input: RenderBatchInput): Buffer[] {
  const bodies = input.bodies.map((b) => Buffer.from(b.kind === 'pidf' ? composePidf(b.entity, b.pubs) : b.text, 'utf8'));
  return input.notifies.map((n) => {
    const body = n.body >= 0 ? bodies[n.body] : undefined;
    return serializeRequest({ method: 'NOTIFY', uri: n.uri, headers: notifyHeaders(n, body !== undefined), body });
  });
}

export function renderBatch(input: RenderBatchInput): Uint8Array {
  return packr.pack(renderNotifies(input));
}
