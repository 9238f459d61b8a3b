// Namespace resolution for the one-pass PIDF reader (XML Namespaces §5–§6): the declarations
// in scope as a stack, and the start tag just scanned resolved against it, with the checks
// tree.ts and model.ts make on names (undeclared prefixes, duplicate attributes, unqualified
// elements, RFC 3863 mustUnderstand). A rare or refused construct declines (fast-scan.ts):
// open() then returns ''.
import { NS_CAPS, NS_CIPID, NS_DM, NS_PIDF, NS_RPID, NS_XML, UNDERSTOOD } from './ns.js';
import { PLAIN, type XmlScanner } from './fast-scan.js';
import { decodeXmlAttr } from './xml-text.js';

// Declarations in scope; resolution scans them, so they are bounded.
const MAX_DECLARATIONS = 64;

// Known namespace URIs as constants, so later comparisons are pointer comparisons.
const INTERNED: ReadonlyMap<string, string> = new Map([NS_PIDF, NS_DM, NS_RPID, NS_CIPID, NS_CAPS].map((u) => [u, u]));

function isTrue(v: string): boolean {
  const t = v.trim();
  return t === '1' || t === 'true';
}

export class TagNames {
  readonly #sc: XmlScanner;
  readonly #prefixes: string[] = [];
  readonly #uris: string[] = [];
  #top = 0;
  /** Namespace of each attribute of the last start tag ('' = none); null for xmlns declarations. */
  readonly attrNs: (string | null)[] = [];

  constructor(sc: XmlScanner) {
    this.#sc = sc;
  }

  /** The scope to return to when the element just opened ends. */
  get mark(): number {
    return this.#top;
  }

  close(mark: number): void {
    this.#top = mark;
  }

  /** Decoded value of attribute k of the last start tag. */
  value(k: number): string {
    const raw = this.#sc.attrRaw[k]!;
    return (this.#sc.attrFlags[k]! & PLAIN) !== 0 ? raw : decodeXmlAttr(raw);
  }

  /** Decoded value of the attribute {ns}local of the last start tag, or null. */
  attr(local: string, ns = ''): string | null {
    for (let k = 0; k < this.#sc.attrCount; k++) {
      if (this.attrNs[k] === ns && this.#sc.attrLocal[k] === local) return this.value(k);
    }
    return null;
  }

  #resolve(prefix: string): string {
    if (prefix === 'xml') return NS_XML;
    for (let k = this.#top - 1; k >= 0; k--) if (this.#prefixes[k] === prefix) return this.#uris[k]!;
    if (prefix !== '') this.#sc.decline(); // undeclared prefix
    return '';
  }

  /** Declares the last start tag's namespaces and resolves its names; returns the element's namespace. */
  open(): string {
    const sc = this.#sc;
    const n = sc.attrCount;
    for (let k = 0; k < n; k++) {
      const p = sc.attrPrefix[k]!;
      const local = sc.attrLocal[k]!;
      if (p !== 'xmlns' && !(p === '' && local === 'xmlns')) {
        this.attrNs[k] = ''; // resolved below, once this tag's declarations are in scope
        continue;
      }
      this.attrNs[k] = null;
      const declared = p === '' ? '' : local;
      const uri = this.value(k);
      // xml/xmlns bindings, undeclaring and the XML namespace are legal but rare: general path.
      if (uri === '' || uri === NS_XML || declared === 'xml' || declared === 'xmlns' || this.#top === MAX_DECLARATIONS) {
        return this.#decline();
      }
      this.#prefixes[this.#top] = declared;
      this.#uris[this.#top++] = INTERNED.get(uri) ?? uri;
    }
    if (sc.prefix === 'xml' || sc.prefix === 'xmlns') return this.#decline();
    const ns = this.#resolve(sc.prefix);
    // RFC 3863 §4: PIDF admits namespace-qualified elements only.
    if (ns === '') return this.#decline();
    for (let k = 0; k < n; k++) {
      if (this.attrNs[k] === null) continue;
      const p = sc.attrPrefix[k]!;
      this.attrNs[k] = p === '' ? '' : this.#resolve(p);
    }
    if (sc.declined) return '';
    // Duplicates by qualified name (XMLValidator) or by expanded name (tree.ts): general path.
    for (let j = 0; j < n; j++) {
      for (let k = j + 1; k < n; k++) {
        if (sc.attrQname[j] === sc.attrQname[k]) return this.#decline();
        if (this.attrNs[j] !== null && this.attrNs[j] === this.attrNs[k] && sc.attrLocal[j] === sc.attrLocal[k]) return this.#decline();
      }
    }
    // RFC 3863 §4: a marked extension we do not understand is refused (model.ts checkExtensions).
    if (!UNDERSTOOD.has(ns)) {
      const mu = this.attr('mustUnderstand', NS_PIDF);
      if (mu !== null && isTrue(mu)) return this.#decline();
    }
    return ns;
  }

  #decline(): string {
    this.#sc.decline();
    return '';
  }
}
