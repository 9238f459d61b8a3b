// A small SIP user agent over a connection, for end-to-end tests: TCP, TLS (any certificate
// accepted), WS or WSS (the `ws` client, sub-protocol `sip`). Same habits as SipUA (sip-ua.ts):
// collects what the server sends, answers NOTIFYs with 200, waits with timeouts.
import net from 'node:net';
import tls from 'node:tls';
import { WebSocket } from 'ws';
import { parseSipMessage } from '../../src/codec/sip/parse.js';
import { StreamFramer } from '../../src/transport/framing.js';
import type { SipMessage, SipRequest, SipResponse } from '../../src/codec/sip/types.js';
import { hdr, hdrs, rand, type ReqSpec } from './sip-ua.js';

export type StreamKind = 'tcp' | 'tls' | 'ws' | 'wss';

export class StreamUA {
  readonly kind: StreamKind;
  readonly received: { msg: SipMessage; raw: Buffer }[] = [];
  /** Raw bytes that were not SIP messages (CRLF pongs). */
  readonly other: Buffer[] = [];
  autoAnswerNotify = true;
  notifyAnswerStatus = 200;
  closed = false;
  localPort = 0;
  #sock: net.Socket | null = null;
  #ws: WebSocket | null = null;
  readonly #framer = new StreamFramer({ maxMessage: 1 << 20 });
  readonly #waiters: { pred: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];
  /** The host name our Via and Contact show (SIP.js style `.invalid` on WebSockets). */
  viaHost: string;

  private constructor(kind: StreamKind) {
    this.kind = kind;
    this.viaHost = kind === 'ws' || kind === 'wss' ? `${rand(4)}.invalid` : '127.0.0.1';
  }

  static async connect(kind: StreamKind, port: number, host = '127.0.0.1', opts: { protocol?: string | null } = {}): Promise<StreamUA> {
    const ua = new StreamUA(kind);
    if (kind === 'ws' || kind === 'wss') {
      const protocol = opts.protocol === undefined ? 'sip' : opts.protocol;
      const ws = new WebSocket(`${kind}://${host.includes(':') ? `[${host}]` : host}:${port}/`, protocol === null ? [] : [protocol], { rejectUnauthorized: false });
      ua.#ws = ws;
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      });
      ws.on('message', (d: Buffer) => ua.#onMessage(d));
      ws.on('close', () => (ua.closed = true));
      ws.on('error', () => undefined);
      ua.localPort = (ws as unknown as { _socket: net.Socket })._socket.localPort ?? 0;
      return ua;
    }
    const sock = kind === 'tls' ? tls.connect({ host, port, rejectUnauthorized: false }) : net.connect({ host, port });
    ua.#sock = sock;
    await new Promise<void>((resolve, reject) => {
      sock.once(kind === 'tls' ? 'secureConnect' : 'connect', () => resolve());
      sock.once('error', reject);
    });
    sock.on('data', (chunk: Buffer) => {
      if (chunk.length === 2 && chunk[0] === 13 && chunk[1] === 10) ua.other.push(chunk); // a pong
      ua.#framer.push(chunk, Date.now(), (f) => {
        if (f.t === 'message') ua.#onMessage(f.data);
      });
    });
    sock.on('close', () => (ua.closed = true));
    sock.on('error', () => undefined);
    ua.localPort = sock.localPort ?? 0;
    return ua;
  }

  get transportToken(): string {
    return this.kind.toUpperCase();
  }

  get hostPort(): string {
    return `${this.viaHost}:${this.localPort}`;
  }

  /** A Contact URI as the client would give it (`;transport=` of its kind). */
  contact(user: string): string {
    return `<sip:${user}@${this.hostPort};transport=${this.kind}>`;
  }

  #onMessage(raw: Buffer): void {
    const r = parseSipMessage(raw);
    if (!r.ok) {
      this.other.push(Buffer.from(raw));
      return;
    }
    const msg = r.msg;
    this.received.push({ msg, raw: Buffer.from(raw) });
    if (msg.kind === 'request' && msg.method === 'NOTIFY' && this.autoAnswerNotify) this.sendRaw(this.responseTo(msg, this.notifyAnswerStatus));
    for (let i = 0; i < this.#waiters.length; i++) {
      const w = this.#waiters[i]!;
      if (w.pred(msg)) {
        this.#waiters.splice(i, 1);
        w.resolve(msg);
        return;
      }
    }
  }

  responseTo(req: SipRequest, status: number, reason = 'OK'): string {
    const lines = [`SIP/2.0 ${status} ${reason}`];
    for (const v of hdrs(req, 'Via')) lines.push(`Via: ${v}`);
    lines.push(`From: ${hdr(req, 'From')}`, `To: ${hdr(req, 'To')}`, `Call-ID: ${hdr(req, 'Call-ID')}`, `CSeq: ${hdr(req, 'CSeq')}`, 'Content-Length: 0', '', '');
    return lines.join('\r\n');
  }

  build(spec: ReqSpec): string {
    const branch = spec.branch ?? `z9hG4bK${rand()}`;
    const lines = [
      `${spec.method} ${spec.uri} SIP/2.0`,
      `Via: SIP/2.0/${this.transportToken} ${this.hostPort};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: ${spec.from}`,
      `To: ${spec.to}`,
      `Call-ID: ${spec.callId}`,
      `CSeq: ${spec.cseq} ${spec.method}`,
    ];
    for (const [k, v] of spec.headers ?? []) lines.push(`${k}: ${v}`);
    const body = spec.body ?? '';
    if (spec.contentLength !== false) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    return `${lines.join('\r\n')}\r\n\r\n${body}`;
  }

  sendRaw(data: string | Buffer): void {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.#ws !== null) this.#ws.send(buf, { binary: false });
    else this.#sock!.write(buf);
  }

  waitFor(pred: (m: SipMessage) => boolean, timeoutMs = 5000, fromIndex = this.received.length): Promise<SipMessage> {
    for (let i = fromIndex; i < this.received.length; i++) if (pred(this.received[i]!.msg)) return Promise.resolve(this.received[i]!.msg);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (m: SipMessage) => { clearTimeout(t); resolve(m); } };
      const t = setTimeout(() => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new Error(`${this.kind}: timed out waiting; got: ${this.received.slice(fromIndex).map((r) => r.raw.toString().split('\r\n')[0]).join(' | ')}`));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  async request(spec: ReqSpec, timeoutMs = 5000): Promise<SipResponse> {
    const from = this.received.length;
    this.sendRaw(this.build(spec));
    const cseq = `${spec.cseq} ${spec.method}`;
    return (await this.waitFor(
      (m) => m.kind === 'response' && m.status >= 200 && hdr(m, 'Call-ID') === spec.callId && hdr(m, 'CSeq')?.replace(/\s+/g, ' ') === cseq,
      timeoutMs,
      from,
    )) as SipResponse;
  }

  waitNotify(callId: string, timeoutMs = 5000, fromIndex?: number): Promise<SipRequest> {
    return this.waitFor((m) => m.kind === 'request' && m.method === 'NOTIFY' && hdr(m, 'Call-ID') === callId, timeoutMs, fromIndex) as Promise<SipRequest>;
  }

  notifies(callId: string): SipRequest[] {
    return this.received.map((r) => r.msg).filter((m): m is SipRequest => m.kind === 'request' && m.method === 'NOTIFY' && hdr(m, 'Call-ID') === callId);
  }

  /** Waits until the server closed the connection (or the timeout passed); true when closed. */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    return this.closed;
  }

  close(): void {
    this.#ws?.terminate();
    this.#sock?.destroy();
  }
}
