// Repair of lost change hints. Pub/sub delivers at most once and nothing while a node is cut
// off, so every node also compares, at a steady pace, the versions it holds with the stored
// ones (a few hundred AoRs per step, round robin over what it holds), and all of them at once
// after a reconnect. A difference becomes the same message a hint would have been.
import type { ActorSystem } from '../actors/system.js';
import type { RedisStore } from '../store/redis-store.js';

/** AoRs of each kind compared per step. */
const CHUNK = 500;

class RoundRobin {
  #keys: string[] = [];
  #at = 0;
  constructor(readonly source: () => Iterable<string>) {}
  /** The next `n` keys; a new pass starts from a fresh list of what is held. */
  next(n: number): string[] {
    if (this.#at >= this.#keys.length) {
      this.#keys = [...this.source()];
      this.#at = 0;
    }
    const out = this.#keys.slice(this.#at, this.#at + n);
    this.#at += out.length;
    return out;
  }
  get passDone(): boolean {
    return this.#at >= this.#keys.length;
  }
  restart(): void {
    this.#keys = [];
    this.#at = 0;
  }
}

export class Repair {
  readonly #store: RedisStore;
  readonly #sys: ActorSystem;
  readonly #pres: RoundRobin;
  readonly #regs: RoundRobin;
  #running = false;
  /** Changes found that no hint had brought (a lost hint, or a cut-off connection). */
  repaired = 0;

  constructor(store: RedisStore, sys: ActorSystem) {
    this.#store = store;
    this.#sys = sys;
    this.#pres = new RoundRobin(() => sys.presentities.keys());
    this.#regs = new RoundRobin(() => sys.registrations.keys());
  }

  /** One step of the steady pass. */
  async step(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await this.#compare(this.#pres.next(CHUNK), this.#regs.next(CHUNK));
    } finally {
      this.#running = false;
    }
  }

  /** Everything held, now (after a reconnect). */
  async full(): Promise<void> {
    this.#pres.restart();
    this.#regs.restart();
    do await this.#compare(this.#pres.next(CHUNK), this.#regs.next(CHUNK));
    while (!this.#pres.passDone || !this.#regs.passDone);
  }

  async #compare(pres: string[], regs: string[]): Promise<void> {
    const [pv, rv] = await Promise.all([this.#store.versions('p', pres), this.#store.versions('r', regs)]);
    pres.forEach((aor, i) => {
      const a = this.#sys.presentities.get(aor);
      if (a !== undefined && a.state.rev >= 0 && pv[i]! > a.state.rev) {
        this.repaired++;
        a.tell({ t: 'remote', rev: pv[i]! });
      }
    });
    regs.forEach((aor, i) => {
      const a = this.#sys.registrations.get(aor);
      if (a !== undefined && a.rev >= 0 && rv[i]! > a.rev) {
        this.repaired++;
        a.tell({ t: 'remote', rev: rv[i]! });
      }
    });
  }
}
