// parsePidf on real documents (Linphone's PUBLISH body, the RFC 4480 example) and the cost of
// refusing hostile ones. Claim checked here, not in unit tests: billion laughs and 20,000-deep
// nesting are refused in well under 10 ms (mean).
import { printBench } from '../support/report.js';
import { Bench } from 'tinybench';
import { parsePidf } from '../../src/codec/pidf/parse.js';
import { readFixture } from '../../test/support/fixtures.js';

const REFUSAL_BUDGET_MS = 10;

function body(dir: string, file: string): Buffer {
  const raw = readFixture(dir, file);
  return raw.subarray(raw.indexOf('\r\n\r\n') + 4);
}

export async function run(): Promise<void> {
  const linphone = body('clients', 'liblinphone-lpresence/04-PUBLISH-busy.sip');
  const rpid = readFixture('pidf', 'rfc4480-rpid.xml');
  const laughs = readFixture('pidf', 'sec-billion-laughs.xml');
  const deep = readFixture('pidf', 'sec-deep-nesting.xml');
  for (const [name, b, ok] of [['linphone', linphone, true], ['rfc4480', rpid, true], ['laughs', laughs, false], ['deep', deep, false]] as const) {
    if (parsePidf(b).ok !== ok) throw new Error(`bench fixture ${name} parsed unexpectedly`);
  }

  const bench = new Bench({ name: 'pidf-parse', time: 500, warmupTime: 100 });
  bench
    .add('noop (avoid JIT bias)', () => {})
    .add('parse linphone busy (544 B)', () => { parsePidf(linphone); })
    .add('parse rfc4480 rpid (2.4 KB)', () => { parsePidf(rpid); })
    .add('refuse billion laughs', () => { parsePidf(laughs); })
    .add('refuse deep nesting (220 KB)', () => { parsePidf(deep); });
  await bench.run();
  report(bench);

  for (const t of bench.tasks) {
    if (!t.name.startsWith('refuse')) continue;
    const r = t.result;
    if (r.state !== 'completed') continue;
    const within = r.latency.mean < REFUSAL_BUDGET_MS;
    console.log(`${within ? 'ok  ' : 'FAIL'} ${t.name}: mean ${r.latency.mean.toFixed(4)} ms < ${REFUSAL_BUDGET_MS} ms`);
    if (!within) process.exitCode = 1;
  }
}

function report(bench: Bench): void {
  printBench(bench);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
