// Key-ordered paging over a map the server keeps in insertion order: one pass, keeping only
// the `limit` smallest keys after the cursor (binary insertion into a bounded sorted array),
// so a page of 100 out of a million entries costs one scan and no full sort.
import type { Page, PageRequest } from './model.js';

function insertSorted(keys: string[], key: string): void {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  keys.splice(lo, 0, key);
}

/**
 * The page of keys (ascending) among `keys` that pass `accept`, after `page.after`.
 * `total` counts every accepted key, before and after the cursor.
 */
export function pageKeys(keys: Iterable<string>, accept: (key: string) => boolean, page: PageRequest): { keys: string[]; total: number; next: string | null } {
  const after = page.after;
  const best: string[] = [];
  let total = 0;
  let beyond = 0;
  for (const key of keys) {
    if (!accept(key)) continue;
    total++;
    if (after !== undefined && key <= after) continue;
    beyond++;
    if (best.length < page.limit) insertSorted(best, key);
    else if (key < best[best.length - 1]!) {
      insertSorted(best, key);
      best.pop();
    }
  }
  const next = beyond > best.length && best.length > 0 ? best[best.length - 1]! : null;
  return { keys: best, total, next };
}

export function mapPage<T>(p: { keys: string[]; total: number; next: string | null }, view: (key: string) => T | null): Page<T> {
  const items: T[] = [];
  for (const k of p.keys) {
    const v = view(k);
    if (v !== null) items.push(v);
  }
  return { items, total: p.total, next: p.next };
}
