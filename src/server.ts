// Composition of the running server: UDP transport → parse tasks (pool or inline) → server
// transactions → admission (src/overload/admission.ts) → authentication and method handlers
// (src/core/dispatch.ts) → actors → fdb store; NOTIFYs back out through client transactions.
// Also owns the timers, the restore at start and the reload of users and rules (SIGHUP or a
// file change).
import { getHeader, getHeaderValues, parseCSeq } from './codec/sip/headers.js';
import { parseVia } from './codec/sip/via.js';
import type { SipRequest, SipResponse } from './codec/sip/types.js';
import type { ParsedRecord } from './codec/wire/packr.js';
import { ActorSystem } from './actors/system.js';
import { Notifier } from './actors/notifier.js';
import { FdbStore } from './store/fdb-store.js';
import { UdpTransport, type Datagram } from './transport/udp-transport.js';
import { ServerTransactions, type Destination } from './transaction/server-transactions.js';
import { ClientTransactions } from './transaction/client-transactions.js';
import { createRunner, type TaskRunner } from './workers/pool.js';
import { buildResponse, responseDestination } from './core/respond.js';
import type { ReplyOptions, RequestContext } from './core/context.js';
import { expirePublication } from './core/publish.js';
import type { WatcherDecision } from './core/subscribe.js';
import { routeRequest, type RouterDeps } from './core/dispatch.js';
import { transactionKey } from './core/tx-key.js';
import { Authenticator } from './auth/authenticator.js';
import { WatcherPolicy } from './policy/watcher-policy.js';
import { watchFile } from './policy/file-watch.js';
import { Admission } from './overload/admission.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { PRODUCT } from './version.js';
import { StatsReporter } from './stats-reporter.js';
import { metrics } from './metrics/metrics.js';
import { aorKey } from './policy/aor.js';

const SUPPORTED: string[] = [];
/**
 * Datagrams per parse task. libuv reads at most a few dozen datagrams per socket per loop
 * turn, so a turn's batch is small already; the cap keeps one task (and the worker's
 * transferred buffer) bounded even if that changes.
 */
export const MAX_BATCH = 256;

export interface ServerStats {
  received: number;
  bad: number;
  retransmissions: number;
  overloaded: number;
  notifies: number;
}

export class Server {
  readonly cfg: Readonly<Config>;
  readonly log: Logger;
  readonly stats: ServerStats = { received: 0, bad: 0, retransmissions: 0, overloaded: 0, notifies: 0 };
  readonly #store: FdbStore;
  readonly sys: ActorSystem;
  readonly transport: UdpTransport;
  readonly #stx = new ServerTransactions();
  readonly #ctx: ClientTransactions;
  readonly #runner: TaskRunner;
  readonly notifier: Notifier;
  readonly auth: Authenticator | null;
  readonly policy: WatcherPolicy;
  readonly admission: Admission;
  readonly #router: RouterDeps;
  #timer: NodeJS.Timeout | null = null;
  readonly #stats: StatsReporter;
  readonly #debug: boolean;
  #usersWatch: { close(): void } | null = null;
  #inflight = 0;
  /** Watcher authorization (RFC 3856 §5): the rules file; tests may replace it. */
  authorize: (presentity: string, watcher: string) => WatcherDecision;

