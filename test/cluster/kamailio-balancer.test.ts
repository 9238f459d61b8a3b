// The deployment of deploy/kamailio: Kamailio (Debian package) balancing two ComSIPL nodes that
// share a private Redis, all on loopback. Everything goes through the balancer: a SUBSCRIBE and
// a PUBLISH land on nodes chosen by Kamailio, the NOTIFY comes back on the record-routed path
// with the balancer's address as Contact; then the node notifying the dialog is SIGKILLed, and
// the watcher's next refresh, failed over by Kamailio to the other node, gets 200 and a NOTIFY
// with a higher CSeq.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SipUA, hdr, hdrs, body, rand, tagOf, PIDF } from '../support/sip-ua.js';
import { REPO_ROOT } from '../support/fixtures.js';
import { freePort, testCluster } from '../support/redis.js';
import { PrivateRedis, cseqOf, until } from './support.js';
import { startServer, type RunningServer } from '../support/server.js';

test('Kamailio dispatcher in front of two nodes: requests balanced, NOTIFYs record-routed, failover after SIGKILL keeps the dialog', async () => {
  const redis = await PrivateRedis.start();
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-balancer-'));
  const ua = await new SipUA().bind();
  const balancer = await freePort();
  const cluster = testCluster();
  const nodes: RunningServer[] = [];
  let kamailio: ReturnType<typeof spawn> | null = null;
  try {
    for (let i = 0; i < 2; i++) {
      nodes.push(await startServer(['--store', redis.url, '--cluster', cluster, '--advertise', `127.0.0.1:${balancer}`, '--node-ttl', '2'], { data: join(dir, `n${i}`) }));
    }
    writeFileSync(join(dir, 'dispatcher.list'), nodes.map((n) => `1 sip:127.0.0.1:${n.port} 0 0\n`).join(''));
    kamailio = spawn('kamailio', [
      '-f', join(REPO_ROOT, 'deploy/kamailio/kamailio.cfg'), '-A', `DISPATCHER_LIST="${join(dir, 'dispatcher.list')}"`, '-A', `LISTEN=udp:127.0.0.1:${balancer}`,
      '-DD', '-E', '-m', '64', '-M', '8', '-Y', dir, '-w', dir,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let klog = '';
    kamailio.stderr!.on('data', (c: Buffer) => (klog += c.toString()));
    const port = balancer;
    const alice = `sip:alice-${cluster}@127.0.0.1`;
    const callId = rand();
    // In-dialog: to the remote target (the advertised balancer) along the route set.
    const sub = (cseq: number, toTag?: string) => ua.request({
      method: 'SUBSCRIBE', uri: toTag === undefined ? alice : `sip:127.0.0.1:${port}`, from: '<sip:w@127.0.0.1>;tag=wt', to: toTag === undefined ? `<${alice}>` : `<${alice}>;tag=${toTag}`, callId, cseq,
      headers: [['Event', 'presence'], ['Contact', `<sip:w@${ua.hostPort}>`], ['Expires', '600'], ...(toTag === undefined ? [] : [['Route', `<sip:127.0.0.1:${port};lr>`] as [string, string]])],
    }, port, 10_000);
    // Kamailio needs a moment to bind: the first SUBSCRIBE is retried until it answers.
    const first = await until(() => sub(1), (r) => r.status === 200, 20, 250);
    assert.equal(first.status, 200, klog);
    assert.equal(hdr(first, 'Contact'), `<sip:127.0.0.1:${port}>`, 'the node advertises the balancer');
    assert.ok(hdrs(first, 'Record-Route').some((r) => r.includes(`127.0.0.1:${port}`)), 'initial SUBSCRIBE record-routed');
    const toTag = tagOf(hdr(first, 'To'))!;
    const n1 = await ua.waitNotify(callId, 5000, 0);
    const via = hdrs(n1, 'Via');
    assert.ok(via[0]!.includes(`127.0.0.1:${port}`), 'the NOTIFY came through the balancer');
    const owner = nodes.findIndex((n) => via.some((v) => v.includes(`127.0.0.1:${n.port}`)));
    assert.ok(owner >= 0, via.join(' / '));

    const mark = ua.received.length;
    const p = await ua.request({ method: 'PUBLISH', uri: alice, from: `<${alice}>;tag=p`, to: `<${alice}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Content-Type', 'application/pidf+xml']], body: PIDF(alice, 'open', 't', 'through-the-balancer') }, port, 10_000);
    assert.equal(p.status, 200);
    const n2 = await ua.waitFor((m) => m.kind === 'request' && m.method === 'NOTIFY' && hdr(m, 'Call-ID') === callId && body(m).includes('through-the-balancer'), 10_000, mark);

    // The notifying node dies; the refresh goes to the balancer, which fails over.
    await nodes[owner]!.kill();
    const before = ua.received.length;
    const r = await until(() => sub(2 + ua.received.length, toTag), (x) => x.status === 200, 10, 500);
    assert.equal(r.status, 200, 'the surviving node took the dialog over (not 481)');
    const n3 = await ua.waitNotify(callId, 10_000, before);
    assert.ok(cseqOf(n3) > cseqOf(n2), `CSeq grows across the failover (${cseqOf(n3)} after ${cseqOf(n2)})`);
  } finally {
    if (kamailio !== null && kamailio.exitCode === null) {
      // The process this test started; it stops its own children.
      const exited = new Promise((res) => kamailio!.once('exit', res));
      kamailio.kill('SIGTERM');
      await exited;
    }
    for (const n of nodes) await n.stop();
    ua.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
