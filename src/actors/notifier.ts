// NOTIFY generation (RFC 6665 §4.2.2, RFC 3856): at most one NOTIFY transaction per dialog
// in flight (Kamailio's notifier_processes exist because parallel NOTIFYs reuse CSeqs); a
// change while one is in flight marks the dialog dirty and the newest state goes out when the
// transaction ends. NOTIFYs wanted in one event-loop turn are rendered in one batch, each
// presentity's PIDF composed once for all its watchers.
//
// Two brakes, both coalescing rather than dropping (the newest state is all a watcher needs):
//  - --notify-min-interval (RFC 3856 §6.10: a PA "MAY" throttle NOTIFYs of a subscription): a
//    state change within the interval after the last NOTIFY is held and sent once, at the end of
//    the interval, with the state of that moment. NOTIFYs that answer a SUBSCRIBE or end a
//    subscription are never held (RFC 6665 §4.2.1.2: sent immediately).
//  - --max-notifies bounds the NOTIFYs being rendered or awaiting their transaction; dialogs
//    beyond it wait in a backlog (one entry per dialog, so it is bounded by the subscriptions,
//    and hard-capped) and go out as transactions finish.
import { isIP } from 'node:net';
import { parseUri } from '../codec/sip/uri.js';
import type { BodySpec, NotifySpec } from '../codec/wire/packr.js';
import type { TaskRunner } from '../workers/pool.js';
import type { ClientTransactions } from '../transaction/client-transactions.js';
import type { Destination } from '../transaction/server-transactions.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { ActorSystem, Subscription } from './system.js';
import type { PresentityActor } from './presentity-actor.js';
import { randomToken } from '../core/context.js';
import { closedPidf } from '../codec/pidf/compose.js';
import { WATCHERINFO_CONTENT_TYPE } from '../codec/winfo/render.js';
import { watcherInfoBody } from '../core/winfo-body.js';
import { metrics } from '../metrics/metrics.js';

/** Hard cap on dialogs waiting for a NOTIFY slot; past it a change is only marked dirty. */
const BACKLOG_CAP = 1_000_000;

export interface LocalAddress {
  readonly port: number;
  localAddress(family: 4 | 6, peer: string): string;
}

interface Wanted { sub: Subscription; dest: Destination }

