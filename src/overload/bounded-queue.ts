// A FIFO with a hard capacity, for actor mailboxes and send queues.
//
// API:
//   class BoundedQueue<T> {
//     constructor(capacity: number, initialSlots?: number)
//     push(x: T): boolean        // false (and nothing stored) when full: the caller answers 503
//     shift(): T | undefined     // oldest item, undefined when empty
//     peek(): T | undefined
//     clear(): void
//     readonly size: number
//     readonly capacity: number
//     [Symbol.iterator]()        // oldest → newest, without removing
//   }
//
// Layout: one ring buffer (array + head index + length). push and shift are O(1) and
// allocate nothing in the steady state, unlike Array#shift, which moves every element.
// undici's fixed-queue chains 2048-slot rings for an unbounded queue; ours is bounded
// instead (STYLE rule 7: every queue has a bound) and starts small, so that a million idle
// per-AoR mailboxes with capacity 1000 do not each reserve 1000 slots: the ring doubles on
// demand (a copy that is amortised O(1) per push) up to `capacity` and never shrinks.
//
//      head                 head+size (mod slots)
//       v                     v
//   [ . A B C D . . . ]    or wrapped: [ D . . . A B C ]
//
// shift() clears the slot it empties, so the queue never keeps a delivered message alive.

export class BoundedQueue<T> {
  readonly capacity: number;
  #slots: (T | undefined)[];
  #head = 0;
  #size = 0;

  constructor(capacity: number, initialSlots = 16) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    if (!Number.isInteger(initialSlots) || initialSlots < 1) throw new RangeError('initialSlots must be a positive integer');
    this.capacity = capacity;
    this.#slots = new Array<T | undefined>(Math.min(capacity, initialSlots));
  }

  get size(): number {
    return this.#size;
  }

  push(x: T): boolean {
    if (this.#size === this.capacity) return false;
    if (this.#size === this.#slots.length) this.#grow();
    const len = this.#slots.length;
    let tail = this.#head + this.#size;
    if (tail >= len) tail -= len;
    this.#slots[tail] = x;
    this.#size++;
    return true;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const x = this.#slots[this.#head];
    this.#slots[this.#head] = undefined;
    this.#head++;
    if (this.#head === this.#slots.length) this.#head = 0;
    this.#size--;
    return x;
  }

  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#slots[this.#head];
  }

  clear(): void {
    this.#slots.fill(undefined);
    this.#head = 0;
    this.#size = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    const len = this.#slots.length;
    for (let i = 0; i < this.#size; i++) {
      let at = this.#head + i;
      if (at >= len) at -= len;
      yield this.#slots[at] as T;
    }
  }

  /** Doubles the ring (capped at capacity), unwrapping it so the head moves to slot 0. */
  #grow(): void {
    const old = this.#slots;
    const next = new Array<T | undefined>(Math.min(this.capacity, old.length * 2));
    for (let i = 0; i < this.#size; i++) {
      let at = this.#head + i;
      if (at >= old.length) at -= old.length;
      next[i] = old[at];
    }
    this.#slots = next;
    this.#head = 0;
  }
}
