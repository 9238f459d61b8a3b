// The live presence board end to end in headless Chromium (Debian `chromium`, driven by
// playwright-core; nothing is downloaded): log in with the token, then PUBLISHes sent over SIP
// change the badges through the live feed alone (the page never polls), a SUBSCRIBE shows up
// as a watcher, the charts draw, and the page raises no error (CSP included). Waits poll the
// DOM with generous bounds; how long a change took is reported, never asserted.
// BOARD_SCREENSHOT=<file.png> also saves a screenshot with some data (the README's picture).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../support/server.js';
import { SipUA, rand, PIDF } from '../support/sip-ua.js';
import { subscribe } from '../hardening/helpers.js';
import { tokenOf } from '../support/admin.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOST = '127.0.0.1';
const WAIT = 20_000;
let srv: RunningServer;
let ua: SipUA;
let profile: string;
let browser: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

function rpid(aor: string, basic: 'open' | 'closed', activity: string | null, note?: string): string {
  return `<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="${aor}">` +
    `<tuple id="t"><status><basic>${basic}</basic></status></tuple>` +
    `<dm:person id="p">${activity !== null ? `<rpid:activities><rpid:${activity}/></rpid:activities>` : ''}${note !== undefined ? `<dm:note>${note}</dm:note>` : ''}</dm:person></presence>`;
}

async function publish(user: string, doc: string): Promise<void> {
  const aor = `sip:${user}@${HOST}`;
  const r = await ua.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Expires', '600'], ['Content-Type', 'application/pidf+xml']], body: doc }, srv.port);
  assert.equal(r.status, 200);
}

/** The badge state shown for `aor`, or null while there is no card. */
function badgeOf(aor: string): Promise<string | null> {
  return page.evaluate((a) => {
    for (const c of document.querySelectorAll<HTMLElement>('.card')) if (c.dataset.aor === a) return c.querySelector<HTMLElement>('.badge')?.dataset.state ?? null;
    return null;
  }, aor);
}

async function waitForBadge(aor: string, state: string): Promise<number> {
  const t0 = Date.now();
  await page.waitForFunction(([a, s]) => [...document.querySelectorAll<HTMLElement>('.card')].some((c) => c.dataset.aor === a && c.querySelector<HTMLElement>('.badge')?.dataset.state === s), [aor, state] as const, { timeout: WAIT, polling: 25 });
  return Date.now() - t0;
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  srv = await startServer();
  ua = await new SipUA().bind();
  profile = mkdtempSync(join(tmpdir(), 'comsipl-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    viewport: { width: 1280, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = browser.pages()[0] ?? await browser.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
});
after(async () => {
  await browser?.close();
  ua?.close();
  await srv?.stop();
  srv?.cleanup();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('a wrong token is refused on the login form', async () => {
  await page.goto(`${srv.admin}/`);
  await page.fill('#token', 'not-the-token');
  await page.click('#login-form button[type=submit]');
  await page.waitForFunction(() => (document.querySelector('#login-error')?.textContent ?? '') !== '');
  assert.match(await page.textContent('#login-error') ?? '', /not this server's/);
  assert.equal(await page.isHidden('#board'), true);
  pageErrors.length = 0; // the browser logs the deliberate 401; later ones would be real faults
});

test('log in, then a PUBLISH over SIP changes the badge through the live feed', async (t) => {
  const alice = `sip:alice@${HOST}`;
  await publish('alice', PIDF(alice, 'open'));
  await page.fill('#token', tokenOf(srv));
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#board', { state: 'visible' });
  assert.equal(await page.isHidden('#login'), true, 'the login form is gone');
  await waitForBadge(alice, 'available');
  await page.waitForFunction(() => document.querySelector('#link')?.getAttribute('data-state') === 'live');

  await publish('alice', rpid(alice, 'open', 'busy', 'In a meeting'));
  t.diagnostic(`badge busy ${await waitForBadge(alice, 'busy')} ms after the 200 OK`);
  assert.equal(await page.evaluate((a) => [...document.querySelectorAll<HTMLElement>('.card')].find((c) => c.dataset.aor === a)?.querySelector('.note')?.textContent, alice), 'In a meeting');

  // A presentity the page has never seen gets a card of its own.
  const bob = `sip:bob${rand(2)}@${HOST}`;
  await publish(bob.slice(4, bob.indexOf('@')), rpid(bob, 'open', 'on-the-phone'));
  t.diagnostic(`new card on the phone ${await waitForBadge(bob, 'on-the-phone')} ms after the 200 OK`);
  await publish(bob.slice(4, bob.indexOf('@')), rpid(bob, 'open', 'away'));
  await waitForBadge(bob, 'away');
  assert.equal(await badgeOf(alice), 'busy');
  assert.match(await page.textContent('#feed') ?? '', /is on the phone/);
});

test('a SUBSCRIBE shows as a watcher on the card; the charts draw from the stats events', async () => {
  const alice = `sip:alice@${HOST}`;
  const d = await subscribe(ua, srv.port, alice, `sip:watcher@${HOST}`);
  assert.equal(d.res.status, 200);
  await page.waitForFunction((a) => [...document.querySelectorAll<HTMLElement>('.card')].find((c) => c.dataset.aor === a)?.querySelector('.watchers')?.textContent?.includes('sip:watcher@127.0.0.1'), alice);
  // uPlot drew both charts, and at least one stats sample reached them.
  await page.waitForFunction(() => document.querySelectorAll('#charts .uplot canvas').length === 2);
  await page.waitForFunction(() => Number(document.querySelector('#charts')?.getAttribute('data-last') ?? 0) > 0);
  if (process.env.BOARD_SCREENSHOT) {
    for (const [u, doc] of [['carol', rpid(`sip:carol@${HOST}`, 'open', null, 'Working from home')], ['dave', rpid(`sip:dave@${HOST}`, 'closed', null)], ['erin', rpid(`sip:erin@${HOST}`, 'open', 'on-the-phone')], ['frank', rpid(`sip:frank@${HOST}`, 'open', 'vacation', 'Back on Monday')]] as const) {
      await publish(u, doc);
    }
    // Some traffic for the charts: OPTIONS pings (they change nothing, so the feed stays readable).
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      for (let j = 0; j < 60; j++) assert.equal((await ua.request({ method: 'OPTIONS', uri: `sip:${HOST}`, from: `<sip:ping@${HOST}>;tag=${rand()}`, to: `<sip:${HOST}>`, callId: rand(), cseq: 1 }, srv.port)).status, 200);
      await page.waitForFunction((since) => Number(document.querySelector('#charts')?.getAttribute('data-last') ?? 0) > since, t0);
    }
    await waitForBadge(`sip:frank@${HOST}`, 'away');
    await page.waitForFunction(() => Number((document.querySelector('#feed')?.children.length ?? 0)) > 6);
    await page.screenshot({ path: process.env.BOARD_SCREENSHOT, fullPage: true });
  }
});

test('the page raised no error (scripts, CSP, feed)', () => {
  assert.deepEqual(pageErrors, []);
});
