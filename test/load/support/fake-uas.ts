// A small in-memory presence UAS, only good enough to exercise the load generator and the
// SIPp scenarios before (and independently of) the real server: REGISTER → 200,
// PUBLISH → 200 + SIP-ETag (412 on unknown SIP-If-Match), SUBSCRIBE → 200 + NOTIFY,
// a NOTIFY per state change to every watcher, un-SUBSCRIBE → 200 + NOTIFY terminated.
// Fault knobs let tests check retransmission and ordering handling.
import dgram from 'node:dgram';
import { isKeepAlive, scanMessage, type ScannedMessage } from '../../../src/load/sip-scan.js';

export interface FakeUasOptions {
  host?: string;
  port?: number;
  /** Ignore the first copy of every Nth request (the client must retransmit). 0 = never. */
  dropEveryNth?: number;
  /** Send the initial NOTIFY before the 200 to SUBSCRIBE (RFC 6665 §4.1.2.4 allows it). */
  notifyBeforeOk?: boolean;
}

export interface FakeUasCounters {
  requests: number;
  dropped: number;
  retransmissionsSeen: number;
  notifiesSent: number;
  notifyResponses: number;
  byMethod: Record<string, number>;
}

interface Watcher {
  callId: string;
  toTag: string;
  /** The SUBSCRIBE's From and To values: they become the NOTIFY's To and From. */
  from: string;
  to: string;
  cseq: number;
  port: number;
  address: string;
  target: string;
  aor: string;
}

export interface FakeUas {
  port: number;
  host: string;
  counters: FakeUasCounters;
  /** Source ports requests came from. */
  sourcePorts: Set<number>;
  close(): Promise<void>;
}

function header(head: string, name: string): string {
  const lower = head.toLowerCase();
  const at = lower.indexOf(`\r\n${name.toLowerCase()}:`);
  if (at < 0) return '';
  const end = head.indexOf('\r\n', at + 2);
  return head.slice(at + name.length + 3, end < 0 ? head.length : end).trim();
}

function aorOf(nameAddrOrUri: string): string {
  const lt = nameAddrOrUri.indexOf('<');
  const uri = lt >= 0 ? nameAddrOrUri.slice(lt + 1, nameAddrOrUri.indexOf('>', lt)) : nameAddrOrUri;
  const semi = uri.indexOf(';');
  return semi < 0 ? uri : uri.slice(0, semi);
}

