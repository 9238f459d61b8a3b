// The built-in load generator against the fake UAS: every scenario completes without
// failures, retransmissions and timeouts are counted, NOTIFY-before-200 is handled.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runLoad } from '../../src/load/cli.js';
import { buildResponse } from '../../src/load/messages.js';
import { parseLoadArgs, UsageError } from '../../src/load/options.js';
import { scanMessage } from '../../src/load/sip-scan.js';
import { readFixture, REPO_ROOT } from '../support/fixtures.js';
import { startFakeUas, type FakeUas } from './support/fake-uas.js';
import { assertConsistent, assertReportShape } from './support/report-checks.js';

function args(uas: FakeUas, ...rest: string[]): string[] {
  // --drain and --notify-timeout only bound waits (they end as soon as the answer is there):
  // generous, so that a slow machine is slower but still correct.
  return ['--target', `${uas.host}:${uas.port}`, '--drain', '60', '--notify-timeout', '30000', ...rest];
}

describe('sip-scan', () => {
  it('reads the fields a UAC needs from a real client request', () => {
    const m = scanMessage(readFixture('clients', 'baresip', '03-SUBSCRIBE.sip'));
    assert.ok(m !== null);
    assert.equal(m.isRequest, true);
    assert.equal(m.method, 'SUBSCRIBE');
    assert.equal(m.branch, 'z9hG4bK3ff227f87a5681f9');
    assert.equal(m.callId, '8b9b671b2018da2d');
    assert.equal(m.cseq, 3909);
    assert.equal(m.fromTag, '869a641285798d48');
    assert.equal(m.toTag, '');
    assert.equal(m.expires, 600);
    assert.equal(m.contactUri, 'sip:carol-0x555b1b1ba150@127.0.0.1:25073');
  });

  it('reads a response with compact headers and a body, and answers a request by copying headers', () => {
    const raw = Buffer.from(
      'SIP/2.0 200 OK\r\nv: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKx;rport=5\r\nf: <sip:a@h>;tag=1\r\n' +
        't: <sip:a@h>;tag=abc\r\ni: cid\r\nCSeq: 7 PUBLISH\r\nSIP-ETag: et1\r\nExpires: 60\r\nl: 3\r\n\r\nxyzTRAILING',
      'latin1',
    );
    const m = scanMessage(raw);
    assert.ok(m !== null);
    assert.deepEqual([m.status, m.method, m.branch, m.toTag, m.callId, m.etag, m.expires], [200, 'PUBLISH', 'z9hG4bKx', 'abc', 'cid', 'et1', 60]);
    assert.equal(m.body.toString(), 'xyz');
    assert.equal(scanMessage(Buffer.from('hello world')), null);
    const req = scanMessage(readFixture('clients', 'baresip', '03-SUBSCRIBE.sip'))!;
    const resp = buildResponse(req, 200, 'OK').toString('latin1');
    assert.match(resp, /^SIP\/2\.0 200 OK\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:25073;branch=z9hG4bK3ff227f87a5681f9;rport\r\n/);
    assert.match(resp, /\r\nCSeq: 3909 SUBSCRIBE\r\n/);
    assert.ok(resp.endsWith('Content-Length: 0\r\n\r\n'));
  });
});

describe('options', () => {
  it('parses, defaults and bounds', () => {
    const o = parseLoadArgs(['--target', '[::1]:5070', '--scenario=fanout', '--rate', '250', '--count', '40']);
    assert.equal(o.targetHost, '::1');
    assert.equal(o.targetPort, 5070);
    assert.equal(o.scenario, 'fanout');
    assert.equal(o.count, 40);
    assert.equal(o.durationS, 3600);
    assert.equal(parseLoadArgs([]).durationS, 10);
    assert.throws(() => parseLoadArgs(['--rate', '0']), UsageError);
    assert.throws(() => parseLoadArgs(['--scenario', 'invite']), UsageError);
    assert.throws(() => parseLoadArgs(['--duration', '100000']), UsageError);
    assert.throws(() => parseLoadArgs(['--target', 'example.com:5060']), UsageError);
    assert.equal(parseLoadArgs([]).sockets, 1);
    assert.equal(parseLoadArgs(['--sockets', '4']).sockets, 4);
    assert.throws(() => parseLoadArgs(['--sockets', '0']), UsageError);
  });
});

