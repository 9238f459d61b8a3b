// V8 settings for a long-lived server whose resident memory is mostly long-lived dialogs.
//
// The operator pays resident memory, so the server asks V8 to keep less of it:
//  - Old generation: by default V8 lets it grow to between 1.1 and 4 times what was live after
//    the last full collection before collecting again (the factor follows how fast collection
//    runs), so a server holding 100 MiB of dialogs keeps up to several hundred MiB of dead
//    objects resident, and keeps them while it idles (V8 collects only when it allocates).
//    With the factor fixed at 1 + HEAP_GROWING_PERCENT/100 the full (incremental, mostly
//    concurrent) collection comes sooner: more marking per promoted byte, far less garbage kept.
//  - Young generation: under load V8 doubles it up to 2 × 16 MiB, and both halves stay
//    resident for good. It stops growing at NURSERY_BYTES (16 MiB together, which an idle
//    server has already reached): still large enough that a request's objects die young
//    (a 1 MiB nursery promoted so much that the old generation doubled).
// Measured with bench/peers (memory, 100,000 dialogs): bench/RESULTS.md "Memory per subscription".
//
// Set at run time (node:v8 setFlagsFromString, read by V8 at each collection) so that
// `comsipl serve` needs no node flags; an operator who gives node these flags keeps theirs.
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 20;
export const NURSERY_BYTES = 16 << 20;

export interface HeapPlan {
  /** V8 flags to set now. */
  flags: string[];
  /** Stop the young generation's growth at NURSERY_BYTES. */
  capNursery: boolean;
}

/** What the server sets, leaving out what the operator gave node already. */
export function heapPlan(execArgv: readonly string[], nodeOptions: string): HeapPlan {
  const given = (flag: string): boolean => execArgv.some((a) => a.startsWith(flag)) || nodeOptions.includes(flag);
  return {
    flags: given('--heap-growing-percent') ? [] : [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`],
    capNursery: !given('--max-semi-space-size') && !given('--semi-space-growth-factor') && !given('--min-semi-space-size'),
  };
}

function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/** Growth factor 1 once the young generation is NURSERY_BYTES (checked after each collection). */
function capNursery(): void {
  const stop = (): void => setFlagsFromString('--semi-space-growth-factor=1');
  if (newSpaceBytes() >= NURSERY_BYTES) return stop();
  const obs = new PerformanceObserver(() => {
    if (newSpaceBytes() < NURSERY_BYTES) return;
    stop();
    obs.disconnect();
  });
  obs.observe({ entryTypes: ['gc'] });
}

/** Applies the server's heap settings (once, at start, before the store is restored). */
export function tuneHeap(): void {
  const plan = heapPlan(process.execArgv, process.env['NODE_OPTIONS'] ?? '');
  for (const f of plan.flags) setFlagsFromString(f);
  if (plan.capNursery) capNursery();
}
