// Starts a fresh server under test on a free loopback port with a temp data dir, waits for
// its "listening" log line, and stops exactly the process it started.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StartedServer {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** A UDP port that was free a moment ago (bind to 0, read it, release it). */
export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * Wait until the server is ready: a `"msg":"listening"` line on stdout, or (because that line
 * is logged at info level and a `--log-level warn` server does not print it) an answer to an
 * OPTIONS probe sent every 200 ms. Rejects on exit or timeout.
 */
export function waitListening(child: ChildProcess, timeoutMs: number, port = 0): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = port > 0 ? dgram.createSocket('udp4') : null;
    let probeTimer: NodeJS.Timeout | undefined;
    if (probe !== null) {
      probe.on('message', (m) => {
        if (m.toString('latin1', 0, 8) === 'SIP/2.0 ') done(null);
      });
      probe.on('error', () => undefined);
      probe.bind(0, '127.0.0.1', () => {
        let n = 0;
        const send = (): void => {
          const lp = probe.address().port;
          const id = `probe${n++}`;
          probe.send(
            `OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${lp};branch=z9hG4bK${id};rport\r\n` +
              `Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=${id}\r\nTo: <sip:127.0.0.1:${port}>\r\n` +
              `Call-ID: ${id}@probe\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
            port, '127.0.0.1',
          );
          probeTimer = setTimeout(send, 200);
        };
        send();
      });
    }
    let buf = '';
    let errText = '';
    const timer = setTimeout(() => done(new Error(`server not listening after ${timeoutMs} ms: ${errText.slice(-500)}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      buf += d.toString('utf8');
      if (buf.includes('"msg":"listening"')) done(null);
      else if (buf.length > 65536) buf = buf.slice(-1024);
    };
    const onErr = (d: Buffer): void => {
      errText = (errText + d.toString('utf8')).slice(-4096);
    };
    const onExit = (code: number | null): void => done(new Error(`server exited (${code}) before listening: ${errText.slice(-500)}`));
    let finished = false;
    function done(err: Error | null): void {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(probeTimer);
      if (probe !== null) {
        probe.removeAllListeners('message');
        probe.close();
      }
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining the pipes so a chatty server never blocks on a full pipe.
      child.stdout?.resume();
      if (err === null) resolve();
      else reject(err);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    child.once('exit', onExit);
  });
}

export interface ServerSpec {
  /** Script to run with node (default dist/src/main.js). */
  entry: string;
  /** Extra arguments (e.g. "--workers 2 --max-expires 3600"). */
  extraArgs: string[];
  /** The fake UAS takes `PORT` positionally instead of the server's flags. */
  fake: boolean;
  cwd: string;
}

export async function startServer(spec: ServerSpec): Promise<StartedServer> {
  const port = await freeUdpPort();
  const dataDir = mkdtempSync(join(tmpdir(), 'comsipl-load-'));
  const args = spec.fake
    ? [spec.entry, String(port)]
    : [spec.entry, '--host', '127.0.0.1', '--port', String(port), '--ws-port', '0', '--data', dataDir, '--log-level', 'warn', ...spec.extraArgs];
  const child = spawn(process.execPath, args, { cwd: spec.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const cleanup = (): void => rmSync(dataDir, { recursive: true, force: true });
  try {
    await waitListening(child, 20_000, port);
  } catch (err) {
    child.kill('SIGKILL');
    cleanup();
    throw err;
  }
  return {
    port,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      cleanup();
    },
  };
}
