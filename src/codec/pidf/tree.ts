// Turns fast-xml-parser's ordered output into a namespace-resolved tree. Names are resolved
// by URI with the in-scope declarations (XML Namespaces §6), so `impp:tuple`, `pidf:tuple` and an
// unprefixed `tuple` under a PIDF default namespace are the same element. Recursion is bounded
// by the prescan's depth limit.
import { decodeXmlAttr, decodeXmlText } from './xml-text.js';
import { NS_XML } from './ns.js';

export interface XAttr {
  ns: string; // '' = no namespace
  local: string;
  prefix: string; // as written
  value: string; // decoded
}

export interface XEl {
  ns: string;
  local: string;
  prefix: string;
  attrs: XAttr[];
  children: XNode[];
}

export type XNode = XEl | string;

/** One node of fast-xml-parser's `preserveOrder` output. */
type OrderedNode = Record<string, unknown>;

export type TreeResult = { ok: true; root: XEl } | { ok: false; reason: string };

class TreeError extends Error {}

function split(qname: string): [string, string] {
  const c = qname.indexOf(':');
  if (c < 0) return ['', qname];
  if (c === 0 || c === qname.length - 1 || qname.indexOf(':', c + 1) >= 0) {
    throw new TreeError(`bad qualified name '${qname}'`);
  }
  return [qname.slice(0, c), qname.slice(c + 1)];
}

function resolve(scope: ReadonlyMap<string, string>, prefix: string, what: string): string {
  if (prefix === 'xml') return NS_XML;
  const uri = scope.get(prefix);
  if (uri === undefined) {
    if (prefix === '') return '';
    throw new TreeError(`undeclared prefix '${prefix}' on ${what}`);
  }
  return uri;
}

function textOf(node: OrderedNode): string | null {
  const t = node['#text'];
  if (typeof t === 'string') return decodeXmlText(t);
  const cd = node['#cdata'];
  if (Array.isArray(cd)) {
    // CDATA is literal: only line ends are normalized.
    let s = '';
    for (const part of cd as OrderedNode[]) {
      const v = part['#text'];
      if (typeof v === 'string') s += v;
    }
    return s.replace(/\r\n?/g, '\n');
  }
  return null;
}

function element(node: OrderedNode, scope: ReadonlyMap<string, string>): XEl | null {
  let name: string | null = null;
  for (const k of Object.keys(node)) {
    if (k !== ':@') { name = k; break; }
  }
  if (name === null || name.startsWith('#') || name.startsWith('?')) return null;
  const rawAttrs = (node[':@'] ?? {}) as Record<string, unknown>;
  let inner = scope;
  const pending: { value: string; prefix: string; local: string }[] = [];
  for (const an of Object.keys(rawAttrs)) {
    const raw = rawAttrs[an];
    if (typeof raw !== 'string') throw new TreeError(`attribute '${an}' without a value`);
    const value = decodeXmlAttr(raw);
    if (an === 'xmlns' || an.startsWith('xmlns:')) {
      const p = an === 'xmlns' ? '' : an.slice(6);
      if (p !== '' && value === '') throw new TreeError(`prefix '${p}' undeclared`);
      if (p === 'xmlns' || (p === 'xml') !== (value === NS_XML)) throw new TreeError(`reserved prefix '${p}'`);
      if (inner === scope) inner = new Map(scope);
      (inner as Map<string, string>).set(p, value);
    } else {
      const [ap, al] = split(an);
      pending.push({ value, prefix: ap, local: al });
    }
  }
  const [prefix, local] = split(name);
  const el: XEl = { ns: resolve(inner, prefix, `<${name}>`), local, prefix, attrs: [], children: [] };
  const seen = new Set<string>();
  for (const { value, prefix: ap, local: al } of pending) {
    const ns = ap === '' ? '' : resolve(inner, ap, `attribute ${ap}:${al}`);
    const key = `${ns} ${al}`;
    if (seen.has(key)) throw new TreeError(`duplicate attribute '${al}'`);
    seen.add(key);
    el.attrs.push({ ns, local: al, prefix: ap, value });
  }
  const kids = node[name];
  if (Array.isArray(kids)) {
    let text: string | null = null;
    for (const kid of kids as OrderedNode[]) {
      const t = textOf(kid);
      if (t !== null) { text = (text ?? '') + t; continue; }
      const child = element(kid, inner);
      if (child === null) continue;
      if (text !== null) { el.children.push(text); text = null; }
      el.children.push(child);
    }
    if (text !== null) el.children.push(text);
  }
  return el;
}

/** The single root element of a parsed document, namespace-resolved. */
export function buildTree(nodes: unknown): TreeResult {
  if (!Array.isArray(nodes)) return { ok: false, reason: 'no root element' };
  let root: XEl | null = null;
  try {
    for (const node of nodes as OrderedNode[]) {
      const t = textOf(node);
      if (t !== null) {
        if (t.trim() !== '') return { ok: false, reason: 'text outside the root element' };
        continue;
      }
      const el = element(node, new Map());
      if (el === null) continue;
      if (root !== null) return { ok: false, reason: 'more than one root element' };
      root = el;
    }
  } catch (e) {
    if (e instanceof TreeError) return { ok: false, reason: e.message };
    throw e;
  }
  return root === null ? { ok: false, reason: 'no root element' } : { ok: true, root };
}

/** Child elements of `el` in namespace `ns` with local name `local`. */
export function childrenNamed(el: XEl, ns: string, local: string): XEl[] {
  const out: XEl[] = [];
  for (const c of el.children) if (typeof c !== 'string' && c.ns === ns && c.local === local) out.push(c);
  return out;
}

/** Concatenated text children of `el`. */
export function textContent(el: XEl): string {
  let s = '';
  for (const c of el.children) if (typeof c === 'string') s += c;
  return s;
}

/** Value of the no-namespace attribute `local`, or null. */
export function attr(el: XEl, local: string, ns = ''): string | null {
  for (const a of el.attrs) if (a.local === local && a.ns === ns) return a.value;
  return null;
}
