// The key index of the server transaction table: open addressing with linear probing over one
// Int32Array (load ≤ 1/2, backward-shift deletion, so no tombstones), keyed by the 64-bit
// transaction hash. A slot holds either a Trying transaction (-(id + 1), its hashes in the
// small pool below) or a Completed one (ring index + 1, its hashes in the owner's ring).
export class OpenTable {
  /** The completed ring's hash arrays (owned by ServerTransactionTable). */
  ring: { h1: Uint32Array; h2: Uint32Array } = { h1: new Uint32Array(0), h2: new Uint32Array(0) };
  #slots = new Int32Array(4096);
  #mask = 4095;
  #completed = 0;
  // Trying pool: ids recycled through a free list; bounded by what the core has in flight.
  #tH1 = new Uint32Array(256);
  #tH2 = new Uint32Array(256);
  #tNext = new Int32Array(256);
  #tLive = new Uint8Array(256);
  #tFree = -1;
  #tUsed = 0;
  trying = 0;

  get bytes(): number {
    return this.#slots.byteLength + this.#tH1.length * (4 + 4 + 4 + 1);
  }

  #h1Of(v: number): number {
    return v > 0 ? this.ring.h1[v - 1]! : this.#tH1[-v - 1]!;
  }

  #h2Of(v: number): number {
    return v > 0 ? this.ring.h2[v - 1]! : this.#tH2[-v - 1]!;
  }

  /** Slot of the key (h1, h2), or -1. */
  find(h1: number, h2: number): number {
    const slots = this.#slots;
    for (let i = h1 & this.#mask; ; i = (i + 1) & this.#mask) {
      const v = slots[i]!;
      if (v === 0) return -1;
      if (this.#h1Of(v) === h1 && this.#h2Of(v) === h2) return i;
    }
  }

  isTrying(slot: number): boolean {
    return this.#slots[slot]! < 0;
  }

  ringIndex(slot: number): number {
    return this.#slots[slot]! - 1;
  }

  isLiveTrying(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.#tUsed && this.#tLive[id] === 1;
  }

  tryH1(id: number): number {
    return this.#tH1[id]!;
  }

  tryH2(id: number): number {
    return this.#tH2[id]!;
  }

  /** Records a new Trying key (not present: the caller looked); returns its id. */
  addTrying(h1: number, h2: number): number {
    let id = this.#tFree;
    if (id >= 0) this.#tFree = this.#tNext[id]!;
    else {
      if (this.#tUsed === this.#tH1.length) this.#growPool();
      id = this.#tUsed++;
    }
    this.#tH1[id] = h1;
    this.#tH2[id] = h2;
    this.#tLive[id] = 1;
    this.trying++;
    this.#insert(-(id + 1), h1);
    return id;
  }

  removeTrying(id: number): void {
    this.#delete(this.#slotOf(-(id + 1), this.#tH1[id]!, this.#tH2[id]!));
    this.#freeTrying(id);
  }

  /** Trying id → Completed at ring index i (the ring's h1/h2[i] already hold its hashes). */
  complete(id: number, i: number): void {
    const slot = this.#slotOf(-(id + 1), this.#tH1[id]!, this.#tH2[id]!);
    this.#slots[slot] = i + 1;
    this.#completed++;
    this.#freeTrying(id);
  }

  removeCompleted(h1: number, h2: number, i: number): void {
    this.#delete(this.#slotOf(i + 1, h1, h2));
    this.#completed--;
  }

  /** Rewrites every Completed slot value through `remap` (the ring was re-laid) and rehashes. */
  remapCompleted(remap: (ringIndex: number) => number): void {
    const old = this.#slots;
    this.#slots = new Int32Array(old.length);
    for (const v of old) if (v !== 0) this.#place(v > 0 ? remap(v - 1) + 1 : v);
  }

  #slotOf(v: number, h1: number, h2: number): number {
    const slot = this.find(h1, h2);
    if (slot < 0 || this.#slots[slot] !== v) throw new Error('transaction table: index out of step');
    return slot;
  }

  #freeTrying(id: number): void {
    this.#tLive[id] = 0;
    this.#tNext[id] = this.#tFree;
    this.#tFree = id;
    this.trying--;
  }

  #insert(v: number, h1: number): void {
    if ((this.trying + this.#completed + 1) * 2 > this.#slots.length) {
      const old = this.#slots;
      this.#slots = new Int32Array(old.length * 2);
      this.#mask = this.#slots.length - 1;
      for (const x of old) if (x !== 0) this.#place(x);
    }
    let i = h1 & this.#mask;
    while (this.#slots[i] !== 0) i = (i + 1) & this.#mask;
    this.#slots[i] = v;
  }

  #place(v: number): void {
    let i = this.#h1Of(v) & this.#mask;
    while (this.#slots[i] !== 0) i = (i + 1) & this.#mask;
    this.#slots[i] = v;
  }

  /** Backward-shift deletion: later members of the probe chain move up into the hole. */
  #delete(hole: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    slots[hole] = 0;
    for (let j = (hole + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const home = this.#h1Of(slots[j]!) & mask;
      // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (stays) continue;
      slots[hole] = slots[j]!;
      slots[j] = 0;
      hole = j;
    }
  }

  #growPool(): void {
    const n = this.#tH1.length * 2;
    const grow = <T extends Uint32Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.#tH1 = grow(this.#tH1, (k) => new Uint32Array(k));
    this.#tH2 = grow(this.#tH2, (k) => new Uint32Array(k));
    this.#tNext = grow(this.#tNext, (k) => new Int32Array(k));
    this.#tLive = grow(this.#tLive, (k) => new Uint8Array(k));
  }
}
