// Rendering NOTIFYs for one presentity change: the body composed once, then the request
// bytes for 1 / 100 watchers (what the notifier hands to a render task).
import { Bench } from 'tinybench';
import { renderNotifies } from '../../src/workers/tasks.js';
import { parsePidf } from '../../src/codec/pidf/parse.js';
import type { NotifySpec, RenderBatchInput } from '../../src/codec/wire/packr.js';
import { readFixture } from '../../test/support/fixtures.js';
import { printBench, isMain } from '../support/report.js';

function input(watchers: number): RenderBatchInput {
  const r = parsePidf(readFixture('pidf', 'rfc4479-data-model.xml'));
  if (!r.ok) throw new Error(r.reason);
  const spec = (i: number): NotifySpec => ({
    uri: `sip:w${i}@127.0.0.1:5070`, viaHost: '127.0.0.1', viaPort: 5060, branch: `z9hG4bKbench${i}`, routes: [],
    from: '<sip:alice@example.com>;tag=abc', to: `<sip:w${i}@example.com>;tag=def${i}`, callId: `call-${i}`, cseq: 7,
    contact: '<sip:127.0.0.1:5060>', event: 'presence', state: 'active;expires=3599', contentType: 'application/pidf+xml',
    userAgent: 'ComSIPL/bench', body: 0,
  });
  return { bodies: [{ kind: 'pidf', entity: 'sip:alice@example.com', pubs: [{ etag: 'e1', modified: 1, doc: r.doc }] }], notifies: Array.from({ length: watchers }, (_, i) => spec(i)) };
}

export async function run(): Promise<void> {
  const one = input(1);
  const hundred = input(100);
  const bench = new Bench({ name: 'notify-render', time: 500, warmupTime: 100 });
  bench.add('noop (avoid JIT bias)', () => {});
  bench.add('1 watcher (compose + 1 NOTIFY)', () => { renderNotifies(one); });
  bench.add('100 watchers (compose + 100 NOTIFYs)', () => { renderNotifies(hundred); });
  await bench.run();
  printBench(bench);
}

if (isMain(import.meta.url)) await run();
