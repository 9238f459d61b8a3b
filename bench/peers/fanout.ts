// NOTIFY fan-out on a fresh server: P presentities × W watchers subscribe (fanout-watcher.xml,
// all held), then fanout-pubrem.xml publishes and removes state open loop so that
// calls/s × 2 × W NOTIFYs/s are offered for `seconds`; delivered NOTIFYs/s are read per second
// from the watchers' SIPp counters. Then fanout-end.xml makes every watcher unsubscribe.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SippResult } from '../sipp/sipp.js';
import { median, ratesPerSecond, readCounts, readRows, sumCols, valueAt } from './counts.js';
import { cpuSecondsOf, statOf } from './proc.js';
import { ServerUnderTest, type ServerName, type ServerOptions } from './servers.js';
import { errorSummary, failedOf, runSippTimed, sippPorts } from './steps.js';

export interface FanoutOptions {
  presentities: number;
  watchers: number;
  /** Offered NOTIFY/s while publishing. */
  offered: number;
  seconds: number;
  /** SUBSCRIBE calls/s while the watchers subscribe. */
  subscribeRate: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const NOTIFY_RECV = /_NOTIFY_Recv$/;
const AUTO = /^AutoAnswered\(C\)$/;

/**
 * NOTIFYs the watchers received so far: those their scenario took plus those SIPp answered on
 * its own (-aa: a NOTIFY that reaches a call while it is not at a NOTIFY <recv>, e.g. two
 * NOTIFYs of one dialog back to back, is answered 200 and counted as AutoAnswered, not in
 * the per-message counts).
 */
function deliveredSoFar(wDir: string): number {
  return sumCols(readCounts(wDir).at(-1), NOTIFY_RECV) + sumCols(readRows(join(wDir, 'stat.csv')).at(-1), AUTO);
}

export async function runFanout(o: ServerOptions, server: ServerName, f: FanoutOptions, log: (s: string) => void): Promise<Record<string, unknown>> {
  const n = f.presentities * f.watchers;
  const callRate = f.offered / (2 * f.watchers);
  const pubCalls = Math.max(1, Math.round(callRate * f.seconds));
  const dir = mkdtempSync(join(o.workDir, 'fanout-'));
  const [wDir, pDir, eDir] = ['w', 'p', 'e'].map((d) => join(dir, d)) as [string, string, string];
  for (const d of [wDir, pDir, eDir]) mkdirSync(d);
  const tag = Date.now().toString(36);
  const names = Array.from({ length: f.presentities }, (_, i) => `f${tag}x${i}`);
  writeFileSync(join(dir, 'presentities.csv'), `SEQUENTIAL\n${names.map((p) => `${p};\n`).join('')}`);
  writeFileSync(join(dir, 'watchers.csv'), `SEQUENTIAL\n${names.flatMap((p) => Array.from({ length: f.watchers }, (_, k) => `${p};${p}w${k};\n`)).join('')}`);
  const subscribeSeconds = n / f.subscribeRate;
  const { server: sut, msToAnswer } = await ServerUnderTest.start(server, o, 'fanout');
  const stopWatchers = new AbortController();
  const file = (x: string): string => join(o.repo, 'bench/sipp', x);
  let watcherPid = 0;
  try {
    const target = `127.0.0.1:${sut.port}`;
    const watchers = runSippTimed({
      scenarioFile: file('fanout-watcher.xml'), target, rate: f.subscribeRate, calls: n, dir: wDir, ...(await sippPorts()),
      timeoutS: Math.ceil(subscribeSeconds + f.seconds + 150), inf: join(dir, 'watchers.csv'), extra: ['-l', String(n)],
      signal: stopWatchers.signal, onSpawn: (p) => (watcherPid = p),
    });
    const subscribed = await waitSubscribed(wDir, n, subscribeSeconds * 2 + 20);
    log(`    ${server} fanout: ${subscribed}/${n} subscribed in ${subscribeSeconds.toFixed(1)} s (offered)`);
    await sleep(1000);
    const pids = sut.refreshPids();
    const cpu0 = cpuSecondsOf(pids);
    const w0 = cpuOf(watcherPid);
    const notifies0 = deliveredSoFar(wDir);
    const tPub = Date.now() / 1000;
    const pub = await runSippTimed({
      scenarioFile: file('fanout-pubrem.xml'), target, rate: callRate, calls: pubCalls, dir: pDir, ...(await sippPorts()),
      timeoutS: Math.ceil(f.seconds + 40), inf: join(dir, 'presentities.csv'),
    });
    const tPubEnd = tPub + f.seconds;
    const cpu1 = cpuSecondsOf(sut.refreshPids());
    const w1 = cpuOf(watcherPid);
    const pubWall = Date.now() / 1000 - tPub;
    const drainEnd = await waitQuiet(wDir, 20);
    const delivered = deliveredSoFar(wDir) - notifies0;
    const end = await runSippTimed({
      scenarioFile: file('fanout-end.xml'), target, rate: Math.min(f.presentities, 200), calls: f.presentities, dir: eDir,
      ...(await sippPorts()), timeoutS: 40, inf: join(dir, 'presentities.csv'),
    });
    // A watcher whose fanout-end NOTIFY SIPp auto-answered ends after its 30-s idle wait.
    const wTimer = setTimeout(() => stopWatchers.abort(), 60_000);
    const w = await watchers;
    clearTimeout(wTimer);
    const rows = readCounts(wDir);
    const stat = readRows(join(wDir, 'stat.csv'));
    const perSecond = ratesPerSecond([(t) => valueAt(rows, NOTIFY_RECV, t), (t) => valueAt(stat, AUTO, t)], tPub, tPubEnd);
    const notifyRetrans = sumCols(rows.at(-1), /_NOTIFY_Retrans$/);
    const autoAnswered = sumCols(stat.at(-1), AUTO);
    const watcherFailed = failedOf(w.result, n);
    const pubFailed = failedOf(pub.result, pubCalls);
    const retrans = w.result.retransmissions + pub.result.retransmissions;
    const med = Math.round(median(perSecond));
    const clean = watcherFailed < n * 0.001 && pubFailed < pubCalls * 0.001 && retrans < (n + pubCalls) * 0.001 &&
      notifyRetrans < Math.max(1, delivered) * 0.001 && med >= f.offered * 0.95 &&
      delivered >= pubCalls * 2 * f.watchers * 0.999;
    return {
      subscribed, offeredNotifyPerSecond: f.offered, publishCallsPerSecond: Math.round(callRate * 10) / 10, publishCalls: pubCalls,
      medianNotifyPerSecond: med, perSecond: perSecond.map(Math.round),
      expectedNotifies: pubCalls * 2 * f.watchers, deliveredNotifies: delivered,
      drainSeconds: Math.round((drainEnd - tPubEnd) * 10) / 10, publisherWallSeconds: Math.round(pubWall * 10) / 10,
      watcherDialogsFailed: watcherFailed, watcherOk: w.result.ok, publisherFailed: pubFailed, endFailed: failedOf(end.result, f.presentities),
      retransmissions: retrans, notifyRetransmissionsSeen: notifyRetrans, autoAnswered, clean,
      serverCpuPercent: Math.round(((cpu1 - cpu0) / pubWall) * 100),
      watcherSippCpuPercent: w0 === null || w1 === null ? null : Math.round(((w1 - w0) / pubWall) * 100),
      startMs: Math.round(msToAnswer), note: note(w.result, pub.result),
      watcherErrors: errorSummary(wDir), publisherErrors: errorSummary(pDir),
    };
  } finally {
    stopWatchers.abort();
    await sut.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

function note(w: SippResult, p: SippResult): string | undefined {
  const t = `${w.failed > 0 ? w.stderrTail : ''} ${p.failed > 0 ? p.stderrTail : ''}`.trim();
  return t === '' ? undefined : t.slice(0, 300);
}

/** CPU seconds of a running process, null when it is gone. */
function cpuOf(pid: number): number | null {
  const s = pid > 0 ? statOf(pid) : null;
  return s === null ? null : s.cpuTicks / 100;
}


/** Polls the watchers' counters until `n` SUBSCRIBEs got their 200 or `limitS` pass. */
async function waitSubscribed(dir: string, n: number, limitS: number): Promise<number> {
  const end = performance.now() + limitS * 1000;
  let got = 0;
  while (performance.now() < end) {
    got = sumCols(readCounts(dir).at(-1), /_200_Recv$/);
    if (got >= n) break;
    await sleep(500);
  }
  return got;
}

/** Waits until the NOTIFY count stops growing for 2 s (bounded); returns that epoch second. */
async function waitQuiet(dir: string, limitS: number): Promise<number> {
  const end = performance.now() + limitS * 1000;
  let last = -1;
  let since = performance.now();
  while (performance.now() < end) {
    const now = deliveredSoFar(dir);
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= 2000) break;
    await sleep(250);
  }
  return Date.now() / 1000 - (performance.now() - since) / 1000;
}
