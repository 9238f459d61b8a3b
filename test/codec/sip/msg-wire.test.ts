// The SipMsg wire record: a message scanned in one thread is rebuilt over another copy of the
// datagram (or of the rewritten buffer) with the same table, start line and body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readMessage } from '../../../src/codec/sip/scan.js';
import { fromWire, readWire, toWire, wireSize, writeWire } from '../../../src/codec/sip/msg-wire.js';
import { HDR } from '../../../src/codec/sip/header-ids.js';
import type { SipMsg } from '../../../src/codec/sip/msg.js';
import { fixturePath, readFixture } from '../../support/fixtures.js';

function same(a: SipMsg, b: SipMsg): void {
  assert.deepEqual([...b.lines.subarray(0, b.count * 4)], [...a.lines.subarray(0, a.count * 4)]);
  assert.deepEqual([b.isRequest, b.method, b.uri, b.uriStart, b.status, b.rewritten, b.plainAscii], [a.isRequest, a.method, a.uri, a.uriStart, a.status, a.rewritten, a.plainAscii]);
  assert.deepEqual(b.body, a.body);
  assert.deepEqual(b.linesOf(HDR.Via), a.linesOf(HDR.Via));
  assert.equal(b.callId, a.callId);
  assert.equal(b.cseqMethod, a.cseqMethod);
}

test('every fixture survives toWire/fromWire over a copy of its buffer', () => {
  let n = 0;
  const dirs = [['torture'], ['torture-ipv6'], ['clients', 'linphonec'], ['clients', 'baresip'], ['clients', 'liblinphone-lpresence']];
  for (const dir of dirs) {
    for (const f of readdirSync(fixturePath(...dir)).filter((x) => x.endsWith('.dat') || x.endsWith('.sip'))) {
      const r = readMessage(readFixture(...dir, f), { maxSize: 65507, supported: [] });
      const msgs = r.t === 'req' || r.t === 'res' ? [r.msg] : r.t === 'bad' && r.partial !== null ? [r.partial] : [];
      for (const m of msgs) {
        same(m, fromWire(Buffer.from(m.buf), toWire(m)));
        n++;
      }
    }
  }
  assert.ok(n > 80, String(n));
});

test('records pack back to back in one shared array', () => {
  const a = readMessage(readFixture('clients', 'linphonec', '01-REGISTER.sip'), { maxSize: 65507, supported: [] });
  const b = readMessage(readFixture('clients', 'linphonec', '04-NOTIFY-200-response.sip'), { maxSize: 65507, supported: [] });
  assert.ok(a.t === 'req' && b.t === 'res');
  const ring = new Int32Array(new SharedArrayBuffer(4 * (wireSize(a.msg) + wireSize(b.msg))));
  const next = writeWire(a.msg, ring, 0);
  assert.equal(writeWire(b.msg, ring, next), ring.length);
  const a2 = readWire(a.msg.buf, ring, 0);
  const b2 = readWire(b.msg.buf, ring, next);
  ring.fill(0); // the views were copied out of the ring
  same(a.msg, a2);
  same(b.msg, b2);
  assert.equal(b2.status, 200);
  assert.equal(b2.topVia?.branch, 'z9hG4bKdqllhaex');
});

test('a record that does not describe its buffer is refused', () => {
  const a = readMessage(readFixture('clients', 'linphonec', '01-REGISTER.sip'), { maxSize: 65507, supported: [] });
  assert.ok(a.t === 'req');
  const w = toWire(a.msg);
  assert.throws(() => fromWire(a.msg.buf.subarray(0, 100), w), /does not fit/);
  assert.throws(() => fromWire(a.msg.buf, new Int32Array(12)), /not a SipMsg record/);
});
