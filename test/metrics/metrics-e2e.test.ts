// /metrics against the real server: it parses as Prometheus text exposition (0.0.4), carries
// every family the operator needs, holds no user address in any label, and moves when SIP
// requests are sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../support/server.js';
import { SipUA, rand, PIDF } from '../support/sip-ua.js';
import { subscribe } from '../hardening/helpers.js';
import { adminCall } from '../support/admin.js';
import { parsePrometheus, type Sample } from './prom-text.js';

let srv: RunningServer;
let ua: SipUA;

before(async () => {
  srv = await startServer();
  ua = await new SipUA().bind();
});
after(async () => {
  ua.close();
  await srv.stop();
  srv.cleanup();
});

async function scrape(): Promise<Sample[]> {
  const r = await adminCall(srv, 'GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(r.text);
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const hit = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hit.reduce((a, s) => a + s.value, 0);
}

test('/metrics parses, has every family, and no label carries a user address', async () => {
  const samples = await scrape();
  const names = new Set(samples.map((s) => s.name));
  for (const n of [
    'comsipl_build_info', 'comsipl_registrations', 'comsipl_presentities', 'comsipl_queue_depth',
    'comsipl_store_commit_duration_seconds_count', 'comsipl_datagrams_received_total', 'comsipl_event_loop_delay_seconds',
    'nodejs_heap_size_used_bytes', 'process_cpu_user_seconds_total',
  ]) assert.ok(names.has(n), `missing ${n}`);
  for (const q of ['pending_requests', 'store_queue', 'notify_backlog', 'notify_in_flight']) {
    assert.ok(samples.some((s) => s.name === 'comsipl_queue_depth' && s.labels.queue === q), q);
  }
});

test('counters and histograms move when requests are sent; labels stay free of addresses', async () => {
  const before = await scrape();
  const user = `m${rand(3)}`;
  const aor = `sip:${user}@127.0.0.1`;
  for (let i = 0; i < 5; i++) {
    const r = await ua.request({ method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Contact', `<sip:${user}-${i}@${ua.hostPort}>`], ['Expires', '600']] }, srv.port);
    assert.equal(r.status, 200);
  }
  const bad = await ua.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=x`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Content-Type', 'text/plain']], body: 'hi' }, srv.port);
  assert.equal(bad.status, 415);
  assert.equal((await ua.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=y`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Content-Type', 'application/pidf+xml']], body: PIDF(aor, 'open') }, srv.port)).status, 200);
  const d = await subscribe(ua, srv.port, aor, `sip:mw@127.0.0.1`);
  await ua.waitNotify(d.callId, 5000, 0);
  const after = await scrape();

  const delta = (name: string, labels: Record<string, string> = {}): number => value(after, name, labels) - value(before, name, labels);
  assert.equal(delta('comsipl_sip_requests_total', { method: 'REGISTER', status: '200' }), 5);
  assert.equal(delta('comsipl_sip_requests_total', { method: 'PUBLISH', status: '415' }), 1);
  assert.equal(delta('comsipl_sip_requests_total', { method: 'SUBSCRIBE', status: '200' }), 1);
  assert.equal(delta('comsipl_sip_request_duration_seconds_count', { method: 'REGISTER' }), 5);
  assert.ok(delta('comsipl_sip_request_duration_seconds_sum', { method: 'REGISTER' }) > 0);
  assert.ok(delta('comsipl_store_commit_duration_seconds_count') >= 7, 'a commit per REGISTER, PUBLISH, SUBSCRIBE');
  assert.ok(delta('comsipl_notify_total', { outcome: 'sent' }) >= 1);
  assert.ok(delta('comsipl_datagrams_received_total') >= 8);
  assert.ok(value(after, 'comsipl_registrations') >= 1);
  assert.equal(value(after, 'comsipl_subscriptions', { event: 'presence', transport: 'udp' }), 1);
  // The +Inf bucket equals the count, buckets never decrease.
  const buckets = after.filter((s) => s.name === 'comsipl_sip_request_duration_seconds_bucket' && s.labels.method === 'REGISTER');
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value);
  assert.equal(buckets.at(-1)!.labels.le, '+Inf');
  assert.equal(buckets.at(-1)!.value, value(after, 'comsipl_sip_request_duration_seconds_count', { method: 'REGISTER' }));
  for (const s of after) for (const v of Object.values(s.labels)) assert.ok(!v.includes('@') && !v.includes('sip:'), `${s.name} ${JSON.stringify(s.labels)}`);
});
