// Checks of a load report that hold however fast or slow the machine is: every started call
// is accounted for, latency statistics are internally consistent, and the report has its
// fields. Tests use these instead of asserting counts that depend on timing.
import assert from 'node:assert/strict';
import type { LoadReport } from '../../../src/load/stats.js';

export function assertConsistent(r: LoadReport): void {
  assert.ok(r.calls.started >= 1, 'the first call starts at once');
  assert.equal(r.calls.ok + r.calls.failed, r.calls.started, 'every started call ended as ok or failed');
  const failures = Object.values(r.failures).reduce((a, b) => a + b, 0);
  assert.equal(failures, r.calls.failed, 'every failure has a reason');
  const finals = Object.values(r.responses).reduce((a, b) => a + b, 0);
  assert.equal(finals + r.timeouts, r.requests, 'every request ended with a final response or timer F');
  assert.equal(r.latencyMs.ALL?.count ?? 0, finals, 'one latency sample per final response');
  for (const [method, s] of Object.entries(r.latencyMs)) {
    assert.ok(s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max, `${method} percentiles ordered: ${JSON.stringify(s)}`);
    assert.ok(s.p50 > 0, `${method} latency is positive`);
  }
  assert.ok(r.offer.startedPerSecond > 0 && r.offer.maxStartLagMs >= 0);
  assert.ok(r.wallSeconds > 0);
}

/** The report's JSON shape (what `comsipl load --json` prints). */
export function assertReportShape(json: Record<string, unknown>): void {
  for (const key of ['scenario', 'target', 'offeredRate', 'wallSeconds', 'offer', 'calls', 'callsPerSecond', 'requests', 'requestsPerSecond',
    'retransmissions', 'timeouts', 'notifies', 'responses', 'failures', 'latencyMs', 'sendErrors']) {
    assert.ok(key in json, `report has ${key}`);
  }
  const all = (json.latencyMs as Record<string, Record<string, number>>).ALL!;
  for (const key of ['count', 'p50', 'p90', 'p99', 'max']) assert.equal(typeof all[key], 'number', `latency ALL.${key}`);
}
