// PIDF semantics on the resolved tree: what RFC 3863 §4 and RFC 4479 require of a document a
// presentity publishes, and the mapping of each top-level child of <presence> to a PidfElement.
import { NS_DM, NS_PIDF, UNDERSTOOD } from './ns.js';
import { ownString } from './own-string.js';
import { serializeFragment } from './serialize.js';
import { attr, childrenNamed, textContent, type XEl } from './tree.js';
import type { PidfDocument, PidfElement, PidfParseResult } from './types.js';

class ModelError extends Error {}

function fail(reason: string): never {
  throw new ModelError(reason);
}

// RFC 3863 §4.1.5 / schema `qvalue`: 0 … 1 with at most three decimals.
const QVALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;

function trimmedText(el: XEl): string {
  return textContent(el).trim();
}

/** Replaces an element's text with its trimmed value (contact, basic, timestamp). */
function normalizeText(el: XEl): void {
  const t = trimmedText(el);
  el.children = el.children.filter((c) => typeof c !== 'string');
  if (t !== '') el.children.unshift(t);
}

function isTrue(v: string | null): boolean {
  const t = v?.trim();
  return t === '1' || t === 'true';
}

/**
 * RFC 3863 §4 (extensions): an element marked mustUnderstand must be understood by a
 * recipient that processes the document. This server is not a store-and-forward relay: it
 * composes publications into new documents (RFC 3856 §6.7), so it must understand them and
 * refuses the PUBLISH (400) when a marked extension is not one it knows. Elements in no
 * namespace are refused too: PIDF admits only namespace-qualified extensions.
 */
function checkExtensions(el: XEl): void {
  if (el.ns === '') fail(`element <${el.local}> is in no namespace`);
  if (!UNDERSTOOD.has(el.ns) && isTrue(attr(el, 'mustUnderstand', NS_PIDF))) {
    fail(`mustUnderstand extension {${el.ns}}${el.local} not supported`);
  }
  for (const c of el.children) if (typeof c !== 'string') checkExtensions(c);
}

function requireId(el: XEl, what: string): string {
  const id = attr(el, 'id');
  if (id === null || id.trim() === '') fail(`${what} without id`);
  return id;
}

function tuple(el: XEl): PidfElement {
  // RFC 3863 §4.1.2–4.1.4: a tuple has an id, exactly one <status>, at most one <basic>.
  const id = requireId(el, 'tuple');
  const status = childrenNamed(el, NS_PIDF, 'status');
  if (status.length !== 1) fail(`tuple '${id}' must have one <status>`);
  const basics = childrenNamed(status[0]!, NS_PIDF, 'basic');
  if (basics.length > 1) fail(`tuple '${id}' has more than one <basic>`);
  let basic: 'open' | 'closed' | null = null;
  if (basics.length === 1) {
    const v = trimmedText(basics[0]!);
    if (v !== 'open' && v !== 'closed') fail(`tuple '${id}': <basic> must be open or closed`);
    basic = v;
    normalizeText(basics[0]!);
  }
  const contacts = childrenNamed(el, NS_PIDF, 'contact');
  if (contacts.length > 1) fail(`tuple '${id}' has more than one <contact>`);
  for (const c of contacts) {
    const pr = attr(c, 'priority');
    if (pr !== null && !QVALUE.test(pr.trim())) fail(`tuple '${id}': contact priority must be 0..1`);
    normalizeText(c); // RFC 3863 §4.1.5: anyURI; surrounding whitespace is not part of it.
  }
  const ts = childrenNamed(el, NS_PIDF, 'timestamp');
  if (ts.length > 1) fail(`tuple '${id}' has more than one <timestamp>`);
  for (const t of ts) normalizeText(t);
  const timestamp = ts[0] ? ownString(trimmedText(ts[0])) : null;
  return { kind: 'tuple', id: ownString(id), xml: serializeFragment(el), timestamp, basic };
}

function dataModel(el: XEl, kind: 'person' | 'device'): PidfElement {
  const id = requireId(el, `dm:${kind}`);
  // RFC 4479 §3 uses <dm:timestamp>; some clients (Linphone) write the PIDF <timestamp>.
  const ts = childrenNamed(el, NS_DM, 'timestamp')[0] ?? childrenNamed(el, NS_PIDF, 'timestamp')[0];
  if (ts) normalizeText(ts);
  return { kind, id: ownString(id), xml: serializeFragment(el), timestamp: ts ? ownString(trimmedText(ts)) : null, basic: null };
}

function topLevel(el: XEl): PidfElement {
  if (el.ns === NS_PIDF) {
    if (el.local === 'tuple') return tuple(el);
    if (el.local === 'note') return { kind: 'note', id: null, xml: serializeFragment(el), timestamp: null, basic: null };
    fail(`unexpected PIDF element <${el.local}> in <presence>`);
  }
  if (el.ns === NS_DM && el.local === 'person') return dataModel(el, 'person');
  if (el.ns === NS_DM && el.local === 'device') return dataModel(el, 'device');
  return { kind: 'other', id: null, xml: serializeFragment(el), timestamp: null, basic: null };
}

/** Validates a resolved document and splits it into fragments. */
export function toDocument(root: XEl, maxElements: number): PidfParseResult {
  try {
    // RFC 3863 §4.1.1: the root is {urn:ietf:params:xml:ns:pidf}presence with an entity URI.
    if (root.ns !== NS_PIDF || root.local !== 'presence') {
      fail(`root is {${root.ns}}${root.local}, not a PIDF <presence>`);
    }
    const entity = attr(root, 'entity');
    if (entity === null || entity.trim() === '') fail('<presence> lacks the entity attribute');
    checkExtensions(root);
    const elements: PidfElement[] = [];
    const ids = new Set<string>();
    for (const c of root.children) {
      if (typeof c === 'string') {
        if (c.trim() !== '') fail('text directly inside <presence>');
        continue;
      }
      if (elements.length >= maxElements) fail(`more than ${maxElements} elements in <presence>`);
      const e = topLevel(c);
      if (e.id !== null) {
        // RFC 3863 §4.1.2: ids are unique within the document (xs:ID).
        if (ids.has(e.id)) fail(`duplicate id '${e.id}'`);
        ids.add(e.id);
      }
      elements.push(e);
    }
    // Own copies: a slice would keep the whole body alive with the publication (own-string.ts).
    const doc: PidfDocument = { entity: ownString(entity.trim()), elements };
    return { ok: true, doc };
  } catch (e) {
    if (e instanceof ModelError) return { ok: false, reason: e.message, status: 400 };
    throw e;
  }
}
