// The lexical half of the one-pass PIDF reader (fast-reader.ts): start tags, end tags and
// character data over the decoded body, for the plain subset of XML that presence clients
// write. Whatever lies outside that subset (comments, CDATA, processing instructions, DOCTYPE,
// non-ASCII names, '<' or stray '&' in values, control characters, `</a >`, …) makes it
// decline, and parse.ts hands the body to the general path, which refuses or accepts it
// exactly as before. Every loop moves forward only: the work is linear in the body.
//
// Declining is a flag, not an exception: a throw unwinding the reader's recursion costs
// microseconds, and a stream of bodies that all decline kept V8 from ever optimizing the
// reader (measured: 6 µs to decline a 211-byte document by throwing, 2 µs with the flag). `decline()`
// sets `declined` and moves the cursor to the end, so every loop stops; callers check the
// flag after each step that can fail and return at once.

// Character classes for ASCII. Names are a strict ASCII subset of XML names, so that the
// general path (XMLValidator's isName, fast-xml-parser's name split) sees them the same way.
const NAME_START = 1, NAME_CHAR = 2, SPACE = 4;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_]/.test(ch)) CLASS[c] = NAME_START | NAME_CHAR;
  else if (/[0-9.-]/.test(ch)) CLASS[c] = NAME_CHAR;
  else if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') CLASS[c] = SPACE;
}

function isXmlSpace(c: number): boolean {
  return c < 128 && (CLASS[c]! & SPACE) !== 0;
}

// Names fast-xml-parser renames or refuses (its prototype-pollution guards, util.js): a document
// using one as an element or attribute name is left to the general path. By length first, so
// that ordinary names cost one comparison.
function guarded(name: string): boolean {
  switch (name.length) {
    case 7: return name === 'valueOf';
    case 8: return name === 'toString';
    case 9: return name === '__proto__' || name === 'prototype';
    case 11: return name === 'constructor';
    case 14: return name === 'hasOwnProperty';
    case 16: return name === '__defineGetter__' || name === '__defineSetter__'
      || name === '__lookupGetter__' || name === '__lookupSetter__';
    default: return false;
  }
}

/**
 * Text flags: PLAIN = nothing that decoding or re-escaping would change (no '&', CR or '>';
 * in attribute values also no tab, LF or '"'), so the raw text is written as it is.
 */
export const PLAIN = 1;
/** Text flags: BLANK = only XML white space (also blank for String.prototype.trim). */
export const BLANK = 2;

// More attributes on one element decline (the duplicate check compares them pairwise).
const MAX_ATTRIBUTES = 32;

// The XML declaration as clients write it: version 1.0, an optional encoding, an optional
// standalone. Anchored, and run on at most 200 characters (up to the first `?>`).
const XML_DECL = /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"1\.0"|'1\.0')(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"([A-Za-z0-9._-]+)"|'([A-Za-z0-9._-]+)'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*\?>$/;
// What parse.ts accepts as a declared encoding (the body is decoded as UTF-8 in any case).
const UTF8_NAMES: ReadonlySet<string> = new Set(['utf-8', 'utf8', 'us-ascii']);

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff)
    || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

export class XmlScanner {
  readonly s: string;
  i = 0;
  /** Set once the body is found outside the subset: every caller returns, the result is null. */
  declined = false;
  // The last start tag read.
  qname = '';
  prefix = '';
  local = '';
  selfClosing = false;
  attrCount = 0;
  readonly attrQname: string[] = [];
  readonly attrPrefix: string[] = [];
  readonly attrLocal: string[] = [];
  /** Raw value, references and line ends not yet decoded. */
  readonly attrRaw: string[] = [];
  /** PLAIN when the raw value needs neither decoding nor re-escaping. */
  readonly attrFlags: number[] = [];
  // The last character data read: s.slice(textStart, textEnd), with its flags.
  textStart = 0;
  textEnd = 0;
  textFlags = 0;

  constructor(s: string) {
    this.s = s;
  }

