// What a presentity actor needs to know about the package whose state it holds, kept apart from
// the package modules (src/packages/) so that the transitions stay free of rendering and I/O:
// the package's name, when two published documents carry the same state (a modify with an equal
// body is a refresh, no NOTIFY), and an optional admission step that may drop parts of a new
// document against the actor's ordering memory (the dialog package: a dialog's state never goes
// back). Presence is the default.
import type { PidfDocument } from '../codec/pidf/types.js';
import type { DialogInfoDocument } from '../codec/dialog-info/types.js';

/** A published document of any state package. */
export type PubDoc = PidfDocument | DialogInfoDocument;

/** One remembered item of a package's ordering memory (a dialog id's most advanced state). */
export interface Memo {
  rank: number;
  /** ms since epoch until which it is kept. */
  until: number;
}

export interface MemoDraft {
  memo(key: string): Memo | undefined;
  /** Records `m` for `key` (undone with the batch). */
  remember(key: string, m: Memo): void;
}

export interface StateRules {
  readonly name: string;
  same(a: PubDoc, b: PubDoc): boolean;
  /** The document as it is to be stored; may drop items that would move state backwards. */
  admit?(doc: PubDoc, draft: MemoDraft, now: number): PubDoc;
}

/** Two PIDF documents carry the same presence when their serialized elements are equal. */
export function samePidf(a: PidfDocument, b: PidfDocument): boolean {
  if (a.entity !== b.entity || a.elements.length !== b.elements.length) return false;
  for (let i = 0; i < a.elements.length; i++) if (a.elements[i]!.xml !== b.elements[i]!.xml) return false;
  return true;
}

export const PRESENCE_RULES: StateRules = Object.freeze({
  name: 'presence',
  same: (a: PubDoc, b: PubDoc) => samePidf(a as PidfDocument, b as PidfDocument),
});
