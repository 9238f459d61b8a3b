// The task functions that run in Piscina workers — or inline on the main thread with
// `--workers 0`, the very same code, so the pool's benefit is measured, not assumed.
// Pure and synchronous: no I/O, no timers, no module state.
import { readMessage, type Read, type ReadOptions } from '../codec/sip/scan.js';
import { HDR } from '../codec/sip/header-ids.js';
import type { SipMsg } from '../codec/sip/msg.js';
import { mediaTypeOf } from '../codec/sip/headers.js';
import { parsePidf } from '../codec/pidf/parse.js';
import { closedPidf, composePidf } from '../codec/pidf/compose.js';
import type { PidfParseResult, Publication } from '../codec/pidf/types.js';
import { SlotWriter, type SlotView } from './shared-slots.js';

const PIDF_TYPE = 'application/pidf+xml';

/** A PUBLISH's PIDF body, parsed here so the handler only sees a document; null when none. */
export function pidfOf(msg: SipMsg): PidfParseResult | null {
  if (msg.method !== 'PUBLISH' || msg.bodyLength === 0) return null;
  if (mediaTypeOf(msg.first(HDR.ContentType)) !== PIDF_TYPE) return null;
  return parsePidf(msg.body);
}

/** One datagram: the scanner (or the parser's fallback), and the PIDF of a PUBLISH that passed the gate. */
export function readDatagram(buf: Buffer, opts: ReadOptions): { read: Read; pidf: PidfParseResult | null } {
  const read = readMessage(buf, opts);
  return { read, pidf: read.t === 'req' && read.gate === null ? pidfOf(read.msg) : null };
}

/** Worker: reads every datagram of a slot into its output area. */
export function readSlotTask(view: SlotView, opts: ReadOptions): number {
  const n = view.inInts[0]!;
  const out = new SlotWriter(view);
  for (let i = 0; i < n; i++) {
    const r = readDatagram(view.datagram(i), opts);
    out.put(i, r.read, r.pidf);
  }
  return n;
}

/** A NOTIFY body to compose: the live publications of a presentity, or its neutral state. */
export interface BodySpec {
  entity: string;
  pubs: Publication[];
}

/** Composes each body once (RFC 3856 §6.7), as UTF-8 bytes. */
export function composeBodies(specs: readonly BodySpec[]): Uint8Array[] {
  return specs.map((b) => Buffer.from(b.pubs.length === 0 ? closedPidf(b.entity) : composePidf(b.entity, b.pubs), 'utf8'));
}
