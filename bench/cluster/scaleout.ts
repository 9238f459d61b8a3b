// Scale-out benchmark (bench/RESULTS.md "Scale-out"): one node on the LMDB store vs one, two and
// three nodes sharing one Redis, all on this machine, under the load generator (`comsipl load`,
// one generator per node, the offered rate split between them). Per scenario it records the
// calls completed per second, latency, the CPU time each process spent per request (nodes,
// Redis) and, from Redis' own INFO, the commands and network bytes per request. Short bounded
// runs; the machine is shared, so read the numbers as relative, measured back to back.
//
//   npm run build && node dist/bench/cluster/scaleout.js [--duration 4] [--json out.jsonl]
//     [--appendfsync always|everysec|no] [--only-redis-1] [--register-rate R] [--publish-rate R] [--fanout-rate R]
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statOf } from '../peers/proc.js';

const ROOT = join(import.meta.dirname, '../../..');
const MAIN = join(ROOT, 'dist/src/main.js');

interface Scenario { name: string; args: string[]; rate: number }

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
};
const DURATION = Number(arg('--duration', '4'));
const OUT = arg('--json', '');

const SCENARIOS: Scenario[] = [
  { name: 'register', args: ['--scenario', 'register'], rate: Number(arg('--register-rate', '3000')) },
  { name: 'publish', args: ['--scenario', 'publish'], rate: Number(arg('--publish-rate', '1000')) },
  { name: 'fanout', args: ['--scenario', 'fanout', '--watchers', '10'], rate: Number(arg('--fanout-rate', '60')) },
];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One Redis command over a fresh connection; the reply's text. */
function redisCmd(port: number, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const c = connect(port, '127.0.0.1', () => c.write(`${cmd}\r\n`));
    c.on('data', (d) => {
      buf += d.toString();
      const m = /^\$(\d+)\r\n/.exec(buf);
      if ((m !== null && Buffer.byteLength(buf) >= m[0].length + Number(m[1]) + 2) || buf.startsWith('+') || buf.startsWith('-')) {
        c.destroy();
        resolve(buf);
      }
    });
    c.on('error', reject);
  });
}

/** Commands executed (all kinds) and network bytes in/out, from INFO. */
async function redisCounters(port: number): Promise<{ calls: number; byCmd: Map<string, number>; inBytes: number; outBytes: number }> {
  const info = await redisCmd(port, 'INFO all');
  const byCmd = new Map<string, number>();
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
    byCmd.set(m[1]!, Number(m[2]));
    if (m[1] !== 'info') calls += Number(m[2]);
  }
  const num = (k: string): number => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return { calls, byCmd, inBytes: num('total_net_input_bytes'), outBytes: num('total_net_output_bytes') };
}

