// Namespace URIs of the presence documents we compose, and the prefixes we write them with.
// Prefixes in received documents are arbitrary (XML Namespaces §3), so parse resolves names by
// URI and serialize re-writes them with the canonical prefixes below: that is what lets
// fragments of different publications share one composed <presence> root.

export const NS_PIDF = 'urn:ietf:params:xml:ns:pidf';
export const NS_DM = 'urn:ietf:params:xml:ns:pidf:data-model';
export const NS_RPID = 'urn:ietf:params:xml:ns:pidf:rpid';
export const NS_CIPID = 'urn:ietf:params:xml:ns:pidf:cipid';
export const NS_CAPS = 'urn:ietf:params:xml:ns:pidf:caps';
export const NS_XML = 'http://www.w3.org/XML/1998/namespace';

/**
 * Namespaces the composed root always declares (PIDF as default namespace, `dm:`, `rpid:`).
 * Fragments rely on these and do not repeat them; every other namespace is declared on
 * the fragment's own root element.
 */
export const ROOT_DECLARATIONS =
  `xmlns="${NS_PIDF}" xmlns:dm="${NS_DM}" xmlns:rpid="${NS_RPID}"`;

/** Element prefixes by namespace URI; '' = default namespace of the composed document. */
export const CANONICAL_PREFIX: ReadonlyMap<string, string> = new Map([
  [NS_PIDF, ''],
  [NS_DM, 'dm'],
  [NS_RPID, 'rpid'],
  [NS_CIPID, 'c'],
  [NS_CAPS, 'caps'],
  [NS_XML, 'xml'],
]);

/** Namespaces that need no declaration inside a fragment (root-declared, or built in). */
export const PREDECLARED: ReadonlySet<string> = new Set([NS_PIDF, NS_DM, NS_RPID, NS_XML]);

/**
 * Prefix for attributes in the PIDF namespace (`pidf:mustUnderstand`): unprefixed
 * attributes are in no namespace (XML Namespaces §6.2), so the default namespace cannot be used.
 */
export const PIDF_ATTR_PREFIX = 'pidf';

/** Prefixes an extension may not keep because they mean something else in our output. */
export const RESERVED_PREFIXES: ReadonlySet<string> = new Set(['dm', 'rpid', 'c', 'caps', 'pidf']);

/**
 * Namespaces whose elements this server understands. RFC 3863 §4 lets an extension carry
 * mustUnderstand="true"; we compose documents, so one outside this set is refused.
 */
export const UNDERSTOOD: ReadonlySet<string> = new Set([NS_PIDF, NS_DM, NS_RPID, NS_CIPID, NS_CAPS]);
