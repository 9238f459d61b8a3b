// Piscina entry point: exports the named task handlers (`name` option selects one).
// Results are msgpack bytes moved back to the main thread without a copy.
import { Piscina } from 'piscina';
import { parseBatch as parseTask, renderBatch as renderTask } from './tasks.js';
import type { ParseBatchInput, RenderBatchInput } from '../codec/wire/packr.js';

// packr.pack() returns a view into msgpackr's reusable buffer: copy it into a buffer of its
// own before moving, or the transfer would detach (and structured clone copy) the shared one.
function movable(packed: Uint8Array): unknown {
  const own = new Uint8Array(packed.length);
  own.set(packed);
  return Piscina.move(own);
}

export function parseBatch(input: ParseBatchInput): unknown {
  return movable(parseTask(input));
}

export function renderBatch(input: RenderBatchInput): unknown {
  return movable(renderTask(input));
}

export default parseBatch;
