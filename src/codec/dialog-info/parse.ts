// application/dialog-info+xml bodies of PUBLISH (RFC 4235 §4): through the hardened XML reader
// (no DTD, bounded size and depth), then the package's rules: the root is
// {urn:ietf:params:xml:ns:dialog-info}dialog-info with an entity; every <dialog> has an id and
// exactly one <state> holding one of the five states. A bare
// `<dialog id="x"><state>terminated</state></dialog>` (Yealink's form) is complete.
import { safeReadXml } from '../xml/safe-read.js';
import { fragmentUnder } from '../xml/fragment.js';
import { attr, childrenNamed, textContent, type XEl } from '../pidf/tree.js';
import { DIALOG_STATES, NS_DIALOG_INFO, type DialogEntry, type DialogInfoParse, type DialogState } from './types.js';

export interface DialogInfoOptions {
  maxBytes?: number;
  maxDepth?: number;
  /** Most <dialog> elements in one document. */
  maxDialogs?: number;
}

export const DIALOG_INFO_DEFAULTS = Object.freeze({ maxBytes: 64 * 1024, maxDepth: 32, maxDialogs: 256 });

class Bad extends Error {}

function dialog(el: XEl): DialogEntry {
  const id = attr(el, 'id')?.trim() ?? '';
  if (id === '') throw new Bad('<dialog> without id');
  const states = childrenNamed(el, NS_DIALOG_INFO, 'state');
  if (states.length !== 1) throw new Bad(`dialog '${id}' must have one <state>`);
  const value = textContent(states[0]!).trim();
  const rank = DIALOG_STATES.indexOf(value as DialogState);
  if (rank < 0) throw new Bad(`dialog '${id}': unknown state '${value.slice(0, 20)}'`);
  // The state's text is written trimmed (some phones pad it): watchers compare it literally.
  states[0]!.children = [value];
  return { id, state: value as DialogState, rank, xml: fragmentUnder(el, NS_DIALOG_INFO) };
}

export function parseDialogInfo(body: Uint8Array, opts: DialogInfoOptions = {}): DialogInfoParse {
  const r = safeReadXml(body, { maxBytes: opts.maxBytes ?? DIALOG_INFO_DEFAULTS.maxBytes, maxDepth: opts.maxDepth ?? DIALOG_INFO_DEFAULTS.maxDepth });
  if (!r.ok) return r;
  const root = r.root;
  const max = opts.maxDialogs ?? DIALOG_INFO_DEFAULTS.maxDialogs;
  try {
    if (root.ns !== NS_DIALOG_INFO || root.local !== 'dialog-info') throw new Bad(`root is {${root.ns}}${root.local}, not <dialog-info>`);
    const entity = attr(root, 'entity')?.trim() ?? '';
    if (entity === '') throw new Bad('<dialog-info> lacks the entity attribute');
    const version = attr(root, 'version');
    if (version !== null && !/^\s*\d{1,10}\s*$/.test(version)) throw new Bad('<dialog-info> version is not a number');
    const state = attr(root, 'state');
    if (state !== null && state.trim() !== 'full' && state.trim() !== 'partial') throw new Bad('<dialog-info> state must be full or partial');
    const dialogs: DialogEntry[] = [];
    const ids = new Set<string>();
    for (const c of root.children) {
      if (typeof c === 'string') {
        if (c.trim() !== '') throw new Bad('text directly inside <dialog-info>');
        continue;
      }
      if (c.ns !== NS_DIALOG_INFO || c.local !== 'dialog') continue; // extensions (RFC 4235 §4.1): kept out of the composition
      if (dialogs.length >= max) throw new Bad(`more than ${max} dialogs`);
      const d = dialog(c);
      if (ids.has(d.id)) throw new Bad(`duplicate dialog id '${d.id}'`);
      ids.add(d.id);
      dialogs.push(d);
    }
    return { ok: true, doc: { kind: 'dialog-info', entity, dialogs } };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, reason: e.message, status: 400 };
    throw e;
  }
}
