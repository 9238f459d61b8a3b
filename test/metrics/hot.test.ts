// The hot-path metric families (src/metrics/hot.ts) rendered by prom-client's Registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, type Counter } from 'prom-client';
import { CounterGrid, HistogramRows, bucketQuantile } from '../../src/metrics/hot.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { parsePrometheus } from './prom-text.js';

test('CounterGrid and HistogramRows render as valid exposition through a prom-client Registry', async () => {
  const reg = new Registry();
  const grid = new CounterGrid('t_requests_total', 'requests', 'method', ['A', 'B'], 'status', ['200', '404']);
  const hist = new HistogramRows('t_latency_seconds', 'latency', 'method', ['A', 'B'], [0.1, 1]);
  reg.registerMetric(grid as unknown as Counter);
  reg.registerMetric(hist as unknown as Counter);
  grid.inc(0, 0);
  grid.inc(0, 0);
  grid.inc(1, 1);
  hist.observe(0, 0.05);
  hist.observe(0, 0.5);
  hist.observe(0, 5);
  const samples = parsePrometheus(await reg.metrics());
  const find = (name: string, labels: Record<string, string>) => samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  assert.equal(find('t_requests_total', { method: 'A', status: '200' }), 2);
  assert.equal(find('t_requests_total', { method: 'B', status: '404' }), 1);
  assert.equal(samples.filter((s) => s.name === 't_requests_total').length, 2, 'untouched cells are not rendered');
  assert.equal(find('t_latency_seconds_bucket', { method: 'A', le: '0.1' }), 1);
  assert.equal(find('t_latency_seconds_bucket', { method: 'A', le: '1' }), 2);
  assert.equal(find('t_latency_seconds_bucket', { method: 'A', le: '+Inf' }), 3);
  assert.equal(find('t_latency_seconds_count', { method: 'A' }), 3);
  assert.equal(find('t_latency_seconds_sum', { method: 'A' }), 5.55);
  assert.equal(samples.some((s) => s.labels.method === 'B' && s.name.startsWith('t_latency')), false, 'an unused row is not rendered');
});

test('bucketQuantile: the bucket bound where the quantile falls', () => {
  const bounds = [1, 2, 5];
  assert.ok(Number.isNaN(bucketQuantile([0, 0, 0, 0], bounds, 0.5)));
  assert.equal(bucketQuantile([10, 0, 0, 0], bounds, 0.99), 1);
  assert.equal(bucketQuantile([50, 49, 1, 0], bounds, 0.5), 1);
  assert.equal(bucketQuantile([50, 49, 1, 0], bounds, 0.99), 2);
  assert.equal(bucketQuantile([0, 0, 0, 3], bounds, 0.5), 5, '+Inf reports the largest bound');
});

test('the recorder: unknown methods are "other", odd statuses are kept apart from 2xx, no source = zero gauges', async () => {
  const m = new Metrics();
  m.request('REGISTER', 200, 2);
  m.request('FOO', 501, 0.1);
  m.request('PUBLISH', 99, 1);
  m.notify('sent');
  m.notify('coalesced');
  m.commit(3);
  assert.equal(m.requestsTotal(), 3);
  assert.equal(m.notifyCount('coalesced'), 1);
  const samples = parsePrometheus(await m.render());
  const req = samples.filter((s) => s.name === 'comsipl_sip_requests_total').map((s) => `${s.labels.method} ${s.labels.status} ${s.value}`).sort();
  assert.deepEqual(req, ['PUBLISH 500 1', 'REGISTER 200 1', 'other 501 1']);
  assert.equal(samples.find((s) => s.name === 'comsipl_store_commit_duration_seconds_count')?.value, 1);
  const counts = new Float64Array(13);
  m.latencyBuckets(counts);
  assert.equal(counts.reduce((a, b) => a + b, 0), 3);
});
