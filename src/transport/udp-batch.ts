// One UDP socket that receives and sends in batches: the interface the transport uses, and the
// choice between its two implementations. 'native' is the addon in native/udp-batch (one
// recvmmsg/sendmmsg per batch, one JS call per readable wake); 'dgram' is node:dgram, always
// there. The choice is made once per process and logged once: COMSIPL_UDP=dgram forces the
// fallback, COMSIPL_UDP=native makes a missing addon an error instead of a fallback.
import type { Logger } from '../log.js';
import type { Destination } from './destination.js';
import { DgramBatchSocket } from './udp-batch-dgram.js';
import { loadNativeUdp, NativeBatchSocket } from './udp-batch-native.js';

/** What one receive turn read: datagrams back to back in `data`, datagram i ending at ends[i]. */
export interface RecvBatch {
  readonly count: number;
  /** One standalone buffer (not a pool slab): may be transferred to a worker. */
  readonly data: Uint8Array;
  readonly ends: Uint32Array;
  /** Datagram i as a view into `data` (no copy). */
  datagram(i: number): Buffer;
  /** Where datagram i came from (address strings are cached, not rebuilt per datagram). */
  source(i: number): Destination;
}

export interface OutDatagram {
  buf: Buffer;
  dest: Destination;
}

export interface UdpBatchOptions {
  family: 4 | 6;
  /** A numeric address to bind ('0.0.0.0', '::', '127.0.0.1' ...). */
  host: string;
  port: number;
  ipv6Only?: boolean;
  recvBufferSize?: number;
  sendBufferSize?: number;
  /** Datagrams per recvmmsg (native only; 1 = one recvmsg per datagram). */
  recvBatch?: number;
  /** Datagrams handed on per readable wake, at most (the rest wait for the next turn). */
  maxPerWake?: number;
}

export interface UdpBatchSocket {
  readonly kind: 'native' | 'dgram';
  readonly family: 4 | 6;
  /** The bound port (the kernel's choice when 0 was asked for). */
  readonly port: number;
  /** Datagrams that could not be sent (bad address, unreachable, queue full). */
  readonly sendErrors: number;
  start(onBatch: (batch: RecvBatch) => void): void;
  /** Queues one datagram; everything queued in this event-loop turn leaves in one batch. */
  send(buf: Buffer, dest: Destination): void;
  /** Sends these now, in as few syscalls as the implementation can. */
  sendMany(items: readonly OutDatagram[]): void;
  /** Sends what send() queued so far without waiting for the end of the turn. */
  flush(): void;
  close(): Promise<void>;
}

export type UdpImplChoice = { kind: 'native' } | { kind: 'dgram'; reason: string };

let choice: UdpImplChoice | null = null;

/** Decides once per process which implementation to use, and logs the choice once. */
export function udpImplementation(log?: Logger): UdpImplChoice {
  if (choice !== null) return choice;
  const want = process.env['COMSIPL_UDP'] ?? 'auto';
  if (want === 'dgram') {
    choice = { kind: 'dgram', reason: 'COMSIPL_UDP=dgram' };
  } else {
    const loaded = loadNativeUdp();
    if (loaded.ok) choice = { kind: 'native' };
    else if (want === 'native') throw new Error(`COMSIPL_UDP=native but the addon is unavailable: ${loaded.reason}`);
    else choice = { kind: 'dgram', reason: loaded.reason };
  }
  if (choice.kind === 'native') log?.info({ udp: 'native' }, 'udp: recvmmsg/sendmmsg addon');
  else log?.info({ udp: 'dgram', why: choice.reason }, 'udp: node:dgram');
  return choice;
}

/** Test hook: forget the choice so that the next udpImplementation() reads the environment again. */
export function resetUdpImplementationChoice(): void {
  choice = null;
}

export async function openUdpBatch(opts: UdpBatchOptions, log?: Logger): Promise<UdpBatchSocket> {
  const impl = udpImplementation(log);
  return impl.kind === 'native' ? NativeBatchSocket.open(opts) : DgramBatchSocket.open(opts);
}
