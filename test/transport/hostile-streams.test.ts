// Hostile and broken connections on loopback: garbage, a Content-Length larger than what
// follows, a never-ending header block, a crowd of idle connections, a WebSocket handshake
// without `sip`, a TLS client that never finishes its handshake. Each bad connection is closed
// (with a log line); everyone else keeps getting answers; the server never falls over.
// The attackers connect from 127.0.0.2 so the per-address bound does not touch the honest
// clients on 127.0.0.1. Counts stay far below `ulimit -n`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { rmSync } from 'node:fs';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from '../support/server.js';
import { SipUA, rand } from '../support/sip-ua.js';
import { StreamUA } from '../support/stream-ua.js';
import { makeCert, type TestCert } from '../support/cert.js';
import { sleep } from '../hardening/helpers.js';

const ATTACKER = '127.0.0.2';
const PER_IP = 60;
let srv: RunningServer;
let cert: TestCert;

before(async () => {
  cert = makeCert();
  srv = await startServer([
    '--tls-cert', cert.cert, '--tls-key', cert.key, '--message-timeout', '2', '--tls-handshake-timeout', '2',
    '--max-connections-per-ip', String(PER_IP), '--idle-timeout', '600',
  ]);
});
after(async () => {
  await srv.stop();
  rmSync(cert.dir, { recursive: true, force: true });
});

/** A raw TCP connection from the attacker's address; resolves once connected. */
function raw(port: number, from = ATTACKER): Promise<net.Socket & { gone: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress: from }) as net.Socket & { gone: boolean };
    s.gone = false;
    s.on('close', () => (s.gone = true));
    s.on('error', () => undefined);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

async function closedWithin(s: { gone: boolean }, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!s.gone && Date.now() < until) await sleep(25);
  return s.gone;
}

/** The honest clients: a REGISTER over UDP and one over TCP both get their 200. */
async function othersStillServed(): Promise<void> {
  const udp = await new SipUA().bind();
  const tcp = await StreamUA.connect('tcp', srv.ports.tcp!);
  try {
    for (const [ua, send] of [[udp, (s: Parameters<SipUA['request']>[0]) => udp.request(s, srv.port, 10_000)], [tcp, (s: Parameters<SipUA['request']>[0]) => tcp.request(s, 10_000)]] as const) {
      const aor = `sip:h${rand()}@127.0.0.1`;
      const r = await send({ method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<${aor}>;tag=1`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Contact', `<sip:h@${ua.hostPort}>`]] });
      assert.equal(r.status, 200);
    }
  } finally {
    udp.close();
    tcp.close();
  }
}

/** Log lines reach the test a little later (pino writes asynchronously): poll for one. */
async function logged(what: RegExp, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!srv.logs.some((l) => what.test(l)) && Date.now() < until) await sleep(25);
  return srv.logs.some((l) => what.test(l));
}

test('garbage: binary noise without a message end is closed at the size bound; a framed unreadable message gets no crash', async () => {
  const noise = await raw(srv.ports.tcp!);
  noise.write(Buffer.alloc(70_000, 0xa5));
  assert.ok(await closedWithin(noise, 10_000), 'closed: no message end within --max-message-size');
  const junk = await raw(srv.ports.tcp!);
  junk.write('\x00\x01\x02 hello there\r\nnot: sip\r\n\r\n');
  await othersStillServed();
  junk.destroy();
  assert.ok(await logged(/header block over.*"msg":"connection closed"/), 'a log line names the cause');
});

test('a Content-Length larger than what follows: closed once --message-timeout passes', async () => {
  const s = await raw(srv.ports.tcp!);
  s.write(`OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP ${ATTACKER};branch=z9hG4bK${rand()}\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: ${rand()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 5000\r\n\r\nonly this`);
  await othersStillServed();
  assert.ok(await closedWithin(s, 15_000), 'the partial message timed out');
  assert.ok(await logged(/message not complete in time/));
});

test('a never-ending header block, trickled: closed by the message time bound', async () => {
  const s = await raw(srv.ports.tcp!);
  s.write('OPTIONS sip:127.0.0.1 SIP/2.0\r\n');
  for (let i = 0; i < 200 && !s.gone; i++) {
    s.write(`X-Slow-${i}: ${'y'.repeat(20)}\r\n`);
    await sleep(50);
  }
  assert.ok(await closedWithin(s, 15_000));
  await othersStillServed();
});

test(`many idle connections from one address: ${PER_IP} kept, the rest refused; others still served`, async () => {
  const socks: (net.Socket & { gone: boolean })[] = [];
  try {
    for (let i = 0; i < PER_IP + 20; i++) socks.push(await raw(srv.ports.tcp!));
    // The client's connect completes before the server's accept: wait for the server's view.
    const until = Date.now() + 10_000;
    while (socks.filter((s) => s.gone).length < 20 && Date.now() < until) await sleep(25);
    const wsRefused = await new Promise<boolean>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${srv.ports.ws}/`, ['sip'], { localAddress: ATTACKER });
      ws.on('open', () => { ws.terminate(); resolve(false); });
      ws.on('error', () => resolve(true));
      ws.on('close', () => resolve(true));
    });
    const refused = socks.filter((s) => s.gone).length;
    assert.ok(refused >= 20, `at least the ones over the bound were closed (${refused})`);
    assert.ok(wsRefused, 'the bound is over all connections of the address, WebSockets too');
    await othersStillServed();
    assert.ok(await logged(/"bound":"max-connections-per-ip"/));
  } finally {
    for (const s of socks) s.destroy();
  }
});

