// Writes one resolved element as a self-contained fragment with canonical prefixes.
// PIDF elements are unprefixed (they live under the composed root's default namespace),
// data model and RPID use the root's `dm:` / `rpid:`; every other namespace gets its
// original prefix when that is free, else a generated `nsN`, declared on the fragment root.
// Fragments are computed once per PUBLISH, so compose only concatenates strings.
import { NS_PIDF, PIDF_ATTR_PREFIX } from './ns.js';
import { PrefixPlan } from './prefix-plan.js';
import { escapeAttr, escapeText } from './xml-text.js';
import type { XEl } from './tree.js';

function collect(plan: PrefixPlan, el: XEl): void {
  plan.prefixFor(el.ns, el.prefix);
  for (const a of el.attrs) {
    if (a.ns === '') continue;
    if (a.ns === NS_PIDF) plan.pidfAttr = true;
    else plan.prefixFor(a.ns, a.prefix);
  }
  for (const c of el.children) if (typeof c !== 'string') collect(plan, c);
}

function qname(p: string, local: string): string {
  return p === '' ? local : `${p}:${local}`;
}

function write(el: XEl, plan: PrefixPlan, decls: string, out: string[]): void {
  const name = qname(plan.prefixFor(el.ns, el.prefix), el.local);
  let tag = `<${name}`;
  // `id` first: compose renames duplicate ids by rewriting this leading attribute.
  for (const a of el.attrs) if (a.ns === '' && a.local === 'id') tag += ` id="${escapeAttr(a.value)}"`;
  tag += decls;
  for (const a of el.attrs) {
    if (a.ns === '' && a.local === 'id') continue;
    const p = a.ns === '' ? '' : a.ns === NS_PIDF ? PIDF_ATTR_PREFIX : plan.prefixFor(a.ns, a.prefix);
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
  const plan = new PrefixPlan();
  collect(plan, el);
  const decls = plan.declarations();
  const out: string[] = [];
  write(el, plan, decls, out);
  return out.join('');
}
