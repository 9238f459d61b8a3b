// Random PIDF documents for the differential property of the one-pass reader: a tree of tuples,
// dm:person, dm:device, notes and extensions (fast-check arbitraries), printed with random
// prefixes, namespace declarations on any element (default namespaces, shadowing), attribute
// order and quoting, references, UTF-8, white space and line ends (a dice array, so the
// printing shrinks too). Some documents break a PIDF rule (duplicate ids, bad <basic>, bad
// priority, two <status>, foreign encoding …): the general path refuses those. Some use markup
// outside the fast reader's subset (comments, CDATA, PIs, mixed content, control characters):
// `plain` is false for those, and the fast reader may decline them.
import fc from 'fast-check';

const URI = {
  pidf: 'urn:ietf:params:xml:ns:pidf',
  dm: 'urn:ietf:params:xml:ns:pidf:data-model',
  rpid: 'urn:ietf:params:xml:ns:pidf:rpid',
  cipid: 'urn:ietf:params:xml:ns:pidf:cipid',
  caps: 'urn:ietf:params:xml:ns:pidf:caps',
  vnd: 'urn:example:vendor:presence-ext',
  myex: 'http://id.example.com/presence/',
} as const;
type Ns = keyof typeof URI;

export interface GAttr { ns: Ns | 'xml' | null; local: string; value: string }
export interface GEl { ns: Ns; local: string; attrs: GAttr[]; content: GEl[] | string }
export interface GenDoc { text: string; plain: boolean }

const el = (ns: Ns, local: string, attrs: GAttr[], content: GEl[] | string): GEl => ({ ns, local, attrs, content });
const attr = (local: string, value: string, ns: GAttr['ns'] = null): GAttr => ({ ns, local, value });

// Characters of text and attribute values: XML specials, line ends, non-ASCII (2-, 3-, 4-byte
// UTF-8, NBSP and U+2028 which String.prototype.trim strips), and plain ASCII.
const charArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...'abcXYZ019 -:/@.+') },
  { weight: 2, arbitrary: fc.constantFrom('&', '<', '>', '"', "'", '\n', '\t', '\r\n', ' ') },
  { weight: 2, arbitrary: fc.constantFrom('é', '\u263A', '日', '\u00a0', '\u{1F600}', '\u2028', '\uFEFF') },
);
const textArb = fc.array(charArb, { maxLength: 14 }).map((cs) => cs.join(''));
const padded = (core: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom('', ' ', '\n  ', '\t'), core, fc.constantFrom('', ' ', '\r\n')).map(([a, b, c]) => a + b + c);
const idArb = fc.constantFrom('t1', 't2', 'p1', 'd1', 'x', 'a b', 'id&1', '\u263A');
const localArb = fc.constantFrom('a', 'b', 'client-version', 'x.y', 'z-1', '_u', 'location', 'note', 'timestamp');
const vendorNs = fc.constantFrom<Ns>('vnd', 'myex', 'cipid', 'caps', 'rpid', 'dm');
const vendorAttr = fc.oneof(
  textArb.map((v) => attr('v', v)),
  textArb.map((v) => attr('w', v, 'vnd')),
  fc.constantFrom('0', 'false', ' 1', 'true', 'maybe').map((v) => attr('mustUnderstand', v, 'pidf')),
  fc.constantFrom('en', 'fr').map((v) => attr('lang', v, 'xml')),
  idArb.map((v) => attr('id', v)),
);
const { ext } = fc.letrec<{ ext: GEl }>((tie) => ({
  ext: fc.record({
    ns: vendorNs, local: localArb, attrs: fc.uniqueArray(vendorAttr, { maxLength: 2, selector: (a) => `${a.ns} ${a.local}` }),
    content: fc.oneof({ depthSize: 'small', withCrossShrink: true }, textArb, fc.array(tie('ext'), { maxLength: 2 })),
  }).map(({ ns, local, attrs, content }) => el(ns, local, attrs, content)),
}));
const note = (ns: Ns): fc.Arbitrary<GEl> =>
  fc.tuple(fc.option(fc.constantFrom('en', 'fr', 'ja')), textArb)
    .map(([lang, t]) => el(ns, 'note', lang === null ? [] : [attr('lang', lang, 'xml')], t));
const stamp = (ns: Ns): fc.Arbitrary<GEl> => padded(fc.constantFrom('2026-11-25T13:45:42Z', '2005-05-30T16:09:44+05:00', ''))
  .map((t) => el(ns, 'timestamp', [], t));

const basicArb = fc.oneof({ weight: 12, arbitrary: fc.constantFrom('open', 'closed') }, fc.constantFrom('Open', 'busy', ''));
const statusArb = fc.tuple(fc.option(padded(basicArb), { freq: 6 }), fc.array(ext, { maxLength: 1 }))
  .map(([b, more]) => el('pidf', 'status', [], [...(b === null ? [] : [el('pidf', 'basic', [], b)]), ...more]));
