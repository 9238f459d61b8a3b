// The transports of one server, behind one face: the listeners the configuration turns on
// (UDP, TCP, TLS, WS, WSS), their shared flow table and bounds, and the transport decisions the
// rest of the server asks about — where a response goes (RFC 3261 §18.2.2), what our Via and
// Contact say for a peer (RFC 3261 §18.1.1, RFC 7118 §5), and when a large NOTIFY leaves UDP
// for TCP (RFC 3261 §18.1.1). The server calls into this module and knows no transport by name.
import { readFileSync } from 'node:fs';
import type { Logger } from '../log.js';
import { isReliable, viaToken, type Destination, type TransportName } from './destination.js';
import { FlowTable, LogLimiter, type Flow } from './flows.js';
import { LocalAddresses } from './local-address.js';
import { StreamTransport, type TlsFiles } from './stream-transport.js';
import type { Inbound, InboundSink, Transport } from './transport.js';
import { UdpTransport } from './udp-transport.js';
import { WsTransport } from './ws-transport.js';

/** RFC 3261 §18.1.1: a request over this many bytes, with the path MTU unknown, leaves UDP. */
export const UDP_SIZE_LIMIT = 1300;

export interface TransportConfig {
  host: string;
  port: number;
  transports: readonly TransportName[];
  tcpPort: number;
  tlsPort: number;
  wsPort: number;
  wssPort: number;
  tlsCert: string;
  tlsKey: string;
  maxMessageSize: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  idleTimeout: number;
  messageTimeout: number;
  tlsHandshakeTimeout: number;
}

export class Transports {
  readonly flows: FlowTable;
  readonly #by = new Map<TransportName, Transport>();
  readonly #cfg: TransportConfig;
  readonly #log: Logger;
  readonly #local: LocalAddresses;
  readonly #bigUdp: LogLimiter;
  /** A flow ended (its subscriptions end with it). */
  onFlowClosed: (flow: Flow) => void = () => undefined;

  constructor(cfg: TransportConfig, log: Logger, onBatch: InboundSink) {
    this.#cfg = cfg;
    this.#log = log;
    this.#local = new LocalAddresses(cfg.host);
    this.#bigUdp = new LogLimiter(log, 5);
    this.flows = new FlowTable({
      maxConnections: cfg.maxConnections, maxConnectionsPerIp: cfg.maxConnectionsPerIp,
      idleMs: cfg.idleTimeout * 1000, messageMs: cfg.messageTimeout * 1000,
    }, log.child({ c: 'flows' }));
    this.flows.onClosed = (flow) => this.onFlowClosed(flow);
    const on = new Set(cfg.transports);
    const tls = this.#tlsFiles();
    const host = cfg.host;
    const maxMessage = cfg.maxMessageSize;
    const flowsLog = log.child({ c: 'transport' });
    if (on.has('udp')) this.#by.set('udp', new UdpTransport(host, cfg.port, log, onBatch, this.#local));
    // TCP beside UDP on the same port unless told otherwise (RFC 3261 §18.2.1); bound after UDP.
    if (on.has('tcp')) this.#by.set('tcp', new StreamTransport({ name: 'tcp', host, port: cfg.tcpPort, maxMessage }, this.flows, flowsLog, onBatch, this.#local));
    if (on.has('ws')) this.#by.set('ws', new WsTransport({ name: 'ws', host, port: cfg.wsPort, maxMessage, handshakeMs: cfg.messageTimeout * 1000 }, this.flows, flowsLog, onBatch, this.#local));
    if (tls !== null) {
      if (on.has('tls')) this.#by.set('tls', new StreamTransport({ name: 'tls', host, port: cfg.tlsPort, maxMessage, tls }, this.flows, flowsLog, onBatch, this.#local));
      if (on.has('wss')) this.#by.set('wss', new WsTransport({ name: 'wss', host, port: cfg.wssPort, maxMessage, handshakeMs: cfg.tlsHandshakeTimeout * 1000 + cfg.messageTimeout * 1000, tls }, this.flows, flowsLog, onBatch, this.#local));
    }
  }

