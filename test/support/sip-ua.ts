// A small SIP user agent for end-to-end tests: sends requests over UDP on loopback, collects
// what the server sends back, and (optionally) answers NOTIFYs with 200.
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { parseSipMessage } from '../../src/codec/sip/parse.js';
import type { SipMessage, SipRequest, SipResponse } from '../../src/codec/sip/types.js';

/** Multiplies every wait bound (COMSIPL_TEST_WAIT_SCALE, default 3). */
export const WAIT_SCALE = Number(process.env.COMSIPL_TEST_WAIT_SCALE ?? 3) || 3;

export function hdr(msg: SipMessage, name: string): string | undefined {
  const n = name.toLowerCase();
  return msg.headers.find((h) => h.name.toLowerCase() === n)?.value;
}

export function hdrs(msg: SipMessage, name: string): string[] {
  const n = name.toLowerCase();
  return msg.headers.filter((h) => h.name.toLowerCase() === n).map((h) => h.value);
}

export function tagOf(value: string | undefined): string | undefined {
  return value?.match(/;\s*tag=([^;>\s]+)/i)?.[1];
}

export function rand(n = 6): string {
  return randomBytes(n).toString('hex');
}

export interface ReqSpec {
  method: string;
  uri: string;
  from: string; // name-addr with tag
  to: string;
  callId: string;
  cseq: number;
  headers?: [string, string][];
  body?: string;
  branch?: string;
  contentLength?: boolean;
}

export class SipUA {
  readonly sock: dgram.Socket;
  readonly received: { msg: SipMessage; raw: Buffer }[] = [];
  port = 0;
  autoAnswerNotify = true;
  notifyAnswerStatus = 200;
  readonly #waiters: { pred: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void; start: number }[] = [];
  readonly host: string;

  constructor(host = '127.0.0.1') {
    this.host = host;
    this.sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.sock.on('message', (raw, rinfo) => this.#onMessage(raw, rinfo.address, rinfo.port));
  }

  async bind(): Promise<this> {
    await new Promise<void>((r) => this.sock.bind(0, this.host, () => r()));
    this.port = this.sock.address().port;
    return this;
  }

  get hostPort(): string {
    return this.host.includes(':') ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  #onMessage(raw: Buffer, address: string, port: number): void {
    const r = parseSipMessage(raw);
    if (!r.ok) return;
    const msg = r.msg;
    const idx = this.received.length;
    this.received.push({ msg, raw });
    if (msg.kind === 'request' && msg.method === 'NOTIFY' && this.autoAnswerNotify) {
      this.sendRaw(this.responseTo(msg, this.notifyAnswerStatus), port, address);
    }
    for (let i = 0; i < this.#waiters.length; i++) {
      const w = this.#waiters[i]!;
      if (idx >= w.start && w.pred(msg)) {
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
      `Via: SIP/2.0/UDP ${this.hostPort};branch=${branch};rport`,
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

  sendRaw(data: string | Buffer, port: number, host = this.host): void {
    this.sock.send(typeof data === 'string' ? Buffer.from(data) : data, port, host);
  }

  /**
   * Waits for the next message (received after this call) that satisfies `pred`. The timeout is
   * an upper bound for a message that never comes, scaled by WAIT_SCALE: a busy CI machine must
   * not turn a slow answer into a failure (only a missing one).
   */
  waitFor(pred: (m: SipMessage) => boolean, timeoutMs = 3000, fromIndex = this.received.length): Promise<SipMessage> {
    for (let i = fromIndex; i < this.received.length; i++) if (pred(this.received[i]!.msg)) return Promise.resolve(this.received[i]!.msg);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (m: SipMessage) => { clearTimeout(t); resolve(m); }, start: this.received.length };
      const t = setTimeout(() => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new Error(`timed out waiting for a message; got: ${this.received.slice(fromIndex).map((r) => r.raw.toString().split('\r\n')[0]).join(' | ')}`));
      }, timeoutMs * WAIT_SCALE);
      this.#waiters.push(w);
    });
  }

  /** Sends a request and resolves with its final response (matched by Call-ID and CSeq). */
  async request(spec: ReqSpec, port: number, timeoutMs = 3000): Promise<SipResponse> {
    const from = this.received.length;
    this.sendRaw(this.build(spec), port);
    const cseq = `${spec.cseq} ${spec.method}`;
    return (await this.waitFor(
      (m) => m.kind === 'response' && m.status >= 200 && hdr(m, 'Call-ID') === spec.callId && hdr(m, 'CSeq')?.replace(/\s+/g, ' ') === cseq,
      timeoutMs,
      from,
    )) as SipResponse;
  }

  waitNotify(callId: string, timeoutMs = 3000, fromIndex?: number): Promise<SipRequest> {
    return this.waitFor((m) => m.kind === 'request' && m.method === 'NOTIFY' && hdr(m, 'Call-ID') === callId, timeoutMs, fromIndex) as Promise<SipRequest>;
  }

  notifies(callId: string): SipRequest[] {
    return this.received.map((r) => r.msg).filter((m): m is SipRequest => m.kind === 'request' && m.method === 'NOTIFY' && hdr(m, 'Call-ID') === callId);
  }

  close(): void {
    this.sock.close();
  }
}

export function body(msg: SipMessage): string {
  return Buffer.from(msg.body).toString('utf8');
}

export const PIDF = (entity: string, basic: 'open' | 'closed', tupleId = 't1', note?: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${entity}"><tuple id="${tupleId}"><status><basic>${basic}</basic></status>${note ? `<note>${note}</note>` : ''}</tuple></presence>`;
