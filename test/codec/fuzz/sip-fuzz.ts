// The SIP fuzz properties, shared by the CI test (test/codec/sip/sip-parse.fuzz.test.ts, fixed
// seed, a few thousand runs) and the long run (`npm run fuzz`, test/hardening/fuzz-long.ts):
// mutated, truncated and spliced real messages (undici test/fuzzing style) and arbitrary bytes
// never make the parser or the gate throw, fail only with the statuses a parse failure may
// carry, and never hang.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { parseSipMessage } from '../../../src/codec/sip/parse.js';
import { gateRequest, gateResponse } from '../../../src/codec/sip/request-gate.js';
import { serializeResponse } from '../../../src/codec/sip/serialize.js';
import { getHeaderValues } from '../../../src/codec/sip/headers.js';
import { parseVia } from '../../../src/codec/sip/via.js';
import { parseNameAddr } from '../../../src/codec/sip/name-addr.js';
import { parseUri } from '../../../src/codec/sip/uri.js';
import { fixturePath, readFixture } from '../../support/fixtures.js';

function corpus(): Buffer[] {
  const out: Buffer[] = [];
  for (const dir of ['torture', 'torture-ipv6']) {
    for (const f of readdirSync(fixturePath(dir))) if (f.endsWith('.dat')) out.push(readFixture(dir, f));
  }
  for (const dir of ['linphonec', 'liblinphone-lpresence', 'baresip']) {
    for (const f of readdirSync(fixturePath('clients', dir))) out.push(readFixture('clients', dir, f));
  }
  return out;
}

export const CORPUS = corpus();
const INTERESTING = [0x0d, 0x0a, 0x20, 0x09, 0x3a, 0x3b, 0x2c, 0x22, 0x3c, 0x3e, 0x40, 0x5c, 0x25, 0x00, 0xff, 0x5b, 0x5d, 0x3d];

export type Mutation =
  | { k: 'truncate'; at: number }
  | { k: 'flip'; at: number; byte: number }
  | { k: 'insert'; at: number; bytes: number[] }
  | { k: 'delete'; at: number; len: number }
  | { k: 'splice'; other: number; at: number; from: number }
  | { k: 'dup'; at: number; len: number }
  | { k: 'lf'; nth: number };

const byteArb = fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 }));
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), byte: byteArb }),
  fc.record({ k: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(byteArb, { minLength: 1, maxLength: 8 }) }),
  fc.record({ k: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ k: fc.constant('splice' as const), other: fc.nat(), at: fc.nat(), from: fc.nat() }),
  fc.record({ k: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ k: fc.constant('lf' as const), nth: fc.nat({ max: 30 }) }),
);

export function apply(buf: Buffer, m: Mutation): Buffer {
  const n = buf.length;
  const at = n === 0 ? 0 : (m as { at?: number }).at === undefined ? 0 : (m as { at: number }).at % (n + 1);
  switch (m.k) {
    case 'truncate': return buf.subarray(0, at);
    case 'flip': {
      if (n === 0) return buf;
      const c = Buffer.from(buf);
      c[at % n] = m.byte;
      return c;
    }
    case 'insert': return Buffer.concat([buf.subarray(0, at), Buffer.from(m.bytes), buf.subarray(at)]);
    case 'delete': return Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.len)]);
    case 'splice': {
      const o = CORPUS[m.other % CORPUS.length]!;
      return Buffer.concat([buf.subarray(0, at), o.subarray(m.from % (o.length + 1))]);
    }
    case 'dup': return Buffer.concat([buf.subarray(0, at), buf.subarray(at, at + m.len), buf.subarray(at)]);
    case 'lf': {
      // Turn the nth CRLF into a bare LF.
      let idx = -1;
      for (let i = 0; i <= m.nth; i++) {
        idx = buf.indexOf('\r\n', idx + 1);
        if (idx < 0) return buf;
      }
      return Buffer.concat([buf.subarray(0, idx), buf.subarray(idx + 1)]);
    }
  }
}

export const FAILURE_STATUSES = new Set([400, 505, 513]);
/** Hang guard only (a linear parser needs microseconds); speed lives in bench/. */
export const HANG_MS = 500;

/** A corpus index and the mutations to apply to that message. */
export const mutantArb = fc.tuple(fc.nat({ max: CORPUS.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 4 }));

export interface SipFuzzStats { oks: number; fails: number }

/** The property over one mutant; counts accepted and refused messages in `stats`. */
export function checkMutant([i, muts]: [number, Mutation[]], stats: SipFuzzStats): void {
  let buf = CORPUS[i]!;
  for (const m of muts) buf = apply(buf, m);
  const t0 = performance.now();
  const r = parseSipMessage(buf, { maxSize: 4096 });
  assert.ok(performance.now() - t0 < HANG_MS);
  if (!r.ok) {
    stats.fails++;
    assert.ok(r.drop || FAILURE_STATUSES.has(r.status), `status ${r.status} ${r.reason}`);
    assert.ok(r.reason.length > 0);
    for (const h of r.partial) assert.ok(['Via', 'From', 'To', 'Call-ID', 'CSeq'].includes(h.name));
    if (!r.drop) assert.ok(serializeResponse({ headers: r.partial }, r.status, r.reason, { toTag: 't', viaReceived: { ip: '127.0.0.1', port: 5060 } }).length > 0);
    return;
  }
  stats.oks++;
  const m = r.msg;
  assert.ok(m.body.length <= buf.length);
  for (const v of getHeaderValues(m, 'Via')) parseVia(v);
  for (const v of getHeaderValues(m, 'Contact')) parseNameAddr(v);
  if (m.kind === 'response') {
    assert.ok(m.status >= 100 && m.status <= 699);
    gateResponse(m);
    return;
  }
  parseUri(m.uri);
  const g = gateRequest(m, { supportedExtensions: ['path'] });
  if (g !== null) {
    assert.ok(g.status === 0 || (g.status >= 400 && g.status <= 599), `gate status ${g.status}`);
    if (g.status !== 0) serializeResponse(m, g.status, g.reason, { toTag: 't', viaReceived: { ip: '::1', port: 5060 }, extraHeaders: g.headers });
  }
}

export const bytesArb = fc.uint8Array({ maxLength: 600 });

/** The property over arbitrary bytes. */
export function checkBytes(bytes: Uint8Array): void {
  const r = parseSipMessage(bytes);
  if (!r.ok) assert.ok(r.drop || FAILURE_STATUSES.has(r.status));
}
