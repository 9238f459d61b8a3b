// Composition of the running server: transports (src/transport/transports.ts: UDP, TCP, TLS,
// WS, WSS) → parse (inline or worker pool) → server
// transactions → admission → authentication and method handlers (src/core/dispatch.ts) →
// actors (src/actors/) → the store, one commit per turn; NOTIFYs back out through the notifier
// and client transactions. Also owns the timers, the restore at start and the reload of users
// and rules (SIGHUP or a file change).
import { warmUpInSlices, type WarmUp } from './core/warm-up.js';
import { HDR } from './codec/sip/header-ids.js';
import type { SipMsg } from './codec/sip/msg.js';
import type { Read } from './codec/sip/scan.js';
import { writeResponse, formatHeaderLines } from './codec/sip/response-writer.js';
import { responseDestination } from './codec/sip/response-via.js';
import type { PidfParseResult } from './codec/pidf/types.js';
import { ActorSystem } from './actors/system.js';
import { Notifier } from './actors/notifier.js';
import { FdbStore } from './store/fdb-store.js';
import type { Store } from './store/store.js';
import { Transports } from './transport/transports.js';
import type { Inbound } from './transport/transport.js';
import type { RedisStore } from './store/redis-store.js';
import { joinCluster, openRedisStore } from './cluster/setup.js';
import type { Cluster } from './cluster/cluster.js';
import type { Destination } from './transport/destination.js';
import { FlowSubscriptions } from './actors/flow-subscriptions.js';
import { ServerTransactionTable, COMPLETED } from './transaction/server-transactions.js';
import { ClientTransactions } from './transaction/client-transactions.js';
import { createRunner, type TaskRunner } from './workers/pool.js';
import { readDatagram } from './workers/tasks.js';
import type { Request } from './core/context.js';
import type { ResponseSpec } from './core/reply.js';
import { refuse } from './core/reply.js';
import { SIP_ERR } from './errors.js';
import { routeRequest, type RouterDeps } from './core/dispatch.js';
import { sameUri } from './core/register.js';
import type { WatcherDecision } from './core/subscribe.js';
import { Authenticator } from './auth/authenticator.js';
import { WatcherPolicy } from './policy/watcher-policy.js';
import { watchFile } from './policy/file-watch.js';
import { Admission } from './overload/admission.js';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import { PRODUCT } from './version.js';
import { StatsReporter } from './stats-reporter.js';
import { metrics } from './metrics/metrics.js';
import { aorKey } from './policy/aor.js';
import { buildRegistry } from './packages/registry.js';
import { ListsFile } from './packages/lists/list-file.js';
import { ListActors } from './packages/lists/list-host.js';
import { listSubscribeHook } from './packages/lists/list-subscribe.js';

/** Option tags a Require may name (RFC 3261 §8.2.2.3): resource lists (RFC 4662, RFC 5367). */
const SUPPORTED: string[] = ['eventlist', 'recipient-list-subscribe'];

/** Datagrams per parse task (libuv reads a few dozen per turn; the cap bounds one task). */
export const MAX_BATCH = 256;

export interface ServerStats {
  received: number;
  bad: number;
  retransmissions: number;
  overloaded: number;
}

/** The Destination a message came from: transport and flow kept for connections. */
function sourceOf(m: Inbound): Destination {
  return m.transport === undefined
    ? { address: m.address, port: m.port, family: m.family }
    : { address: m.address, port: m.port, family: m.family, transport: m.transport, flow: m.flow ?? 0 };
}

