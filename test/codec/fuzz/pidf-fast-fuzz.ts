// The differential properties of the one-pass PIDF reader, shared by the CI test
// (test/codec/pidf/fast-reader.test.ts, fixed seed) and the long run (`npm run fuzz`):
// the one-pass reader either declines (null) or returns exactly what the general path returns.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { composePidf } from '../../../src/codec/pidf/compose.js';
import { PIDF_DEFAULTS, parsePidf, parsePidfFastOnly, parsePidfGeneral, type PidfParseOptions } from '../../../src/codec/pidf/parse.js';
import { apply, mutation, seeds } from './pidf-fuzz.js';
import { genDocArb, type GenDoc } from './pidf-gen.js';

export const LIMITS: Required<PidfParseOptions> = { ...PIDF_DEFAULTS };

/** Asserts the differential property for one body; returns whether the fast reader took it. */
export function same(body: Uint8Array, what: string, limits = LIMITS): boolean {
  const fast = parsePidfFastOnly(body, limits);
  const general = parsePidfGeneral(body, limits);
  if (fast !== null) assert.deepEqual(fast, general, `${what}\n${Buffer.from(body).toString('utf8').slice(0, 2000)}`);
  return fast !== null;
}

export interface FastFuzzStats { fast: number; accepted: number; refused: number }

const encoder = new TextEncoder();

/**
 * A generated document: equal results; a plain document the general path accepts is taken
 * by the fast reader, and so is the document the composer makes of it (a NOTIFY body).
 */
export function checkGenerated(doc: GenDoc, seen: FastFuzzStats): void {
  const body = encoder.encode(doc.text);
  const took = same(body, 'generated');
  const general = parsePidfGeneral(body, LIMITS);
  if (doc.plain && general.ok) assert.ok(took, `plain accepted document declined:\n${doc.text}`);
  if (took) seen.fast++;
  if (!general.ok) {
    seen.refused++;
    return;
  }
  seen.accepted++;
  const composed = encoder.encode(composePidf('sip:x@example.com', [{ etag: 'e', modified: 1, doc: general.doc }]));
  const tookComposed = same(composed, 'composed');
  if (doc.plain) assert.ok(tookComposed, `composed document of a plain one declined:\n${doc.text}`);
}

/** Generated documents and fixtures, then mutated, truncated or spliced. */
export const mutatedArb = fc.tuple(
  fc.oneof(genDocArb.map((d) => Buffer.from(d.text, 'utf8')), fc.constantFrom(...seeds)),
  fc.array(mutation, { minLength: 1, maxLength: 3 }),
);

/** A mutant: never a throw, the same result whichever path reads it. */
export function checkMutated([doc, ms]: [Buffer, Parameters<typeof apply>[1][]]): void {
  let body = doc;
  for (const m of ms) body = apply(body, m);
  same(body, 'mutant');
  assert.deepEqual(parsePidf(body), parsePidfGeneral(body, LIMITS));
}
