// The transport seam: what the server needs of UDP, TCP, TLS, WS and WSS alike. A transport
// delivers whole SIP messages (a datagram, a Content-Length-framed stream message, a WebSocket
// frame) with their source, batched per event-loop turn, and sends bytes to a destination.
import type { Destination, TransportName } from './destination.js';

/** One received SIP message and where it came from (transport and flow included). */
export interface Inbound extends Destination {
  data: Buffer;
}

export type InboundSink = (batch: Inbound[]) => void;

export interface Transport {
  readonly name: TransportName;
  /** No retransmissions and timer J = 0 on reliable transports (RFC 3261 §17). */
  readonly reliable: boolean;
  /** The bound port (after start). */
  readonly port: number;
  start(): Promise<void>;
  close(): Promise<void>;
  /**
   * Sends `buf`. False when it cannot go now (no such connection and none may be opened, or no
   * socket for the family): the caller treats that as a transport error (RFC 3261 §17.1.4).
   */
  send(buf: Buffer, dest: Destination): boolean;
  /** The address to put in our Via/Contact for a peer at `peer`. */
  localAddress(family: 4 | 6, peer: string): string;
}

/** Collects what arrives during one turn and hands it on at once (one parse task per turn). */
export class TurnBatch {
  #batch: Inbound[] = [];
  #scheduled = false;
  readonly #sink: InboundSink;

  constructor(sink: InboundSink) {
    this.#sink = sink;
  }

  push(m: Inbound): void {
    this.#batch.push(m);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const batch = this.#batch;
    this.#batch = [];
    this.#sink(batch);
  };
}
