// Writes one resolved element as a self-contained fragment with canonical prefixes.
// PIDF elements are unprefixed (they live under the composed root's default namespace),
// data model and RPID use the root's `dm:` / `rpid:`; every other namespace gets its
// original prefix when that is free, else a generated `nsN`, declared on the fragment root.
// Fragments are computed once per PUBLISH, so compose only concatenates strings.
import {
  CANONICAL_PREFIX, NS_PIDF, PIDF_ATTR_PREFIX, PREDECLARED, RESERVED_PREFIXES,
} from './ns.js';
import { escapeAttr, escapeText } from './xml-text.js';
import type { XEl } from './tree.js';

interface PrefixPlan {
  byUri: Map<string, string>;
  taken: Set<string>;
  pidfAttr: boolean;
  next: number;
}

function usable(p: string): boolean {
  return p !== '' && !RESERVED_PREFIXES.has(p) && !p.toLowerCase().startsWith('xml') && !/^ns\d+$/.test(p);
}

function assign(plan: PrefixPlan, uri: string, wanted: string): void {
  if (plan.byUri.has(uri)) return;
  const canonical = CANONICAL_PREFIX.get(uri);
  let p: string;
  if (canonical !== undefined) p = canonical;
  else if (usable(wanted) && !plan.taken.has(wanted)) p = wanted;
  else {
    do p = `ns${++plan.next}`; while (plan.taken.has(p));
  }
  plan.byUri.set(uri, p);
  plan.taken.add(p);
}

function collect(plan: PrefixPlan, el: XEl): void {
  assign(plan, el.ns, el.prefix);
  for (const a of el.attrs) {
    if (a.ns === '') continue;
    if (a.ns === NS_PIDF) plan.pidfAttr = true;
    else assign(plan, a.ns, a.prefix);
  }
  for (const c of el.children) if (typeof c !== 'string') collect(plan, c);
}

function qname(p: string, local: string): string {
  return p === '' ? local : `${p}:${local}`;
}

function write(el: XEl, plan: PrefixPlan, decls: string, out: string[]): void {
  const name = qname(plan.byUri.get(el.ns)!, el.local);
  let tag = `<${name}`;
  // `id` first: compose renames duplicate ids by rewriting this leading attribute.
  for (const a of el.attrs) if (a.ns === '' && a.local === 'id') tag += ` id="${escapeAttr(a.value)}"`;
  tag += decls;
  for (const a of el.attrs) {
    if (a.ns === '' && a.local === 'id') continue;
    const p = a.ns === '' ? '' : a.ns === NS_PIDF ? PIDF_ATTR_PREFIX : plan.byUri.get(a.ns)!;
    tag += ` ${qname(p, a.local)}="${escapeAttr(a.value)}"`;
  }
  let hasElement = false;
  for (const c of el.children) if (typeof c !== 'string') { hasElement = true; break; }
  if (el.children.length === 0) { out.push(tag, '/>'); return; }
  out.push(tag, '>');
  for (const c of el.children) {
    if (typeof c === 'string') {
      // Whitespace between child elements is layout, not content (PIDF has no mixed content).
      if (hasElement && c.trim() === '') continue;
      out.push(escapeText(c));
    } else {
      write(c, plan, '', out);
    }
  }
  out.push(`</${name}>`);
}

/** Serializes `el` as a fragment for a composed `<presence>` root (see ns.ts ROOT_DECLARATIONS). */
export function serializeFragment(el: XEl): string {
  const plan: PrefixPlan = { byUri: new Map(), taken: new Set(['', 'xml']), pidfAttr: false, next: 0 };
  // Canonical prefixes are claimed up front so an extension cannot take `c` or `caps`.
  for (const p of CANONICAL_PREFIX.values()) plan.taken.add(p);
  collect(plan, el);
  let decls = '';
  for (const [uri, p] of plan.byUri) {
    if (!PREDECLARED.has(uri)) decls += ` xmlns:${p}="${escapeAttr(uri)}"`;
  }
  if (plan.pidfAttr) decls += ` xmlns:${PIDF_ATTR_PREFIX}="${NS_PIDF}"`;
  const out: string[] = [];
  write(el, plan, decls, out);
  return out.join('');
}
