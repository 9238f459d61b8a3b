// A periodic one-line health report (info level, every --stats-interval seconds): what an
// operator looks at first — traffic counters, work in flight, state held, event-loop delay and
// heap. Never per message; the histogram costs nothing between reports.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from './log.js';

/** Sampling step of the delay histogram. Node records the whole interval between samples, step
 * included, so an idle loop would read ~10 ms: the step is subtracted to report the lateness. */
const RESOLUTION_MS = 10;

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
    this.#delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.#delay.enable();
    this.#timer = setInterval(() => this.report(), intervalMs);
    this.#timer.unref();
  }

  report(): void {
    const d = this.#delay;
    const late = (ns: number): number => +Math.max(0, ns / 1e6 - RESOLUTION_MS).toFixed(1);
    const mem = process.memoryUsage();
    this.#log.info(
      {
        ...this.#source.counters(),
        loopDelayMs: { p50: late(d.percentile(50)), p99: late(d.percentile(99)), max: late(d.max) },
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
