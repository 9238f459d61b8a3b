// Where a message goes or came from: an address, a port, the IP family, the transport and, for
// the connection-oriented ones, the flow (the connection) it travels on. A destination without
// a transport is UDP; one without a flow (0) on a stream transport means "any connection to
// that address, or a new one" (only TCP may open one: TLS, WS and WSS peers are clients whose
// connections we can only answer on).
export type TransportName = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface Destination {
  address: string;
  port: number;
  family: 4 | 6;
  /** Absent = 'udp'. */
  transport?: TransportName;
  /** The connection's id on a stream transport (0 or absent = none named). */
  flow?: number;
}

export const TRANSPORTS: readonly TransportName[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/** Reliable transports: no retransmissions, timer J = 0 (RFC 3261 §17.1.2.2, §17.2.2). */
export function isReliable(d: Destination): boolean {
  return d.transport !== undefined && d.transport !== 'udp';
}

/** The Via token of a transport (RFC 3261 §20.42, RFC 7118 §5.2: `WS`/`WSS`). */
export function viaToken(t: TransportName | undefined): string {
  return (t ?? 'udp').toUpperCase();
}

/** The transport a Via token or `transport=` URI parameter names; null when we have none such. */
export function transportOf(token: string): TransportName | null {
  const t = token.toLowerCase();
  return (TRANSPORTS as readonly string[]).includes(t) ? (t as TransportName) : null;
}

/**
 * A subscription's `source` as stored: `address port` for UDP (the format of stored records
 * since 0.1), `address port transport flow` for a connection. Flow ids are per process, so a
 * restored connection source names a connection that no longer exists.
 */
export function sourceText(d: Destination): string {
  return isReliable(d) ? `${d.address} ${d.port} ${d.transport} ${d.flow ?? 0}` : `${d.address} ${d.port}`;
}

/** Inverse of sourceText. */
export function parseSource(s: string): Destination {
  const parts = s.split(' ');
  const address = parts[0] ?? '';
  const family: 4 | 6 = address.includes(':') ? 6 : 4;
  const d: Destination = { address, port: Number(parts[1]), family };
  const t = parts[2] === undefined ? null : transportOf(parts[2]);
  if (t !== null && t !== 'udp') {
    d.transport = t;
    d.flow = Number(parts[3]) || 0;
  }
  return d;
}

/** Does a stored source name a connection (not UDP)? */
export function isConnectionSource(s: string): boolean {
  return s.split(' ').length >= 4;
}
