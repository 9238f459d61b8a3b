// Generator throughput: how many REGISTER requests/s one `comsipl load` process offers and
// completes on loopback against a trivial responder (never the server: this measures the
// generator). Uses the C responder (recvmmsg/sendmmsg, compiled to a temp dir) when a C
// compiler exists, else the Node one. Bounded: 3 s per step, 4 steps.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad } from '../../src/load/cli.js';
import { parseLoadArgs } from '../../src/load/options.js';

const HERE = resolve(fileURLToPath(import.meta.url), '..');
const REPO = resolve(HERE, '../../..');

function startResponder(dir: string): { child: ChildProcess; kind: string } {
  try {
    const bin = join(dir, 'responder');
    execFileSync('cc', ['-O2', '-o', bin, join(REPO, 'bench', 'load', 'responder.c')], { stdio: 'ignore' });
    return { child: spawn(bin, ['0', '120'], { stdio: ['ignore', 'pipe', 'ignore'] }), kind: 'C (recvmmsg)' };
  } catch {
    return { child: spawn(process.execPath, [join(HERE, 'responder.js')], { stdio: ['ignore', 'pipe', 'ignore'] }), kind: 'node' };
  }
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'comsipl-genbench-'));
  const { child, kind } = startResponder(dir);
  try {
    const port = await new Promise<number>((res, rej) => {
      child.stdout!.once('data', (d: Buffer) => res((JSON.parse(d.toString().split('\n')[0]!) as { port: number }).port));
      child.once('exit', () => rej(new Error('responder exited')));
    });
    process.stdout.write(`# load generator, REGISTER vs ${kind} responder on 127.0.0.1:${port}\n`);
    process.stdout.write('offered/s  workers   sent/s   ok/s    failed  retrans  p50 ms  p99 ms\n');
    for (const [rate, workers] of [[10_000, 1], [20_000, 1], [20_000, 2], [50_000, 2]] as const) {
      const { report } = await runLoad(parseLoadArgs([
        '--target', `127.0.0.1:${port}`, '--rate', String(rate), '--duration', '3', '--workers', String(workers), '--drain', '5', '--timer-f', '4000',
      ]));
      const all = report.latencyMs.ALL;
      process.stdout.write(`${String(rate).padStart(9)} ${String(workers).padStart(8)} ${String(Math.round(report.requests / Math.min(report.wallSeconds, 3.2))).padStart(8)} ` +
        `${String(report.callsPerSecond).padStart(8)} ${String(report.calls.failed).padStart(8)} ${String(report.retransmissions).padStart(8)} ` +
        `${String(all?.p50 ?? '-').padStart(7)} ${String(all?.p99 ?? '-').padStart(7)}\n`);
    }
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
