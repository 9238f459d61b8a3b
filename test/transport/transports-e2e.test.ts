// REGISTER, PUBLISH and SUBSCRIBE/NOTIFY over TCP and WebSocket against the real server with
// digest authentication on (its defaults: one MD5 challenge): responses and NOTIFYs on the
// connection the request came on, Via/Contact naming the transport, NOTIFYs on the flow even
// for a SIP.js-style `.invalid` Contact, no retransmissions over a connection, and a closed
// connection ending its own dialogs without disturbing the other watchers (Kamailio #4118).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addUser } from '../../src/auth/users-file.js';
import type { SipResponse } from '../../src/codec/sip/types.js';
import { startServer, type RunningServer } from '../support/server.js';
import { SipUA, body, hdr, hdrs, rand, tagOf, PIDF, type ReqSpec } from '../support/sip-ua.js';
import { StreamUA, type StreamKind } from '../support/stream-ua.js';
import { authorization, challengeFor, sleep } from '../hardening/helpers.js';

const DOMAIN = '127.0.0.1';
const users = ['alice', 'bob', 'carol', 'dave', 'erin'];
const pw = (u: string): string => `pw-${u}`;
let data: string;
let srv: RunningServer;

before(async () => {
  data = mkdtempSync(join(tmpdir(), 'comsipl-transports-'));
  for (const u of users) addUser(join(data, 'users.json'), { user: u, domain: DOMAIN, password: pw(u) });
  // Watcher rules apply the same on every transport: erin may not watch alice.
  writeFileSync(join(data, 'rules.json'), JSON.stringify({ users: { [`sip:alice@${DOMAIN}`]: { default: 'allow', block: [`sip:erin@${DOMAIN}`] } } }));
  srv = await startServer(['--auth', 'on'], { data });
  assert.ok(srv.ports.tcp && srv.ports.ws, `tcp and ws listeners: ${JSON.stringify(srv.ports)}`);
});
after(async () => {
  await srv.stop();
  rmSync(data, { recursive: true, force: true });
});

type Send = (spec: ReqSpec) => Promise<SipResponse>;

/** Sends `spec`; a 401 is answered once with the MD5 challenge, as every client can. */
async function authed(send: Send, spec: ReqSpec, user: string): Promise<SipResponse> {
  const first = await send(spec);
  if (first.status !== 401) return first;
  assert.equal(hdrs(first, 'WWW-Authenticate').length, 1, 'one challenge by default');
  const ch = challengeFor(first, 'MD5');
  const again = { ...spec, cseq: spec.cseq + 1, branch: undefined, headers: [...(spec.headers ?? []), ['Authorization', authorization(ch, { user, password: pw(user) }, spec.method, spec.uri)] as [string, string]] };
  spec.cseq++;
  return send(again);
}

const portOf = (k: StreamKind): number => (k === 'tcp' ? srv.ports.tcp! : srv.ports.ws!);

