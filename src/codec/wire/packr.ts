// The one msgpack configuration both sides of the worker boundary use. Records carry a
// `t` (type) and `v` (wire version) field; msgpackr's record structures make repeated object
// shapes cheap (keys written once per batch instead of per record).
import { Packr } from 'msgpackr';
import type { ParseFailure, SipRequest, SipResponse } from '../sip/types.js';
import type { PidfParseResult, Publication } from '../pidf/types.js';

export const WIRE_VERSION = 1;

export const packr = new Packr({ useRecords: true, moreTypes: false, bundleStrings: false });

/** Outcome of the generic request checks done in the worker (null = pass). */
export interface GateOutcome {
  status: number; // 0 = send no response (ACK)
  reason: string;
  headers: { name: string; value: string }[];
}

export type ParsedRecord =
  | { t: 'req'; v: number; msg: SipRequest; gate: GateOutcome | null; pidf: PidfParseResult | null }
  | { t: 'res'; v: number; msg: SipResponse }
  | { t: 'bad'; v: number; failure: ParseFailure }
  | { t: 'keepalive'; v: number };

/** What the worker is given: datagrams concatenated into one transferable buffer. */
export interface ParseBatchInput {
  data: Uint8Array;
  ends: Uint32Array; // end offset of each datagram in `data`
  maxSize: number;
  extensions: string[];
}

export type BodySpec = { kind: 'pidf'; entity: string; pubs: Publication[] } | { kind: 'text'; text: string };

/** One NOTIFY to render; `body` indexes RenderBatchInput.bodies (-1 = no body). */
export interface NotifySpec {
  uri: string;
  viaHost: string;
  viaPort: number;
  branch: string;
  routes: string[];
  from: string;
  to: string;
  callId: string;
  cseq: number;
  contact: string;
  event: string;
  state: string;
  contentType: string;
  userAgent: string;
  body: number;
}

export interface RenderBatchInput {
  bodies: BodySpec[];
  notifies: NotifySpec[];
}
