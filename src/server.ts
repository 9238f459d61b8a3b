// Composition of the running server: UDP transport → parse (inline or worker pool) → server
// transactions → admission → authentication and method handlers (src/core/dispatch.ts) →
// actors (src/actors/) → the store, one commit per turn; NOTIFYs back out through the notifier
// and client transactions. Also owns the timers, the restore at start and the reload of users
// and rules (SIGHUP or a file change).
import { HDR, type SipMsg } from './codec/sip/msg.js';
import { fromRecord, type Read } from './codec/sip/read.js';
import { ActorSystem } from './actors/system.js';
import { Notifier } from './actors/notifier.js';
import { FdbStore } from './store/fdb-store.js';
import type { Store } from './store/store.js';
import type { RedisStore } from './store/redis-store.js';
import { joinCluster, openRedisStore } from './cluster/setup.js';
import type { Cluster } from './cluster/cluster.js';
import { UdpTransport, type Datagram } from './transport/udp-transport.js';
import type { Destination } from './transport/destination.js';
import { ServerTransactions } from './transaction/server-transactions.js';
import { ClientTransactions } from './transaction/client-transactions.js';
import { createRunner, type TaskRunner } from './workers/pool.js';
import { renderResponse, responseDestination } from './core/respond.js';
import type { Request } from './core/context.js';
import type { ResponseSpec } from './core/reply.js';
import { line, refuse } from './core/reply.js';
import { SIP_ERR } from './errors.js';
import { routeRequest, type RouterDeps } from './core/dispatch.js';
import { sameUri } from './core/register.js';
import { transactionKey } from './core/tx-key.js';
import type { WatcherDecision } from './core/subscribe.js';
import { Authenticator } from './auth/authenticator.js';
import { WatcherPolicy } from './policy/watcher-policy.js';
import { watchFile } from './policy/file-watch.js';
import { Admission } from './overload/admission.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { PRODUCT } from './version.js';
import { StatsReporter } from './stats-reporter.js';

const SUPPORTED: string[] = [];
/** Datagrams per parse task (libuv reads a few dozen per turn; the cap bounds one task). */
export const MAX_BATCH = 256;

export interface ServerStats {
  received: number;
  bad: number;
  retransmissions: number;
  overloaded: number;
}

/** One request being processed: its answer channel (first reply wins). */
class PendingRequest implements Request {
  identity: string | null = null;
  #answered = false;
  constructor(
    readonly server: Server,
    readonly msg: SipMsg,
    readonly source: Destination,
    readonly now: number,
    readonly pidf: Request['pidf'],
    readonly key: string,
  ) {}

  reply(spec: ResponseSpec): void {
    if (this.#answered) return;
    this.#answered = true;
    this.server.answer(this, spec);
  }
}

export class Server {
  readonly cfg: Readonly<Config>;
  readonly log: Logger;
  readonly stats: ServerStats = { received: 0, bad: 0, retransmissions: 0, overloaded: 0 };
  readonly store: Store;
  readonly sys: ActorSystem;
  readonly transport: UdpTransport;
  readonly notifier: Notifier;
  readonly auth: Authenticator | null;
  readonly policy: WatcherPolicy;
  readonly admission: Admission;
  /** Set with --store redis://…: this node's part of the group sharing it. */
  readonly cluster: Cluster | null = null;
  readonly #stx = new ServerTransactions();
  readonly #ctx: ClientTransactions;
  readonly #runner: TaskRunner;
  readonly #router: RouterDeps;
  readonly #stats: StatsReporter;
  readonly #debug: boolean;
  #timer: NodeJS.Timeout | null = null;
  #usersWatch: { close(): void } | null = null;
  #inflight = 0;
  /** Watcher authorization (RFC 3856 §5): the rules file; tests may replace it. */
  authorize: (presentity: string, watcher: string) => WatcherDecision;

