// Writes one namespace-resolved element as a self-contained fragment for a document whose root
// declares `defaultNs` as its default namespace: elements of that namespace are unprefixed,
// every other namespace keeps its prefix when usable (else `nsN`) and is declared on the
// fragment's root. Used for dialog-info <dialog> elements, kept as text from PUBLISH to NOTIFY.
import { escapeAttr, escapeText } from '../pidf/xml-text.js';
import type { XEl } from '../pidf/tree.js';

const NS_XML = 'http://www.w3.org/XML/1998/namespace';

function plan(el: XEl, defaultNs: string, byUri: Map<string, string>, taken: Set<string>): void {
  const want = (uri: string, prefix: string): void => {
    if (uri === '' || uri === defaultNs || byUri.has(uri)) return;
    if (uri === NS_XML) {
      byUri.set(uri, 'xml');
      return;
    }
    let p = prefix !== '' && !prefix.toLowerCase().startsWith('xml') && !/^ns\d+$/.test(prefix) && !taken.has(prefix) ? prefix : '';
    for (let n = 1; p === ''; n++) if (!taken.has(`ns${n}`)) p = `ns${n}`;
    byUri.set(uri, p);
    taken.add(p);
  };
  want(el.ns, el.prefix);
  for (const a of el.attrs) want(a.ns, a.prefix);
  for (const c of el.children) if (typeof c !== 'string') plan(c, defaultNs, byUri, taken);
}

function write(el: XEl, defaultNs: string, byUri: Map<string, string>, decls: string, out: string[]): void {
  // An element in no namespace under a default-namespace root would change meaning: undeclare.
  const p = el.ns === defaultNs ? '' : el.ns === '' ? '' : byUri.get(el.ns)!;
  const name = p === '' ? el.local : `${p}:${el.local}`;
  let tag = `<${name}`;
  for (const a of el.attrs) {
    const ap = a.ns === '' ? '' : byUri.get(a.ns) ?? '';
    tag += ` ${ap === '' ? a.local : `${ap}:${a.local}`}="${escapeAttr(a.value)}"`;
  }
  tag += `${decls}${el.ns === '' ? ' xmlns=""' : ''}`;
  if (el.children.length === 0) {
    out.push(tag, '/>');
    return;
  }
  let hasElement = false;
  for (const c of el.children) if (typeof c !== 'string') hasElement = true;
  out.push(tag, '>');
  for (const c of el.children) {
    if (typeof c === 'string') {
      if (hasElement && c.trim() === '') continue;
      out.push(escapeText(c));
    } else write(c, defaultNs, byUri, '', out);
  }
  out.push(`</${name}>`);
}

export function fragmentUnder(el: XEl, defaultNs: string): string {
  const byUri = new Map<string, string>();
  plan(el, defaultNs, byUri, new Set(['xml']));
  let decls = '';
  for (const [uri, p] of byUri) if (uri !== NS_XML) decls += ` xmlns:${p}="${escapeAttr(uri)}"`;
  const out: string[] = [];
  write(el, defaultNs, byUri, decls, out);
  return out.join('');
}