const contactArb = fc.tuple(padded(fc.constantFrom('sip:alice@127.0.0.1', 'tel:+09012345678', 'im:a&b')),
  fc.option(fc.oneof({ weight: 6, arbitrary: fc.constantFrom('0.8', '1', '1.000', '0', ' 0.5 ') }, fc.constantFrom('1.5', 'high')), { freq: 2 }))
  .map(([t, p]) => el('pidf', 'contact', p === null ? [] : [attr('priority', p)], t));
const tupleArb = fc.tuple(fc.option(idArb, { freq: 40 }), fc.array(statusArb, { minLength: 1, maxLength: 1 }),
  fc.option(contactArb), fc.array(note('pidf'), { maxLength: 2 }), fc.option(stamp('pidf')), fc.array(ext, { maxLength: 2 }),
  fc.nat(), fc.boolean())
  .map(([id, status, contact, notes, ts, extra, order, twoStatus]) => {
    const kids = [...status, ...(twoStatus && order % 9 === 0 ? status : [])];
    kids.push(...extra.slice(0, order % 2));
    if (contact !== null) kids.push(contact);
    kids.push(...notes, ...extra.slice(order % 2));
    if (ts !== null) kids.splice(order % (kids.length + 1), 0, ts);
    return el('pidf', 'tuple', id === null ? [] : [attr('id', id)], kids);
  });
const activities = fc.array(fc.constantFrom('away', 'on-the-phone', 'busy', 'meeting'), { maxLength: 2 })
  .map((as) => el('rpid', 'activities', [], as.map((a) => el('rpid', a, [], ''))));
const personArb = fc.tuple(fc.option(idArb, { freq: 40 }), fc.constantFrom<Ns>('dm', 'dm', 'dm', 'rpid'), activities,
  fc.array(fc.oneof(stamp('dm'), stamp('pidf'), note('dm'), ext), { maxLength: 3 }), fc.constantFrom('person', 'device'))
  .map(([id, ns, acts, kids, local]) => el(ns, local, id === null ? [] : [attr('id', id)], [acts, ...kids]));
const topArb = fc.oneof({ weight: 4, arbitrary: tupleArb }, { weight: 3, arbitrary: personArb },
  { weight: 1, arbitrary: note('pidf') }, { weight: 1, arbitrary: ext });

// Ids come from a small pool; most are then made unique by their position (a duplicate id is
// a refusal, which should be exercised, but not dominate).
export const treeArb = fc.record({
  entity: fc.constantFrom('sip:alice@127.0.0.1', 'pres:someone@example.com', ' sip:a@b ', 'sip:a&amp;b@c'),
  elements: fc.array(topArb, { maxLength: 5 }),
  duplicates: fc.nat({ max: 9 }),
}).map(({ entity, elements, duplicates }) => ({
  entity,
  elements: duplicates === 0 ? elements : elements.map((e, i) => ({
    ...e, attrs: e.attrs.map((a) => (a.ns === null && a.local === 'id' ? attr('id', `${a.value}${i}`) : a)),
  })),
}));

