// What an operator installs: `comsipl` on the PATH after `npm install -g`, the systemd unit in
// deploy/ (systemd-analyze verify, warnings included), and a LICENSE that says what
// package.json says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/fixtures.js';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { license: string; bin: Record<string, string> };

function npmCommand(): [string, string[]] {
  const cli = process.env.npm_execpath;
  return cli !== undefined && cli.endsWith('.js') ? [process.execPath, [cli]] : ['npm', []];
}

test('LICENSE matches package.json\'s "license"', () => {
  assert.equal(pkg.license, 'MIT');
  assert.match(readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) \d{4} /);
});

test('`npm install -g` puts an executable `comsipl` on the PATH', async () => {
  const entry = join(REPO_ROOT, pkg.bin.comsipl!);
  accessSync(entry, constants.X_OK);
  assert.match(readFileSync(entry, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  const prefix = mkdtempSync(join(tmpdir(), 'comsipl-prefix-'));
  try {
    const [cmd, pre] = npmCommand();
    await run(cmd, [...pre, 'install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--ignore-scripts', REPO_ROOT], { timeout: 120_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
    const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` };
    const v = await run('comsipl', ['--version'], { env, timeout: 30_000 });
    assert.match(v.stdout, /^ComSIPL\/\d+\.\d+\.\d+\n$/);
    const h = await run('comsipl', ['status', '--help'], { env, timeout: 30_000 });
    assert.match(h.stdout, /^usage: comsipl status/);
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

test('deploy/comsipl.service passes systemd-analyze verify without a warning', () => {
  const unit = readFileSync(join(REPO_ROOT, 'deploy/comsipl.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/local\/bin\/comsipl serve --data \/var\/lib\/comsipl$/m);
  assert.match(unit, /^KillSignal=SIGTERM$/m);
  assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  const has = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (has.error !== undefined) {
    // No systemd tools here: the sections and keys above are what can be checked.
    assert.match(unit, /^\[Unit\]$[\s\S]*^\[Service\]$[\s\S]*^\[Install\]$/m);
    return;
  }
  // verify insists that ExecStart exists: point it at this checkout's built entry.
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-unit-'));
  try {
    const file = join(dir, 'comsipl.service');
    writeFileSync(file, unit.replace('/usr/local/bin/comsipl', join(REPO_ROOT, pkg.bin.comsipl!)));
    const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const aboutUs = r.stderr.split('\n').filter((l) => l.includes('comsipl.service'));
    assert.deepEqual(aboutUs, [], 'no warning about the unit');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
