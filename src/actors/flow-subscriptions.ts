// Which watcher dialogs take their NOTIFYs on which flow (connection), so that a flow that
// closes ends exactly its own dialogs: each one by a message to the presentity actor that owns
// it (state changes only in its actor), none of the others disturbed (Kamailio #4118).
// Only connection flows are indexed (UDP has none); a flow's list holds dialog tags and is
// compacted as it grows, so a long-lived connection that subscribes and unsubscribes again
// and again does not pile up ended dialogs.
import { sourceText, type Destination } from '../transport/destination.js';
import type { ActorSystem } from './system.js';

export class FlowSubscriptions {
  readonly #sys: ActorSystem;
  readonly #byFlow = new Map<number, { source: string; tags: string[]; compactAt: number }>();

  constructor(sys: ActorSystem) {
    this.#sys = sys;
  }

  /** Flows with at least one dialog bound. */
  get size(): number {
    return this.#byFlow.size;
  }

  /** The dialog `tag` takes its NOTIFYs on the flow of `source`. */
  bind(source: Destination, tag: string): void {
    if (!source.flow) return;
    let e = this.#byFlow.get(source.flow);
    if (e === undefined) {
      e = { source: sourceText(source), tags: [], compactAt: 16 };
      this.#byFlow.set(source.flow, e);
    }
    e.tags.push(tag);
    if (e.tags.length >= e.compactAt) {
      const src = e.source;
      e.tags = e.tags.filter((t) => this.#sys.directory.get(t)?.source === src);
      e.compactAt = Math.max(16, e.tags.length * 2);
    }
  }

  /** The flow closed: every dialog still on it ends without a NOTIFY. Returns how many. */
  closed(flow: number, reason = 'flow closed'): number {
    const e = this.#byFlow.get(flow);
    if (e === undefined) return 0;
    this.#byFlow.delete(flow);
    let n = 0;
    for (const tag of e.tags) {
      const sub = this.#sys.directory.get(tag);
      // Refreshed over another flow since, or ended: not this flow's any more.
      if (sub === undefined || sub.source !== e.source) continue;
      const owner = this.#sys.ownerOf(tag);
      if (owner === undefined) continue;
      owner.tell({ t: 'drop', sub, reason });
      n++;
    }
    return n;
  }
}
