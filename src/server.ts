// Composition of the running server: transports (src/transport/transports.ts: UDP, TCP, TLS,
// WS, WSS) → the request pipeline (src/request-pipeline.ts: parse inline or in the worker pool,
// server transactions, admission) → authentication and method handlers (src/core/dispatch.ts) →
// actors (src/actors/) → the store, one commit per turn; NOTIFYs back out through the notifier
// and client transactions. Also owns the timers, the restore at start and the reload of users
// and rules (SIGHUP or a file change).
import { warmUpInSlices, type WarmUp } from './core/warm-up.js';
import { ActorSystem } from './actors/system.js';
import { Notifier } from './actors/notifier.js';
import type { Store } from './store/store.js';
import { Transports } from './transport/transports.js';
import type { Cluster } from './cluster/cluster.js';
import type { Destination } from './transport/destination.js';
import { FlowSubscriptions } from './actors/flow-subscriptions.js';
import { ClientTransactions } from './transaction/client-transactions.js';
import { createRunner, type TaskRunner } from './workers/pool.js';
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
import { buildRegistry } from './packages/registry.js';
import { ListsFile } from './packages/lists/list-file.js';
import { ListActors } from './packages/lists/list-host.js';
import { listSubscribeHook } from './packages/lists/list-subscribe.js';
import { RequestPipeline, type ServerStats } from './request-pipeline.js';
import { openLocalStore, openStore, type OpenedStore } from './server-store.js';

export { MAX_BATCH, type ServerStats } from './request-pipeline.js';

/** Option tags a Require may name (RFC 3261 §8.2.2.3): resource lists (RFC 4662, RFC 5367). */
const SUPPORTED: string[] = ['eventlist', 'recipient-list-subscribe'];

export class Server {
  readonly cfg: Readonly<Config>;
  readonly log: Logger;
  readonly stats: ServerStats;
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
  #warmUp: WarmUp | null = null;
  readonly #readOpts: { maxSize: number; supported: readonly string[] };
  readonly #ctx: ClientTransactions;
  readonly #runner: TaskRunner;
  readonly #pipeline: RequestPipeline;
  readonly #stats: StatsReporter;
  #timer: NodeJS.Timeout | null = null;
  #usersWatch: { close(): void } | null = null;
  #listsWatch: { close(): void } | null = null;
  /** Watcher authorization (RFC 3856 §5): the rules file; tests may replace it. */
  authorize: (presentity: string, watcher: string) => WatcherDecision;

  /** A server on the store its configuration names (a Redis store needs this async open). */
  static async open(cfg: Readonly<Config>, log: Logger): Promise<Server> {
    return new Server(cfg, log, await openStore(cfg, log));
  }

  /**
   * `store`: a store of the caller's (tests), or one opened by openStore(); without it, the
   * local fdb store under --data (a Redis store is opened with Server.open()).
   */
  constructor(cfg: Readonly<Config>, log: Logger, store?: Store | OpenedStore) {
    this.cfg = cfg;
    this.log = log;
    const now = Date.now();
    const readOpts = { maxSize: cfg.maxMessageSize, supported: SUPPORTED };
    this.#readOpts = readOpts;
    if (store === undefined && cfg.store !== 'fdb') throw new Error('a Redis store is opened with Server.open()');
    const opened: OpenedStore = store === undefined ? openLocalStore(cfg) : 'join' in store ? store : { store, join: null };
    this.store = opened.store;
    this.transports = new Transports(cfg, log, (batch) => this.#pipeline.onBatch(batch));
    this.#ctx = new ClientTransactions((buf, dest) => this.transports.send(buf, dest), now, cfg.timerT1);
    this.#runner = createRunner(cfg.workers, Math.max(64, cfg.workers * cfg.workers * 16), readOpts);
    this.notifier = new Notifier(this.#ctx, this.transports, cfg, log.child({ c: 'notifier' }), PRODUCT);
    const packages = buildRegistry({ dialog: { single: cfg.dialogSingle, dummy: cfg.dialogDummy } });
    this.sys = new ActorSystem(this.store, log, { ...cfg, packages }, this.notifier, sameUri, now);
    // A closed connection ends the dialogs whose NOTIFYs went on it (actors/flow-subscriptions.ts).
    this.flowSubs = new FlowSubscriptions(this.sys);
    this.transports.onFlowClosed = (flow) => this.flowSubs.closed(flow.id);
    if (opened.join !== null) this.cluster = opened.join(this.sys);
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
    this.#pipeline = new RequestPipeline({
      log, store: this.store, transports: this.transports, admission: this.admission, ctx: this.#ctx, runner: this.#runner, readOpts,
      router: {
        sys: this.sys, cfg, auth: this.auth, log,
        contactFor: (r) => this.contactFor(r.source),
        authorize: (p, w) => this.authorize(p, w),
        bindFlow: (source, tag) => this.flowSubs.bind(source, tag),
        lists: listSubscribeHook(this.sys, this.lists, cfg),
      },
    });
    this.stats = this.#pipeline.stats;
    this.#stats = new StatsReporter(log, {
      counters: () => ({
        ...this.stats,
        notifies: this.notifier.counters.sent,
        inFlight: this.#pipeline.inFlight,
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
    return this.#pipeline.inFlight;
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
    // Nothing is answered before the restore is complete (a restored dialog is never a 481).
    const restored = await this.store.restore(Date.now(), this.sys.restoreSink());
    await this.cluster?.start();
    // UDP is bound first and answers at once; TCP, TLS and WebSocket follow (ws is loaded then).
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
    (now) => this.#pipeline.sweep(now),
    (now) => this.sys.tick(now),
    (now) => this.notifier.tick(now),
    (now) => this.transports.sweep(now),
    (now) => this.lists.tick(now),
  ];

  contactFor(source: Destination): string {
    // Behind a balancer every node gives the balancer's address: in-dialog requests go there.
    if (this.cfg.advertise !== '') return `<sip:${this.cfg.advertise}>`;
    return this.transports.contactFor(source);
  }
}