export async function startFakeUas(opts: FakeUasOptions = {}): Promise<FakeUas> {
  const host = opts.host ?? '127.0.0.1';
  const sock = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
  await new Promise<void>((r) => sock.bind(opts.port ?? 0, host, () => r()));
  const port = sock.address().port;
  const self = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const counters: FakeUasCounters = { requests: 0, dropped: 0, retransmissionsSeen: 0, notifiesSent: 0, notifyResponses: 0, byMethod: {} };
  const seen = new Set<string>();
  const state = new Map<string, Map<string, string>>(); // aor → etag → body
  const watchers = new Map<string, Watcher>(); // callId → watcher
  const byAor = new Map<string, Set<Watcher>>();
  const sourcePorts = new Set<number>();
  let tagSeq = 0;
  let branchSeq = 0;

  const send = (text: string, p: number, a: string): void => { sock.send(Buffer.from(text, 'utf8'), p, a); };
  const reply = (m: ScannedMessage, status: number, reason: string, extra: string, p: number, a: string, toTag = ''): void => {
    let text = `SIP/2.0 ${status} ${reason}\r\n`;
    for (const line of m.copy) {
      const isTo = /^(to|t)\s*:/i.test(line);
      text += isTo && toTag !== '' && m.toTag === '' ? `${line};tag=${toTag}\r\n` : `${line}\r\n`;
    }
    send(`${text}${extra}Content-Length: 0\r\n\r\n`, p, a);
  };
  const document = (aor: string): string => {
    const bodies = [...(state.get(aor)?.values() ?? [])];
    if (bodies.length > 0) return bodies[bodies.length - 1]!;
    return `<?xml version="1.0" encoding="UTF-8"?>\r\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${aor}"/>\r\n`;
  };
  const notify = (w: Watcher, subState: string): void => {
    const body = subState.startsWith('terminated') ? '' : document(w.aor);
    w.cseq++;
    counters.notifiesSent++;
    send(
      `NOTIFY ${w.target} SIP/2.0\r\nVia: SIP/2.0/UDP ${self};branch=z9hG4bKfake${branchSeq++}\r\nMax-Forwards: 70\r\n` +
        `From: ${w.to};tag=${w.toTag}\r\nTo: ${w.from}\r\nCall-ID: ${w.callId}\r\nCSeq: ${w.cseq} NOTIFY\r\n` +
        `Contact: <sip:${self}>\r\nEvent: presence\r\nSubscription-State: ${subState}\r\n` +
        (body === '' ? '' : 'Content-Type: application/pidf+xml\r\n') +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      w.port, w.address,
    );
  };
  const changed = (aor: string): void => {
    for (const w of byAor.get(aor) ?? []) notify(w, 'active;expires=3600');
  };

  sock.on('message', (buf, rinfo) => {
    if (isKeepAlive(buf)) return;
    const m = scanMessage(buf);
    if (m === null) return;
    if (!m.isRequest) {
      if (m.method === 'NOTIFY') counters.notifyResponses++;
      return;
    }
    sourcePorts.add(rinfo.port);
    const headEnd = buf.indexOf('\r\n\r\n');
    const head = buf.toString('latin1', 0, headEnd < 0 ? buf.length : headEnd);
    const key = `${m.branch}|${m.method}`;
    if (seen.has(key)) counters.retransmissionsSeen++;
    else {
      seen.add(key);
      counters.requests++;
      counters.byMethod[m.method] = (counters.byMethod[m.method] ?? 0) + 1;
      if ((opts.dropEveryNth ?? 0) > 0 && counters.requests % opts.dropEveryNth! === 0) {
        counters.dropped++;
        return;
      }
    }
    const { port: p, address: a } = rinfo;
    const requestUri = head.slice(head.indexOf(' ') + 1, head.indexOf(' SIP/2.0'));
    switch (m.method) {
      case 'REGISTER':
        reply(m, 200, 'OK', `Contact: ${header(head, 'Contact')};expires=${Math.max(m.expires, 0)}\r\n`, p, a, `r${tagSeq++}`);
        return;
      case 'PUBLISH': {
        const aor = aorOf(requestUri);
        const ifMatch = header(head, 'SIP-If-Match');
        const pubs = state.get(aor) ?? new Map<string, string>();
        state.set(aor, pubs);
        if (ifMatch !== '' && !pubs.has(ifMatch)) {
          reply(m, 412, 'Conditional Request Failed', '', p, a, `p${tagSeq++}`);
          return;
        }
        const old = ifMatch === '' ? undefined : pubs.get(ifMatch);
        if (ifMatch !== '') pubs.delete(ifMatch);
        if (m.expires === 0) {
          reply(m, 200, 'OK', 'Expires: 0\r\n', p, a, `p${tagSeq++}`);
        } else {
          const etag = `e${tagSeq++}`;
          pubs.set(etag, m.body.length > 0 ? m.body.toString('utf8') : (old ?? ''));
          reply(m, 200, 'OK', `SIP-ETag: ${etag}\r\nExpires: ${m.expires < 0 ? 3600 : m.expires}\r\n`, p, a, `p${tagSeq++}`);
        }
        changed(aor);
        return;
      }
      case 'SUBSCRIBE': {
        if (m.toTag !== '') {
          const w = watchers.get(m.callId);
          if (w === undefined || w.toTag !== m.toTag) {
            reply(m, 481, 'Call/Transaction Does Not Exist', '', p, a);
            return;
          }
          reply(m, 200, 'OK', `Contact: <sip:${self}>\r\nExpires: ${Math.max(m.expires, 0)}\r\n`, p, a);
          if (m.expires === 0) {
            watchers.delete(m.callId);
            byAor.get(w.aor)?.delete(w);
            notify(w, 'terminated;reason=timeout');
          } else notify(w, `active;expires=${m.expires}`);
          return;
        }
        const w: Watcher = {
          callId: m.callId, toTag: `s${tagSeq++}`, from: header(head, 'From'), to: header(head, 'To'), cseq: 0,
          port: p, address: a, target: m.contactUri || `sip:${a}:${p}`, aor: aorOf(requestUri),
        };
        watchers.set(w.callId, w);
        const set = byAor.get(w.aor) ?? new Set<Watcher>();
        set.add(w);
        byAor.set(w.aor, set);
        if (opts.notifyBeforeOk === true) notify(w, 'active;expires=3600');
        reply(m, 200, 'OK', `Contact: <sip:${self}>\r\nExpires: ${m.expires < 0 ? 3600 : m.expires}\r\n`, p, a, w.toTag);
        if (opts.notifyBeforeOk !== true) notify(w, 'active;expires=3600');
        return;
      }
      default:
        reply(m, 405, 'Method Not Allowed', 'Allow: REGISTER, PUBLISH, SUBSCRIBE\r\n', p, a);
    }
  });

  return {
    port, host, counters, sourcePorts,
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}