function hostForUri(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** Where a NOTIFY goes: the first route, else the remote target, else the SUBSCRIBE's source. */
export function notifyDestination(sub: Subscription): Destination {
  const first = sub.rec.routeSet[0];
  const target = first !== undefined ? first.replace(/^[^<]*<([^>]*)>.*$/, '$1') : sub.rec.remoteTarget;
  const uri = parseUri(target);
  const host = uri === null ? '' : uri.host.replace(/^\[|\]$/g, '');
  const fam = isIP(host);
  if (uri === null || fam === 0) {
    // FIXME(RFC 3263): no DNS resolution of host names; use the flow the SUBSCRIBE came on.
    return { address: sub.rec.source.address, port: sub.rec.source.port, family: isIP(sub.rec.source.address) === 6 ? 6 : 4 };
  }
  return { address: host, port: uri.port ?? 5060, family: fam === 6 ? 6 : 4 };
}

export class Notifier {
  readonly #sys: ActorSystem;
  readonly #runner: TaskRunner;
  readonly #tx: ClientTransactions;
  readonly #local: LocalAddress;
  readonly #cfg: Readonly<Config>;
  readonly #log: Logger;
  readonly #ua: string;
  #wanted: Wanted[] = [];
  #scheduled = false;
  /** NOTIFYs rendered/sent whose transaction has not ended. */
  #active = 0;
  /** Dialogs waiting for a slot under --max-notifies (insertion order = FIFO). */
  readonly #backlog = new Set<Subscription>();
  /** Dialogs whose state change is held by --notify-min-interval. */
  readonly #held = new Set<Subscription>();
  sent = 0;
  deferred = 0;

  constructor(sys: ActorSystem, runner: TaskRunner, tx: ClientTransactions, local: LocalAddress, cfg: Readonly<Config>, log: Logger, ua: string) {
    this.#sys = sys;
    this.#runner = runner;
    this.#tx = tx;
    this.#local = local;
    this.#cfg = cfg;
    this.#log = log;
    this.#ua = ua;
  }

  /** NOTIFYs rendering or awaiting their transaction's end. */
  get inFlight(): number {
    return this.#active;
  }

  /** NOTIFYs waiting for a slot (backlog) or held by the minimum interval. */
  get waiting(): number {
    return this.#backlog.size + this.#held.size;
  }

  presenceChanged(actor: PresentityActor): void {
    for (const id of actor.watchers) {
      const sub = this.#sys.subscriptions.get(id);
      if (sub !== undefined) this.notify(sub, false);
    }
  }

  /** The watcher list of `actor` changed: tell its presence.winfo subscribers (RFC 3857 §5.4). */
  watchersChanged(actor: PresentityActor): void {
    for (const id of actor.winfo) {
      const sub = this.#sys.subscriptions.get(id);
      if (sub !== undefined) this.notify(sub);
    }
  }

  /**
   * Queues a NOTIFY with the current state, or marks the dialog dirty if one is in flight.
   * `urgent` (the default) skips the minimum interval: answers to SUBSCRIBE, final NOTIFYs.
   */
  notify(sub: Subscription, urgent = true): void {
    if (sub.ended) return;
    if (sub.inFlight) {
      metrics.notify('coalesced');
      sub.dirty = true;
      return;
    }
    if (!urgent && sub.ending === null && (sub.holdUntil ?? 0) > Date.now()) {
      metrics.notify('coalesced');
      sub.dirty = true;
      this.#held.add(sub);
      return;
    }
    this.#held.delete(sub);
    if (this.#active + this.#wanted.length >= this.#cfg.maxNotifies) {
      sub.dirty = true;
      if (this.#backlog.size < BACKLOG_CAP) this.#backlog.add(sub);
      this.deferred++;
      return;
    }
    sub.inFlight = true;
    sub.dirty = false;
    this.#wanted.push({ sub, dest: notifyDestination(sub) });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  /** Ends a subscription with a final NOTIFY (`terminated;reason=…`). */
  terminate(sub: Subscription, reason: string): void {
    if (sub.ending !== null) return;
    sub.ending = reason;
    // A watcher that never saw the state (pending) or is rejected gets none in its last NOTIFY.
    if (sub.rec.state === 'pending' || reason === 'rejected') sub.withheld = true;
    sub.rec.state = 'terminated';
    this.notify(sub);
    this.#watcherListChanged(sub);
  }

  /** A new presence subscription was accepted: NOTIFY it, and tell the winfo subscribers. */
  started(sub: Subscription): void {
    this.notify(sub);
    this.#watcherListChanged(sub);
  }

  /** Releases held NOTIFYs whose interval ran out; called from the server's tick. */
  tick(now: number): void {
    if (this.#backlog.size > 0) this.#drain();
    for (const sub of this.#held) {
      if ((sub.holdUntil ?? 0) > now) continue;
      this.#held.delete(sub);
      if (sub.dirty && !sub.inFlight) this.notify(sub);
    }
  }

  /** A NOTIFY slot freed up: start the oldest waiting dialogs. */
  #drain(): void {
    for (const sub of this.#backlog) {
      if (this.#active + this.#wanted.length >= this.#cfg.maxNotifies) return;
      this.#backlog.delete(sub);
      if (sub.dirty && !sub.inFlight) this.notify(sub);
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const wanted = this.#wanted;
    this.#wanted = [];
    const now = Date.now();
    const bodies: BodySpec[] = [];
    const bodyIndex = new Map<string, number>();
    const notifies: NotifySpec[] = [];
    const live: Wanted[] = [];
    for (const w of wanted) {
      const { sub } = w;
      if (sub.ended) continue;
      const r = sub.rec;
      let body = -1;
      const cseq = this.#sys.nextCseq(sub);
      const winfo = r.event === 'presence.winfo';
      if (winfo) {
        // RFC 3858 §4: version 0 in the first NOTIFY, +1 per NOTIFY; CSeqs start at 1 and grow
        // by one, so cseq - 1 is that count (after a restart it jumps, and the full-state
        // document tells the subscriber to resynchronise, §4).
        body = bodies.length;
        bodies.push({ kind: 'text', text: watcherInfoBody(this.#sys, r.aor, r.entity, cseq - 1, now) });
      } else if (r.state !== 'pending' && sub.withheld !== true) {
        const actor = this.#sys.presentities.get(r.aor);
        const polite = r.polite || actor === undefined;
        const key = polite ? `c\n${r.entity}` : `p\n${r.aor}\n${actor!.version}\n${r.entity}`;
        let idx = bodyIndex.get(key);
        if (idx === undefined) {
          idx = bodies.length;
          bodies.push(polite ? { kind: 'text', text: closedPidf(r.entity) } : { kind: 'pidf', entity: r.entity, pubs: actor!.live(now) });
          bodyIndex.set(key, idx);
        }
        body = idx;
      }
      const remaining = Math.max(0, Math.round((r.expiresAt - now) / 1000));
      const state = sub.ending !== null ? `terminated;reason=${sub.ending}` : `${r.state};expires=${remaining}`;
      const localHost = hostForUri(this.#local.localAddress(w.dest.family, w.dest.address));
      notifies.push({
        uri: r.remoteTarget,
        viaHost: localHost,
        viaPort: this.#local.port,
        branch: `z9hG4bK${randomToken(10)}`,
        routes: r.routeSet,
        from: `${r.localUri};tag=${r.localTag}`,
        to: `${r.remoteUri};tag=${r.remoteTag}`,
        callId: r.callId,
        cseq,
        contact: `<sip:${localHost}:${this.#local.port}>`,
        event: r.eventId === null ? r.event : `${r.event};id=${r.eventId}`,
        state,
        contentType: winfo ? WATCHERINFO_CONTENT_TYPE : 'application/pidf+xml',
        userAgent: this.#ua,
        body,
      });
      if (this.#cfg.notifyMinInterval > 0) sub.holdUntil = now + this.#cfg.notifyMinInterval * 1000;
      live.push(w);
    }
    if (notifies.length === 0) return;
    this.#active += live.length;
    this.#runner.render({ bodies, notifies }).then(
      (bufs) => {
        const t = Date.now();
        for (let i = 0; i < bufs.length; i++) {
          const w = live[i]!;
          this.sent++;
          metrics.notify('sent');
          this.#tx.start(notifies[i]!.branch, bufs[i]!, w.dest, t, (status, retryAfter) => this.#outcome(w.sub, status, retryAfter));
        }
      },
      (err: Error) => {
        // The pool refused (queue at its bound) or a render threw: keep the dialogs dirty so
        // the next change or tick retries, rather than losing their state.
        this.#log.error({ err: err.message, count: notifies.length }, 'NOTIFY render failed');
        this.#active -= live.length;
        for (const w of live) {
          w.sub.inFlight = false;
          w.sub.dirty = true;
          this.#held.add(w.sub);
        }
      },
    );
  }

  /** The NOTIFY transaction ended (RFC 6665 §4.2.2; policy for 408 as Kamailio's timeout_rm_subs). */
  #outcome(sub: Subscription, status: number, retryAfter: number | null): void {
    sub.inFlight = false;
    this.#active--;
    if (status >= 300) metrics.notify('failed');
    if (this.#backlog.size > 0) this.#drain();
    if (sub.ended) return;
    if (sub.ending !== null && sub.rec.state === 'terminated' && !sub.dirty) {
      this.#sys.removeSubscription(sub);
      return;
    }
    let end = false;
    if (status >= 200 && status < 300) end = false;
    else if (status === 408) end = this.#cfg.notifyTimeout === 'end';
    else if (status === 481 || status === 404 || status === 410) end = true;
    else if (status >= 300) end = retryAfter === null;
    if (end) {
      this.#log.debug({ sub: sub.rec.id, status }, 'subscription ended by NOTIFY response');
      this.#sys.removeSubscription(sub);
      this.#watcherListChanged(sub);
      return;
    }
    if (sub.dirty) this.notify(sub, sub.ending !== null);
  }

  /** A presence subscription came, changed state or went: its presentity's winfo view changed. */
  #watcherListChanged(sub: Subscription): void {
    if (sub.rec.event !== 'presence') return;
    const actor = this.#sys.presentities.get(sub.rec.aor);
    if (actor !== undefined && actor.hasWinfo) this.watchersChanged(actor);
  }
}
