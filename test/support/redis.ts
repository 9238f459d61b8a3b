// A Redis for the tests that need one: the one CI started (COMSIPL_TEST_REDIS=redis://…), else
// a private redis-server this process starts on a free loopback port with a temporary directory
// and the durable settings (appendonly, fsync always), stopped when the process exits. Tests
// never touch a Redis they were not given or did not start, and each test uses its own key
// prefix (--cluster), so test files running in parallel do not see each other.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface TestRedis {
  url: string;
  port: number;
  /** Present when this process started it (so it may stop and restart it). */
  proc: ChildProcess | null;
  dir: string | null;
}

let mine: Promise<TestRedis> | null = null;

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A unique key prefix for one test's nodes. */
export const testCluster = (): string => `t-${randomBytes(5).toString('hex')}`;

/** Starts redis-server on `port` with data in `dir`; resolves once it accepts connections. */
export async function startRedisServer(port: number, dir: string): Promise<ChildProcess> {
  const proc = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'yes', '--daemonize', 'no', '--loglevel', 'warning',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
    if (await accepts(port)) return proc;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`redis-server did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function accepts(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.write('PING\r\n');
      c.once('data', (d) => {
        c.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
    });
    c.once('error', () => resolve(false));
    c.setTimeout(1000, () => {
      c.destroy();
      resolve(false);
    });
  });
}

/** The shared test Redis (CI's, or one started for this process). */
export function testRedis(): Promise<TestRedis> {
  const given = process.env.COMSIPL_TEST_REDIS;
  if (given !== undefined && given !== '') return Promise.resolve({ url: given, port: Number(new URL(given).port), proc: null, dir: null });
  mine ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'comsipl-redis-'));
    const port = await freePort();
    const proc = await startRedisServer(port, dir);
    // Not a reason to keep the test process alive; stopped when it exits.
    proc.unref();
    (proc.stdout as unknown as { unref(): void }).unref();
    (proc.stderr as unknown as { unref(): void }).unref();
    process.once('exit', () => {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    return { url: `redis://127.0.0.1:${port}`, port, proc, dir };
  })();
  return mine;
}

/** Which store the e2e suites run on: COMSIPL_TEST_STORE=redis runs them on Redis. */
export const onRedis = (): boolean => process.env.COMSIPL_TEST_STORE === 'redis';
