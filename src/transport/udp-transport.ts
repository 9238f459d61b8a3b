// The UDP transport, owned by the main thread. Datagrams arrive in batches (one per readable
// wake with the recvmmsg addon, one per event-loop turn with node:dgram: see udp-batch.ts) and
// are handed on as a batch (one parse task per batch, not per datagram); responses queued in
// one turn leave together (one sendmmsg). IPv4 and IPv6: a wildcard IPv4 host also opens the
// IPv6 wildcard on the same port (v6-only socket).
import { isIP } from 'node:net';
import type { Logger } from '../log.js';
import type { Destination } from './destination.js';
import { LocalAddresses } from './local-address.js';
import { TurnBatch, type Inbound, type Transport } from './transport.js';
import { openUdpBatch, type RecvBatch, type UdpBatchSocket } from './udp-batch.js';

/** A received datagram (UDP: no transport, no flow). */
export type Datagram = Inbound;

const SOCKET_BUFFER = 8 * 1024 * 1024; // absorbs bursts from load generators (kernel may cap it)

export class UdpTransport implements Transport {
  readonly name = 'udp';
  readonly reliable = false;
  readonly #host: string;
  #port: number;
  readonly #log: Logger;
  readonly #onBatch: (batch: Datagram[]) => void;
  /** Datagrams injected by tests, handed on once per turn like the dgram path's. */
  readonly #injected: TurnBatch;
  readonly #local: LocalAddresses;
  #v4: UdpBatchSocket | null = null;
  #v6: UdpBatchSocket | null = null;
  #closedErrors = 0;

  constructor(host: string, port: number, log: Logger, onBatch: (batch: Datagram[]) => void, local = new LocalAddresses(host)) {
    this.#host = host;
    this.#port = port;
    this.#log = log;
    this.#onBatch = onBatch;
    this.#injected = new TurnBatch(onBatch);
    this.#local = local;
  }

  get port(): number {
    return this.#port;
  }

  /** Datagrams that could not be sent (bad or unreachable destination, no socket of that family). */
  get sendErrors(): number {
    return this.#closedErrors + (this.#v4?.sendErrors ?? 0) + (this.#v6?.sendErrors ?? 0);
  }

  /** 'native' when the recvmmsg/sendmmsg addon carries the datagrams, else 'dgram'. */
  get implementation(): 'native' | 'dgram' | null {
    return (this.#v4 ?? this.#v6)?.kind ?? null;
  }

  async start(): Promise<void> {
    const family = isIP(this.#host);
    if (family === 4) {
      this.#v4 = await this.#bind(4, this.#host, this.#port, false);
      this.#port = this.#v4.port;
      if (this.#host === '0.0.0.0') {
        try {
          this.#v6 = await this.#bind(6, '::', this.#port, true);
        } catch (e) {
          this.#log.warn({ err: (e as Error).message }, 'IPv6 wildcard not available; serving IPv4 only');
        }
      }
    } else {
      this.#v6 = await this.#bind(6, this.#host, this.#port, this.#host !== '::');
      this.#port = this.#v6.port;
    }
  }

  async #bind(family: 4 | 6, host: string, port: number, ipv6Only: boolean): Promise<UdpBatchSocket> {
    const sock = await openUdpBatch({ family, host, port, ipv6Only, recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER }, this.#log);
    sock.start(this.#receiveBatch);
    return sock;
  }

  /** A socket's batch is already one wake's (or one turn's) worth: handed on as it is. */
  readonly #receiveBatch = (b: RecvBatch): void => {
    const batch: Datagram[] = new Array(b.count);
    for (let i = 0; i < b.count; i++) {
      const src = b.source(i);
      batch[i] = { data: b.datagram(i), address: src.address, port: src.port, family: src.family };
    }
    this.#onBatch(batch);
  };

  /** Test hook (fastify's inject idea): feed a datagram as if it came from the socket. */
  inject(data: Buffer, address: string, port: number): void {
    this.#injected.push({ data, address, port, family: isIP(address) === 6 ? 6 : 4 });
  }

  send(buf: Buffer, dest: Destination): boolean {
    const sock = dest.family === 6 ? this.#v6 : this.#v4;
    if (sock === null) {
      this.#closedErrors++;
      return false;
    }
    // Always a numeric address. Queued: what is sent in this event-loop turn leaves together
    // (the send syscall was the largest single cost in the REGISTER profile).
    sock.send(buf, dest);
    return true;
  }

  /** Sends what send() queued so far now, instead of at the end of this event-loop turn. */
  flush(): void {
    this.#v4?.flush();
    this.#v6?.flush();
  }

  /** The address to put in our Via/Contact for a peer (the bound one, or a routable one). */
  localAddress(family: 4 | 6, peer: string): string {
    return this.#local.for(family, peer);
  }

  async close(): Promise<void> {
    const v4 = this.#v4;
    const v6 = this.#v6;
    this.#v4 = this.#v6 = null;
    this.#closedErrors += (v4?.sendErrors ?? 0) + (v6?.sendErrors ?? 0);
    await Promise.all([v4?.close(), v6?.close()]);
  }
}
