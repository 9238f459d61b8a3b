// Running the server as an operator does: one server per data directory (also after a
// SIGKILL), a fatal start error printed once, the start banner, one debug line per request,
// the pretty log format, and the admin listener's --http choices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../support/server.js';
import { REPO_ROOT } from '../support/fixtures.js';
import { SipUA, rand } from '../support/sip-ua.js';
import { adminAddress, parseHostPort } from '../../src/config/addresses.js';
import { ConfigError } from '../../src/config/schema.js';

const MAIN = join(REPO_ROOT, 'dist/src/main.js');

/** Runs the server expecting it to exit by itself (a refused start); bounded. */
function runToExit(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`did not exit: ${stdout}\n${stderr}`));
    }, timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON log lines (stderr chunks in the same array are skipped). */
function jsonLines(logs: string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const l of logs) {
    try {
      out.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      /* a stderr chunk */
    }
  }
  return out;
}

function tempData(): string {
  return mkdtempSync(join(tmpdir(), 'comsipl-ops-'));
}

test('a second server on the same --data is refused with one line and exit 1; after SIGKILL of the first a new one starts', async () => {
  const data = tempData();
  try {
    const first = await startServer([], { data });
    const second = await runToExit(['--host', '127.0.0.1', '--port', '0', '--data', data]);
    assert.equal(second.code, 1);
    const lines = second.stderr.trim().split('\n');
    assert.equal(lines.length, 1, second.stderr);
    assert.match(lines[0]!, new RegExp(`^comsipl: data directory .* is in use by another ComSIPL server \\(pid ${first.proc.pid}\\); stop it first or choose another --data$`));
    assert.doesNotMatch(second.stdout, /"level":60|fatal/i, 'the fatal error is not printed a second time on stdout');
    // The first one still serves.
    const ua = await new SipUA().bind();
    const aor = `sip:l${rand(3)}@127.0.0.1`;
    const r = await ua.request({ method: 'OPTIONS', uri: aor, from: `<${aor}>;tag=1`, to: `<${aor}>`, callId: rand(), cseq: 1 }, first.port);
    assert.equal(r.status, 200);
    ua.close();

    await first.kill(); // SIGKILL: no clean-up ran, comsipl.pid is left behind
    assert.ok(existsSync(join(data, 'comsipl.pid')));
    const third = await startServer([], { data });
    assert.ok(third.port > 0);
    await third.stop();
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test('the banner says where it listens, auth, how many users and, with none, the command that adds one', async () => {
  const data = tempData();
  try {
    const srv = await startServer([], { data });
    const banner = jsonLines(srv.logs).find((j) => j.banner === true)!;
    await srv.stop();
    assert.equal(banner.sip, Object.entries(srv.ports).map(([t, port]) => `${t} 127.0.0.1:${port}`).join(' and '));
    assert.match(String(banner.sip), new RegExp(`^udp 127\\.0\\.0\\.1:${srv.port}`));
    assert.equal(banner.admin, srv.admin);
    assert.equal(banner.auth, 'off');
    assert.equal(banner.users, 0);
    assert.equal(banner.addUser, `comsipl user add alice@example.com --data ${data}`);
    assert.match(String(banner.msg), /serving SIP on udp 127\.0\.0\.1:\d+[^;]*; admin http:\/\/127\.0\.0\.1:\d+; authentication off; 0 users; add one with: comsipl user add/);

    writeFileSync(join(data, 'users.json'), JSON.stringify({ version: 1, users: { 'bob@example.com': { realm: 'example.com', ha1: { MD5: '0'.repeat(32) } } } }));
    const again = await startServer(['--auth', 'on', '--domain', 'example.com'], { data });
    const b2 = jsonLines(again.logs).find((j) => j.banner === true)!;
    await again.stop();
    assert.equal(b2.auth, 'on');
    assert.equal(b2.users, 1);
    assert.equal(b2.addUser, undefined);
    assert.match(String(b2.msg), /authentication on; 1 user$/);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test('--log-level debug: one line per handled request with method, AoR, status and ms', async () => {
  const srv = await startServer(['--log-level', 'debug']);
  const ua = await new SipUA().bind();
  try {
    const user = `d${rand(3)}`;
    const aor = `sip:${user}@127.0.0.1`;
    const r = await ua.request({ method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<${aor}>;tag=1`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Contact', `<sip:${user}@${ua.hostPort}>`]] }, srv.port);
    assert.equal(r.status, 200);
    const deadline = Date.now() + 10_000;
    let line: Record<string, unknown> | undefined;
    while (line === undefined && Date.now() < deadline) {
      line = jsonLines(srv.logs).find((j) => j.msg === 'request' && j.aor === `${user}@127.0.0.1`);
      if (line === undefined) await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(line, 'a request line');
    assert.equal(line.method, 'REGISTER');
    assert.equal(line.status, 200);
    assert.equal(typeof line.ms, 'number');
  } finally {
    ua.close();
    await srv.stop();
    srv.cleanup();
  }
});

test('--log-format pretty prints readable lines, not JSON', async () => {
  const data = tempData();
  try {
    const p = spawn(process.execPath, [MAIN, '--host', '127.0.0.1', '--port', '0', '--data', data, '--log-format', 'pretty'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no banner: ${out}`)), 20_000);
      p.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (/serving SIP on/.test(out)) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
    assert.match(out, /INFO.*ComSIPL .* serving SIP on udp 127\.0\.0\.1:\d+/);
    assert.doesNotMatch(out, /^\{"level"/m);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test('--http off runs without an admin listener; a bad --http is a usage error; a taken explicit port stops the start', async () => {
  const srv = await startServer(['--http', 'off']);
  assert.equal(srv.admin, null);
  assert.equal(existsSync(join(srv.data, 'admin-url')), false);
  assert.equal(existsSync(join(srv.data, 'admin-token')), false);
  await srv.stop();
  srv.cleanup();

  const bad = await runToExit(['--host', '127.0.0.1', '--port', '0', '--http', 'localhost']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^comsipl: --http: 'localhost' is not host:port, \[v6\]:port or off\n$/);

  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const taken = (blocker.address() as { port: number }).port;
  const data = tempData();
  try {
    const r = await runToExit(['--host', '127.0.0.1', '--port', '0', '--data', data, '--http', `127.0.0.1:${taken}`]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^comsipl: admin listener 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE.*--http`));
  } finally {
    blocker.close();
    rmSync(data, { recursive: true, force: true });
  }
});

test('adminAddress: default 127.0.0.1:9060 (port 0 with --port 0), explicit host:port, [v6]:port, off', () => {
  assert.deepEqual(adminAddress({ http: '', port: 5060 }), { host: '127.0.0.1', port: 9060, explicit: false });
  assert.deepEqual(adminAddress({ http: '', port: 0 }), { host: '127.0.0.1', port: 0, explicit: false });
  assert.deepEqual(adminAddress({ http: '0.0.0.0:8080', port: 5060 }), { host: '0.0.0.0', port: 8080, explicit: true });
  assert.deepEqual(adminAddress({ http: '[::1]:9000', port: 5060 }), { host: '::1', port: 9000, explicit: true });
  assert.equal(adminAddress({ http: 'off', port: 5060 }), null);
  for (const bad of ['9060', 'host:1', '127.0.0.1:70000', '::1:80', '127.0.0.1:']) {
    assert.equal(parseHostPort(bad), null, bad);
    assert.throws(() => adminAddress({ http: bad, port: 5060 }), ConfigError);
  }
});
