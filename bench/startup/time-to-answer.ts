// Time to answer after a (re)start: spawns `node dist/src/main.js` on a free loopback port and
// measures the ms from the spawn to the first SIP answer to an OPTIONS sent every 10 ms
// (bench/peers/sip-udp.ts), RUNS times; prints min/median/max. With SUBS > 0 the data dir is
// first seeded with that many watcher dialogs (written through the store, as the server
// persists them), so each start restores them; after each start a sample of those dialogs is
// refreshed in-dialog and must get 200 (never 481: a start answers only once restored).
// Only the processes spawned here are signalled. BENCH_VERBOSE=1 shows the servers' stdout.
// `--entries a.js,b.js` alternates the runs between two builds (an A/B on a busy machine).
//   node dist/bench/startup/time-to-answer.js [--runs 10] [--subs 0] [--node-args "..."] [--entries x,y]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { CSEQ_BLOCK } from '../../src/actors/subscription.js';
import { FdbStore } from '../../src/store/fdb-store.js';
import type { StoreOp, SubscriptionRecord } from '../../src/store/records.js';
import { freeUdpPort } from '../sipp/server.js';
import { refreshDialogs, waitForAnswer, type KnownDialog } from '../peers/sip-udp.js';
import { isMain } from '../support/report.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PER = 10;
const SAMPLE = 50;

/** A watcher dialog as the server stores it after a SUBSCRIBE (loopback addresses only). */
function dialog(i: number, now: number): SubscriptionRecord {
  const p = `sip:user${Math.floor(i / PER)}@127.0.0.1`;
  return {
    tag: `srvtag${i}x`, aor: p, event: 'presence', eventId: null, callId: `startup-${i}@127.0.0.1`, remoteTag: `wtag${i}`,
    localUri: `<${p}>`, remoteUri: `<sip:watcher${i}@127.0.0.1>`, watcherAor: '', entity: p,
    // Port 9 (discard): whatever NOTIFY a refresh triggers stays on loopback, unanswered.
    target: `sip:watcher${i}@127.0.0.1:9`, routes: [], expiresAt: now + 3_600_000, remoteCseq: 1, cseqReserved: CSEQ_BLOCK,
    state: 'active', polite: false, source: '127.0.0.1 9',
  };
}

function known(i: number): KnownDialog {
  return { callId: `startup-${i}@127.0.0.1`, fromTag: `wtag${i}`, toTag: `srvtag${i}x`, target: 'sip:user@127.0.0.1', presentity: `user${Math.floor(i / PER)}`, watcher: `watcher${i}` };
}

export async function seed(dir: string, n: number): Promise<void> {
  const store = FdbStore.open(dir);
  const now = Date.now();
  const chunk = 10_000;
  for (let i = 0; i < n; i += chunk) {
    const ops: StoreOp[] = [];
    for (let k = i; k < Math.min(n, i + chunk); k++) ops.push({ t: 'putSub', rec: dialog(k, now) });
    await new Promise<void>((res, rej) => {
      store.submit(ops, (e) => (e ? rej(e) : res()));
      store.flush();
    });
  }
  await store.close();
}

/** CPU time (user + system, ms) a process has used so far, from /proc; NaN elsewhere. */
function cpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

/** One start: ms from spawn to the first answer; the child is SIGKILLed (a crash) afterwards. */
async function once(entry: string, dir: string, nodeArgs: string[], subs: number, cseq: number): Promise<{ ms: number; cpu: number; refresh: Record<string, number> }> {
  const port = await freeUdpPort();
  const args = [...nodeArgs, entry, '--host', '127.0.0.1', '--port', String(port), '--data', dir,
    '--log-level', 'warn', '--stats-interval', '0', '--ws-port', '0'];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', process.env.BENCH_VERBOSE ? 'inherit' : 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const ms = await Promise.race([
      waitForAnswer(port, t0, 30_000, 10),
      exited.then(() => Promise.reject(new Error(`server exited during start: ${err}`))),
    ]);
    // CPU time to the answer: less sensitive than wall time to other work on a shared machine.
    const cpu = cpuMs(child.pid!);
    let refresh: Record<string, number> = {};
    if (subs > 0) {
      const step = Math.max(1, Math.floor(subs / SAMPLE));
      const sample: KnownDialog[] = [];
      for (let i = 0; i < subs && sample.length < SAMPLE; i += step) sample.push(known(i));
      refresh = (await refreshDialogs(port, sample, 8000, 20, cseq)).byStatus;
    }
    return { ms, cpu, refresh };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  }
}

function summary(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return `min ${s[0]!.toFixed(0)} ms, median ${median.toFixed(0)} ms, max ${s[s.length - 1]!.toFixed(0)} ms`;
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

export async function run(): Promise<void> {
  const runs = Math.min(100, Math.max(1, Number(arg('--runs', '10'))));
  const subs = Math.min(2_000_000, Math.max(0, Number(arg('--subs', '0'))));
  const nodeArgs = arg('--node-args', '').split(/\s+/).filter((s) => s !== '');
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-startup-'));
  try {
    if (subs > 0) {
      const t = performance.now();
      await seed(dir, subs);
      console.log(`seeded ${subs} subscriptions in ${Math.round(performance.now() - t)} ms`);
    }
    const entries = arg('--entries', join(REPO, 'dist/src/main.js')).split(',');
    const times = entries.map((): number[] => []);
    const cpus = entries.map((): number[] => []);
    for (let r = 0; r < runs; r++) {
      for (let e = 0; e < entries.length; e++) {
        const { ms, cpu, refresh } = await once(entries[e]!, dir, nodeArgs, subs, 2 + r * entries.length + e);
        times[e]!.push(ms);
        cpus[e]!.push(cpu);
        console.log(`run ${r + 1}${entries.length > 1 ? ` ${entries[e]}` : ''}: ${ms.toFixed(0)} ms (cpu ${cpu.toFixed(0)} ms)${subs > 0 ? ` refresh ${JSON.stringify(refresh)}` : ''}`);
        if (subs > 0 && (refresh['200'] ?? 0) !== Object.values(refresh).reduce((a, b) => a + b, 0)) throw new Error('a restored dialog was not refreshed with 200');
      }
    }
    for (let e = 0; e < entries.length; e++) {
      const what = `${runs} runs, ${subs} subscriptions${nodeArgs.length > 0 ? `, node ${nodeArgs.join(' ')}` : ''}${entries.length > 1 ? `, ${entries[e]}` : ''}`;
      console.log(`time to first answer (${what}): ${summary(times[e]!)}`);
      console.log(`cpu time to first answer (${what}): ${summary(cpus[e]!)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await run();
