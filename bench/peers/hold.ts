// Subscriptions that stay on the server: P presentities × W watchers established with
// subscribe-only.xml on a fresh server, then either the memory they cost (process memory right
// after the last one is established, and again after `settleSeconds`) or whether they survive a
// SIGKILL (time until the new process answers an OPTIONS; in-dialog refreshes of a sample).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { growthPer, memoryOf, type MemFigures } from './proc.js';
import { ServerUnderTest, type ServerName, type ServerOptions } from './servers.js';
import { parseDialogLog, refreshDialogs } from './sip-udp.js';
import { failedOf, runSippTimed, sippPorts } from './steps.js';

export interface HoldOptions {
  presentities: number;
  watchers: number;
  /** SUBSCRIBEs/s. */
  rate: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** subscribe-only.xml with the share of dialogs it logs set to `share` (0..1). */
function scenarioWithLogShare(repo: string, dir: string, share: number): string {
  const text = readFileSync(join(repo, 'bench/sipp/subscribe-only.xml'), 'utf8');
  const marker = 'compare="less_than" value="0.02"';
  if (!text.includes(marker)) throw new Error('subscribe-only.xml: log share marker not found');
  const file = join(dir, 'subscribe-only.xml');
  writeFileSync(file, text.replace(marker, `compare="less_than" value="${share}"`));
  return file;
}

interface Established {
  subscribed: number;
  failed: number;
  retransmissions: number;
  seconds: number;
  sippDir: string;
}

/** Runs subscribe-only.xml for all P × W subscriptions and waits for SIPp to finish. */
async function establish(o: ServerOptions, sut: ServerUnderTest, h: HoldOptions, dir: string, logShare: number): Promise<Established> {
  const n = h.presentities * h.watchers;
  const tag = Date.now().toString(36);
  const rows: string[] = ['SEQUENTIAL'];
  for (let i = 0; i < n; i++) rows.push(`h${tag}x${i % h.presentities};h${tag}x${i % h.presentities}w${Math.floor(i / h.presentities)};`);
  writeFileSync(join(dir, 'subs.csv'), `${rows.join('\n')}\n`);
  const t0 = performance.now();
  const { result } = await runSippTimed({
    scenarioFile: scenarioWithLogShare(o.repo, dir, logShare), target: `127.0.0.1:${sut.port}`, rate: h.rate, calls: n, dir,
    ...(await sippPorts()), timeoutS: Math.ceil(n / h.rate + 90), inf: join(dir, 'subs.csv'),
    extra: ['-l', String(Math.max(1000, Math.min(n, h.rate * 40))), ...(logShare > 0 ? ['-trace_logs'] : [])],
  });
  return {
    subscribed: result.ok, failed: failedOf(result, n), retransmissions: result.retransmissions,
    seconds: Math.round((performance.now() - t0) / 100) / 10, sippDir: dir,
  };
}

export async function runMemory(
  o: ServerOptions, server: ServerName, h: HoldOptions, settleSeconds: number, log: (s: string) => void,
): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(o.workDir, 'memory-'));
  const { server: sut, msToAnswer } = await ServerUnderTest.start(server, o, 'memory');
  try {
    await sleep(2000);
    const before = memoryOf(sut.refreshPids());
    const shm0 = sut.shmUsed();
    const e = await establish(o, sut, h, dir, 0);
    const after = memoryOf(sut.refreshPids());
    const shm1 = sut.shmUsed();
    log(`    ${server} memory ${h.presentities}x${h.watchers}: ${e.subscribed} subscribed in ${e.seconds} s`);
    const figures: Record<string, unknown> = {
      subscribed: e.subscribed, failed: e.failed, retransmissions: e.retransmissions, subscribeSeconds: e.seconds,
      before, established: after, perSubscription: growthPer(before, after, e.subscribed),
      shmPerSubscription: shm0 !== null && shm1 !== null ? Math.round((shm1 - shm0) / Math.max(1, e.subscribed)) : null,
      headline: headline(server, before, after, e.subscribed), startMs: Math.round(msToAnswer),
    };
    if (settleSeconds > 0) {
      await sleep(settleSeconds * 1000);
      const settled = memoryOf(sut.refreshPids());
      const shm2 = sut.shmUsed();
      figures['settledSeconds'] = settleSeconds;
      figures['settled'] = settled;
      figures['settledPerSubscription'] = growthPer(before, settled, e.subscribed);
      figures['settledHeadline'] = headline(server, before, settled, e.subscribed);
      figures['settledShmPerSubscription'] = shm0 !== null && shm2 !== null ? Math.round((shm2 - shm0) / Math.max(1, e.subscribed)) : null;
    }
    return figures;
  } finally {
    await sut.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The table's figure: ComSIPL is one process, its VmRSS growth; Kamailio's workers share one
 * memory segment that VmRSS counts once per process, so its figure is the growth of the Pss sum
 * (every page counted once, split between the processes mapping it).
 */
function headline(server: ServerName, before: MemFigures, after: MemFigures, n: number): { metric: string; bytesPerSubscription: number } {
  const metric = server === 'comsipl' ? 'vmRss' : 'pss';
  return { metric, bytesPerSubscription: Math.round((after[metric] - before[metric]) / Math.max(1, n)) };
}

export async function runRestart(
  o: ServerOptions, server: ServerName, h: HoldOptions, sample: number, log: (s: string) => void,
): Promise<Record<string, unknown>> {
  const n = h.presentities * h.watchers;
  const dir = mkdtempSync(join(o.workDir, 'restart-'));
  const { server: sut } = await ServerUnderTest.start(server, o, 'restart');
  try {
    const e = await establish(o, sut, h, dir, Math.min(1, (sample * 3) / n));
    log(`    ${server} restart: ${e.subscribed}/${n} subscribed in ${e.seconds} s; SIGKILL`);
    await sleep(1000);
    await sut.kill9();
    const restartMs = await sut.restart();
    // ComSIPL answers on UDP before its other listeners are up, so the `listening` line (with
    // the restored count) may come a little after the first answer: wait for it, bounded.
    let restoredLogged = restoredFromLog(sut.logText());
    for (let i = 0; i < 50 && restoredLogged === null && server === 'comsipl'; i++) {
      await sleep(100);
      restoredLogged = restoredFromLog(sut.logText());
    }
    const logFile = readdirSync(dir).find((f) => f.endsWith('_logs.log'));
    const dialogs = logFile === undefined ? [] : parseDialogLog(readFileSync(join(dir, logFile), 'utf8')).slice(0, sample);
    const refresh = await refreshDialogs(sut.port, dialogs);
    const ok = refresh.byStatus['200'] ?? 0;
    log(`    ${server} restart: answered after ${Math.round(restartMs)} ms; refresh of ${refresh.sent}: ${JSON.stringify(refresh.byStatus)}`);
    return {
      subscribed: e.subscribed, failed: e.failed, subscribeSeconds: e.seconds, msToAnswer: Math.round(restartMs),
      restoredLogged, refreshSample: refresh.sent, refreshByStatus: refresh.byStatus,
      allRestored: refresh.sent > 0 && ok === refresh.sent && (restoredLogged === null || restoredLogged >= e.subscribed),
    };
  } finally {
    await sut.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ComSIPL's `listening` log line carries restored.subscriptions; null when absent (Kamailio). */
function restoredFromLog(text: string): number | null {
  for (const line of text.split('\n')) {
    if (!line.includes('"msg":"listening"')) continue;
    try {
      const v = (JSON.parse(line) as { restored?: { subscriptions?: number } }).restored?.subscriptions;
      if (typeof v === 'number') return v;
    } catch {
      /* not JSON */
    }
  }
  return null;
}
