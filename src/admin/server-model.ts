// AdminModel over the running Server: the ONE file that reads the server's internals for the
// admin listener. Reads are read-only walks of the actor registries; actions are messages to
// the actors that own the state (end a dialog, remove bindings) or the paths the server already
// has (the rules file + policy reload, the users file + reload). The change feed comes from the
// core's observer hook, called after each commit.
import type { Server } from '../server.js';
import type { PresentityActor, CoreObserver } from '../actors/presentity-actor.js';
import type { Sub } from '../actors/subscription.js';
import type { PidfElement, Publication } from '../codec/pidf/types.js';
import { composePidf } from '../codec/pidf/compose.js';
import { aorKey, isWildcardKey } from '../policy/aor.js';
import { WatcherRules, RulesFileError, type SettableDecision } from '../policy/watcher-rules.js';
import { VERSION } from '../version.js';
import { pageKeys, mapPage } from './paging.js';
import { presenceStateOf, noteOf } from './presence-state.js';
import { addUserIn, countUsersIn, listUsersIn, removeUserIn } from './users.js';
import {
  AdminError, type AdminModel, type ApprovalDecision, type ChangeEvent, type Counts, type EndReason, type Page, type PageRequest,
  type PendingApproval, type PresentityFilter, type PresentitySummary, type PresentityView, type RegistrationFilter,
  type RegistrationView, type ServerInfo, type Transport, type UserView, type WatcherView,
} from './model.js';
import { TRANSPORTS } from '../transport/destination.js';

const DECISIONS: Readonly<Record<ApprovalDecision, SettableDecision>> = { approve: 'allow', deny: 'block', 'polite-block': 'polite-block' };
const SEP = '\u0000';

function secondsLeft(at: number, now: number): number {
  return Math.max(0, Math.round((at - now) / 1000));
}

/** 'alice@example.com' or 'sip:alice@example.com' → user@host with both parts, or null. */
function checkedKey(aor: string): string | null {
  const k = aorKey(aor);
  const at = k.lastIndexOf('@');
  return at > 0 && at < k.length - 1 && !/\s/.test(k) ? k : null;
}

export class ServerModel implements AdminModel {
  readonly #srv: Server;
  readonly #startedAt = new Date();
  readonly #listeners = new Set<(e: ChangeEvent) => void>();
  #ready = false;

  constructor(server: Server) {
    this.#srv = server;
  }

  /** start() calls this once the store is restored and SIP is served. */
  markReady(): void {
    this.#ready = true;
  }

  ready(): boolean {
    return this.#ready;
  }

  info(): ServerInfo {
    const cfg = this.#srv.cfg;
    const sip: ServerInfo['sip'] = [];
    for (const [transport, port] of Object.entries(this.#srv.transports.ports) as [Transport, number][]) {
      sip.push({ transport, host: cfg.host, port });
      if (cfg.host === '0.0.0.0') sip.push({ transport, host: '::', port });
    }
    return { version: VERSION, startedAt: this.#startedAt.toISOString(), sip, auth: cfg.auth === 'on' ? 'on' : 'off', users: this.#userCount(), data: cfg.data };
  }

  #userCount(): number {
    return this.#srv.auth !== null ? this.#srv.auth.userCount : countUsersIn(this.#srv.cfg.users);
  }

  counts(): Counts {
    const { sys, stats, notifier, store } = this.#srv;
    const byEvent: Counts['subscriptionsByEvent'] = [];
    for (const [event, perTransport] of sys.subscriptionsByEvent) {
      perTransport.forEach((c, i) => {
        if (c.n > 0) byEvent.push({ event, transport: TRANSPORTS[i]!, count: c.n });
      });
    }
    return {
      registrations: sys.registrations.size, presentities: sys.presentities.size, subscriptions: sys.subscriptions,
      subscriptionsByEvent: byEvent, pendingRequests: this.#srv.inFlight, storeQueue: store.pending,
      notifyBacklog: notifier.waiting, notifyInFlight: notifier.active,
      received: stats.received, malformed: stats.bad, retransmissions: stats.retransmissions, overloaded: stats.overloaded,
    };
  }

  // ---- reads -----------------------------------------------------------------------------

  /** The key a map holds for this AoR: exact 'sip:' form first, else the same user@host. */
  #resolve(map: ReadonlyMap<string, unknown>, aor: string): string | null {
    const direct = /^[a-z]+:/i.test(aor) ? aor : `sip:${aor}`;
    if (map.has(direct)) return direct;
    const want = checkedKey(aor);
    if (want === null) return null;
    for (const k of map.keys()) if (aorKey(k) === want) return k;
    return null;
  }

