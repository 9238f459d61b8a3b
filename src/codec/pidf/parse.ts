// PIDF parsing for PUBLISH bodies (RFC 3863, RFC 4479, RFC 4480). The order of the steps is the
// security design: a bounded byte scan refuses DTDs, deep nesting and undefined entities before
// anything else runs; then size, UTF-8, well-formedness (XMLValidator), and only then the parser,
// the namespace resolution and the PIDF rules. Failures are data: { ok: false, reason, status }.
// After the byte scan, size and UTF-8 checks, the one-pass reader (fast-reader.ts) takes the
// plain documents clients send and returns the very same result; it leaves anything else to
// the validator and the parser.
import { lazyParser, validateXml } from '../xml/fxp.js';
import { readPidfFast } from './fast-reader.js';
import { toDocument } from './model.js';
import { prescan } from './prescan.js';
import { buildTree } from './tree.js';
import type { PidfParseResult } from './types.js';

export interface PidfParseOptions {
  /** Largest accepted body in bytes (default 64 KiB): larger → status 413. */
  maxBytes?: number;
  /** Deepest accepted element nesting, <presence> = 1 (default 32). */
  maxDepth?: number;
  /** Most top-level children of <presence> (tuples, persons, devices, notes …), default 256. */
  maxElements?: number;
}

export const PIDF_DEFAULTS = Object.freeze({ maxBytes: 64 * 1024, maxDepth: 32, maxElements: 256 });

// One parser for the process, options fixed here and never per call. Library defaults are wrong
// for PIDF: parseTagValue would turn <note>0123</note> into 123, ignoreAttributes drops `id` and
// `entity`. Entity processing is off: the prescan admits only the five predefined entities and
// character references, and tree.ts decodes those itself, so no DTD machinery can ever run.
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
const encoder = new TextEncoder();

const ENCODING_DECL = /^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']/;

function refuse(reason: string, status = 400): PidfParseResult {
  return { ok: false, reason, status };
}

type Screened = { ok: true; text: string } | { ok: false; refusal: PidfParseResult };

/**
 * The first steps, shared by both readers: the byte scan, the size, UTF-8. Hostile documents
 * are refused here, before either reader runs, at the cost they always had.
 */
function screen(bytes: Uint8Array, limits: Required<PidfParseOptions>): Screened {
  const { maxBytes, maxDepth } = limits;
  // The scan looks at no more than maxBytes: a hostile construct within them is reported
  // (400) even when the body is also too large; nothing past the limit is ever examined.
  const scan = prescan(bytes, maxBytes, maxDepth);
  if (!scan.ok) return { ok: false, refusal: refuse(scan.reason) };
  if (bytes.length > maxBytes) return { ok: false, refusal: refuse(`body larger than ${maxBytes} bytes`, 413) };
  if (bytes.length === 0) return { ok: false, refusal: refuse('empty body') };
  try {
    return { ok: true, text: utf8.decode(bytes) }; // also drops a leading BOM
  } catch {
    return { ok: false, refusal: refuse('body is not valid UTF-8') };
  }
}

function limitsOf(opts: PidfParseOptions): Required<PidfParseOptions> {
  return {
    maxBytes: opts.maxBytes ?? PIDF_DEFAULTS.maxBytes,
    maxDepth: opts.maxDepth ?? PIDF_DEFAULTS.maxDepth,
    maxElements: opts.maxElements ?? PIDF_DEFAULTS.maxElements,
  };
}

export function parsePidf(body: Uint8Array | string, opts: PidfParseOptions = {}): PidfParseResult {
  const limits = limitsOf(opts);
  const s = screen(typeof body === 'string' ? encoder.encode(body) : body, limits);
  if (!s.ok) return s.refusal;
  return readPidfFast(s.text, limits) ?? parseGeneral(s.text, limits);
}

/** The general path alone (the reference of the differential tests, and `old` in the bench). */
export function parsePidfGeneral(bytes: Uint8Array, opts: PidfParseOptions = {}): PidfParseResult {
  const limits = limitsOf(opts);
  const s = screen(bytes, limits);
  return s.ok ? parseGeneral(s.text, limits) : s.refusal;
}

/** The one-pass reader's own answer after the same screening; null when it declines (tests). */
export function parsePidfFastOnly(bytes: Uint8Array, opts: PidfParseOptions = {}): PidfParseResult | null {
  const limits = limitsOf(opts);
  const s = screen(bytes, limits);
  return s.ok ? readPidfFast(s.text, limits) : null;
}

function parseGeneral(text: string, limits: Required<PidfParseOptions>): PidfParseResult {
  const enc = ENCODING_DECL.exec(text)?.[1]?.toLowerCase();
  if (enc !== undefined && enc !== 'utf-8' && enc !== 'utf8' && enc !== 'us-ascii') {
    return refuse(`unsupported encoding '${enc}' (UTF-8 only)`);
  }

  const valid = validateXml(text, { allowBooleanAttributes: false });
  if (valid !== true) return refuse(`not well-formed: ${valid.err.msg} (line ${valid.err.line})`);

  let nodes: unknown;
  try {
    nodes = parser().parse(text);
  } catch (e) {
    // The parser throws on some hostile names (e.g. `__proto__`): a bad body, not a crash.
    return refuse(`not well-formed: ${(e as Error).message}`);
  }
  const tree = buildTree(nodes);
  if (!tree.ok) return refuse(tree.reason);
  return toDocument(tree.root, limits.maxElements);
}
