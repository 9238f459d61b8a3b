// The simulated user agents of one shard: sends requests through the client transactions,
// routes responses back to them, and acts as UAS for NOTIFY (answers 200 per RFC 6665
// §4.1.3, 481 for unknown dialogs per RFC 6665 §4.1.3 / RFC 3261 §12.2.2). One SipView and
// one HoleValues are reused for every datagram and request: the per-request work is a
// template copy, a send, a byte scan and a few typed-array writes.
import { performance } from 'node:perf_hooks';
import { DeadlineQueue } from './deadline-queue.js';
import { Dialog, WANT_MARKER, type NotifyWaiter } from './dialog.js';
import { NO_DIALOG_481, NOT_IMPLEMENTED_501, OK_200, respond, type Endpoint } from './messages.js';
import { RequestTemplates, userName, type Role } from './requests.js';
import { F_CALL_ID, F_ETAG, isKeepAlive, M_NOTIFY, M_OPTIONS, M_PUBLISH, M_REGISTER, M_SUBSCRIBE, SipView } from './sip-view.js';
import { Stats } from './stats.js';
import { HoleValues, type SipTemplate } from './template.js';
import { Transport } from './transport.js';
import { RFC_TIMERS, UacTransactions, type TimerConfig } from './uac-transaction.js';

export interface AgentOptions {
  targetHost: string;
  targetPort: number;
  /** Local address to bind (numeric); defaults to the target's family loopback. */
  localHost?: string;
  /** UDP sockets of this shard (default 1). */
  sockets?: number;
  /** Distinguishes shards and runs in Call-IDs, tags, branches and user names. */
  idPrefix: string;
  timers?: TimerConfig;
  /** How long a scenario waits for an expected NOTIFY. */
  notifyTimeoutMs: number;
}

export interface PublishResult {
  status: number;
  /** SIP-ETag of a 2xx (RFC 3903 §4.1), '' when absent. */
  etag: string;
}

/**
 * Ended dialogs still answer retransmitted NOTIFYs with 200 for this long: it covers the
 * server's first retransmissions (0.5 + 1 + 2 + 4 s, RFC 3261 §17.1.2.2) without holding
 * every dialog of a long run in memory for a full timer F.
 */
const LINGER_MS = 8_000;

export class Agent {
  readonly stats = new Stats();
  readonly idPrefix: string;
  readonly #opts: AgentOptions;
  readonly #net: Transport;
  readonly #tx: UacTransactions;
  readonly #templates: RequestTemplates[];
  readonly #endpoints: Endpoint[];
  readonly #view = new SipView();
  readonly #values = new HoleValues();
  readonly #dialogs = new Map<string, Dialog>();
  readonly #linger = new DeadlineQueue<Dialog>();
  readonly #waits = new DeadlineQueue<NotifyWaiter>();
  #seq = 0;
  #aborted = false;

  private constructor(net: Transport, opts: AgentOptions) {
    this.#net = net;
    this.#opts = opts;
    this.idPrefix = opts.idPrefix;
    const domain = opts.targetHost.includes(':') ? `[${opts.targetHost}]` : opts.targetHost;
    this.#endpoints = Array.from({ length: net.count }, (_, i) => ({ localHost: net.localHost, localPort: net.port(i), domain }));
    this.#templates = this.#endpoints.map((ep) => new RequestTemplates(ep, opts.idPrefix));
    this.#tx = new UacTransactions(opts.idPrefix, (sock, buf) => net.send(sock, buf), this.stats, opts.timers ?? RFC_TIMERS);
  }

  static async open(opts: AgentOptions): Promise<Agent> {
    let agent: Agent | null = null;
    const net = await Transport.open(opts.sockets ?? 1, opts.targetHost, opts.targetPort, opts.localHost, (sock, buf, port, address) => {
      if (agent !== null) agent.#onDatagram(sock, buf, port, address);
    });
    agent = new Agent(net, opts);
    return agent;
  }

  now(): number {
    return performance.now();
  }

  get inFlight(): number {
    return this.#tx.inFlight;
  }

  get sendErrors(): number {
    return this.#net.sendErrors;
  }

  /** A socket may still hold unread datagrams (see Transport.mayHaveBacklog). */
  mayHaveBacklog(): boolean {
    return this.#net.mayHaveBacklog();
  }

  get sockets(): number {
    return this.#net.count;
  }

  /** The socket a call uses: calls are spread round-robin. */
  sockOf(n: number): number {
    return n % this.#net.count;
  }

  endpoint(sock: number): Endpoint {
    return this.#endpoints[sock]!;
  }

  templates(sock: number): RequestTemplates {
    return this.#templates[sock]!;
  }

  /** A fresh number unique within this shard and run (for markers and the like). */
  nextId(): number {
    return this.#seq++;
  }

