// Several ComSIPL nodes sharing one private Redis on loopback, as behind a balancer: one
// advertised address, the test choosing which node each request goes to (as the balancer
// would). Bounded waits only; nothing here asserts on timing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startServer, type RunningServer } from '../support/server.js';
import { freePort, startRedisServer, testCluster } from '../support/redis.js';
import { SipUA, hdr, rand, tagOf, PIDF } from '../support/sip-ua.js';
import type { SipResponse } from '../../src/codec/sip/types.js';

export const ADVERTISE = '127.0.0.1:5999';

export class PrivateRedis {
  proc: ChildProcess | null = null;
  constructor(readonly port: number, readonly dir: string) {}
  static async start(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort(), mkdtempSync(join(tmpdir(), 'comsipl-cluster-redis-')));
    await r.restart();
    return r;
  }
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async restart(): Promise<void> {
    this.proc = await startRedisServer(this.port, this.dir);
  }
  /** SIGKILL (what the AOF with fsync always must survive) and wait for the exit. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (p === null || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Node {
  srv: RunningServer;
  data: string;
}

export async function startNodes(redis: PrivateRedis, n: number, cluster = testCluster(), extra: string[] = []): Promise<Node[]> {
  const nodes: Node[] = [];
  for (let i = 0; i < n; i++) nodes.push(await startNode(redis, cluster, extra));
  return nodes;
}

export async function startNode(redis: PrivateRedis, cluster: string, extra: string[] = [], data = mkdtempSync(join(tmpdir(), 'comsipl-node-'))): Promise<Node> {
  const srv = await startServer(['--store', redis.url, '--cluster', cluster, '--advertise', ADVERTISE, '--node-ttl', '2', ...extra], { data });
  return { srv, data };
}

export async function stopNodes(nodes: Node[]): Promise<void> {
  for (const n of nodes) {
    await n.srv.stop();
    rmSync(n.data, { recursive: true, force: true });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function publish(ua: SipUA, port: number, aor: string, note: string, ifMatch?: string): Promise<SipResponse> {
  const headers: [string, string][] = [['Event', 'presence'], ['Content-Type', 'application/pidf+xml']];
  if (ifMatch !== undefined) headers.push(['SIP-If-Match', ifMatch]);
  return ua.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1, headers, body: PIDF(aor, 'open', 't1', note) }, port);
}

export interface Watch {
  callId: string;
  fromTag: string;
  toTag: string;
  cseq: number;
  aor: string;
  watcher: string;
}

export async function subscribe(ua: SipUA, port: number, aor: string): Promise<{ w: Watch; res: SipResponse }> {
  const w: Watch = { callId: rand(), fromTag: rand(), toTag: '', cseq: 1, aor, watcher: `sip:w${rand(3)}@127.0.0.1` };
  const res = await ua.request({
    method: 'SUBSCRIBE', uri: aor, from: `<${w.watcher}>;tag=${w.fromTag}`, to: `<${aor}>`, callId: w.callId, cseq: 1,
    headers: [['Event', 'presence'], ['Contact', `<sip:w@${ua.hostPort}>`], ['Expires', '600']],
  }, port);
  w.toTag = tagOf(hdr(res, 'To')) ?? '';
  return { w, res };
}

export function refresh(ua: SipUA, port: number, w: Watch, timeoutMs = 3000): Promise<SipResponse> {
  w.cseq++;
  return ua.request({
    method: 'SUBSCRIBE', uri: w.aor, from: `<${w.watcher}>;tag=${w.fromTag}`, to: `<${w.aor}>;tag=${w.toTag}`, callId: w.callId, cseq: w.cseq,
    headers: [['Event', 'presence'], ['Contact', `<sip:w@${ua.hostPort}>`], ['Expires', '600']],
  }, port, timeoutMs);
}

export function register(ua: SipUA, port: number, aor: string, contact: string | null): Promise<SipResponse> {
  const headers: [string, string][] = contact === null ? [] : [['Contact', `<${contact}>`], ['Expires', '600']];
  return ua.request({ method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1, headers }, port);
}

export const cseqOf = (m: { headers: { name: string; value: string }[] }): number => Number(hdr(m as never, 'CSeq')!.trim().split(/\s+/)[0]);

/** Retries `f` until `ok` holds for its result, at most `tries` times `pauseMs` apart. */
export async function until<T>(f: () => Promise<T>, ok: (t: T) => boolean, tries: number, pauseMs: number): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < tries; i++) {
    try {
      last = await f();
      if (ok(last)) return last;
    } catch {
      /* no answer: try again */
    }
    await sleep(pauseMs);
  }
  if (last === undefined) throw new Error('no answer at all');
  return last;
}
