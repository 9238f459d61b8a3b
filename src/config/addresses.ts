// Addresses in the config: `host:port` parsing, where the admin listener binds, loopback.
import { isIP } from 'node:net';
import { ConfigError, type Config } from './schema.js';

/** Default port of the admin listener (HTTP): not a SIP port, beside the usual exporter range. */
export const ADMIN_PORT = 9060;

const LOOPBACK = new Set(['127.0.0.1', '::1']);

/** 'host:port' or '[v6]:port' → parts; null when malformed. */
export function parseHostPort(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  if (m === null) return null;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (isIP(host) === 0 || port > 65535) return null;
  return { host, port };
}

/**
 * Where the admin listener binds, or null for --http off. `explicit` is false for the
 * default, which the server gives up (with a warning) when its port is taken, so a second
 * server or a test on the same host still starts; an explicit address that fails stops it.
 */
export function adminAddress(cfg: Pick<Config, 'http' | 'port'>): { host: string; port: number; explicit: boolean } | null {
  if (cfg.http === 'off') return null;
  if (cfg.http === '') return { host: '127.0.0.1', port: cfg.port === 0 ? 0 : ADMIN_PORT, explicit: false };
  const hp = parseHostPort(cfg.http);
  if (hp === null) throw new ConfigError(`--http: '${cfg.http}' is not host:port, [v6]:port or off`);
  return { ...hp, explicit: true };
}

/** True for the addresses on which running without authentication is acceptable by default. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host);
}
