// msgpack round trip of the worker records (a batch of 64 parsed requests), the cost the
// worker boundary adds on top of parsing.
import { Bench } from 'tinybench';
import { packr } from '../../src/codec/wire/packr.js';
import { parseRecords } from '../../src/workers/tasks.js';
import { batchOf, REGISTER, PUBLISH, SUBSCRIBE } from '../support/requests.js';
import { printBench, isMain } from '../support/report.js';

export async function run(): Promise<void> {
  const { data, ends } = batchOf([REGISTER, PUBLISH, SUBSCRIBE], 64);
  const records = parseRecords({ data, ends, maxSize: 65507, extensions: [] });
  const packed = packr.pack(records);
  const bench = new Bench({ name: 'wire-packr (64 records)', time: 500, warmupTime: 100 });
  bench.add('noop (avoid JIT bias)', () => {});
  bench.add('pack 64 records', () => { packr.pack(records); });
  bench.add('unpack 64 records', () => { packr.unpack(packed); });
  bench.add('parse 64 datagrams (inline task)', () => { parseRecords({ data, ends, maxSize: 65507, extensions: [] }); });
  await bench.run();
  printBench(bench);
  console.log(`packed batch size: ${packed.length} bytes for ${data.length} bytes of SIP`);
}

if (isMain(import.meta.url)) await run();
