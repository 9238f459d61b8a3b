// One-pass PIDF reader for the documents presence clients actually send (Linphone, baresip,
// the RFC 3863/4479/4480 examples: tuples, dm:person, dm:device, RPID, notes, any prefixes).
// It reads the decoded body once, resolving namespaces (XML Namespaces §6) and writing each
// top-level child of <presence> as its fragment while it reads, and returns exactly what
// the general path (prescan → XMLValidator → fast-xml-parser → tree → model → serialize)
// returns for the same bytes. It accepts only a plain subset of XML (fast-scan.ts) and only
// documents the general path would accept; for anything else — unusual markup, a broken
// PIDF rule, a limit reached — it answers null ("not mine") and the general path decides,
// so refusals and their reasons are unchanged. test/codec/pidf/fast-reader.test.ts checks
// the equality differentially.
import { NS_DM, NS_PIDF, PIDF_ATTR_PREFIX } from './ns.js';
import { TagNames } from './fast-names.js';
import { flatString, ownString } from './own-string.js';
import { PrefixPlan } from './prefix-plan.js';
import { BLANK, PLAIN, XmlScanner } from './fast-scan.js';
import { decodeXmlAttr, decodeXmlText, escapeAttr, escapeText } from './xml-text.js';
import type { PidfElement, PidfElementKind, PidfParseResult } from './types.js';

export interface FastReaderLimits {
  maxDepth: number;
  maxElements: number;
}

// fast-xml-parser refuses more than 64 open elements whatever the caller's maxDepth.
const PARSER_MAX_DEPTH = 64;

// RFC 3863 §4.1.5 / schema `qvalue` (the same rule as model.ts).
const QVALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;

// What an element is to the PIDF rules; its children are classified from it.
const NONE = 0, TOP = 1, TUPLE = 2, STATUS = 3, DATA_MODEL = 4;
// What a child is to its parent's rules. All but PLAIN_CHILD have their text trimmed (model.ts
// normalizeText) and captured; PIDF_TIMESTAMP only if its person/device has no <dm:timestamp>.
const PLAIN_CHILD = 0, CONTACT = 1, BASIC = 2, TUPLE_TIMESTAMP = 3, DM_TIMESTAMP = 4, PIDF_TIMESTAMP = 5;

function qname(prefix: string, local: string): string {
  return prefix === '' ? local : `${prefix}:${local}`;
}

/** An element without child elements, as serialize.ts writes it (no children at all → `/>`). */
function leafElement(head: string, name: string, text: string, plain: boolean): string {
  return text === '' ? `${head}/>` : `${head}>${plain ? text : escapeText(text)}</${name}>`;
}

class Reader {
  readonly sc: XmlScanner;
  readonly #limits: FastReaderLimits;
  readonly #names: TagNames;
  readonly #plan = new PrefixPlan();
  // Facts about the fragment being read, for the PIDF rules and the PidfElement.
  kind: PidfElementKind = 'other';
  id: string | null = null;
  statusCount = 0;
  basicCount = 0;
  basic: string | null = null;
  contactCount = 0;
  timestampCount = 0;
  timestamp: string | null = null;
  #dmTimestamp: string | null = null;
  #pidfTimestamp: string | null = null;
  #pidfTimestampRaw = '';
  #pidfTimestampNormalized = '';
  #pidfTimestampAt = -1;

  constructor(text: string, limits: FastReaderLimits) {
    this.sc = new XmlScanner(text);
    this.#names = new TagNames(this.sc);
    this.#limits = limits;
  }

