// The shared store's two connections to Redis/Valkey (node-redis, `@redis/client`): one for
// commands and scripts, one subscribed to the group's channel. While Redis cannot be reached,
// commands fail at once (no offline queue: a queued write would hold its request past any
// retry) as StoreUnavailableError; the client reconnects by itself (backoff up to 1 s) and
// says so through onState.
import { createClient, ErrorReply, RESP_TYPES } from '@redis/client';
import { StoreUnavailableError } from './store.js';
import { StoreError } from './fdb-store.js';
import type { Script } from './redis-scripts.js';
import type { Arg } from './redis-codec.js';
import type { Logger } from '../log.js';

export type Reply = Buffer | number | null | Reply[];

// Redis answers these while it cannot take writes (loading its AOF, out of memory, a replica, a
// failed background save…): the request may be tried again later.
const TRANSIENT = /^(LOADING|BUSY|OOM|READONLY|MISCONF|NOREPLICAS|TRYAGAIN|MASTERDOWN|CLUSTERDOWN)\b/;

export class RedisConnection {
  readonly url: string;
  readonly #client;
  readonly #sub;
  readonly #log: Logger;
  #closed = false;
  readonly #listeners: ((ready: boolean) => void)[] = [];
  #lastErrorLog = 0;

  constructor(url: string, log: Logger) {
    this.url = url;
    this.#log = log;
    const base = createClient({
      url,
      RESP: 2,
      disableOfflineQueue: true,
      socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000) },
    });
    this.#client = base.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    this.#sub = base.duplicate();
    for (const [name, c] of [['commands', base], ['subscriber', this.#sub]] as const) {
      c.on('error', (e: Error) => this.#onError(name, e));
      c.on('ready', () => this.#state(true));
      c.on('end', () => this.#state(false));
      c.on('reconnecting', () => this.#state(false));
    }
  }

  get available(): boolean {
    return this.#client.isReady && this.#sub.isReady;
  }

  /** Called with true when both connections are (back) up, false when one is lost. */
  onState(f: (ready: boolean) => void): void {
    this.#listeners.push(f);
  }

  #state(ready: boolean): void {
    if (this.#closed) return;
    const up = ready && this.available;
    for (const f of this.#listeners) f(up);
  }

  #onError(which: string, e: Error): void {
    // node-redis emits one error per failed reconnect attempt: log the first, then once a second.
    const now = Date.now();
    if (now - this.#lastErrorLog < 1000) return;
    this.#lastErrorLog = now;
    this.#log.warn({ err: e.message, connection: which, url: this.url }, 'redis connection problem');
  }

  /** Connects both; a clear StoreError when Redis cannot be reached within `timeoutMs`. */
  async connect(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreError(`cannot reach the store at ${this.url} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all([this.#client.connect(), this.#sub.connect()]), deadline]);
    } catch (e) {
      this.#client.destroy();
      this.#sub.destroy();
      throw e instanceof StoreError ? e : new StoreError(`cannot reach the store at ${this.url}: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of [this.#client, this.#sub]) {
      if (c.isOpen) await c.close().catch(() => c.destroy());
      else c.destroy();
    }
  }

  async cmd(args: Arg[]): Promise<Reply> {
    try {
      return (await this.#client.sendCommand(args)) as Reply;
    } catch (e) {
      throw this.#classify(e as Error);
    }
  }

  /** EVALSHA, and EVAL once when Redis lost its script cache (a restart). */
  async run(s: Script, args: Arg[]): Promise<Reply> {
    try {
      return (await this.#client.sendCommand(['EVALSHA', s.sha, '0', ...args])) as Reply;
    } catch (e) {
      if (!(e instanceof ErrorReply) || !e.message.startsWith('NOSCRIPT')) throw this.#classify(e as Error);
    }
    try {
      return (await this.#client.sendCommand(['EVAL', s.source, '0', ...args])) as Reply;
    } catch (e) {
      throw this.#classify(e as Error);
    }
  }

  async listen(channel: string, f: (msg: string) => void): Promise<void> {
    await this.#sub.subscribe(channel, (m: string) => f(m));
  }

  #classify(e: Error): Error {
    if (e instanceof ErrorReply && !TRANSIENT.test(e.message)) return e;
    return new StoreUnavailableError(`store unavailable: ${e.message}`);
  }
}
