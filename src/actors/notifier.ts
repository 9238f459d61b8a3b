// Carries out the NOTIFYs presentity actors decide on (RFC 6665 §4.2.2, RFC 3856): renders each
// one from its dialog's record, sends it in a client transaction, and reports the outcome back
// to the owning actor as a message. It keeps no dialog state of its own beyond two brakes:
//  - --max-notifies bounds the NOTIFYs rendered or awaiting their transaction; dialogs beyond it
//    wait in a FIFO backlog (one entry per dialog: an actor never asks twice while one is open);
//  - --notify-min-interval (RFC 3856 §6.10) holds a dialog's state NOTIFYs: the actor asks
//    `hold`, and is woken here when the interval ends.
// Bodies are composed once per presentity version and shared by all its watchers in a turn.
import { isIP } from 'node:net';
import { parseUri } from '../codec/sip/uri.js';
import { renderNotify } from '../codec/sip/notify.js';
import { closedPidf, composePidf } from '../codec/pidf/compose.js';
import { WATCHERINFO_CONTENT_TYPE } from '../codec/winfo/render.js';
import { watcherInfoBody } from '../core/winfo-body.js';
import { randomToken } from '../core/random.js';
import type { ClientTransactions } from '../transaction/client-transactions.js';
import type { Destination } from '../transport/destination.js';
import type { Logger } from '../log.js';
import type { NotifySink, PresentityActor } from './presentity-actor.js';
import { WITHHELD, type Sub } from './subscription.js';

const PIDF_TYPE = 'application/pidf+xml';
/** Hard cap on dialogs waiting for a NOTIFY slot. */
const BACKLOG_CAP = 2_000_000;

export interface LocalAddress {
  readonly port: number;
  localAddress(family: 4 | 6, peer: string): string;
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
  owner: PresentityActor;
}

/** Where a NOTIFY goes: the first route, else the remote target, else the SUBSCRIBE's source. */
export function notifyDestination(r: Sub): Destination {
  const first = r.routes[0];
  let target = r.target;
  if (first !== undefined) {
    const lt = first.indexOf('<');
    const gt = first.indexOf('>', lt + 1);
    target = lt >= 0 && gt > lt ? first.slice(lt + 1, gt) : first;
  }
  const uri = parseUri(target);
  const host = uri === null ? '' : uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
  const fam = isIP(host);
  if (uri === null || fam === 0) {
    // FIXME(RFC 3263): no DNS resolution of host names; use the flow the SUBSCRIBE came on.
    const sp = r.source.lastIndexOf(' ');
    const address = r.source.slice(0, sp);
    return { address, port: Number(r.source.slice(sp + 1)), family: isIP(address) === 6 ? 6 : 4 };
  }
  return { address: host, port: uri.port ?? 5060, family: fam === 6 ? 6 : 4 };
}

export class Notifier implements NotifySink {
  readonly counters: NotifyCounters = { sent: 0, deferred: 0, failed: 0 };
  readonly #tx: ClientTransactions;
  readonly #local: LocalAddress;
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
  readonly #held = new Map<Sub, { owner: PresentityActor; until: number }>();
  /** When each recently notified dialog may get its next state NOTIFY (only with an interval). */
  readonly #next = new Map<Sub, number>();
  readonly #intervalMs: number;

  constructor(tx: ClientTransactions, local: LocalAddress, cfg: NotifierConfig, log: Logger, ua: string) {
    this.#tx = tx;
    this.#local = local;
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

  send(sub: Sub, owner: PresentityActor): void {
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

  paced(sub: Sub, owner: PresentityActor, nowMs: number): boolean {
    const next = this.#next.get(sub);
    if (next === undefined || next <= nowMs) return false;
    this.#held.set(sub, { owner, until: next });
    return true;
  }

  delay(sub: Sub, owner: PresentityActor, untilMs: number): void {
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
    const bodies = new Map<PresentityActor, { version: number; entity: string; body: Buffer }>();
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

  #sendOne(job: Job, now: number, bodies: Map<PresentityActor, { version: number; entity: string; body: Buffer }>): void {
    const { sub, owner } = job;
    const r = sub;
    const dest = notifyDestination(sub);
    const host = this.#local.localAddress(dest.family, dest.address);
    const local = `${dest.family === 6 ? `[${host}]` : host}:${this.#local.port}`;
    let body: Buffer | null = null;
    let type: string | null = PIDF_TYPE;
    if (r.event === 'presence.winfo') {
      // RFC 3858 §4: version 0 in the first NOTIFY, +1 per NOTIFY (CSeqs start at 1).
      type = WATCHERINFO_CONTENT_TYPE;
      body = Buffer.from(watcherInfoBody(owner, r.entity, sub.cseq - 1, now), 'utf8');
    } else if (!r.pending && (sub.flags & WITHHELD) === 0) {
      if (r.polite) body = Buffer.from(closedPidf(r.entity), 'utf8');
      else {
        const version = owner.state.version;
        let cached = bodies.get(owner);
        if (cached === undefined || cached.version !== version || cached.entity !== r.entity) {
          const pubs = owner.live(now);
          cached = { version, entity: r.entity, body: Buffer.from(pubs.length === 0 ? closedPidf(r.entity) : composePidf(r.entity, pubs), 'utf8') };
          bodies.set(owner, cached);
        }
        body = cached.body;
      }
    }
    if (this.#intervalMs > 0 && !sub.ending) this.#next.set(sub, now + this.#intervalMs);
    const branch = `z9hG4bK${randomToken(10)}`;
    const contact = this.#cfg.advertise ? this.#cfg.advertise : undefined;
    const buf = renderNotify(r, { local, contact, transport: 'UDP', branch, cseq: sub.cseq, state: sub.stateHeader(now), userAgent: this.#ua, contentType: type, body });
    this.#active++;
    this.counters.sent++;
    this.#tx.start(branch, buf, dest, now, (status, retryAfter) => {
      this.#active--;
      owner.tell({ t: 'notified', sub, status, retryAfter });
      if (this.#backlogHead < this.#backlog.length) this.#drain();
    });
  }
}
