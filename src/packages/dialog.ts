// The dialog event package (RFC 4235) for busy-lamp fields: phones and proxies (Kamailio's
// pua_dialoginfo: one PUBLISH per call) publish application/dialog-info+xml under the RFC 3903
// rules presence has; watchers (Yealink, Polycom, Snom, PJSIP: `Event: dialog`) get the
// entity's aggregated dialogs, `state="full"`, `version` per subscription from 0, +1 per NOTIFY.
//
// Ordering (FIELD.md: kamailio#3192, OpenSIPS#3801 — lamps stuck ringing): the presentity actor
// remembers, per dialog id, the most advanced state it has seen for a while; a publication that
// would move a dialog back (an `early` after its `terminated`) is stored without that dialog.
// Racing publishers within one composition are settled by mergeDialogs (most advanced wins).
// NOTIFYs are never held by --notify-min-interval: a short call passes trying → early →
// terminated in seconds; bursts still coalesce while a NOTIFY is in flight (one per dialog).
import { parseDialogInfo } from '../codec/dialog-info/parse.js';
import { composeDialogs, dialogInfoDocument, type DialogComposeOptions, type DialogPublication } from '../codec/dialog-info/compose.js';
import { DIALOG_INFO_TYPE, type DialogInfoDocument } from '../codec/dialog-info/types.js';
import type { PubDoc, StateRules, MemoDraft } from '../actors/state-rules.js';
import { WITHHELD } from '../actors/subscription.js';
import type { PresentityActor } from '../actors/presentity-actor.js';
import type { EventPackage } from './types.js';

/** How long a dialog id's most advanced state is remembered (bounded per entity). */
export const DIALOG_MEMORY_MS = 120_000;
/** At most this many remembered dialog ids per entity: the oldest is forgotten first. */
export const DIALOG_MEMORY_MAX = 1024;

function sameDialogs(a: DialogInfoDocument, b: DialogInfoDocument): boolean {
  if (a.dialogs.length !== b.dialogs.length) return false;
  for (let i = 0; i < a.dialogs.length; i++) if (a.dialogs[i]!.xml !== b.dialogs[i]!.xml) return false;
  return true;
}

/** Drops dialogs whose state is behind what was seen for their id; remembers the rest. */
export function admitDialogs(doc: DialogInfoDocument, draft: MemoDraft, now: number): DialogInfoDocument {
  let kept = doc.dialogs;
  for (const d of doc.dialogs) {
    const m = draft.memo(d.id);
    if (m !== undefined && m.until > now && d.rank < m.rank) {
      kept = kept.filter((k) => k !== d);
      continue;
    }
    if (m === undefined || m.until <= now || d.rank > m.rank || m.until < now + DIALOG_MEMORY_MS / 2) {
      draft.remember(d.id, { rank: Math.max(d.rank, m !== undefined && m.until > now ? m.rank : 0), until: now + DIALOG_MEMORY_MS });
    }
  }
  return kept === doc.dialogs ? doc : { ...doc, dialogs: kept };
}

export const DIALOG_RULES: StateRules = Object.freeze({
  name: 'dialog',
  same: (a: PubDoc, b: PubDoc) => sameDialogs(a as DialogInfoDocument, b as DialogInfoDocument),
  admit: (doc: PubDoc, draft: MemoDraft, now: number) => admitDialogs(doc as DialogInfoDocument, draft, now),
});

interface Cached {
  version: number;
  dialogs: string;
}

function dialogsOf(owner: PresentityActor, now: number, opts: DialogComposeOptions): string {
  return composeDialogs(owner.live(now) as DialogPublication[], opts);
}

export function dialogPackage(opts: DialogComposeOptions): EventPackage {
  const neutral = composeDialogs([], opts);
  return {
    name: 'dialog',
    publishTypes: [DIALOG_INFO_TYPE],
    notifyType: DIALOG_INFO_TYPE,
    stateOf: 'dialog',
    authorization: 'rules',
    paced: false,
    rules: DIALOG_RULES,
    parse: (req) => parseDialogInfo(req.msg.body),
    content(owner, sub, now, turn) {
      if (sub.pending || (sub.flags & WITHHELD) !== 0) return { type: DIALOG_INFO_TYPE, body: null };
      // RFC 4235 §4.1: version 0 in the first NOTIFY of the subscription, +1 per NOTIFY.
      const version = sub.cseq - 1;
      let dialogs = neutral;
      if (!sub.polite) {
        let cached = turn.get(owner) as Cached | undefined;
        if (cached === undefined || cached.version !== owner.state.version) {
          cached = { version: owner.state.version, dialogs: dialogsOf(owner, now, opts) };
          turn.set(owner, cached);
        }
        dialogs = cached.dialogs;
      }
      return { type: DIALOG_INFO_TYPE, body: Buffer.from(dialogInfoDocument(sub.entity, version, dialogs), 'utf8') };
    },
    memberState: (owner, now) => dialogsOf(owner, now, opts),
    memberBody: (entity, state, version) => dialogInfoDocument(entity, version, state),
    neutralBody: (entity, version) => dialogInfoDocument(entity, version, neutral),
  };
}
