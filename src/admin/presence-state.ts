// The one-word state the board shows for a presentity, read from the elements of its composed
// PIDF document (newest publication first, as composePidf orders them). Fragments carry the
// canonical prefixes (codec/pidf/ns.ts: `dm:`, `rpid:`), so plain text searches are exact.
//
// Rules, in order (what Linphone shows for the same documents, README "Tried with real clients"):
//   no publication                                   → offline
//   the newest person with RPID activities (RFC 4480 §3.2):
//     on-the-phone                                   → on-the-phone
//     busy, meeting, appointment, performance, presentation, in-transit, worship → busy (even
//       with basic closed: do-not-disturb is published so)
//     away, vacation, sleeping, holiday, travel, steering → away
//   any tuple with <basic>open</basic>               → available
//   otherwise                                        → offline
import type { PidfElement } from '../codec/pidf/types.js';
import type { PresenceState } from './model.js';

const BUSY = new Set(['busy', 'meeting', 'appointment', 'performance', 'presentation', 'in-transit', 'worship']);
const AWAY = new Set(['away', 'vacation', 'sleeping', 'holiday', 'travel', 'steering']);

/** Activity names (local names) inside <rpid:activities> of one fragment, or null when none. */
export function activitiesOf(xml: string): string[] | null {
  const open = xml.indexOf('<rpid:activities');
  if (open < 0) return null;
  const close = xml.indexOf('</rpid:activities>', open);
  const inner = close < 0 ? '' : xml.slice(xml.indexOf('>', open) + 1, close);
  const out: string[] = [];
  for (const m of inner.matchAll(/<rpid:([A-Za-z-]+)/g)) if (m[1] !== 'note') out.push(m[1]!);
  return out;
}

export function presenceStateOf(elements: readonly PidfElement[], published: boolean): PresenceState {
  if (!published) return 'offline';
  for (const e of elements) {
    if (e.kind !== 'person') continue;
    const acts = activitiesOf(e.xml);
    if (acts === null) continue;
    if (acts.includes('on-the-phone')) return 'on-the-phone';
    if (acts.some((a) => BUSY.has(a))) return 'busy';
    if (acts.some((a) => AWAY.has(a))) return 'away';
    break; // the newest person decides; an empty or unknown activity falls through to basic
  }
  return elements.some((e) => e.kind === 'tuple' && e.basic === 'open') ? 'available' : 'offline';
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Text of the first note: a top-level <note>, else a person's <dm:note>, else a tuple's <note>. */
export function noteOf(elements: readonly PidfElement[]): string | null {
  const order: PidfElement['kind'][] = ['note', 'person', 'tuple'];
  for (const kind of order) {
    for (const e of elements) {
      if (e.kind !== kind) continue;
      const m = /<(?:dm:)?note(?:\s[^>]*)?>([^<]*)<\/(?:dm:)?note>/.exec(e.xml);
      if (m !== null && m[1]!.trim() !== '') {
        return m[1]!.trim().replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, n: string) =>
          n[0] === '#' ? String.fromCodePoint(n[1] === 'x' ? parseInt(n.slice(2), 16) : parseInt(n.slice(1), 10)) : ENTITIES[n]!);
      }
    }
  }
  return null;
}
