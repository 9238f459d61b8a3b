// ServerTransactionTable (RFC 3261 §17.2.2 / §17.2.3) with a fake clock: Trying absorbs,
// Completed replays the very bytes, bounded replays, Timer J, the RFC 2543 key, ACK, forced
// hash collisions (with a model-based property), and the memory bounds (arena, entries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readMessage } from '../../src/codec/sip/scan.js';
import type { SipMsg } from '../../src/codec/sip/msg.js';
import { COMPLETED, NOT_TRACKED, ServerTransactionTable, TRYING } from '../../src/transaction/server-transactions.js';
import { KEY, transactionHash } from '../../src/transaction/tx-hash.js';

const SRC = { address: '192.0.2.1', port: 5070 };

interface Req { method?: string; branch?: string; host?: string; callId?: string; cseq?: number; fromTag?: string; uri?: string; toTag?: string }

function text(r: Req = {}): string {
  const method = r.method ?? 'REGISTER';
  const via = `SIP/2.0/UDP ${r.host ?? 'client.example.com:5070'}${r.branch === '' ? '' : `;branch=${r.branch ?? 'z9hG4bK-1'}`};rport`;
  return `${method} ${r.uri ?? 'sip:example.com'} SIP/2.0\r\nVia: ${via}\r\nMax-Forwards: 70\r\n`
    + `From: <sip:alice@example.com>;tag=${r.fromTag ?? 'f1'}\r\nTo: <sip:alice@example.com>${r.toTag === undefined ? '' : `;tag=${r.toTag}`}\r\n`
    + `Call-ID: ${r.callId ?? 'c1'}\r\nCSeq: ${r.cseq ?? 1} ${method === 'ACK' ? 'ACK' : method}\r\nContent-Length: 0\r\n\r\n`;
}

function msg(r: Req = {}): SipMsg {
  const read = readMessage(Buffer.from(text(r), 'latin1'), { maxSize: 65507, supported: [] });
  assert.ok(read.t === 'req', text(r));
  assert.equal(read.msg.rewritten, false);
  return read.msg;
}

test('a retransmission while Trying is absorbed; after completion it gets the identical bytes', () => {
  const t = new ServerTransactionTable({ timerJ: 32000 });
  const h = t.begin(msg(), 1000);
  assert.ok(h >= 0);
  assert.equal(t.begin(msg(), 1001), TRYING);
  const out = t.complete(h, msg(), SRC, { status: 200, headers: 'SIP-ETag: e1x\r\nExpires: 60\r\n' }, 1002);
  const text200 = out.toString('latin1');
  assert.match(text200, /^SIP\/2\.0 200 OK\r\n/);
  assert.match(text200, /\r\nTo: <sip:alice@example\.com>;tag=[\w-]+\r\n/);
  assert.match(text200, /\r\nSIP-ETag: e1x\r\nExpires: 60\r\n/);
  assert.equal(t.begin(msg(), 1500), COMPLETED);
  const again = t.replay(msg(), SRC);
  assert.ok(again !== null);
  assert.equal(again.toString('latin1'), text200);
  assert.equal(t.size, 1);
});

test('explicit reason, to-tag, content type and body are replayed as sent', () => {
  const t = new ServerTransactionTable();
  const h = t.begin(msg({ method: 'PUBLISH' }), 0);
  const spec = { status: 412, reason: 'Conditional Request Failed - no such ETag', toTag: 'tt1', contentType: 'text/plain', body: 'é body' };
  const out = t.complete(h, msg({ method: 'PUBLISH' }), SRC, spec, 0);
  assert.equal(t.begin(msg({ method: 'PUBLISH' }), 1), COMPLETED);
  assert.deepEqual(t.replay(msg({ method: 'PUBLISH' }), SRC), out);
  // A To that has a tag keeps it; the stored tag is not added.
  const h2 = t.begin(msg({ method: 'SUBSCRIBE', toTag: 'dialog1' }), 2);
  const out2 = t.complete(h2, msg({ method: 'SUBSCRIBE', toTag: 'dialog1' }), SRC, { status: 200 }, 2);
  assert.match(out2.toString('latin1'), /\r\nTo: <sip:alice@example\.com>;tag=dialog1\r\n/);
  assert.deepEqual(t.replay(msg({ method: 'SUBSCRIBE', toTag: 'dialog1' }), SRC), out2);
});

test('replays are bounded per transaction; past the bound retransmissions are absorbed', () => {
  const t = new ServerTransactionTable({ maxReplays: 3 });
  const h = t.begin(msg(), 0);
  t.complete(h, msg(), SRC, { status: 200 }, 0);
  for (let i = 0; i < 3; i++) {
    assert.equal(t.begin(msg(), 10), COMPLETED);
    assert.ok(t.replay(msg(), SRC) !== null, `replay ${i}`);
  }
  for (let i = 0; i < 5; i++) {
    assert.equal(t.begin(msg(), 20), COMPLETED);
    assert.equal(t.replay(msg(), SRC), null);
  }
});

