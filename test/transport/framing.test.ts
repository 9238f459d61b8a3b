// Stream framing (RFC 3261 §18.3) and CRLF keep-alives (RFC 5626 §4.4.1), byte by byte: any
// split of a stream into chunks frames the same messages; bounds end the stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamFramer, contentLength, type Frame } from '../../src/transport/framing.js';
import { destinationsAgree } from './support.js';

const msg = (body: string, cl: 'long' | 'compact' | 'none' = 'long'): string => {
  const len = Buffer.byteLength(body);
  const h = cl === 'long' ? `Content-Length: ${len}\r\n` : cl === 'compact' ? `l:${len}\r\n` : '';
  return `OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCall-ID: c\r\n${h}\r\n${body}`;
};

function frames(chunks: Buffer[], max = 65535, now = () => 0): Frame[] {
  const f = new StreamFramer({ maxMessage: max });
  const out: Frame[] = [];
  for (const c of chunks) f.push(c, now(), (x) => out.push(x.t === 'message' ? { t: 'message', data: Buffer.from(x.data) } : x));
  return out;
}

test('contentLength: long and compact names, any case, spaces; absent; unreadable or conflicting', () => {
  const cl = (s: string): number => contentLength(Buffer.from(s), Buffer.byteLength(s));
  assert.equal(cl('Via: x\r\nContent-Length: 12\r\n'), 12);
  assert.equal(cl('content-length :  7 \r\nX: y'), 7);
  assert.equal(cl('l: 3'), 3);
  assert.equal(cl('Via: x\r\nX-Content-Length: 5'), -1);
  assert.equal(cl('Via: x'), -1);
  assert.equal(cl('Content-Length: x1'), -2);
  assert.equal(cl('Content-Length: 1\r\nl: 2'), -2);
  assert.equal(cl('Content-Length: 1\r\nContent-Length: 1'), 1, 'the same value twice frames fine');
  assert.equal(cl('Content-Length: 9999999999'), -2);
});

test('messages, pings and stray CRLFs in one chunk', () => {
  const out = frames([Buffer.from(`\r\n\r\n${msg('hello')}\r\n${msg('', 'compact')}${msg('', 'none')}`)]);
  assert.deepEqual(out.map((f) => f.t), ['ping', 'message', 'message', 'message']);
  assert.equal((out[1] as { data: Buffer }).data.toString(), msg('hello'));
});

test('any split of the stream frames the same messages and pings (fixed seed)', () => {
  const item = fc.oneof(
    fc.record({ t: fc.constant('message' as const), body: fc.string({ maxLength: 300 }), cl: fc.constantFrom('long' as const, 'compact' as const) }),
    fc.constant({ t: 'ping' as const }),
  );
  fc.assert(fc.property(fc.array(item, { maxLength: 12 }), fc.array(fc.nat(400), { maxLength: 20 }), (items, cuts) => {
    const stream = Buffer.from(items.map((i) => (i.t === 'ping' ? '\r\n\r\n' : msg(i.body, i.cl))).join(''));
    const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
    const chunks: Buffer[] = [];
    let at = 0;
    for (const p of [...points, stream.length]) {
      if (p > at) chunks.push(stream.subarray(at, p));
      at = Math.max(at, p);
    }
    const out = frames(chunks);
    assert.deepEqual(out.map((f) => f.t), items.map((i) => i.t));
    items.forEach((i, k) => {
      if (i.t === 'message') assert.equal((out[k] as { data: Buffer }).data.toString(), msg(i.body, i.cl));
    });
  }));
});

test('bounds: a header block or a message over the limit, an unreadable Content-Length → error', () => {
  assert.deepEqual(frames([Buffer.from('X'.repeat(2000))], 1000).map((f) => f.t), ['error'], 'never-ending header block');
  assert.deepEqual(frames([Buffer.from(msg('x'.repeat(2000)))], 1000).map((f) => f.t), ['error'], 'body over the limit');
  assert.deepEqual(frames([Buffer.from('OPTIONS sip:x SIP/2.0\r\nContent-Length: many\r\n\r\n')]).map((f) => f.t), ['error']);
});

test('the slow-message clock runs from a message\'s first byte to its last, across chunks, and not for half a ping', () => {
  const f = new StreamFramer({ maxMessage: 65535 });
  const m = Buffer.from(msg('0123456789'));
  const sink = (): void => undefined;
  f.push(m.subarray(0, 10), 100, sink);
  assert.equal(f.partialSince, 100);
  f.push(m.subarray(10, 20), 200, sink);
  assert.equal(f.partialSince, 100, 'still the same message');
  f.push(Buffer.concat([m.subarray(20), m.subarray(0, 5)]), 300, sink);
  assert.equal(f.partialSince, 300, 'a new message began');
  f.push(m.subarray(5), 400, sink);
  assert.equal(f.partialSince, 0);
  f.push(Buffer.from('\r\n'), 500, sink);
  assert.equal(f.partialSince, 0, 'half a ping is no message');
  assert.equal(f.buffered, 2);
});

test('destination text round trip', () => {
  assert.ok(destinationsAgree());
});
