// Starting and stopping everything a `comsipl serve` runs, in order: the data-directory lock,
// the server (store opened), the admin listener (so /healthz and /readyz answer during the
// restore), the restore and SIP listeners (UDP first: it answers while the others come up), then
// the banner. Modules not needed to answer (the Redis client, ws, prom-client, the admin API,
// the XML parser) are loaded when first used. A start that fails says why in one line on stderr
// (nowhere else: it used to come out twice) and leaves nothing running.
import { join } from 'node:path';
import { adminAddress, isLoopback } from '../config/addresses.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { Server } from '../server.js';
import { StoreError } from '../store/fdb-store.js';
import { UsersFileError } from '../auth/users-file.js';
import { RulesFileError } from '../policy/watcher-rules.js';
import { ServerModel } from '../admin/server-model.js';
import { AdminServer } from '../admin/http/admin-server.js';
import { ensureToken } from '../admin/http/token.js';
import { metrics, type MetricsSource } from '../metrics/metrics.js';
import type { AdminModel } from '../admin/model.js';
import { VERSION } from '../version.js';
import { DataDirLocked, lockDataDir, type DataLock } from './data-lock.js';
import { tuneHeap } from './heap-tuning.js';

export interface Running {
  server: Server;
  stop(): Promise<void>;
}

class StartError extends Error {}

/** The gauges and server counters of /metrics, read from the model at scrape time. */
function metricsSource(model: AdminModel): MetricsSource {
  return {
    gauges: () => {
      const c = model.counts();
      return { ...c, subscriptions: c.subscriptionsByEvent };
    },
    counters: () => {
      const c = model.counts();
      return { received: c.received, malformed: c.malformed, retransmissions: c.retransmissions, overloaded: c.overloaded };
    },
  };
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The exact command that adds a first user for this configuration. */
function addUserCommand(cfg: Readonly<Config>): string {
  const domain = cfg.domain[0] ?? 'example.com';
  const file = cfg.users === join(cfg.data, 'users.json') ? `--data ${cfg.data}` : `--file ${cfg.users}`;
  const realm = cfg.realm !== '' && cfg.realm !== domain ? ` --realm ${cfg.realm}` : '';
  return `comsipl user add alice@${domain} ${file}${realm}`;
}

function tokenNotice(path: string, token: string, url: string, cfg: Readonly<Config>): string {
  return [
    `comsipl: created the admin API token ${path} (mode 0600). It is shown this once:`,
    `  ${token}`,
    `  CLI:     comsipl status --data ${cfg.data}        (reads the token and URL from the data directory)`,
    `  HTTP:    curl -H "Authorization: Bearer $(cat ${path})" ${url}/api/status`,
    `  Board:   ${url}/board (paste the token)`,
    '',
  ].join('\n');
}

async function startAdmin(cfg: Readonly<Config>, model: ServerModel, log: Logger): Promise<AdminServer | null> {
  const addr = adminAddress(cfg);
  if (addr === null) return null;
  const tok = ensureToken(cfg.data);
  const admin = new AdminServer({ host: addr.host, port: addr.port, token: tok.token, model, log: log.child({ c: 'admin' }) });
  try {
    await admin.listen();
  } catch (e) {
    const why = `admin listener ${hostPort(addr.host, addr.port)}: ${(e as Error).message}`;
    if (addr.explicit || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw new StartError(`${why} (choose another with --http host:port, or --http off)`);
    // The default port is taken (another server on this host): serve SIP anyway, say so.
    log.warn({ err: (e as Error).message }, `${why}; no admin listener (give this server its own with --http host:port)`);
    return null;
  }
  metrics.enableProcessMetrics();
  if (tok.created) process.stderr.write(tokenNotice(tok.path, tok.token, admin.url, cfg));
  if (tok.loose) log.warn({ file: tok.path }, 'the admin token file is readable by other users: chmod 600 it');
  return admin;
}

function banner(cfg: Readonly<Config>, server: Server, model: ServerModel, adminUrl: string | null, log: Logger): void {
  const info = model.info();
  const sip = info.sip.map((s) => `${s.transport} ${hostPort(s.host, s.port)}`).join(' and ');
  const users = info.users;
  const parts = [`ComSIPL ${VERSION} serving SIP on ${sip}`, `admin ${adminUrl ?? 'off'}`, `authentication ${info.auth}`, `${users} user${users === 1 ? '' : 's'}`];
  const hint = users === 0 ? addUserCommand(cfg) : undefined;
  if (hint !== undefined) parts.push(`add one with: ${hint}`);
  log.info({ banner: true, sip, admin: adminUrl ?? 'off', auth: info.auth, users, addUser: hint, port: server.transports.port('udp'), ports: server.transports.ports }, parts.join('; '));
}

/** Starts everything; on failure prints one line on stderr, releases what it took, returns null. */
export async function start(cfg: Readonly<Config>, log: Logger): Promise<Running | null> {
  let lock: DataLock | null = null;
  let admin: AdminServer | null = null;
  try {
    tuneHeap();
    lock = await lockDataDir(cfg.data);
    const server = await Server.open(cfg, log);
    // Before 'listening', so nobody starts using an open server without having been told.
    if (cfg.auth === 'off' && !isLoopback(cfg.host)) {
      // Loud on purpose: an explicit --auth off on a reachable address is an open registrar.
      const msg = 'AUTHENTICATION IS OFF on a non-loopback address: anyone who can reach this port can register, publish and watch';
      log.warn({ host: cfg.host }, msg);
      process.stderr.write(`comsipl: WARNING: ${msg}\n`);
    } else if (server.auth !== null && server.auth.userCount === 0) {
      log.warn({ users: cfg.users }, `authentication is on but the users file has no users: every REGISTER/PUBLISH/SUBSCRIBE will be refused (add one: ${addUserCommand(cfg)})`);
    }
    const model = new ServerModel(server);
    metrics.setSource(metricsSource(model));
    admin = await startAdmin(cfg, model, log);
    lock.writeInfo(admin?.url ?? null);
    await server.start();
    model.markReady();
    banner(cfg, server, model, admin?.url ?? null, log);
    // prom-client is loaded with the registry: now that SIP answers, not before (a scrape would).
    if (admin !== null) setImmediate(() => void metrics.registry);
    const held = lock;
    const adminHeld = admin;
    return {
      server,
      async stop() {
        await adminHeld?.close();
        try {
          await server.stop();
        } finally {
          held.release();
          metrics.setSource(null);
        }
      },
    };
  } catch (e) {
    const known = e instanceof StoreError || e instanceof UsersFileError || e instanceof RulesFileError || e instanceof DataDirLocked || e instanceof StartError;
    const msg = known ? (e as Error).message : `cannot start: ${(e as Error).message}`;
    log.flush();
    process.stderr.write(`comsipl: ${msg}\n`);
    await admin?.close().catch(() => {});
    lock?.release();
    return null;
  }
}
