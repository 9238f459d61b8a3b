// The PIDF model (RFC 3863, data model RFC 4479, RPID RFC 4480) shared by parse, compose and render.
// A published document is kept as self-contained XML fragments, one per top-level child of
// <presence>, each carrying the namespace declarations it needs: prefixes in the input are
// arbitrary, so fragments are re-written with canonical prefixes and can be merged freely.
// "Self-contained" is relative to the composed root, which always declares the PIDF default
// namespace, `dm:` and `rpid:` (see ns.ts ROOT_DECLARATIONS); any other namespace a fragment
// uses is declared on the fragment's own root element.

export type PidfElementKind = 'tuple' | 'person' | 'device' | 'note' | 'other';

export interface PidfElement {
  kind: PidfElementKind;
  /** The `id` attribute (tuple, dm:person, dm:device); null for notes and extensions. */
  id: string | null;
  /** Serialized element, self-contained (own xmlns declarations), canonical prefixes. */
  xml: string;
  /** <timestamp> (tuple) or <dm:timestamp> (person/device) when present, as written. */
  timestamp: string | null;
  /** <status><basic> of a tuple. */
  basic: 'open' | 'closed' | null;
}

export interface PidfDocument {
  entity: string;
  elements: PidfElement[];
}

export type PidfParseResult =
  | { ok: true; doc: PidfDocument }
  /** `status`: the response a PUBLISH carrying this body deserves: 400 unless said (413 = too large). */
  | { ok: false; reason: string; status?: number };

/** A live publication as the composer sees it (one per SIP-ETag). */
export interface Publication {
  etag: string;
  /** ms since epoch of the last modify (initial or body-carrying PUBLISH): newest first. */
  modified: number;
  doc: PidfDocument;
}
