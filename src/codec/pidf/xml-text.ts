// Escaping and character-reference decoding shared by the PIDF and watcherinfo codecs.
// Input references were checked by the prescan (only the five predefined entities and
// well-formed character references reach decodeXmlText), so decoding cannot fail here.

const TEXT_SPECIAL = /[&<>\r]/;
const ATTR_SPECIAL = /[&<>"\t\n\r]/;

/** Escapes character data (XML 1.0 §2.4); `\r` as a reference so it survives line-end normalization. */
export function escapeText(s: string): string {
  if (!TEXT_SPECIAL.test(s)) return s;
  return s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

/**
 * Escapes an attribute value for double quotes. Tab/LF/CR become references because
 * attribute-value normalization (XML 1.0 §3.3.3) would otherwise turn them into spaces.
 */
export function escapeAttr(s: string): string {
  if (!ATTR_SPECIAL.test(s)) return s;
  return s.replace(/[&<>"\t\n\r]/g, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      case '\t': return '&#9;';
      case '\n': return '&#10;';
      default: return '&#13;';
    }
  });
}

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const REF = /&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);/g;

/** Decodes predefined entities and character references (XML 1.0 §4.1, §4.6). */
export function decodeRefs(s: string): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(REF, (_m, ref: string) => {
    if (ref.charCodeAt(0) !== 0x23) return PREDEFINED[ref] ?? '';
    const cp = ref.charCodeAt(1) === 0x78 ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return String.fromCodePoint(cp);
  });
}

/** Character data: line ends normalized first (XML 1.0 §2.11), then references decoded. */
export function decodeXmlText(s: string): string {
  const t = s.indexOf('\r') < 0 ? s : s.replace(/\r\n?/g, '\n');
  return decodeRefs(t);
}

/** Attribute value: literal whitespace becomes a space (XML 1.0 §3.3.3), then references decoded. */
export function decodeXmlAttr(s: string): string {
  const t = /[\t\n\r]/.test(s) ? s.replace(/\r\n|[\t\n\r]/g, ' ') : s;
  return decodeRefs(t);
}
