// One bench client for UDP, TCP and WebSocket alike, so that the three are measured by the same
// code: closed-loop REGISTER or SUBSCRIBE-dialog calls (a window of calls in flight, a new one
// started as each ends), NOTIFYs answered 200. Loopback only; bounded by its caller's time.
import dgram from 'node:dgram';
import net from 'node:net';
import { WebSocket } from 'ws';
import { StreamFramer } from '../../src/transport/framing.js';

export type BenchTransport = 'udp' | 'tcp' | 'ws';

/** One way to the server: send bytes, hear whole messages. */
export interface Link {
  send(s: string): void;
  readonly via: string; // Via transport token
  readonly local: string; // host:port for Via/Contact
  close(): void;
}

export async function openLink(t: BenchTransport, port: number, onMessage: (m: string, link: Link) => void, host = '127.0.0.1'): Promise<Link> {
  if (t === 'udp') {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, host, () => r()));
    const link: Link = {
      send: (s) => sock.send(s, port, host), via: 'UDP', local: `${host}:${sock.address().port}`, close: () => sock.close(),
    };
    sock.on('message', (d) => onMessage(d.toString('latin1'), link));
    return link;
  }
  if (t === 'tcp') {
    const sock = net.connect({ host, port, noDelay: true });
    await new Promise<void>((r, j) => { sock.once('connect', () => r()); sock.once('error', j); });
    const link: Link = { send: (s) => sock.write(s), via: 'TCP', local: `${host}:${sock.localPort}`, close: () => sock.destroy() };
    const framer = new StreamFramer({ maxMessage: 1 << 20 });
    sock.on('data', (c: Buffer) => framer.push(c, 0, (f) => { if (f.t === 'message') onMessage(f.data.toString('latin1'), link); }));
    sock.on('error', () => undefined);
    return link;
  }
  const ws = new WebSocket(`ws://${host}:${port}/`, ['sip'], { perMessageDeflate: false });
  await new Promise<void>((r, j) => { ws.once('open', () => r()); ws.once('error', j); });
  const local = `${Math.random().toString(36).slice(2, 10)}.invalid:${(ws as unknown as { _socket: net.Socket })._socket.localPort}`;
  const link: Link = { send: (s) => ws.send(s), via: 'WS', local, close: () => ws.terminate() };
  ws.on('message', (d: Buffer) => onMessage(d.toString('latin1'), link));
  ws.on('error', () => undefined);
  return link;
}

function header(m: string, long: string, short: string): string {
  const re = new RegExp(`\\r\\n(?:${long}|${short})[ \\t]*:[ \\t]*([^\\r\\n]*)`, 'i');
  return re.exec(m)?.[1] ?? '';
}

/** The 200 a NOTIFY gets (RFC 3261 §8.2.6). */
function okFor(m: string): string {
  const vias = [...m.matchAll(/\r\n(?:Via|v)[ \t]*:[ \t]*([^\r\n]*)/gi)].map((x) => `Via: ${x[1]}\r\n`).join('');
  return `SIP/2.0 200 OK\r\n${vias}From: ${header(m, 'From', 'f')}\r\nTo: ${header(m, 'To', 't')}\r\nCall-ID: ${header(m, 'Call-ID', 'i')}\r\nCSeq: ${header(m, 'CSeq', 'x-none')}\r\nContent-Length: 0\r\n\r\n`;
}

interface Call {
  id: string;
  link: Link;
  step: number; // subscribe: 0 = waiting 200+NOTIFY, 1 = waiting final 200+NOTIFY
  got200: boolean;
  gotNotify: boolean;
  toTag: string;
  n: number;
}

export interface RateResult {
  calls: number;
  seconds: number;
  perSecond: number;
  failed: number;
}

/**
 * Runs `scenario` closed-loop with `window` calls in flight over `links` for `seconds` (after
 * `warmup` s not counted). register: REGISTER → 200. subscribe: SUBSCRIBE → 200 + NOTIFY →
 * SUBSCRIBE Expires 0 → 200 + NOTIFY terminated.
 */
