// A FIFO of (deadline, slot, generation) for timers that all share one interval. Entries
// pushed with `now + constant` arrive in deadline order, so expiry is a pop from the head:
// no heap, no setTimeout and no object per timer (three typed-array rings, doubled when
// full), which matters at tens of thousands of transactions a second. A cancelled timer is
// left in place; its owner skips it when the generation no longer matches (lazy deletion).

export class TimerFifo {
  #deadline = new Float64Array(1024);
  #slot = new Int32Array(1024);
  #gen = new Int32Array(1024);
  #mask = 1023;
  #head = 0;
  #size = 0;
  /** Slot and generation of the entry taken by the last `shift()`. */
  slot = 0;
  gen = 0;

  get size(): number {
    return this.#size;
  }

  push(deadline: number, slot: number, gen: number): void {
    if (this.#size > this.#mask) this.#grow();
    const i = (this.#head + this.#size) & this.#mask;
    this.#deadline[i] = deadline;
    this.#slot[i] = slot;
    this.#gen[i] = gen;
    this.#size++;
  }

  /** True when the head entry's deadline is <= now. */
  due(now: number): boolean {
    return this.#size > 0 && this.#deadline[this.#head]! <= now;
  }

  /** Remove the head entry into `slot` / `gen`. */
  shift(): void {
    const i = this.#head;
    this.slot = this.#slot[i]!;
    this.gen = this.#gen[i]!;
    this.#head = (i + 1) & this.#mask;
    this.#size--;
  }

  #grow(): void {
    const cap = (this.#mask + 1) * 2;
    const deadline = new Float64Array(cap);
    const slot = new Int32Array(cap);
    const gen = new Int32Array(cap);
    for (let k = 0; k < this.#size; k++) {
      const i = (this.#head + k) & this.#mask;
      deadline[k] = this.#deadline[i]!;
      slot[k] = this.#slot[i]!;
      gen[k] = this.#gen[i]!;
    }
    this.#deadline = deadline;
    this.#slot = slot;
    this.#gen = gen;
    this.#mask = cap - 1;
    this.#head = 0;
  }
}
