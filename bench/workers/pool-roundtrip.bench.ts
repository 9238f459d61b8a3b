// Read throughput through the Piscina pool (datagrams in shared slots, a `{ slot }` task) vs
// the same task inline, single and batched, with the queue kept full (piscina's own benchmark
// style). Datagrams per second, and the main thread's CPU per datagram (what a worker saves it).
import { performance } from 'node:perf_hooks';
import { createRunner } from '../../src/workers/pool.js';
import { batchOf, REGISTER, PUBLISH, SUBSCRIBE } from '../support/requests.js';
import { printRate, isMain } from '../support/report.js';
import { readFileSync } from 'node:fs';

/** CPU time of this process's main thread (Linux schedstat; 0 elsewhere). */
function mainThreadCpuNs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

async function measure(threads: number, batch: number, totalDatagrams: number): Promise<void> {
  const runner = createRunner(threads, 4096, { maxSize: 65507, supported: [] });
  const inFlight = Math.max(2, threads * 2);
  const batches = Math.ceil(totalDatagrams / batch);
  const sample = batchOf([REGISTER, PUBLISH, SUBSCRIBE], batch);
  const datagrams = Array.from(sample.ends, (end, i) => ({ data: Buffer.from(sample.data.subarray(i === 0 ? 0 : sample.ends[i - 1]!, end)) }));
  const one = () => runner.read(datagrams);
  await Promise.all(Array.from({ length: inFlight }, one)); // warm up
  const t0 = performance.now();
  const cpu0 = mainThreadCpuNs();
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
  const mainUs = (mainThreadCpuNs() - cpu0) / 1000 / (batches * batch);
  printRate(`read: ${threads === 0 ? 'inline' : `${threads} worker(s)`}, batch ${batch} (main thread ${mainUs.toFixed(2)} µs/datagram)`, batches * batch, performance.now() - t0, 'datagrams', latencies);
  await runner.close();
}

export async function run(): Promise<void> {
  console.log(`# pool-roundtrip (node ${process.version})`);
  for (const threads of [0, 1, 2]) {
    for (const batch of [1, 16, 64]) await measure(threads, batch, batch === 1 ? 20_000 : 100_000);
  }
}

if (isMain(import.meta.url)) await run();
