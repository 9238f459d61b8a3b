// NOTIFY generation (RFC 6665 §4.2.2, RFC 3856): at most one NOTIFY transaction per dialog
// in flight (Kamailio's notifier_processes exist because parallel NOTIFYs reuse CSeqs); a
// change while one is in flight marks the dialog dirty and the newest state goes out when the
// transaction ends. NOTIFYs wanted in one event-loop turn are rendered in one batch, each
// presentity's PIDF composed once for all its watchers.
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
  sent = 0;

  constructor(sys: ActorSystem, runner: TaskRunner, tx: ClientTransactions, local: LocalAddress, cfg: Readonly<Config>, log: Logger, ua: string) {
    this.#sys = sys;
    this.#runner = runner;
    this.#tx = tx;
    this.#local = local;
    this.#cfg = cfg;
    this.#log = log;
    this.#ua = ua;
  }

  presenceChanged(actor: PresentityActor): void {
    for (const id of actor.watchers) {
      const sub = this.#sys.subscriptions.get(id);
      if (sub !== undefined) this.notify(sub);
    }
  }

  /** Queues a NOTIFY with the current state, or marks the dialog dirty if one is in flight. */
  notify(sub: Subscription): void {
    if (sub.ended) return;
    if (sub.inFlight) {
      sub.dirty = true;
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
    sub.rec.state = 'terminated';
    this.notify(sub);
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
      if (r.state !== 'pending') {
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
        cseq: this.#sys.nextCseq(sub),
        contact: `<sip:${localHost}:${this.#local.port}>`,
        event: r.eventId === null ? r.event : `${r.event};id=${r.eventId}`,
        state,
        contentType: 'application/pidf+xml',
        userAgent: this.#ua,
        body,
      });
      live.push(w);
    }
    if (notifies.length === 0) return;
    this.#runner.render({ bodies, notifies }).then(
      (bufs) => {
        const t = Date.now();
        for (let i = 0; i < bufs.length; i++) {
          const w = live[i]!;
          this.sent++;
          this.#tx.start(notifies[i]!.branch, bufs[i]!, w.dest, t, (status, retryAfter) => this.#outcome(w.sub, status, retryAfter));
        }
      },
      (err: Error) => {
        this.#log.error({ err: err.message, count: notifies.length }, 'NOTIFY render failed');
        for (const w of live) w.sub.inFlight = false;
      },
    );
  }

  /** The NOTIFY transaction ended (RFC 6665 §4.2.2; policy for 408 as Kamailio's timeout_rm_subs). */
  #outcome(sub: Subscription, status: number, retryAfter: number | null): void {
    sub.inFlight = false;
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
      return;
    }
    if (sub.dirty) this.notify(sub);
  }
}
