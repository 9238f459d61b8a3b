// Carries out the NOTIFYs presentity actors decide on (RFC 6665 §4.2.2, RFC 3856): renders each
// one from its dialog's record, sends it in a client transaction, and reports the outcome back
// to the owning actor as a message. It keeps no dialog state of its own beyond two brakes:
//  - --max-notifies bounds the NOTIFYs rendered or awaiting their transaction; dialogs beyond it
//    wait in a FIFO backlog (one entry per dialog: an actor never asks twice while one is open);
//  - --notify-min-interval (RFC 3856 §6.10) holds a dialog's state NOTIFYs: the actor asks
//    `hold`, and is woken here when the interval ends.
// Bodies are composed once per presentity version and shared by all its watchers in a turn.
import { isIP } from 'node:net';
import { renderNotify } from '../codec/sip/notify.js';
import { randomToken } from '../core/random.js';
import type { ClientTransactions } from '../transaction/client-transactions.js';
import { isReliable, parseSource, type Destination } from '../transport/destination.js';
import type { Logger } from '../log.js';
import { metrics } from '../metrics/metrics.js';
import type { NotifyOwner, NotifySink } from './presentity-actor.js';
import type { Sub } from './subscription.js';

/** Hard cap on dialogs waiting for a NOTIFY slot. */
const BACKLOG_CAP = 2_000_000;

/** What the notifier asks of the transports (src/transport/transports.ts). */
export interface NotifyTransports {
  /** Our `host:port` for the Via and Contact of a request to `dest`. */
  sentBy(dest: Destination): string;
  /** The Via transport token for `dest`. */
  via(dest: Destination): string;
  /** RFC 3261 §18.1.1: another destination for a request of `size` bytes, or null. */
  largeRequest(dest: Destination, size: number, what: Record<string, unknown>): Destination | null;
}

export interface NotifierConfig {
  maxNotifies: number;
  /** Shortest time between two state NOTIFYs of one dialog, seconds (0 = none). */
  notifyMinInterval: number;
  /** `host:port` for our Contact (the balancer in front of several nodes); '' = our own. */
  advertise?: string;
}

export interface NotifyCounters {
  sent: number;
  deferred: number;
  failed: number;
}

interface Job {
  sub: Sub;
  owner: NotifyOwner;
}

/**
 * Host and port of a SIP URI without a full parse (this runs per NOTIFY): `sip:u@h:p;params`,
 * `sips:h`, `<sip:[v6]:p;lr>`. null when it is not that shape.
 */