test('Timer J: a completed transaction lives exactly timerJ, then the key is new again', () => {
  const t = new ServerTransactionTable({ timerJ: 32000 });
  const h = t.begin(msg(), 1000);
  t.complete(h, msg(), SRC, { status: 200 }, 1000);
  assert.equal(t.begin(msg(), 1000 + 31999), COMPLETED);
  const h2 = t.begin(msg(), 1000 + 32000);
  assert.ok(h2 >= 0);
  assert.equal(t.size, 1);
  t.abandon(h2);
  assert.equal(t.size, 0);
});

test('timerJ 0 (reliable transports): nothing is kept after the response', () => {
  const t = new ServerTransactionTable({ timerJ: 0 });
  const h = t.begin(msg(), 0);
  assert.equal(t.begin(msg(), 0), TRYING);
  t.complete(h, msg(), SRC, { status: 200 }, 0);
  assert.equal(t.size, 0);
  assert.ok(t.begin(msg(), 0) >= 0);
});

test('RFC 3261 key: branch + sent-by + method; ACK belongs to the INVITE and is never answered', () => {
  const t = new ServerTransactionTable();
  assert.ok(t.begin(msg(), 0) >= 0);
  assert.ok(t.begin(msg({ method: 'OPTIONS' }), 0) >= 0, 'same branch, other method');
  assert.ok(t.begin(msg({ host: 'other.example.com' }), 0) >= 0, 'same branch, other sent-by');
  assert.ok(t.begin(msg({ branch: 'z9hG4bK-2' }), 0) >= 0, 'other branch');
  assert.equal(t.begin(msg({ callId: 'c2', cseq: 9, fromTag: 'x' }), 0), TRYING, 'same branch: same transaction');
  const inv = t.begin(msg({ method: 'INVITE', branch: 'z9hG4bK-inv' }), 0);
  t.complete(inv, msg({ method: 'INVITE', branch: 'z9hG4bK-inv' }), SRC, { status: 405 }, 0);
  assert.equal(t.begin(msg({ method: 'ACK', branch: 'z9hG4bK-inv' }), 1), COMPLETED);
  assert.equal(t.replay(msg({ method: 'ACK', branch: 'z9hG4bK-inv' }), SRC), null);
  const before = t.size;
  assert.equal(t.begin(msg({ method: 'ACK', branch: 'z9hG4bK-stray' }), 1), NOT_TRACKED);
  assert.equal(t.size, before);
});

test('RFC 2543 key (no magic cookie): R-URI, From tag, Call-ID, CSeq and top Via all count', () => {
  const t = new ServerTransactionTable();
  const base: Req = { branch: '' };
  assert.ok(t.begin(msg(base), 0) >= 0);
  assert.equal(t.begin(msg(base), 0), TRYING);
  for (const r of [{ uri: 'sip:other.example.com' }, { fromTag: 'f2' }, { callId: 'c2' }, { cseq: 2 }, { host: 'h2.example.com' }, { branch: 'z9hG4bK' }, { branch: 'abc' }]) {
    assert.ok(t.begin(msg({ ...base, ...r }), 0) >= 0, JSON.stringify(r));
  }
  // A bare "z9hG4bK" is not an RFC 3261 branch: the 2543 key applies and other fields count.
  assert.ok(t.begin(msg({ branch: 'z9hG4bK', callId: 'c9' }), 0) >= 0);
  const inv = t.begin(msg({ ...base, method: 'INVITE' }), 0);
  t.complete(inv, msg({ ...base, method: 'INVITE' }), SRC, { status: 405 }, 0);
  assert.equal(t.begin(msg({ ...base, method: 'ACK' }), 0), COMPLETED, 'ACK matches the INVITE by CSeq number');
});