class Dice {
  #i = 0;
  constructor(private readonly rolls: number[]) {}
  next(n: number): number { return this.rolls[this.#i++ % this.rolls.length]! % n; }
  chance(k: number, of: number): boolean { return this.next(of) < k; }
  pick<T>(xs: readonly T[]): T { return xs[this.next(xs.length)]!; }
}

const SPACE = [' ', ' ', '\n    ', '\t', '\r\n  '];
const BETWEEN = ['', '', '\n', '\r\n', '\n  ', ' '];
const PREFIXES: Record<Ns, string[]> = {
  pidf: ['', '', 'impp', 'pidf', 'p'], dm: ['dm', 'd', ''], rpid: ['rpid', 'r', 'rp'], cipid: ['c', 'ci'],
  caps: ['caps', 'k'], vnd: ['vnd', 'c', 'ns1', 'xmlfoo', 'pidf', 'e'], myex: ['myex', 'dm', 'ns2', 'm'],
};

/** Prints a tree as a document; `plain` says whether only the fast reader's subset was used. */
export class Printer {
  readonly #d: Dice;
  plain = true;
  constructor(rolls: number[]) { this.#d = new Dice(rolls); }

  #escape(s: string, quote: string): string {
    let out = '';
    for (const ch of s) {
      const d = this.#d;
      if (ch === '&') out += d.pick(['&amp;', '&#38;', '&#x26;']);
      else if (ch === '<') out += d.pick(['&lt;', '&#60;']);
      else if (ch === quote) out += ch === '"' ? d.pick(['&quot;', '&#34;']) : d.pick(['&apos;', '&#39;']);
      else if (ch === '>' || ch === "'" || ch === '"') out += d.chance(1, 2) ? ch : { '>': '&gt;', "'": '&apos;', '"': '&quot;' }[ch];
      else if (d.chance(1, 12)) out += d.chance(1, 2) ? `&#x${ch.codePointAt(0)!.toString(16)};` : `&#${ch.codePointAt(0)!};`;
      else out += ch;
    }
    return out;
  }

  #markupNoise(): string {
    const d = this.#d;
    if (!d.chance(1, 40)) return '';
    this.plain = false;
    return d.pick(['<!-- c -->', '<?pi x?>', '<!---->']);
  }

  #element(e: GEl, scope: ReadonlyMap<string, string>, depth: number): string {
    const d = this.#d;
    let inner = scope;
    const decls: string[] = [];
    const bind = (prefix: string, ns: Ns): void => {
      if (inner === scope) inner = new Map(scope);
      (inner as Map<string, string>).set(prefix, URI[ns]);
      decls.push(prefix === '' ? `xmlns="${URI[ns]}"` : `xmlns:${prefix}="${URI[ns]}"`);
    };
    const prefixOf = (ns: Ns, allowDefault: boolean): string => {
      for (const [p, u] of inner) if (u === URI[ns] && (allowDefault || p !== '')) return p;
      const candidates = PREFIXES[ns].filter((p) => (allowDefault || p !== '') && !decls.some((x) => x.startsWith(p === '' ? 'xmlns=' : `xmlns:${p}=`)));
      const p = candidates.length > 0 && !d.chance(1, 8) ? d.pick(candidates) : `g${depth}${d.next(9)}`;
      bind(p, ns);
      return p;
    };
    if (depth > 1 && d.chance(1, 10)) bind(d.chance(1, 2) ? '' : d.pick(PREFIXES[e.ns]), e.ns); // redeclare or shadow
    const p = prefixOf(e.ns, true);
    const name = p === '' ? e.local : `${p}:${e.local}`;
    const parts = e.attrs.map((a) => {
      const ap = a.ns === null ? '' : a.ns === 'xml' ? 'xml' : prefixOf(a.ns, false);
      const q = d.chance(1, 4) ? "'" : '"';
      return `${ap === '' ? '' : `${ap}:`}${a.local}${d.chance(1, 10) ? ' = ' : '='}${q}${this.#escape(a.value, q)}${q}`;
    });
    const all = [...parts];
    for (const x of decls) all.splice(d.next(all.length + 1), 0, x);
    let tag = `<${name}`;
    for (const a of all) tag += d.pick(SPACE) + a;
    if (d.chance(1, 8)) tag += d.pick(SPACE);
    const close = d.chance(1, 40) ? (this.plain = false, `</${name} >`) : `</${name}>`;
    if (typeof e.content === 'string') {
      if (e.content === '') return d.chance(1, 3) ? `${tag}></${name}>` : `${tag}${d.pick(['/>', ' />'])}`;
      let text = this.#escape(e.content, '');
      if (d.chance(1, 30)) { this.plain = false; text = d.pick([`<![CDATA[${e.content.replace(/]]>/g, '')}]]>`, `${text}\u0001`]); }
      return `${tag}>${text}${close}`;
    }
    if (e.content.length === 0) return `${tag}/>`;
    let body = '';
    for (const c of e.content) body += d.pick(BETWEEN) + this.#markupNoise() + this.#element(c, inner, depth + 1);
    if (d.chance(1, 40)) { this.plain = false; body += 'mixed'; }
    return `${tag}>${body}${d.pick(BETWEEN)}${close}`;
  }

  document(tree: { entity: string; elements: GEl[] }): GenDoc {
    const d = this.#d;
    const decl = d.chance(1, 25) ? '<?xml version="1.0" encoding="ISO-8859-1"?>'
      : d.pick(['', '<?xml version="1.0" encoding="UTF-8"?>\n', "<?xml version='1.0'?>", '<?xml version="1.0" encoding="utf-8" standalone="no"?>\r\n']);
    const root = el('pidf', 'presence', [attr('entity', tree.entity)], tree.elements);
    const text = `${d.chance(1, 10) ? '\uFEFF' : ''}${decl}${this.#element(root, new Map(), 1)}${d.pick(['', '\n', '\r\n', ' \n'])}`;
    return { text, plain: this.plain };
  }
}

export const genDocArb: fc.Arbitrary<GenDoc> = fc.tuple(treeArb, fc.array(fc.nat(), { minLength: 16, maxLength: 64 }))
  .map(([tree, rolls]) => new Printer(rolls).document(tree));
