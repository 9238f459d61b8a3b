// Runs one bounded SIPp instance and reads its results: the cumulative counters of the
// -trace_stat CSV (last row) and every response time of the -trace_rtt CSV (1 ms resolution).
// Rates are computed from our wall clock: SIPp's ElapsedTime has ~1 s granularity.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface SippRun {
  scenarioFile: string;
  target: string;
  rate: number;
  calls: number;
  /** Working directory (trace files land here). */
  dir: string;
  /** SIP / media / control ports, distinct per concurrent instance. */
  port: number;
  mediaPort: number;
  controlPort: number;
  /** Hard bound on the whole run, seconds. */
  timeoutS: number;
  /** Injection file (-inf), optional. */
  inf?: string;
  extra?: string[];
  /** Stops SIPp early (SIGTERM): counts up to then are read from its periodic CSV rows. */
  signal?: AbortSignal;
  /** Told SIPp's pid once it runs (e.g. to read its CPU time from /proc). */
  onSpawn?: (pid: number) => void;
}

export interface SippResult {
  created: number;
  ok: number;
  failed: number;
  retransmissions: number;
  deadCallMsgs: number;
  /** NOTIFY requests received (first copies; from the -trace_counts CSV). */
  notifies: number;
  wallSeconds: number;
  /** Response times (ms) of every rtd, sorted. */
  rtts: number[];
  exitCode: number | null;
  stderrTail: string;
}

export function sippArgs(r: SippRun): string[] {
  return [
    r.target, '-sf', r.scenarioFile, '-m', String(r.calls), '-r', String(r.rate), '-rp', '1000',
    '-i', '127.0.0.1', '-p', String(r.port), '-mp', String(r.mediaPort), '-cp', String(r.controlPort),
    '-nostdin', '-timeout', `${r.timeoutS}s`, '-recv_timeout', '32000', '-aa',
    '-trace_stat', '-stf', 'stat.csv', '-trace_counts', '-fd', '1', '-trace_rtt', '-rtt_freq', '1', '-trace_err',
    '-buff_size', '4194304', '-max_recv_loops', '10000', '-max_sched_loops', '10000',
    ...(r.inf === undefined ? [] : ['-inf', r.inf]), ...(r.extra ?? []),
  ];
}

export function parseStatCsv(text: string): Record<string, number> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return {};
  const names = lines[0]!.split(';');
  const values = lines[lines.length - 1]!.split(';');
  const out: Record<string, number> = {};
  names.forEach((n, i) => {
    const v = Number(values[i]);
    if (n !== '' && Number.isFinite(v)) out[n] = v;
  });
  return out;
}

export function parseRttCsv(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const parts = line.split(';');
    if (parts.length < 3) continue;
    const v = Number(parts[1]);
    if (parts[0] !== 'Date_ms' && Number.isFinite(v)) out.push(v);
  }
  return out.sort((a, b) => a - b);
}

/** Sum of the `<index>_NOTIFY_Recv` columns of the last -trace_counts row (cumulative counts). */
export function countNotifies(text: string): number {
  const last = parseStatCsv(text);
  let n = 0;
  for (const [k, v] of Object.entries(last)) if (/^\d+_NOTIFY_Recv$/.test(k)) n += v;
  return n;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function runSipp(r: SippRun): Promise<SippResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('sipp', sippArgs(r), { cwd: r.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    if (child.pid !== undefined) r.onSpawn?.(child.pid);
    const onAbort = (): void => {
      child.kill('SIGTERM');
    };
    if (r.signal?.aborted === true) onAbort();
    else r.signal?.addEventListener('abort', onAbort, { once: true });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-4000);
    });
    // Belt and braces: SIPp's own -timeout bounds the run; this bounds SIPp.
    const guard = setTimeout(() => child.kill('SIGKILL'), (r.timeoutS + 15) * 1000);
    child.on('error', (err) => {
      clearTimeout(guard);
      r.signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.on('exit', (code) => {
      clearTimeout(guard);
      r.signal?.removeEventListener('abort', onAbort);
      const wallSeconds = (performance.now() - t0) / 1000;
      let stat: Record<string, number> = {};
      let rtts: number[] = [];
      let notifies = 0;
      try {
        stat = parseStatCsv(readFileSync(join(r.dir, 'stat.csv'), 'utf8'));
      } catch {
        /* no stat file: counts stay 0 and the caller reports the stderr tail */
      }
      for (const f of readdirSync(r.dir)) {
        if (f.endsWith('_rtt.csv')) rtts = rtts.concat(parseRttCsv(readFileSync(join(r.dir, f), 'utf8')));
        if (f.endsWith('_counts.csv')) notifies += countNotifies(readFileSync(join(r.dir, f), 'utf8'));
      }
      rtts.sort((a, b) => a - b);
      resolve({
        created: stat['TotalCallCreated'] ?? 0,
        ok: stat['SuccessfulCall(C)'] ?? 0,
        failed: stat['FailedCall(C)'] ?? 0,
        retransmissions: stat['Retransmissions(C)'] ?? 0,
        deadCallMsgs: stat['DeadCallMsgs(C)'] ?? 0,
        notifies,
        wallSeconds, rtts, exitCode: code, stderrTail: stderr.trim().split('\n').slice(-5).join(' | '),
      });
    });
  });
}
