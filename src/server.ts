// Composition of the running server: UDP transport → parse tasks (pool or inline) → server
// transactions → method handlers → actors → fdb store; NOTIFYs back out through client
// transactions. Also owns the timers and the restore at start.
import { getHeader, getHeaderValues } from './codec/sip/headers.js';
import { parseVia } from './codec/sip/via.js';
import { parseNameAddr } from './codec/sip/name-addr.js';
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
import { handleRegister } from './core/register.js';
import { handlePublish, expirePublication, PIDF_TYPE } from './core/publish.js';
import { handleSubscribe, type WatcherDecision } from './core/subscribe.js';
import { ALLOW_HEADER } from './errors.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { PRODUCT } from './version.js';

const SUPPORTED: string[] = [];

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
  #timer: NodeJS.Timeout | null = null;
  #inflight = 0;
  authorize: (presentity: string, watcher: string) => WatcherDecision = () => 'allow';

  constructor(cfg: Readonly<Config>, log: Logger) {
    this.cfg = cfg;
    this.log = log;
    const now = Date.now();
    this.#store = FdbStore.open(cfg.data);
    this.sys = new ActorSystem(this.#store, cfg.domain, log, now);
    this.transport = new UdpTransport(cfg.host, cfg.port, log, (batch) => this.#onBatch(batch));
    this.#ctx = new ClientTransactions((buf, dest) => this.transport.send(buf, dest), now);
    this.#runner = createRunner(cfg.workers, Math.max(64, cfg.workers * cfg.workers * 16));
    this.notifier = new Notifier(this.sys, this.#runner, this.#ctx, this.transport, cfg, log.child({ c: 'notifier' }), PRODUCT);
    this.sys.handlers = {
      publicationExpired: (actor, rec) => expirePublication(this.sys, actor, rec, this.notifier),
      subscriptionExpired: (sub) => this.notifier.terminate(sub, 'timeout'),
    };
  }

  async start(): Promise<void> {
    const restored = await this.#store.restore(Date.now());
    this.sys.load(restored.registrations, restored.publications, restored.subscriptions);
    await this.transport.start();
    this.#timer = setInterval(() => this.#tick(), 50);
    this.log.info(
      {
        host: this.cfg.host, port: this.transport.port, workers: this.cfg.workers, data: this.cfg.data,
        restored: { registrations: restored.registrations.size, publications: restored.publications.length, subscriptions: restored.subscriptions.length, dropped: restored.dropped },
      },
      'listening',
    );
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.transport.close();
    this.#ctx.clear();
    await this.#runner.close();
    await this.#store.close();
  }

  #tick(): void {
    const now = Date.now();
    this.#ctx.tick(now);
    this.#stx.sweep(now);
    this.sys.tick(now);
  }

  #onBatch(batch: Datagram[]): void {
    this.stats.received += batch.length;
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
      (err: Error) => this.log.error({ err: err.message, count: batch.length }, 'parse task failed'),
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
        this.log.debug({ peer: `${source.address}:${source.port}`, status: rec.failure.status, why: rec.failure.reason }, 'malformed message');
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
    const cseq = getHeader(msg, 'CSeq') ?? '';
    if (!/\bNOTIFY\s*$/i.test(cseq)) return;
    const top = getHeaderValues(msg, 'Via')[0];
    const via = top === undefined ? null : parseVia(top);
    const branch = via?.params.get('branch');
    if (branch === undefined || branch === null) return;
    const ra = getHeader(msg, 'Retry-After');
    this.#ctx.onResponse(branch, status, ra === undefined ? null : Number.parseInt(ra, 10) || null);
  }

  /** §17.2.3 transaction key: branch + sent-by + method; RFC 2543 fallback without the cookie. */
  #txKey(req: SipRequest): string {
    const top = getHeaderValues(req, 'Via')[0] ?? '';
    const via = parseVia(top);
    const branch = via?.params.get('branch') ?? '';
    const method = req.method === 'ACK' ? 'INVITE' : req.method;
    if (branch.startsWith('z9hG4bK') && branch.length > 7) return `${branch}\n${via!.host}:${via!.port ?? ''}\n${method}`;
    const fromTag = parseNameAddr(getHeader(req, 'From') ?? '')?.params.get('tag') ?? '';
    return `2543\n${req.uri}\n${fromTag}\n${getHeader(req, 'Call-ID')}\n${getHeader(req, 'CSeq')}\n${top}`;
  }

  #onRequest(req: SipRequest, rec: Extract<ParsedRecord, { t: 'req' }>, source: Destination): void {
    if (req.method === 'ACK') return; // never answered (RFC 3261 §17.2.1)
    const key = this.#txKey(req);
    const found = this.#stx.begin(key);
    if (found.state !== 'new') {
      this.stats.retransmissions++;
      if (found.state === 'completed') this.transport.send(found.response, found.dest);
      return;
    }
    let answered = false;
    this.#inflight++;
    const ctx: RequestContext = {
      req,
      pidf: rec.pidf,
      source,
      now: Date.now(),
      reply: (status, opts = {}) => {
        if (answered) return;
        answered = true;
        this.#inflight--;
        this.#sendResponse(req, source, status, key, opts);
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
    if (this.#inflight > this.cfg.maxPending) {
      this.stats.overloaded++;
      ctx.reply(503, { headers: [{ name: 'Retry-After', value: '5' }] });
      return;
    }
    switch (req.method) {
      case 'REGISTER':
        return handleRegister(ctx, this.sys, this.cfg);
      case 'PUBLISH':
        return handlePublish(ctx, this.sys, this.cfg, this.notifier);
      case 'SUBSCRIBE':
        return handleSubscribe(ctx, {
          sys: this.sys, notifier: this.notifier, cfg: this.cfg,
          contactFor: (c) => this.contactFor(c.source),
          authorize: (p, w) => this.authorize(p, w),
        });
      case 'OPTIONS':
        return ctx.reply(200, {
          headers: [
            { name: 'Allow', value: ALLOW_HEADER },
            { name: 'Accept', value: PIDF_TYPE },
            { name: 'Allow-Events', value: 'presence' },
          ],
        });
      default:
        return ctx.reply(405, { headers: [{ name: 'Allow', value: ALLOW_HEADER }] });
    }
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
    else if (status >= 400) this.log.debug({ status, reason: opts.reason, peer: `${source.address}:${source.port}` }, 'request refused');
  }
}