export function hostPort(uri: string): { host: string; port: number | null } | null {
  let s = uri.indexOf('<');
  s = s < 0 ? 0 : s + 1;
  const colon = uri.indexOf(':', s);
  if (colon < 0) return null;
  const scheme = uri.slice(s, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') return null;
  let end = uri.length;
  for (const stop of [';', '?', '>']) {
    const k = uri.indexOf(stop, colon + 1);
    if (k >= 0 && k < end) end = k;
  }
  const at = uri.lastIndexOf('@', end);
  const h = at > colon ? at + 1 : colon + 1;
  let host: string;
  let rest: number;
  if (uri.charCodeAt(h) === 0x5b) {
    const close = uri.indexOf(']', h);
    if (close < 0 || close > end) return null;
    host = uri.slice(h + 1, close);
    rest = close + 1;
  } else {
    const c = uri.indexOf(':', h);
    rest = c >= 0 && c < end ? c : end;
    host = uri.slice(h, rest);
  }
  if (rest >= end || uri.charCodeAt(rest) !== 0x3a) return { host, port: null };
  const port = Number(uri.slice(rest + 1, end));
  return Number.isInteger(port) && port > 0 && port < 65536 ? { host, port } : null;
}

const TRANSPORT_TCP = /;\s*transport\s*=\s*tcp\b/i;

/**
 * Where a NOTIFY goes. A dialog whose SUBSCRIBE came over a connection (TCP, TLS, WS, WSS) is
 * notified on that very flow, whatever its Contact names (SIP.js sends
 * `…@xxxx.invalid;transport=ws`; a browser cannot be called back, RFC 7118 §5). Otherwise the
 * first route, else the remote target, when it names an IP address (over TCP when it says
 * `transport=tcp`); else the address the SUBSCRIBE came from.
 */
export function notifyDestination(r: Sub): Destination {
  const source = parseSource(r.source);
  if (isReliable(source)) return source;
  const target = r.routes.length > 0 ? r.routes[0]! : r.target;
  const hp = hostPort(target);
  const fam = hp === null ? 0 : isIP(hp.host);
  // FIXME(RFC 3263): no DNS resolution of host names; use the flow the SUBSCRIBE came on.
  if (hp === null || fam === 0) return source;
  const dest: Destination = { address: hp.host, port: hp.port ?? 5060, family: fam === 6 ? 6 : 4 };
  // TCP is the one connection we may open ourselves (TLS would need a certificate to check).
  if (TRANSPORT_TCP.test(target)) {
    dest.transport = 'tcp';
    dest.flow = 0;
  }
  return dest;
}

export class Notifier implements NotifySink {
  readonly counters: NotifyCounters = { sent: 0, deferred: 0, failed: 0 };
  readonly #tx: ClientTransactions;
  readonly #net: NotifyTransports;
  readonly #cfg: NotifierConfig;
  readonly #log: Logger;
  readonly #ua: string;
  #jobs: Job[] = [];
  #scheduled = false;
  /** NOTIFYs rendered and awaiting their transaction's end. */
  #active = 0;
  readonly #backlog: Job[] = [];
  #backlogHead = 0;
  /** Dialogs waiting for their interval to end: when, and whom to tell. */
  readonly #held = new Map<Sub, { owner: NotifyOwner; until: number }>();
  /** When each recently notified dialog may get its next state NOTIFY (only with an interval). */
  readonly #next = new Map<Sub, number>();
  readonly #intervalMs: number;
  /** RFC 3261 §18.1.1: large NOTIFYs prefer a stream (set by the transports layer). */

  constructor(tx: ClientTransactions, net: NotifyTransports, cfg: NotifierConfig, log: Logger, ua: string) {
    this.#tx = tx;
    this.#net = net;
    this.#cfg = cfg;
    this.#log = log;
    this.#ua = ua;
    this.#intervalMs = cfg.notifyMinInterval * 1000;
  }

  /** Dialogs waiting for a slot or held by the minimum interval. */
  get waiting(): number {
    return this.#backlog.length - this.#backlogHead + this.#held.size;
  }

  get active(): number {
    return this.#active;
  }

  send(sub: Sub, owner: NotifyOwner): void {
    if (this.#active + this.#jobs.length >= this.#cfg.maxNotifies) {
      if (this.#backlog.length - this.#backlogHead < BACKLOG_CAP) this.#backlog.push({ sub, owner });
      this.counters.deferred++;
      return;
    }
    this.#jobs.push({ sub, owner });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  paced(sub: Sub, owner: NotifyOwner, nowMs: number): boolean {
    const next = this.#next.get(sub);
    if (next === undefined || next <= nowMs) return false;
    this.#held.set(sub, { owner, until: next });
    return true;
  }

  delay(sub: Sub, owner: NotifyOwner, untilMs: number): void {
    this.#held.set(sub, { owner, until: untilMs });
  }

  /** Wakes held dialogs whose time came; called from the server's tick. */
  tick(now: number): void {
    for (const [sub, h] of this.#held) {
      if (h.until > now) continue;
      this.#held.delete(sub);
      h.owner.released(sub);
    }
    if (this.#next.size > 0) for (const [sub, t] of this.#next) if (t <= now) this.#next.delete(sub);
    this.#drain();
  }

  #drain(): void {
    while (this.#backlogHead < this.#backlog.length && this.#active + this.#jobs.length < this.#cfg.maxNotifies) {
      const job = this.#backlog[this.#backlogHead++]!;
      this.#jobs.push(job);
    }
    if (this.#backlogHead > 4096 && this.#backlogHead * 2 > this.#backlog.length) {
      this.#backlog.splice(0, this.#backlogHead);
      this.#backlogHead = 0;
    }
    if (this.#jobs.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const jobs = this.#jobs;
    this.#jobs = [];
    const now = Date.now();
    // Bodies shared by the NOTIFYs of this turn (a presentity's composed document per version).
    const bodies = new Map<object, unknown>();
    for (const job of jobs) {
      try {
        this.#sendOne(job, now, bodies);
      } catch (e) {
        // A render bug costs this NOTIFY (reported as a failure), never the others.
        this.counters.failed++;
        this.#log.error({ err: (e as Error).stack, sub: job.sub.tag }, 'NOTIFY render failed');
        job.owner.tell({ t: 'notified', sub: job.sub, status: 500, retryAfter: 1 });
      }
    }
  };

  #sendOne(job: Job, now: number, bodies: Map<object, unknown>): void {
    const { sub, owner } = job;
    const r = sub;
    let dest = notifyDestination(sub);
    // The package of the dialog (or the list) makes the body from its owner's state.
    const { type, body, extra, event } = owner.content(sub, now, bodies);
    if (this.#intervalMs > 0 && !sub.ending) this.#next.set(sub, now + this.#intervalMs);
    const branch = `z9hG4bK${randomToken(10)}`;
    const state = sub.stateHeader(now);
    // A package may name its Event token differently (liblinphone's `Presence`, lists).
    const dialog = event === undefined ? r : { target: r.target, routes: r.routes, localUri: r.localUri, tag: r.tag, remoteUri: r.remoteUri, remoteTag: r.remoteTag, callId: r.callId, event, eventId: r.eventId };
    // Behind a balancer every node names the balancer in its Contact (--advertise).
    const contact = this.#cfg.advertise ? this.#cfg.advertise : undefined;
    const render = (d: Destination): Buffer =>
      renderNotify(dialog, { local: this.#net.sentBy(d), contact, transport: this.#net.via(d), branch, cseq: sub.cseq, state, userAgent: this.#ua, contentType: type, body, ...(extra === undefined ? {} : { extra }) });
    let buf = render(dest);
    // RFC 3261 §18.1.1: over 1,300 bytes, TCP when the watcher can take it (the Via follows).
    const other = this.#net.largeRequest(dest, buf.length, { sub: sub.tag, aor: sub.aor });
    if (other !== null) {
      dest = other;
      buf = render(dest);
    }
    this.#active++;
    this.counters.sent++;
    metrics.notify('sent');
    this.#tx.start(branch, buf, dest, now, (status, retryAfter) => {
      this.#active--;
      if (status >= 300) metrics.notify('failed');
      owner.tell({ t: 'notified', sub, status, retryAfter });
      if (this.#backlogHead < this.#backlog.length) this.#drain();
    });
  }
}
