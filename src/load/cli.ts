// `comsipl load`: the built-in load generator's command line. Runs one shard in this thread,
// or T shards in worker threads (each with its own socket and user range) when one thread
// cannot offer the rate, then merges their statistics into one report.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { runShard, type Progress, type ShardOptions, type ShardResult } from './engine.js';
import { parseLoadArgs, USAGE, UsageError, type LoadOptions } from './options.js';
import { buildReport, formatReport, type LoadReport } from './stats.js';
import { RFC_TIMERS } from './uac-transaction.js';

export interface LoadRun {
  report: LoadReport;
  sendErrors: number;
}

function shardOptions(o: LoadOptions, shard: number, runId: string): ShardOptions {
  const share = (total: number): number =>
    Number.isFinite(total) ? Math.floor(total / o.workers) + (shard < total % o.workers ? 1 : 0) : total;
  return {
    scenario: o.scenario, targetHost: o.targetHost, targetPort: o.targetPort, sockets: o.sockets, rate: o.rate / o.workers,
    count: share(o.count), durationMs: o.durationS * 1000, drainMs: o.drainS * 1000,
    idPrefix: `${runId}${shard.toString(36)}x`, notifyTimeoutMs: o.notifyTimeoutMs, watchers: o.watchers,
    expires: o.expires, timers: { ...RFC_TIMERS, timerFMs: o.timerFMs },
  };
}

function runInWorker(opts: ShardOptions, onProgress: (p: Progress) => void): Promise<ShardResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: opts });
    w.on('message', (m: { t: string; p?: Progress; result?: ShardResult; message?: string }) => {
      if (m.t === 'progress' && m.p !== undefined) onProgress(m.p);
      else if (m.t === 'done' && m.result !== undefined) resolve(m.result);
      else if (m.t === 'error') reject(new Error(m.message));
    });
    w.on('error', reject);
    w.on('exit', (code) => {
      if (code !== 0) reject(new Error(`load worker exited with ${code}`));
    });
  });
}

/** Run a load test with parsed options; used by the CLI and by tests. */
export async function runLoad(o: LoadOptions, progress?: (line: string) => void): Promise<LoadRun> {
  const runId = randomBytes(3).toString('hex');
  const latest: Progress[] = [];
  const t0 = performance.now();
  const onProgress = (shard: number) => (p: Progress): void => {
    latest[shard] = p;
    if (progress === undefined) return;
    const sum = latest.reduce(
      (a, b) => ({ started: a.started + b.started, ok: a.ok + b.ok, failed: a.failed + b.failed, requests: a.requests + b.requests, retransmissions: a.retransmissions + b.retransmissions, inFlightCalls: a.inFlightCalls + b.inFlightCalls }),
      { started: 0, ok: 0, failed: 0, requests: 0, retransmissions: 0, inFlightCalls: 0 },
    );
    const secs = (performance.now() - t0) / 1000;
    progress(`t=${secs.toFixed(0)}s started ${sum.started} ok ${sum.ok} failed ${sum.failed} in-flight ${sum.inFlightCalls} requests ${sum.requests} (${(sum.requests / secs).toFixed(0)}/s) retrans ${sum.retransmissions}`);
  };
  const shards = Array.from({ length: o.workers }, (_, i) => shardOptions(o, i, runId));
  const results = o.workers === 1
    ? [await runShard(shards[0]!, onProgress(0))]
    : await Promise.all(shards.map((s, i) => runInWorker(s, onProgress(i))));
  const wallSeconds = Math.max(...results.map((r) => r.wallMs)) / 1000;
  const report = buildReport(results.map((r) => r.stats), {
    scenario: o.scenario, target: `${o.targetHost.includes(':') ? `[${o.targetHost}]` : o.targetHost}:${o.targetPort}`,
    offeredRate: o.rate, wallSeconds, offerSeconds: Math.max(...results.map((r) => r.offerMs)) / 1000,
    maxStartLagMs: Math.max(...results.map((r) => r.maxStartLagMs)),
  });
  return { report, sendErrors: results.reduce((a, r) => a + r.sendErrors, 0) };
}

/** Entry point for `comsipl load ...` (argv without the `load` word). Exit code: 0 ok, 1 failures, 2 usage. */
export async function runLoadCli(argv: string[]): Promise<number> {
  let o: LoadOptions;
  try {
    o = parseLoadArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`comsipl load: ${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const live = o.progress || process.stderr.isTTY === true;
  const tty = process.stderr.isTTY === true;
  const progress = live ? (line: string): void => { process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`); } : undefined;
  const { report, sendErrors } = await runLoad(o, progress);
  if (live && tty) process.stderr.write('\n');
  if (o.json) process.stdout.write(`${JSON.stringify({ ...report, sendErrors })}\n`);
  else process.stdout.write(`${formatReport(report)}${sendErrors > 0 ? `\nsend errors ${sendErrors}` : ''}\n`);
  return report.calls.failed === 0 && report.calls.ok > 0 ? 0 : 1;
}
