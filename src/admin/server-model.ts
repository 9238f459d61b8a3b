// AdminModel over today's Server: the ONE file that reads the server's internals for the
// admin listener. Reads are read-only walks of the ActorSystem's maps; actions use the paths
// the server already has (the rules file + policy reload, notifier.terminate, setBindings,
// the users file + reload). When the core changes, this adapter is what gets rewritten.
//
// Change feed: today's core has no event bus, so the adapter wraps five public methods on the
// live instances (setBindings, addSubscription, removeSubscription, presenceChanged,
// policy.reapply). Each wrapper calls the original first and emits only while a board is
// connected; the subscription counts per event package (a metrics gauge) are kept here too.
import type { Server } from '../server.js';
import type { Subscription } from '../actors/system.js';
import type { PresentityActor } from '../actors/presentity-actor.js';
import type { PidfElement } from '../codec/pidf/types.js';
import { composePidf } from '../codec/pidf/compose.js';
import { parseUri, uriEquals } from '../codec/sip/uri.js';
import { aorKey, isWildcardKey } from '../policy/aor.js';
import { WatcherRules, RulesFileError, type SettableDecision } from '../policy/watcher-rules.js';
import { VERSION } from '../version.js';
import { pageKeys, mapPage } from './paging.js';
import { presenceStateOf, noteOf } from './presence-state.js';
import { addUserIn, countUsersIn, listUsersIn, removeUserIn } from './users.js';
import {
  AdminError, type AdminModel, type ApprovalDecision, type ChangeEvent, type Counts, type EndReason, type Page, type PageRequest,
  type PendingApproval, type PresentityFilter, type PresentitySummary, type PresentityView, type RegistrationFilter,
  type RegistrationView, type ServerInfo, type UserView, type WatcherView,
} from './model.js';

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
  readonly #byEvent = new Map<string, number>();
  #ready = false;

  constructor(server: Server) {
    this.#srv = server;
    for (const sub of server.sys.subscriptions.values()) this.#count(sub, 1);
    this.#tap();
  }

  /** main calls this once the store is restored and SIP is served. */
  markReady(): void {
    this.#ready = true;
  }

  ready(): boolean {
    return this.#ready;
  }

  info(): ServerInfo {
    const cfg = this.#srv.cfg;
    const port = this.#srv.transport.port;
    const sip: ServerInfo['sip'] = [{ transport: 'udp', host: cfg.host, port }];
    if (cfg.host === '0.0.0.0') sip.push({ transport: 'udp', host: '::', port });
    return { version: VERSION, startedAt: this.#startedAt.toISOString(), sip, auth: cfg.auth === 'on' ? 'on' : 'off', users: this.#userCount(), data: cfg.data };
  }

  #userCount(): number {
    return this.#srv.auth !== null ? this.#srv.auth.userCount : countUsersIn(this.#srv.cfg.users);
  }

  counts(): Counts {
    const { sys, stats, notifier } = this.#srv;
    const byEvent: Counts['subscriptionsByEvent'] = [];
    for (const [event, count] of this.#byEvent) byEvent.push({ event, transport: 'udp', count });
    return {
      registrations: sys.registrations.size, presentities: sys.presentities.size, subscriptions: sys.subscriptions.size,
      subscriptionsByEvent: byEvent, pendingRequests: this.#srv.inFlight, storeQueue: sys.pendingWrites,
      notifyBacklog: notifier.waiting, notifyInFlight: notifier.inFlight,
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
      (filter.contact === undefined || (regs.get(k) ?? []).some((b) => b.uri.includes(filter.contact!)));
    return mapPage(pageKeys(regs.keys(), accept, page), (aor) => {
      const bindings = this.#srv.sys.bindingsOf(aor, now);
      return {
        aor,
        bindings: bindings.map((b) => ({ contact: b.contact, uri: b.uri, expiresIn: secondsLeft(b.expiresAt, now), q: b.q, instance: b.instance, callId: b.callId, transport: 'udp' as const })),
      };
    });
  }

  #elements(actor: PresentityActor, now: number): { elements: PidfElement[]; live: ReturnType<PresentityActor['live']> } {
    const live = actor.live(now);
    const elements: PidfElement[] = [];
    for (const p of live) for (const e of p.doc.elements) elements.push(e);
    return { elements, live };
  }

  #summary(actor: PresentityActor, now: number): PresentitySummary {
    const { elements, live } = this.#elements(actor, now);
    let pending = 0;
    for (const id of actor.watchers) if (this.#srv.sys.subscriptions.get(id)?.rec.state === 'pending') pending++;
    return { aor: actor.aor, state: presenceStateOf(elements, live.length > 0), note: noteOf(elements), publications: live.length, watchers: actor.watchers.size, pending };
  }

  presentities(filter: PresentityFilter, page: PageRequest): Page<PresentitySummary> {
    const actors = this.#srv.sys.presentities;
    const now = Date.now();
    const accept = (k: string): boolean => {
      if (filter.aor !== undefined && !k.includes(filter.aor)) return false;
      if (filter.state === undefined) return true;
      const a = actors.get(k)!;
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
    if (actor === undefined) return null;
    const now = Date.now();
    const live = actor.live(now);
    return {
      ...this.#summary(actor, now),
      pidf: composePidf(actor.aor, live),
      publicationList: live.map((p) => ({ etag: p.etag, expiresIn: secondsLeft(actor.pubs.get(p.etag)!.expiresAt, now), modified: new Date(p.modified).toISOString() })),
    };
  }

  #watcherView(sub: Subscription, now: number): WatcherView {
    const r = sub.rec;
    return {
      id: r.id, presentity: r.aor, watcher: r.watcherAor, event: r.event, state: r.state, politeBlocked: r.polite,
      expiresIn: secondsLeft(r.expiresAt, now), transport: 'udp', target: r.remoteTarget,
    };
  }

  watchers(presentity: string, page: PageRequest): Page<WatcherView> {
    const sys = this.#srv.sys;
    const key = this.#resolve(sys.presentities, presentity);
    const actor = key === null ? undefined : sys.presentities.get(key);
    if (actor === undefined) return { items: [], total: 0, next: null };
    const now = Date.now();
    const keys: string[] = [];
    for (const set of [actor.watchers, actor.hasWinfo ? actor.winfo : null]) {
      for (const id of set ?? []) {
        const sub = sys.subscriptions.get(id);
        if (sub !== undefined && !sub.ended) keys.push(`${sub.rec.watcherAor}${SEP}${id}`);
      }
    }
    return mapPage(pageKeys(keys, () => true, page), (k) => {
      const sub = sys.subscriptions.get(k.slice(k.lastIndexOf(SEP) + 1));
      return sub === undefined ? null : this.#watcherView(sub, now);
    });
  }

  pendingApprovals(page: PageRequest): Page<PendingApproval> {
    const subs = this.#srv.sys.subscriptions;
    const keys: string[] = [];
    for (const sub of subs.values()) {
      const r = sub.rec;
      if (r.event === 'presence' && r.state === 'pending' && sub.ending === null && !sub.ended) keys.push(`${r.aor}${SEP}${r.watcherAor}${SEP}${r.id}`);
    }
    const now = Date.now();
    return mapPage(pageKeys(keys, () => true, page), (k) => {
      const sub = subs.get(k.slice(k.lastIndexOf(SEP) + 1));
      return sub === undefined ? null : { id: sub.rec.id, presentity: sub.rec.aor, watcher: sub.rec.watcherAor, expiresIn: secondsLeft(sub.rec.expiresAt, now) };
    });
  }

  // ---- actions ---------------------------------------------------------------------------

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
  }

  endSubscription(id: string, reason: EndReason): void {
    const sub = this.#srv.sys.subscriptions.get(id);
    if (sub === undefined || sub.ended) throw new AdminError(404, 'no such subscription');
    if (sub.ending !== null) throw new AdminError(409, 'the subscription is already ending');
    sub.winfoEvent = reason === 'probation' ? 'deactivated' : reason;
    this.#srv.notifier.terminate(sub, reason);
    if (this.#listeners.size > 0) this.#emit(this.#watcherEvent(sub, 'terminated'));
  }

  async removeBindings(aor: string, contact?: string): Promise<number> {
    const sys = this.#srv.sys;
    const key = this.#resolve(sys.registrations, aor);
    if (key === null) throw new AdminError(404, 'no registration for that AoR');
    const now = Date.now();
    const current = sys.bindingsOf(key, now);
    let keep: typeof current = [];
    if (contact !== undefined) {
      const want = parseUri(contact);
      keep = current.filter((b) => {
        const u = parseUri(b.uri);
        return !(b.uri === contact || (want !== null && u !== null && uriEquals(u, want)));
      });
      if (keep.length === current.length) throw new AdminError(404, 'no such binding');
    }
    await sys.setBindings(key, keep, now);
    return current.length - keep.length;
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
    return () => this.#listeners.delete(listener);
  }

  #emit(e: ChangeEvent): void {
    for (const l of this.#listeners) l(e);
  }

  #count(sub: Subscription, by: 1 | -1): void {
    const n = (this.#byEvent.get(sub.rec.event) ?? 0) + by;
    if (n <= 0) this.#byEvent.delete(sub.rec.event);
    else this.#byEvent.set(sub.rec.event, n);
  }

  #watcherEvent(sub: Subscription, state: WatcherView['state'] | 'gone'): ChangeEvent {
    const r = sub.rec;
    return { kind: 'watcher', id: r.id, presentity: r.aor, watcher: r.watcherAor, event: r.event, state };
  }

  #tap(): void {
    const { sys, notifier, policy } = this.#srv;
    const setBindings = sys.setBindings.bind(sys);
    sys.setBindings = (aor, bindings, now) => {
      const p = setBindings(aor, bindings, now);
      if (this.#listeners.size > 0) p.then(() => this.#emit({ kind: 'registration', aor, bindings: bindings.length }), () => {});
      return p;
    };
    const add = sys.addSubscription.bind(sys);
    sys.addSubscription = (sub) => {
      add(sub);
      this.#count(sub, 1);
      if (this.#listeners.size > 0) this.#emit(this.#watcherEvent(sub, sub.rec.state));
    };
    const remove = sys.removeSubscription.bind(sys);
    sys.removeSubscription = (sub) => {
      const held = sys.subscriptions.get(sub.rec.id) === sub;
      remove(sub);
      if (!held) return;
      this.#count(sub, -1);
      if (this.#listeners.size > 0) this.#emit(this.#watcherEvent(sub, 'gone'));
    };
    const changed = notifier.presenceChanged.bind(notifier);
    notifier.presenceChanged = (actor) => {
      changed(actor);
      if (this.#listeners.size === 0) return;
      const s = this.#summary(actor, Date.now());
      this.#emit({ kind: 'presence', aor: actor.aor, state: s.state, note: s.note });
    };
    const reapply = policy.reapply.bind(policy);
    policy.reapply = () => {
      const n = reapply();
      if (this.#listeners.size > 0) this.#emit({ kind: 'rules' });
      return n;
    };
  }
}
