// The node:dgram implementation of UdpBatchSocket: the fallback on every platform. Datagrams
// are collected for one event-loop turn (one 'message' event each) and handed on as a batch;
// sends go out one by one through dgram's synchronous try-send path.
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { Destination } from '../transaction/server-transactions.js';
import type { OutDatagram, RecvBatch, UdpBatchOptions, UdpBatchSocket } from './udp-batch.js';

const DEFAULT_SOCKET_BUFFER = 8 * 1024 * 1024;

/**
 * dgram runs every send through dns.lookup, even for a numeric address. Only numeric
 * addresses are ever sent to here, so the lookup is the identity.
 */
function numericLookup(address: string, _opts: unknown, cb: (err: Error | null, address: string, family: number) => void): void {
  cb(null, address, isIP(address) === 6 ? 6 : 4);
}

class DgramRecvBatch implements RecvBatch {
  readonly count: number;
  readonly data: Uint8Array;
  readonly ends: Uint32Array;
  readonly #sources: Destination[];

  constructor(bufs: Buffer[], sources: Destination[]) {
    this.count = bufs.length;
    let total = 0;
    for (const b of bufs) total += b.length;
    this.data = new Uint8Array(total);
    this.ends = new Uint32Array(bufs.length);
    let off = 0;
    for (let i = 0; i < bufs.length; i++) {
      this.data.set(bufs[i]!, off);
      off += bufs[i]!.length;
      this.ends[i] = off;
    }
    this.#sources = sources;
  }

  datagram(i: number): Buffer {
    const start = i === 0 ? 0 : this.ends[i - 1]!;
    return Buffer.from(this.data.buffer, this.data.byteOffset + start, this.ends[i]! - start);
  }

  source(i: number): Destination {
    return this.#sources[i]!;
  }
}

export class DgramBatchSocket implements UdpBatchSocket {
  readonly kind = 'dgram';
  readonly family: 4 | 6;
  readonly #sock: dgram.Socket;
  #port: number;
  #bufs: Buffer[] = [];
  #sources: Destination[] = [];
  #scheduled = false;
  #onBatch: ((b: RecvBatch) => void) | null = null;
  #closed = false;
  sendErrors = 0;

  private constructor(sock: dgram.Socket, family: 4 | 6) {
    this.#sock = sock;
    this.family = family;
    this.#port = sock.address().port;
  }

  static open(opts: UdpBatchOptions): Promise<DgramBatchSocket> {
    const sock = dgram.createSocket({
      type: opts.family === 6 ? 'udp6' : 'udp4',
      ipv6Only: opts.ipv6Only ?? false,
      recvBufferSize: opts.recvBufferSize ?? DEFAULT_SOCKET_BUFFER,
      sendBufferSize: opts.sendBufferSize ?? DEFAULT_SOCKET_BUFFER,
      lookup: numericLookup,
    });
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(opts.port, opts.host, () => {
        sock.off('error', reject);
        resolve(new DgramBatchSocket(sock, opts.family));
      });
    });
  }

  get port(): number {
    return this.#port;
  }

  start(onBatch: (batch: RecvBatch) => void): void {
    this.#onBatch = onBatch;
    // A failed send (no callback given) and ICMP errors surface here; they are counted, never fatal.
    this.#sock.on('error', () => this.sendErrors++);
    this.#sock.on('message', (data, rinfo) => {
      this.#bufs.push(data);
      this.#sources.push({ address: rinfo.address, port: rinfo.port, family: rinfo.family === 'IPv6' ? 6 : 4 });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(this.#deliver);
      }
    });
  }

  readonly #deliver = (): void => {
    this.#scheduled = false;
    if (this.#closed || this.#bufs.length === 0) return;
    const batch = new DgramRecvBatch(this.#bufs, this.#sources);
    this.#bufs = [];
    this.#sources = [];
    this.#onBatch?.(batch);
  };

  send(buf: Buffer, dest: Destination): void {
    if (this.#closed) {
      this.sendErrors++;
      return;
    }
    // No callback on purpose: without one, Node tries a synchronous uv_udp_try_send and skips
    // the per-send completion request. Nothing is gained by queueing here.
    this.#sock.send(buf, dest.port, dest.address);
  }

  sendMany(items: readonly OutDatagram[]): void {
    for (const it of items) this.send(it.buf, it.dest);
  }

  flush(): void {}

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#sock.close(() => resolve()));
  }
}
