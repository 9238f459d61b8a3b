// A periodic one-line health report (info level, every --stats-interval seconds): what an
// operator looks at first — traffic counters, work in flight, state held, event-loop delay and
// heap. Never per message; the histogram costs nothing between reports.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from './log.js';

export interface StatsSource {
  counters(): Record<string, number>;
}

export class StatsReporter {
  readonly #log: Logger;
  readonly #source: StatsSource;
  readonly #delay: IntervalHistogram;
  #timer: NodeJS.Timeout | null = null;

  constructor(log: Logger, source: StatsSource) {
    this.#log = log;
    this.#source = source;
    this.#delay = monitorEventLoopDelay({ resolution: 10 });
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.#delay.enable();
    this.#timer = setInterval(() => this.report(), intervalMs);
    this.#timer.unref();
  }

  report(): void {
    const d = this.#delay;
    const mem = process.memoryUsage();
    this.#log.info(
      {
        ...this.#source.counters(),
        loopDelayMs: { p50: +(d.percentile(50) / 1e6).toFixed(1), p99: +(d.percentile(99) / 1e6).toFixed(1), max: +(d.max / 1e6).toFixed(1) },
        heapMiB: Math.round(mem.heapUsed / 1048576),
        rssMiB: Math.round(mem.rss / 1048576),
      },
      'stats',
    );
    d.reset();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#delay.disable();
  }
}
