// Does the admin listener slow SIP? REGISTER/s (SIPp, bench/sipp) against one server, in
// alternating back-to-back rounds: nothing else; a Prometheus-like scrape of /metrics every
// second; the board open in headless Chromium (logged in, live feed connected); both.
//
//   npm run build && node dist/bench/ops/admin-overhead.js [--rate 6000] [--calls 24000] [--rounds 3]
//
// Bounded: rounds × calls at the offered rate, each SIPp run capped by the runner. Relative
// figures only (SIPp, Chromium and the server share the machine's cores).
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';
import { freeUdpPort } from '../sipp/server.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
const run = promisify(execFile);

/** CPU time (user + system) of a process in ms, from /proc (Linux; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Load { stop(): Promise<{ scrapes: number; scrapeMs: number }> }
type Condition = 'none' | 'scrape 1/s' | 'board' | 'scrape 1/s + board';

async function opsLoad(url: string, token: string, cond: Condition): Promise<Load> {
  let scrapes = 0;
  let scrapeMs = 0;
  const scrape = cond.startsWith('scrape');
  const timer = !scrape ? null : setInterval(() => {
    const t0 = performance.now();
    void fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.text()).then(() => {
      scrapes++;
      scrapeMs += performance.now() - t0;
    });
  }, 1000);
  if (!cond.endsWith('board')) {
    return { stop: async () => { if (timer !== null) clearInterval(timer); return { scrapes, scrapeMs }; } };
  }
  const profile = mkdtempSync(join(tmpdir(), 'comsipl-bench-chromium-'));
  const browser: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] ?? await browser.newPage();
  await page.goto(`${url}/board`);
  await page.fill('#token', token);
  await page.click('#login-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#link')?.getAttribute('data-state') === 'live', undefined, { timeout: 30_000 });
  return {
    async stop() {
      if (timer !== null) clearInterval(timer);
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
      return { scrapes, scrapeMs };
    },
  };
}

async function main(): Promise<void> {
  const rate = arg('--rate', 6000);
  const calls = arg('--calls', 24000);
  const rounds = arg('--rounds', 2);
  const port = await freeUdpPort();
  const data = mkdtempSync(join(tmpdir(), 'comsipl-bench-ops-'));
  const server = spawn(process.execPath, [join(REPO, 'dist/src/main.js'), '--host', '127.0.0.1', '--port', String(port), '--data', data, '--http', '127.0.0.1:0', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const url = await waitFor(() => (existsSync(join(data, 'admin-url')) ? readFileSync(join(data, 'admin-url'), 'utf8').trim() : undefined), 'admin-url');
    const token = readFileSync(join(data, 'admin-token'), 'utf8').trim();
    await waitFor(async () => ((await fetch(`${url}/readyz`).catch(() => null))?.status === 200 ? true : undefined), 'readyz');
    const rows: string[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const cond of ['none', 'scrape 1/s', 'board', 'scrape 1/s + board'] as const) {
        const load = cond === 'none' ? null : await opsLoad(url, token, cond);
        const cpu0 = cpuMs(server.pid!);
        const out = await run(process.execPath, [join(REPO, 'dist/bench/sipp/run.js'), 'register', '--rate', String(rate), '--calls', String(calls), '--target', `127.0.0.1:${port}`, '--json'], { cwd: REPO, timeout: 300_000, maxBuffer: 1 << 24 });
        const cpu = cpuMs(server.pid!) - cpu0;
        const side = load === null ? null : await load.stop();
        const line = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { okPerSecond: number; ok: number; failed: number; p50: number; p90: number; p99: number; retransmissions: number };
        const row = `| ${r + 1} | ${cond} | ${line.okPerSecond.toFixed(0)} | ${line.ok} / ${line.failed} | ${line.retransmissions} | ${line.p50} / ${line.p90} / ${line.p99} | ${(cpu / line.ok * 1000).toFixed(0)} | ${side === null || side.scrapes === 0 ? '—' : `${side.scrapes} scrapes, mean ${(side.scrapeMs / side.scrapes).toFixed(1)} ms`} |`;
        rows.push(row);
        process.stdout.write(row + '\n');
      }
    }
    process.stdout.write(`\nREGISTER offered ${rate}/s, ${calls} calls per run, server on 127.0.0.1:${port}\n`);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(data, { recursive: true, force: true });
  }
}

await main();
