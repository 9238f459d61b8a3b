// ComSIPL vs Kamailio, every figure of issue 7's table in one run: highest clean rate (ramp then
// bisection) of REGISTER, PUBLISH (initial + refresh) and subscribe dialogs; NOTIFY fan-out;
// memory per held subscription; latency at fixed rates; restart after SIGKILL. A fresh server
// before every step, loopback only, SIPp on free ports, every run bounded. One JSON line per
// measurement goes to bench/peers/raw-<date>.jsonl; the markdown table goes to stdout.
// Usage: node dist/bench/peers/compare.js --help
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFanout } from './fanout.js';
import { runMemory, runRestart } from './hold.js';
import { kamailioMissing } from './kamailio.js';
import { killAllStarted } from './live.js';
import { parseOptions, USAGE, type KitOptions } from './options.js';
import { findMaxRate } from './ramp.js';
import { Recorder } from './record.js';
import { markdownTable } from './report.js';
import type { ServerName, ServerOptions } from './servers.js';
import { formatStep, runStep, type RateScenario } from './steps.js';
import { wsSmoke } from './ws-smoke.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

function preflight(o: KitOptions): string | null {
  if (spawnSync('sh', ['-c', 'command -v sipp']).status !== 0) return 'sipp not found (apt-get install sip-tester)';
  if (o.servers.includes('comsipl') && !existsSync(join(REPO, 'dist/src/main.js'))) return 'build first: npm run build';
  if (o.servers.includes('kamailio')) return kamailioMissing(o.kam.variant);
  return null;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let o: KitOptions;
  try {
    o = parseOptions(argv);
  } catch (err) {
    process.stderr.write(`compare: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const missing = preflight(o);
  if (missing !== null) {
    process.stderr.write(`compare: ${missing}\n`);
    return 2;
  }
  const workDir = mkdtempSync(join(tmpdir(), 'comsipl-peers-'));
  const raw = o.raw ?? join(REPO, 'bench/peers', `raw-${new Date().toISOString().slice(0, 10)}.jsonl`);
  const rec = new Recorder(raw, REPO);
  const so = (startTimeoutMs = 60_000): ServerOptions => ({
    repo: REPO, workDir, comsiplArgs: o.comsiplArgs, logLevel: o.comsiplLogLevel,
    kam: { children: o.kam.children, shmMb: o.kam.shmMb, pkgMb: o.kam.pkgMb }, kamVariant: o.kam.variant, startTimeoutMs, settleSeconds: o.settleSeconds,
  });
  const kamParams = { kamailio: { ...o.kam }, comsiplArgs: o.comsiplArgs.join(' ') };
  const maxRate: Record<string, Record<string, number>> = { comsipl: {}, kamailio: {} };
  for (const [scenario, byServer] of Object.entries(o.knownMax)) {
    for (const [server, v] of Object.entries(byServer ?? {})) maxRate[server]![scenario] = v;
  }
  const each = async (fn: (s: ServerName) => Promise<void>): Promise<void> => {
    for (const s of o.servers) {
      try {
        await fn(s);
      } catch (err) {
        log(`  ${s}: FAILED: ${(err as Error).message}`);
      }
    }
  };
  log(`peer kit: ${o.only.join(', ')} on ${o.servers.join(', ')}; raw lines → ${raw}`);
  const t0 = performance.now();
  try {
    if (o.only.includes('check')) {
      const presence: RateScenario[] = ['register', 'publish', 'subscribe', 'publish-lifecycle', 'mixed'];
      const list = { presence, dialog: [...presence, 'dialog'], rls: ['subscribe', 'rls'], ws: ['register', 'subscribe'] }[o.kam.variant] as RateScenario[];
      log(`check: ${list.join(', ')}: 20 calls at 10/s per server (Kamailio variant ${o.kam.variant})`);
      await each(async (server) => {
        if (o.kam.variant === 'ws' && server === 'kamailio') await wsSmoke(so(), rec, log);
        for (const sc of list) {
          const l = await rec.measure(async () => {
            const s = await runStep(so(), server, sc, 10, 2, 20);
            return { server, scenario: `check:${sc}`, params: { rate: 10, calls: 20, ...kamParams }, figures: { ...s } };
          });
          const f = l.figures as { ok: number; calls: number; note?: string };
          log(`  ${server} ${sc}: ${f.ok}/${f.calls} ok${f.ok === f.calls ? '' : ` FAILED ${f.note ?? ''}`}`);
        }
      });
    }
    for (const sc of ['register', 'publish', 'subscribe'] as const) {
      if (!o.only.includes(sc)) continue;
      log(`max-rate ${sc}: ramp ×${o.rampFactor} from ${o.start[sc]}/s, ${o.stepSeconds}-s steps, then bisection`);
      await each(async (server) => {
        const ramp = { start: o.start[sc], factor: o.rampFactor, maxSteps: o.rampSteps, bisections: o.bisections,
          resolution: o.resolution, stepSeconds: o.stepSeconds, graceSeconds: o.graceSeconds };
        const l = await rec.measure(async () => {
          const r = await findMaxRate(so(), server, sc, ramp, log);
          return { server, scenario: `max-rate:${sc}`, params: { ...ramp, ...kamParams }, figures: { ...r } };
        });
        maxRate[server]![sc] = Number(l.figures['maxRate']);
        log(`  ${server} ${sc}: highest clean rate ${String(l.figures['maxRate'])}/s`);
      });
    }
    if (o.only.includes('fanout')) {
      log(`fanout: ${o.fanout.presentities} × ${o.fanout.watchers}, ${o.fanout.offered} NOTIFY/s offered for ${o.fanout.seconds} s`);
      await each(async (server) => {
        const l = await rec.measure(async () => ({
          server, scenario: 'fanout', params: { ...o.fanout, ...kamParams }, figures: await runFanout(so(), server, o.fanout, log),
        }));
        log(`  ${server}: median ${String(l.figures['medianNotifyPerSecond'])} NOTIFY/s, ${String(l.figures['watcherDialogsFailed'])} watcher dialogs failed, clean ${String(l.figures['clean'])}`);
      });
    }
    if (o.only.includes('memory')) {
      for (const [p, w] of o.memoryShapes) {
        log(`memory: ${p} × ${w} subscriptions at ${o.memoryRate}/s`);
        await each(async (server) => {
          const h = { presentities: p, watchers: w, rate: o.memoryRate };
          const l = await rec.measure(async () => ({
            server, scenario: `memory:${p}x${w}`, params: { ...h, settleSeconds: o.memorySettle, ...kamParams },
            figures: await runMemory(so(), server, h, o.memorySettle, log),
          }));
          log(`  ${server}: ${JSON.stringify(l.figures['headline'])} per subscription (${String(l.figures['subscribed'])} held)`);
        });
      }
    }
    if (o.only.includes('latency')) {
      for (const [sc, fixed] of [['register', o.latencyRegister], ['subscribe', o.latencySubscribe]] as const) {
        await each(async (server) => {
          const half = maxRate[server]![sc];
          const runs: [string, number][] = [];
          if (half !== undefined && half > 0) runs.push(['half', Math.max(1, Math.round(half / 2))]);
          else if (half === 0) log(`  ${server} ${sc}: no clean rate found by the ramp: no half-maximum run`);
          else log(`  ${server} ${sc}: no maximum known (run the ramp or pass --max ${server}.${sc}=N): no half-maximum run`);
          if (fixed > 0) runs.push([String(fixed), fixed]);
          for (const [at, rate] of runs) {
            const l = await rec.measure(async () => {
              const s = await runStep(so(), server, sc, rate, o.latencySeconds, o.graceSeconds);
              return { server, scenario: `latency:${sc}@${at}`, params: { rate, seconds: o.latencySeconds, ...kamParams }, figures: { ...s } };
            });
            log(`  ${server} ${sc} @${at}: ${formatStep(l.figures as never)}`);
          }
        });
      }
    }
    // Event packages (issue 9): one BLF cycle per call (dialog.xml: PUBLISH dialog-info, SUBSCRIBE
    // Event: dialog, NOTIFY with it, un-SUBSCRIBE), one list subscription per call (rls.xml:
    // SUBSCRIBE to a 2-member list with eventlist, the multipart NOTIFY, un-SUBSCRIBE). Fixed-rate
    // steps on a fresh server each; Kamailio needs the matching --kam-variant.
    for (const [name, scenario, rates, variant] of [['blf', 'dialog', o.blfRates, 'dialog'], ['rls', 'rls', o.rlsRates, 'rls']] as const) {
      if (!o.only.includes(name)) continue;
      if (o.servers.includes('kamailio') && o.kam.variant !== variant) {
        log(`${name}: Kamailio needs --kam-variant ${variant} (this run has ${o.kam.variant}): skipped`);
        continue;
      }
      log(`${name}: ${scenario}.xml at ${rates.join(', ')} calls/s, ${o.packageSeconds} s each`);
      await each(async (server) => {
        for (const rate of rates) {
          const l = await rec.measure(async () => {
            const s = await runStep(so(), server, scenario, rate, o.packageSeconds, o.graceSeconds);
            return { server, scenario: `${name}@${rate}`, params: { rate, seconds: o.packageSeconds, ...kamParams }, figures: { ...s } };
          });
          log(`  ${server} ${name} @${rate}/s: ${formatStep(l.figures as never)}`);
        }
      });
    }
    if (o.only.includes('restart')) {
      const shapes: [ServerName, [number, number]][] = [];
      for (const s of o.servers) shapes.push([s, o.restartShape]);
      if (o.servers.includes('comsipl') && o.restartComsiplShape !== null) shapes.push(['comsipl', o.restartComsiplShape]);
      for (const [server, [p, w]] of shapes) {
        log(`restart: ${server}, ${p} × ${w} subscriptions at ${o.restartRate}/s, SIGKILL, restart`);
        try {
          const h = { presentities: p, watchers: w, rate: o.restartRate };
          await rec.measure(async () => ({
            server, scenario: `restart:${p * w}`, params: { ...h, sample: o.restartSample, ...kamParams },
            figures: await runRestart(so(300_000), server, h, o.restartSample, log),
          }));
        } catch (err) {
          log(`  ${server}: FAILED: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    if (!o.keep) rmSync(workDir, { recursive: true, force: true });
    else log(`work dir kept: ${workDir}`);
  }
  log(`done in ${Math.round((performance.now() - t0) / 1000)} s; ${rec.lines.length} JSON lines appended to ${raw}`);
  process.stdout.write(`\n${markdownTable(rec.lines)}\n`);
  return 0;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAllStarted();
    process.stderr.write(`compare: ${sig}: stopped the processes it started\n`);
    process.exit(130);
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
