// A store that refuses writes (a full disk: LMDB fails the commit with ENOSPC/MDB_MAP_FULL)
// must cost the request a 500 with Retry-After, never a 200 for a change that is not on disk;
// memory is rolled back to what is committed, and the files still open and restore to exactly
// the acknowledged state. The failing store wraps the real LMDB store and refuses chosen
// writes before they reach it, as the commit would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FdbStore } from '../../src/store/fdb-store.js';
import { ActorSystem } from '../../src/actors/system.js';
import type { Notifier } from '../../src/actors/notifier.js';
import { handleRegister } from '../../src/core/register.js';
import { handlePublish } from '../../src/core/publish.js';
import { handleSubscribe } from '../../src/core/subscribe.js';
import type { ReplyOptions, RequestContext } from '../../src/core/context.js';
import { parseSipMessage } from '../../src/codec/sip/parse.js';
import { parsePidf } from '../../src/codec/pidf/parse.js';
import type { SipRequest } from '../../src/codec/sip/types.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { PIDF } from '../support/sip-ua.js';

const WRITES = ['putBindings', 'putPublication', 'removePublication', 'putSubscription', 'removeSubscription'];

function failingStore(real: FdbStore): { store: FdbStore; full: { on: boolean } } {
  const full = { on: false };
  const store = new Proxy(real, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      if (WRITES.includes(String(prop))) {
        return (...args: unknown[]) => (full.on ? Promise.reject(new Error('MDB_MAP_FULL: Environment mapsize limit reached')) : (v as (...a: unknown[]) => unknown).apply(target, args));
      }
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return { store, full };
}

function request(lines: string[], bodyText = ''): SipRequest {
  const text = `${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(bodyText)}\r\n\r\n${bodyText}`;
  const r = parseSipMessage(Buffer.from(text));
  if (!r.ok || r.msg.kind !== 'request') throw new Error('test request did not parse');
  return r.msg;
}

function run(handler: (ctx: RequestContext) => void, req: SipRequest): Promise<{ status: number; opts: ReplyOptions }> {
  return new Promise((resolve) => {
    const pidf = req.method === 'PUBLISH' && req.body.length > 0 ? parsePidf(req.body) : null;
    handler({ req, pidf, source: { address: '127.0.0.1', port: 5099, family: 4 }, now: Date.now(), identity: null, reply: (status, opts = {}) => resolve({ status, opts }) });
  });
}

const head = (method: string, uri: string, from: string, to: string, callId: string): string[] => [
  `${method} ${uri} SIP/2.0`, 'Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKx;rport', 'Max-Forwards: 70',
  `From: <${from}>;tag=f1`, `To: <${to}>`, `Call-ID: ${callId}`, `CSeq: 1 ${method}`,
];

test('disk full: REGISTER, PUBLISH and SUBSCRIBE get 500 + Retry-After, memory rolls back, the files restore the acknowledged state', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-full-'));
  const cfg = loadConfig(['--data', dir], {});
  const real = FdbStore.open(dir);
  const { store, full } = failingStore(real);
  const sys = new ActorSystem(store, [], createLogger('silent'), Date.now());
  const calls: string[] = [];
  const notifier = { started: () => calls.push('started'), notify: () => calls.push('notify'), terminate: () => calls.push('terminate'), presenceChanged: () => calls.push('changed') } as unknown as Notifier;
  const deps = { sys, notifier, cfg, contactFor: () => '<sip:127.0.0.1:5060>', authorize: () => 'allow' as const };
  const alice = 'sip:alice@127.0.0.1';
  try {
    const reg = (contact: string) => request([...head('REGISTER', 'sip:127.0.0.1', alice, alice, `r-${contact}`), `Contact: <sip:alice@${contact}>`]);
    assert.equal((await run((c) => handleRegister(c, sys, cfg), reg('10.0.0.1:5060'))).status, 200);

    full.on = true;
    const r = await run((c) => handleRegister(c, sys, cfg), reg('10.0.0.2:5060'));
    assert.equal(r.status, 500);
    assert.deepEqual(sys.bindingsOf(alice, Date.now()).map((b) => b.uri), ['sip:alice@10.0.0.1:5060'], 'memory rolled back');

    const pub = request([...head('PUBLISH', alice, alice, alice, 'p1'), 'Event: presence', 'Content-Type: application/pidf+xml'], PIDF(alice, 'open'));
    const p = await run((c) => handlePublish(c, sys, cfg, notifier), pub);
    assert.equal(p.status, 500);
    assert.ok(p.opts.headers?.some((h) => h.name === 'Retry-After'));
    assert.equal(sys.presentities.get(alice)?.pubs.size ?? 0, 0);

    const sub = request([...head('SUBSCRIBE', alice, 'sip:bob@127.0.0.1', alice, 's1'), 'Event: presence', 'Contact: <sip:bob@127.0.0.1:5099>', 'Expires: 600']);
    const s = await run((c) => handleSubscribe(c, deps), sub);
    assert.equal(s.status, 500);
    assert.equal(sys.subscriptions.size, 0);
    assert.deepEqual(calls, [], 'no NOTIFY for anything refused');

    full.on = false;
    await real.close();
    const again = FdbStore.open(dir);
    const restored = await again.restore(Date.now());
    assert.deepEqual([...restored.registrations.keys()], [alice]);
    assert.deepEqual(restored.registrations.get(alice)!.map((b) => b.uri), ['sip:alice@10.0.0.1:5060']);
    assert.equal(restored.publications.length, 0);
    assert.equal(restored.subscriptions.length, 0);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the fdb write queue is counted while commits are pending', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-q-'));
  const real = FdbStore.open(dir);
  const sys = new ActorSystem(real, [], createLogger('silent'), Date.now());
  try {
    const p1 = sys.setBindings('sip:a@x', [{ contact: '<sip:a@h>', uri: 'sip:a@h', expiresAt: Date.now() + 60_000, q: null, callId: 'c', cseq: 1, instance: null }], Date.now());
    const p2 = sys.setBindings('sip:b@x', [{ contact: '<sip:b@h>', uri: 'sip:b@h', expiresAt: Date.now() + 60_000, q: null, callId: 'c', cseq: 1, instance: null }], Date.now());
    assert.equal(sys.pendingWrites, 2);
    await Promise.all([p1, p2]);
    assert.equal(sys.pendingWrites, 0);
  } finally {
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
