// Counters and latency histograms of one generator shard, a plain-data snapshot that can
// cross a worker_threads boundary (errors are data: failures are counted by reason string),
// and the merged report. Latencies are recorded in microseconds in HDR histograms so that
// percentiles stay exact to 3 significant digits whatever the run length.
import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { METHOD_NAMES } from './sip-view.js';

function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
}

export interface StatsSnapshot {
  callsStarted: number;
  callsOk: number;
  callsFailed: number;
  requests: number;
  retransmissions: number;
  timeouts: number;
  notifies: number;
  notifyRetrans: number;
  strayNotifies: number;
  /** status code → count of final responses */
  responses: Record<string, number>;
  /** failure reason → count of failed calls */
  failures: Record<string, number>;
  /** method (and 'ALL') → compressed base64 HDR histogram of transaction latency (µs) */
  latency: Record<string, string>;
}

export class Stats {
  callsStarted = 0;
  callsOk = 0;
  callsFailed = 0;
  requests = 0;
  retransmissions = 0;
  timeouts = 0;
  notifies = 0;
  notifyRetrans = 0;
  strayNotifies = 0;
  /** Final responses by status code (index). */
  readonly #responses = new Float64Array(700);
  readonly failures = new Map<string, number>();
  /** Per method id (sip-view.ts M_*), created on first use. */
  readonly #latency: (Histogram | undefined)[] = [];

  recordResponse(method: number, status: number, latencyUs: number): void {
    this.#responses[status >= 0 && status < 700 ? status : 0]++;
    const h = this.#latency[method] ?? (this.#latency[method] = newHistogram());
    const v = Math.max(1, Math.round(latencyUs));
    h.recordValue(v);
  }

  recordFailure(reason: string): void {
    this.callsFailed++;
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }

  snapshot(): StatsSnapshot {
    // ALL is the sum of the per-method histograms, made here rather than recorded twice per response.
    const all = newHistogram();
    for (const h of this.#latency) if (h !== undefined) all.add(h);
    const latency: Record<string, string> = { ALL: hdr.encodeIntoCompressedBase64(all) };
    this.#latency.forEach((h, m) => {
      if (h !== undefined) latency[METHOD_NAMES[m]!] = hdr.encodeIntoCompressedBase64(h);
    });
    const responses: Record<string, number> = {};
    this.#responses.forEach((n, status) => {
      if (n > 0) responses[String(status)] = n;
    });
    return {
      callsStarted: this.callsStarted, callsOk: this.callsOk, callsFailed: this.callsFailed,
      requests: this.requests, retransmissions: this.retransmissions, timeouts: this.timeouts,
      notifies: this.notifies, notifyRetrans: this.notifyRetrans, strayNotifies: this.strayNotifies,
      responses,
      failures: Object.fromEntries(this.failures),
      latency,
    };
  }
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadReport {
  scenario: string;
  target: string;
  offeredRate: number;
  wallSeconds: number;
  /** What the generator achieved of its offer: calls started per second while starting, and its worst lateness. */
  offer: { startedPerSecond: number; maxStartLagMs: number };
  calls: { started: number; ok: number; failed: number };
  callsPerSecond: number;
  requests: number;
  requestsPerSecond: number;
  retransmissions: number;
  timeouts: number;
  notifies: { received: number; retransmitted: number; stray: number };
  responses: Record<string, number>;
  failures: Record<string, number>;
  /** Milliseconds, per method and ALL. */
  latencyMs: Record<string, LatencySummary>;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

function summarize(h: Histogram): LatencySummary {
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
  };
}