async function waitListening(proc: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let done = false;
    const t = setTimeout(() => reject(new Error(`node did not start: ${buf}`)), 20_000);
    // Read on after 'listening' too (a full pipe would stall the node), keeping nothing.
    proc.stdout!.on('data', (c: Buffer) => {
      if (done) return;
      buf += c.toString();
      const m = /"port":(\d+).*"msg":"listening"/.exec(buf);
      if (m !== null) {
        done = true;
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
  });
}

const cpu = (pid: number): number => statOf(pid)?.cpuTicks ?? 0;

interface Run { config: string; nodes: number; scenario: string; offered: number; callsPerSec: number; requestsPerSec: number; failed: number; p50: number; p99: number; nodeCpuUsPerReq: number; redisCpuUsPerReq: number | null; redisCmdsPerReq: number | null; redisBytesPerReq: number | null; notifiesPerSec: number; cmds: string }

async function runConfig(config: string, store: string | null, n: number, redisPid: number | null, redisPort: number | null): Promise<Run[]> {
  const dirs: string[] = [];
  const procs: ChildProcess[] = [];
  const ports: number[] = [];
  const cluster = `bench-${Date.now().toString(36)}`;
  try {
    for (let i = 0; i < n; i++) {
      const data = mkdtempSync(join(tmpdir(), 'comsipl-bench-node-'));
      dirs.push(data);
      const extra = store === null ? [] : ['--store', store, '--cluster', cluster, '--advertise', '127.0.0.1:5999'];
      const p = spawn(process.execPath, [MAIN, '--host', '127.0.0.1', '--port', '0', '--data', data, '--log-level', 'info', '--stats-interval', '0', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
      procs.push(p);
      ports.push(await waitListening(p));
    }
    const runs: Run[] = [];
    for (const sc of SCENARIOS) {
      const before = { nodes: procs.map((p) => cpu(p.pid!)), redis: redisPid === null ? 0 : cpu(redisPid), r: redisPort === null ? null : await redisCounters(redisPort) };
      const gens = ports.map((port) => new Promise<Record<string, unknown>>((resolve, reject) => {
        const g = spawn(process.execPath, [MAIN, 'load', '--target', `127.0.0.1:${port}`, ...sc.args, '--rate', String(sc.rate / n), '--duration', String(DURATION), '--drain', '10', '--json'], { stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        g.stdout!.on('data', (c: Buffer) => (out += c.toString()));
        g.once('exit', () => {
          try {
            resolve(JSON.parse(out) as Record<string, unknown>);
          } catch (e) {
            reject(new Error(`generator output: ${out.slice(0, 300)} (${(e as Error).message})`));
          }
        });
      }));
      const reports = await Promise.all(gens);
      const after = { nodes: procs.map((p) => cpu(p.pid!)), redis: redisPid === null ? 0 : cpu(redisPid), r: redisPort === null ? null : await redisCounters(redisPort) };
      type Rep = { callsPerSecond: number; requestsPerSecond: number; requests: number; calls: { failed: number }; notifies: { received: number }; wallSeconds: number; latencyMs: { ALL: { p50: number; p99: number } } };
      const reps = reports as unknown as Rep[];
      const requests = reps.reduce((s, r) => s + r.requests, 0);
      const wall = Math.max(...reps.map((r) => r.wallSeconds));
      const tick = 1e6 / 100; // µs per clock tick (USER_HZ 100)
      const nodeTicks = after.nodes.reduce((s, t, i) => s + t - before.nodes[i]!, 0);
      let cmds = '';
      if (before.r !== null && after.r !== null) {
        const d: [string, number][] = [];
        for (const [k, v] of after.r.byCmd) if (k !== 'info') d.push([k, (v - (before.r.byCmd.get(k) ?? 0)) / requests]);
        cmds = d.filter(([, v]) => v >= 0.005).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
      }
      runs.push({
        config, nodes: n, scenario: sc.name, offered: sc.rate,
        callsPerSec: Math.round(reps.reduce((s, r) => s + r.callsPerSecond, 0)),
        requestsPerSec: Math.round(reps.reduce((s, r) => s + r.requestsPerSecond, 0)),
        failed: reps.reduce((s, r) => s + r.calls.failed, 0),
        p50: Math.max(...reps.map((r) => r.latencyMs.ALL.p50)), p99: Math.max(...reps.map((r) => r.latencyMs.ALL.p99)),
        nodeCpuUsPerReq: Math.round((nodeTicks * tick) / requests),
        redisCpuUsPerReq: redisPid === null ? null : Math.round(((after.redis - before.redis) * tick) / requests),
        redisCmdsPerReq: after.r === null || before.r === null ? null : Number(((after.r.calls - before.r.calls) / requests).toFixed(2)),
        redisBytesPerReq: after.r === null || before.r === null ? null : Math.round((after.r.inBytes - before.r.inBytes + after.r.outBytes - before.r.outBytes) / requests),
        notifiesPerSec: Math.round(reps.reduce((s, r) => s + r.notifies.received, 0) / wall),
        cmds,
      });
      await sleep(500);
    }
    return runs;
  } finally {
    for (const p of procs) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const redisDir = mkdtempSync(join(tmpdir(), 'comsipl-bench-redis-'));
  const redisPort = await freePort();
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '', '--appendonly', 'yes', '--appendfsync', arg('--appendfsync', 'always'), '--loglevel', 'warning'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100; i++) {
      if (await redisCmd(redisPort, 'PING').then((r) => r.startsWith('+PONG'), () => false)) break;
      await sleep(50);
    }
    const url = `redis://127.0.0.1:${redisPort}`;
    const all: Run[] = [];
    // --only-redis-1: one node on Redis only (to compare Redis settings back to back).
    const configs = process.argv.includes('--only-redis-1') ? ([['redis', url, 1]] as const) : ([['fdb', null, 1], ['redis', url, 1], ['redis', url, 2], ['redis', url, 3]] as const);
    for (const [config, store, n] of configs) {
      const runs = await runConfig(config, store, n, store === null ? null : redis.pid!, store === null ? null : redisPort);
      for (const r of runs) {
        all.push(r);
        process.stdout.write(`${JSON.stringify(r)}\n`);
        if (OUT !== '') appendFileSync(OUT, `${JSON.stringify({ date: new Date().toISOString(), ...r })}\n`);
      }
    }
    process.stdout.write('\n| store | nodes | scenario | offered calls/s | done calls/s | SIP req/s | NOTIFY/s | failed | p50 ms | p99 ms | node CPU µs/req | Redis CPU µs/req | Redis cmds/req | Redis bytes/req |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n');
    for (const r of all) {
      process.stdout.write(`| ${r.config} | ${r.nodes} | ${r.scenario} | ${r.offered} | ${r.callsPerSec} | ${r.requestsPerSec} | ${r.notifiesPerSec} | ${r.failed} | ${r.p50} | ${r.p99} | ${r.nodeCpuUsPerReq} | ${r.redisCpuUsPerReq ?? '–'} | ${r.redisCmdsPerReq ?? '–'} | ${r.redisBytesPerReq ?? '–'} |\n`);
    }
    process.stdout.write('\nRedis commands per SIP request:\n');
    for (const r of all) if (r.cmds !== '') process.stdout.write(`- ${r.nodes} node(s), ${r.scenario}: ${r.cmds}\n`);
  } finally {
    redis.kill('SIGTERM');
    await new Promise((r) => redis.once('exit', r));
    rmSync(redisDir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
