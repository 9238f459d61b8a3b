// `npm start` as an operator runs it: it serves the already built server without compiling,
// and SIGTERM or SIGINT sent to the npm process stops the server too — no orphan left holding
// the port. Checked on the real process tree: npm → (exec) node scripts/start.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/fixtures.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** npm itself: the one running this test (npm test), else the npm on PATH. */
function npmCommand(): [string, string[]] {
  const cli = process.env.npm_execpath;
  return cli !== undefined && cli.endsWith('.js') ? [process.execPath, [cli]] : ['npm', []];
}

async function udpPortFree(port: number): Promise<boolean> {
  const s = createSocket('udp4');
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} to the npm process stops the server: no process left, port free`, async () => {
    const data = mkdtempSync(join(tmpdir(), 'comsipl-npmstart-'));
    const [cmd, pre] = npmCommand();
    const npm = spawn(cmd, [...pre, 'start', '--silent', '--', '--host', '127.0.0.1', '--port', '0', '--data', data], {
      cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    let out = '';
    let err = '';
    npm.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const npmExit = new Promise<number | null>((r) => npm.once('exit', (code) => r(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no banner from npm start:\n${out}\n${err}`)), 60_000);
        npm.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /"banner":true.*?"port":(\d+)/.exec(out);
          if (m !== null) {
            clearTimeout(t);
            resolve(Number(m[1]));
          }
        });
        void npmExit.then(() => reject(new Error(`npm exited early:\n${out}\n${err}`)));
      });
      assert.doesNotMatch(err, /compiling/, 'nothing changed since the build: no tsc run');
      const serverPid = Number(readFileSync(join(data, 'comsipl.pid'), 'utf8'));
      assert.ok(alive(serverPid));
      assert.notEqual(serverPid, npm.pid, 'the server is npm\'s child, not npm');

      npm.kill(signal);
      const deadline = Date.now() + 20_000;
      await Promise.race([npmExit, new Promise((r) => setTimeout(r, 20_000))]);
      while (alive(serverPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(alive(serverPid), false, `server pid ${serverPid} still running after ${signal} to npm`);
      assert.ok(await udpPortFree(port), `UDP port ${port} still held`);
      assert.match(out, /"msg":"stopped"/, 'it stopped cleanly, not killed');
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
      try {
        const pid = Number(readFileSync(join(data, 'comsipl.pid'), 'utf8'));
        if (alive(pid)) process.kill(pid, 'SIGKILL'); // only the server this test started
      } catch {
        /* gone, as it should be */
      }
      rmSync(data, { recursive: true, force: true });
    }
  });
}
