// The servers under test, started fresh on a free loopback port in their own temp dir: ComSIPL
// (`node dist/src/main.js`) or Kamailio (one of bench/peers/kamailio*.cfg). Ready = answers an
// OPTIONS. Only processes started here are signalled: the started pid and, for Kamailio, the
// workers it forked (its process tree, read from /proc while it runs).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeUdpPort } from '../sipp/server.js';
import { kamailioArgs, kamShmUsed, prepareKamailio, type KamTuning, type KamVariant } from './kamailio.js';
import { track, untrack } from './live.js';
import { alive, processTree } from './proc.js';
import { waitForAnswer } from './sip-udp.js';

export type ServerName = 'comsipl' | 'kamailio';

export interface ServerOptions {
  repo: string;
  /** Parent dir of every instance's own dir (removed by the caller at the end). */
  workDir: string;
  comsiplArgs: string[];
  /** ComSIPL log level (info prints the `listening` line with the restored counts). */
  logLevel: string;
  kam: KamTuning;
  kamVariant: KamVariant;
  /** How long a start may take before it counts as failed (ms). */
  startTimeoutMs: number;
  /**
   * Seconds between a fresh server's first answer and a rate step's load, for both servers alike:
   * a restarted server in service has had more than that before its peak, and ComSIPL warms its
   * JIT in it (--warm-up; without it the first ~2,000 requests run interpreted).
   */
  settleSeconds: number;
}

export class ServerUnderTest {
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  /** Pids seen in the process tree (kept so that a SIGKILL reaches orphaned workers too). */
  #pids = new Set<number>();
  #logFd = -1;
  #starts = 0;

  private constructor(
    readonly name: ServerName,
    readonly port: number,
    readonly dir: string,
    private readonly o: ServerOptions,
    readonly wsPort: number,
    private readonly ctlSocket: string,
    private readonly argv: string[],
  ) {}

  /** Prepares a fresh instance (its dir, port, config, empty store) and starts it. */
  static async start(name: ServerName, o: ServerOptions, label: string): Promise<{ server: ServerUnderTest; msToAnswer: number }> {
    const dir = join(o.workDir, `${name}-${label}-${Date.now().toString(36)}`);
    mkdirSync(dir, { recursive: true });
    const port = await freeUdpPort();
    let argv: string[];
    let ctl = '';
    let wsPort = 0;
    if (name === 'comsipl') {
      // The list of the RLS scenario (bench/sipp/rls.xml), as bench/peers/rls-seed.sql gives it to Kamailio.
      mkdirSync(join(dir, 'data'), { recursive: true });
      writeFileSync(join(dir, 'data', 'lists.json'), JSON.stringify({ lists: { 'sip:rlslist@127.0.0.1': { owner: 'sip:rlswatcher@127.0.0.1', entries: ['sip:rls-a@127.0.0.1', 'sip:rls-b@127.0.0.1'] } } }));
      argv = [
        process.execPath, join(o.repo, 'dist/src/main.js'), '--host', '127.0.0.1', '--port', String(port), '--data', join(dir, 'data'),
        '--log-level', o.logLevel, '--stats-interval', '0', '--ws-port', '0', ...o.comsiplArgs,
      ];
    } else {
      if (o.kamVariant === 'ws') wsPort = await freeUdpPort();
      const files = prepareKamailio(join(o.repo, 'bench/peers'), dir, o.kamVariant, port);
      ctl = files.ctlSocket;
      argv = ['kamailio', ...kamailioArgs(files, port, o.kam, wsPort)];
    }
    const server = new ServerUnderTest(name, port, dir, o, wsPort, ctl, argv);
    const msToAnswer = await server.#spawnAndWait();
    return { server, msToAnswer };
  }

  /** Spawns the process and waits for its first answer to an OPTIONS; ms since the spawn. */
  async #spawnAndWait(): Promise<number> {
    // Kamailio leaves its control socket and pid file behind when killed: a restart must not trip on them.
    if (this.name === 'kamailio') for (const f of ['kamailio.ctl', 'kamailio.pid']) rmSync(join(this.dir, f), { force: true });
    this.#logFd = openSync(join(this.dir, `server-${this.#starts++}.log`), 'a');
    const t0 = performance.now();
    const child = spawn(this.argv[0]!, this.argv.slice(1), { cwd: this.dir, stdio: ['ignore', this.#logFd, this.#logFd] });
    this.#child = child;
    if (child.pid !== undefined) {
      track(child.pid);
      this.#pids.add(child.pid);
    }
    this.#exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.on('error', () => undefined);
    let ms: number;
    try {
      ms = await Promise.race([
        waitForAnswer(this.port, t0, this.o.startTimeoutMs),
        this.#exited.then(() => {
          throw new Error(`${this.name} exited during start: ${this.logTail()}`);
        }),
      ]);
    } catch (err) {
      await this.kill9();
      throw err;
    }
    this.refreshPids();
    return ms;
  }

  /** Main pid (the one spawned here). */
  get pid(): number {
    return this.#child?.pid ?? 0;
  }

  /** The living processes of this server (main + forked workers); remembers every pid seen. */
  refreshPids(): number[] {
    const tree = this.pid > 0 ? processTree(this.pid) : [];
    for (const p of tree) {
      this.#pids.add(p);
      track(p);
    }
    return tree;
  }

  /** Kamailio's shared-memory use (bytes), null for ComSIPL or when unknown. */
  shmUsed(): number | null {
    return this.name === 'kamailio' ? kamShmUsed(this.ctlSocket) : null;
  }

  logTail(chars = 1500): string {
    try {
      const files = [join(this.dir, `server-${this.#starts - 1}.log`)];
      return readFileSync(files[0]!, 'utf8').slice(-chars);
    } catch {
      return '';
    }
  }

  /** The whole log of the current (last) start. */
  logText(): string {
    return this.logTail(1 << 24);
  }

  async #waitGone(ms: number): Promise<boolean> {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      if ([...this.#pids].every((p) => !alive(p))) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  #signal(sig: NodeJS.Signals, pids: Iterable<number>): void {
    for (const p of pids) {
      try {
        process.kill(p, sig);
      } catch {
        /* already gone */
      }
    }
  }

  #forget(): void {
    for (const p of this.#pids) untrack(p);
    this.#pids.clear();
  }

  #closeLog(): void {
    if (this.#logFd >= 0) closeSync(this.#logFd);
    this.#logFd = -1;
  }

  /** SIGKILL to every process of the server (a crash), then waits until they are gone. */
  async kill9(): Promise<void> {
    this.refreshPids();
    this.#signal('SIGKILL', this.#pids);
    await this.#exited;
    await this.#waitGone(10_000);
    this.#forget();
    this.#closeLog();
  }

  /** Starts the same server again (same port, dir, data) after kill9; ms until it answers. */
  async restart(): Promise<number> {
    return this.#spawnAndWait();
  }

  /** SIGTERM to the main process (Kamailio stops its workers itself); SIGKILL after 10 s. */
  async stop(): Promise<void> {
    this.refreshPids();
    if (this.pid > 0 && alive(this.pid)) this.#signal('SIGTERM', [this.pid]);
    if (!(await this.#waitGone(10_000))) this.#signal('SIGKILL', this.#pids);
    await this.#exited;
    await this.#waitGone(5_000);
    this.#forget();
    this.#closeLog();
  }

  /** Stops the server and deletes its dir (store, config, logs) unless `keep`. */
  async dispose(keep = false): Promise<void> {
    await this.stop();
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}
