// A FIFO of (deadline, item) for timers that all share one interval. When every entry is
// pushed with `now + constant`, deadlines arrive in order, so expiry is a pop from the head:
// no heap and no per-entry setTimeout, which matters at tens of thousands of timers a second.
// Cancelled entries are left in place and skipped by the owner (lazy deletion).

export class DeadlineQueue<T> {
  #deadlines: number[] = [];
  #items: T[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(deadline: number, item: T): void {
    this.#deadlines.push(deadline);
    this.#items.push(item);
  }

  /** Remove and hand over every entry whose deadline is <= now, in order. */
  drain(now: number, each: (item: T) => void): void {
    while (this.#head < this.#items.length && this.#deadlines[this.#head]! <= now) {
      const item = this.#items[this.#head]!;
      this.#items[this.#head] = undefined as T; // let the item be collected
      this.#head++;
      each(item);
    }
    // Compact once the consumed prefix dominates, so memory stays proportional to size.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#deadlines = this.#deadlines.slice(this.#head);
      this.#head = 0;
    }
  }
}
