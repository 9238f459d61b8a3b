// The presence event package (RFC 3856) with PIDF bodies (RFC 3863): publications composed
// into one document per presentity (RFC 3856 §6.7), a plain `closed` document when nothing is
// published, polite blocking shown as that same closed document (RFC 5025), nothing for a
// pending watcher (RFC 3856 §6.6).
import { closedPidf, composePidf } from '../codec/pidf/compose.js';
import type { Publication } from '../codec/pidf/types.js';
import { PRESENCE_RULES } from '../actors/state-rules.js';
import { WITHHELD } from '../actors/subscription.js';
import type { PresentityActor } from '../actors/presentity-actor.js';
import type { EventPackage } from './types.js';

export const PIDF_TYPE = 'application/pidf+xml';

interface Cached {
  version: number;
  entity: string;
  body: Buffer;
}

function composed(owner: PresentityActor, entity: string, now: number): string {
  const pubs = owner.live(now) as Publication[];
  return pubs.length === 0 ? closedPidf(entity) : composePidf(entity, pubs);
}

export const presencePackage: EventPackage = {
  name: 'presence',
  publishTypes: [PIDF_TYPE],
  notifyType: PIDF_TYPE,
  stateOf: 'presence',
  authorization: 'rules',
  paced: true,
  rules: PRESENCE_RULES,
  // The PIDF body was parsed off the hot path (the parse task), into req.pidf.
  parse: (req) => (req.pidf === null ? { ok: false, reason: 'body not parsed' } : req.pidf),
  content(owner, sub, now, turn) {
    if (sub.pending || (sub.flags & WITHHELD) !== 0) return { type: PIDF_TYPE, body: null };
    if (sub.polite) return { type: PIDF_TYPE, body: Buffer.from(closedPidf(sub.entity), 'utf8') };
    // One composition per presentity version and entity spelling, shared by its watchers.
    const version = owner.state.version;
    let cached = turn.get(owner) as Cached | undefined;
    if (cached === undefined || cached.version !== version || cached.entity !== sub.entity) {
      cached = { version, entity: sub.entity, body: Buffer.from(composed(owner, sub.entity, now), 'utf8') };
      turn.set(owner, cached);
    }
    return { type: PIDF_TYPE, body: cached.body };
  },
  memberState: (owner, now) => composed(owner, owner.aor, now),
  memberBody: (_entity, state) => state,
  neutralBody: (entity) => closedPidf(entity),
};
