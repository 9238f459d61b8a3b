// Composition of all live publications of one presentity into the single document every
// watcher receives (RFC 3856 §6.7; data model RFC 4479 §3). The policy is ours but must be
// deterministic: newest publication first (ties broken by ETag), every tuple, person, device,
// note and extension kept, ids made unique. Called once per presentity change and shared by
// all its watchers, so it only sorts and concatenates fragments precomputed at PUBLISH time.
import { ROOT_DECLARATIONS } from './ns.js';
import { escapeAttr } from './xml-text.js';
import type { PidfElement, Publication } from './types.js';

const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n';

function open(entity: string): string {
  return `${PROLOG}<presence ${ROOT_DECLARATIONS} entity="${escapeAttr(entity)}">\n`;
}

const CLOSE = '</presence>\n';

/**
 * The neutral document for a presentity with no live publication (RFC 3856 §6.7): one tuple,
 * basic closed, nothing else. Never the last publication with basic forced to closed: its
 * extensions (Linphone's <pidfonline:online/>) would still read as online.
 */
export function closedPidf(entity: string): string {
  return `${open(entity)}<tuple id="closed"><status><basic>closed</basic></status></tuple>\n${CLOSE}`;
}

function newestFirst(a: Publication, b: Publication): number {
  if (a.modified !== b.modified) return b.modified - a.modified;
  return a.etag < b.etag ? -1 : a.etag > b.etag ? 1 : 0;
}

/** The fragment with its leading `id` attribute (serialize.ts writes it first) replaced. */
function withId(e: PidfElement, id: string): string {
  const old = ` id="${escapeAttr(e.id!)}"`;
  const at = e.xml.indexOf(old);
  return `${e.xml.slice(0, at)} id="${escapeAttr(id)}"${e.xml.slice(at + old.length)}`;
}

// PIDF schema order inside <presence> (RFC 3863 §4.1): tuples, then notes, then extensions
// (dm:person and dm:device are extensions there, RFC 4479 §3).
function group(kind: PidfElement['kind']): 0 | 1 | 2 {
  return kind === 'tuple' ? 0 : kind === 'note' ? 1 : 2;
}

export function composePidf(entity: string, pubs: Publication[]): string {
  if (pubs.length === 0) return closedPidf(entity);
  const ordered = pubs.length === 1 ? pubs : [...pubs].sort(newestFirst);

  // Every id keeps its value where it first appears (newest first); later holders of a taken
  // id are renamed `<id>-2`, `-3` … to a value no element of any publication uses (xs:ID
  // uniqueness, RFC 3863 §4.1.2).
  const all = new Set<string>();
  for (const p of ordered) for (const e of p.doc.elements) if (e.id !== null) all.add(e.id);
  const used = new Set<string>();
  const parts: [string[], string[], string[]] = [[], [], []];
  for (const p of ordered) {
    for (const e of p.doc.elements) {
      let xml = e.xml;
      if (e.id !== null) {
        let id = e.id;
        if (used.has(id)) {
          let n = 2;
          while (all.has(`${e.id}-${n}`) || used.has(`${e.id}-${n}`)) n++;
          id = `${e.id}-${n}`;
          xml = withId(e, id);
        }
        used.add(id);
      }
      parts[group(e.kind)].push(xml);
    }
  }
  let out = open(entity);
  for (const g of parts) for (const x of g) out += x + '\n';
  return out + CLOSE;
}
