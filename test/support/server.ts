// Starts the real server as a child process on 127.0.0.1 (a free port, a temporary data
// directory) and stops only the process it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { REPO_ROOT } from './fixtures.js';
import { onRedis, testRedis } from './redis.js';

export interface RunningServer {
  port: number;
  data: string;
  proc: ChildProcess;
  logs: string[];
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit (crash simulation). */
  kill(): Promise<void>;
  /** Removes the data directory (after stop). */
  cleanup(): void;
}

export async function startServer(args: string[] = [], opts: { data?: string; host?: string; timeoutMs?: number } = {}): Promise<RunningServer> {
  const data = opts.data ?? mkdtempSync(join(tmpdir(), 'comsipl-test-'));
  const host = opts.host ?? '127.0.0.1';
  // With COMSIPL_TEST_STORE=redis the same suites run on the shared store: one key prefix per
  // data directory, so a restart on the same directory finds its state again.
  const store = onRedis() && !args.includes('--store') ? ['--store', (await testRedis()).url, '--cluster', `t-${basename(data)}`] : [];
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'dist/src/main.js'), '--host', host, '--port', '0', '--data', data, '--log-level', 'info', ...store, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let exited = false;
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => { exited = true; resolve(code); }));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs.join('\n')}`)), opts.timeoutMs ?? 15000);
    let buf = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logs.push(line);
        try {
          const j = JSON.parse(line) as { msg?: string; port?: number };
          if (j.msg === 'listening' && typeof j.port === 'number') {
            clearTimeout(timer);
            resolve(j.port);
          }
        } catch {
          /* not JSON */
        }
      }
    });
    proc.stderr!.on('data', (c: Buffer) => logs.push(c.toString()));
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${logs.join('\n')}`));
    });
  });
  return {
    port,
    data,
    proc,
    logs,
    async stop() {
      if (exited) return proc.exitCode;
      proc.kill('SIGTERM');
      return exit;
    },
    async kill() {
      if (exited) return;
      proc.kill('SIGKILL');
      await exit;
    },
    cleanup() {
      if (opts.data === undefined) rmSync(data, { recursive: true, force: true });
    },
  };
}
