// The HTTP admin listener (node:http, off the SIP path: its own socket, default 127.0.0.1).
//
//   GET /healthz              open: 200 while the process serves
//   GET /readyz               open: 200 once the store is restored, 503 before
//   GET / , /board, its .js/.css and /vendor/uPlot.*   open: the board's files, no data in them
//   GET /metrics              token: Prometheus text (prom-client)
//   GET /api/events           token: the board's live feed (Server-Sent Events)
//   /api/…                    token: the JSON API (src/admin/http/api.ts)
//
// Anything else without a valid token is 401 with the same body whatever the path, so an
// unauthenticated client learns nothing, not even which paths exist.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../log.js';
import { metrics } from '../../metrics/metrics.js';
import type { AdminModel } from '../model.js';
import type { AdminApi } from './api.js';
import { LiveFeed } from './feed.js';
import { COMMON_HEADERS, HttpError, sendError, sendJson } from './respond.js';
import { bearerMatcher } from './token.js';
import { BOARD_CSP, loadStaticFiles, type StaticFile } from './static-files.js';

export interface AdminServerOptions {
  host: string;
  port: number;
  token: string;
  model: AdminModel;
  log: Logger;
}

const UNAUTHORIZED_HEADERS = { 'www-authenticate': 'Bearer realm="comsipl"' };

export class AdminServer {
  readonly #opts: AdminServerOptions;
  readonly #http: HttpServer;
  /** The JSON API, loaded on its first request: the listener (/healthz, /readyz) starts without zod. */
  #api: Promise<AdminApi> | null = null;
  readonly #feed: LiveFeed;
  readonly #authorized: (header: string | undefined) => boolean;
  readonly #files: Map<string, StaticFile>;
  readonly #debug: boolean;

  constructor(opts: AdminServerOptions) {
    this.#opts = opts;
    this.#feed = new LiveFeed(opts.model);
    this.#authorized = bearerMatcher(opts.token);
    this.#files = loadStaticFiles();
    this.#debug = opts.log.isLevelEnabled('debug');
    this.#http = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => void this.#handle(req, res));
    this.#http.maxHeadersCount = 64;
  }

  /** Listens; resolves to the URL (the real port when 0 was asked). Rejects with the OS error. */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.#http.once('error', onError);
      this.#http.listen(this.#opts.port, this.#opts.host, () => {
        this.#http.off('error', onError);
        this.#http.on('error', (e) => this.#opts.log.error({ err: e.message }, 'admin listener error'));
        resolve(this.url);
      });
    });
  }

  get url(): string {
    const a = this.#http.address() as AddressInfo;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  async close(): Promise<void> {
    this.#feed.close();
    this.#http.closeAllConnections();
    await new Promise<void>((r) => this.#http.close(() => r()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = this.#debug ? performance.now() : 0;
    try {
      await this.#route(req, res);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
      } else if (e instanceof HttpError) {
        sendError(res, e.status, e.message, e.headers);
      } else {
        this.#opts.log.error({ err: (e as Error).stack, path: req.url }, 'admin request failed');
        sendError(res, 500, 'internal error');
      }
    }
    if (this.#debug) this.#opts.log.debug({ method: req.method, path: req.url, status: res.statusCode, ms: +(performance.now() - started).toFixed(1) }, 'admin request');
  }

  #loadApi(): Promise<AdminApi> {
    this.#api ??= import('./api.js').then((m) => new m.AdminApi(this.#opts.model));
    return this.#api;
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://admin.invalid');
    } catch {
      throw new HttpError(400, 'bad request target');
    }
    const path = url.pathname;
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    if (isRead && path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (isRead && path === '/readyz') {
      const ready = this.#opts.model.ready();
      return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'starting' });
    }
    if (isRead && path === '/') {
      res.writeHead(302, { ...COMMON_HEADERS, location: '/board' });
      return void res.end();
    }
    const file = isRead ? this.#files.get(path) : undefined;
    if (file !== undefined) {
      res.writeHead(200, { ...COMMON_HEADERS, 'cache-control': 'no-cache', 'content-type': file.type, 'content-length': file.body.length, 'content-security-policy': BOARD_CSP, 'x-frame-options': 'DENY' });
      return void res.end(req.method === 'HEAD' ? undefined : file.body);
    }
    if (!this.#authorized(req.headers.authorization)) return sendError(res, 401, 'unauthorized', UNAUTHORIZED_HEADERS);
    if (path === '/metrics') {
      if (!isRead) throw new HttpError(405, 'method not allowed', { allow: 'GET' });
      const text = await metrics.render();
      res.writeHead(200, { ...COMMON_HEADERS, 'content-type': metrics.contentType });
      return void res.end(text);
    }
    if (path === '/api/events') {
      if (req.method !== 'GET') throw new HttpError(405, 'method not allowed', { allow: 'GET' });
      if (!this.#feed.open(res)) throw new HttpError(503, 'too many live feeds open', { 'retry-after': '5' });
      return;
    }
    if (path.startsWith('/api/') && (await (await this.#loadApi()).handle(req, res, url))) return;
    throw new HttpError(404, 'not found');
  }
}
