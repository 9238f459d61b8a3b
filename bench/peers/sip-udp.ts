// A tiny SIP client over loopback UDP for the kit's own probes (not a load generator): how long
// until a server answers an OPTIONS, and what status an in-dialog SUBSCRIBE refresh of known
// dialogs gets (200 = the subscription survived, 481 = it was lost, RFC 6665 §4.2.1.2).
// Every wait is bounded; NOTIFYs that the refreshes trigger are answered 200.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

/** One dialog written by subscribe-only.xml's sampled log line. */
export interface KnownDialog {
  callId: string;
  fromTag: string;
  toTag: string;
  target: string;
  presentity: string;
  watcher: string;
}

/** Parses `Call-ID;From-tag;To-tag;target;presentity;watcher;…` lines; skips anything else. */
export function parseDialogLog(text: string): KnownDialog[] {
  const out: KnownDialog[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(';');
    if (f.length < 6 || f.slice(0, 6).some((x) => x === '')) continue;
    out.push({ callId: f[0]!, fromTag: f[1]!, toTag: f[2]!, target: f[3]!, presentity: f[4]!, watcher: f[5]! });
  }
  return out;
}

const branch = (): string => `z9hG4bK${randomBytes(8).toString('hex')}`;

async function openSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.on('error', () => undefined);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

/** Status code of a response, or 0 when the datagram is a request. */
function statusOf(text: string): number {
  return text.startsWith('SIP/2.0 ') ? Number(text.slice(8, 11)) : 0;
}

function header(text: string, name: string): string {
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(text);
  return m === null ? '' : m[1]!.trim();
}

/** 200 to a request (a NOTIFY), copying the headers RFC 3261 §8.2.6.2 asks for. */
function okFor(request: string): string {
  const vias = request.split('\r\n').filter((l) => /^(Via|v):/i.test(l));
  return `SIP/2.0 200 OK\r\n${vias.join('\r\n')}\r\nFrom: ${header(request, 'From')}\r\nTo: ${header(request, 'To')}\r\n` +
    `Call-ID: ${header(request, 'Call-ID')}\r\nCSeq: ${header(request, 'CSeq')}\r\nContent-Length: 0\r\n\r\n`;
}

/**
 * Sends an OPTIONS every `everyMs` until any SIP response arrives; resolves with the time since
 * `t0` (performance.now() based) or rejects after `timeoutMs`.
 */
export async function waitForAnswer(port: number, t0: number, timeoutMs: number, everyMs = 10): Promise<number> {
  const s = await openSocket();
  const lp = s.address().port;
  try {
    return await new Promise<number>((resolve, reject) => {
      let n = 0;
      const send = (): void => {
        const id = `kitprobe${n++}`;
        s.send(
          `OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${lp};branch=${branch()};rport\r\n` +
            `Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=${id}\r\nTo: <sip:127.0.0.1:${port}>\r\n` +
            `Call-ID: ${id}.${lp}@probe\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
          port, '127.0.0.1',
        );
      };
      const timer = setInterval(send, everyMs);
      const limit = setTimeout(() => {
        clearInterval(timer);
        reject(new Error(`no answer to OPTIONS on port ${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      s.on('message', (m) => {
        if (statusOf(m.toString('latin1', 0, 12)) === 0) return;
        clearInterval(timer);
        clearTimeout(limit);
        resolve(performance.now() - t0);
      });
      send();
    });
  } finally {
    s.close();
  }
}

export interface RefreshOutcome {
  sent: number;
  /** Final status → how many dialogs got it; 0 = no final answer within the bound. */
  byStatus: Record<string, number>;
}

/**
 * Refreshes each dialog in-dialog (RFC 6665 §4.1.2.1: same Call-ID and tags, next CSeq,
 * Request-URI = the remote target) and counts the final statuses. Retransmits on timer E
 * (500 ms doubling) and gives up after `timeoutMs`. At most `perTick` requests per 10 ms.
 * `cseq` must grow from one refresh of the same dialogs to the next (RFC 3261 §12.2.2).
 */
export async function refreshDialogs(port: number, dialogs: KnownDialog[], timeoutMs = 8000, perTick = 20, cseq = 2): Promise<RefreshOutcome> {
  const s = await openSocket();
  const lp = s.address().port;
  const pending = new Map<string, { text: string; due: number; interval: number }>();
  const byStatus: Record<string, number> = {};
  const count = (k: string): void => {
    byStatus[k] = (byStatus[k] ?? 0) + 1;
  };
  s.on('message', (m) => {
    const text = m.toString('latin1');
    const status = statusOf(text);
    if (status === 0) {
      if (text.startsWith('NOTIFY ')) s.send(okFor(text), port, '127.0.0.1');
      return;
    }
    if (status < 200) return;
    const id = header(text, 'Call-ID');
    if (!pending.delete(id)) return;
    count(String(status));
  });
  const deadline = performance.now() + timeoutMs;
  let next = 0;
  try {
    while (performance.now() < deadline && (next < dialogs.length || pending.size > 0)) {
      for (let k = 0; k < perTick && next < dialogs.length; k++, next++) {
        const d = dialogs[next]!;
        const text =
          `SUBSCRIBE ${d.target} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${lp};branch=${branch()};rport\r\nMax-Forwards: 70\r\n` +
          `From: <sip:${d.watcher}@127.0.0.1>;tag=${d.fromTag}\r\nTo: <sip:${d.presentity}@127.0.0.1>;tag=${d.toTag}\r\n` +
          `Call-ID: ${d.callId}\r\nCSeq: ${cseq} SUBSCRIBE\r\nContact: <sip:${d.watcher}@127.0.0.1:${lp}>\r\nEvent: presence\r\n` +
          `Accept: application/pidf+xml\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n`;
        pending.set(d.callId, { text, due: performance.now() + 500, interval: 500 });
        s.send(text, port, '127.0.0.1');
      }
      const now = performance.now();
      for (const p of pending.values()) {
        if (p.due > now) continue;
        p.interval = Math.min(4000, p.interval * 2);
        p.due = now + p.interval;
        s.send(p.text, port, '127.0.0.1');
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    for (let i = 0; i < pending.size; i++) count('0');
    return { sent: next, byStatus };
  } finally {
    // Let the NOTIFYs that follow the 200s be answered before closing.
    await new Promise((r) => setTimeout(r, 300));
    s.close();
  }
}