test('a WebSocket handshake without Sec-WebSocket-Protocol: sip is refused with 400; with it, it opens', async () => {
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.ports.ws}/`, ['chat']);
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => { ws.terminate(); resolve(101); });
    ws.on('error', () => undefined);
  });
  assert.equal(status, 400);
  const none = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.ports.ws}/`);
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => { ws.terminate(); resolve(101); });
    ws.on('error', () => undefined);
  });
  assert.equal(none, 400, 'no sub-protocol at all is refused too');
  const ok = await StreamUA.connect('ws', srv.ports.ws!);
  const r = await ok.request({ method: 'OPTIONS', uri: 'sip:127.0.0.1', from: '<sip:a@127.0.0.1>;tag=1', to: '<sip:127.0.0.1>', callId: rand(), cseq: 1 });
  assert.equal(r.status, 200);
  ok.close();
  assert.ok(await logged(/WebSocket handshake refused/));
});

test('a TLS client that never finishes its handshake is closed; TLS and WSS clients are served meanwhile', async () => {
  const tlsStuck = await raw(srv.ports.tls!);
  const wssStuck = await raw(srv.ports.wss!);
  tlsStuck.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xf0, 0x01])); // the start of a ClientHello, then nothing
  const honest: StreamUA[] = [];
  for (const kind of ['tls', 'wss', 'ws'] as const) {
    const ua = await StreamUA.connect(kind, srv.ports[kind]!);
    honest.push(ua);
    const aor = `sip:${kind}${rand()}@127.0.0.1`;
    const r = await ua.request({ method: 'REGISTER', uri: 'sip:127.0.0.1', from: `<${aor}>;tag=1`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Contact', ua.contact('x')]] }, 10_000);
    assert.equal(r.status, 200, kind);
  }
  assert.ok(await closedWithin(tlsStuck, 15_000), 'stuck TLS handshake closed');
  assert.ok(await closedWithin(wssStuck, 15_000), 'stuck WSS handshake closed');
  await othersStillServed();
  // Past every handshake bound, the honest connections are still open and served.
  await sleep(4500);
  for (const ua of honest) {
    assert.equal(ua.closed, false, `${ua.kind} kept`);
    const r = await ua.request({ method: 'OPTIONS', uri: 'sip:127.0.0.1', from: '<sip:a@127.0.0.1>;tag=1', to: '<sip:127.0.0.1>', callId: rand(), cseq: 1 }, 10_000);
    assert.equal(r.status, 200, ua.kind);
    ua.close();
  }
  assert.equal(srv.proc.exitCode, null, 'still running');
});