export async function runRate(t: BenchTransport, port: number, scenario: 'register' | 'subscribe', o: { links: number; window: number; seconds: number; warmup: number }): Promise<RateResult> {
  const calls = new Map<string, Call>();
  const tag = Math.random().toString(36).slice(2, 8);
  let seq = 0;
  let done = 0;
  let failed = 0;
  let counting = false;
  let running = true;
  const links: Link[] = [];
  const start = (link: Link): void => {
    const n = seq++;
    const id = `${tag}-${n}`;
    const c: Call = { id, link, step: 0, got200: false, gotNotify: false, toTag: '', n };
    calls.set(id, c);
    link.send(request(c, scenario === 'register' ? 'REGISTER' : 'SUBSCRIBE', 1, scenario === 'register' ? 3600 : 600));
  };
  const request = (c: Call, method: string, cseq: number, expires: number): string => {
    const aor = scenario === 'register' ? `sip:r${c.id}@127.0.0.1` : `sip:p${c.n % 1000}${tag}@127.0.0.1`;
    const from = scenario === 'register' ? aor : `sip:w${c.id}@127.0.0.1`;
    const ruri = method === 'REGISTER' ? 'sip:127.0.0.1' : aor;
    let s = `${method} ${ruri} SIP/2.0\r\nVia: SIP/2.0/${c.link.via} ${c.link.local};branch=z9hG4bK${c.id}x${cseq};rport\r\nMax-Forwards: 70\r\n` +
      `From: <${from}>;tag=f${c.id}\r\nTo: <${aor}>${c.toTag === '' ? '' : `;tag=${c.toTag}`}\r\nCall-ID: ${c.id}\r\nCSeq: ${cseq} ${method}\r\n` +
      `Contact: <sip:u@${c.link.local};transport=${c.link.via.toLowerCase()}>\r\nExpires: ${expires}\r\n`;
    if (method === 'SUBSCRIBE') s += 'Event: presence\r\nAccept: application/pidf+xml\r\n';
    return `${s}Content-Length: 0\r\n\r\n`;
  };
  const finish = (c: Call, ok: boolean): void => {
    calls.delete(c.id);
    if (counting) {
      if (ok) done++;
      else failed++;
    }
    if (running) start(c.link);
  };
  const onMessage = (m: string, link: Link): void => {
    const id = header(m, 'Call-ID', 'i');
    const c = calls.get(id);
    if (m.startsWith('NOTIFY ')) {
      link.send(okFor(m));
      if (c === undefined) return;
      c.gotNotify = true;
    } else if (m.startsWith('SIP/2.0 ')) {
      if (c === undefined) return;
      const status = Number(m.slice(8, 11));
      if (status < 200) return;
      if (status >= 300) return finish(c, false);
      c.got200 = true;
      if (c.toTag === '') c.toTag = /;tag=([^;>\s]+)/.exec(header(m, 'To', 't'))?.[1] ?? '';
    } else return;
    if (c === undefined) return;
    if (scenario === 'register') return finish(c, true);
    if (!c.got200 || !c.gotNotify) return;
    if (c.step === 1) return finish(c, true);
    c.step = 1;
    c.got200 = c.gotNotify = false;
    link.send(request(c, 'SUBSCRIBE', 2, 0));
  };
  for (let i = 0; i < o.links; i++) links.push(await openLink(t, port, onMessage));
  for (let i = 0; i < o.window; i++) start(links[i % links.length]!);
  await new Promise((r) => setTimeout(r, o.warmup * 1000));
  counting = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  counting = false;
  const seconds = (performance.now() - t0) / 1000;
  running = false;
  await new Promise((r) => setTimeout(r, 500));
  for (const l of links) l.close();
  return { calls: done, seconds, perSecond: Math.round(done / seconds), failed };
}
