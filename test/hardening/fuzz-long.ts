// `npm run fuzz`: the SIP and PIDF fuzz properties of the CI tests (test/codec/fuzz/), run
// for much longer and with a fresh seed each time. Not a *.test.ts file on purpose: CI runs
// the fixed-seed versions; this is for a developer or a nightly job.
//
//   FUZZ_RUNS=100000 (default) runs per property;  FUZZ_SEED=<n> replays a reported failure.
// Exit code 0 when every property held, 1 otherwise (the counterexample and seed are printed).
import fc from 'fast-check';
import * as sip from '../codec/fuzz/sip-fuzz.js';
import * as pidf from '../codec/fuzz/pidf-fuzz.js';
import * as fast from '../codec/fuzz/pidf-fast-fuzz.js';
import { genDocArb } from '../codec/fuzz/pidf-gen.js';
import { compareRead, newStats } from '../codec/fuzz/read-diff.js';

const runs = Number(process.env.FUZZ_RUNS ?? 100_000);
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(seed)) {
  process.stderr.write('fuzz: FUZZ_RUNS must be a positive integer and FUZZ_SEED an integer\n');
  process.exit(2);
}

const sipStats: sip.SipFuzzStats = { oks: 0, fails: 0 };
const pidfStats: pidf.PidfFuzzStats = { accepted: 0, refused: 0 };
const fastStats: fast.FastFuzzStats = { fast: 0, accepted: 0, refused: 0 };
const scanStats = newStats();
const properties: [string, fc.IProperty<never>][] = [
  ['sip: mutated messages', fc.property(sip.mutantArb, (x) => sip.checkMutant(x, sipStats)) as never],
  ['sip: arbitrary bytes', fc.property(sip.bytesArb, sip.checkBytes) as never],
  ['sip: scanner agrees with parse + gate + serialize on mutants', fc.property(sip.mutantArb, ([i, muts]) => {
    let buf = sip.CORPUS[i]!;
    for (const m of muts) buf = sip.apply(buf, m);
    compareRead('mutant', buf, scanStats, 4096);
  }) as never],
  ['pidf: mutated documents', fc.property(pidf.mutantArb, (x) => pidf.checkMutant(x, pidfStats)) as never],
  ['pidf: composed pairs', fc.property(pidf.pairArb, pidf.checkPair) as never],
  ['pidf fast reader: generated documents', fc.property(genDocArb, (d) => fast.checkGenerated(d, fastStats)) as never],
  ['pidf fast reader: mutants', fc.property(fast.mutatedArb, fast.checkMutated) as never],
];

let failed = 0;
process.stdout.write(`fuzz: ${runs} runs per property, seed ${seed}\n`);
for (const [name, prop] of properties) {
  const t0 = Date.now();
  const out = fc.check(prop, { seed, numRuns: runs });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (out.failed) {
    failed++;
    process.stdout.write(`FAIL ${name} (${secs} s)\n${fc.defaultReportMessage(out) ?? ''}\n`);
  } else process.stdout.write(`ok   ${name}: ${out.numRuns} runs (${secs} s)\n`);
}
process.stdout.write(`sip parses ok/refused ${sipStats.oks}/${sipStats.fails}; pidf accepted/refused ${pidfStats.accepted}/${pidfStats.refused}; `
  + `generated accepted/refused/fast ${fastStats.accepted}/${fastStats.refused}/${fastStats.fast}\n`);
process.stdout.write(`scanner: scanned ${scanStats.scanned}, fallback ${scanStats.fallback}, refused ${scanStats.bad}\n`);
process.stdout.write(`sip parses ok/refused ${sipStats.oks}/${sipStats.fails}; pidf accepted/refused ${pidfStats.accepted}/${pidfStats.refused}\n`);
process.exitCode = failed === 0 ? 0 : 1;
