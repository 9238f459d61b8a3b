// application/resource-lists+xml (RFC 4826 §3) as a SUBSCRIBE body (RFC 5367: a list carried in
// the request, Content-Disposition: recipient-list). Through the hardened XML reader, then the
// entries: every <entry uri> of the document, nested <list>s flattened in document order,
// duplicates dropped, <display-name> kept. <entry-ref> and <external> point into XCAP documents
// this server does not hold: they are refused rather than silently dropped. Hostile shapes get
// a status: too many entries 413, a list naming itself 400 (a loop).
import { safeReadXml } from '../xml/safe-read.js';
import { prescan } from '../pidf/prescan.js';
import { attr, childrenNamed, textContent, type XEl } from '../pidf/tree.js';

export const NS_RESOURCE_LISTS = 'urn:ietf:params:xml:ns:resource-lists';
export const RESOURCE_LISTS_TYPE = 'application/resource-lists+xml';

export interface ListEntry {
  uri: string;
  name?: string;
}

export interface ResourceListOptions {
  maxBytes: number;
  maxDepth: number;
  maxEntries: number;
  /** URIs the list may not contain (itself, and the server's list URIs): a loop. */
  isLoop?(uri: string): boolean;
}

export type ResourceListParse = { ok: true; entries: ListEntry[] } | { ok: false; reason: string; status: number };

class Refused extends Error {
  constructor(reason: string, readonly status = 400) {
    super(reason);
  }
}

function walk(list: XEl, o: ResourceListOptions, seen: Set<string>, out: ListEntry[]): void {
  for (const c of list.children) {
    if (typeof c === 'string' || c.ns !== NS_RESOURCE_LISTS) continue;
    if (c.local === 'list') walk(c, o, seen, out);
    else if (c.local === 'entry') {
      const uri = attr(c, 'uri')?.trim() ?? '';
      if (!/^sips?:/i.test(uri)) throw new Refused(`entry uri '${uri.slice(0, 60)}' is not a SIP URI`);
      if (o.isLoop?.(uri) === true) throw new Refused('the list contains itself');
      const key = uri.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      if (out.length >= o.maxEntries) throw new Refused(`more than ${o.maxEntries} list entries`, 413);
      const dn = childrenNamed(c, NS_RESOURCE_LISTS, 'display-name')[0];
      const name = dn === undefined ? '' : textContent(dn).trim();
      out.push(name === '' ? { uri } : { uri, name });
    } else if (c.local === 'entry-ref' || c.local === 'external') {
      throw new Refused(`<${c.local}> references are not resolved here`);
    }
  }
}

/**
 * Start tags whose local name is `entry`, counted on the bytes: a list far over the limit is
 * refused before the XML parser spends time on it (an upper bound: duplicates count too).
 */
export function countEntryTags(b: Uint8Array): number {
  let n = 0;
  for (let i = b.indexOf(0x3c); i >= 0 && i < b.length; i = b.indexOf(0x3c, i + 1)) {
    let k = i + 1;
    let local = k;
    while (k < b.length) {
      const c = b[k]!;
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x2f || c === 0x3e) break;
      if (c === 0x3a) local = k + 1;
      k++;
    }
    if (k - local === 5 && b[local] === 0x65 && b[local + 1] === 0x6e && b[local + 2] === 0x74 && b[local + 3] === 0x72 && b[local + 4] === 0x79) n++;
  }
  return n;
}

export function parseResourceLists(body: Uint8Array, o: ResourceListOptions): ResourceListParse {
  // The byte scan first (DTD, depth: the cheapest refusals), then the entry count: far over the
  // limit (twice: duplicates are dropped later) is refused before any parser runs.
  const scan = prescan(body, o.maxBytes, o.maxDepth);
  if (!scan.ok) return { ok: false, reason: scan.reason, status: 400 };
  if (countEntryTags(body) > o.maxEntries * 2) return { ok: false, reason: `more than ${o.maxEntries} list entries`, status: 413 };
  const r = safeReadXml(body, { maxBytes: o.maxBytes, maxDepth: o.maxDepth });
  if (!r.ok) return r;
  try {
    if (r.root.ns !== NS_RESOURCE_LISTS || r.root.local !== 'resource-lists') throw new Refused(`root is {${r.root.ns}}${r.root.local}, not <resource-lists>`);
    const out: ListEntry[] = [];
    walk(r.root, o, new Set(), out);
    if (out.length === 0) throw new Refused('the list has no entries');
    return { ok: true, entries: out };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, reason: e.message, status: e.status };
    throw e;
  }
}
