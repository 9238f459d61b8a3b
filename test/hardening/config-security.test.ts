// Secure defaults of the configuration: authentication is on unless the server listens on
// loopback only, the realm and the users/rules files have sensible defaults, switching
// authentication off on a reachable address is warned about loudly, and broken users/rules
// files stop the start with one line naming the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/schema.js';
import { startServer } from '../support/server.js';
import { REPO_ROOT } from '../support/fixtures.js';
import { sleep } from './helpers.js';

/** stdout and stderr arrive on separate pipes: wait (bounded) until `re` shows up in the logs. */
async function logsMatch(logs: string[], re: RegExp): Promise<boolean> {
  for (let i = 0; i < 40 && !re.test(logs.join('\n')); i++) await sleep(50);
  return re.test(logs.join('\n'));
}

test('auth defaults to on except on 127.0.0.1 / ::1; realm, users and rules default sensibly', () => {
  assert.equal(loadConfig([], {}).auth, 'on', '0.0.0.0 is reachable');
  assert.equal(loadConfig(['--host', '192.0.2.10'], {}).auth, 'on');
  assert.equal(loadConfig(['--host', '127.0.0.1'], {}).auth, 'off');
  assert.equal(loadConfig(['--host', '::1'], {}).auth, 'off');
  assert.equal(loadConfig(['--host', '127.0.0.1', '--auth', 'on'], {}).auth, 'on');
  assert.equal(loadConfig([], { COMSIPL_AUTH: 'off' }).auth, 'off');
  assert.throws(() => loadConfig(['--auth', 'maybe'], {}), (e: Error) => e instanceof ConfigError && /--auth/.test(e.message));
  const c = loadConfig(['--data', '/srv/sip', '--domain', 'Example.com,other.org'], {});
  assert.equal(c.realm, 'example.com');
  assert.equal(c.users, join('/srv/sip', 'users.json'));
  assert.equal(c.rules, join('/srv/sip', 'rules.json'));
  assert.equal(loadConfig(['--host', '192.0.2.10'], {}).realm, '', 'no --realm/--domain: each request is challenged in its AoR domain');
  assert.equal(loadConfig(['--realm', 'r', '--users', '/u.json', '--rules', '/r.json'], {}).users, '/u.json');
  assert.equal(loadConfig(['--rate-limit', '50'], {}).rateBurst, 100, 'burst defaults to twice the rate');
  assert.equal(loadConfig([], {}).rateLimit, 0, 'no per-source limit by default');
  assert.equal(loadConfig([], {}).notifyMinInterval, 0);
});

test('--auth off on a non-loopback address: a loud warning on stderr and in the log', async () => {
  const srv = await startServer(['--auth', 'off'], { host: '0.0.0.0' });
  try {
    assert.ok(await logsMatch(srv.logs, /comsipl: WARNING: AUTHENTICATION IS OFF on a non-loopback address/), srv.logs.join('\n'));
    assert.ok(await logsMatch(srv.logs, /"level":40[^\n]*AUTHENTICATION IS OFF/));
  } finally {
    await srv.stop();
    srv.cleanup();
  }
});

test('auth on with an empty users file: the start warns that everything will be refused', async () => {
  const srv = await startServer(['--auth', 'on']);
  try {
    assert.ok(await logsMatch(srv.logs, /users file has no users/), srv.logs.join('\n'));
    assert.match(srv.logs.join('\n'), /"auth":"on"/);
  } finally {
    await srv.stop();
    srv.cleanup();
  }
});

test('a broken users or rules file: exit 1 with one line naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-badfiles-'));
  try {
    for (const [name, flag] of [['users.json', '--auth'], ['rules.json', '--log-level']] as const) {
      const file = join(dir, name);
      writeFileSync(file, name === 'users.json' ? '{"version": 9}' : '{"default": "sometimes"}');
      const args = [join(REPO_ROOT, 'dist/src/main.js'), '--host', '127.0.0.1', '--port', '0', '--data', dir, flag, flag === '--auth' ? 'on' : 'silent'];
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 15000 });
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0]!.startsWith(`comsipl: ${file}: `), lines[0]);
      rmSync(file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
