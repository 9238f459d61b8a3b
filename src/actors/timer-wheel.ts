// A hashed timer wheel: millions of expiries (publications, subscriptions, bindings, NOTIFY
// retransmissions) cost one bucket entry each and no setTimeout per item. Cancelling is lazy by
// default — when a slot fires, its owner checks whether the item is still due and ignores stale
// entries — or explicit with cancel(slot, key) where a stale entry would keep a large object
// alive until its old deadline (an ended subscription).
export class TimerWheel<K> {
  readonly #resolution: number;
  readonly #slots = new Map<number, K[]>();
  #cursor: number; // next slot index to fire
  #count = 0;

  constructor(resolutionMs: number, now: number) {
    this.#resolution = resolutionMs;
    this.#cursor = Math.floor(now / resolutionMs);
  }

  get size(): number {
    return this.#count;
  }

  /** Returns the slot, for cancel(). */
  schedule(at: number, key: K): number {
    // Never schedule into a slot that already fired: it would wait for a full rescan.
    const slot = Math.max(Math.ceil(at / this.#resolution), this.#cursor);
    let list = this.#slots.get(slot);
    if (list === undefined) {
      list = [];
      this.#slots.set(slot, list);
    }
    list.push(key);
    this.#count++;
    return slot;
  }

  /** Removes `key` from `slot` (a slot holds about a second of deadlines: a short scan). */
  cancel(slot: number, key: K): void {
    const list = this.#slots.get(slot);
    if (list === undefined) return;
    const i = list.lastIndexOf(key);
    if (i < 0) return;
    list[i] = list[list.length - 1]!;
    list.pop();
    this.#count--;
    if (list.length === 0) this.#slots.delete(slot);
  }

  /** Fires every slot up to `now` in time order; `fire` may schedule again. */
  advance(now: number, fire: (key: K) => void): void {
    const last = Math.floor(now / this.#resolution);
    // Skip long idle gaps quickly when the wheel is empty.
    if (this.#count === 0) {
      this.#cursor = last + 1;
      return;
    }
    while (this.#cursor <= last) {
      const slot = this.#cursor++;
      const list = this.#slots.get(slot);
      if (list === undefined) continue;
      this.#slots.delete(slot);
      this.#count -= list.length;
      for (const key of list) fire(key);
    }
  }
}
