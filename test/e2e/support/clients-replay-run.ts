// Runs inside a private network namespace (see clients-replay.test.ts): replays what real
// Linphone and baresip clients sent, byte for byte, from the very ports they used, so that
// responses (rport) and NOTIFYs (their Contact) come back to this process. Only two things are
// rewritten, both header values the server itself chose: SIP-If-Match (our latest ETag) and the
// To-tag of in-dialog requests (our dialog tag). Prints one JSON line with what came back.
import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import { startServer } from '../../support/server.js';
import { readFixture, fixturePath } from '../../support/fixtures.js';
import { parseSipMessage } from '../../../src/codec/sip/parse.js';
import { getHeader, getHeaderValues } from '../../../src/codec/sip/headers.js';
import { parseVia } from '../../../src/codec/sip/via.js';
import type { SipMessage } from '../../../src/codec/sip/types.js';

export interface StepResult { file: string; status: number | null; etag?: string; notifies: string[] }

function rewrite(raw: Buffer, etag: string | null, toTag: string | null): Buffer {
  let text = raw.toString('latin1');
  if (etag !== null) text = text.replace(/^(SIP-If-Match:\s*)\S+/im, `$1${etag}`);
  if (toTag !== null) text = text.replace(/^((?:To|t):[^\r\n]*;tag=)[^;\s\r\n]+/im, `$1${toTag}`);
  return Buffer.from(text, 'latin1');
}

// rls-eve: the resource list server address liblinphone-rls/ was captured against (RFC 4662).
const srv = await startServer(['--min-expires', '10', '--rls-users', 'rls,rls-eve']);
const out: Record<string, StepResult[]> = {};
try {
  for (const dir of readdirSync(fixturePath('clients')).filter((d) => !d.includes('.'))) {
    const files = readdirSync(fixturePath('clients', dir)).filter((f) => f.endsWith('.sip')).sort();
    // Bind where the client was: each message's top Via port (a client run may change ports).
    const inbox: SipMessage[] = [];
    const sockets = new Map<number, dgram.Socket>();
    const socketFor = async (port: number): Promise<dgram.Socket> => {
      let sock = sockets.get(port);
      if (sock !== undefined) return sock;
      const s2 = dgram.createSocket('udp4');
      await new Promise<void>((r) => s2.bind(port, '127.0.0.1', () => r()));
      s2.on('message', (m, rinfo) => {
        const r = parseSipMessage(m);
        if (!r.ok) return;
        inbox.push(r.msg);
        if (r.msg.kind === 'request' && r.msg.method === 'NOTIFY') {
          const h = r.msg.headers.filter((x) => ['Via', 'From', 'To', 'Call-ID', 'CSeq'].includes(x.name));
          s2.send(`SIP/2.0 200 OK\r\n${h.map((x) => `${x.name}: ${x.value}`).join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, rinfo.port, rinfo.address);
        }
      });
      sockets.set(port, s2);
      return s2;
    };
    let etag: string | null = null;
    const dialogTags = new Map<string, string>();
    const steps: StepResult[] = [];
    for (const file of files) {
      const raw = readFixture('clients', dir, file);
      const parsed = parseSipMessage(raw);
      const req = parsed.ok && parsed.msg.kind === 'request' ? parsed.msg : null;
      const callId = req ? getHeader(req, 'Call-ID') : undefined;
      const inDialog = req !== null && /;\s*tag=/i.test(getHeader(req, 'To') ?? '');
      const msg = rewrite(raw, req && getHeader(req, 'SIP-If-Match') !== undefined ? etag : null, inDialog && callId ? dialogTags.get(callId) ?? null : null);
      const top = parsed.ok ? getHeaderValues(parsed.msg, 'Via')[0] : undefined;
      const sock = await socketFor((top && parseVia(top)?.port) || 25071);
      const mark = inbox.length;
      sock.send(msg, srv.port, '127.0.0.1');
      // Wait for the answer (and, after a SUBSCRIBE, its NOTIFY) — bounded, never a fixed guess.
      const cseq = req ? getHeader(req, 'CSeq') : undefined;
      const wantNotify = req?.method === 'SUBSCRIBE';
      const deadline = Date.now() + (req ? 5000 : 300);
      for (;;) {
        const seen = inbox.slice(mark);
        const answered = seen.some((m) => m.kind === 'response' && getHeader(m, 'CSeq') === cseq);
        const notified = seen.some((m) => m.kind === 'request' && m.method === 'NOTIFY');
        if (req && answered && (!wantNotify || notified)) break;
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const got = inbox.slice(mark);
      const res = got.find((m) => m.kind === 'response' && getHeader(m, 'Call-ID') === callId);
      const step: StepResult = {
        file,
        status: res && res.kind === 'response' ? res.status : null,
        notifies: got.filter((m) => m.kind === 'request' && m.method === 'NOTIFY').map((m) => `${getHeader(m, 'Subscription-State')} ${Buffer.from(m.body).toString('utf8').replace(/\s+/g, ' ')}`),
      };
      const newTag = res ? getHeader(res, 'SIP-ETag') : undefined;
      if (newTag) etag = step.etag = newTag;
      if (res && req?.method === 'SUBSCRIBE' && !inDialog && callId) {
        const tag = /;\s*tag=([^;\s]+)/.exec(getHeader(res, 'To') ?? '')?.[1];
        if (tag) dialogTags.set(callId, tag);
      }
      steps.push(step);
    }
    for (const sock of sockets.values()) sock.close();
    out[dir] = steps;
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  await srv.stop();
  srv.cleanup();
}
