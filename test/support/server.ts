// Starts the real server as a child process on 127.0.0.1 (a free port, a temporary data
// directory) and stops only the process it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { REPO_ROOT } from './fixtures.js';
import { onRedis, testRedis } from './redis.js';

export interface RunningServer {
  /** The UDP port (TCP listens on the same one unless --tcp-port says otherwise). */
  port: number;
  /** The admin listener's URL from the start banner; null with --http off. */
  admin: string | null;
  /** Every listener's port, from the 'listening' line (tcp, ws, tls, wss when on). */
  ports: Partial<Record<'udp' | 'tcp' | 'tls' | 'ws' | 'wss', number>>;
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
  // Every listener on a free port: tests run side by side (the WebSocket default is fixed).
  // No JIT warm-up unless a test asks for it: it would only add CPU to a suite of short-lived servers.
  const warm = args.includes('--warm-up') ? [] : ['--warm-up', '0'];
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'dist/src/main.js'), '--host', host, '--port', '0', '--ws-port', '0', '--tls-port', '0', '--wss-port', '0', '--data', data, '--log-level', 'info', ...warm, ...store, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let exited = false;
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => { exited = true; resolve(code); }));
  let admin: string | null = null;
  let ports: RunningServer['ports'] = {};
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
          // The banner closes the start: SIP served, admin listener (if any) up, store restored;
          // the 'listening' line before it has every listener's port.
          const j = JSON.parse(line) as { msg?: string; banner?: boolean; port?: number; admin?: string; ports?: RunningServer['ports'] };
          if (j.msg === 'listening') ports = j.ports ?? {};
          if (j.banner === true && typeof j.port === 'number') {
            admin = j.admin === 'off' || j.admin === undefined ? null : j.admin;
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
    admin,
    ports,
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
