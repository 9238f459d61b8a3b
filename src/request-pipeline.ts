// The path of every inbound message, from a batch of datagrams or stream frames to its answer:
// parse (inline or in the worker pool) → server transactions (retransmissions absorbed or
// answered again) → admission → the method handlers (src/core/dispatch.ts); responses to our
// NOTIFYs go to the client transactions. Owns the server transaction tables, the parse runner
// and the in-flight count; the server composes it (src/server.ts).
import { HDR } from './codec/sip/header-ids.js';
import type { SipMsg } from './codec/sip/msg.js';
import type { Read } from './codec/sip/scan.js';
import { writeResponse, formatHeaderLines } from './codec/sip/response-writer.js';
import { responseDestination } from './codec/sip/response-via.js';
import type { PidfParseResult } from './codec/pidf/types.js';
import type { Store } from './store/store.js';
import type { Transports } from './transport/transports.js';
import type { Inbound } from './transport/transport.js';
import type { Destination } from './transport/destination.js';
import { ServerTransactionTable, COMPLETED } from './transaction/server-transactions.js';
import type { ClientTransactions } from './transaction/client-transactions.js';
import type { TaskRunner } from './workers/pool.js';
import { readDatagram } from './workers/tasks.js';
import type { ReadOptions } from './codec/sip/scan.js';
import type { Request } from './core/context.js';
import type { ResponseSpec } from './core/reply.js';
import { refuse } from './core/reply.js';
import { SIP_ERR } from './errors.js';
import { routeRequest, type RouterDeps } from './core/dispatch.js';
import type { Admission } from './overload/admission.js';
import type { Logger } from './log.js';
import { metrics } from './metrics/metrics.js';
import { aorKey } from './policy/aor.js';

/** Datagrams per parse task (libuv reads a few dozen per turn; the cap bounds one task). */
export const MAX_BATCH = 256;

export interface ServerStats {
  received: number;
  bad: number;
  retransmissions: number;
  overloaded: number;
}

export interface PipelineDeps {
  log: Logger;
  store: Store;
  transports: Transports;
  admission: Admission;
  ctx: ClientTransactions;
  runner: TaskRunner;
  readOpts: ReadOptions;
  router: RouterDeps;
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
    readonly pipeline: RequestPipeline,
    readonly msg: SipMsg,
    readonly source: Destination,
    readonly now: number,
    readonly pidf: Request['pidf'],
    readonly tx: number,
  ) {}

  reply(spec: ResponseSpec): void {
    if (this.#answered) return;
    this.#answered = true;
    this.pipeline.answer(this, spec);
  }
}

export class RequestPipeline {
  readonly stats: ServerStats = { received: 0, bad: 0, retransmissions: 0, overloaded: 0 };
  readonly #stx = new ServerTransactionTable();
  readonly #stxReliable = new ServerTransactionTable({ timerJ: 0 });
  readonly #d: PipelineDeps;
  readonly #log: Logger;
  readonly #debug: boolean;
  #inflight = 0;

  constructor(deps: PipelineDeps) {
    this.#d = deps;
    this.#log = deps.log;
    this.#debug = deps.log.isLevelEnabled('debug');
  }

  /** Requests admitted and not yet answered (the --max-pending figure). */
  get inFlight(): number {
    return this.#inflight;
  }

  /** Completed and abandoned server transactions leave their tables (timer step). */
  sweep(now: number): void {
    this.#stx.sweep(now);
    this.#stxReliable.sweep(now);
  }

