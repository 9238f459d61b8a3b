// The node:dgram implementation of UdpBatchSocket: the fallback on every platform. Datagrams
// are collected for one event-loop turn (one 'message' event each) and handed on as a batch;
// sends go out one by one through dgram's synchronous try-send path.
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { Destination } from './destination.js';
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
  readonly #bufs: Buffer[];
  readonly #sources: Destination[];
  #data: Uint8Array | null = null;
  #ends: Uint32Array | null = null;

  constructor(bufs: Buffer[], sources: Destination[]) {
    this.count = bufs.length;
    this.#bufs = bufs;
    this.#sources = sources;
  }

  // Packed only when asked for: a consumer that takes datagram(i) keeps dgram's own Buffers.
  get data(): Uint8Array {
    if (this.#data === null) this.#pack();
    return this.#data!;
  }

  get ends(): Uint32Array {
    if (this.#ends === null) this.#pack();
    return this.#ends!;
  }

  #pack(): void {
    let total = 0;
    for (const b of this.#bufs) total += b.length;
    const data = new Uint8Array(total);
    const ends = new Uint32Array(this.#bufs.length);
    let off = 0;
    for (let i = 0; i < this.#bufs.length; i++) {
      data.set(this.#bufs[i]!, off);
      off += this.#bufs[i]!.length;
      ends[i] = off;
    }
    this.#data = data;
    this.#ends = ends;
  }

  datagram(i: number): Buffer {
    return this.#bufs[i]!;
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