  constructor(cfg: Readonly<Config>, log: Logger, store?: Store) {
    this.cfg = cfg;
    this.log = log;
    this.#debug = log.isLevelEnabled('debug');
    const now = Date.now();
    const redis: RedisStore | null = store === undefined && cfg.store !== 'fdb' ? openRedisStore(cfg, log) : null;
    this.store = store ?? redis ?? FdbStore.open(cfg.data, { sync: cfg.durability === 'fsync' });
    this.transport = new UdpTransport(cfg.host, cfg.port, log, (batch) => this.#onBatch(batch));
    this.#ctx = new ClientTransactions((buf, dest) => this.transport.send(buf, dest), now, cfg.timerT1);
    this.#runner = createRunner(cfg.workers, Math.max(64, cfg.workers * cfg.workers * 16));
    this.notifier = new Notifier(this.#ctx, this.transport, cfg, log.child({ c: 'notifier' }), PRODUCT);
    this.sys = new ActorSystem(this.store, log, cfg, this.notifier, sameUri, now);
    if (redis !== null) this.cluster = joinCluster(redis, this.sys, cfg, log);
    // Both files are read now: a broken users or rules file stops the start with its name.
    this.auth = cfg.auth === 'on' ? new Authenticator({ realm: cfg.realm, usersPath: cfg.users, algorithms: cfg.authAlgorithms }) : null;
    this.policy = new WatcherPolicy(cfg.rules, this.sys, log.child({ c: 'policy' }));
    this.authorize = (p, w) => this.policy.decide(p, w);
    this.admission = new Admission(cfg);
    this.#router = {
      sys: this.sys, cfg, auth: this.auth, log,
      contactFor: (r) => this.contactFor(r.source),
      authorize: (p, w) => this.authorize(p, w),
    };
    this.#stats = new StatsReporter(log, {
      counters: () => ({
        ...this.stats,
        notifies: this.notifier.counters.sent,
        inFlight: this.#inflight,
        pendingWrites: this.store.pending,
        registrations: this.sys.registrations.size,
        presentities: this.sys.presentities.size,
        subscriptions: this.sys.subscriptions,
      }),
    });
  }

  /** SIGHUP: re-read the users file and the watcher rules; a broken file keeps the old one. */
  reload(why: string): void {
    this.#reloadUsers(why);
    this.policy.reload(why);
  }

