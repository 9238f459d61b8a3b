// Piscina entry point: the named task handlers (`name` option selects one). The parse slots'
// SharedArrayBuffers arrive once, in workerData; a task names a slot and its reader fills the
// slot's output area in place.
import { Piscina } from 'piscina';
import { composeBodies, readSlotTask, type BodySpec } from './tasks.js';
import { SlotView, type SlotBuffers } from './shared-slots.js';
import type { ReadOptions } from '../codec/sip/scan.js';

interface WorkerData {
  slots: SlotBuffers[];
  read: ReadOptions;
}

const data = Piscina.workerData as WorkerData;
const views = data.slots.map((s) => new SlotView(s));

export function readSlot(task: { slot: number }): number {
  return readSlotTask(views[task.slot]!, data.read);
}

export function compose(specs: BodySpec[]): unknown {
  // One buffer for all bodies, moved (not cloned) back; offsets say where each ends.
  const bodies = composeBodies(specs);
  let total = 0;
  for (const b of bodies) total += b.length;
  const all = new Uint8Array(total);
  const ends = new Uint32Array(bodies.length);
  let off = 0;
  bodies.forEach((b, i) => {
    all.set(b, off);
    off += b.length;
    ends[i] = off;
  });
  return { all, ends };
}

export default readSlot;
