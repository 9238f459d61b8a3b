// The seam between the main thread and the parse/render tasks: a Piscina pool, or the same
// task functions inline (`--workers 0`). Both return already-decoded records.
import { Piscina } from 'piscina';
import { packr, type ParseBatchInput, type ParsedRecord, type RenderBatchInput } from '../codec/wire/packr.js';
import { parseRecords, renderNotifies } from './tasks.js';

export interface TaskRunner {
  readonly threads: number;
  parse(input: ParseBatchInput): Promise<ParsedRecord[]>;
  render(input: RenderBatchInput): Promise<Buffer[]>;
  close(): Promise<void>;
}

export class InlineRunner implements TaskRunner {
  readonly threads = 0;
  parse(input: ParseBatchInput): Promise<ParsedRecord[]> {
    return Promise.resolve(parseRecords(input));
  }
  render(input: RenderBatchInput): Promise<Buffer[]> {
    return Promise.resolve(renderNotifies(input));
  }
  async close(): Promise<void> {}
}

export class PoolRunner implements TaskRunner {
  readonly threads: number;
  readonly #pool: Piscina;

  constructor(threads: number, maxQueue: number) {
    this.threads = threads;
    this.#pool = new Piscina({
      filename: new URL('./sip-worker.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      maxQueue,
      idleTimeout: 60_000,
      // Tasks are synchronous and pure, so the Atomics wait loop is safe and fastest.
      atomics: 'sync',
    });
  }

  get queueSize(): number {
    return this.#pool.queueSize;
  }

  async parse(input: ParseBatchInput): Promise<ParsedRecord[]> {
    // input.data is a standalone buffer built for this batch: transfer it, never clone it.
    const out = (await this.#pool.run(input, { name: 'parseBatch', transferList: [input.data.buffer as ArrayBuffer] })) as Uint8Array;
    return packr.unpack(out) as ParsedRecord[];
  }

  async render(input: RenderBatchInput): Promise<Buffer[]> {
    const out = (await this.#pool.run(input, { name: 'renderBatch' })) as Uint8Array;
    return (packr.unpack(out) as Uint8Array[]).map((u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength));
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}

export function createRunner(threads: number, maxQueue: number): TaskRunner {
  return threads > 0 ? new PoolRunner(threads, maxQueue) : new InlineRunner();
}
