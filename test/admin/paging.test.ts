// Key-ordered paging (src/admin/paging.ts): walking the pages returns every accepted key
// exactly once, ascending, whatever the insertion order, page size and filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pageKeys } from '../../src/admin/paging.js';

test('pages cover every accepted key once, in order; total counts them all', () => {
  fc.assert(fc.property(
    fc.uniqueArray(fc.string({ maxLength: 6 }), { maxLength: 200 }),
    fc.integer({ min: 1, max: 50 }),
    fc.integer({ min: 1, max: 4 }),
    (keys, limit, modulo) => {
      const accept = (k: string): boolean => k.length % modulo === 0;
      const want = keys.filter(accept).sort();
      const got: string[] = [];
      let after: string | undefined;
      for (let i = 0; i < 1000; i++) {
        const p = pageKeys(keys, accept, { limit, after });
        assert.equal(p.total, want.length);
        assert.ok(p.keys.length <= limit);
        got.push(...p.keys);
        if (p.next === null) break;
        assert.equal(p.next, p.keys.at(-1));
        after = p.next;
      }
      assert.deepEqual(got, want);
    },
  ));
});

test('an empty map and a cursor past the end give an empty last page', () => {
  assert.deepEqual(pageKeys([], () => true, { limit: 10 }), { keys: [], total: 0, next: null });
  assert.deepEqual(pageKeys(['a', 'b'], () => true, { limit: 10, after: 'z' }), { keys: [], total: 2, next: null });
  assert.deepEqual(pageKeys(['b', 'a', 'c'], () => true, { limit: 2 }), { keys: ['a', 'b'], total: 3, next: 'b' });
});