  #tlsFiles(): TlsFiles | null {
    const c = this.#cfg;
    if (c.tlsCert === '' || c.tlsKey === '') return null;
    // Read now: a missing or unreadable file stops the start with its name.
    return { cert: readFileSync(c.tlsCert), key: readFileSync(c.tlsKey), handshakeMs: c.tlsHandshakeTimeout * 1000 };
  }

  /** The UDP transport, when on (tests inject datagrams through it). */
  get udp(): UdpTransport | undefined {
    return this.#by.get('udp') as UdpTransport | undefined;
  }

  /** The port of `t` (0 when off). */
  port(t: TransportName = 'udp'): number {
    return this.#by.get(t)?.port ?? 0;
  }

  /** Every listener's port, for the 'listening' line. */
  get ports(): Partial<Record<TransportName, number>> {
    const out: Partial<Record<TransportName, number>> = {};
    for (const [name, t] of this.#by) out[name] = t.port;
    return out;
  }

  async start(): Promise<void> {
    const udp = this.#by.get('udp');
    if (udp !== undefined) await udp.start();
    for (const [name, t] of this.#by) {
      if (name === 'udp') continue;
      // `--tcp-port` defaults to the UDP port (also when that was 0: the one UDP was given).
      if (name === 'tcp' && this.#cfg.tcpPort < 0 && t instanceof StreamTransport) t.useDefaultPort(udp?.port ?? this.#cfg.port);
      await t.start();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#by.values()].map((t) => t.close()));
  }

  /** Re-reads the TLS certificate and key (SIGHUP); a broken pair keeps the old one. */
  reloadCertificate(): void {
    const tls = [...this.#by.values()].filter((t): t is StreamTransport | WsTransport => (t instanceof StreamTransport || t instanceof WsTransport) && (t.name === 'tls' || t.name === 'wss'));
    if (tls.length === 0) return;
    try {
      const files = this.#tlsFiles();
      if (files === null) return;
      for (const t of tls) t.setCertificate(files.cert, files.key);
      this.#log.info({ cert: this.#cfg.tlsCert }, 'TLS certificate reloaded');
    } catch (e) {
      this.#log.error({ err: (e as Error).message }, 'TLS certificate not reloaded; keeping the previous one');
    }
  }

  /** Closes flows past their bounds (idle, slow message); about once a second. */
  sweep(now: number): void {
    this.flows.sweep(now);
  }

  /** Sends on the destination's transport; false when it cannot go (RFC 3261 §17.1.4). */
  send(buf: Buffer, dest: Destination): boolean {
    const t = this.#by.get(dest.transport ?? 'udp');
    return t === undefined ? false : t.send(buf, dest);
  }

  /** Is `dest` on a transport without retransmissions? */
  reliable(dest: Destination): boolean {
    return isReliable(dest);
  }

  /** Our sent-by for the Via and Contact of what we send to `dest`: `host:port`. */
  sentBy(dest: Destination): string {
    const t = this.#by.get(dest.transport ?? 'udp');
    const host = this.#local.for(dest.family, dest.address);
    return `${dest.family === 6 ? `[${host}]` : host}:${t?.port ?? this.#cfg.port}`;
  }

  /** Our Contact for a dialog with a peer at `source` (RFC 3261 §8.1.1.8; `;transport=` off UDP). */
  contactFor(source: Destination): string {
    const t = source.transport ?? 'udp';
    return `<sip:${this.sentBy(source)}${t === 'udp' ? '' : `;transport=${t}`}>`;
  }

  /** The Via token for `dest` (`UDP`, `TCP`, `TLS`, `WS`, `WSS`). */
  via(dest: Destination): string {
    return viaToken(dest.transport);
  }

  /**
   * Where a response goes (RFC 3261 §18.2.2): over a reliable transport, on the connection the
   * request came on; over UDP, where `viaTarget` (received/rport, RFC 3581) says.
   */
  responseDestination(viaTarget: Destination, source: Destination): Destination {
    return isReliable(source) ? source : viaTarget;
  }

  /**
   * RFC 3261 §18.1.1: a request over 1,300 bytes goes over a congestion-controlled transport.
   * We know a UDP peer takes TCP when a TCP connection with the very address and port the
   * request goes to is open (it is reused, as RFC 5923 lets us); a peer whose Contact asks for
   * TCP gets all its requests over TCP anyway. Otherwise the request goes over UDP and its
   * size is logged. Returns the destination to use, or null to stay on UDP.
   */
  largeRequest(dest: Destination, size: number, what: Record<string, unknown>): Destination | null {
    if (isReliable(dest) || size <= UDP_SIZE_LIMIT) return null;
    const flow = this.flows.find('tcp', dest.address, dest.port);
    if (flow !== undefined && !flow.closing) return { ...dest, transport: 'tcp', flow: flow.id };
    this.#bigUdp.info({ ...what, bytes: size, peer: `${dest.address}:${dest.port}` }, 'request over 1300 bytes sent over UDP (the peer offers no TCP)');
    return null;
  }

  /** Test hook: a datagram as if it came from the UDP socket. */
  inject(m: Inbound): void {
    this.udp?.inject(m.data, m.address, m.port);
  }
}
