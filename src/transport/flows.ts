// The flow table: every open connection of the stream transports (TCP, TLS, WS, WSS) under one
// id, with the bounds that keep a hostile or broken peer from costing anyone else anything —
// connections in total and per source address, idle time, the time a message may take to
// arrive (slow-loris) and the time a handshake may take. What passes a bound is closed with a
// log line; the flow's owner hears of the close like any other (onClosed).
import type { Logger } from '../log.js';
import type { TransportName } from './destination.js';
import type { StreamFramer } from './framing.js';

export interface FlowLimits {
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** ms without a byte received before a flow is closed. */
  idleMs: number;
  /** ms a message (or a handshake) may take from its first byte to its last. */
  messageMs: number;
}

/** What a flow writes to and closes: a socket, a WebSocket. */
export interface FlowConn {
  write(buf: Buffer): void;
  close(): void;
}

export class Flow {
  lastSeen: number;
  /** When the message now arriving began (ms), 0 between messages: the slow-loris clock. */
  partialSince = 0;
  /** Set once the table closed it (bounds); the socket's own close event follows. */
  closing = false;
  constructor(
    readonly id: number,
    readonly transport: TransportName,
    readonly address: string,
    readonly port: number,
    readonly family: 4 | 6,
    readonly conn: FlowConn,
    readonly framer: StreamFramer | null,
    now: number,
    /** Opened by us (an outbound TCP connection for NOTIFYs or responses). */
    readonly outbound = false,
  ) {
    this.lastSeen = now;
  }
}

/**
 * At most `perSecond` lines per message text; the rest are counted and reported in the next
 * line of that text that passes (a flood of refusals costs no log volume, and one kind of
 * event does not hide another).
 */
export class LogLimiter {
  readonly #by = new Map<string, { second: number; lines: number; suppressed: number }>();
  constructor(readonly log: Logger, readonly perSecond = 20) {}

  info(obj: Record<string, unknown>, msg: string): void {
    const s = Math.floor(Date.now() / 1000);
    let e = this.#by.get(msg);
    if (e === undefined) this.#by.set(msg, (e = { second: s, lines: 0, suppressed: 0 }));
    if (s !== e.second) {
      e.second = s;
      e.lines = 0;
    }
    if (e.lines >= this.perSecond) {
      e.suppressed++;
      return;
    }
    e.lines++;
    if (e.suppressed > 0) {
      obj.suppressed = e.suppressed;
      e.suppressed = 0;
    }
    this.log.info(obj, msg);
  }
}

const peerKey = (t: TransportName, address: string, port: number): string => `${t} ${address} ${port}`;

export class FlowTable {
  readonly limits: FlowLimits;
  readonly #flows = new Map<number, Flow>();
  /** transport + address + port → the newest flow (connection reuse, RFC 3261 §18.2.2). */
  readonly #byPeer = new Map<string, Flow>();
  /** Open sockets per source address, handshakes included. */
  readonly #perIp = new Map<string, number>();
  #sockets = 0;
  #nextId = 1;
  readonly #limited: LogLimiter;
  /** Called once per flow that ends, whoever closed it. */
  onClosed: (flow: Flow) => void = () => undefined;

  constructor(limits: FlowLimits, log: Logger) {
    this.limits = limits;
    this.#limited = new LogLimiter(log);
  }

  get size(): number {
    return this.#flows.size;
  }

  /** Sockets open (handshakes included): what --max-connections bounds. */
  get sockets(): number {
    return this.#sockets;
  }

  /**
   * A socket was accepted (or is about to be opened): may it stay? Counted when it may; the
   * caller releases it when the socket closes. A refusal is logged here.
   */
  acquire(address: string, transport: TransportName): boolean {
    const n = this.#perIp.get(address) ?? 0;
    const why = this.#sockets >= this.limits.maxConnections ? 'max-connections' : n >= this.limits.maxConnectionsPerIp ? 'max-connections-per-ip' : null;
    if (why !== null) {
      this.#limited.info({ peer: address, transport, bound: why, open: this.#sockets }, 'connection refused');
      return false;
    }
    this.#perIp.set(address, n + 1);
    this.#sockets++;
    return true;
  }

  release(address: string): void {
    const n = this.#perIp.get(address) ?? 0;
    if (n <= 1) this.#perIp.delete(address);
    else this.#perIp.set(address, n - 1);
    this.#sockets--;
  }

  add(transport: TransportName, address: string, port: number, family: 4 | 6, conn: FlowConn, framer: StreamFramer | null, now: number, outbound = false): Flow {
    const flow = new Flow(this.#nextId++, transport, address, port, family, conn, framer, now, outbound);
    if (this.#nextId > 0x7fffffff) this.#nextId = 1;
    this.#flows.set(flow.id, flow);
    this.#byPeer.set(peerKey(transport, address, port), flow);
    return flow;
  }

  get(id: number): Flow | undefined {
    return this.#flows.get(id);
  }

  /** The newest open flow of `transport` to address:port. */
  find(transport: TransportName, address: string, port: number): Flow | undefined {
    return this.#byPeer.get(peerKey(transport, address, port));
  }

  /** The socket of `flow` closed: forget it and tell the owner. */
  closed(flow: Flow): void {
    if (this.#flows.get(flow.id) !== flow) return;
    this.#flows.delete(flow.id);
    const key = peerKey(flow.transport, flow.address, flow.port);
    if (this.#byPeer.get(key) === flow) this.#byPeer.delete(key);
    this.onClosed(flow);
  }

  /** Closes a flow for a reason of ours, with a log line. */
  close(flow: Flow, why: string, extra: Record<string, unknown> = {}): void {
    if (flow.closing) return;
    flow.closing = true;
    this.#limited.info({ flow: flow.id, transport: flow.transport, peer: `${flow.address}:${flow.port}`, why, ...extra }, 'connection closed');
    flow.conn.close();
  }

  /** Logs a refusal or a close decided before a flow exists (handshakes). */
  note(obj: Record<string, unknown>, msg: string): void {
    this.#limited.info(obj, msg);
  }

  #sweptAt = 0;

  /** Closes flows idle too long or stuck in the middle of a message (a pass a second at most). */
  sweep(now: number): void {
    if (now - this.#sweptAt < 1000) return;
    this.#sweptAt = now;
    const { idleMs, messageMs } = this.limits;
    for (const flow of this.#flows.values()) {
      if (flow.closing) continue;
      const since = flow.partialSince;
      if (since > 0 && now - since > messageMs) this.close(flow, 'message not complete in time', { ms: now - since, bytes: flow.framer?.buffered });
      else if (now - flow.lastSeen > idleMs) this.close(flow, 'idle', { s: Math.round((now - flow.lastSeen) / 1000) });
    }
  }

  /** Every flow (shutdown). */
  all(): IterableIterator<Flow> {
    return this.#flows.values();
  }
}
