// SIP over TCP and over TLS (RFC 3261 §18, §26.2): listeners on IPv4 (and the IPv6 wildcard
// beside a wildcard IPv4 host, as for UDP), one flow per connection in the shared flow table,
// Content-Length framing with CRLF keep-alives (framing.ts). Responses and NOTIFYs go back on
// the connection their request or SUBSCRIBE came on; over TCP a new connection is opened to a
// peer we have none with (RFC 3261 §18.2.2 fallback, a Contact with transport=tcp). TLS peers
// are only answered on their own connections (we do not verify client certificates).
import net from 'node:net';
import tls from 'node:tls';
import { isIP } from 'node:net';
import type { Logger } from '../log.js';
import type { Destination } from './destination.js';
import { StreamFramer, type Frame } from './framing.js';
import type { Flow, FlowTable } from './flows.js';
import { LocalAddresses } from './local-address.js';
import { TurnBatch, type InboundSink, type Transport } from './transport.js';

const CRLF = Buffer.from('\r\n', 'latin1');
/** Bytes queued to a peer that does not read before its connection is closed. */
export const MAX_SEND_BACKLOG = 4 * 1024 * 1024;

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
  handshakeMs: number;
}

export interface StreamOptions {
  name: 'tcp' | 'tls';
  host: string;
  port: number;
  maxMessage: number;
  tls?: TlsFiles;
}

/** `::ffff:1.2.3.4` → `1.2.3.4` (a dual-stack socket's view of an IPv4 peer). */
export function plainAddress(a: string | undefined): string {
  if (a === undefined) return '';
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

export class StreamTransport implements Transport {
  readonly name: 'tcp' | 'tls';
  readonly reliable = true;
  readonly #o: StreamOptions;
  readonly #flows: FlowTable;
  readonly #log: Logger;
  readonly #batch: TurnBatch;
  readonly #local: LocalAddresses;
  readonly #servers: net.Server[] = [];
  readonly #sockets = new Set<net.Socket>();
  #port: number;

  constructor(o: StreamOptions, flows: FlowTable, log: Logger, onBatch: InboundSink, local = new LocalAddresses(o.host)) {
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

  /** The port to listen on when none was configured (TCP: the UDP port, RFC 3261 §18.2.1). */
  useDefaultPort(port: number): void {
    this.#port = port;
  }

  async start(): Promise<void> {
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

  #listen(host: string, port: number, ipv6Only: boolean): Promise<net.Server> {
    const t = this.#o.tls;
    const server = t === undefined
      ? net.createServer({ noDelay: true })
      : tls.createServer({ cert: t.cert, key: t.key, handshakeTimeout: t.handshakeMs, noDelay: true });
    // Counted at the TCP level, before any TLS handshake: an unfinished handshake holds a slot.
    server.on('connection', (raw: net.Socket) => {
      if (this.#accepted(raw) && t === undefined) this.#open(raw, plainAddress(raw.remoteAddress), raw.remotePort ?? 0, false);
    });
    if (t !== undefined) {
      server.on('secureConnection', (s: tls.TLSSocket) => this.#open(s, plainAddress(s.remoteAddress), s.remotePort ?? 0, false));
      server.on('tlsClientError', (err: Error, s: tls.TLSSocket) => {
        this.#flows.note({ transport: 'tls', peer: `${plainAddress(s.remoteAddress)}:${s.remotePort}`, why: err.message }, 'TLS handshake failed');
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

  /** A raw TCP connection arrived: within the bounds, or closed at once. */
  #accepted(raw: net.Socket): boolean {
    const address = plainAddress(raw.remoteAddress);
    if (!this.#flows.acquire(address, this.name)) {
      raw.destroy();
      return false;
    }
    this.#sockets.add(raw);
    raw.once('close', () => {
      this.#sockets.delete(raw);
      this.#flows.release(address);
    });
    raw.on('error', () => undefined); // reported by 'close'; never an uncaught exception
    return true;
  }

  /** A connection ready for SIP (after its TLS handshake): a flow. */
  #open(s: net.Socket, address: string, port: number, outbound: boolean): Flow {
    const family: 4 | 6 = isIP(address) === 6 ? 6 : 4;
    const framer = new StreamFramer({ maxMessage: this.#o.maxMessage });
    const flow = this.#flows.add(this.name, address, port, family, {
      write: (buf) => {
        s.write(buf);
        if (s.writableLength > MAX_SEND_BACKLOG) this.#flows.close(flow, 'peer not reading', { queued: s.writableLength });
      },
      close: () => s.destroy(),
    }, framer, Date.now(), outbound);
    s.setNoDelay(true);
    const onFrame = (f: Frame): void => {
      if (f.t === 'message') this.#batch.push({ data: f.data, address, port: flow.port, family, transport: this.name, flow: flow.id });
      else if (f.t === 'ping') s.write(CRLF); // RFC 5626 §4.4.1: pong
      else this.#flows.close(flow, f.why);
    };
    s.on('data', (chunk: Buffer) => {
      if (flow.closing) return;
      const now = Date.now();
      flow.lastSeen = now;
      framer.push(chunk, now, onFrame);
      flow.partialSince = framer.partialSince;
    });
    s.on('error', () => undefined);
    s.once('close', () => this.#flows.closed(flow));
    return flow;
  }

  send(buf: Buffer, dest: Destination): boolean {
    let flow: Flow | undefined;
    if (dest.flow) {
      // A named flow or nothing: what was meant for one connection never takes another.
      flow = this.#flows.get(dest.flow);
      if (flow === undefined || flow.transport !== this.name || flow.closing) return false;
    } else {
      flow = this.#flows.find(this.name, dest.address, dest.port);
      if (flow === undefined || flow.closing) {
        // No connection yet (a Contact with transport=tcp): open one (TCP only; a TLS peer
        // would need a certificate we could verify).
        if (this.name !== 'tcp' || this.#servers.length === 0 || !this.#flows.acquire(dest.address, this.name)) return false;
        const s = net.connect({ host: dest.address, port: dest.port, family: dest.family, noDelay: true });
        this.#sockets.add(s);
        s.once('close', () => {
          this.#sockets.delete(s);
          this.#flows.release(dest.address);
        });
        flow = this.#open(s, dest.address, dest.port, true);
      }
    }
    flow.conn.write(buf);
    return true;
  }

  localAddress(family: 4 | 6, peer: string): string {
    return this.#local.for(family, peer);
  }

  /** New certificate and key for new TLS connections (SIGHUP). */
  setCertificate(cert: Buffer, key: Buffer): void {
    for (const s of this.#servers) if (s instanceof tls.Server) s.setSecureContext({ cert, key });
  }

  async close(): Promise<void> {
    const closing = this.#servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const s of this.#sockets) s.destroy();
    await Promise.all(closing);
    this.#servers.length = 0;
  }
}