/** One request being processed: its answer channel (first reply wins). */
class PendingRequest implements Request {
  identity: string | null = null;
  #answered = false;
  readonly t0 = metrics.now();
  constructor(
    readonly server: Server,
    readonly msg: SipMsg,
    readonly source: Destination,
    readonly now: number,
    readonly pidf: Request['pidf'],
    readonly tx: number,
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
  readonly transports: Transports;
  readonly flowSubs: FlowSubscriptions;
  readonly notifier: Notifier;
  readonly auth: Authenticator | null;
  readonly policy: WatcherPolicy;
  readonly admission: Admission;
  readonly lists: ListActors;
  /** Set with --store redis://…: this node's part of the group sharing it. */
  readonly cluster: Cluster | null = null;
  readonly #stx = new ServerTransactionTable();
  readonly #stxReliable = new ServerTransactionTable({ timerJ: 0 });
  #warmUp: WarmUp | null = null;
  readonly #readOpts: { maxSize: number; supported: readonly string[] };
  readonly #ctx: ClientTransactions;
  readonly #runner: TaskRunner;
  readonly #router: RouterDeps;
  readonly #stats: StatsReporter;
  readonly #debug: boolean;
  #timer: NodeJS.Timeout | null = null;
  #usersWatch: { close(): void } | null = null;
  #listsWatch: { close(): void } | null = null;
  #inflight = 0;
  /** Watcher authorization (RFC 3856 §5): the rules file; tests may replace it. */
  authorize: (presentity: string, watcher: string) => WatcherDecision;

  constructor(cfg: Readonly<Config>, log: Logger, store?: Store) {
    this.cfg = cfg;
    this.log = log;
    this.#debug = log.isLevelEnabled('debug');
    const now = Date.now();
    this.#readOpts = { maxSize: cfg.maxMessageSize, supported: SUPPORTED };
    const redis: RedisStore | null = store === undefined && cfg.store !== 'fdb' ? openRedisStore(cfg, log) : null;
    if (store === undefined) {
      if (redis !== null) store = redis;
      else {
        const fdb = FdbStore.open(cfg.data, { sync: cfg.durability === 'fsync' });
        fdb.onCommit = (ms) => metrics.commit(ms);
        store = fdb;
      }
    }
    this.store = store;
    this.transports = new Transports(cfg, log, (batch) => this.#onBatch(batch));
    this.#ctx = new ClientTransactions((buf, dest) => this.transports.send(buf, dest), now, cfg.timerT1);
    this.#runner = createRunner(cfg.workers, Math.max(64, cfg.workers * cfg.workers * 16), this.#readOpts);
    this.notifier = new Notifier(this.#ctx, this.transports, cfg, log.child({ c: 'notifier' }), PRODUCT);
    const packages = buildRegistry({ dialog: { single: cfg.dialogSingle, dummy: cfg.dialogDummy } });
    this.sys = new ActorSystem(this.store, log, { ...cfg, packages }, this.notifier, sameUri, now);
    // A closed connection ends the dialogs whose NOTIFYs went on it (actors/flow-subscriptions.ts).
    this.flowSubs = new FlowSubscriptions(this.sys);
    this.transports.onFlowClosed = (flow) => this.flowSubs.closed(flow.id);
    if (redis !== null) this.cluster = joinCluster(redis, this.sys, cfg, log);
    // Both files are read now: a broken users or rules file stops the start with its name.
    this.auth = cfg.auth === 'on' ? new Authenticator({ realm: cfg.realm, usersPath: cfg.users, algorithms: cfg.authAlgorithms }) : null;
    this.policy = new WatcherPolicy(cfg.rules, this.sys, log.child({ c: 'policy' }));
    this.authorize = (p, w) => this.policy.decide(p, w);
    this.admission = new Admission(cfg);
    // Resource lists (RFC 4662): a broken lists file stops the start with its name, as rules do.
    this.lists = new ListActors(this.sys, this.notifier, new ListsFile(cfg.lists, cfg.listMaxEntries), cfg,
      cfg.host === '0.0.0.0' || cfg.host === '::' ? 'comsipl' : cfg.host, (p, w) => this.authorize(p, w));
    this.sys.lists = this.lists;
    // A reload of the rules (SIGHUP or the file watch) re-decides list members too.
    this.policy.afterReload = () => this.lists.reapply();
    this.#router = {
      sys: this.sys, cfg, auth: this.auth, log,
      contactFor: (r) => this.contactFor(r.source),
      authorize: (p, w) => this.authorize(p, w),
      bindFlow: (source, tag) => this.flowSubs.bind(source, tag),
      lists: listSubscribeHook(this.sys, this.lists, cfg),
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
        connections: this.transports.flows.sockets,
      }),
    });
  }

  /** Requests admitted and not yet answered (the --max-pending figure). */
  get inFlight(): number {
    return this.#inflight;
  }

  /** SIGHUP: re-read the users file and the watcher rules; a broken file keeps the old one. */
  reload(why: string): void {
    this.#reloadUsers(why);
    this.policy.reload(why);
    this.transports.reloadCertificate();
    this.#reloadLists(why);
  }

  #reloadLists(why: string): void {
    try {
      this.lists.file.reload();
      this.log.info({ why, lists: this.lists.file.size }, 'resource lists reloaded');
    } catch (e) {
      this.log.error({ why, err: (e as Error).message }, 'lists file not reloaded; keeping the previous lists');
    }
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
    await this.transports.start();
    // The rules may have changed while we were down: pending watchers approved meanwhile go active.
    this.policy.reapply();
    this.policy.watch();
    if (this.auth !== null) this.#usersWatch = watchFile(this.cfg.users, () => this.#reloadUsers('file change'));
    this.#listsWatch = watchFile(this.cfg.lists, () => this.#reloadLists('file change'));
    this.#timer = setInterval(() => this.#tick(), 50);
    this.#stats.start(this.cfg.statsInterval * 1000);
    if (this.cfg.warmUp > 0) {
      this.#warmUp = warmUpInSlices(this.#readOpts, this.cfg.warmUp);
      void this.#warmUp.done.then((rounds) => this.log.debug({ rounds }, 'warmed up'));
    }
    this.log.info(
      {
        host: this.cfg.host, port: this.transports.port('udp'), ports: this.transports.ports, workers: this.cfg.workers, data: this.cfg.data,
        store: this.cfg.store === 'fdb' ? 'fdb' : 'redis', node: this.cluster?.node, cluster: this.cluster === null ? undefined : this.cfg.cluster,
        auth: this.cfg.auth, realm: this.auth === null ? undefined : this.cfg.realm || '(the AoR domain)', users: this.auth?.userCount,
        restored, ...(this.sys.droppedFlowless > 0 ? { droppedConnectionSubscriptions: this.sys.droppedFlowless } : {}),
      },
      'listening',
    );
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#stats.stop();
    this.#warmUp?.stop();
    this.policy.close();
    this.#usersWatch?.close();
    this.#listsWatch?.close();
    await this.transports.close();
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
    (now) => this.#stxReliable.sweep(now),
    (now) => this.sys.tick(now),
    (now) => this.notifier.tick(now),
    (now) => this.transports.sweep(now),
    (now) => this.lists.tick(now),
  ];

  #onBatch(all: Inbound[]): void {
    this.stats.received += all.length;
    if (this.#runner.threads === 0) {
      // Inline (the measured default on small machines): the reader straight on each datagram.
      for (const dg of all) {
        try {
          const r = readDatagram(dg.data, this.#readOpts);
          this.#dispatch(r.read, r.pidf, sourceOf(dg));
        } catch (err) {
          // Never crash on input: log it with what identifies the message.
          this.log.error({ err: (err as Error).stack, peer: `${dg.address}:${dg.port}` }, 'request handler failed');
        }
      }
      return;
    }
    for (let i = 0; i < all.length; i += MAX_BATCH) this.#readInPool(all.length <= MAX_BATCH ? all : all.slice(i, i + MAX_BATCH));
  }

  #readInPool(batch: Inbound[]): void {
    this.#runner.read(batch).then(
      (results) => {
        for (let i = 0; i < results.length; i++) {
          const dg = batch[i]!;
          try {
            this.#dispatch(results[i]!.read, results[i]!.pidf, sourceOf(dg));
          } catch (err) {
            this.log.error({ err: (err as Error).stack, peer: `${dg.address}:${dg.port}` }, 'request handler failed');
          }
        }
      },
      // The pool is saturated: the datagrams are dropped unanswered, as a full socket buffer
      // would; UDP clients retransmit (RFC 3261 §17.1.2.2).
      (err: Error) => {
        this.stats.overloaded += batch.length;
        this.log.error({ err: err.message, count: batch.length }, 'parse task failed');
      },
    );
  }

  #dispatch(r: Read, pidf: PidfParseResult | null, source: Destination): void {
    switch (r.t) {
      case 'keepalive':
        return; // CRLF keep-alives (RFC 5626 style pings) are ignored over UDP
      case 'bad':
        this.stats.bad++;
        // Garbage counts against the sender's rate too; over it, it is not even answered.
        if (this.admission.admit(source.address, 0, 0, Date.now()).t !== 'ok') return;
        if (this.#debug) this.log.debug({ peer: `${source.address}:${source.port}`, status: r.status, why: r.reason }, 'malformed message');
        if (!r.drop && r.partial !== null) this.transports.send(writeResponse(r.partial, source, { status: r.status, reason: r.reason }), this.#responseTo(r.partial, source));
        return;
      case 'res':
        this.#onResponse(r.msg);
        return;
      case 'req':
        this.#onRequest(r, pidf, source);
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

  #onRequest(r: Extract<Read, { t: 'req' }>, pidf: PidfParseResult | null, source: Destination): void {
    const msg = r.msg;
    if (msg.method === 'ACK') return; // never answered (RFC 3261 §17.2.1)
    const now = Date.now();
    const table = this.#table(source);
    const tx = table.begin(msg, now);
    if (tx < 0) {
      // A retransmission (RFC 3261 §17.2.2): absorbed while Trying, answered again once
      // Completed (a bounded number of times).
      this.stats.retransmissions++;
      if (tx === COMPLETED) {
        const again = this.#table(source).replay(msg, source);
        if (again !== null) this.transports.send(again, this.#responseTo(msg, source));
      }
      return;
    }
    const verdict = this.admission.admit(source.address, this.#inflight + 1, this.store.pending, now);
    if (verdict.t === 'drop') {
      this.stats.overloaded++;
      table.abandon(tx);
      return;
    }
    this.#inflight++;
    const req = new PendingRequest(this, msg, source, now, pidf, tx);
    if (r.gate !== null) {
      if (r.gate.status === 0) {
        table.abandon(tx);
        this.#inflight--;
        return;
      }
      req.reply({ status: r.gate.status, reason: r.gate.reason, headers: formatHeaderLines(r.gate.headers) });
      return;
    }
    if (verdict.t === 'reject') {
      this.stats.overloaded++;
      req.reply({ status: 503, reason: verdict.reason, headers: `Retry-After: ${verdict.retryAfter}\r\n` });
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
    const buf = this.#table(req.source).complete(req.tx, req.msg, req.source, spec, Date.now());
    this.transports.send(buf, this.#responseTo(req.msg, req.source));
    this.#logAnswer(req.source, spec);
    const ms = metrics.now() - req.t0;
    metrics.request(req.msg.method, spec.status, ms);
    if (this.#debug) this.#logRequest(req.msg, spec.status, ms);
  }

  /** The one debug line per handled request (only built when debug is on). */
  #logRequest(msg: SipMsg, status: number, ms: number): void {
    const target = msg.method === 'REGISTER' ? msg.first(HDR.To) ?? '' : msg.uri;
    this.log.debug({ method: msg.method, aor: aorKey(target), status, ms: +ms.toFixed(2) }, 'request');
  }

  contactFor(source: Destination): string {
    // Behind a balancer every node gives the balancer's address: in-dialog requests go there.
    if (this.cfg.advertise !== '') return `<sip:${this.cfg.advertise}>`;
    return this.transports.contactFor(source);
  }

  /** Where a response to `msg` goes (RFC 3581 §4 over UDP; the same connection on a stream, §18.2.2). */
  #responseTo(msg: SipMsg, source: Destination): Destination {
    return this.transports.responseDestination(responseDestination(msg, source), source);
  }

  /** Completed transactions are kept for Timer J on UDP, not at all on reliable transports (RFC 3261 §17.2.2). */
  #table(source: Destination): ServerTransactionTable {
    return this.transports.reliable(source) ? this.#stxReliable : this.#stx;
  }

  #logAnswer(source: Destination, spec: ResponseSpec): void {
    const status = spec.status;
    if (status >= 500) this.log.warn({ status, reason: spec.reason, peer: `${source.address}:${source.port}` }, 'server error response');
    // The debug line's object is built only when debug is on: a flood of refusals costs no garbage.
    else if (status >= 400 && this.#debug) this.log.debug({ status, reason: spec.reason, peer: `${source.address}:${source.port}` }, 'request refused');
  }
}
