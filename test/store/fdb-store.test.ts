// The fdb store: both files created, writes read back at restore, expired rows dropped first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FdbStore, PRESENCE_FILE, REGISTERED_FILE } from '../../src/store/fdb-store.js';

test('restore returns live rows and deletes expired ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fdb-test-'));
  try {
    const now = Date.now();
    let store = FdbStore.open(dir);
    assert.ok(existsSync(join(dir, PRESENCE_FILE)) && existsSync(join(dir, REGISTERED_FILE)));
    const doc = { entity: 'sip:a@h', elements: [] };
    await store.putPublication({ aor: 'sip:a@h', etag: 'live', expiresAt: now + 60_000, modified: now, doc });
    await store.putPublication({ aor: 'sip:a@h', etag: 'dead', expiresAt: now - 1, modified: now, doc });
    const b = (uri: string, at: number) => ({ contact: `<${uri}>`, uri, expiresAt: at, q: null, callId: 'c', cseq: 1, instance: null });
    await store.putBindings('sip:a@h', [b('sip:a@1', now + 60_000), b('sip:a@2', now - 1)]);
    await store.putBindings('sip:gone@h', [b('sip:g@1', now - 1)]);
    await store.close();

    store = FdbStore.open(dir);
    const r = await store.restore(now);
    assert.deepEqual(r.publications.map((p) => p.etag), ['live']);
    assert.deepEqual([...r.registrations.keys()], ['sip:a@h']);
    assert.deepEqual(r.registrations.get('sip:a@h')!.map((x) => x.uri), ['sip:a@1']);
    assert.equal(r.dropped, 3);
    await store.close();

    store = FdbStore.open(dir);
    const again = await store.restore(now);
    assert.equal(again.dropped, 0, 'expired rows were deleted, not just skipped');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
