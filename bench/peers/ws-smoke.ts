// Smoke run of Kamailio's WebSocket set-up (kamailio.cfg -A WITH_WS; RFC 7118): a watcher and a
// publisher on two WebSocket connections; the watcher's Contact is its connection's address
// (see kamailio.cfg on `.invalid` Contacts). REGISTER → 200; SUBSCRIBE → 200 + NOTIFY over the same connection; PUBLISH → 200
// with SIP-ETag and a NOTIFY carrying the new state to the watcher; un-SUBSCRIBE → 200 + NOTIFY
// terminated. SIPp has no WebSocket transport, hence this client. Every wait is bounded.
import { randomBytes } from 'node:crypto';
import type { Recorder } from './record.js';
import { ServerUnderTest, type ServerOptions } from './servers.js';
import { WsClient } from './ws-client.js';

const tag = (): string => randomBytes(6).toString('hex');
const status = (m: string): number => (m.startsWith('SIP/2.0 ') ? Number(m.slice(8, 11)) : 0);
const header = (m: string, name: string): string => new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(m)?.[1]?.trim() ?? '';

function request(method: string, uri: string, from: string, to: string, callId: string, cseq: number, extra: string[], body = ''): string {
  return [
    `${method} ${uri} SIP/2.0`, `Via: SIP/2.0/WS ${tag()}.invalid;branch=z9hG4bK${tag()}`, 'Max-Forwards: 70',
    `From: ${from}`, `To: ${to}`, `Call-ID: ${callId}`, `CSeq: ${cseq} ${method}`, ...extra, `Content-Length: ${Buffer.byteLength(body)}`, '', body,
  ].join('\r\n');
}

function okTo(m: string): string {
  const vias = m.split('\r\n').filter((l) => /^(Via|v):/i.test(l));
  return ['SIP/2.0 200 OK', ...vias, `From: ${header(m, 'From')}`, `To: ${header(m, 'To')}`, `Call-ID: ${header(m, 'Call-ID')}`,
    `CSeq: ${header(m, 'CSeq')}`, 'Content-Length: 0', '', ''].join('\r\n');
}

/** Runs the steps; returns one line per step ("ok …" or "FAILED …"). */
async function steps(host: string, wsPort: number): Promise<string[]> {
  const out: string[] = [];
  const domain = host;
  const w = await WsClient.connect(host, wsPort);
  const p = await WsClient.connect(host, wsPort);
  try {
    const answer = async (c: WsClient, callId: string, what: string): Promise<string> => {
      const r = await c.next((m) => status(m) >= 200 && header(m, 'Call-ID') === callId);
      out.push(`${status(r) === 200 ? 'ok' : 'FAILED'} ${what}: ${r.split('\r\n')[0]}`);
      return r;
    };
    const notify = async (c: WsClient, callId: string, what: string, test: (m: string) => boolean): Promise<void> => {
      const n = await c.next((m) => m.startsWith('NOTIFY ') && header(m, 'Call-ID') === callId);
      c.send(okTo(n));
      out.push(`${test(n) ? 'ok' : 'FAILED'} ${what}: NOTIFY ${header(n, 'Subscription-State')}`);
    };
    const wUri = `sip:wswatcher@${domain}`;
    const pUri = `sip:wspresentity@${domain}`;
    const wContact = `Contact: <sip:wswatcher@${host}:${w.localPort};transport=ws>`;
    const reg = `reg-${tag()}`;
    w.send(request('REGISTER', `sip:${domain}`, `<${wUri}>;tag=${tag()}`, `<${wUri}>`, reg, 1, [wContact, 'Expires: 600']));
    await answer(w, reg, 'REGISTER over WebSocket');
    const sub = `sub-${tag()}`;
    const ft = tag();
    w.send(request('SUBSCRIBE', pUri, `<${wUri}>;tag=${ft}`, `<${pUri}>`, sub, 1, [wContact, 'Event: presence', 'Accept: application/pidf+xml', 'Expires: 600']));
    const ok = await answer(w, sub, 'SUBSCRIBE over WebSocket');
    await notify(w, sub, 'first NOTIFY back over the watcher\'s connection', (m) => /active/.test(header(m, 'Subscription-State')));
    const pub = `pub-${tag()}`;
    const pidf = `<?xml version="1.0" encoding="UTF-8"?>\r\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${pUri}"><tuple id="ws1"><status><basic>open</basic></status><note>ws-smoke</note></tuple></presence>`;
    p.send(request('PUBLISH', pUri, `<${pUri}>;tag=${tag()}`, `<${pUri}>`, pub, 1, ['Event: presence', 'Expires: 600', 'Content-Type: application/pidf+xml'], pidf));
    const pr = await answer(p, pub, 'PUBLISH over WebSocket');
    out.push(`${header(pr, 'SIP-ETag') !== '' ? 'ok' : 'FAILED'} PUBLISH 200 has a SIP-ETag`);
    await notify(w, sub, 'NOTIFY with the published state', (m) => m.includes('ws-smoke'));
    const target = /<([^>]+)>/.exec(header(ok, 'Contact'))?.[1] ?? pUri;
    w.send(request('SUBSCRIBE', target, `<${wUri}>;tag=${ft}`, `<${pUri}>;tag=${/;tag=([^;>\s]+)/.exec(header(ok, 'To'))?.[1] ?? ''}`, sub, 2,
      [wContact, 'Event: presence', 'Expires: 0']));
    await answer(w, sub, 'un-SUBSCRIBE over WebSocket');
    await notify(w, sub, 'NOTIFY terminated', (m) => /terminated/.test(header(m, 'Subscription-State')));
  } catch (err) {
    out.push(`FAILED: ${(err as Error).message}`);
  } finally {
    w.close();
    p.close();
  }
  return out;
}

export async function wsSmoke(o: ServerOptions, rec: Recorder, log: (s: string) => void): Promise<void> {
  await rec.measure(async () => {
    const { server } = await ServerUnderTest.start('kamailio', { ...o, kamVariant: 'ws' }, 'ws');
    try {
      const lines = await steps('127.0.0.1', server.wsPort);
      for (const l of lines) log(`  kamailio ws: ${l}`);
      const failed = lines.filter((l) => !l.startsWith('ok')).length;
      return { server: 'kamailio', scenario: 'check:ws', params: { wsPort: server.wsPort }, figures: { steps: lines, failed, ok: failed === 0 } };
    } finally {
      await server.dispose();
    }
  });
}
