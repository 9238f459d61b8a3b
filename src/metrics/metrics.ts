// Every Prometheus metric ComSIPL exports, defined once, behind a small typed recorder.
//
// API:
//   metrics.request(method, status, ms)   // one per final response to a request (hot path)
//   metrics.notify(outcome)               // 'sent' | 'retransmitted' | 'failed' | 'coalesced'
//   metrics.commit(ms)                    // one per store write, issue → durable
//   metrics.setSource(src | null)         // gauges and server counters, read at scrape time only
//   metrics.enableProcessMetrics()        // prom-client defaults (GC, heap, CPU) + loop delay
//   metrics.render(): Promise<string>     // the /metrics body; metrics.contentType
//   metrics.requestsTotal(), metrics.latencyBuckets(into)   // for the board's charts
//
// Labels carry no user data: methods come from a fixed list (others are 'other'), statuses
// are three-digit codes, events and transports are package and protocol names. The hot-path
// calls index typed arrays (src/metrics/hot.ts); gauges cost nothing until a scrape.
// prom-client itself is loaded with the registry, on its first use (a scrape, or right after
// the server answers: src/ops/start.ts), not before the server can answer.
import { createRequire } from 'node:module';
import { performance, monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Registry, Counter } from 'prom-client';
import { CounterGrid, HistogramRows, type Collector } from './hot.js';
import { VERSION } from '../version.js';

export const METHODS = ['REGISTER', 'PUBLISH', 'SUBSCRIBE', 'OPTIONS', 'NOTIFY', 'other'] as const;
const OTHER = METHODS.length - 1;
const STATUSES: string[] = [];
for (let s = 100; s < 700; s++) STATUSES.push(String(s));

export const NOTIFY_OUTCOMES = ['sent', 'retransmitted', 'failed', 'coalesced'] as const;
export type NotifyOutcome = (typeof NOTIFY_OUTCOMES)[number];

/** Request latency buckets (s): a durable commit (fsync) is ~1–10 ms, an in-memory answer µs. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const COMMIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
/** Event-loop delay sampling step; subtracted again, so an idle loop reads ~0, not the step. */
const LOOP_RESOLUTION_MS = 20;

/** What the gauges and the server's own counters are read from, at scrape time. */
export interface MetricsSource {
  gauges(): {
    registrations: number;
    presentities: number;
    /** Live subscriptions per event package and transport. */
    subscriptions: { event: string; transport: string; count: number }[];
    pendingRequests: number;
    storeQueue: number;
    notifyBacklog: number;
    notifyInFlight: number;
  };
  counters(): { received: number; malformed: number; retransmissions: number; overloaded: number };
}

function methodIndex(method: string): number {
  switch (method) {
    case 'REGISTER': return 0;
    case 'PUBLISH': return 1;
    case 'SUBSCRIBE': return 2;
    case 'OPTIONS': return 3;
    case 'NOTIFY': return 4;
    default: return OTHER;
  }
}

type PromClient = typeof import('prom-client');

export class Metrics {
  #registry: Registry | null = null;
  #processMetrics = false;
  readonly #requests = new CounterGrid('comsipl_sip_requests_total', 'SIP requests answered, by method and final status', 'method', METHODS, 'status', STATUSES);
  readonly #latency = new HistogramRows('comsipl_sip_request_duration_seconds', 'Time from a request reaching the transaction layer to its final response, by method', 'method', METHODS, LATENCY_BUCKETS);
  readonly #commit = new HistogramRows('comsipl_store_commit_duration_seconds', 'Time from a store write being issued to its group commit being durable', '', [''], COMMIT_BUCKETS);
  readonly #notifies = new CounterGrid('comsipl_notify_total', 'NOTIFY requests: sent, retransmitted (timer E), failed (non-2xx or timeout), coalesced (newer state folded into a pending NOTIFY)', 'outcome', NOTIFY_OUTCOMES, '', ['']);
  #source: MetricsSource | null = null;
  #loop: IntervalHistogram | null = null;

