// One UDP socket shared by all simulated user agents of a shard: sends requests through the
// client transactions, routes responses back to them, and acts as UAS for NOTIFY (answers
// 200 per RFC 6665 §4.1.3, 481 for unknown dialogs per RFC 6665 §4.1.3 / RFC 3261 §12.2.2).
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { DeadlineQueue } from './deadline-queue.js';
import { Dialog, type NotifyPredicate, type NotifyWaiter } from './dialog.js';
import {
  aor, buildPublish, buildRegister, buildResponse, buildSubscribe, type Endpoint, type PublishArgs,
} from './messages.js';
import { isKeepAlive, scanMessage, type ScannedMessage } from './sip-scan.js';
import { Stats } from './stats.js';
import { RFC_TIMERS, UacTransactions, type TimerConfig, type TxResult } from './uac-transaction.js';

export interface AgentOptions {
  targetHost: string;
  targetPort: number;
  /** Local address to bind (numeric); defaults to the target's family loopback. */
  localHost?: string;
  /** Distinguishes shards and runs in Call-IDs, tags and user names. */
  idPrefix: string;
  timers?: TimerConfig;
  /** How long a scenario waits for an expected NOTIFY. */
  notifyTimeoutMs: number;
}

/**
 * Ended dialogs still answer retransmitted NOTIFYs with 200 for this long: it covers the
 * server's first retransmissions (0.5 + 1 + 2 + 4 s, RFC 3261 §17.1.2.2) without holding
 * every dialog of a long run in memory for a full timer F.
 */
const LINGER_MS = 8_000;
const SOCKET_BUFFER = 8 * 1024 * 1024;

export class Agent {
  readonly stats = new Stats();
  readonly ep: Endpoint;
  readonly idPrefix: string;
  readonly #sock: dgram.Socket;
  readonly #opts: AgentOptions;
  readonly #tx: UacTransactions;
  readonly #dialogs = new Map<string, Dialog>();
  readonly #linger = new DeadlineQueue<Dialog>();
  readonly #waits = new DeadlineQueue<NotifyWaiter>();
  #seq = 0;
  #aborted = false;
  sendErrors = 0;