describe('generator against the fake UAS', () => {
  let uas: FakeUas;
  before(async () => {
    uas = await startFakeUas();
  });
  after(() => uas.close());

  for (const [scenario, count, extra] of [
    ['register', 60, []], ['publish', 40, []], ['subscribe', 40, []], ['fanout', 5, ['--watchers', '4']], ['mixed', 20, []],
  ] as const) {
    it(`${scenario}: every call succeeds`, async () => {
      const before = uas.counters.requests;
      const retransBefore = uas.counters.retransmissionsSeen;
      const { report } = await runLoad(parseLoadArgs(args(uas, '--scenario', scenario, '--rate', '200', '--count', String(count), ...extra)));
      assertConsistent(report);
      assert.equal(report.calls.started, count);
      assert.equal(report.calls.ok, count, JSON.stringify(report.failures));
      assert.equal(report.calls.failed, 0);
      assert.equal(report.requests, uas.counters.requests - before);
      // A slow machine may retransmit (timer E); whatever it sent is what the UAS saw.
      assert.equal(report.retransmissions, uas.counters.retransmissionsSeen - retransBefore);
      assert.ok(report.callsPerSecond > 0);
      assert.equal(report.latencyMs.ALL!.count, report.requests);
      if (scenario !== 'register' && scenario !== 'publish') assert.ok(report.notifies.received > 0);
      assert.equal(report.notifies.stray, 0);
    });
  }

  it('fanout delivers every state change to every watcher', async () => {
    const { report } = await runLoad(parseLoadArgs(args(uas, '--scenario', 'fanout', '--rate', '20', '--count', '3', '--watchers', '6')));
    assert.equal(report.calls.ok, 3);
    // initial + open + closed + terminated per watcher at least
    assert.ok(report.notifies.received >= 3 * 6 * 4, String(report.notifies.received));
    assert.equal(report.requests, 3 * (2 * 6 + 3));
  });
});

describe('generator under faults', () => {
  it('retransmits dropped requests (timer E) and counts each retransmission', async () => {
    const uas = await startFakeUas({ dropEveryNth: 5 });
    try {
      const { report } = await runLoad(parseLoadArgs(args(uas, '--scenario', 'publish', '--rate', '200', '--count', '30')));
      assert.equal(report.calls.failed, 0, JSON.stringify(report.failures));
      assert.equal(uas.counters.dropped, 12);
      assert.equal(report.retransmissions, uas.counters.retransmissionsSeen);
      assert.ok(report.retransmissions >= uas.counters.dropped);
      assert.ok(report.latencyMs.ALL!.max >= 500, 'a retransmitted request waited at least T1');
    } finally {
      await uas.close();
    }
  });

  it('accepts a NOTIFY that overtakes the 200 to SUBSCRIBE', async () => {
    const uas = await startFakeUas({ notifyBeforeOk: true });
    try {
      const { report } = await runLoad(parseLoadArgs(args(uas, '--scenario', 'subscribe', '--rate', '100', '--count', '20')));
      assert.equal(report.calls.ok, 20, JSON.stringify(report.failures));
      assert.equal(report.notifies.received, 40);
    } finally {
      await uas.close();
    }
  });

  it('reports timeouts as failures by reason when nobody answers', async () => {
    // A bound socket that reads nothing: no ICMP error, just silence.
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    try {
      const { report } = await runLoad(parseLoadArgs([
        '--target', `127.0.0.1:${silent.address().port}`, '--scenario', 'register', '--rate', '50', '--count', '5', '--timer-f', '700',
      ]));
      assert.equal(report.calls.failed, 5);
      assert.deepEqual(report.failures, { 'REGISTER 408': 5 });
      assert.equal(report.timeouts, 5);
      assert.equal(report.retransmissions, 5, 'one retransmission at T1 = 500 ms before timer F = 700 ms');
    } finally {
      silent.close();
    }
  });

  it('shards across worker threads and merges the statistics', async () => {
    const uas = await startFakeUas();
    try {
      const { report } = await runLoad(parseLoadArgs(args(uas, '--scenario', 'register', '--rate', '400', '--count', '101', '--workers', '2')));
      assertConsistent(report);
      assert.equal(report.calls.ok, 101, JSON.stringify(report.failures));
      assert.equal(report.latencyMs.REGISTER!.count, 101);
      assert.equal(uas.counters.byMethod.REGISTER, 101);
      assert.equal(uas.sourcePorts.size, 2, 'one socket per worker');
    } finally {
      await uas.close();
    }
  });

  it('spreads calls over --sockets N per worker, dialogs included', async () => {
    const uas = await startFakeUas();
    try {
      const { report } = await runLoad(parseLoadArgs(args(uas, '--scenario', 'subscribe', '--rate', '400', '--count', '24', '--workers', '2', '--sockets', '3')));
      assertConsistent(report);
      assert.equal(report.calls.ok, 24, JSON.stringify(report.failures));
      assert.equal(report.notifies.received, 48);
      assert.equal(uas.sourcePorts.size, 6);
    } finally {
      await uas.close();
    }
  });

  it('the CLI prints a complete JSON report and exits 0', async () => {
    const uas = await startFakeUas();
    try {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'src', 'main.js'), 'load', ...args(uas, '--scenario', 'publish', '--rate', '100', '--count', '10', '--json')], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 0, out);
      const json = JSON.parse(out) as Record<string, unknown>;
      assertReportShape(json);
      assert.deepEqual(json.calls, { started: 10, ok: 10, failed: 0 });
    } finally {
      await uas.close();
    }
  });
});
