// The UDP transport, owned by the main thread. Datagrams are collected for one event-loop
// turn and handed on as a batch (one parse task per batch, not per datagram). IPv4 and IPv6:
// a wildcard IPv4 host also opens the IPv6 wildcard on the same port (v6-only socket).
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from '../log.js';
import type { Destination } from './destination.js';
import { LocalAddresses } from './local-address.js';
import { TurnBatch, type Inbound, type Transport } from './transport.js';

/** A received datagram (UDP: no transport, no flow). */
export type Datagram = Inbound;

const SOCKET_BUFFER = 8 * 1024 * 1024; // absorbs bursts from load generators (kernel may cap it)

/**
 * dgram runs every send through dns.lookup, even for a numeric address (it showed in the CPU
 * profile). We only ever send to numeric addresses (rinfo, received, IP-literal targets), so
 * the lookup is the identity.
 */
function numericLookup(address: string, _opts: unknown, cb: (err: Error | null, address: string, family: number) => void): void {
  cb(null, address, isIP(address) === 6 ? 6 : 4);
}

export class UdpTransport implements Transport {
  readonly name = 'udp';
  readonly reliable = false;
  readonly #host: string;
  #port: number;
  readonly #log: Logger;
  readonly #batch: TurnBatch;
  readonly #local: LocalAddresses;
  #v4: dgram.Socket | null = null;
  #v6: dgram.Socket | null = null;
  sendErrors = 0;

  constructor(host: string, port: number, log: Logger, onBatch: (batch: Datagram[]) => void, local = new LocalAddresses(host)) {
    this.#host = host;
    this.#port = port;
    this.#log = log;
    this.#batch = new TurnBatch(onBatch);
    this.#local = local;
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    const family = isIP(this.#host);
    if (family === 4) {
      this.#v4 = await this.#bind('udp4', this.#host, this.#port, false);
      this.#port = this.#v4.address().port;
      if (this.#host === '0.0.0.0') {
        try {
          this.#v6 = await this.#bind('udp6', '::', this.#port, true);
        } catch (e) {
          this.#log.warn({ err: (e as Error).message }, 'IPv6 wildcard not available; serving IPv4 only');
        }
      }
    } else {
      this.#v6 = await this.#bind('udp6', this.#host, this.#port, this.#host !== '::');
      this.#port = this.#v6.address().port;
    }
  }

  #bind(type: 'udp4' | 'udp6', host: string, port: number, ipv6Only: boolean): Promise<dgram.Socket> {
    const sock = dgram.createSocket({ type, ipv6Only, recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER, lookup: numericLookup });
    const fam: 4 | 6 = type === 'udp4' ? 4 : 6;
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => {
        sock.off('error', reject);
        sock.on('error', (err) => {
          this.sendErrors++;
          this.#log.debug({ err: err.message }, 'socket error');
        });
        sock.on('message', (data, rinfo) => this.#receive(data, rinfo.address, rinfo.port, fam));
        resolve(sock);
      });
    });
  }

  #receive(data: Buffer, address: string, port: number, family: 4 | 6): void {
    this.#batch.push({ data, address, port, family });
  }

  /** Test hook (fastify's inject idea): feed a datagram as if it came from the socket. */
  inject(data: Buffer, address: string, port: number): void {
    this.#receive(data, address, port, isIP(address) === 6 ? 6 : 4);
  }

  send(buf: Buffer, dest: Destination): boolean {
    const sock = dest.family === 6 ? this.#v6 : this.#v4;
    if (sock === null) {
      this.sendErrors++;
      return false;
    }
    // Always a numeric address (see numericLookup). No callback on purpose: without one, Node
    // tries a synchronous uv_udp_try_send and skips the per-send completion request and its
    // callback (the send was the largest single cost in the REGISTER profile). A failed send
    // is counted through the socket's 'error' event.
    sock.send(buf, dest.port, dest.address);
    return true;
  }

  localAddress(family: 4 | 6, peer: string): string {
    return this.#local.for(family, peer);
  }

  async close(): Promise<void> {
    const close = (s: dgram.Socket | null): Promise<void> => (s ? new Promise((r) => s.close(() => r())) : Promise.resolve());
    await Promise.all([close(this.#v4), close(this.#v6)]);
    this.#v4 = this.#v6 = null;
  }
}
