// A linear byte scan run before any XML parser sees the body. It refuses what must never be
// parsed: markup declarations (DOCTYPE/ENTITY: XXE, external DTDs, billion laughs, quadratic
// blow-up), nesting deeper than the limit (the parser and our tree walk recurse), undefined
// entity references, and '<' inside attribute values. It works on bytes: every delimiter it
// looks for is ASCII, and UTF-8 continuation bytes are never ASCII, so no decoding is needed.
// It allocates nothing and never recurses, so a 20,000-deep document costs one short loop.

const LT = 0x3c, GT = 0x3e, SLASH = 0x2f, BANG = 0x21, QMARK = 0x3f, AMP = 0x26;
const DQ = 0x22, SQ = 0x27, SEMI = 0x3b, HASH = 0x23, X = 0x78;

export type PrescanResult = { ok: true } | { ok: false; reason: string };

const OK: PrescanResult = Object.freeze({ ok: true });

function startsAt(b: Uint8Array, i: number, ascii: string): boolean {
  if (i + ascii.length > b.length) return false;
  for (let k = 0; k < ascii.length; k++) if (b[i + k] !== ascii.charCodeAt(k)) return false;
  return true;
}

function indexOfSeq(b: Uint8Array, from: number, end: number, ascii: string): number {
  const first = ascii.charCodeAt(0);
  for (let i = from; i <= end - ascii.length; i++) {
    if (b[i] === first && startsAt(b, i, ascii)) return i;
  }
  return -1;
}

const CONTROL = Object.freeze({ ok: false as const, reason: 'control character not allowed in XML' });

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff)
    || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/**
 * Length of the reference starting at `i` (the '&'), or -1 when it is not one of the five
 * predefined entities or a character reference to a legal XML character (XML 1.0 §4.1).
 */
function refLength(b: Uint8Array, i: number, end: number): number {
  const semi = b.indexOf(SEMI, i + 1);
  if (semi < 0 || semi >= end || semi - i > 12) return -1;
  if (b[i + 1] === HASH) {
    const hex = b[i + 2] === X;
    let k = i + (hex ? 3 : 2);
    if (k === semi) return -1;
    let cp = 0;
    for (; k < semi; k++) {
      const c = b[k]!;
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (hex && c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (hex && c >= 0x41 && c <= 0x46) d = c - 0x37;
      else return -1;
      cp = cp * (hex ? 16 : 10) + d;
      if (cp > 0x10ffff) return -1;
    }
    return isXmlChar(cp) ? semi - i + 1 : -1;
  }
  for (const name of ['amp;', 'lt;', 'gt;', 'quot;', 'apos;']) {
    if (startsAt(b, i + 1, name)) return name.length + 1;
  }
  return -1;
}

/**
 * Scans at most `limit` bytes. An unterminated construct simply ends the scan: the
 * well-formedness check that follows reports it.
 */
export function prescan(b: Uint8Array, limit: number, maxDepth: number): PrescanResult {
  const end = Math.min(b.length, limit);
  let depth = 0;
  let i = 0;
  while (i < end) {
    const c = b[i]!;
    if (c === AMP) {
      const n = refLength(b, i, end);
      if (n < 0) return { ok: false, reason: 'undefined entity or bad character reference' };
      i += n;
      continue;
    }
    if (c !== LT) {
      // XML 1.0 §2.2: C0 controls other than TAB, LF and CR are not characters of a document;
      // passed on into NOTIFY bodies they would make every strict watcher reject them.
      if (c < 0x20 && c !== 0x9 && c !== 0xa && c !== 0xd) return CONTROL;
      i++;
      continue;
    }
    const d = b[i + 1];
    if (d === SLASH) {
      depth--;
      const gt = b.indexOf(GT, i);
      if (gt < 0 || gt >= end) return OK;
      i = gt + 1;
    } else if (d === QMARK) {
      const close = indexOfSeq(b, i + 2, end, '?>');
      if (close < 0) return OK;
      i = close + 2;
    } else if (d === BANG) {
      if (startsAt(b, i, '<!--')) {
        const close = indexOfSeq(b, i + 4, end, '-->');
        if (close < 0) return OK;
        i = close + 3;
      } else if (startsAt(b, i, '<![CDATA[')) {
        const close = indexOfSeq(b, i + 9, end, ']]>');
        if (close < 0) return OK;
        i = close + 3;
      } else {
        // <!DOCTYPE, <!ENTITY, <!ELEMENT, <!ATTLIST …: no DTD processing at all, ever.
        return { ok: false, reason: 'DOCTYPE not allowed' };
      }
    } else {
      // Start tag: find its '>' outside quoted attribute values.
      let k = i + 1;
      let quote = 0;
      for (; k < end; k++) {
        const e = b[k]!;
        if (quote !== 0) {
          if (e === quote) quote = 0;
          else if (e === LT) return { ok: false, reason: "'<' in attribute value" };
          else if (e === AMP) {
            const n = refLength(b, k, end);
            if (n < 0) return { ok: false, reason: 'undefined entity or bad character reference' };
            k += n - 1;
          }
        } else if (e === DQ || e === SQ) quote = e;
        else if (e === GT) break;
        if (e < 0x20 && e !== 0x9 && e !== 0xa && e !== 0xd) return CONTROL;
      }
      if (k >= end) return OK;
      if (b[k - 1] !== SLASH) {
        depth++;
        if (depth > maxDepth) return { ok: false, reason: `elements nested deeper than ${maxDepth}` };
      }
      i = k + 1;
    }
  }
  return OK;
}