  registrations(filter: RegistrationFilter, page: PageRequest): Page<RegistrationView> {
    const regs = this.#srv.sys.registrations;
    const now = Date.now();
    const accept = (k: string): boolean =>
      (filter.aor === undefined || k.includes(filter.aor)) &&
      (filter.contact === undefined || (regs.get(k)?.bindings ?? []).some((b) => b.uri.includes(filter.contact!)));
    return mapPage(pageKeys(regs.keys(), accept, page), (aor) => {
      const bindings = regs.get(aor)?.live(now) ?? [];
      return {
        aor,
        bindings: bindings.map((b) => ({ contact: b.contact, uri: b.uri, expiresIn: secondsLeft(b.expiresAt, now), q: b.q, instance: b.instance, callId: b.callId, transport: 'udp' as const })),
      };
    });
  }

  #elements(actor: PresentityActor, now: number): { elements: PidfElement[]; live: ReturnType<PresentityActor['live']> } {
    const live = actor.live(now);
    const elements: PidfElement[] = [];
    for (const p of live) if ('elements' in p.doc) for (const e of p.doc.elements) elements.push(e);
    return { elements, live };
  }

  #summary(actor: PresentityActor, now: number): PresentitySummary {
    const { elements, live } = this.#elements(actor, now);
    let pending = 0;
    let watchers = 0;
    for (const sub of actor.watchers()) {
      if (sub.ending) continue;
      watchers++;
      if (sub.pending) pending++;
    }
    return { aor: actor.aor, state: presenceStateOf(elements, live.length > 0), note: noteOf(elements), publications: live.length, watchers, pending };
  }

  presentities(filter: PresentityFilter, page: PageRequest): Page<PresentitySummary> {
    const actors = this.#srv.sys.presentities;
    const now = Date.now();
    const accept = (k: string): boolean => {
      const a = actors.get(k);
      // Presence presentities only (the dialog package's actors share the registry).
      if (a === undefined || a.pkg !== 'presence') return false;
      if (filter.aor !== undefined && !k.includes(filter.aor)) return false;
      if (filter.state === undefined) return true;
      const { elements, live } = this.#elements(a, now);
      return presenceStateOf(elements, live.length > 0) === filter.state;
    };
    return mapPage(pageKeys(actors.keys(), accept, page), (k) => {
      const a = actors.get(k);
      return a === undefined ? null : this.#summary(a, now);
    });
  }

  presentity(aor: string): PresentityView | null {
    const key = this.#resolve(this.#srv.sys.presentities, aor);
    const actor = key === null ? undefined : this.#srv.sys.presentities.get(key);
    if (actor === undefined || actor.pkg !== 'presence') return null;
    const now = Date.now();
    const live = actor.live(now);
    const pidf = live.filter((p): p is Publication => 'elements' in p.doc);
    return {
      ...this.#summary(actor, now),
      pidf: composePidf(actor.aor, pidf),
      publicationList: live.map((p) => ({ etag: p.etag, expiresIn: secondsLeft(actor.state.pubs!.get(p.etag)!.rec.expiresAt, now), modified: new Date(p.modified).toISOString() })),
    };
  }

  #watcherView(sub: Sub, now: number): WatcherView {
    return {
      id: sub.tag, presentity: sub.aor, watcher: sub.watcherAor, event: sub.event, state: sub.ending ? 'terminated' : sub.state, politeBlocked: sub.polite,
      expiresIn: secondsLeft(sub.expiresAt, now), transport: TRANSPORTS[sub.transport]!, target: sub.target,
    };
  }

  watchers(presentity: string, page: PageRequest): Page<WatcherView> {
    const sys = this.#srv.sys;
    const key = this.#resolve(sys.presentities, presentity);
    const actor = key === null ? undefined : sys.presentities.get(key);
    if (actor === undefined) return { items: [], total: 0, next: null };
    const now = Date.now();
    const keys: string[] = [];
    for (const sub of actor.state.subs()) if (!sub.ending) keys.push(`${sub.watcherAor}${SEP}${sub.tag}`);
    return mapPage(pageKeys(keys, () => true, page), (k) => {
      const sub = sys.directory.get(k.slice(k.lastIndexOf(SEP) + 1));
      return sub === undefined ? null : this.#watcherView(sub, now);
    });
  }

  pendingApprovals(page: PageRequest): Page<PendingApproval> {
    const sys = this.#srv.sys;
    const keys: string[] = [];
    for (const actor of sys.presentities.values()) {
      for (const sub of actor.watchers()) if (sub.pending && !sub.ending) keys.push(`${sub.aor}${SEP}${sub.watcherAor}${SEP}${sub.tag}`);
    }
    const now = Date.now();
    return mapPage(pageKeys(keys, () => true, page), (k) => {
      const sub = sys.directory.get(k.slice(k.lastIndexOf(SEP) + 1));
      return sub === undefined ? null : { id: sub.tag, presentity: sub.aor, watcher: sub.watcherAor, expiresIn: secondsLeft(sub.expiresAt, now) };
    });
  }

  // ---- actions (messages to the owning actors) -------------------------------------------

  decide(presentity: string, watcher: string, decision: ApprovalDecision): void {
    const p = checkedKey(presentity);
    const w = checkedKey(watcher);
    if (p === null || isWildcardKey(p)) throw new AdminError(400, `'${presentity}' is not a presentity AoR`);
    if (w === null) throw new AdminError(400, `'${watcher}' is not a watcher AoR or *@domain`);
    const policy = this.#srv.policy;
    try {
      WatcherRules.load(policy.path).setDecision(p, w, DECISIONS[decision]);
    } catch (e) {
      if (e instanceof RulesFileError) throw new AdminError(409, e.message);
      throw e;
    }
    // What `comsipl rules` + the file watch would do, now rather than after the debounce.
    if (!policy.reload('admin api')) throw new AdminError(409, `the rules file ${policy.path} is broken; the running server keeps its previous rules`);
    if (this.#listeners.size > 0) this.#emit({ kind: 'rules' });
  }

  endSubscription(id: string, reason: EndReason): void {
    const sys = this.#srv.sys;
    const sub = sys.directory.get(id);
    const owner = sys.ownerOf(id);
    if (sub === undefined || owner === undefined) throw new AdminError(404, 'no such subscription');
    if (sub.ending) throw new AdminError(409, 'the subscription is already ending');
    owner.tell({ t: 'end', sub, reason });
  }

  async removeBindings(aor: string, contact?: string): Promise<number> {
    const sys = this.#srv.sys;
    const key = this.#resolve(sys.registrations, aor);
    if (key === null) throw new AdminError(404, 'no registration for that AoR');
    const removed = await new Promise<number>((resolve, reject) => {
      sys.registration(key).tell({ t: 'unbind', uri: contact ?? null, done: (n) => (n instanceof Error ? reject(new AdminError(503, `store: ${n.message}`)) : resolve(n)) });
    });
    if (contact !== undefined && removed === 0) throw new AdminError(404, 'no such binding');
    return removed;
  }

  listUsers(): UserView[] {
    return listUsersIn(this.#srv.cfg.users);
  }

  addUser(aor: string, password: string, realm?: string): { created: boolean; aor: string; realm: string } {
    const r = addUserIn(this.#srv.cfg.users, aor, password, realm);
    this.#srv.reload('admin api');
    return r;
  }

  removeUser(aor: string): boolean {
    const removed = removeUserIn(this.#srv.cfg.users, aor);
    if (removed) this.#srv.reload('admin api');
    return removed;
  }

  // ---- change feed -----------------------------------------------------------------------

  onChange(listener: (e: ChangeEvent) => void): () => void {
    this.#listeners.add(listener);
    // The core calls the observer only while somebody listens: no cost per commit otherwise.
    this.#srv.sys.observer = this.#observer;
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#srv.sys.observer = null;
    };
  }

  #emit(e: ChangeEvent): void {
    for (const l of this.#listeners) l(e);
  }

  readonly #observer: CoreObserver = {
    presence: (actor) => {
      if (actor.pkg !== 'presence') return;
      const s = this.#summary(actor, Date.now());
      this.#emit({ kind: 'presence', aor: actor.aor, state: s.state, note: s.note });
    },
    watcher: (sub, state) => this.#emit({ kind: 'watcher', id: sub.tag, presentity: sub.aor, watcher: sub.watcherAor, event: sub.event, state }),
    registration: (aor, bindings) => this.#emit({ kind: 'registration', aor, bindings }),
  };
}
