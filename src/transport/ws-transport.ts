// SIP over WebSocket (RFC 7118), plain (WS) and over TLS (WSS), with the `ws` package: the
// handshake must ask for the `sip` sub-protocol (refused with 400 otherwise, §4.1), one SIP
// message per frame (§5.1; text frames out), Via `SIP/2.0/WS(S)`. Browsers cannot accept
// connections, so a WebSocket peer is only ever reached on its own connection: its NOTIFYs go
// on the flow its SUBSCRIBE came on, whatever its (unresolvable, `.invalid`) Contact says.
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { isIP } from 'node:net';
import type { WebSocketServer, WebSocket } from 'ws';
import type { Logger } from '../log.js';
import type { Destination } from './destination.js';
import type { FlowTable } from './flows.js';
import { LocalAddresses } from './local-address.js';
import { MAX_SEND_BACKLOG, plainAddress, type TlsFiles } from './stream-transport.js';
import { TurnBatch, type InboundSink, type Transport } from './transport.js';

export interface WsOptions {
  name: 'ws' | 'wss';
  host: string;
  port: number;
  maxMessage: number;
  /** ms the HTTP upgrade (and the TLS handshake before it) may take. */
  handshakeMs: number;
  tls?: TlsFiles;
}

/** Does a Sec-WebSocket-Protocol header offer `sip` (RFC 7118 §4.1)? */
export function offersSip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((p) => p.trim().toLowerCase() === 'sip');
}

/** SIP goes out in text frames (RFC 7118 §5.1 allows both; text is what browsers log readably). */
const TEXT = { binary: false } as const;
const isCrlf = (d: Buffer): boolean => d.length === 2 && d[0] === 13 && d[1] === 10;
const isPing = (d: Buffer): boolean => d.length === 4 && d[0] === 13 && d[1] === 10 && d[2] === 13 && d[3] === 10;

export class WsTransport implements Transport {
  readonly name: 'ws' | 'wss';
  readonly reliable = true;
  readonly #o: WsOptions;
  readonly #flows: FlowTable;
  readonly #log: Logger;
  readonly #batch: TurnBatch;
  readonly #local: LocalAddresses;
  readonly #servers: (http.Server | https.Server)[] = [];
  readonly #sockets = new Set<net.Socket>();
  /** Made at start: `ws` is imported then, after UDP is bound (a start answers sooner). */
  #wss: WebSocketServer | null = null;
  /** Handshake deadlines by peer `address port` (a WSS request's socket is the TLS socket, not the raw one). */
  readonly #handshakes = new Map<string, NodeJS.Timeout>();
  #port: number;