  /** Send an out-of-dialog request for call n (watcher idx) and resolve with its final status (408 on timer F). */
  request(method: number, sock: number, tpl: SipTemplate, n: number, idx = 0, s0 = ''): Promise<number> {
    return new Promise<number>((resolve) => {
      if (this.#tx.closed) return resolve(408);
      const slot = this.#tx.begin(method, sock, resolve);
      this.#values.str[0] = s0;
      this.#tx.send(slot, tpl.render(this.#values.set(slot, this.#tx.genOf(slot), n, idx)), this.now());
    });
  }

  register(sock: number, tpl: SipTemplate, n: number): Promise<number> {
    return this.request(M_REGISTER, sock, tpl, n);
  }

  /** PUBLISH; `ifMatch` fills the template's SIP-If-Match (RFC 3903 §4.4). */
  publish(sock: number, tpl: SipTemplate, n: number, ifMatch: string): Promise<PublishResult> {
    return new Promise<PublishResult>((resolve) => {
      if (this.#tx.closed) return resolve({ status: 408, etag: '' });
      const slot = this.#tx.begin(M_PUBLISH, sock, (status, res) => resolve({ status, etag: res === null ? '' : res.str(F_ETAG) }));
      this.#values.str[0] = ifMatch;
      this.#tx.send(slot, tpl.render(this.#values.set(slot, this.#tx.genOf(slot), n, 0)), this.now());
    });
  }

  /** Initial SUBSCRIBE; the dialog exists before the 200 so that an early NOTIFY finds it. */
  subscribe(sock: number, tpl: SipTemplate, call: { n: number; idx: number; watcher: Role; presentity: Role }): Promise<{ status: number; dialog: Dialog | null }> {
    return new Promise((resolve) => {
      if (this.#tx.closed) return resolve({ status: 408, dialog: null });
      let dialog: Dialog | null = null;
      const slot = this.#tx.begin(M_SUBSCRIBE, sock, (status, res) => {
        if (res !== null && status >= 200 && status < 300) dialog!.learnFromResponse(res);
        resolve({ status, dialog });
      });
      const gen = this.#tx.genOf(slot);
      dialog = new Dialog(this.idPrefix, slot, gen, sock, call);
      this.#dialogs.set(dialog.callId, dialog);
      this.#tx.send(slot, tpl.render(this.#values.set(slot, gen, call.n, call.idx)), this.now());
    });
  }

  /** In-dialog SUBSCRIBE (refresh, or Expires 0 to end it, RFC 6665 §4.1.2.3). */
  resubscribe(d: Dialog, expires: number): Promise<number> {
    return new Promise<number>((resolve) => {
      if (this.#tx.closed) return resolve(408);
      d.cseq++;
      const tpl = this.#templates[d.sock]!.subscribeInDialog(d.watcher, d.presentity);
      const slot = this.#tx.begin(M_SUBSCRIBE, d.sock, resolve);
      const v = this.#values;
      // Request-URI: the 2xx's Contact (RFC 6665 §4.1.2.1), else the presentity's AoR.
      v.str[0] = d.remoteTarget !== '' ? d.remoteTarget : `sip:${userName(d.presentity, this.idPrefix, d.n, d.idx)}@${this.#endpoints[d.sock]!.domain}`;
      v.str[1] = d.toTag;
      v.str[2] = String(d.cseq);
      v.str[3] = String(expires);
      this.#tx.send(slot, tpl.render(v.set(slot, this.#tx.genOf(slot), d.n, d.idx).dialog(d.idSlot, d.idGen)), this.now());
    });
  }

  /** Wait (bounded by notifyTimeoutMs) for a NOTIFY on `d`; false on timeout. */
  waitNotify(d: Dialog, want: number, marker: Buffer | null = null): Promise<boolean> {
    if (this.#aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const w = d.take(want, want === WANT_MARKER ? marker : null, resolve);
      if (w !== null) this.#waits.push(this.now() + this.#opts.notifyTimeoutMs, w);
    });
  }

  /** The scenario is done with `d`: keep answering its retransmitted NOTIFYs for a while. */
  release(d: Dialog): void {
    this.#linger.push(this.now() + LINGER_MS, d);
  }

  tick(now: number): void {
    this.#tx.tick(now);
    this.#waits.drain(now, (w) => w.dialog.expire(w));
    this.#linger.drain(now, (d) => {
      if (this.#dialogs.get(d.callId) === d) this.#dialogs.delete(d.callId);
    });
  }

  /** End of run: every pending transaction ends as 408 and every NOTIFY wait as missing, so scenarios finish. */
  abortAll(): void {
    this.#aborted = true;
    this.#tx.abortAll();
    this.#waits.drain(Number.POSITIVE_INFINITY, (w) => w.dialog.expire(w));
  }

  close(): Promise<void> {
    return this.#net.close();
  }

  #onDatagram(sock: number, buf: Buffer, port: number, address: string): void {
    if (isKeepAlive(buf)) return;
    const m = this.#view;
    if (!m.scan(buf)) return;
    if (!m.isRequest) {
      this.#tx.onResponse(m, this.now());
      return;
    }
    if (m.method === M_NOTIFY) this.#onNotify(sock, m, port, address);
    // OPTIONS pings get 200; anything else is not something a watcher implements.
    else this.#net.sendTo(sock, respond(m, m.method === M_OPTIONS ? OK_200 : NOT_IMPLEMENTED_501), port, address);
  }

  #onNotify(sock: number, m: SipView, port: number, address: string): void {
    const d = this.#dialogs.get(m.str(F_CALL_ID));
    if (d === undefined || !d.owns(m)) {
      this.stats.strayNotifies++;
      this.#net.sendTo(sock, respond(m, NO_DIALOG_481), port, address);
      return;
    }
    this.#net.sendTo(sock, respond(m, OK_200), port, address);
    if (m.cseq <= d.lastNotifyCseq) {
      this.stats.notifyRetrans++;
      return;
    }
    d.lastNotifyCseq = m.cseq;
    this.stats.notifies++;
    d.deliver(m);
  }
}