  /** The Prometheus registry, made (and prom-client loaded) on first use. */
  get registry(): Registry {
    if (this.#registry !== null) return this.#registry;
    const prom = createRequire(import.meta.url)('prom-client') as PromClient;
    const registry = new prom.Registry();
    this.#registry = registry;
    for (const c of [this.#requests, this.#latency, this.#commit, this.#notifies] as Collector[]) {
      // prom-client's Registry only needs name/help/type/get(): see hot.ts.
      registry.registerMetric(c as unknown as Counter);
    }
    this.#defineSourced(prom, registry);
    if (this.#processMetrics) prom.collectDefaultMetrics({ register: registry });
    return registry;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  // ---- hot path -------------------------------------------------------------------------

  request(method: string, status: number, ms: number): void {
    const m = methodIndex(method);
    // A status outside 100..699 is never sent; if one were, it counts as a server error (500).
    const col = status >= 100 && status < 700 ? status - 100 : 400;
    this.#requests.inc(m, col);
    this.#latency.observe(m, ms / 1000);
  }

  notify(outcome: NotifyOutcome): void {
    this.#notifies.inc(outcome === 'sent' ? 0 : outcome === 'retransmitted' ? 1 : outcome === 'failed' ? 2 : 3, 0);
  }

  commit(ms: number): void {
    this.#commit.observe(0, ms / 1000);
  }

  /** performance.now(), re-exported so hooks need no import of their own. */
  now(): number {
    return performance.now();
  }

  // ---- scrape side ----------------------------------------------------------------------

  setSource(src: MetricsSource | null): void {
    this.#source = src;
  }

  /**
   * prom-client's default process metrics (GC, heap, CPU, handles) and our loop delay; the
   * former join the registry when it is made (now if it already is).
   */
  enableProcessMetrics(): void {
    if (this.#loop !== null) return;
    this.#processMetrics = true;
    if (this.#registry !== null) (createRequire(import.meta.url)('prom-client') as PromClient).collectDefaultMetrics({ register: this.#registry });
    this.#loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    this.#loop.enable();
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  requestsTotal(): number {
    return this.#requests.total();
  }

  /** Non-cumulative latency bucket counts over every method (last = +Inf), bounds LATENCY_BUCKETS. */
  latencyBuckets(into: Float64Array): Float64Array {
    return this.#latency.mergedCounts(into);
  }

  notifyCount(outcome: NotifyOutcome): number {
    return this.#notifies.value(NOTIFY_OUTCOMES.indexOf(outcome), 0);
  }

  #defineSourced(prom: PromClient, registry: Registry): void {
    const { Gauge, Counter } = prom;
    const registers = [registry];
    const self = this;
    new Gauge({ name: 'comsipl_build_info', help: 'ComSIPL version', labelNames: ['version'], registers }).set({ version: VERSION }, 1);
    new Gauge({
      name: 'comsipl_registrations', help: 'Registered addresses of record', labelNames: ['transport'], registers,
      collect() { this.reset(); const g = self.#source?.gauges(); if (g) this.set({ transport: 'udp' }, g.registrations); },
    });
    new Gauge({
      name: 'comsipl_presentities', help: 'Presentities held (published or watched)', registers,
      collect() { this.set(self.#source?.gauges().presentities ?? 0); },
    });
    new Gauge({
      name: 'comsipl_subscriptions', help: 'Live subscriptions by event package and transport', labelNames: ['event', 'transport'], registers,
      collect() {
        this.reset();
        for (const s of self.#source?.gauges().subscriptions ?? []) this.set({ event: s.event, transport: s.transport }, s.count);
      },
    });
    new Gauge({
      name: 'comsipl_queue_depth', help: 'Work waiting: pending_requests (admitted, unanswered), store_queue (writes awaiting commit), notify_backlog (dialogs waiting for a NOTIFY slot or held by --notify-min-interval), notify_in_flight', labelNames: ['queue'], registers,
      collect() {
        const g = self.#source?.gauges();
        if (!g) return;
        this.set({ queue: 'pending_requests' }, g.pendingRequests);
        this.set({ queue: 'store_queue' }, g.storeQueue);
        this.set({ queue: 'notify_backlog' }, g.notifyBacklog);
        this.set({ queue: 'notify_in_flight' }, g.notifyInFlight);
      },
    });
    const counter = (name: string, help: string, pick: (c: ReturnType<MetricsSource['counters']>) => number): void => {
      new Counter({
        name, help, registers,
        collect() { this.reset(); const c = self.#source?.counters(); if (c) this.inc(pick(c)); },
      });
    };
    counter('comsipl_datagrams_received_total', 'UDP datagrams received', (c) => c.received);
    counter('comsipl_malformed_total', 'Messages refused as malformed (answered 400/513 or dropped)', (c) => c.malformed);
    counter('comsipl_request_retransmissions_total', 'Request retransmissions absorbed by the transaction layer', (c) => c.retransmissions);
    counter('comsipl_overload_rejections_total', 'Requests refused or dropped by admission control (503 or silent drop)', (c) => c.overloaded);
    new Gauge({
      name: 'comsipl_event_loop_delay_seconds', help: `Event-loop delay since the last scrape (sampled every ${LOOP_RESOLUTION_MS} ms, the step subtracted)`, labelNames: ['quantile'], registers,
      collect() {
        const h = self.#loop;
        if (h === null || h.count === 0) return;
        const step = LOOP_RESOLUTION_MS * 1e6;
        const late = (ns: number): number => Math.max(0, ns - step) / 1e9;
        this.set({ quantile: '0.5' }, late(h.percentile(50)));
        this.set({ quantile: '0.99' }, late(h.percentile(99)));
        this.set({ quantile: '1' }, late(h.max));
        h.reset();
      },
    });
  }
}

/** The process-wide recorder: one server per process, and hooks need no plumbing. */
export const metrics = new Metrics();