test('forced collisions: keys sharing the first hash never answer for each other', () => {
  const ids = new Map<string, number>();
  const hash = (m: SipMsg): void => {
    transactionHash(m);
    KEY.h1 = 7; // every key in one probe chain
    KEY.h2 = ids.get(m.callId) ?? ids.set(m.callId, ids.size + 1).get(m.callId)!;
  };
  const t = new ServerTransactionTable({ hash, timerJ: 1000 });
  const handles: number[] = [];
  for (let i = 0; i < 300; i++) handles.push(t.begin(msg({ callId: `k${i}` }), 0));
  assert.ok(handles.every((h) => h >= 0));
  for (let i = 0; i < 300; i += 2) t.complete(handles[i]!, msg({ callId: `k${i}` }), SRC, { status: 200, headers: `X-Key: k${i}\r\n` }, i);
  for (let i = 1; i < 300; i += 4) t.abandon(handles[i]!);
  for (let i = 0; i < 300; i++) {
    const got = t.begin(msg({ callId: `k${i}` }), 300);
    if (i % 2 === 0) {
      assert.equal(got, COMPLETED, `k${i}`);
      assert.match(t.replay(msg({ callId: `k${i}` }), SRC)!.toString('latin1'), new RegExp(`X-Key: k${i}\\r\\n`));
    } else if (i % 4 === 1) {
      assert.ok(got >= 0, `k${i} abandoned → new`);
    } else assert.equal(got, TRYING, `k${i}`);
  }
  // Timer J ends the completed ones (completed at t = i); the others remain findable.
  t.sweep(1000 + 150);
  for (let i = 0; i < 300; i += 2) assert.equal(t.begin(msg({ callId: `k${i}` }), 1150) >= 0, i <= 150, `k${i}`);
});

test('model: random begin/complete/abandon/clock steps under forced collisions agree with a Map', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('begin', 'complete', 'abandon', 'tick'), fc.nat({ max: 40 })), { maxLength: 300 }), (ops) => {
    const hash = (m: SipMsg): void => {
      transactionHash(m);
      KEY.h1 = m.cseq % 3;
      KEY.h2 = m.cseq;
    };
    const t = new ServerTransactionTable({ hash, timerJ: 50, maxReplays: 2 });
    type S = { s: 'trying'; h: number } | { s: 'done'; until: number; replays: number };
    const model = new Map<number, S>();
    let now = 0;
    for (const [op, k] of ops) {
      const m = msg({ cseq: k + 1 });
      for (const [key, v] of model) if (v.s === 'done' && v.until <= now) model.delete(key);
      const cur = model.get(k);
      if (op === 'tick') now += k;
      else if (op === 'begin') {
        const r = t.begin(m, now);
        if (cur === undefined) {
          assert.ok(r >= 0);
          model.set(k, { s: 'trying', h: r });
        } else if (cur.s === 'trying') assert.equal(r, TRYING);
        else {
          assert.equal(r, COMPLETED);
          const out = t.replay(m, SRC);
          assert.equal(out !== null, cur.replays < 2);
          cur.replays++;
        }
      } else if (cur?.s === 'trying') {
        if (op === 'complete') {
          t.complete(cur.h, m, SRC, { status: 200 }, now);
          model.set(k, { s: 'done', until: now + 50, replays: 0 });
        } else {
          t.abandon(cur.h);
          model.delete(k);
        }
      }
      t.sweep(now);
      let live = 0;
      for (const v of model.values()) if (v.s === 'trying' || v.until > now) live++;
      assert.equal(t.size, live);
    }
  }), { numRuns: 300 });
});

test('model: growth, entry bound and arena eviction keep every answer with its own transaction', () => {
  const peaks: number[] = [];
  fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('begin', 'begin', 'complete', 'complete', 'tick'), fc.nat({ max: 20000 }), fc.nat({ max: 600 })), { minLength: 3000, maxLength: 3500 }), (ops) => {
    const hash = (m: SipMsg): void => {
      transactionHash(m);
      KEY.h1 = Math.imul(m.cseq >> 2, 0x9e3779b1) >>> 0; // four keys share each first hash
      KEY.h2 = m.cseq;
    };
    const t = new ServerTransactionTable({ hash, timerJ: 3000, maxEntries: 1100, arenaBytes: 20_000, maxReplays: 255 });
    let peak = 0;
    const trying = new Map<number, number>();
    const tryingKeys: number[] = [];
    const done: { k: number; until: number }[] = []; // FIFO, oldest first
    let doneHead = 0;
    const isDone = new Set<number>();
    let now = 0;
    const expire = (): void => {
      while (doneHead < done.length && done[doneHead]!.until <= now) isDone.delete(done[doneHead++]!.k);
    };
    for (const [op, k, pad] of ops) {
      const m = msg({ cseq: k + 1 });
      expire();
      if (op === 'tick') now += k % 10;
      else if (op === 'begin') {
        const r = t.begin(m, now);
        if (trying.has(k)) assert.equal(r, TRYING);
        else if (isDone.has(k)) {
          assert.equal(r, COMPLETED);
          const out = t.replay(m, SRC);
          if (out !== null) assert.match(out.toString('latin1'), new RegExp(`\r\nX-K: ${k}/`));
        } else {
          assert.ok(r >= 0);
          trying.set(k, r);
          tryingKeys.push(k);
        }
      } else if (tryingKeys.length > 0) {
        // Complete one of the Trying transactions (the k-th), so that many complete.
        const at = k % tryingKeys.length;
        const key = tryingKeys[at]!;
        tryingKeys[at] = tryingKeys[tryingKeys.length - 1]!;
        tryingKeys.pop();
        t.complete(trying.get(key)!, msg({ cseq: key + 1 }), SRC, { status: 200, headers: `X-K: ${key}/${'x'.repeat(pad)}\r\n` }, now);
        trying.delete(key);
        if (done.length - doneHead === 1100) isDone.delete(done[doneHead++]!.k);
        done.push({ k: key, until: now + 3000 });
        isDone.add(key);
      }
      t.sweep(now);
      expire();
      assert.equal(t.size, trying.size + done.length - doneHead);
      peak = Math.max(peak, done.length - doneHead);
    }
    peaks.push(peak);
  }), { numRuns: 6 });
  // The ring grew past its first 1024 slots, and hit the entry bound, in some runs.
  assert.ok(Math.max(...peaks) > 1024, `peak ${Math.max(...peaks)}`);
});

