// Rendering NOTIFYs for one presentity change: the body composed once, then the request bytes
// for 1 / 100 watchers, as the notifier does per change (renderNotify per dialog).
import { Bench } from 'tinybench';
import { composeBodies } from '../../src/workers/tasks.js';
import { renderNotify, type NotifyDialog } from '../../src/codec/sip/notify.js';
import { parsePidf } from '../../src/codec/pidf/parse.js';
import { readFixture } from '../../test/support/fixtures.js';
import { printBench, isMain } from '../support/report.js';

function dialogs(n: number): NotifyDialog[] {
  return Array.from({ length: n }, (_, i) => ({
    target: `sip:w${i}@127.0.0.1:5070`, routes: [], localUri: '<sip:alice@example.com>', tag: `tag${i}x`, remoteUri: `<sip:w${i}@example.com>`,
    remoteTag: `def${i}`, callId: `call-${i}@bench`, event: 'presence', eventId: null,
  }));
}

function change(watchers: NotifyDialog[], pubs: Parameters<typeof composeBodies>[0][0]['pubs']): void {
  const body = Buffer.from(composeBodies([{ entity: 'sip:alice@example.com', pubs }])[0]!);
  for (const d of watchers) {
    renderNotify(d, { local: '127.0.0.1:5060', transport: 'UDP', branch: 'z9hG4bKbench1234', cseq: 7, state: 'active;expires=3599', userAgent: 'ComSIPL/bench', contentType: 'application/pidf+xml', body });
  }
}

export async function run(): Promise<void> {
  const r = parsePidf(readFixture('pidf', 'rfc4479-data-model.xml'));
  if (!r.ok) throw new Error(r.reason);
  const pubs = [{ etag: 'e1', modified: 1, doc: r.doc }];
  const one = dialogs(1);
  const hundred = dialogs(100);
  const bench = new Bench({ name: 'notify-render', time: 500, warmupTime: 100 });
  bench.add('noop (avoid JIT bias)', () => {});
  bench.add('1 watcher (compose + 1 NOTIFY)', () => change(one, pubs));
  bench.add('100 watchers (compose + 100 NOTIFYs)', () => change(hundred, pubs));
  await bench.run();
  printBench(bench);
}

if (isMain(import.meta.url)) await run();