/** Merge shard snapshots into one report; rates come from the caller's wall clock. */
export function buildReport(
  parts: StatsSnapshot[],
  meta: { scenario: string; target: string; offeredRate: number; wallSeconds: number; offerSeconds: number; maxStartLagMs: number },
): LoadReport {
  const r: LoadReport = {
    scenario: meta.scenario, target: meta.target, offeredRate: meta.offeredRate, wallSeconds: meta.wallSeconds,
    offer: { startedPerSecond: 0, maxStartLagMs: Math.round(meta.maxStartLagMs * 1000) / 1000 }, calls: { started: 0, ok: 0, failed: 0 }, callsPerSecond: 0, requests: 0, requestsPerSecond: 0,
    retransmissions: 0, timeouts: 0, notifies: { received: 0, retransmitted: 0, stray: 0 },
    responses: {}, failures: {}, latencyMs: {},
  };
  const hist = new Map<string, Histogram>();
  for (const p of parts) {
    r.calls.started += p.callsStarted;
    r.calls.ok += p.callsOk;
    r.calls.failed += p.callsFailed;
    r.requests += p.requests;
    r.retransmissions += p.retransmissions;
    r.timeouts += p.timeouts;
    r.notifies.received += p.notifies;
    r.notifies.retransmitted += p.notifyRetrans;
    r.notifies.stray += p.strayNotifies;
    addCounts(r.responses, p.responses);
    addCounts(r.failures, p.failures);
    for (const [m, enc] of Object.entries(p.latency)) {
      const h = hdr.decodeFromCompressedBase64(enc);
      const acc = hist.get(m);
      if (acc === undefined) hist.set(m, h);
      else acc.add(h);
    }
  }
  const secs = Math.max(meta.wallSeconds, 1e-3);
  r.offer.startedPerSecond = Math.round((r.calls.started / Math.max(meta.offerSeconds, 1e-3)) * 10) / 10;
  r.callsPerSecond = Math.round((r.calls.ok / secs) * 10) / 10;
  r.requestsPerSecond = Math.round((r.requests / secs) * 10) / 10;
  for (const [m, h] of hist) r.latencyMs[m] = summarize(h);
  return r;
}

/** A start later than this means the generator, not the server, was the bottleneck for a while. */
const LAG_WARNING_MS = 100;

/** Human-readable final table. */
export function formatReport(r: LoadReport): string {
  const lines = [
    `scenario ${r.scenario}  target ${r.target}  offered ${r.offeredRate} calls/s  wall ${r.wallSeconds.toFixed(2)} s`,
    `offer     ${r.offer.startedPerSecond} calls/s started  worst start lag ${r.offer.maxStartLagMs.toFixed(1)} ms`,
    `calls     started ${r.calls.started}  ok ${r.calls.ok}  failed ${r.calls.failed}  -> ${r.callsPerSecond} ok calls/s`,
    `requests  sent ${r.requests} (${r.requestsPerSecond}/s)  retransmissions ${r.retransmissions}  timeouts ${r.timeouts}`,
    `notifies  received ${r.notifies.received}  retransmitted-by-server ${r.notifies.retransmitted}  stray ${r.notifies.stray}`,
    `responses ${Object.entries(r.responses).map(([k, v]) => `${k}:${v}`).join('  ') || '-'}`,
  ];
  const failures = Object.entries(r.failures);
  if (failures.length > 0) lines.push(`failures  ${failures.map(([k, v]) => `${k}: ${v}`).join('  ')}`);
  if (r.offer.maxStartLagMs > LAG_WARNING_MS || r.offer.startedPerSecond < r.offeredRate * 0.97) {
    lines.push('warning   the generator fell behind its own schedule (CPU-bound?): the offer was lower than asked and the' +
      ' latencies include its own delays; add --workers or lower --rate');
  }
  lines.push('latency (ms)   count        p50        p90        p99        max');
  for (const [m, s] of Object.entries(r.latencyMs)) {
    const cols = [s.p50, s.p90, s.p99, s.max].map((v) => v.toFixed(3).padStart(10)).join(' ');
    lines.push(`  ${m.padEnd(10)} ${String(s.count).padStart(8)} ${cols}`);
  }
  return lines.join('\n');
}
