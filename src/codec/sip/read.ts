// What the parse step hands the server for one datagram: a request (with the generic checks'
// verdict), a response, a message that cannot be read (with what a 400 can still echo), or a
// keep-alive. Built from the parse task's records (full parser, gate, PIDF in the task).
import type { ParsedRecord, GateOutcome } from '../wire/packr.js';
import type { PidfParseResult } from '../pidf/types.js';
import type { SipMsg } from './msg.js';
import { toSipMsg } from './canonical.js';

export type Read =
  | { t: 'req'; msg: SipMsg; gate: GateOutcome | null; pidf: PidfParseResult | null }
  | { t: 'res'; msg: SipMsg }
  | { t: 'bad'; status: number; reason: string; drop: boolean; partial: SipMsg | null }
  | { t: 'keepalive' };

export function fromRecord(rec: ParsedRecord): Read {
  switch (rec.t) {
    case 'keepalive':
      return { t: 'keepalive' };
    case 'res':
      return { t: 'res', msg: toSipMsg(rec.msg) };
    case 'req':
      return { t: 'req', msg: toSipMsg(rec.msg), gate: rec.gate, pidf: rec.pidf };
    case 'bad': {
      const f = rec.failure;
      const partial = f.drop ? null : toSipMsg({ kind: 'request', method: 'X', uri: '', version: 'SIP/2.0', headers: f.partial, body: new Uint8Array(0) });
      return { t: 'bad', status: f.status, reason: f.reason, drop: f.drop, partial };
    }
  }
}