for (const kind of ['tcp', 'ws'] as const) {
  test(`${kind}: REGISTER, PUBLISH, SUBSCRIBE + NOTIFY with authentication, all on the one connection`, async () => {
    const alice = await StreamUA.connect(kind, portOf(kind));
    const bob = await StreamUA.connect(kind, portOf(kind));
    try {
      const aor = `sip:alice@${DOMAIN}`;
      const reg = await authed((s) => alice.request(s), {
        method: 'REGISTER', uri: `sip:${DOMAIN}`, from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1,
        headers: [['Contact', alice.contact('alice')], ['Expires', '600']],
      }, 'alice');
      assert.equal(reg.status, 200);
      assert.match(hdrs(reg, 'Via')[0]!, new RegExp(`^SIP/2.0/${kind.toUpperCase()} `), 'our Via echoed');
      assert.ok(hdrs(reg, 'Contact').some((c) => c.includes(`transport=${kind}`)), 'the binding keeps its transport');

      const sub = { method: 'SUBSCRIBE', uri: aor, from: `<sip:bob@${DOMAIN}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Contact', bob.contact('bob')], ['Expires', '600']] as [string, string][] };
      const from = bob.received.length;
      const ok = await authed((s) => bob.request(s), sub, 'bob');
      assert.equal(ok.status, 200);
      assert.match(hdr(ok, 'Contact') ?? '', new RegExp(`;transport=${kind}>`), 'our Contact names the transport');
      const n1 = await bob.waitNotify(sub.callId, 5000, from);
      assert.match(hdrs(n1, 'Via')[0]!, new RegExp(`^SIP/2.0/${kind.toUpperCase()} 127\\.0\\.0\\.1:${portOf(kind)};`), 'NOTIFY Via names the transport');
      assert.match(hdr(n1, 'Contact') ?? '', new RegExp(`;transport=${kind}>`));

      const before = bob.notifies(sub.callId).length;
      const pub = await authed((s) => alice.request(s), {
        method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1,
        headers: [['Event', 'presence'], ['Content-Type', 'application/pidf+xml'], ['Expires', '600']], body: PIDF(aor, 'open', 't1', `over ${kind}`),
      }, 'alice');
      assert.equal(pub.status, 200);
      const deadline = Date.now() + 10_000;
      while (!bob.notifies(sub.callId).some((n) => body(n).includes(`over ${kind}`)) && Date.now() < deadline) await sleep(20);
      assert.ok(bob.notifies(sub.callId).length > before);
      assert.ok(bob.notifies(sub.callId).some((n) => body(n).includes(`over ${kind}`)), 'the change reached the watcher over its connection');
    } finally {
      alice.close();
      bob.close();
    }
  });
}

test('a watcher over WS, one over TCP and one over UDP; the WS one disconnects: the others keep getting NOTIFYs', async () => {
  const carol = `sip:carol@${DOMAIN}`;
  const ws = await StreamUA.connect('ws', srv.ports.ws!);
  const tcp = await StreamUA.connect('tcp', srv.ports.tcp!);
  const udp = await new SipUA().bind();
  try {
    const dialogs: { callId: string; ua: StreamUA }[] = [];
    for (const [who, ua] of [['dave', ws], ['erin', tcp]] as const) {
      const spec = { method: 'SUBSCRIBE', uri: carol, from: `<sip:${who}@${DOMAIN}>;tag=${rand()}`, to: `<${carol}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Contact', ua.contact(who)], ['Expires', '600']] as [string, string][] };
      assert.equal((await authed((s) => ua.request(s), spec, who)).status, 200);
      await ua.waitNotify(spec.callId, 5000, 0);
      dialogs.push({ callId: spec.callId, ua });
    }
    const uspec = { method: 'SUBSCRIBE', uri: carol, from: `<sip:bob@${DOMAIN}>;tag=${rand()}`, to: `<${carol}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Contact', `<sip:bob@${udp.hostPort}>`], ['Expires', '600']] as [string, string][] };
    assert.equal((await authed((s) => udp.request(s, srv.port), uspec, 'bob')).status, 200);
    await udp.waitNotify(uspec.callId, 5000, 0);

    ws.close(); // the browser tab goes away
    await sleep(300);
    const tcpBefore = tcp.notifies(dialogs[1]!.callId).length;
    const udpBefore = udp.notifies(uspec.callId).length;
    const pub = await authed((s) => udp.request(s, srv.port), {
      method: 'PUBLISH', uri: carol, from: `<${carol}>;tag=${rand()}`, to: `<${carol}>`, callId: rand(), cseq: 1,
      headers: [['Event', 'presence'], ['Content-Type', 'application/pidf+xml'], ['Expires', '600']], body: PIDF(carol, 'open', 'c1', 'after ws left'),
    }, 'carol');
    assert.equal(pub.status, 200);
    const deadline = Date.now() + 10_000;
    while ((tcp.notifies(dialogs[1]!.callId).length === tcpBefore || udp.notifies(uspec.callId).length === udpBefore) && Date.now() < deadline) await sleep(20);
    assert.ok(tcp.notifies(dialogs[1]!.callId).length > tcpBefore, 'the TCP watcher was notified');
    assert.ok(udp.notifies(uspec.callId).length > udpBefore, 'the UDP watcher was notified');
    // The server dropped the WS dialog: a refresh of it from anywhere is 481.
    const wsDialog = ws.received.find((r) => r.msg.kind === 'response' && hdr(r.msg, 'Call-ID') === dialogs[0]!.callId && r.msg.status === 200);
    const toTag = tagOf(hdr(wsDialog!.msg, 'To'));
    const again = await authed((s) => tcp.request(s), { method: 'SUBSCRIBE', uri: carol, from: `<sip:dave@${DOMAIN}>;tag=x`, to: `<${carol}>;tag=${toTag}`, callId: dialogs[0]!.callId, cseq: 9, headers: [['Event', 'presence'], ['Contact', tcp.contact('dave')], ['Expires', '600']] }, 'dave');
    assert.equal(again.status, 481, 'the WS dialog ended with its connection');
  } finally {
    ws.close();
    tcp.close();
    udp.close();
  }
});

test('no retransmission of a NOTIFY over a connection that does not answer it', async () => {
  const bob = await StreamUA.connect('tcp', srv.ports.tcp!);
  bob.autoAnswerNotify = false;
  try {
    const aor = `sip:alice@${DOMAIN}`;
    const spec = { method: 'SUBSCRIBE', uri: aor, from: `<sip:bob@${DOMAIN}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Contact', bob.contact('bob')], ['Expires', '600']] as [string, string][] };
    assert.equal((await authed((s) => bob.request(s), spec, 'bob')).status, 200);
    await bob.waitNotify(spec.callId, 5000, 0);
    await sleep(1700); // timer E would have retransmitted at 0.5, 1.5 s over UDP
    assert.equal(bob.notifies(spec.callId).length, 1);
  } finally {
    bob.close();
  }
});

test('CRLF keep-alive: a double CRLF ping is answered with one CRLF (RFC 5626 §4.4.1), over TCP and WS', async () => {
  for (const kind of ['tcp', 'ws'] as const) {
    const ua = await StreamUA.connect(kind, portOf(kind));
    try {
      ua.sendRaw('\r\n\r\n');
      const deadline = Date.now() + 5000;
      while (ua.other.length === 0 && Date.now() < deadline) await sleep(20);
      assert.equal(ua.other[0]?.toString('latin1'), '\r\n', kind);
      const r = await ua.request({ method: 'OPTIONS', uri: `sip:${DOMAIN}`, from: `<sip:x@${DOMAIN}>;tag=1`, to: `<sip:${DOMAIN}>`, callId: rand(), cseq: 1 });
      assert.equal(r.status, 200, 'the connection still serves');
    } finally {
      ua.close();
    }
  }
});

test('watcher rules over WS: a blocked watcher gets 403 once authenticated, as over UDP', async () => {
  const erin = await StreamUA.connect('ws', srv.ports.ws!);
  try {
    const aor = `sip:alice@${DOMAIN}`;
    const r = await authed((s) => erin.request(s), { method: 'SUBSCRIBE', uri: aor, from: `<sip:erin@${DOMAIN}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Contact', erin.contact('erin')]] }, 'erin');
    assert.equal(r.status, 403);
  } finally {
    erin.close();
  }
});
