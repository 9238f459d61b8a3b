// A minimal WebSocket client (RFC 6455) for the kit's SIP-over-WebSocket smoke run (RFC 7118):
// the opening handshake with Sec-WebSocket-Protocol: sip, masked text frames out, unmasked text
// frames in (no fragmentation, no extensions). Node 20 has no WebSocket client without a flag.
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

export class WsClient {
  #buf = Buffer.alloc(0);
  #open = false;
  readonly messages: string[] = [];
  #waiters: (() => void)[] = [];

  private constructor(private readonly socket: net.Socket) {}

  static async connect(host: string, port: number, timeoutMs = 5000): Promise<WsClient> {
    const socket = net.connect(port, host);
    const c = new WsClient(socket);
    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('WebSocket handshake timed out')), timeoutMs);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.write(`GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n`);
      });
      socket.on('data', (d: Buffer) => {
        c.#buf = Buffer.concat([c.#buf, d]);
        if (!c.#open) {
          const end = c.#buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = c.#buf.subarray(0, end).toString('latin1');
          c.#buf = c.#buf.subarray(end + 4);
          clearTimeout(timer);
          if (!/^HTTP\/1\.1 101/.test(head) || !head.includes(accept)) {
            reject(new Error(`WebSocket handshake refused: ${head.split('\r\n')[0]}`));
            return;
          }
          c.#open = true;
          resolve();
        }
        c.#readFrames();
      });
    });
    return c;
  }

  #readFrames(): void {
    for (;;) {
      if (this.#buf.length < 2) return;
      let len = this.#buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.#buf.length < 4) return;
        len = this.#buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.#buf.length < 10) return;
        len = Number(this.#buf.readBigUInt64BE(2));
        off = 10;
      }
      if (this.#buf.length < off + len) return;
      const opcode = this.#buf[0]! & 0x0f;
      const payload = this.#buf.subarray(off, off + len);
      this.#buf = this.#buf.subarray(off + len);
      if (opcode === 1 || opcode === 2) this.messages.push(payload.toString('utf8'));
      for (const w of this.#waiters.splice(0)) w();
    }
  }

  send(text: string): void {
    const payload = Buffer.from(text, 'utf8');
    const mask = randomBytes(4);
    const head = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length])
      : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
    const body = Buffer.alloc(payload.length);
    for (let i = 0; i < payload.length; i++) body[i] = payload[i]! ^ mask[i & 3]!;
    this.socket.write(Buffer.concat([head, mask, body]));
  }

  /** Waits for (and removes) the first received message that `match` accepts. */
  async next(match: (m: string) => boolean, timeoutMs = 5000): Promise<string> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex(match);
      if (i >= 0) return this.messages.splice(i, 1)[0]!;
      const left = end - performance.now();
      if (left <= 0) throw new Error('timed out waiting for a WebSocket message');
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** The client's end of the connection (its Contact for NOTIFYs over this connection). */
  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  close(): void {
    this.socket.destroy();
  }
}