  #reloadUsers(why: string): void {
    if (this.auth === null) return;
    try {
      this.auth.reload();
      this.log.info({ why, users: this.auth.userCount }, 'users reloaded');
    } catch (e) {
      this.log.error({ why, err: (e as Error).message }, 'users file not reloaded; keeping the previous users');
    }
  }

  async start(): Promise<void> {
    const restored = await this.store.restore(Date.now(), this.sys.restoreSink());
    await this.cluster?.start();
    await this.transport.start();
    // The rules may have changed while we were down: pending watchers approved meanwhile go active.
    this.policy.reapply();
    this.policy.watch();
    if (this.auth !== null) this.#usersWatch = watchFile(this.cfg.users, () => this.#reloadUsers('file change'));
    this.#timer = setInterval(() => this.#tick(), 50);
    this.#stats.start(this.cfg.statsInterval * 1000);
    this.log.info(
      {
        host: this.cfg.host, port: this.transport.port, workers: this.cfg.workers, data: this.cfg.data,
        store: this.cfg.store === 'fdb' ? 'fdb' : 'redis', node: this.cluster?.node, cluster: this.cluster === null ? undefined : this.cfg.cluster,
        auth: this.cfg.auth, realm: this.auth === null ? undefined : this.cfg.realm || '(the AoR domain)', users: this.auth?.userCount,
        restored,
      },
      'listening',
    );
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#stats.stop();
    this.policy.close();
    this.#usersWatch?.close();
    await this.transport.close();
    await this.cluster?.stop();
    this.#ctx.clear();
    await this.#runner.close();
    await this.store.close();
  }

  #tick(): void {
    const now = Date.now();
    // Each timer family on its own: a fault in one (a bug, never input) is logged and the
    // others still run; the interval keeps going.
    for (const step of this.#steps) {
      try {
        step(now);
      } catch (err) {
        this.log.error({ err: (err as Error).stack }, 'timer step failed');
      }
    }
  }

  readonly #steps: ((now: number) => void)[] = [
    (now) => this.#ctx.tick(now),
    (now) => this.#stx.sweep(now),
    (now) => this.sys.tick(now),
    (now) => this.notifier.tick(now),
  ];

  #onBatch(all: Datagram[]): void {
    this.stats.received += all.length;
    for (let i = 0; i < all.length; i += MAX_BATCH) this.#parseChunk(all.length <= MAX_BATCH ? all : all.slice(i, i + MAX_BATCH));
  }

  #parseChunk(batch: Datagram[]): void {
    let total = 0;
    for (const d of batch) total += d.data.length;
    // One standalone buffer per batch: transferable to a worker without copying the pool slab.
    const data = new Uint8Array(total);
    const ends = new Uint32Array(batch.length);
    let off = 0;
    for (let i = 0; i < batch.length; i++) {
      data.set(batch[i]!.data, off);
      off += batch[i]!.data.length;
      ends[i] = off;
    }
    this.#runner.parse({ data, ends, maxSize: this.cfg.maxMessageSize, extensions: SUPPORTED }).then(
      (records) => {
        for (let i = 0; i < records.length; i++) {
          const dg = batch[i]!;
          const source: Destination = { address: dg.address, port: dg.port, family: dg.family };
          try {
            this.#dispatch(fromRecord(records[i]!), source);
          } catch (err) {
            // Never crash on input: log it with what identifies the message.
            this.log.error({ err: (err as Error).stack, peer: `${dg.address}:${dg.port}` }, 'request handler failed');
          }
        }
      },
      // The pool's queue is at its bound (maxQueue): the datagrams are dropped unanswered, as a
      // full socket buffer would; UDP clients retransmit (RFC 3261 §17.1.2.2).
      (err: Error) => {
        this.stats.overloaded += batch.length;
        this.log.error({ err: err.message, count: batch.length }, 'parse task failed');
      },
    );
  }

  #dispatch(r: Read, source: Destination): void {
    switch (r.t) {
      case 'keepalive':
        return; // CRLF keep-alives (RFC 5626 style pings) are ignored over UDP
      case 'bad':
        this.stats.bad++;
        // Garbage counts against the sender's rate too; over it, it is not even answered.
        if (this.admission.admit(source.address, 0, 0, Date.now()).t !== 'ok') return;
        if (this.#debug) this.log.debug({ peer: `${source.address}:${source.port}`, status: r.status, why: r.reason }, 'malformed message');
        if (!r.drop && r.partial !== null) this.#send(r.partial, source, { status: r.status, reason: r.reason }, null);
        return;
      case 'res':
        this.#onResponse(r.msg);
        return;
      case 'req':
        this.#onRequest(r, source);
        return;
    }
  }

  #onResponse(msg: SipMsg): void {
    if (msg.cseqMethod !== 'NOTIFY') return;
    const branch = msg.topVia?.branch;
    if (branch === undefined || branch === '') return;
    const ra = msg.first(HDR.RetryAfter);
    this.#ctx.onResponse(branch, msg.status, ra === undefined ? null : Number.parseInt(ra, 10) || null);
  }

  #onRequest(r: Extract<Read, { t: 'req' }>, source: Destination): void {
    const msg = r.msg;
    if (msg.method === 'ACK') return; // never answered (RFC 3261 §17.2.1)
    const key = transactionKey(msg);
    const found = this.#stx.begin(key);
    if (found.state !== 'new') {
      this.stats.retransmissions++;
      if (found.state === 'completed') this.transport.send(found.response, found.dest);
      return;
    }
    const now = Date.now();
    const verdict = this.admission.admit(source.address, this.#inflight + 1, this.store.pending, now);
    if (verdict.t === 'drop') {
      this.stats.overloaded++;
      this.#stx.abandon(key);
      return;
    }
    this.#inflight++;
    const req = new PendingRequest(this, msg, source, now, r.pidf, key);
    if (r.gate !== null) {
      if (r.gate.status === 0) {
        this.#stx.abandon(key);
        this.#inflight--;
        return;
      }
      let headers = '';
      for (const h of r.gate.headers) headers += line(h.name, h.value);
      req.reply({ status: r.gate.status, reason: r.gate.reason, headers });
      return;
    }
    if (verdict.t === 'reject') {
      this.stats.overloaded++;
      req.reply({ status: 503, reason: verdict.reason, headers: line('Retry-After', verdict.retryAfter) });
      return;
    }
    if (this.store.available === false && msg.method !== 'OPTIONS') {
      // A shared store that cannot be reached: nothing could be decided or acknowledged.
      req.reply(refuse(SIP_ERR.STORE_UNAVAILABLE));
      return;
    }
    routeRequest(req, this.#router);
  }

  /** @internal PendingRequest.reply: the one way a request is answered. */
  answer(req: PendingRequest, spec: ResponseSpec): void {
    this.#inflight--;
    this.#send(req.msg, req.source, spec, req.key);
  }

  contactFor(source: Destination): string {
    // Behind a balancer every node gives the balancer's address: in-dialog requests go there.
    if (this.cfg.advertise !== '') return `<sip:${this.cfg.advertise}>`;
    const host = this.transport.localAddress(source.family, source.address);
    return `<sip:${source.family === 6 ? `[${host}]` : host}:${this.transport.port}>`;
  }

  #send(msg: SipMsg, source: Destination, spec: ResponseSpec, key: string | null): void {
    const buf = renderResponse(msg, source, spec);
    const dest = responseDestination(msg, source);
    this.transport.send(buf, dest);
    if (key !== null) this.#stx.complete(key, buf, dest, Date.now());
    const status = spec.status;
    if (status >= 500) this.log.warn({ status, reason: spec.reason, peer: `${source.address}:${source.port}` }, 'server error response');
    // The debug line's object is built only when debug is on: a flood of refusals costs no garbage.
    else if (status >= 400 && this.#debug) this.log.debug({ status, reason: spec.reason, peer: `${source.address}:${source.port}` }, 'request refused');
  }
}
