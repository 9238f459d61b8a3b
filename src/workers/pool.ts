// The seam between the main thread and the worker threads. `--workers 0` (the measured default
// on small machines) reads datagrams inline with the very same task functions; with N workers a
// batch of datagrams is copied into a free shared slot, a Piscina task `{ slot }` reads it there,
// and the main thread rebuilds each message over its own copy of the datagram (shared-slots.ts).
import { createRequire } from 'node:module';
import type { Piscina } from 'piscina';
import type { ReadOptions, Read } from '../codec/sip/scan.js';
import type { PidfParseResult } from '../codec/pidf/types.js';
import { composeBodies, readDatagram, type BodySpec } from './tasks.js';
import { allocateSlots, readSlot, SlotView } from './shared-slots.js';

export interface ReadResult {
  read: Read;
  pidf: PidfParseResult | null;
}

export interface TaskRunner {
  readonly threads: number;
  /** Reads a batch of datagrams; rejects when the pool is saturated (the batch is dropped, as a full socket buffer would). */
  read(datagrams: readonly { data: Buffer }[]): Promise<ReadResult[]>;
  /** Composes NOTIFY bodies. */
  compose(specs: BodySpec[]): Promise<Buffer[]>;
  close(): Promise<void>;
}

export class InlineRunner implements TaskRunner {
  readonly threads = 0;
  constructor(readonly opts: ReadOptions) {}
  read(datagrams: readonly { data: Buffer }[]): Promise<ReadResult[]> {
    return Promise.resolve(datagrams.map((d) => readDatagram(d.data, this.opts)));
  }
  compose(specs: BodySpec[]): Promise<Buffer[]> {
    return Promise.resolve(composeBodies(specs).map((u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength)));
  }
  async close(): Promise<void> {}
}

interface Waiting {
  datagrams: readonly { data: Buffer }[];
  resolve(r: ReadResult[]): void;
  reject(e: Error): void;
}

/** piscina, loaded only when a pool is made: `--workers 0` (the default) never compiles it. */
function loadPiscina(): typeof Piscina {
  return (createRequire(import.meta.url)('piscina') as { Piscina: typeof Piscina }).Piscina;
}

export class PoolRunner implements TaskRunner {
  readonly threads: number;
  readonly #pool: Piscina;
  readonly #views: SlotView[];
  readonly #free: number[];
  readonly #waiting: Waiting[] = [];
  readonly #maxWaiting: number;

  constructor(threads: number, maxQueue: number, opts: ReadOptions) {
    this.threads = threads;
    const slots = allocateSlots(threads * 2);
    this.#views = slots.map((s) => new SlotView(s));
    this.#free = slots.map((_, i) => i);
    this.#maxWaiting = maxQueue;
    const Pool = loadPiscina();
    this.#pool = new Pool({
      filename: new URL('./sip-worker.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      maxQueue,
      idleTimeout: 60_000,
      // Tasks are synchronous and pure, so the Atomics wait loop is safe and fastest.
      atomics: 'sync',
      workerData: { slots, read: { maxSize: opts.maxSize, supported: [...opts.supported] } },
    });
  }

  read(datagrams: readonly { data: Buffer }[]): Promise<ReadResult[]> {
    return new Promise((resolve, reject) => {
      if (this.#free.length === 0) {
        if (this.#waiting.length >= this.#maxWaiting) {
          reject(new Error('parse pool saturated'));
          return;
        }
        this.#waiting.push({ datagrams, resolve, reject });
        return;
      }
      this.#start({ datagrams, resolve, reject });
    });
  }

  #start(w: Waiting): void {
    const slot = this.#free.pop()!;
    const view = this.#views[slot]!;
    const results: ReadResult[] = [];
    const next = (from: number): void => {
      // A batch larger than a slot (many big datagrams) runs through it in turns.
      const n = view.fill(w.datagrams, from);
      this.#pool.run({ slot }, { name: 'readSlot' }).then(
        () => {
          for (let i = 0; i < n; i++) results.push(readSlot(view, i, w.datagrams[from + i]!.data));
          if (from + n < w.datagrams.length && n > 0) return next(from + n);
          this.#release(slot);
          w.resolve(results);
        },
        (e: Error) => {
          this.#release(slot);
          w.reject(e);
        },
      );
    };
    next(0);
  }

  #release(slot: number): void {
    this.#free.push(slot);
    const w = this.#waiting.shift();
    if (w !== undefined) this.#start(w);
  }

  async compose(specs: BodySpec[]): Promise<Buffer[]> {
    const r = (await this.#pool.run(specs, { name: 'compose' })) as { all: Uint8Array; ends: Uint32Array };
    const out: Buffer[] = [];
    let start = 0;
    for (const end of r.ends) {
      out.push(Buffer.from(r.all.buffer, r.all.byteOffset + start, end - start));
      start = end;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}

export function createRunner(threads: number, maxQueue: number, opts: ReadOptions): TaskRunner {
  return threads > 0 ? new PoolRunner(threads, maxQueue, opts) : new InlineRunner(opts);
}
