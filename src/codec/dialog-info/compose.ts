// The dialog-info document a watcher receives (RFC 4235 §4.1): the aggregate of every live
// publication of the entity, always `state="full"`, `version` per subscription (0 in the first
// NOTIFY, +1 per NOTIFY). Aggregation (Kamailio presence_dialoginfo's idea, made deterministic):
// one entry per dialog id, the most advanced state wins (an `early` never hides a `terminated`
// of the same dialog, whatever order two publishers raced in), ties go to the newest
// publication. Options operators need for their phones: one dialog only, the most relevant
// (a ringing call first, so it can be picked up), and a dummy terminated dialog for clients that
// expect at least one element.
import { escapeAttr } from '../pidf/xml-text.js';
import { NS_DIALOG_INFO, type DialogEntry, type DialogInfoDocument } from './types.js';

export interface DialogPublication {
  etag: string;
  modified: number;
  doc: DialogInfoDocument;
}

export interface DialogComposeOptions {
  /** Only the most relevant dialog (Kamailio force_single_dialog). */
  single: boolean;
  /** A terminated placeholder when there is no dialog at all (Kamailio force_dummy_dialog). */
  dummy: boolean;
}

/** Relevance for `single`: ringing (pickup) first, then busy, then call set-up, then ended. */
const RELEVANCE = [2, 3, 5, 4, 1]; // by rank: trying, proceeding, early, confirmed, terminated

const DUMMY = '<dialog id="comsipl-idle" direction="recipient"><state>terminated</state></dialog>';

/** The merged dialogs, newest publication first, one per id. */
export function mergeDialogs(pubs: readonly DialogPublication[]): DialogEntry[] {
  const ordered = [...pubs].sort((a, b) => b.modified - a.modified || (a.etag < b.etag ? -1 : a.etag > b.etag ? 1 : 0));
  const byId = new Map<string, DialogEntry>();
  const order: string[] = [];
  for (const p of ordered) {
    for (const d of p.doc.dialogs) {
      const had = byId.get(d.id);
      if (had === undefined) {
        byId.set(d.id, d);
        order.push(d.id);
      } else if (d.rank > had.rank) byId.set(d.id, d);
    }
  }
  return order.map((id) => byId.get(id)!);
}

/** The <dialog> elements of the composed document, as one string (shared by all watchers). */
export function composeDialogs(pubs: readonly DialogPublication[], opts: DialogComposeOptions): string {
  let dialogs = mergeDialogs(pubs);
  if (opts.single && dialogs.length > 1) {
    let best = dialogs[0]!;
    for (const d of dialogs) if (RELEVANCE[d.rank]! > RELEVANCE[best.rank]!) best = d;
    dialogs = [best];
  }
  if (dialogs.length === 0) return opts.dummy ? `${DUMMY}\n` : '';
  let out = '';
  for (const d of dialogs) out += `${d.xml}\n`;
  return out;
}

/** One full dialog-info document around composed dialogs. */
export function dialogInfoDocument(entity: string, version: number, dialogs: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<dialog-info xmlns="${NS_DIALOG_INFO}" version="${version}" state="full" entity="${escapeAttr(entity)}">\n${dialogs}</dialog-info>\n`;
}
