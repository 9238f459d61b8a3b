// The board's live feed: Server-Sent Events on GET /api/events (behind the token; the board
// reads it with fetch, so the token travels in the Authorization header, never in a URL).
//
// Events (`event:` name, JSON `data:`):
//   presence     {aor, state, note}                      a presentity's composed state changed
//   registration {aor, bindings}                         an AoR's bindings changed
//   watcher      {id, presentity, watcher, event, state}  a subscription came, changed or went
//   rules        {}                                       rules reloaded: re-read watchers
//   stats        {t, rate, p50Ms, p99Ms, registrations, presentities, subscriptions}   every second
//   resync       {changes}                               more changes in one flush than are worth
//                                                         sending one by one: re-read the listing
//
// Changes are coalesced per key for FLUSH_MS (a flood of PUBLISHes for one AoR is one event),
// and the model is only listened to while at least one board is connected. A client that stops
// reading is dropped once its buffer passes MAX_BUFFERED: the server never queues without bound.
import type { ServerResponse } from 'node:http';
import type { AdminModel, ChangeEvent } from '../model.js';
import { metrics, LATENCY_BUCKETS } from '../../metrics/metrics.js';
import { bucketQuantile } from '../../metrics/hot.js';
import { COMMON_HEADERS } from './respond.js';

const FLUSH_MS = 100;
const STATS_MS = 1000;
const HEARTBEAT_MS = 15_000;
const MAX_CLIENTS = 32;
const MAX_BUFFERED = 1 << 20;
/** Past this many changes in one flush (a registration storm), one `resync` replaces them. */
const MAX_EVENTS_PER_FLUSH = 200;

function keyOf(e: ChangeEvent): string {
  switch (e.kind) {
    case 'presence': return `p${e.aor}`;
    case 'registration': return `r${e.aor}`;
    case 'watcher': return `w${e.id}`;
    case 'rules': return 'rules';
  }
}

export class LiveFeed {
  readonly #model: AdminModel;
  readonly #clients = new Set<ServerResponse>();
  readonly #pending = new Map<string, ChangeEvent>();
  /** Changes counted instead of kept during a storm; > 0 means the next flush is a resync. */
  #overflow = 0;
  #unsubscribe: (() => void) | null = null;
  #timers: NodeJS.Timeout[] = [];
  #flushTimer: NodeJS.Timeout | null = null;
  #lastRequests = 0;
  #lastBuckets: Float64Array = new Float64Array(LATENCY_BUCKETS.length + 1);
  #lastAt = 0;

  constructor(model: AdminModel) {
    this.#model = model;
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Takes over the response; false when the client limit is reached (caller answers 503). */
  open(res: ServerResponse): boolean {
    if (this.#clients.size >= MAX_CLIENTS) return false;
    res.writeHead(200, { ...COMMON_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    this.#clients.add(res);
    res.on('close', () => this.#drop(res));
    if (this.#clients.size === 1) this.#start();
    return true;
  }

  close(): void {
    for (const res of [...this.#clients]) res.end();
    this.#clients.clear();
    this.#stop();
  }

  #start(): void {
    this.#unsubscribe = this.#model.onChange((e) => this.#queue(e));
    this.#lastRequests = metrics.requestsTotal();
    metrics.latencyBuckets(this.#lastBuckets);
    this.#lastAt = Date.now();
    this.#timers = [
      setInterval(() => this.#stats(), STATS_MS),
      setInterval(() => this.#broadcast(': keep-alive\n\n'), HEARTBEAT_MS),
    ];
    for (const t of this.#timers) t.unref();
  }

  #stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    this.#pending.clear();
    this.#overflow = 0;
  }

  #drop(res: ServerResponse): void {
    if (!this.#clients.delete(res)) return;
    if (this.#clients.size === 0) this.#stop();
  }

  #queue(e: ChangeEvent): void {
    // Bounded: once a flush is going to be a resync, further changes need no keeping.
    if (this.#overflow > 0) this.#overflow++;
    else if (this.#pending.size >= MAX_EVENTS_PER_FLUSH && !this.#pending.has(keyOf(e))) {
      this.#overflow = this.#pending.size + 1;
      this.#pending.clear();
    } else this.#pending.set(keyOf(e), e);
    this.#flushTimer ??= setTimeout(() => this.#flush(), FLUSH_MS);
  }

  #flush(): void {
    this.#flushTimer = null;
    if (this.#overflow > 0) {
      const changes = this.#overflow;
      this.#overflow = 0;
      this.#broadcast(`event: resync\ndata: ${JSON.stringify({ changes })}\n\n`);
      return;
    }
    let out = '';
    for (const e of this.#pending.values()) {
      const { kind, ...data } = e;
      out += `event: ${kind}\ndata: ${JSON.stringify(data)}\n\n`;
    }
    this.#pending.clear();
    if (out !== '') this.#broadcast(out);
  }

  #stats(): void {
    const now = Date.now();
    const total = metrics.requestsTotal();
    const buckets = metrics.latencyBuckets(new Float64Array(LATENCY_BUCKETS.length + 1));
    const delta = buckets.map((v, i) => v - this.#lastBuckets[i]!);
    const seconds = Math.max(0.001, (now - this.#lastAt) / 1000);
    const ms = (q: number): number | null => {
      const v = bucketQuantile(delta, LATENCY_BUCKETS, q);
      return Number.isNaN(v) ? null : v * 1000;
    };
    const c = this.#model.counts();
    const data = { t: now, rate: +((total - this.#lastRequests) / seconds).toFixed(1), p50Ms: ms(0.5), p99Ms: ms(0.99), registrations: c.registrations, presentities: c.presentities, subscriptions: c.subscriptions };
    this.#lastRequests = total;
    this.#lastBuckets = buckets;
    this.#lastAt = now;
    this.#broadcast(`event: stats\ndata: ${JSON.stringify(data)}\n\n`);
  }

  #broadcast(text: string): void {
    for (const res of [...this.#clients]) {
      if (res.writableLength > MAX_BUFFERED) {
        res.destroy();
        this.#drop(res);
        continue;
      }
      res.write(text);
    }
  }
}
