import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError, DEFAULTS } from '../../src/config/schema.js';
import { REPO_ROOT } from '../support/fixtures.js';

test('defaults, then file, then environment, then flags', () => {
  assert.equal(loadConfig([], {}).port, DEFAULTS.port);
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ port: 5070, minExpires: 30, domain: ['Example.com'] }));
  const c = loadConfig(['--config', file, '--min-expires', '45'], { COMSIPL_PORT: '5080', COMSIPL_LOG_LEVEL: 'warn' });
  assert.equal(c.port, 5080);
  assert.equal(c.minExpires, 45);
  assert.equal(c.logLevel, 'warn');
  assert.deepEqual(c.domain, ['Example.com']);
  assert.ok(Object.isFrozen(c));
});

test('a bad value is one clear error naming it', () => {
  assert.throws(() => loadConfig(['--port', '70000'], {}), (e: Error) => e instanceof ConfigError && /--port/.test(e.message));
  assert.throws(() => loadConfig(['--workers', 'two'], {}), /--workers.*not a whole number/);
  assert.throws(() => loadConfig([], { COMSIPL_LOG_LEVEL: 'loud' }), /COMSIPL_LOG_LEVEL/);
  assert.throws(() => loadConfig(['--host', 'example.com'], {}), /--host/);
  assert.throws(() => loadConfig(['--bogus', '1'], {}), /unknown option '--bogus'/);
  assert.throws(() => loadConfig(['--min-expires', '500', '--max-expires', '100'], {}), /above --max-expires/);
});

test('the CLI exits 2 with one line on a bad value', () => {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/src/main.js'), '--port', 'x'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /--port/);
});

test('transports: all five by default (TLS/WSS quietly off without a certificate), a list turns some off, bad lists are one clear error', () => {
  const d = loadConfig([], {});
  assert.deepEqual(d.transports, ['udp', 'tcp', 'tls', 'ws', 'wss']);
  assert.equal(d.tcpPort, -1, 'TCP follows the UDP port');
  assert.deepEqual([d.tlsPort, d.wsPort, d.wssPort], [5061, 5066, 7443]);
  assert.deepEqual(d.authAlgorithms, ['MD5'], 'the one challenge every client answers');
  assert.deepEqual(loadConfig(['--transports', 'UDP,ws'], {}).transports, ['udp', 'ws']);
  assert.throws(() => loadConfig(['--transports', 'udp,sctp'], {}), /--transports: 'sctp'/);
  assert.throws(() => loadConfig(['--transports', 'udp,tls'], {}), /needs --tls-cert and --tls-key/);
  assert.throws(() => loadConfig(['--tls-cert', '/x.pem'], {}), /go together/);
  assert.deepEqual(loadConfig(['--transports', 'tls', '--tls-cert', '/c', '--tls-key', '/k'], {}).transports, ['tls']);
  assert.equal(loadConfig(['--max-connections-per-ip', '5'], {}).maxConnectionsPerIp, 5);
  assert.throws(() => loadConfig(['--idle-timeout', '0'], {}), /--idle-timeout/);
});

test('event packages and resource lists: defaults, on|off switches, the lists file beside the data', () => {
  const d = loadConfig(['--data', '/tmp/x'], {});
  assert.equal(d.dialogSingle, false);
  assert.equal(d.dialogDummy, false);
  assert.equal(d.lists, join('/tmp/x', 'lists.json'));
  assert.deepEqual(d.rlsUsers, ['rls']);
  assert.equal(d.listBatchMs, 300);
  assert.equal(d.listEventQuirk, true);
  const c = loadConfig(['--dialog-single', 'on', '--dialog-dummy', 'true', '--rls-users', 'rls,Buddies', '--list-batch-ms', '0', '--list-event-quirk', 'off'], { COMSIPL_LIST_MAX_BODY: '8000' });
  assert.equal(c.dialogSingle, true);
  assert.equal(c.dialogDummy, true);
  assert.deepEqual(c.rlsUsers, ['rls', 'buddies']);
  assert.equal(c.listBatchMs, 0);
  assert.equal(c.listEventQuirk, false);
  assert.equal(c.listMaxBody, 8000);
  assert.throws(() => loadConfig(['--dialog-single', 'maybe'], {}), /--dialog-single.*on\|off/);
  assert.throws(() => loadConfig(['--list-max-body', '10'], {}), /--list-max-body/);
});
