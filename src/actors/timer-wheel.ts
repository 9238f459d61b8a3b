// A hashed timer wheel for millions of expiries (publications, subscriptions, bindings): one
// bucket entry per item and no setTimeout per item.
//
// Intrusive on purpose: the scheduled object carries its own slot and index (`Timed`), so
// cancel and reschedule are O(1) swap-removes, and no stale entry keeps an ended subscription
// alive until its old deadline (a subscribe/unsubscribe load would otherwise pile up millions).

/** What the wheel schedules: the owner's object itself, with two fields the wheel manages. */
export interface Timed {
  /** Slot number while scheduled, -1 when not (-2 only while its slot is firing). */
  slot: number;
  /** Index inside the slot's bucket while scheduled. */
  idx: number;
}

export class TimerWheel<T extends Timed> {
  readonly #resolution: number;
  readonly #slots = new Map<number, T[]>();
  #cursor: number; // next slot number to fire
  #count = 0;

  constructor(resolutionMs: number, now: number) {
    this.#resolution = resolutionMs;
    this.#cursor = Math.floor(now / resolutionMs);
  }

  get size(): number {
    return this.#count;
  }

  /** Schedules (or moves) `item` to fire at `at`. */
  schedule(item: T, at: number): void {
    if (item.slot >= 0) this.cancel(item);
    // Never into a slot that already fired: it would wait for a full turn of the clock.
    const slot = Math.max(Math.ceil(at / this.#resolution), this.#cursor);
    let list = this.#slots.get(slot);
    if (list === undefined) {
      list = [];
      this.#slots.set(slot, list);
    }
    item.slot = slot;
    item.idx = list.length;
    list.push(item);
    this.#count++;
  }

  cancel(item: T): void {
    const slot = item.slot;
    if (slot < 0) {
      item.slot = -1; // also withdraws an item due in the slot now firing (-2)
      return;
    }
    item.slot = -1;
    const list = this.#slots.get(slot);
    if (list === undefined || list[item.idx] !== item) return;
    const last = list.pop()!;
    if (last !== item) {
      list[item.idx] = last;
      last.idx = item.idx;
    }
    this.#count--;
    if (list.length === 0) this.#slots.delete(slot);
  }

  /** Fires every slot up to `now` in time order; `fire` may schedule again. */
  advance(now: number, fire: (item: T) => void): void {
    const last = Math.floor(now / this.#resolution);
    if (this.#count === 0) {
      this.#cursor = Math.max(this.#cursor, last + 1);
      return;
    }
    while (this.#cursor <= last) {
      const slot = this.#cursor++;
      const list = this.#slots.get(slot);
      if (list === undefined) continue;
      this.#slots.delete(slot);
      this.#count -= list.length;
      // -2 = due now. An earlier fire() of this slot may cancel (-1) or reschedule (>= 0) a
      // later item of the same slot: it then does not fire here.
      for (const item of list) item.slot = -2;
      for (const item of list) {
        if (item.slot !== -2) continue;
        item.slot = -1;
        fire(item);
      }
    }
  }
}
