// SIPp as its users run it against a server with authentication on at its defaults: `-au/-ap`
// and `[authentication]` (bench/sipp/register-auth.xml), over UDP and over TCP (`-t tn`). SIPp
// computes MD5 only and gives up when more than one challenge is offered; the default (one MD5
// challenge) lets every call in. Bounded: 20 calls each.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addUser } from '../../src/auth/users-file.js';
import { freeUdpPort } from '../../bench/sipp/server.js';
import { runSipp } from '../../bench/sipp/sipp.js';
import { startServer, type RunningServer } from '../support/server.js';
import { REPO_ROOT } from '../support/fixtures.js';

let srv: RunningServer;
let data: string;

before(async () => {
  data = mkdtempSync(join(tmpdir(), 'comsipl-sipp-auth-'));
  addUser(join(data, 'users.json'), { user: 'alice', domain: '127.0.0.1', password: 'pw-alice' });
  srv = await startServer(['--auth', 'on'], { data });
});
after(async () => {
  await srv.stop();
  rmSync(data, { recursive: true, force: true });
});

for (const transport of ['udp', 'tcp'] as const) {
  test(`SIPp -au/-ap over ${transport}: every REGISTER is challenged once and then accepted`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'comsipl-sipp-run-'));
    try {
      const r = await runSipp({
        scenarioFile: join(REPO_ROOT, 'bench', 'sipp', 'register-auth.xml'), target: `127.0.0.1:${srv.port}`, rate: 20, calls: 20, dir,
        port: await freeUdpPort(), mediaPort: await freeUdpPort(), controlPort: await freeUdpPort(), timeoutS: 60,
        extra: ['-s', 'alice', '-au', 'alice', '-ap', 'pw-alice', ...(transport === 'tcp' ? ['-t', 'tn', '-max_socket', '512'] : [])],
      });
      assert.equal(r.ok, 20, `SIPp: ok ${r.ok}, failed ${r.failed}: ${r.stderrTail}`);
      assert.equal(r.failed, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
