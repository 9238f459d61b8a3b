// The hardened XML front door shared by the event-package codecs (dialog-info, resource-lists):
// the same order of steps as the PIDF reader (src/codec/pidf/parse.ts), whose prescan and
// namespace tree it reuses. A bounded byte scan refuses DTDs/entities, deep nesting and bad
// references before anything else runs; then size, UTF-8, well-formedness, and only then the
// parser (entities off, values as text) and the namespace resolution. Failures are data.
import { lazyParser, validateXml } from './fxp.js';
import { prescan } from '../pidf/prescan.js';
import { buildTree, type XEl } from '../pidf/tree.js';

export interface SafeReadOptions {
  /** Largest accepted document, bytes: larger → status 413. */
  maxBytes: number;
  /** Deepest accepted nesting (root = 1). */
  maxDepth: number;
}

export type SafeRead = { ok: true; root: XEl } | { ok: false; reason: string; status: number };

// Options fixed once, as for PIDF: text stays text (no number coercion), attributes kept, no
// entity processing (the prescan admits only predefined entities and character references,
// which tree.ts decodes itself).
const parser = lazyParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  allowBooleanAttributes: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: false,
  cdataPropName: '#cdata',
  commentPropName: false,
  maxNestedTags: 64,
});

const utf8 = new TextDecoder('utf-8', { fatal: true });
const ENCODING_DECL = /^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']/;

function refuse(reason: string, status = 400): SafeRead {
  return { ok: false, reason, status };
}

export function safeReadXml(bytes: Uint8Array, opts: SafeReadOptions): SafeRead {
  const scan = prescan(bytes, opts.maxBytes, opts.maxDepth);
  if (!scan.ok) return refuse(scan.reason);
  if (bytes.length > opts.maxBytes) return refuse(`body larger than ${opts.maxBytes} bytes`, 413);
  if (bytes.length === 0) return refuse('empty body');
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return refuse('body is not valid UTF-8');
  }
  const enc = ENCODING_DECL.exec(text)?.[1]?.toLowerCase();
  if (enc !== undefined && enc !== 'utf-8' && enc !== 'utf8' && enc !== 'us-ascii') return refuse(`unsupported encoding '${enc}' (UTF-8 only)`);
  const valid = validateXml(text, { allowBooleanAttributes: false });
  if (valid !== true) return refuse(`not well-formed: ${valid.err.msg} (line ${valid.err.line})`);
  let nodes: unknown;
  try {
    nodes = parser().parse(text);
  } catch (e) {
    return refuse(`not well-formed: ${(e as Error).message}`);
  }
  const tree = buildTree(nodes);
  return tree.ok ? { ok: true, root: tree.root } : refuse(tree.reason);
}
