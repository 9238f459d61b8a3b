// Resource lists defined by the operator (RFC 4826 in spirit, JSON in form), read from
// --lists (default <data>/lists.json) and reloaded like the rules file: SIGHUP or a change of
// the file; a broken file keeps the previous lists. Lists may name other lists (nested lists,
// flattened here); a list that reaches itself is refused with the cycle named.
//
//   { "lists": {
//       "sip:friends@example.com": { "owner": "sip:alice@example.com",
//                                    "entries": ["sip:bob@example.com", { "uri": "sip:carol@example.com", "name": "Carol" },
//                                                "sip:team@example.com"] },
//       "sip:team@example.com":    { "entries": ["sip:dave@example.com"] } } }
//
// `owner` (optional): only that user may subscribe, and members are authorized as if the owner
// watched them; without it anyone may subscribe and the subscriber is the one authorized.
import { existsSync, readFileSync } from 'node:fs';
import type { ListEntry } from '../../codec/resource-lists/parse.js';
import { aorKey } from '../../policy/aor.js';

export class ListsFileError extends Error {}

export interface DefinedList {
  uri: string;
  owner: string | null;
  /** Flattened, duplicates removed, in file order. */
  entries: ListEntry[];
}

interface RawList {
  owner?: unknown;
  entries?: unknown;
}

function entryOf(e: unknown, where: string): ListEntry {
  if (typeof e === 'string') return { uri: e.trim() };
  if (e !== null && typeof e === 'object' && typeof (e as { uri?: unknown }).uri === 'string') {
    const name = (e as { name?: unknown }).name;
    return typeof name === 'string' && name !== '' ? { uri: (e as { uri: string }).uri.trim(), name } : { uri: (e as { uri: string }).uri.trim() };
  }
  throw new ListsFileError(`${where}: an entry must be a URI or { "uri": …, "name": … }`);
}

/** Parses and flattens the lists document; throws ListsFileError naming the fault. */
export function listsFromObject(json: unknown, maxEntries: number): Map<string, DefinedList> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ListsFileError('the file must hold a JSON object');
  const raw = (json as { lists?: unknown }).lists ?? {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ListsFileError('"lists" must be an object keyed by list URI');
  const direct = new Map<string, { uri: string; owner: string | null; entries: ListEntry[] }>();
  for (const [uri, v] of Object.entries(raw as Record<string, RawList>)) {
    if (!/^sips?:[^@\s]+@[^\s]+$/i.test(uri)) throw new ListsFileError(`list '${uri}': the key must be a SIP URI`);
    if (v === null || typeof v !== 'object' || !Array.isArray(v.entries)) throw new ListsFileError(`list '${uri}': "entries" must be an array`);
    if (v.owner !== undefined && typeof v.owner !== 'string') throw new ListsFileError(`list '${uri}': "owner" must be a SIP URI`);
    const entries = v.entries.map((e, i) => entryOf(e, `list '${uri}' entry ${i}`));
    for (const e of entries) if (!/^sips?:/i.test(e.uri)) throw new ListsFileError(`list '${uri}': entry '${e.uri}' is not a SIP URI`);
    direct.set(aorKey(uri), { uri, owner: (v.owner as string | undefined) ?? null, entries });
  }
  const out = new Map<string, DefinedList>();
  for (const [key, l] of direct) {
    const entries: ListEntry[] = [];
    const seen = new Set<string>();
    const expand = (list: { uri: string; entries: ListEntry[] }, path: string[]): void => {
      for (const e of list.entries) {
        const k = aorKey(e.uri);
        const nested = direct.get(k);
        if (nested !== undefined) {
          if (path.includes(k)) throw new ListsFileError(`list '${l.uri}' contains itself: ${[...path, k].join(' → ')}`);
          expand(nested, [...path, k]);
          continue;
        }
        if (seen.has(k)) continue;
        seen.add(k);
        if (entries.length >= maxEntries) throw new ListsFileError(`list '${l.uri}' has more than ${maxEntries} entries`);
        entries.push(e);
      }
    };
    expand(l, [key]);
    out.set(key, { uri: l.uri, owner: l.owner, entries });
  }
  return out;
}

export class ListsFile {
  readonly path: string;
  readonly #maxEntries: number;
  #lists: Map<string, DefinedList> = new Map();

  constructor(path: string, maxEntries: number) {
    this.path = path;
    this.#maxEntries = maxEntries;
    this.reload();
  }

  /** Re-reads the file (missing = no lists); throws and keeps the old lists when it is broken. */
  reload(): void {
    if (!existsSync(this.path)) {
      this.#lists = new Map();
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (e) {
      throw new ListsFileError(`${this.path}: ${(e as Error).message}`);
    }
    this.#lists = listsFromObject(json, this.#maxEntries);
  }

  get size(): number {
    return this.#lists.size;
  }

  get(uri: string): DefinedList | undefined {
    return this.#lists.get(aorKey(uri));
  }
}
