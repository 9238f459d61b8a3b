// The UDP sockets of one generator shard (`--sockets N`): each bound to its own port on the
// loopback of the target's family. Calls are spread over them (call n uses socket n mod N), so
// a server that spreads sources over workers or queues sees several, and each socket has its
// own kernel receive buffer to ride out a pause of the event loop.
import dgram from 'node:dgram';

const SOCKET_BUFFER = 8 * 1024 * 1024;
/** libuv reads at most this many datagrams from a UDP socket per event-loop turn (uv__udp_recvmsg). */
const LIBUV_READS_PER_TURN = 32;

// The target is always numeric (options.ts): answer the lookup at once. Node's default
// resolves even an IP literal through dns.lookup and a process.nextTick per datagram sent.
function numericLookup(address: string, _family: unknown, cb: (err: null, address: string, family: number) => void): void {
  cb(null, address, address.includes(':') ? 6 : 4);
}

export type DatagramHandler = (sock: number, buf: Buffer, port: number, address: string) => void;

export class Transport {
  readonly localHost: string;
  readonly #socks: dgram.Socket[];
  readonly #targetHost: string;
  readonly #targetPort: number;
  /** Datagrams read per socket since the last `mayHaveBacklog()`. */
  readonly #reads: Int32Array;
  sendErrors = 0;

  private constructor(socks: dgram.Socket[], localHost: string, targetHost: string, targetPort: number, count: number) {
    this.#socks = socks;
    this.#reads = new Int32Array(count);
    this.localHost = localHost;
    this.#targetHost = targetHost;
    this.#targetPort = targetPort;
  }

  static async open(count: number, targetHost: string, targetPort: number, localHost: string | undefined, onDatagram: DatagramHandler): Promise<Transport> {
    const v6 = targetHost.includes(':');
    const host = localHost ?? (v6 ? '::1' : '127.0.0.1');
    const socks: dgram.Socket[] = [];
    const t = new Transport(socks, host, targetHost, targetPort, count);
    const reads = t.#reads;
    try {
      for (let i = 0; i < count; i++) {
        const sock = dgram.createSocket({
          type: v6 ? 'udp6' : 'udp4', recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER, lookup: numericLookup,
        });
        socks.push(sock);
        await new Promise<void>((resolve, reject) => {
          sock.once('error', reject);
          sock.bind(0, host, () => {
            sock.off('error', reject);
            resolve();
          });
        });
        const index = i;
        sock.on('message', (buf, rinfo) => {
          reads[index]!++;
          onDatagram(index, buf, rinfo.port, rinfo.address);
        });
        // Send failures (ENOBUFS under overload) are counted; timer E retransmits anyway.
        sock.on('error', () => {
          t.sendErrors++;
        });
      }
    } catch (err) {
      await t.close();
      throw err;
    }
    return t;
  }

  /**
   * True when a socket delivered a full libuv batch since the last call: more datagrams may be
   * waiting in its kernel buffer. Resets the counts.
   */
  mayHaveBacklog(): boolean {
    let full = false;
    for (let i = 0; i < this.#reads.length; i++) {
      if (this.#reads[i]! >= LIBUV_READS_PER_TURN) full = true;
      this.#reads[i] = 0;
    }
    return full;
  }

  get count(): number {
    return this.#socks.length;
  }

  port(sock: number): number {
    return this.#socks[sock]!.address().port;
  }

  /** To the target. No callback: Node then sends synchronously (uv_udp_try_send) without a request object. */
  send(sock: number, buf: Buffer): void {
    this.#socks[sock]!.send(buf, this.#targetPort, this.#targetHost);
  }

  /** A response to a request received on `sock` from address:port (RFC 3261 §18.2.2). */
  sendTo(sock: number, buf: Buffer, port: number, address: string): void {
    this.#socks[sock]!.send(buf, port, address);
  }

  async close(): Promise<void> {
    await Promise.all(this.#socks.map((s) => new Promise<void>((resolve) => {
      try {
        s.close(() => resolve());
      } catch {
        resolve(); // never bound
      }
    })));
  }
}