  private constructor(sock: dgram.Socket, opts: AgentOptions, ep: Endpoint) {
    this.#sock = sock;
    this.#opts = opts;
    this.ep = ep;
    this.idPrefix = opts.idPrefix;
    this.#tx = new UacTransactions((b) => this.#send(b), this.stats, opts.timers ?? RFC_TIMERS);
    sock.on('message', (buf) => this.#onMessage(buf));
    // Send failures (ENOBUFS under overload) are counted; timer E retransmits anyway.
    sock.on('error', () => {
      this.sendErrors++;
    });
  }

  static async open(opts: AgentOptions): Promise<Agent> {
    const v6 = opts.targetHost.includes(':');
    const localHost = opts.localHost ?? (v6 ? '::1' : '127.0.0.1');
    const sock = dgram.createSocket({
      type: v6 ? 'udp6' : 'udp4', recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER,
    });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, localHost, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    const ep: Endpoint = { localHost, localPort: sock.address().port, domain: opts.targetHost.includes(':') ? `[${opts.targetHost}]` : opts.targetHost };
    return new Agent(sock, opts, ep);
  }

  now(): number {
    return performance.now();
  }

  get inFlight(): number {
    return this.#tx.inFlight;
  }

  /** A fresh token unique within this shard and run. */
  nextId(): string {
    return `${this.idPrefix}${(this.#seq++).toString(36)}`;
  }

  register(user: string, expires: number): Promise<TxResult> {
    const id = this.nextId();
    const r = { branch: `z9hG4bK${id}`, callId: `${id}@load`, cseq: 1, fromTag: id, toTag: '' };
    return this.#tx.request(r.branch, 'REGISTER', buildRegister(this.ep, r, user, expires), this.now());
  }

  publish(a: PublishArgs): Promise<TxResult> {
    const id = this.nextId();
    const r = { branch: `z9hG4bK${id}`, callId: `${id}@load`, cseq: 1, fromTag: id, toTag: '' };
    return this.#tx.request(r.branch, 'PUBLISH', buildPublish(this.ep, r, a), this.now());
  }

  /** Initial SUBSCRIBE; the dialog exists before the 200 so an early NOTIFY finds it. */
  async subscribe(watcher: string, presentity: string, expires: number): Promise<{ res: TxResult; dialog: Dialog }> {
    const id = this.nextId();
    const dialog = new Dialog(`${id}@load`, id, watcher, presentity);
    this.#dialogs.set(dialog.callId, dialog);
    const r = { branch: `z9hG4bK${id}`, callId: dialog.callId, cseq: dialog.cseq, fromTag: id, toTag: '' };
    const buf = buildSubscribe(this.ep, r, { watcher, presentity, expires, requestUri: aor(presentity, this.ep) });
    const res = await this.#tx.request(r.branch, 'SUBSCRIBE', buf, this.now());
    if (res.msg !== null && res.status < 300) dialog.learnFromResponse(res.msg);
    return { res, dialog };
  }

  /** In-dialog SUBSCRIBE (refresh, or Expires 0 to end it, RFC 6665 §4.1.2.3). */
  resubscribe(d: Dialog, expires: number): Promise<TxResult> {
    d.cseq++;
    const r = { branch: `z9hG4bK${this.nextId()}`, callId: d.callId, cseq: d.cseq, fromTag: d.fromTag, toTag: d.toTag };
    const requestUri = d.remoteTarget !== '' ? d.remoteTarget : aor(d.presentity, this.ep);
    const buf = buildSubscribe(this.ep, r, { watcher: d.watcher, presentity: d.presentity, expires, requestUri });
    return this.#tx.request(r.branch, 'SUBSCRIBE', buf, this.now());
  }

  /** Wait (bounded by notifyTimeoutMs) for a NOTIFY on `d` matching `pred`; null on timeout. */
  waitNotify(d: Dialog, pred: NotifyPredicate): Promise<ScannedMessage | null> {
    if (this.#aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const w = d.take(pred, resolve);
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

  /** End of run: resolve every pending transaction (408) so scenarios finish. */
  abortAll(): void {
    this.#aborted = true;
    this.#tx.abortAll();
    this.#waits.drain(Number.POSITIVE_INFINITY, (w) => w.dialog.expire(w));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#sock.close(() => resolve()));
  }

  #send(buf: Buffer): void {
    this.#sock.send(buf, this.#opts.targetPort, this.#opts.targetHost);
  }

  #onMessage(buf: Buffer): void {
    if (isKeepAlive(buf)) return;
    const m = scanMessage(buf);
    if (m === null) return;
    if (!m.isRequest) {
      this.#tx.onResponse(m, this.now());
      return;
    }
    if (m.method === 'NOTIFY') {
      this.#onNotify(m);
      return;
    }
    // OPTIONS pings get 200; anything else is not something a watcher implements.
    this.#send(m.method === 'OPTIONS' ? buildResponse(m, 200, 'OK') : buildResponse(m, 501, 'Not Implemented'));
  }

  #onNotify(m: ScannedMessage): void {
    const d = this.#dialogs.get(m.callId);
    if (d === undefined || (d.fromTag !== '' && m.toTag !== d.fromTag)) {
      this.stats.strayNotifies++;
      this.#send(buildResponse(m, 481, 'Call/Transaction Does Not Exist'));
      return;
    }
    this.#send(buildResponse(m, 200, 'OK'));
    if (m.cseq <= d.lastNotifyCseq) {
      this.stats.notifyRetrans++;
      return;
    }
    d.lastNotifyCseq = m.cseq;
    this.stats.notifies++;
    d.deliver(m);
  }
}
