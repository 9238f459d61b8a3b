// The JSON admin API: routes → schema-checked input → AdminModel → JSON. Every route here is
// behind the bearer token (checked by the listener before routing).
//
//   GET    /api/status                                  version, listeners, auth, users, counts
//   GET    /api/registrations?aor=&contact=&limit=&cursor=
//   DELETE /api/registrations/{aor}?contact=URI          one binding, or all of the AoR's
//   GET    /api/presentities?aor=&state=&watchers=N&limit=&cursor=
//   GET    /api/presentities/{aor}                      with the composed PIDF document
//   GET    /api/presentities/{aor}/watchers?limit=&cursor=
//   GET    /api/approvals?limit=&cursor=                watchers waiting for a decision
//   POST   /api/approvals    {presentity, watcher, decision: approve|deny|polite-block}
//   DELETE /api/subscriptions/{id}?reason=deactivated|probation|rejected|timeout|giveup|noresource
//   GET    /api/users        POST /api/users {aor, password, realm?}        DELETE /api/users/{aor}
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AdminError, type AdminModel, type Page } from '../model.js';
import * as S from './schemas.js';
import { parseWith } from './schemas.js';
import { HttpError, decodeCursor, encodeCursor, queryOf, readJsonBody, sendJson } from './respond.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, params: string[]) => Promise<void> | void;
interface Route { method: string; pattern: RegExp; handler: Handler }

function paged<T>(p: Page<T>): { items: T[]; total: number; next: string | null } {
  return { items: p.items, total: p.total, next: encodeCursor(p.next) };
}

function param(raw: string, what: string, schema: typeof S.AorParam | typeof S.SubscriptionParam): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `invalid ${what}: bad percent-encoding`);
  }
  return parseWith(schema, decoded, what);
}

export class AdminApi {
  readonly #model: AdminModel;
  readonly #routes: Route[];

  constructor(model: AdminModel) {
    this.#model = model;
    const m = model;
    const aorRoute = '([^/]+)';
    this.#routes = [
      { method: 'GET', pattern: /^\/api\/status$/, handler: (_q, res, url) => {
        parseWith(S.EmptyQuery, queryOf(url), 'query');
        sendJson(res, 200, { ...m.info(), ready: m.ready(), counts: m.counts() });
      } },
      { method: 'GET', pattern: /^\/api\/registrations$/, handler: (_q, res, url) => {
        const q = parseWith(S.RegistrationsQuery, queryOf(url), 'query');
        sendJson(res, 200, paged(m.registrations({ aor: q.aor, contact: q.contact }, { limit: q.limit, after: decodeCursor(q.cursor) })));
      } },
      { method: 'DELETE', pattern: new RegExp(`^/api/registrations/${aorRoute}$`), handler: async (_q, res, url, p) => {
        const aor = param(p[0]!, 'AoR', S.AorParam);
        const q = parseWith(S.BindingQuery, queryOf(url), 'query');
        sendJson(res, 200, { removed: await m.removeBindings(aor, q.contact) });
      } },
      { method: 'GET', pattern: /^\/api\/presentities$/, handler: (_q, res, url) => {
        const q = parseWith(S.PresentitiesQuery, queryOf(url), 'query');
        const page = paged(m.presentities({ aor: q.aor, state: q.state }, { limit: q.limit, after: decodeCursor(q.cursor) }));
        if (q.watchers === 0) return sendJson(res, 200, page);
        const items = page.items.map((it) => ({ ...it, watcherList: m.watchers(it.aor, { limit: q.watchers }).items }));
        sendJson(res, 200, { ...page, items });
      } },
      { method: 'GET', pattern: new RegExp(`^/api/presentities/${aorRoute}$`), handler: (_q, res, url, p) => {
        const aor = param(p[0]!, 'AoR', S.AorParam);
        parseWith(S.EmptyQuery, queryOf(url), 'query');
        const view = m.presentity(aor);
        if (view === null) throw new HttpError(404, 'no such presentity');
        sendJson(res, 200, view);
      } },
      { method: 'GET', pattern: new RegExp(`^/api/presentities/${aorRoute}/watchers$`), handler: (_q, res, url, p) => {
        const aor = param(p[0]!, 'AoR', S.AorParam);
        const q = parseWith(S.PageOnlyQuery, queryOf(url), 'query');
        sendJson(res, 200, paged(m.watchers(aor, { limit: q.limit, after: decodeCursor(q.cursor) })));
      } },
      { method: 'GET', pattern: /^\/api\/approvals$/, handler: (_q, res, url) => {
        const q = parseWith(S.PageOnlyQuery, queryOf(url), 'query');
        sendJson(res, 200, paged(m.pendingApprovals({ limit: q.limit, after: decodeCursor(q.cursor) })));
      } },
      { method: 'POST', pattern: /^\/api\/approvals$/, handler: async (req, res) => {
        const b = parseWith(S.ApprovalBody, await readJsonBody(req), 'body');
        m.decide(b.presentity, b.watcher, b.decision);
        sendJson(res, 200, { presentity: b.presentity, watcher: b.watcher, decision: b.decision });
      } },
      { method: 'DELETE', pattern: /^\/api\/subscriptions\/([^/]+)$/, handler: (_q, res, url, p) => {
        const id = param(p[0]!, 'subscription id', S.SubscriptionParam);
        const q = parseWith(S.EndQuery, queryOf(url), 'query');
        m.endSubscription(id, q.reason);
        sendJson(res, 200, { ended: id, reason: q.reason });
      } },
      { method: 'GET', pattern: /^\/api\/users$/, handler: (_q, res, url) => {
        parseWith(S.EmptyQuery, queryOf(url), 'query');
        sendJson(res, 200, { items: m.listUsers() });
      } },
      { method: 'POST', pattern: /^\/api\/users$/, handler: async (req, res) => {
        const b = parseWith(S.UserBody, await readJsonBody(req), 'body');
        const r = m.addUser(b.aor, b.password, b.realm);
        sendJson(res, r.created ? 201 : 200, r);
      } },
      { method: 'DELETE', pattern: new RegExp(`^/api/users/${aorRoute}$`), handler: (_q, res, _u, p) => {
        const aor = param(p[0]!, 'AoR', S.AorParam).replace(/^sips?:/, '');
        if (!m.removeUser(aor)) throw new HttpError(404, 'no such user');
        sendJson(res, 200, { removed: aor });
      } },
    ];
  }

  /** Answers an /api request; false when no route has that path (the caller answers 404). */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    let allowed: string[] = [];
    for (const r of this.#routes) {
      const match = r.pattern.exec(url.pathname);
      if (match === null) continue;
      if (r.method !== req.method) {
        allowed.push(r.method);
        continue;
      }
      if (!this.#model.ready() && r.method !== 'GET') throw new HttpError(503, 'starting: the store is being restored', { 'retry-after': '1' });
      try {
        await r.handler(req, res, url, match.slice(1));
      } catch (e) {
        if (e instanceof AdminError) throw new HttpError(e.status, e.message);
        throw e;
      }
      return true;
    }
    if (allowed.length > 0) {
      allowed = [...new Set(allowed)];
      throw new HttpError(405, 'method not allowed', { allow: allowed.join(', ') });
    }
    return false;
  }
}
