// composePidf for 1, 2 and 5 live publications of one presentity. Fragments are precomputed at
// PUBLISH time, so this measures sort + id de-duplication + string concatenation only.
import { printBench } from '../support/report.js';
import { Bench } from 'tinybench';
import { composePidf } from '../../src/codec/pidf/compose.js';
import { parsePidf } from '../../src/codec/pidf/parse.js';
import type { Publication } from '../../src/codec/pidf/types.js';
import { readFixture } from '../../test/support/fixtures.js';

function pub(file: string, etag: string, modified: number): Publication {
  const r = parsePidf(readFixture('pidf', file));
  if (!r.ok) throw new Error(`${file}: ${r.reason}`);
  return { etag, modified, doc: r.doc };
}

export async function run(): Promise<void> {
  const files = ['rfc4479-data-model.xml', 'rfc3863-example.xml', 'rfc4480-rpid.xml', 'ok-unusual-prefixes.xml', 'rfc4479-data-model.xml'];
  const pubs = files.map((f, i) => pub(f, `etag-${i}`, 1000 + i));
  const entity = 'sip:alice@example.com';
  const sets: [string, Publication[]][] = [['1 publication', pubs.slice(0, 1)], ['2 publications', pubs.slice(0, 2)], ['5 publications', pubs]];
  for (const [, s] of sets) if (!parsePidf(composePidf(entity, s)).ok) throw new Error('composed document does not parse');

  const bench = new Bench({ name: 'pidf-compose', time: 500, warmupTime: 100 });
  bench.add('noop (avoid JIT bias)', () => {});
  for (const [name, s] of sets) bench.add(`compose ${name}`, () => { composePidf(entity, s); });
  bench.add('closed document (none)', () => { composePidf(entity, []); });
  await bench.run();

  printBench(bench);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
