// The UDP transport, owned by the main thread. Datagrams are collected for one event-loop
// turn and handed on as a batch (one parse task per batch, not per datagram). IPv4 and IPv6:
// a wildcard IPv4 host also opens the IPv6 wildcard on the same port (v6-only socket).
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import os from 'node:os';
import type { Logger } from '../log.js';
import type { Destination } from '../transaction/server-transactions.js';

export interface Datagram {
  data: Buffer;
  address: string;
  port: number;
  family: 4 | 6;
}

const SOCKET_BUFFER = 8 * 1024 * 1024; // absorbs bursts from load generators (kernel may cap it)

/**
 * dgram runs every send through dns.lookup, even for a numeric address (it showed in the CPU
 * profile). We only ever send to numeric addresses (rinfo, received, IP-literal targets), so
 * the lookup is the identity.
 */
function numericLookup(address: string, _opts: unknown, cb: (err: Error | null, address: string, family: number) => void): void {
  cb(null, address, isIP(address) === 6 ? 6 : 4);
}

export class UdpTransport {
  readonly #host: string;
  #port: number;
  readonly #log: Logger;
  readonly #onBatch: (batch: Datagram[]) => void;
  #v4: dgram.Socket | null = null;
  #v6: dgram.Socket | null = null;
  #batch: Datagram[] = [];
  #bound4: string | null = null;
  #bound6: string | null = null;
  #iface4: string | null = null;
  #iface6: string | null = null;
  #ifacesAt = -Infinity;
  #scheduled = false;
  sendErrors = 0;

  constructor(host: string, port: number, log: Logger, onBatch: (batch: Datagram[]) => void) {
    this.#host = host;
    this.#port = port;
    this.#log = log;
    this.#onBatch = onBatch;
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
    this.#bound4 = this.#v4?.address().address ?? null;
    this.#bound6 = this.#v6?.address().address ?? null;
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
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const batch = this.#batch;
    this.#batch = [];
    this.#onBatch(batch);
  };

  /** Test hook (fastify's inject idea): feed a datagram as if it came from the socket. */
  inject(data: Buffer, address: string, port: number): void {
    this.#receive(data, address, port, isIP(address) === 6 ? 6 : 4);
  }

  send(buf: Buffer, dest: Destination): void {
    const sock = dest.family === 6 ? this.#v6 : this.#v4;
    if (sock === null) {
      this.sendErrors++;
      return;
    }
    // Always a numeric address (see numericLookup). No callback on purpose: without one, Node
    // tries a synchronous uv_udp_try_send and skips the per-send completion request and its
    // callback (the send was the largest single cost in the REGISTER profile). A failed send
    // is counted through the socket's 'error' event.
    sock.send(buf, dest.port, dest.address);
  }

  /** The address to put in our Via/Contact for a peer (the socket's, or a routable one). */
  localAddress(family: 4 | 6, peer: string): string {
    // Socket.address() is a getsockname() syscall and networkInterfaces() a scan: both showed
    // in the SUBSCRIBE profile, so the answers are cached (interfaces re-read once a minute).
    const bound = family === 4 ? this.#bound4 : this.#bound6;
    if (bound !== null && bound !== '0.0.0.0' && bound !== '::') return bound;
    if (peer === '127.0.0.1' || peer.startsWith('127.')) return '127.0.0.1';
    if (peer === '::1') return '::1';
    const now = Date.now();
    if (now - this.#ifacesAt > 60_000) {
      this.#ifacesAt = now;
      this.#iface4 = this.#iface6 = null;
      for (const list of Object.values(os.networkInterfaces())) {
        for (const a of list ?? []) {
          if (a.internal) continue;
          if (a.family === 'IPv4') this.#iface4 ??= a.address;
          else this.#iface6 ??= a.address;
        }
      }
    }
    return (family === 4 ? this.#iface4 : this.#iface6) ?? (family === 4 ? '127.0.0.1' : '::1');
  }

  async close(): Promise<void> {
    const close = (s: dgram.Socket | null): Promise<void> => (s ? new Promise((r) => s.close(() => r())) : Promise.resolve());
    await Promise.all([close(this.#v4), close(this.#v6)]);
    this.#v4 = this.#v6 = null;
  }
}
