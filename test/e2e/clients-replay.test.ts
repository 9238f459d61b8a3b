// Real Linphone and baresip traffic (test/fixtures/clients) replayed against the server from
// the clients' own ports inside a private network namespace: every request is accepted, every
// SUBSCRIBE gets its NOTIFY at the client's Contact, and the offline/online cycle is right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/fixtures.js';
import type { StepResult } from './support/clients-replay-run.js';

test('captured client traffic: all requests accepted, NOTIFYs delivered', { timeout: 120_000 }, () => {
  const runner = join(REPO_ROOT, 'dist/test/e2e/support/clients-replay-run.js');
  const r = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${runner}"`], {
    encoding: 'utf8', timeout: 110_000,
    // A Redis on the host's loopback is out of the namespace's reach: the runner starts its own.
    env: { ...process.env, COMSIPL_TEST_REDIS: '' },
  });
  assert.equal(r.status, 0, `runner failed (needs root for unshare -n): ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, StepResult[]>;
  assert.deepEqual(Object.keys(out).sort(), ['baresip', 'liblinphone-lpresence', 'liblinphone-rls', 'linphonec']);
  for (const [dir, steps] of Object.entries(out)) {
    for (const s of steps) {
      const isRequest = !/NOTIFY-200-response|keepalive/.test(s.file);
      // baresip's refresh capture comes from another run: its ETag names the publication that
      // 07-PUBLISH-remove removed, so RFC 3903 §6 step 3 answers 412 (baresip then re-publishes, see 13).
      if (dir === 'baresip' && s.file === '10-PUBLISH-refresh.sip') assert.equal(s.status, 412);
      else if (isRequest) assert.equal(s.status, 200, `${dir}/${s.file} answered ${s.status}`);
      else assert.equal(s.status, null, `${dir}/${s.file} must not be answered`);
      if (/PUBLISH/.test(s.file) && s.status === 200) assert.ok(s.etag, `${dir}/${s.file}: SIP-ETag on every 2xx`);
      if (/-SUBSCRIBE\.sip$|SUBSCRIBE-retry/.test(s.file)) {
        assert.match(s.notifies[0] ?? '', /^active;expires=\d+ .*<basic>closed<\/basic>/, `${dir}/${s.file}: immediate NOTIFY`);
      }
      // liblinphone's list SUBSCRIBE (deflated recipient-list body): full state of its five buddies.
      if (dir === 'liblinphone-rls' && s.file.startsWith('01-')) {
        assert.match(s.notifies[0] ?? '', /^active;expires=\d+ --\S+ .*fullState="true"/, 'full-state list NOTIFY');
        for (let i = 0; i < 5; i++) assert.match(s.notifies[0]!, new RegExp(`<resource uri="sip:buddy${i}@127\\.0\\.0\\.1">`));
      }
      if (/unsubscribe/.test(s.file)) assert.match(s.notifies.join('|'), /terminated;reason=timeout/, `${dir}/${s.file}: final NOTIFY`);
    }
  }
});
