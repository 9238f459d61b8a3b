// The `comsipl` CLI over a running server's admin API (status, presence, watchers,
// registrations, kick, rules list, user remove), run as the real binary; --help on every
// subcommand; and the failures an operator meets (no server, someone else's token).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer, type RunningServer } from '../support/server.js';
import { REPO_ROOT } from '../support/fixtures.js';
import { SipUA, rand, PIDF, hdr } from '../support/sip-ua.js';
import { subscribe } from '../hardening/helpers.js';
import { Readable, Writable } from 'node:stream';
import { runAdminCli } from '../../src/admin/cli/admin-cli.js';
import { runUserCli } from '../../src/auth/user-cli.js';
import { runRulesCli } from '../../src/policy/rules-cli.js';

const run = promisify(execFile);
const MAIN = join(REPO_ROOT, 'dist/src/main.js');
const HOST = '127.0.0.1';
let data: string;
let srv: RunningServer;
let ua: SipUA;

/** The real binary: a process per call (used where the entry point itself is under test). */
async function bin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(process.execPath, [MAIN, ...args], { timeout: 30_000, env: { ...process.env, COMSIPL_DATA: '', COMSIPL_HTTP: '', COMSIPL_ADMIN_TOKEN: '', ...env } });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return { stream: new Writable({ write(chunk, _enc, cb) { text += String(chunk); cb(); } }), text: () => text };
}