  /**
   * A reference (XML 1.0 §4.1) at `i`, limited as prescan.ts limits it: one of the five
   * predefined entities or a character reference to a legal character, at most 12
   * characters from '&' to ';'. Returns the index after the ';' (the end when declining).
   */
  #reference(i: number): number {
    const s = this.s;
    const limit = Math.min(s.length, i + 13);
    let semi = i + 1;
    while (semi < limit && s.charCodeAt(semi) !== 0x3b) semi++;
    if (semi >= limit) return this.decline();
    if (s.charCodeAt(i + 1) === 0x23) {
      const hex = s.charCodeAt(i + 2) === 0x78;
      let k = i + (hex ? 3 : 2);
      if (k === semi) return this.decline();
      let cp = 0;
      for (; k < semi; k++) {
        const c = s.charCodeAt(k);
        let d: number;
        if (c >= 0x30 && c <= 0x39) d = c - 0x30;
        else if (hex && c >= 0x61 && c <= 0x66) d = c - 0x57;
        else if (hex && c >= 0x41 && c <= 0x46) d = c - 0x37;
        else return this.decline();
        cp = cp * (hex ? 16 : 10) + d;
        if (cp > 0x10ffff) return this.decline();
      }
      return isXmlChar(cp) ? semi + 1 : this.decline();
    }
    const name = s.slice(i + 1, semi);
    if (name !== 'amp' && name !== 'lt' && name !== 'gt' && name !== 'quot' && name !== 'apos') return this.decline();
    return semi + 1;
  }

  /**
   * Scans characters from `i` up to (not including) `stop`, checking characters and references.
   * Returns PLAIN/BLANK flags. `stop` is '<' for character data, a quote for attribute values.
   */
  #chars(stop: number, inValue: boolean): number {
    const s = this.s;
    let i = this.i;
    let plain = true;
    let blank = true;
    for (;;) {
      if (i >= s.length) return this.decline(); // unterminated (or declined in a reference)
      const c = s.charCodeAt(i);
      if (c === stop) break;
      if (c < 0x20) {
        if (c !== 0x9 && c !== 0xa && c !== 0xd) return this.decline();
        // CR is normalized in both; tab and LF become spaces in attribute values (§3.3.3).
        if (c === 0xd || inValue) plain = false;
        i++;
        continue;
      }
      if (c !== 0x20) blank = false;
      if (c === 0x26) {
        plain = false;
        i = this.#reference(i);
        continue;
      }
      if (c === 0x3c) return this.decline(); // '<' in an attribute value: prescan refuses it
      if (c >= 0xfffe && c <= 0xffff) return this.decline(); // not XML characters
      if (c === 0x3e || (c === 0x22 && inValue)) plain = false; // re-escaped on output
      i++;
    }
    this.i = i;
    return (plain ? PLAIN : 0) | (blank ? BLANK : 0);
  }

  /** Character data up to the next '<' (which must exist). */
  text(): void {
    this.textStart = this.i;
    this.textFlags = this.#chars(0x3c, false);
    this.textEnd = this.i;
  }

  /** A name at `i` (ASCII, at most one ':' between two non-empty parts); returns the colon's index or -1. */
  #name(): number {
    const s = this.s;
    let i = this.i;
    let colon = -1;
    let c = s.charCodeAt(i);
    if (c >= 128 || (CLASS[c]! & NAME_START) === 0) return this.decline();
    for (i++; i < s.length; i++) {
      c = s.charCodeAt(i);
      if (c < 128 && (CLASS[c]! & NAME_CHAR) !== 0) continue;
      if (c !== 0x3a || colon >= 0) break;
      colon = i;
      const n = s.charCodeAt(i + 1);
      if (n >= 128 || (CLASS[n]! & NAME_START) === 0) return this.decline();
    }
    this.i = i;
    return colon;
  }

  /** The optional XML declaration (only at the very start) and the white space after it. */
  prolog(): void {
    const s = this.s;
    if (s.startsWith('<?xml')) {
      const end = s.indexOf('?>', 5);
      const m = end < 0 || end > 200 ? null : XML_DECL.exec(s.slice(0, end + 2));
      const enc = m === null ? undefined : m[1] ?? m[2];
      if (m === null || (enc !== undefined && !UTF8_NAMES.has(enc.toLowerCase()))) {
        this.decline();
        return;
      }
      this.i = end + 2;
    }
    this.spaces();
  }

  /** Skips XML white space; returns whether there was any. */
  spaces(): boolean {
    const s = this.s;
    const from = this.i;
    let i = from;
    while (i < s.length && isXmlSpace(s.charCodeAt(i))) i++;
    this.i = i;
    return i > from;
  }

  /** A start tag at `i` ('<' already checked; '</', '<!' and '<?' decline, not being names). */
  startTag(): void {
    const s = this.s;
    const nameStart = ++this.i;
    const colon = this.#name();
    if (this.declined) return;
    this.qname = s.slice(nameStart, this.i);
    if (guarded(this.qname)) {
      this.decline();
      return;
    }
    this.prefix = colon < 0 ? '' : s.slice(nameStart, colon);
    this.local = colon < 0 ? this.qname : s.slice(colon + 1, this.i);
    this.attrCount = 0;
    for (;;) {
      const spaced = this.spaces();
      const c = s.charCodeAt(this.i);
      if (c === 0x3e) { this.i++; this.selfClosing = false; return; }
      if (c === 0x2f && s.charCodeAt(this.i + 1) === 0x3e) { this.i += 2; this.selfClosing = true; return; }
      // An attribute needs white space before it (XMLValidator refuses `a="1"b="2"`).
      if (!spaced || this.attrCount === MAX_ATTRIBUTES) {
        this.decline();
        return;
      }
      this.#attribute();
      if (this.declined) return;
    }
  }

  #attribute(): void {
    const s = this.s;
    const start = this.i;
    const colon = this.#name();
    const nameEnd = this.i;
    const qname = s.slice(start, nameEnd);
    if (this.declined || guarded(qname)) {
      this.decline();
      return;
    }
    this.spaces();
    if (s.charCodeAt(this.i) !== 0x3d) {
      this.decline();
      return;
    }
    this.i++;
    this.spaces();
    const quote = s.charCodeAt(this.i);
    if (quote !== 0x22 && quote !== 0x27) {
      this.decline();
      return;
    }
    const valueStart = ++this.i;
    const flags = this.#chars(quote, true);
    if (this.declined) return;
    const n = this.attrCount++;
    this.attrQname[n] = qname;
    this.attrPrefix[n] = colon < 0 ? '' : s.slice(start, colon);
    this.attrLocal[n] = colon < 0 ? qname : s.slice(colon + 1, nameEnd);
    this.attrRaw[n] = s.slice(valueStart, this.i);
    this.attrFlags[n] = flags;
    this.i++; // the closing quote
  }

  /** `</qname>` at `i`, exactly (no white space before '>'). */
  endTag(qname: string): void {
    const s = this.s;
    const i = this.i;
    if (s.charCodeAt(i + 1) !== 0x2f || !s.startsWith(qname, i + 2) || s.charCodeAt(i + 2 + qname.length) !== 0x3e) {
      this.decline();
      return;
    }
    this.i = i + 3 + qname.length;
  }

  /** Marks the body as not for the fast reader; the cursor goes to the end so that every loop stops. */
  decline(): number {
    this.declined = true;
    this.i = this.s.length;
    return this.i;
  }
}
