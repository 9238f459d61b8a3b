// Properties over mutated, truncated and spliced fixtures (test/codec/fuzz/sip-fuzz.ts) and
// over datagrams split into lines that are re-joined with random separators: readMessage never
// throws and agrees with parse + gate + serialize on every one (read-diff.ts compareRead).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { apply, CORPUS, mutantArb } from '../fuzz/sip-fuzz.js';
import { compareRead, newStats } from '../fuzz/read-diff.js';

test('fuzz: readMessage agrees with the reference on mutated fixtures', () => {
  const stats = newStats();
  fc.assert(fc.property(mutantArb, ([i, muts]) => {
    let buf = CORPUS[i]!;
    for (const m of muts) buf = apply(buf, m);
    compareRead('mutant', buf, stats, 4096);
  }), { numRuns: 3000 });
  // Every path is exercised.
  assert.ok(stats.scanned > 300, `scanned ${stats.scanned}`);
  assert.ok(stats.fallback > 30, `fallback ${stats.fallback}`);
  assert.ok(stats.bad > 300, `bad ${stats.bad}`);
});

/** A fixture's header lines, some rewritten the way real stacks vary them. */
const variantArb = fc.tuple(
  fc.nat({ max: CORPUS.length - 1 }),
  fc.array(fc.tuple(fc.nat(), fc.constantFrom('lower-name', 'upper-name', 'space-colon', 'pad-value', 'drop', 'dup', 'compact', 'comma-via', 'tab')), { maxLength: 4 }),
).map(([i, edits]) => {
  const buf = CORPUS[i]!;
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return buf;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  for (const [at, kind] of edits) {
    if (lines.length < 2) break;
    const k = 1 + (at % (lines.length - 1));
    const line = lines[k]!;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1);
    switch (kind) {
      case 'lower-name': lines[k] = name.toLowerCase() + ':' + value; break;
      case 'upper-name': lines[k] = name.toUpperCase() + ':' + value; break;
      case 'space-colon': lines[k] = name + ' :' + value; break;
      case 'pad-value': lines[k] = name + ':  ' + value.trim() + ' \t'; break;
      case 'drop': lines.splice(k, 1); break;
      case 'dup': lines.splice(k, 0, line); break;
      case 'compact': {
        const short: Record<string, string> = { via: 'v', from: 'f', to: 't', 'call-id': 'i', contact: 'm', 'content-length': 'l', 'content-type': 'c', event: 'o', subject: 's' };
        const c = short[name.trim().toLowerCase()];
        if (c !== undefined) lines[k] = c + ':' + value;
        break;
      }
      case 'comma-via': if (name.trim().toLowerCase() === 'via') lines[k] = line + ', ' + value.trim(); break;
      case 'tab': lines[k] = name + ':\t' + value.trim(); break;
    }
  }
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), buf.subarray(end)]);
});

test('fuzz: readMessage agrees with the reference on header-level variants of fixtures', () => {
  const stats = newStats();
  fc.assert(fc.property(variantArb, (buf) => {
    compareRead('variant', buf, stats);
  }), { numRuns: 2000 });
  assert.ok(stats.scanned > 500, `scanned ${stats.scanned}`);
  assert.ok(stats.fallback > 50, `fallback ${stats.fallback}`);
});

test('fuzz: arbitrary bytes never make readMessage throw', () => {
  const stats = newStats();
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
    compareRead('bytes', Buffer.from(bytes), stats);
  }), { numRuns: 2000 });
});