/** The same subcommands in this process (what main dispatches to), with their own streams. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const io = { stdin: Readable.from([]), stdout: out.stream, stderr: err.stream };
  const [name, ...rest] = args;
  let code: number;
  if (name === 'user') code = await runUserCli(rest, io);
  else if (name === 'rules') code = await runRulesCli(rest, io);
  else code = await runAdminCli(name!, rest, io, { COMSIPL_DATA: '', COMSIPL_HTTP: '', COMSIPL_ADMIN_TOKEN: '', ...env });
  return { code, out: out.text(), err: err.text() };
}

before(async () => {
  data = mkdtempSync(join(tmpdir(), 'comsipl-cli-'));
  writeFileSync(join(data, 'rules.json'), JSON.stringify({ users: { [`sip:dave@${HOST}`]: { default: 'confirm', block: ['sip:eve@example.org'] } } }));
  srv = await startServer([], { data });
  ua = await new SipUA().bind();
});
after(async () => {
  ua.close();
  await srv.stop();
  rmSync(data, { recursive: true, force: true });
});

test('--help on every subcommand, on stdout with exit 0', async () => {
  const cases: [string[], RegExp][] = [
    [['--help'], /usage: comsipl \[serve\] \[options\][\s\S]*comsipl status \| presence/],
    [['status', '--help'], /^usage: comsipl status /],
    [['presence', '--help'], /^usage: comsipl presence <aor>/],
    [['watchers', '--help'], /^usage: comsipl watchers <aor>/],
    [['registrations', '--help'], /^usage: comsipl registrations /],
    [['kick', '--help'], /^usage: comsipl kick subscription <id>[\s\S]*kick binding <aor>/],
    [['user', '--help'], /^usage: comsipl user add[\s\S]*user remove[\s\S]*user list/],
    [['user', 'remove', '--help'], /^usage: comsipl user add/],
    [['rules', '--help'], /^usage: comsipl rules approve[\s\S]*rules list/],
    [['rules', 'list', '--help'], /^usage: comsipl rules approve/],
    [['load', '--help'], /^usage: comsipl load/],
  ];
  for (const [args, re] of cases) {
    const viaBinary = args[0] === '--help' || args[0] === 'load' || args[0] === 'status';
    const r = await (viaBinary ? bin(args) : cli(args));
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
    assert.match(r.out, re, args.join(' '));
    assert.equal(r.err, '', args.join(' '));
  }
});

test('status, registrations, presence and watchers print what the server holds', async () => {
  const user = `c${rand(3)}`;
  const aor = `sip:${user}@${HOST}`;
  const reg = await ua.request({ method: 'REGISTER', uri: `sip:${HOST}`, from: `<${aor}>;tag=1`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Contact', `<sip:${user}@${ua.hostPort}>`], ['Expires', '600']] }, srv.port);
  assert.equal(reg.status, 200);
  assert.equal((await ua.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=2`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Content-Type', 'application/pidf+xml']], body: PIDF(aor, 'open', 't1', 'at my desk') }, srv.port)).status, 200);
  const d = await subscribe(ua, srv.port, aor, `sip:watcher@${HOST}`);
  await ua.waitNotify(d.callId, 5000, 0);

  const status = await bin(['status', '--data', data]); // once through the real entry point
  assert.equal(status.code, 0, status.err);
  assert.match(status.out, /^ComSIPL \S+, ready, up since /);
  assert.match(status.out, new RegExp(`SIP: +udp 127\\.0\\.0\\.1:${srv.port}`));
  assert.match(status.out, /registrations: 1 +presentities: 1 +subscriptions: 1/);

  const regs = await cli(['registrations', '--data', data, '--aor', user]);
  assert.equal(regs.code, 0, regs.err);
  assert.match(regs.out, new RegExp(`^${aor}\\n  <sip:${user}@127\\.0\\.0\\.1:\\d+>  expires in \\d+ s  udp\\n$`));

  const pres = await cli(['presence', `${user}@${HOST}`, '--data', data]);
  assert.equal(pres.code, 0, pres.err);
  assert.match(pres.out, new RegExp(`^${aor}: available \\("at my desk"\\); 1 publication, 1 watcher \\(0 pending\\)`));
  assert.match(pres.out, /<basic>open<\/basic>/);

  const w = await cli(['watchers', aor, '--data', data]);
  assert.equal(w.code, 0, w.err);
  assert.match(w.out, new RegExp(`^\\S+  sip:watcher@127\\.0\\.0\\.1  presence  active  expires in \\d+ s  udp → sip:w@`));

  const json = await cli(['watchers', aor, '--data', data, '--json']);
  const page = JSON.parse(json.out) as { items: { id: string }[]; total: number };
  assert.equal(page.total, 1);

  // kick subscription, with the id the watchers listing gave
  const from = ua.received.length;
  const kick = await cli(['kick', 'subscription', page.items[0]!.id, '--reason', 'noresource', '--data', data]);
  assert.equal(kick.code, 0, kick.err);
  assert.equal(kick.out, `subscription ${page.items[0]!.id} ended (terminated;reason=noresource)\n`);
  const last = await ua.waitFor((m) => m.kind === 'request' && m.method === 'NOTIFY' && hdr(m, 'Call-ID') === d.callId, 5000, from);
  assert.equal(hdr(last, 'Subscription-State'), 'terminated;reason=noresource');

  const kb = await cli(['kick', 'binding', aor, '--data', data]);
  assert.equal(kb.code, 0, kb.err);
  assert.equal(kb.out, `removed 1 binding of ${aor}\n`);
  assert.match((await cli(['registrations', '--data', data, '--aor', user])).out, /^no registrations\n$/);
});

test('rules list: the file\'s rules, then who waits with the command that approves', async () => {
  const dave = `sip:dave@${HOST}`;
  const d = await subscribe(ua, srv.port, dave, `sip:fred@${HOST}`);
  assert.equal(d.res.status, 200);
  const r = await cli(['rules', 'list', '--data', data]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /everyone else: allow/);
  assert.match(r.out, new RegExp(`  ${dave}: default confirm; block: sip:eve@example\\.org`));
  assert.match(r.out, new RegExp(`sip:fred@127\\.0\\.0\\.1 wants to watch ${dave} \\(expires in \\d+ s\\): comsipl rules approve ${dave} sip:fred@127\\.0\\.0\\.1`));
  // Without a server the file part still prints, and a note says why the rest is missing.
  const offline = mkdtempSync(join(tmpdir(), 'comsipl-cli-off-'));
  try {
    const o = await cli(['rules', 'list', '--data', offline, '--http', '127.0.0.1:1']);
    assert.equal(o.code, 0);
    assert.match(o.out, /everyone else: allow/);
    assert.match(o.err, /pending watchers not shown/);
  } finally {
    rmSync(offline, { recursive: true, force: true });
  }
});

test('user remove edits the users file; the running server sees it', async () => {
  assert.equal((await cli(['user', 'add', 'gus@example.com', '--password', 'pw', '--data', data])).code, 0);
  const status = async (): Promise<string> => (await cli(['status', '--data', data])).out;
  const deadline = Date.now() + 10_000;
  while (!/1 user;/.test(await status()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.match(await status(), /1 user;/);
  const rm = await cli(['user', 'remove', 'gus@example.com', '--data', data]);
  assert.equal(rm.code, 0, rm.err);
  assert.equal(rm.out, `removed gus@example.com from ${join(data, 'users.json')}\n`);
  assert.deepEqual(JSON.parse(readFileSync(join(data, 'users.json'), 'utf8')).users, {});
  const again = await cli(['user', 'remove', 'gus@example.com', '--data', data]);
  assert.equal(again.code, 1);
  assert.match(again.err, /no user gus@example\.com/);
});

test('failures: usage errors exit 2; no server, or another server\'s token, exit 1 with one line', async () => {
  for (const args of [['presence'], ['watchers', 'a@b', 'c@d'], ['kick'], ['kick', 'everyone'], ['registrations', 'extra'], ['status', '--colour', 'x'], ['status', '--http', 'nohost']]) {
    const r = await (args[0] === 'status' ? bin : cli)([...args, '--data', data]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.equal(r.err.trim().split('\n').length, 1);
  }
  const empty = mkdtempSync(join(tmpdir(), 'comsipl-cli-none-'));
  try {
    const noToken = await cli(['status', '--data', empty]);
    assert.equal(noToken.code, 1);
    assert.match(noToken.err, /^comsipl status: no admin token at .*admin-token/);
    writeFileSync(join(empty, 'admin-token'), 'x'.repeat(43));
    const wrong = await cli(['status', '--data', empty, '--http', new URL(srv.admin!).host]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /refused the token/);
    const down = await cli(['status', '--data', empty, '--http', '127.0.0.1:1']);
    assert.equal(down.code, 1);
    assert.match(down.err, /^comsipl status: no ComSIPL admin API answers at http:\/\/127\.0\.0\.1:1 /);
    // The token may also come from the environment.
    const env = await cli(['status', '--http', new URL(srv.admin!).host], { COMSIPL_ADMIN_TOKEN: readFileSync(join(data, 'admin-token'), 'utf8') });
    assert.equal(env.code, 0, env.err);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  const missing = await cli(['presence', 'nobody@127.0.0.1', '--data', data]);
  assert.equal(missing.code, 1);
  assert.equal(missing.err, 'comsipl presence: no such presentity\n');
});
