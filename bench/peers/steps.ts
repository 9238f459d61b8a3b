// One fixed-rate SIPp step against a fresh server: start the server, offer `rate` calls/s for
// `seconds`, stop the server. Shared by the ramp/bisection and the latency runs. A step is clean
// when fewer than 0.1 % of its calls failed and it needed fewer than 0.1 % retransmissions
// (per call), the criterion of issue 7.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freeUdpPort } from '../sipp/server.js';
import { percentile, runSipp, type SippRun, type SippResult } from '../sipp/sipp.js';
import { track, untrack } from './live.js';
import { cpuSecondsOf, statOf } from './proc.js';
import { ServerUnderTest, type ServerName, type ServerOptions } from './servers.js';

export const RATE_SCENARIOS = {
  register: 'register.xml',
  publish: 'publish-refresh.xml',
  subscribe: 'subscribe.xml',
  'publish-lifecycle': 'publish.xml',
  mixed: 'mixed.xml',
  dialog: 'dialog.xml',
  rls: 'rls.xml',
} as const;
export type RateScenario = keyof typeof RATE_SCENARIOS;

export interface StepResult {
  rate: number;
  seconds: number;
  calls: number;
  ok: number;
  failed: number;
  retransmissions: number;
  okPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  wallSeconds: number;
  clean: boolean;
  /** CPU of the server (all its processes) and of SIPp over the step, % of one core. */
  serverCpuPercent: number;
  sippCpuPercent: number;
  /** ms from spawn to the first answer of the fresh server. */
  startMs: number;
  note?: string;
  /** SIPp's error log summarised (failed steps only). */
  errors?: Record<string, number>;
}

export const isClean = (calls: number, failed: number, retransmissions: number): boolean =>
  failed < calls * 0.001 && retransmissions < calls * 0.001;

/** Three distinct free ports (SIP, media, control) for one SIPp instance. */
export async function sippPorts(): Promise<{ port: number; mediaPort: number; controlPort: number }> {
  return { port: await freeUdpPort(), mediaPort: await freeUdpPort(), controlPort: await freeUdpPort() };
}

/**
 * Runs SIPp and follows its CPU time in /proc (read every 500 ms while it runs: once it has
 * exited its /proc entry is gone). Returns the result and SIPp's CPU seconds.
 */
export async function runSippTimed(r: SippRun): Promise<{ result: SippResult; cpuSeconds: number; pid: number }> {
  let pid = 0;
  let ticks = 0;
  const poll = setInterval(() => {
    if (pid > 0) ticks = statOf(pid)?.cpuTicks ?? ticks;
  }, 500);
  try {
    const result = await runSipp({
      ...r,
      onSpawn: (p) => {
        pid = p;
        track(p);
        r.onSpawn?.(p);
      },
    });
    return { result, cpuSeconds: ticks / 100, pid };
  } finally {
    untrack(pid);
    clearInterval(poll);
  }
}

/**
 * What SIPp's -trace_err file says went wrong, counted by kind: "while expecting X, received Y"
 * (the first line of Y), or the error text. Empty when there is no error file.
 */
export function errorSummary(dir: string, top = 5): Record<string, number> {
  const counts = new Map<string, number>();
  let text = '';
  try {
    const f = readdirSync(dir).find((x) => x.endsWith('_errors.log'));
    if (f !== undefined) text = readFileSync(join(dir, f), 'utf8').slice(0, 4 << 20);
  } catch {
    return {};
  }
  const bump = (k: string): void => {
    counts.set(k, (counts.get(k) ?? 0) + 1);
  };
  for (const m of text.matchAll(/while expecting '([^']*)'[^,]*, received '([^\r\n]*)/g)) bump(`expected ${m[1]}, got ${m[2]!.slice(0, 60)}`);
  // Other errors: the line's text with quoted values (Call-IDs, messages) blanked.
  for (const line of text.split('\n')) {
    const m = /^\d{4}-\d\d-\d\d\t[\d:.]+\t[\d.]+: (.*)$/.exec(line);
    if (m !== null && !m[1]!.includes('while expecting')) bump(m[1]!.replace(/'[^']*'/g, "'…'").replace(/call: \S+/g, 'call: …').slice(0, 100));
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).slice(0, top));
}

export function failedOf(r: SippResult, expected: number): number {
  return Math.max(r.failed, expected - r.ok);
}

export async function runStep(
  o: ServerOptions, server: ServerName, scenario: RateScenario, rate: number, seconds: number, graceSeconds: number,
): Promise<StepResult> {
  const calls = Math.max(1, Math.round(rate * seconds));
  const dir = mkdtempSync(join(o.workDir, `sipp-${scenario}-`));
  const { server: sut, msToAnswer } = await ServerUnderTest.start(server, o, `${scenario}-${rate}`);
  try {
    if (o.settleSeconds > 0) await new Promise((r) => setTimeout(r, o.settleSeconds * 1000));
    const cpu0 = cpuSecondsOf(sut.refreshPids());
    const t0 = performance.now();
    const { result: r, cpuSeconds } = await runSippTimed({
      scenarioFile: join(o.repo, 'bench/sipp', RATE_SCENARIOS[scenario]), target: `127.0.0.1:${sut.port}`, rate, calls, dir,
      ...(await sippPorts()), timeoutS: Math.ceil(seconds + graceSeconds), extra: ['-l', String(Math.max(1000, calls))],
    });
    const wall = (performance.now() - t0) / 1000;
    const cpu1 = cpuSecondsOf(sut.refreshPids());
    const failed = failedOf(r, calls);
    const step: StepResult = {
      rate, seconds, calls, ok: r.ok, failed, retransmissions: r.retransmissions,
      okPerSecond: Math.round((r.ok / r.wallSeconds) * 10) / 10,
      p50: percentile(r.rtts, 50), p90: percentile(r.rtts, 90), p99: percentile(r.rtts, 99), max: r.rtts.at(-1) ?? Number.NaN,
      wallSeconds: Math.round(r.wallSeconds * 100) / 100, clean: isClean(calls, failed, r.retransmissions),
      serverCpuPercent: Math.round(((cpu1 - cpu0) / wall) * 100), sippCpuPercent: Math.round((cpuSeconds / wall) * 100),
      startMs: Math.round(msToAnswer),
    };
    if (failed > 0 && r.stderrTail !== '') step.note = r.stderrTail.slice(0, 300);
    if (failed > 0 || r.retransmissions > 0) step.errors = errorSummary(dir);
    return step;
  } finally {
    await sut.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatStep(s: StepResult): string {
  return `${s.rate}/s ${s.seconds}s: ok ${s.ok}/${s.calls} failed ${s.failed} retrans ${s.retransmissions} ` +
    `${s.okPerSecond} ok/s p50/90/99 ${s.p50}/${s.p90}/${s.p99} ms cpu server ${s.serverCpuPercent}% sipp ${s.sippCpuPercent}% ` +
    `${s.clean ? 'clean' : 'NOT clean'}`;
}
