// Smoke test of the built-in generator against the real server: start `node dist/src/main.js`
// on a free port with a temp data dir (a failure to start fails the test), run register,
// publish and subscribe for about a second each at a low rate, expect zero failures. Nothing
// here depends on how many calls a slow machine manages to start in that second: the checks
// are that the run ends by itself, that every started call succeeded and is accounted for,
// and that the statistics agree with each other.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServer, type StartedServer } from '../../bench/sipp/server.js';
import { runLoad } from '../../src/load/cli.js';
import { parseLoadArgs } from '../../src/load/options.js';
import { REPO_ROOT } from '../support/fixtures.js';
import { assertConsistent } from './support/report-checks.js';

describe('comsipl load against the real server', () => {
  let server: StartedServer;
  before(async () => {
    server = await startServer({ entry: join(REPO_ROOT, 'dist', 'src', 'main.js'), extraArgs: [], fake: false, cwd: REPO_ROOT });
  });
  after(() => server?.stop());

  for (const scenario of ['register', 'publish', 'subscribe'] as const) {
    it(`${scenario}: no failures, every call accounted for`, async () => {
      // --drain and --notify-timeout are only upper bounds on waiting: generous, so that a slow
      // machine does not turn slowness into failures (timer F stays the RFC's 32 s).
      const { report } = await runLoad(parseLoadArgs([
        '--target', `127.0.0.1:${server.port}`, '--scenario', scenario, '--rate', '40', '--duration', '1', '--drain', '60',
        '--notify-timeout', '30000',
      ]));
      assertConsistent(report);
      assert.equal(report.calls.failed, 0, JSON.stringify(report.failures));
      assert.equal(report.calls.ok, report.calls.started);
      assert.ok(report.callsPerSecond > 0);
      assert.equal(report.timeouts, 0);
      assert.deepEqual(Object.keys(report.responses), ['200']);
      assert.equal(report.notifies.stray, 0);
      const perCall = scenario === 'register' ? 1 : 2;
      assert.equal(report.requests, perCall * report.calls.started, 'each call sent its requests once (retransmissions are counted apart)');
      if (scenario === 'subscribe') assert.equal(report.notifies.received, 2 * report.calls.ok, 'active + terminated NOTIFY per call');
    });
  }
});
