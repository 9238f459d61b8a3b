// Parse throughput through the Piscina pool vs the same task inline, single and batched,
// with the queue kept full (piscina's own benchmark style). Datagrams per second.
import { performance } from 'node:perf_hooks';
import { createRunner } from '../../src/workers/pool.js';
import { batchOf, REGISTER, PUBLISH, SUBSCRIBE } from '../support/requests.js';
import { printRate, isMain } from '../support/report.js';

async function measure(threads: number, batch: number, totalDatagrams: number): Promise<void> {
  const runner = createRunner(threads, 4096);
  const inFlight = Math.max(2, threads * 4);
  const batches = Math.ceil(totalDatagrams / batch);
  const sample = batchOf([REGISTER, PUBLISH, SUBSCRIBE], batch);
  const one = () => runner.parse({ data: sample.data.slice(), ends: sample.ends, maxSize: 65507, extensions: [] });
  await Promise.all(Array.from({ length: inFlight }, one)); // warm up
  const t0 = performance.now();
  let started = 0;
  const latencies: number[] = [];
  const lane = async (): Promise<void> => {
    while (started < batches) {
      started++;
      const s = performance.now();
      await one();
      latencies.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  printRate(`parse: ${threads === 0 ? 'inline' : `${threads} worker(s)`}, batch ${batch}`, batches * batch, performance.now() - t0, 'datagrams', latencies);
  await runner.close();
}

export async function run(): Promise<void> {
  console.log(`# pool-roundtrip (node ${process.version})`);
  for (const threads of [0, 1, 2]) {
    for (const batch of [1, 16, 64]) await measure(threads, batch, batch === 1 ? 20_000 : 100_000);
  }
}

if (isMain(import.meta.url)) await run();