test('arena full: the oldest answers go first, their transactions still absorb retransmissions', () => {
  const t = new ServerTransactionTable({ arenaBytes: 4096 });
  const big = 'X-Pad: ' + 'p'.repeat(900) + '\r\n';
  for (let i = 0; i < 20; i++) {
    const h = t.begin(msg({ callId: `a${i}`, branch: `z9hG4bK-a${i}` }), i);
    t.complete(h, msg({ callId: `a${i}`, branch: `z9hG4bK-a${i}` }), SRC, { status: 200, headers: big }, i);
  }
  assert.ok(t.bytes < 4096 + 200_000, `bytes ${t.bytes}`);
  assert.equal(t.begin(msg({ callId: 'a0', branch: 'z9hG4bK-a0' }), 30), COMPLETED);
  assert.equal(t.replay(msg({ callId: 'a0', branch: 'z9hG4bK-a0' }), SRC), null, 'dropped answer: absorbed');
  assert.equal(t.begin(msg({ callId: 'a19', branch: 'z9hG4bK-a19' }), 30), COMPLETED);
  assert.match(t.replay(msg({ callId: 'a19', branch: 'z9hG4bK-a19' }), SRC)!.toString('latin1'), /X-Pad: p{900}\r\n/);
  // An answer larger than the whole arena is not stored; the transaction still completes.
  const h = t.begin(msg({ branch: 'z9hG4bK-huge' }), 31);
  t.complete(h, msg({ branch: 'z9hG4bK-huge' }), SRC, { status: 200, body: Buffer.alloc(10_000, 0x61), contentType: 'text/plain' }, 31);
  assert.equal(t.begin(msg({ branch: 'z9hG4bK-huge' }), 32), COMPLETED);
  assert.equal(t.replay(msg({ branch: 'z9hG4bK-huge' }), SRC), null);
});

test('entry bound: past maxEntries the oldest completed transactions are dropped altogether', () => {
  const t = new ServerTransactionTable({ maxEntries: 100 });
  for (let i = 0; i < 150; i++) {
    const m = msg({ branch: `z9hG4bK-e${i}` });
    t.complete(t.begin(m, i), m, SRC, { status: 200 }, i);
  }
  assert.equal(t.size, 100);
  assert.ok(t.begin(msg({ branch: 'z9hG4bK-e0' }), 200) >= 0, 'dropped: a new transaction');
  assert.equal(t.begin(msg({ branch: 'z9hG4bK-e149' }), 200), COMPLETED);
});

test('the ring and the index grow: 5000 completed transactions all replay their own answer', () => {
  const t = new ServerTransactionTable();
  for (let i = 0; i < 5000; i++) {
    const m = msg({ branch: `z9hG4bK-g${i}` });
    t.complete(t.begin(m, 0), m, SRC, { status: 200, headers: `X-N: ${i}\r\n` }, 0);
  }
  assert.equal(t.size, 5000);
  for (let i = 0; i < 5000; i += 7) {
    const m = msg({ branch: `z9hG4bK-g${i}` });
    assert.equal(t.begin(m, 1), COMPLETED);
    assert.match(t.replay(m, SRC)!.toString('latin1'), new RegExp(`\\r\\nX-N: ${i}\\r\\n`));
  }
  t.sweep(32000);
  assert.equal(t.size, 0);
});

test('stale or unknown handles are harmless', () => {
  const t = new ServerTransactionTable();
  const h = t.begin(msg(), 0);
  t.abandon(h);
  t.abandon(h);
  assert.ok(t.complete(h, msg(), SRC, { status: 200 }, 0).length > 0);
  t.abandon(-5);
  assert.equal(t.size, 0);
});
