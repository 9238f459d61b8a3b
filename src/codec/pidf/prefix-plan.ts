// The prefixes one fragment is written with (serialize.ts and the one-pass reader share it, so
// both produce the same bytes). Namespaces are met in document order (element first, then its
// attributes, then its children); each gets its canonical prefix (ns.ts), else the prefix it was
// written with when that is free and harmless, else a generated `nsN`. All are declared on the
// fragment's root element, except those the composed root already declares.
import {
  CANONICAL_PREFIX, NS_PIDF, PIDF_ATTR_PREFIX, PREDECLARED, RESERVED_PREFIXES,
} from './ns.js';
import { escapeAttr } from './xml-text.js';

// Canonical prefixes are taken from the start, so an extension can never claim `c` or `caps`.
const TAKEN_FROM_START: ReadonlySet<string> = new Set(['', 'xml', ...CANONICAL_PREFIX.values()]);

const GENERATED = /^ns\d+$/;

function usable(p: string): boolean {
  return p !== '' && !RESERVED_PREFIXES.has(p) && !p.toLowerCase().startsWith('xml') && !GENERATED.test(p);
}

// A fragment uses a handful of namespaces, so two short arrays beat a Map; a hostile one may
// declare thousands, so past this many the plan also keeps a Map and a Set (linear work).
const INDEXED_FROM = 8;

export class PrefixPlan {
  // Insertion-ordered pairs (the declarations are written in this order).
  readonly #uris: string[] = [];
  readonly #prefixes: string[] = [];
  #byUri: Map<string, string> | null = null;
  #taken: Set<string> | null = null;
  #next = 0;
  /** Set when an attribute is in the PIDF namespace (written `pidf:`, declared last). */
  pidfAttr = false;

  reset(): void {
    this.#uris.length = 0;
    this.#prefixes.length = 0;
    this.#byUri = null;
    this.#taken = null;
    this.#next = 0;
    this.pidfAttr = false;
  }

  #isTaken(p: string): boolean {
    if (TAKEN_FROM_START.has(p)) return true;
    return this.#taken !== null ? this.#taken.has(p) : this.#prefixes.includes(p);
  }

  /** The prefix for `uri`, assigned on first sight (`wanted` = the prefix it was written with). */
  prefixFor(uri: string, wanted: string): string {
    if (this.#byUri !== null) {
      const known = this.#byUri.get(uri);
      if (known !== undefined) return known;
    } else {
      const at = this.#uris.indexOf(uri);
      if (at >= 0) return this.#prefixes[at]!;
    }
    let p = CANONICAL_PREFIX.get(uri);
    if (p === undefined) {
      if (usable(wanted) && !this.#isTaken(wanted)) p = wanted;
      else {
        do p = `ns${++this.#next}`; while (this.#isTaken(p));
      }
    }
    this.#uris.push(uri);
    this.#prefixes.push(p);
    if (this.#byUri !== null) {
      this.#byUri.set(uri, p);
      this.#taken!.add(p);
    } else if (this.#uris.length === INDEXED_FROM) {
      this.#byUri = new Map(this.#uris.map((u, k) => [u, this.#prefixes[k]!]));
      this.#taken = new Set(this.#prefixes);
    }
    return p;
  }

  /** The xmlns declarations for the fragment root, in the order the namespaces were met. */
  declarations(): string {
    let decls = '';
    for (let k = 0; k < this.#uris.length; k++) {
      const uri = this.#uris[k]!;
      if (!PREDECLARED.has(uri)) decls += ` xmlns:${this.#prefixes[k]!}="${escapeAttr(uri)}"`;
    }
    if (this.pidfAttr) decls += ` xmlns:${PIDF_ATTR_PREFIX}="${NS_PIDF}"`;
    return decls;
  }
}
