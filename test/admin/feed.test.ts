// The board's live feed (src/admin/http/feed.ts) with a fake model and response: changes are
// coalesced per key, a storm becomes one `resync`, the model is listened to only while a
// client is connected, and a client that stops reading is dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { LiveFeed } from '../../src/admin/http/feed.js';
import type { AdminModel, ChangeEvent } from '../../src/admin/model.js';

class FakeResponse extends EventEmitter {
  text = '';
  writableLength = 0;
  destroyed = false;
  writeHead(): this { return this; }
  write(s: string): boolean { this.text += s; return true; }
  end(): void { this.emit('close'); }
  destroy(): void { this.destroyed = true; this.emit('close'); }
}

function fakeModel(): { model: AdminModel; emit: (e: ChangeEvent) => void; listeners: () => number } {
  const ls = new Set<(e: ChangeEvent) => void>();
  const model = {
    onChange: (l: (e: ChangeEvent) => void) => { ls.add(l); return () => ls.delete(l); },
    counts: () => ({ registrations: 0, presentities: 0, subscriptions: 0 }),
  } as unknown as AdminModel;
  return { model, emit: (e) => { for (const l of ls) l(e); }, listeners: () => ls.size };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond());
}

function events(text: string): { name: string; data: unknown }[] {
  return text.split('\n\n').filter((b) => b.startsWith('event: ')).map((b) => {
    const [head, data] = b.split('\n');
    return { name: head!.slice(7), data: JSON.parse(data!.slice(6)) as unknown };
  });
}

test('per-key coalescing, then one resync for a storm; listening only while connected', async () => {
  const { model, emit, listeners } = fakeModel();
  const feed = new LiveFeed(model);
  assert.equal(listeners(), 0);
  const res = new FakeResponse();
  assert.ok(feed.open(res as unknown as ServerResponse));
  assert.equal(listeners(), 1);
  for (const state of ['busy', 'away', 'available'] as const) emit({ kind: 'presence', aor: 'sip:a@x', state, note: null });
  emit({ kind: 'registration', aor: 'sip:b@x', bindings: 1 });
  await until(() => events(res.text).length === 2);
  assert.deepEqual(events(res.text), [
    { name: 'presence', data: { aor: 'sip:a@x', state: 'available', note: null } },
    { name: 'registration', data: { aor: 'sip:b@x', bindings: 1 } },
  ]);
  res.text = '';
  for (let i = 0; i < 1000; i++) emit({ kind: 'registration', aor: `sip:u${i}@x`, bindings: 1 });
  await until(() => events(res.text).length === 1);
  assert.deepEqual(events(res.text), [{ name: 'resync', data: { changes: 1000 } }]);
  res.end();
  assert.equal(listeners(), 0, 'no client, no listener');
  feed.close();
});

test('a client that stops reading is dropped', async () => {
  const { model, emit } = fakeModel();
  const feed = new LiveFeed(model);
  const res = new FakeResponse();
  feed.open(res as unknown as ServerResponse);
  res.writableLength = 2 << 20;
  emit({ kind: 'presence', aor: 'sip:a@x', state: 'busy', note: null });
  await until(() => res.destroyed);
  assert.equal(feed.clients, 0);
  feed.close();
});
