// One table format for every tinybench file: ops/s, mean and p99 per task.
import type { Bench } from 'tinybench';

export function printBench(bench: Bench, width = 40): void {
  console.log(`# ${bench.name} (node ${process.version})`);
  console.log('task'.padEnd(width), 'ops/s'.padStart(12), 'mean µs'.padStart(10), 'p99 µs'.padStart(10));
  for (const t of bench.tasks) {
    const r = t.result;
    if (r.state !== 'completed') {
      console.log(t.name.padEnd(width), r.state);
      continue;
    }
    console.log(
      t.name.padEnd(width),
      r.throughput.mean.toFixed(0).padStart(12),
      (r.latency.mean * 1000).toFixed(2).padStart(10),
      (r.latency.p99 * 1000).toFixed(2).padStart(10),
    );
  }
}

/**
 * A rate line for loops measured by hand (throughput of async pipelines kept full), with the
 * mean and p99 of the per-operation latencies when they were recorded (ms each).
 */
export function printRate(name: string, count: number, ms: number, unit = 'ops', latenciesMs: number[] = []): void {
  let lat = '';
  if (latenciesMs.length > 0) {
    const sorted = [...latenciesMs].sort((a, b) => a - b);
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
    const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!;
    lat = `  mean ${(mean * 1000).toFixed(1)} µs  p99 ${(p99 * 1000).toFixed(1)} µs per ${unit === 'ops' ? 'op' : 'task'}`;
  } else {
    lat = `  mean ${((ms * 1000) / count).toFixed(3)} µs per ${unit.replace(/s$/, '')}`;
  }
  console.log(`${name.padEnd(48)} ${((count * 1000) / ms).toFixed(0).padStart(10)} ${unit}/s  (${count} in ${ms.toFixed(0)} ms)${lat}`);
}

export function isMain(url: string): boolean {
  return url === `file://${process.argv[1]}`;
}