  constructor(cfg: Readonly<Config>, log: Logger) {
    this.cfg = cfg;
    this.log = log;
    this.#debug = log.isLevelEnabled('debug');
    this.#stats = new StatsReporter(log, {
      counters: () => ({
        ...this.stats,
        inFlight: this.#inflight,
        pendingWrites: this.sys.pendingWrites,
        registrations: this.sys.registrations.size,
        presentities: this.sys.presentities.size,
        subscriptions: this.sys.subscriptions.size,
      }),
    });
    const now = Date.now();
    this.#store = FdbStore.open(cfg.data, { sync: cfg.durability === 'fsync' });
    this.sys = new ActorSystem(this.#store, cfg.domain, log, now);
    this.transport = new UdpTransport(cfg.host, cfg.port, log, (batch) => this.#onBatch(batch));
    this.#ctx = new ClientTransactions((buf, dest) => this.transport.send(buf, dest), now, cfg.timerT1);
    this.#runner = createRunner(cfg.workers, Math.max(64, cfg.workers * cfg.workers * 16));
    this.notifier = new Notifier(this.sys, this.#runner, this.#ctx, this.transport, cfg, log.child({ c: 'notifier' }), PRODUCT);
    this.sys.handlers = {
      publicationExpired: (actor, rec) => expirePublication(this.sys, actor, rec, this.notifier),
      subscriptionExpired: (sub) => this.notifier.terminate(sub, 'timeout'),
    };
    // Both files are read now: a broken users or rules file stops the start with its name.
    this.auth = cfg.auth === 'on' ? new Authenticator({ realm: cfg.realm, usersPath: cfg.users, algorithms: cfg.authAlgorithms }) : null;
    this.policy = new WatcherPolicy(cfg.rules, this.sys, this.notifier, log.child({ c: 'policy' }));
    this.authorize = (p, w) => this.policy.decide(p, w);
    this.admission = new Admission(cfg);
    this.#router = {
      sys: this.sys, notifier: this.notifier, cfg, auth: this.auth, log,
      contactFor: (c) => this.contactFor(c.source),
      authorize: (p, w) => this.authorize(p, w),
    };
  }

  /** Requests admitted and not yet answered (the --max-pending figure). */
  get inFlight(): number {
    return this.#inflight;
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
    const restored = await this.#store.restore(Date.now());
    this.sys.load(restored.registrations, restored.publications, restored.subscriptions);
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
        auth: this.cfg.auth, realm: this.auth === null ? undefined : this.cfg.realm || '(the AoR domain)', users: this.auth?.userCount,
        restored: { registrations: restored.registrations.size, publications: restored.publications.length, subscriptions: restored.subscriptions.length, dropped: restored.dropped },
      },
      'listening',
    );
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#stats.stop();
    this.#timer = null;
    this.policy.close();
    this.#usersWatch?.close();
    await this.transport.close();
    this.#ctx.clear();
    await this.#runner.close();
    await this.#store.close();
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
        for (let i = 0; i < records.length; i++) this.#dispatchSafe(records[i]!, batch[i]!);
      },
      // The pool's queue is at its bound (maxQueue): the datagrams are dropped unanswered, as a
      // full socket buffer would; UDP clients retransmit (RFC 3261 §17.1.2.2).
      (err: Error) => {
        this.stats.overloaded += batch.length;
        this.log.error({ err: err.message, count: batch.length }, 'parse task failed');
      },
    );
  }

  #dispatchSafe(rec: ParsedRecord, dg: Datagram): void {
    try {
      this.#dispatch(rec, { address: dg.address, port: dg.port, family: dg.family });
    } catch (err) {
      // Never crash on input: log it with what identifies the message and answer 500 if we can.
      this.log.error({ err: (err as Error).stack, peer: `${dg.address}:${dg.port}` }, 'request handler failed');
      if (rec.t === 'req') this.#sendResponse(rec.msg, { address: dg.address, port: dg.port, family: dg.family }, 500, null, {});
    }
  }

  #dispatch(rec: ParsedRecord, source: Destination): void {
    switch (rec.t) {
      case 'keepalive':
        return; // CRLF keep-alives (RFC 5626 style pings) are ignored over UDP
      case 'bad':
        this.stats.bad++;
        // Garbage counts against the sender's rate too; over it, it is not even answered.
        if (this.admission.admit(source.address, 0, 0, Date.now()).t !== 'ok') return;
        if (this.#debug) this.log.debug({ peer: `${source.address}:${source.port}`, status: rec.failure.status, why: rec.failure.reason }, 'malformed message');
        if (!rec.failure.drop) this.#sendResponse({ headers: rec.failure.partial }, source, rec.failure.status, null, { reason: rec.failure.reason });
        return;
      case 'res':
        this.#onResponse(rec.msg.status, rec.msg);
        return;
      case 'req':
        this.#onRequest(rec.msg, rec, source);
        return;
    }
  }

  #onResponse(status: number, msg: SipResponse): void {
    if (parseCSeq(getHeader(msg, 'CSeq') ?? '')?.method !== 'NOTIFY') return;
    const top = getHeaderValues(msg, 'Via')[0];
    const via = top === undefined ? null : parseVia(top);
    const branch = via?.params.get('branch');
    if (branch === undefined || branch === null) return;
    const ra = getHeader(msg, 'Retry-After');
    this.#ctx.onResponse(branch, status, ra === undefined ? null : Number.parseInt(ra, 10) || null);
  }

  #onRequest(req: SipRequest, rec: Extract<ParsedRecord, { t: 'req' }>, source: Destination): void {
    if (req.method === 'ACK') return; // never answered (RFC 3261 §17.2.1)
    const key = transactionKey(req);
    const found = this.#stx.begin(key);
    if (found.state !== 'new') {
      this.stats.retransmissions++;
      if (found.state === 'completed') this.transport.send(found.response, found.dest);
      return;
    }
    const now = Date.now();
    const verdict = this.admission.admit(source.address, this.#inflight + 1, this.sys.pendingWrites, now);
    if (verdict.t === 'drop') {
      this.stats.overloaded++;
      this.#stx.abandon(key);
      return;
    }
    let answered = false;
    this.#inflight++;
    const t0 = metrics.now();
    const ctx: RequestContext = {
      req,
      pidf: rec.pidf,
      source,
      now,
      identity: null,
      reply: (status, opts = {}) => {
        if (answered) return;
        answered = true;
        this.#inflight--;
        this.#sendResponse(req, source, status, key, opts);
        const ms = metrics.now() - t0;
        metrics.request(req.method, status, ms);
        if (this.#debug) this.#logRequest(req, status, ms);
      },
    };
    if (rec.gate !== null) {
      if (rec.gate.status === 0) {
        this.#stx.abandon(key);
        this.#inflight--;
        return;
      }
      ctx.reply(rec.gate.status, { reason: rec.gate.reason, headers: rec.gate.headers });
      return;
    }
    if (verdict.t === 'reject') {
      this.stats.overloaded++;
      ctx.reply(503, { reason: verdict.reason, headers: [{ name: 'Retry-After', value: String(verdict.retryAfter) }] });
      return;
    }
    routeRequest(ctx, this.#router);
  }

  /** The one debug line per handled request (only built when debug is on). */
  #logRequest(req: SipRequest, status: number, ms: number): void {
    const target = req.method === 'REGISTER' ? getHeader(req, 'To') ?? '' : req.uri;
    this.log.debug({ method: req.method, aor: aorKey(target), status, ms: +ms.toFixed(2) }, 'request');
  }

  contactFor(source: Destination): string {
    const host = this.transport.localAddress(source.family, source.address);
    return `<sip:${source.family === 6 ? `[${host}]` : host}:${this.transport.port}>`;
  }

  #sendResponse(msg: { headers: SipRequest['headers'] }, source: Destination, status: number, key: string | null, opts: ReplyOptions): void {
    const buf = buildResponse(msg, source, status, PRODUCT, opts);
    const dest = responseDestination(msg, source);
    this.transport.send(buf, dest);
    if (key !== null) this.#stx.complete(key, buf, dest, Date.now());
    if (status >= 500) this.log.warn({ status, reason: opts.reason, peer: `${source.address}:${source.port}` }, 'server error response');
    // The debug line's object is built only when debug is on: a flood of refusals costs no garbage.
    else if (status >= 400 && this.#debug) this.log.debug({ status, reason: opts.reason, peer: `${source.address}:${source.port}` }, 'request refused');
  }
}
