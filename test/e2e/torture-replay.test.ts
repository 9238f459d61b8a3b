// Replays every torture message and hostile PIDF body against the running server over UDP.
// The messages name foreign hosts and port 5060 in their Via: the replay runs inside a private
// network namespace (`unshare -n`, loopback only), so nothing can leave the machine and the
// runner can own 127.0.0.1:5060 to catch the answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, readFixture, readFixtureJson } from '../support/fixtures.js';

interface Entry { file: string; expect: string }

function isResponse(dir: string, file: string): boolean {
  return readFixture(dir, file).subarray(0, 8).toString('latin1') === 'SIP/2.0 ';
}

// What a registrar + presence agent (a UAS that is never a proxy) answers where the RFC 4475
// expectation is written for another role or leaves a choice.
const ROLE: Record<string, number | null> = {
  'invut.dat': 405, // INVITE is not ours: 405 comes before any look at the body type (415 in the RFC's UA role)
  'sdp01.dat': 405, // likewise for the 406-or-400 INVITE
  'badbranch.dat': 200, // 400-or-accept: accepted, matched by RFC 2543 rules (an OPTIONS)
  'baddate.dat': 405, // 400-or-ignore: Date is not used; the INVITE is refused as not ours
  'novelsc.dat': 416,
  'unksm2.dat': 400, // 400-at-registrar: To is not a SIP URI
  'regaut01.dat': 200, // accept-or-401: no authentication on loopback by default
  'test.dat': null, // no expectation defined
};

function expected(dir: string, e: Entry): (s: number | null) => boolean {
  // A response is never answered: accepted or dropped, nothing comes back.
  if (isResponse(dir, e.file)) return (s) => s === null;
  if (e.file in ROLE) {
    const want = ROLE[e.file];
    return want === null ? () => true : (s) => s === want;
  }
  switch (e.expect) {
    case 'accept':
      return (s) => s !== null && (s < 300 || s === 405 || s === 501);
    case 'drop':
      return (s) => s === null;
    default: {
      const n = Number.parseInt(e.expect, 10);
      return (s) => s === n;
    }
  }
}

test('torture and hostile messages over UDP: each answered as expected, and the server keeps answering', { timeout: 120_000 }, () => {
  const runner = join(REPO_ROOT, 'dist/test/e2e/support/torture-replay-run.js');
  const r = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${runner}"`], {
    encoding: 'utf8', timeout: 110_000,
    // A Redis on the host's loopback is out of the namespace's reach: the runner starts its own.
    env: { ...process.env, COMSIPL_TEST_REDIS: '' },
  });
  assert.equal(r.status, 0, `runner failed (needs root for unshare -n): ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { results: Record<string, number | null>; alive: boolean; exited: number | null };
  assert.equal(out.exited, null, 'server still running');
  assert.equal(out.alive, true, 'server answers OPTIONS after the replay');
  const wrong: string[] = [];
  for (const dir of ['torture', 'torture-ipv6']) {
    for (const e of readFixtureJson<{ messages: Entry[] }>(dir, 'index.json').messages) {
      const got = out.results[`${dir}/${e.file}`];
      assert.ok(got !== undefined, `${e.file} was sent`);
      if (!expected(dir, e)(got)) wrong.push(`${dir}/${e.file}: expected ${e.expect}${e.file in ROLE ? ` (role: ${ROLE[e.file]})` : ''}, got ${got}`);
    }
  }
  for (const [k, v] of Object.entries(out.results)) if (k.startsWith('pidf/sec-') && v !== 400) wrong.push(`${k}: expected 400, got ${v}`);
  assert.deepEqual(wrong, []);
});
