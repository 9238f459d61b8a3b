// Checks across options and the values derived from others (auth auto, realm, file paths, burst).
import { isIP } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { TRANSPORTS, type TransportName } from '../transport/destination.js';
import { adminAddress, isLoopback } from './addresses.js';
import { ConfigError, DEFAULTS, type Config } from './schema.js';

/** Refuses what no single option's conversion can see, and fills the derived values in place. */
export function resolveConfig(cfg: Config): void {
  if (isIP(cfg.host) === 0) throw new ConfigError(`--host: '${cfg.host}' is not an IPv4 or IPv6 address`);
  if (cfg.minExpires > cfg.maxExpires) throw new ConfigError(`--min-expires ${cfg.minExpires} is above --max-expires ${cfg.maxExpires}`);
  if (cfg.defaultExpires < cfg.minExpires || cfg.defaultExpires > cfg.maxExpires) {
    cfg.defaultExpires = Math.min(Math.max(cfg.defaultExpires, cfg.minExpires), cfg.maxExpires);
  }
  if (cfg.workers > Math.max(1, os.availableParallelism() * 4)) throw new ConfigError(`--workers ${cfg.workers} is more than 4 per core`);
  // Secure by default: a server reachable from other hosts authenticates unless told not to.
  if (cfg.auth === 'auto') cfg.auth = isLoopback(cfg.host) ? 'off' : 'on';
  if (cfg.durability !== 'fsync' && cfg.durability !== 'os') throw new ConfigError(`--durability: '${String(cfg.durability)}' is not fsync|os`);
  if (cfg.realm === '') cfg.realm = cfg.domain[0] ?? '';
  cfg.authAlgorithms = cfg.authAlgorithms.map((a) => a.toUpperCase()) as Config['authAlgorithms'];
  if (cfg.authAlgorithms.length === 0 || cfg.authAlgorithms.some((a) => a !== 'SHA-256' && a !== 'MD5')) {
    throw new ConfigError(`--auth-algorithms: '${cfg.authAlgorithms.join(',')}' must list SHA-256 and/or MD5`);
  }
  checkTransports(cfg);
  if (cfg.store !== 'fdb' && !/^rediss?:\/\/[^/?#]+(\/\d{1,2})?$/.test(cfg.store)) {
    throw new ConfigError(`--store: '${cfg.store}' is not fdb or redis://host:port[/db]`);
  }
  if (cfg.advertise !== '' && !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(cfg.advertise)) {
    throw new ConfigError(`--advertise: '${cfg.advertise}' is not host:port`);
  }
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(cfg.cluster)) throw new ConfigError(`--cluster: '${cfg.cluster}' must be 1-64 letters, digits, '.', '_' or '-'`);
  if (cfg.nodeId !== '' && !/^[A-Za-z0-9._-]{1,64}$/.test(cfg.nodeId)) throw new ConfigError(`--node-id: '${cfg.nodeId}' must be 1-64 letters, digits, '.', '_' or '-'`);
  if (cfg.users === '') cfg.users = join(cfg.data, 'users.json');
  if (cfg.rules === '') cfg.rules = join(cfg.data, 'rules.json');
  if (cfg.logFormat !== 'json' && cfg.logFormat !== 'pretty') throw new ConfigError(`--log-format: '${String(cfg.logFormat)}' is not json|pretty`);
  adminAddress(cfg);
  if (cfg.lists === '') cfg.lists = join(cfg.data, 'lists.json');
  if (cfg.rateBurst === 0) cfg.rateBurst = Math.max(1, cfg.rateLimit * 2);
}

/**
 * Listeners: only known names; TLS and WSS need a certificate and key. Asked for by name (a list
 * other than the default) without them is an error; by default they simply stay off.
 */
function checkTransports(cfg: Config): void {
  const list = cfg.transports.map((t) => t.toLowerCase());
  const bad = list.find((t) => !(TRANSPORTS as readonly string[]).includes(t));
  if (bad !== undefined) throw new ConfigError(`--transports: '${bad}' is not one of ${TRANSPORTS.join(',')}`);
  if (list.length === 0) throw new ConfigError('--transports: at least one transport');
  if ((cfg.tlsCert === '') !== (cfg.tlsKey === '')) throw new ConfigError('--tls-cert and --tls-key go together');
  const byDefault = list.join(',') === DEFAULTS.transports.join(',');
  if (cfg.tlsCert === '') {
    const secure = list.filter((t) => t === 'tls' || t === 'wss');
    if (secure.length > 0 && !byDefault) throw new ConfigError(`--transports ${secure.join(',')} needs --tls-cert and --tls-key`);
  }
  cfg.transports = [...new Set(list)] as TransportName[];
}
