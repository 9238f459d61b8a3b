// Tried as a browser user would: SIP.js (the npm `sip.js` package, served from this machine) in
// headless Chromium (Debian's, driven by playwright-core), with authentication on at its
// defaults. Page A registers over WebSocket and publishes; page B registers, subscribes to A
// and shows A's changes; once over ws:// and once over wss:// with a certificate made here.
// Robust on a busy machine: the DOM is polled with generous timeouts, nothing is timed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { addUser } from '../../src/auth/users-file.js';
import { startServer, type RunningServer } from '../support/server.js';
import { REPO_ROOT } from '../support/fixtures.js';
import { makeCert, type TestCert } from '../support/cert.js';

const CHROMIUM = '/usr/bin/chromium';
const WAIT = 60_000;
const DOMAIN = '127.0.0.1';
let srv: RunningServer;
let cert: TestCert;
let data: string;
let web: http.Server;
let webPort = 0;

/** The pages and the SIP.js modules, from this machine only (no CDN). */
function serveStatic(): http.Server {
  const roots: Record<string, string> = {
    '/page/': join(REPO_ROOT, 'test', 'browser', 'assets'),
    '/sipjs/': join(REPO_ROOT, 'node_modules', 'sip.js', 'lib'),
  };
  const types: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html; charset=utf-8' };
  return http.createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    for (const [prefix, dir] of Object.entries(roots)) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length)));
      if (!file.startsWith(dir + sep) || !existsSync(file)) break;
      res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
      res.end(readFileSync(file));
      return;
    }
    res.writeHead(404).end();
  });
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `Debian's chromium is needed at ${CHROMIUM} (.ci/run installs it)`);
  cert = makeCert();
  data = mkdtempSync(join(tmpdir(), 'comsipl-browser-'));
  for (const u of ['alice', 'bob']) addUser(join(data, 'users.json'), { user: u, domain: DOMAIN, password: `pw-${u}` });
  srv = await startServer(['--auth', 'on', '--tls-cert', cert.cert, '--tls-key', cert.key], { data });
  web = serveStatic();
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
  webPort = (web.address() as AddressInfo).port;
});

after(async () => {
  await new Promise<void>((r) => web.close(() => r()));
  await srv.stop();
  rmSync(data, { recursive: true, force: true });
  rmSync(cert.dir, { recursive: true, force: true });
});

async function launch(trustAnyCertificate: boolean): Promise<{ ctx: BrowserContext; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-chromium-'));
  const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  // Only for the wss:// run: the test's own certificate is not in any trust store.
  if (trustAnyCertificate) args.push('--ignore-certificate-errors');
  const ctx = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args, timeout: WAIT });
  return { ctx, dir };
}

function pageUrl(server: string, user: string, role: string): string {
  const q = new URLSearchParams({ server, user, password: `pw-${user}`, domain: DOMAIN, role, watch: `sip:alice@${DOMAIN}` });
  return `http://127.0.0.1:${webPort}/page/sipjs.html?${q}`;
}

async function text(page: Page, id: string): Promise<string> {
  return (await page.textContent(`#${id}`)) ?? '';
}

/** Polls the DOM until `#id` contains `want`; fails with what the page shows. */
async function shows(page: Page, id: string, want: string): Promise<void> {
  try {
    await page.waitForFunction(([i, w]) => (document.getElementById(i!)?.textContent ?? '').includes(w!), [id, want], { timeout: WAIT, polling: 100 });
  } catch {
    assert.fail(`#${id} never showed '${want}': it shows '${await text(page, id)}'; page log: ${await text(page, 'log')}`);
  }
}

for (const scheme of ['ws', 'wss'] as const) {
  test(`SIP.js in Chromium over ${scheme}://: A registers and publishes, B subscribes and sees each change (digest auth on)`, async () => {
    const { ctx, dir } = await launch(scheme === 'wss');
    try {
      const server = `${scheme}://127.0.0.1:${scheme === 'ws' ? srv.ports.ws : srv.ports.wss}`;
      const a = await ctx.newPage();
      const b = await ctx.newPage();
      await a.goto(pageUrl(server, 'alice', 'publisher'));
      await shows(a, 'reg', 'Registered');
      await a.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, null, { timeout: WAIT });
      await a.evaluate((n) => (window as unknown as { publishNote(n: string): Promise<void> }).publishNote(n), `first-${scheme}`);
      await shows(a, 'pub', `first-${scheme}`);

      await b.goto(pageUrl(server, 'bob', 'watcher'));
      await shows(b, 'reg', 'Registered');
      await shows(b, 'sub', 'Subscribed');
      await shows(b, 'state', `open first-${scheme}`);

      await a.evaluate((n) => (window as unknown as { publishNote(n: string): Promise<void> }).publishNote(n), `second-${scheme}`);
      await shows(b, 'state', `open second-${scheme}`);
      assert.ok(Number(await text(b, 'notifies')) >= 2);
    } finally {
      await ctx.close();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(!srv.logs.some((l) => /"level":(50|60)/.test(l)), `no error logged: ${srv.logs.filter((l) => /"level":(50|60)/.test(l)).join('\n')}`);
  });
}
