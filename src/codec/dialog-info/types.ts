// The dialog event package's document model (RFC 4235 §4): what a publication of
// application/dialog-info+xml keeps — one entry per <dialog>, its id, state and the element
// itself as a self-contained fragment (identities, targets and everything else a call pickup
// needs pass through unchanged).

export const NS_DIALOG_INFO = 'urn:ietf:params:xml:ns:dialog-info';
export const DIALOG_INFO_TYPE = 'application/dialog-info+xml';

/** RFC 4235 §4.1.2 states in lifecycle order: a dialog never moves back to a lower one. */
export const DIALOG_STATES = ['trying', 'proceeding', 'early', 'confirmed', 'terminated'] as const;
export type DialogState = (typeof DIALOG_STATES)[number];

export interface DialogEntry {
  id: string;
  state: DialogState;
  /** Index in DIALOG_STATES. */
  rank: number;
  /** The <dialog> element, unprefixed under a dialog-info default namespace. */
  xml: string;
}

export interface DialogInfoDocument {
  /** Tells the store and the actors which package a publication belongs to. */
  kind: 'dialog-info';
  entity: string;
  dialogs: DialogEntry[];
}

export type DialogInfoParse = { ok: true; doc: DialogInfoDocument } | { ok: false; reason: string; status?: number };
