// Highest clean rate of one scenario on one server: ×factor ramp from a start rate until the
// first unclean step (down by the same factor when the start itself is unclean), then bisection
// between the last clean and the first unclean rate. Every step is a fresh server (steps.ts).
// Bounded: at most `maxSteps` ramp steps and `bisections` bisection steps.
import { formatStep, runStep, type RateScenario, type StepResult } from './steps.js';
import type { ServerName, ServerOptions } from './servers.js';

export interface RampOptions {
  start: number;
  factor: number;
  maxSteps: number;
  bisections: number;
  /** Bisection stops once (unclean − clean) / clean is below this. */
  resolution: number;
  stepSeconds: number;
  graceSeconds: number;
}

export interface RampResult {
  /** Highest clean offered rate (0 = none found). */
  maxRate: number;
  /** The ramp never reached an unclean step: maxRate is a lower bound. */
  lowerBound: boolean;
  /** Lowest unclean rate tried (null when none). */
  firstUnclean: number | null;
  steps: StepResult[];
}

export async function findMaxRate(
  o: ServerOptions, server: ServerName, scenario: RateScenario, r: RampOptions, log: (s: string) => void,
): Promise<RampResult> {
  const steps: StepResult[] = [];
  const step = async (rate: number): Promise<boolean> => {
    const s = await runStep(o, server, scenario, rate, r.stepSeconds, r.graceSeconds);
    steps.push(s);
    log(`    ${server} ${scenario} step ${steps.length}: ${formatStep(s)}`);
    return s.clean;
  };
  let clean = 0;
  let unclean: number | null = null;
  let rate = Math.max(1, Math.round(r.start));
  if (await step(rate)) {
    clean = rate;
    for (let i = 1; i < r.maxSteps; i++) {
      rate = Math.round(rate * r.factor);
      if (!(await step(rate))) {
        unclean = rate;
        break;
      }
      clean = rate;
    }
  } else {
    unclean = rate;
    for (let i = 1; i < r.maxSteps && rate > 1; i++) {
      rate = Math.max(1, Math.round(rate / r.factor));
      if (await step(rate)) {
        clean = rate;
        break;
      }
      unclean = rate;
    }
  }
  if (unclean !== null && clean > 0) {
    for (let i = 0; i < r.bisections && (unclean - clean) / clean >= r.resolution; i++) {
      const mid = Math.round((clean + unclean) / 2);
      if (mid === clean || mid === unclean) break;
      if (await step(mid)) clean = mid;
      else unclean = mid;
    }
  }
  return { maxRate: clean, lowerBound: unclean === null, firstUnclean: unclean, steps };
}
