// What the worker pool's parse task hands back, as the Read the scanner gives inline: the full
// parser's records (msgpack) re-encoded in canonical form, plus the PUBLISH's parsed PIDF.
import type { ParsedRecord } from '../wire/packr.js';
import type { PidfParseResult } from '../pidf/types.js';
import type { Read } from './scan.js';
import { canonicalMsg, partialMsg } from './canonical.js';

export function fromRecord(rec: ParsedRecord): { read: Read; pidf: PidfParseResult | null } {
  switch (rec.t) {
    case 'keepalive':
      return { read: { t: 'keepalive' }, pidf: null };
    case 'res':
      return { read: { t: 'res', msg: canonicalMsg(rec.msg) }, pidf: null };
    case 'req':
      return { read: { t: 'req', msg: canonicalMsg(rec.msg), gate: rec.gate }, pidf: rec.pidf };
    case 'bad': {
      const f = rec.failure;
      return { read: { t: 'bad', status: f.status, reason: f.reason, drop: f.drop, partial: f.drop ? null : partialMsg(f.partial) }, pidf: null };
    }
  }
}