  constructor(o: WsOptions, flows: FlowTable, log: Logger, onBatch: InboundSink, local = new LocalAddresses(o.host)) {
    this.name = o.name;
    this.#o = o;
    this.#port = o.port;
    this.#flows = flows;
    this.#log = log;
    this.#batch = new TurnBatch(onBatch);
    this.#local = local;
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    const { WebSocketServer } = await import('ws');
    this.#wss = new WebSocketServer({
      noServer: true, maxPayload: this.#o.maxMessage, perMessageDeflate: false, clientTracking: false,
      handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
    });
    const host = this.#o.host;
    const first = await this.#listen(host, this.#port, false);
    this.#port = (first.address() as net.AddressInfo).port;
    if (host === '0.0.0.0') {
      try {
        await this.#listen('::', this.#port, true);
      } catch (e) {
        this.#log.warn({ err: (e as Error).message, transport: this.name }, 'IPv6 wildcard not available; serving IPv4 only');
      }
    }
  }

  #listen(host: string, port: number, ipv6Only: boolean): Promise<http.Server> {
    const t = this.#o.tls;
    const server = t === undefined ? http.createServer() : https.createServer({ cert: t.cert, key: t.key, handshakeTimeout: t.handshakeMs });
    // Slow handshakes: the HTTP request must be complete within the handshake time.
    server.headersTimeout = this.#o.handshakeMs;
    server.requestTimeout = this.#o.handshakeMs;
    server.on('connection', (raw: net.Socket) => this.#accepted(raw));
    server.on('request', (_req, res) => {
      res.writeHead(426, { Upgrade: 'websocket', Connection: 'close', 'Content-Type': 'text/plain' });
      res.end('SIP over WebSocket (RFC 7118): connect with Sec-WebSocket-Protocol: sip\n');
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.#upgrade(req, socket, head));
    if (t !== undefined) {
      server.on('tlsClientError', (err: Error, s: net.Socket) => {
        this.#flows.note({ transport: this.name, peer: `${plainAddress(s.remoteAddress)}:${s.remotePort}`, why: err.message }, 'TLS handshake failed');
        s.destroy();
      });
    }
    server.on('error', (err) => this.#log.error({ err: err.message, transport: this.name }, 'listener error'));
    this.#servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, ipv6Only }, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  #accepted(raw: net.Socket): void {
    const address = plainAddress(raw.remoteAddress);
    if (!this.#flows.acquire(address, this.name)) {
      raw.destroy();
      return;
    }
    this.#sockets.add(raw);
    // The handshake (TLS, then the HTTP upgrade) must end in time; cleared once upgraded.
    const key = `${address} ${raw.remotePort}`;
    const timer = setTimeout(() => {
      this.#handshakes.delete(key);
      this.#flows.note({ transport: this.name, peer: `${address}:${raw.remotePort}`, why: 'handshake not complete in time' }, 'connection closed');
      raw.destroy();
    }, this.#o.handshakeMs);
    timer.unref();
    this.#handshakes.set(key, timer);
    raw.once('close', () => {
      clearTimeout(timer);
      if (this.#handshakes.get(key) === timer) this.#handshakes.delete(key);
      this.#sockets.delete(raw);
      this.#flows.release(address);
    });
    raw.on('error', () => undefined);
  }

  #upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const raw = req.socket;
    const address = plainAddress(raw.remoteAddress);
    const key = `${address} ${raw.remotePort}`;
    if (!offersSip(req.headers['sec-websocket-protocol'])) {
      // RFC 7118 §4.1: the sub-protocol is what makes this a SIP connection.
      this.#flows.note({ transport: this.name, peer: `${address}:${raw.remotePort}`, why: 'no Sec-WebSocket-Protocol: sip' }, 'WebSocket handshake refused');
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.#wss!.handleUpgrade(req, socket, head, (ws) => {
      clearTimeout(this.#handshakes.get(key));
      this.#handshakes.delete(key);
      this.#open(ws, raw, address);
    });
  }

  #open(ws: WebSocket, raw: net.Socket, address: string): void {
    const family: 4 | 6 = isIP(address) === 6 ? 6 : 4;
    const port = raw.remotePort ?? 0;
    const flow = this.#flows.add(this.name, address, port, family, {
      write: (buf) => {
        ws.send(buf, TEXT);
        if (ws.bufferedAmount > MAX_SEND_BACKLOG) this.#flows.close(flow, 'peer not reading', { queued: ws.bufferedAmount });
      },
      close: () => ws.terminate(),
    }, null, Date.now());
    // The slow-loris clock: started by bytes on the socket, stopped by a whole frame. (Ours runs
    // first: prependListener puts it before ws's own reader, which emits messages synchronously.)
    raw.prependListener('data', () => {
      if (flow.partialSince === 0) flow.partialSince = Date.now();
    });
    const whole = (): void => {
      flow.partialSince = 0;
      flow.lastSeen = Date.now();
    };
    ws.on('ping', whole);
    ws.on('pong', whole);
    ws.on('message', (data: Buffer) => {
      whole();
      if (flow.closing) return;
      if (isPing(data)) ws.send('\r\n'); // RFC 5626 §4.4.1 keep-alive, as SIP.js and JsSIP send it
      else if (!isCrlf(data)) this.#batch.push({ data, address, port, family, transport: this.name, flow: flow.id });
    });
    ws.on('error', (err) => this.#flows.close(flow, err.message));
    ws.once('close', () => this.#flows.closed(flow));
  }

  send(buf: Buffer, dest: Destination): boolean {
    // A browser cannot be called back: its own connection or nothing (RFC 7118 §5).
    const flow = dest.flow ? this.#flows.get(dest.flow) : this.#flows.find(this.name, dest.address, dest.port);
    if (flow === undefined || flow.transport !== this.name || flow.closing) return false;
    flow.conn.write(buf);
    return true;
  }

  localAddress(family: 4 | 6, peer: string): string {
    return this.#local.for(family, peer);
  }

  setCertificate(cert: Buffer, key: Buffer): void {
    for (const s of this.#servers) if (s instanceof https.Server) s.setSecureContext({ cert, key });
  }

  async close(): Promise<void> {
    const closing = this.#servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const s of this.#sockets) s.destroy();
    await Promise.all(closing);
    this.#servers.length = 0;
  }
}