  /** The element's namespace, or '' when declining. */
  #open(depth: number): string {
    if (depth > this.#limits.maxDepth || depth > PARSER_MAX_DEPTH) {
      this.sc.decline();
      return '';
    }
    return this.#names.open();
  }

  /** Classifies a child (namespace `ns`, local name from the scanner) of an element in role `parent`. */
  #classify(parent: number, ns: string): number {
    const local = this.sc.local;
    if (parent === TUPLE && ns === NS_PIDF) {
      if (local === 'status') { this.statusCount++; return PLAIN_CHILD; }
      if (local === 'contact') {
        this.contactCount++;
        const pr = this.#names.attr('priority');
        if (pr !== null && !QVALUE.test(pr.trim())) this.sc.decline();
        return CONTACT;
      }
      if (local === 'timestamp') { this.timestampCount++; return TUPLE_TIMESTAMP; }
    } else if (parent === STATUS && ns === NS_PIDF && local === 'basic') {
      this.basicCount++;
      return BASIC;
    } else if (parent === DATA_MODEL && local === 'timestamp') {
      // RFC 4479 §3 uses <dm:timestamp>; some clients (Linphone) write the PIDF <timestamp>.
      if (ns === NS_DM && this.#dmTimestamp === null) return DM_TIMESTAMP;
      if (ns === NS_PIDF && this.#pidfTimestamp === null) return PIDF_TIMESTAMP;
    }
    return PLAIN_CHILD;
  }

  /** The role of a top-level child of <presence>, starting a fragment. */
  #fragment(ns: string): number {
    const local = this.sc.local;
    this.#plan.reset();
    this.id = null;
    this.timestamp = this.basic = this.#dmTimestamp = this.#pidfTimestamp = null;
    this.statusCount = this.basicCount = this.contactCount = this.timestampCount = 0;
    this.#pidfTimestampAt = -1;
    if (ns === NS_PIDF) {
      if (local === 'note') { this.kind = 'note'; return NONE; }
      if (local !== 'tuple') {
        this.sc.decline(); // RFC 3863 §4.1: no other PIDF element in <presence>
        return NONE;
      }
      this.kind = 'tuple';
    } else if (ns === NS_DM && (local === 'person' || local === 'device')) {
      this.kind = local;
    } else {
      this.kind = 'other';
      return NONE;
    }
    const id = this.#names.attr('id');
    if (id === null || id.trim() === '') this.sc.decline();
    this.id = id;
    return this.kind === 'tuple' ? TUPLE : DATA_MODEL;
  }

  /** Text of the last character data read: decoded, and blank as serialize.ts and model.ts see it. */
  #text(): string {
    const sc = this.sc;
    const raw = sc.s.slice(sc.textStart, sc.textEnd);
    return (sc.textFlags & PLAIN) !== 0 ? raw : decodeXmlText(raw);
  }

  #blankText(): boolean {
    const sc = this.sc;
    return sc.textStart === sc.textEnd || (sc.textFlags & BLANK) !== 0 || this.#text().trim() === '';
  }

  /**
   * Reads the element whose start tag was just scanned (child of an element in role `parent`)
   * through its end tag, and returns it written as serialize.ts writes it ('' when declining).
   */
  element(depth: number, parent: number): string {
    const sc = this.sc;
    const tag = sc.qname;
    const mark = this.#names.mark;
    const ns = this.#open(depth);
    if (sc.declined) return '';
    const role = parent === TOP ? this.#fragment(ns)
      : parent === TUPLE && ns === NS_PIDF && sc.local === 'status' ? STATUS : NONE;
    const as = parent === TOP ? PLAIN_CHILD : this.#classify(parent, ns);
    if (sc.declined) return '';
    const prefix = this.#plan.prefixFor(ns, sc.prefix);
    const name = prefix === sc.prefix ? tag : qname(prefix, sc.local);
    // serialize.ts: the `id` attribute first, then the fragment's declarations, then the rest.
    let idPart = '';
    let rest = '';
    for (let k = 0; k < sc.attrCount; k++) {
      const ans = this.#names.attrNs[k];
      if (ans === null) continue;
      const raw = sc.attrRaw[k]!;
      const value = (sc.attrFlags[k]! & PLAIN) !== 0 ? raw : escapeAttr(decodeXmlAttr(raw));
      const local = sc.attrLocal[k]!;
      if (ans === '' && local === 'id') { idPart = ` id="${value}"`; continue; }
      let p = '';
      if (ans === NS_PIDF) { this.#plan.pidfAttr = true; p = PIDF_ATTR_PREFIX; }
      else if (ans !== '') p = this.#plan.prefixFor(ans, sc.attrPrefix[k]!);
      rest += ` ${qname(p, local)}="${value}"`;
    }
    let body = '';
    let leaf: string | null = ''; // decoded text while the element has no child element
    let leafPlain = true;
    if (!sc.selfClosing) {
      for (;;) {
        sc.text();
        if (sc.declined) return '';
        const next = sc.s.charCodeAt(sc.i + 1);
        if (next === 0x2f) {
          if (leaf === null) {
            if (!this.#blankText()) sc.decline(); // mixed content: general path
          } else if (sc.textEnd > sc.textStart) {
            leaf = this.#text();
            leafPlain = (sc.textFlags & PLAIN) !== 0;
          }
          sc.endTag(tag);
          if (sc.declined) return '';
          break;
        }
        // Comment, CDATA, DOCTYPE, PI (not names, so startTag declines), or mixed content.
        if (!this.#blankText()) sc.decline();
        leaf = null;
        const before = body.length;
        sc.startTag();
        if (sc.declined) return '';
        body += this.element(depth + 1, role);
        if (sc.declined) return '';
        if (this.#pidfTimestampAt === -2) this.#pidfTimestampAt = before;
      }
    }
    this.#names.close(mark);
    const head = `<${name}${idPart}${depth === 2 ? this.#plan.declarations() : ''}${rest}`;
    if (leaf === null && role === DATA_MODEL) body = this.#timestampOf(body);
    const out = leaf === null ? `${head}>${body}</${name}>` : leafElement(head, name, leaf, leafPlain);
    if (as === PLAIN_CHILD) return out;
    // textContent(el).trim(): only text children count, and with child elements they are blank.
    const trimmed = leaf === null ? '' : leaf.trim();
    const normalized = leaf === null || trimmed === leaf ? out : leafElement(head, name, trimmed, leafPlain);
    switch (as) {
      case PIDF_TIMESTAMP:
        this.#pidfTimestamp = trimmed;
        this.#pidfTimestampNormalized = normalized;
        this.#pidfTimestampRaw = out;
        this.#pidfTimestampAt = -2; // the parent records where it puts `out`
        return out;
      case DM_TIMESTAMP: this.#dmTimestamp = trimmed; break;
      case BASIC: this.basic = trimmed; break;
      case TUPLE_TIMESTAMP: this.timestamp = trimmed; break;
    }
    return normalized;
  }

  /** The person/device timestamp (model.ts dataModel), normalizing a PIDF one in `body` if chosen. */
  #timestampOf(body: string): string {
    if (this.#dmTimestamp !== null) {
      this.timestamp = this.#dmTimestamp;
      return body;
    }
    if (this.#pidfTimestamp === null) return body;
    this.timestamp = this.#pidfTimestamp;
    const raw = this.#pidfTimestampRaw;
    if (raw === this.#pidfTimestampNormalized) return body;
    const at = this.#pidfTimestampAt;
    return body.slice(0, at) + this.#pidfTimestampNormalized + body.slice(at + raw.length);
  }

  /** The document's result, or null when declining. */
  document(): PidfParseResult | null {
    const sc = this.sc;
    const s = sc.s;
    sc.prolog();
    if (s.charCodeAt(sc.i) === 0x3c) sc.startTag(); // declines on '</', '<!' and '<?' (not names)
    else sc.decline();
    if (sc.declined) return null;
    const rootTag = sc.qname;
    // RFC 3863 §4.1.1: the root is {urn:ietf:params:xml:ns:pidf}presence with an entity URI.
    if (this.#open(1) !== NS_PIDF || sc.local !== 'presence') return null;
    const entity = this.#names.attr('entity');
    if (entity === null || entity.trim() === '') return null;
    const elements: PidfElement[] = [];
    const ids = new Set<string>();
    for (let open = !sc.selfClosing; open;) {
      sc.text();
      if (sc.declined || !this.#blankText()) return null;
      if (s.charCodeAt(sc.i + 1) === 0x2f) {
        sc.endTag(rootTag);
        open = false;
        continue;
      }
      if (elements.length === this.#limits.maxElements) return null;
      sc.startTag();
      if (sc.declined) return null;
      const xml = this.element(2, TOP);
      if (sc.declined) return null;
      if (this.kind === 'tuple') {
        // RFC 3863 §4.1.2–4.1.5: one <status>, at most one <basic> (open|closed), <contact>, <timestamp>.
        if (this.statusCount !== 1 || this.basicCount > 1 || this.contactCount > 1 || this.timestampCount > 1) return null;
        if (this.basicCount === 1 && this.basic !== 'open' && this.basic !== 'closed') return null;
      }
      if (this.id !== null) {
        if (ids.has(this.id)) return null; // RFC 3863 §4.1.2: ids are unique (xs:ID)
        ids.add(this.id);
      }
      const basic = this.basic === null ? null : this.basic === 'open' ? 'open' : 'closed';
      const ts = this.timestamp === null ? null : ownString(this.timestamp);
      const id = this.id === null ? null : ownString(this.id);
      elements.push({ kind: this.kind, id, xml: flatString(xml), timestamp: ts, basic });
    }
    sc.spaces();
    // Anything after the root (comment, PI, text), or an end tag that did not match.
    if (sc.declined || sc.i !== s.length) return null;
    return { ok: true, doc: { entity: ownString(entity.trim()), elements } };
  }
}

/**
 * The PidfParseResult of the general path for this decoded body (already through the byte
 * scan, size and UTF-8 checks of parse.ts), or null when the body is not in the subset this
 * reader handles. Never throws.
 */
export function readPidfFast(text: string, limits: FastReaderLimits): PidfParseResult | null {
  try {
    return new Reader(text, limits).document();
  } catch {
    // Unforeseen (declining is not an exception): the general path is always the authority.
    return null;
  }
}
