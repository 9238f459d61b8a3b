// V8 settings for a long-lived server whose resident memory is mostly long-lived dialogs.
//
// The operator pays resident memory, so the server asks V8 to keep less of it: by default V8
// lets the old generation grow to between 1.1 and 4 times what was live after the last full
// collection before it collects again (the factor chosen from how fast collection runs), so a
// server holding 100 MiB of dialogs keeps up to several hundred MiB of dead objects resident,
// and does not return them while it idles (V8 collects only when it allocates). With the
// factor fixed at 1 + HEAP_GROWING_PERCENT/100 a full (incremental, mostly concurrent)
// collection comes sooner: more marking work per promoted byte, far less garbage resident.
// Measured with bench/peers (memory, 100,000 dialogs): bench/RESULTS.md "Memory per subscription".
//
// Set at run time (node:v8 setFlagsFromString) so that `comsipl serve` needs no node flags; an
// operator who passes --heap-growing-percent to node keeps theirs.
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 20;

/** The V8 flags the server sets, leaving out any the operator gave node already. */
export function heapFlags(execArgv: readonly string[], nodeOptions: string): string[] {
  const given = (flag: string): boolean => execArgv.some((a) => a.startsWith(flag)) || nodeOptions.includes(flag);
  return given('--heap-growing-percent') ? [] : [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`];
}

/** Applies the server's heap settings (once, at start, before the store is restored). */
export function tuneHeap(): void {
  for (const f of heapFlags(process.execArgv, process.env['NODE_OPTIONS'] ?? '')) setFlagsFromString(f);
}
