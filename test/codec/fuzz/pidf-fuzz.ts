// The PIDF fuzz properties, shared by the CI test (test/codec/pidf/pidf.fuzz.test.ts, fixed
// seed) and the long run (`npm run fuzz`, test/hardening/fuzz-long.ts): mutated, truncated and
// spliced fixture documents never make parsePidf throw, and whatever it accepts composes into
// a document that parses again.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { composePidf } from '../../../src/codec/pidf/compose.js';
import { parsePidf } from '../../../src/codec/pidf/parse.js';
import type { PidfParseResult } from '../../../src/codec/pidf/types.js';
import { readFixture, readFixtureJson } from '../../support/fixtures.js';

const index = readFixtureJson<{ documents: { file: string; size: number }[] }>('pidf', 'index.json');
// The 1 MiB and 220 KB documents are refused before parsing; small ones exercise the parser.
export const seeds: Buffer[] = index.documents.filter((d) => d.size < 4096).map((d) => readFixture('pidf', d.file));

const TOKENS = ['<', '>', '/>', '</', '"', "'", '&', '&amp;', '&#x263A;', '&#0;', ']]>', '<![CDATA[x]]>', '<!--c-->',
  ':', 'xmlns:p="urn:x"', 'xmlns=""', ' id="t"', '<tuple id="t">', '</tuple>', '<status>', '<basic>open</basic>',
  'mustUnderstand="1"', '<!DOCTYPE x>', '\u00e9', '\r\n', '\u0000', 'presence', 'impp:'];

// Well-formed pieces inserted right after a tag: they keep many mutants valid, so the
// accept → compose → re-parse path is exercised as much as the refusals.
const PIECES = ['<x:e xmlns:x="urn:x" a="&quot;&lt;">v&amp;&#x263A;</x:e>', '<!--c-->', '<rpid:away xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"/>',
  '<y:e xmlns:y="urn:ietf:params:xml:ns:pidf:caps"><y:f/></y:e>', '<c:e xmlns:c="urn:not-cipid"/>', '<?pi x?>',
  '<z xmlns="urn:z"><n xml:lang="en">t</n></z>', '<p:e xmlns:p="urn:ietf:params:xml:ns:pidf" p:mustUnderstand="0"/>'];

export type Mutation =
  | { t: 'piece'; at: number; piece: string }
  | { t: 'truncate'; at: number }
  | { t: 'splice'; at: number; from: number; start: number; len: number }
  | { t: 'flip'; at: number; byte: number }
  | { t: 'insert'; at: number; token: string }
  | { t: 'delete'; at: number; len: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('piece' as const), at: fc.nat(), piece: fc.constantFrom(...PIECES) }), weight: 4 },
  fc.record({ t: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ t: fc.constant('splice' as const), at: fc.nat(), from: fc.nat(), start: fc.nat(), len: fc.nat({ max: 400 }) }),
  fc.record({ t: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ t: fc.constant('insert' as const), at: fc.nat(), token: fc.constantFrom(...TOKENS) }),
  fc.record({ t: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
);

export function apply(doc: Buffer, m: Mutation): Buffer {
  const at = doc.length === 0 ? 0 : m.at % (doc.length + 1);
  switch (m.t) {
    case 'piece': {
      // After the n-th '>' (past the prolog and the root start tag, so the piece lands inside).
      const ends: number[] = [];
      for (let k = doc.indexOf(0x3e); k >= 0; k = doc.indexOf(0x3e, k + 1)) ends.push(k + 1);
      if (ends.length < 3) return doc;
      const pos = ends[2 + (m.at % (ends.length - 2))]!;
      return Buffer.concat([doc.subarray(0, pos), Buffer.from(m.piece), doc.subarray(pos)]);
    }
    case 'truncate': return doc.subarray(0, at);
    case 'splice': {
      const other = seeds[m.from % seeds.length]!;
      const start = m.start % (other.length + 1);
      return Buffer.concat([doc.subarray(0, at), other.subarray(start, start + m.len), doc.subarray(at)]);
    }
    case 'flip': {
      const out = Buffer.from(doc);
      if (at < out.length) out[at] = m.byte;
      return out;
    }
    case 'insert': return Buffer.concat([doc.subarray(0, at), Buffer.from(m.token), doc.subarray(at)]);
    case 'delete': return Buffer.concat([doc.subarray(0, at), doc.subarray(at + m.len)]);
  }
}

export interface PidfFuzzStats { accepted: number; refused: number }

export function checkResult(r: PidfParseResult, seen: PidfFuzzStats): void {
  if (r.ok) seen.accepted++;
  else seen.refused++;
  if (!r.ok) {
    assert.equal(typeof r.reason, 'string');
    assert.ok(r.status === 400 || r.status === 413);
    return;
  }
  const again = parsePidf(composePidf(r.doc.entity, [{ etag: 'x', modified: 1, doc: r.doc }]));
  assert.ok(again.ok, again.ok ? '' : `composed output refused: ${again.reason}`);
  assert.equal(again.doc.entity, r.doc.entity);
  assert.equal(again.doc.elements.length, r.doc.elements.length);
}

/** A seed index and the mutations to apply to it. */
export const mutantArb = fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }));

export function checkMutant([i, ms]: [number, Mutation[]], seen: PidfFuzzStats): void {
  let body = seeds[i]!;
  for (const m of ms) body = apply(body, m);
  checkResult(parsePidf(body), seen);
}

/** Two documents (one mutated) whose composition must parse with unique element ids. */
export const pairArb = fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.nat({ max: seeds.length - 1 }), mutation);

export function checkPair([i, j, m]: [number, number, Mutation]): void {
  const a = parsePidf(apply(seeds[i]!, m));
  const b = parsePidf(seeds[j]!);
  if (!a.ok || !b.ok) return;
  const r = parsePidf(composePidf('sip:x@example.com', [
    { etag: 'a', modified: 2, doc: a.doc }, { etag: 'b', modified: 1, doc: b.doc },
  ]));
  assert.ok(r.ok, r.ok ? '' : r.reason);
  const ids = r.doc.elements.flatMap((e) => (e.id === null ? [] : [e.id]));
  assert.equal(new Set(ids).size, ids.length);
}