  onBatch(all: Inbound[]): void {
    this.stats.received += all.length;
    if (this.#d.runner.threads === 0) {
      // Inline (the measured default on small machines): the reader straight on each datagram.
      for (const dg of all) {
        try {
          const r = readDatagram(dg.data, this.#d.readOpts);
          this.#dispatch(r.read, r.pidf, sourceOf(dg));
        } catch (err) {
          // Never crash on input: log it with what identifies the message.
          this.#log.error({ err: (err as Error).stack, peer: `${dg.address}:${dg.port}` }, 'request handler failed');
        }
      }
      return;
    }
    for (let i = 0; i < all.length; i += MAX_BATCH) this.#readInPool(all.length <= MAX_BATCH ? all : all.slice(i, i + MAX_BATCH));
  }

  #readInPool(batch: Inbound[]): void {
    this.#d.runner.read(batch).then(
      (results) => {
        for (let i = 0; i < results.length; i++) {
          const dg = batch[i]!;
          try {
            this.#dispatch(results[i]!.read, results[i]!.pidf, sourceOf(dg));
          } catch (err) {
            this.#log.error({ err: (err as Error).stack, peer: `${dg.address}:${dg.port}` }, 'request handler failed');
          }
        }
      },
      // The pool is saturated: the datagrams are dropped unanswered, as a full socket buffer
      // would; UDP clients retransmit (RFC 3261 §17.1.2.2).
      (err: Error) => {
        this.stats.overloaded += batch.length;
        this.#log.error({ err: err.message, count: batch.length }, 'parse task failed');
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
        if (this.#d.admission.admit(source.address, 0, 0, Date.now()).t !== 'ok') return;
        if (this.#debug) this.#log.debug({ peer: `${source.address}:${source.port}`, status: r.status, why: r.reason }, 'malformed message');
        if (!r.drop && r.partial !== null) this.#d.transports.send(writeResponse(r.partial, source, { status: r.status, reason: r.reason }), this.#responseTo(r.partial, source));
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
    this.#d.ctx.onResponse(branch, msg.status, ra === undefined ? null : Number.parseInt(ra, 10) || null);
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
        if (again !== null) this.#d.transports.send(again, this.#responseTo(msg, source));
      }
      return;
    }
    const verdict = this.#d.admission.admit(source.address, this.#inflight + 1, this.#d.store.pending, now);
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
    if (this.#d.store.available === false && msg.method !== 'OPTIONS') {
      // A shared store that cannot be reached: nothing could be decided or acknowledged.
      req.reply(refuse(SIP_ERR.STORE_UNAVAILABLE));
      return;
    }
    routeRequest(req, this.#d.router);
  }

  /** @internal PendingRequest.reply: the one way a request is answered. */
  answer(req: PendingRequest, spec: ResponseSpec): void {
    this.#inflight--;
    const buf = this.#table(req.source).complete(req.tx, req.msg, req.source, spec, Date.now());
    this.#d.transports.send(buf, this.#responseTo(req.msg, req.source));
    this.#logAnswer(req.source, spec);
    const ms = metrics.now() - req.t0;
    metrics.request(req.msg.method, spec.status, ms);
    if (this.#debug) this.#logRequest(req.msg, spec.status, ms);
  }

  /** The one debug line per handled request (only built when debug is on). */
  #logRequest(msg: SipMsg, status: number, ms: number): void {
    const target = msg.method === 'REGISTER' ? msg.first(HDR.To) ?? '' : msg.uri;
    this.#log.debug({ method: msg.method, aor: aorKey(target), status, ms: +ms.toFixed(2) }, 'request');
  }

  /** Where a response to `msg` goes (RFC 3581 §4 over UDP; the same connection on a stream, §18.2.2). */
  #responseTo(msg: SipMsg, source: Destination): Destination {
    return this.#d.transports.responseDestination(responseDestination(msg, source), source);
  }

  /** Completed transactions are kept for Timer J on UDP, not at all on reliable transports (RFC 3261 §17.2.2). */
  #table(source: Destination): ServerTransactionTable {
    return this.#d.transports.reliable(source) ? this.#stxReliable : this.#stx;
  }

  #logAnswer(source: Destination, spec: ResponseSpec): void {
    const status = spec.status;
    if (status >= 500) this.#log.warn({ status, reason: spec.reason, peer: `${source.address}:${source.port}` }, 'server error response');
    // The debug line's object is built only when debug is on: a flood of refusals costs no garbage.
    else if (status >= 400 && this.#debug) this.#log.debug({ status, reason: spec.reason, peer: `${source.address}:${source.port}` }, 'request refused');
  }
}
