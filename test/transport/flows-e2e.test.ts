// Flows end to end: a connection closed by the idle bound ends its dialog (the presentity's
// winfo view drops the watcher, nobody else is disturbed); a NOTIFY over 1,300 bytes to a UDP
// watcher goes over the TCP connection that watcher has open at the same address and port, and
// otherwise over UDP with its size logged (RFC 3261 §18.1.1); after a restart a dialog whose
// connection died with the process is gone, a UDP one lives on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../support/server.js';
import { SipUA, body, hdr, hdrs, rand, PIDF } from '../support/sip-ua.js';
import { StreamUA } from '../support/stream-ua.js';
import { StreamFramer } from '../../src/transport/framing.js';
import { parseSipMessage } from '../../src/codec/sip/parse.js';
import type { SipRequest } from '../../src/codec/sip/types.js';
import { sleep, subscribe } from '../hardening/helpers.js';

async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(25);
  return cond();
}

async function publish(ua: SipUA, port: number, aor: string, note: string, size = 0): Promise<void> {
  const extra = size > 0 ? `<note>${'x'.repeat(size)}</note>` : '';
  const doc = PIDF(aor, 'open', 't1', note).replace('</tuple>', `${extra}</tuple>`);
  const r = await ua.request({ method: 'PUBLISH', uri: aor, from: `<${aor}>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Content-Type', 'application/pidf+xml']], body: doc }, port);
  assert.equal(r.status, 200);
}

test('an idle connection is closed: its dialog ends, the winfo subscriber sees the watcher leave, a UDP watcher is untouched', async () => {
  const srv = await startServer(['--idle-timeout', '2']);
  const alice = await new SipUA().bind();
  const udp = await new SipUA().bind();
  const aor = 'sip:alice@127.0.0.1';
  try {
    const winfo = await subscribe(alice, srv.port, aor, aor, { event: 'presence.winfo' });
    assert.equal(winfo.res.status, 200);
    const tcp = await StreamUA.connect('tcp', srv.ports.tcp!);
    const callId = rand();
    const r = await tcp.request({ method: 'SUBSCRIBE', uri: aor, from: `<sip:tom@127.0.0.1>;tag=${rand()}`, to: `<${aor}>`, callId, cseq: 1, headers: [['Event', 'presence'], ['Contact', tcp.contact('tom')], ['Expires', '600']] });
    assert.equal(r.status, 200);
    const u = await subscribe(udp, srv.port, aor, 'sip:uma@127.0.0.1');
    assert.ok(await until(() => alice.notifies(winfo.callId).some((n) => body(n).includes('tom@127.0.0.1'))), 'winfo lists the TCP watcher');
    assert.ok(await tcp.waitClosed(15_000), 'the server closed the idle connection');
    assert.ok(await until(() => { const ns = alice.notifies(winfo.callId); const last = ns[ns.length - 1]; return last !== undefined && !body(last).includes('tom@127.0.0.1') && body(last).includes('uma@127.0.0.1'); }), 'winfo: the TCP watcher left, the UDP one stays');
    const before = udp.notifies(u.callId).length;
    await publish(alice, srv.port, aor, 'still-here');
    assert.ok(await until(() => udp.notifies(u.callId).length > before), 'the UDP watcher is notified as before');
    assert.ok(srv.logs.some((l) => /"why":"idle"/.test(l)) || (await until(() => srv.logs.some((l) => /"why":"idle"/.test(l)))));
  } finally {
    alice.close();
    udp.close();
    await srv.stop();
    srv.cleanup();
  }
});

test('a NOTIFY over 1,300 bytes: over the watcher\'s open TCP connection at its address and port, else over UDP with its size logged', async () => {
  const srv = await startServer([]);
  const pub = await new SipUA().bind();
  const w = await new SipUA().bind();
  const aor = 'sip:big@127.0.0.1';
  // The watcher's TCP connection leaves from its UDP port (phones share the port, RFC 3261 §18.2.1).
  const sock = net.connect({ host: '127.0.0.1', port: srv.ports.tcp!, localAddress: '127.0.0.1', localPort: w.port });
  const overTcp: SipRequest[] = [];
  const framer = new StreamFramer({ maxMessage: 1 << 20 });
  sock.on('data', (c: Buffer) => framer.push(c, Date.now(), (f) => {
    if (f.t !== 'message') return;
    const m = parseSipMessage(f.data);
    if (m.ok && m.msg.kind === 'request') {
      overTcp.push(m.msg);
      const lines = ['SIP/2.0 200 OK', ...hdrs(m.msg, 'Via').map((v) => `Via: ${v}`), `From: ${hdr(m.msg, 'From')}`, `To: ${hdr(m.msg, 'To')}`, `Call-ID: ${hdr(m.msg, 'Call-ID')}`, `CSeq: ${hdr(m.msg, 'CSeq')}`, 'Content-Length: 0', '', ''];
      sock.write(lines.join('\r\n'));
    }
  }));
  await new Promise<void>((r) => sock.once('connect', () => r()));
  try {
    sock.write(`OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:${w.port};branch=z9hG4bK${rand()}\r\nFrom: <sip:w@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: ${rand()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`);
    const d = await subscribe(w, srv.port, aor, 'sip:w@127.0.0.1');
    await w.waitNotify(d.callId, 5000, 0);
    await publish(pub, srv.port, aor, 'small');
    assert.ok(await until(() => w.notifies(d.callId).some((x) => body(x).includes('small'))), 'small ones go over UDP');
    assert.equal(overTcp.length, 0);
    await publish(pub, srv.port, aor, 'large', 2000);
    assert.ok(await until(() => overTcp.some((n) => hdr(n, 'Call-ID') === d.callId && body(n).includes('large'))), 'the large NOTIFY came over TCP');
    const n = overTcp.find((x) => hdr(x, 'Call-ID') === d.callId)!;
    assert.match(hdrs(n, 'Via')[0]!, /^SIP\/2\.0\/TCP /, 'its Via says TCP (RFC 3261 §18.1.1)');

    sock.destroy();
    await sleep(200);
    await publish(pub, srv.port, aor, 'large-again', 2000);
    assert.ok(await until(() => w.notifies(d.callId).some((x) => body(x).includes('large-again'))), 'no TCP connection: over UDP');
    assert.ok(await until(() => srv.logs.some((l) => /request over 1300 bytes sent over UDP/.test(l) && /"bytes":\d{4}/.test(l))), 'with its size logged');
  } finally {
    sock.destroy();
    pub.close();
    w.close();
    await srv.stop();
    srv.cleanup();
  }
});

test('after a restart a dialog whose connection is gone has ended (the client subscribes again); a UDP dialog lives on', async () => {
  const data = mkdtempSync(join(tmpdir(), 'comsipl-flow-restart-'));
  const aor = 'sip:rita@127.0.0.1';
  let srv: RunningServer = await startServer([], { data });
  const udp = await new SipUA().bind();
  try {
    const tcp = await StreamUA.connect('tcp', srv.ports.tcp!);
    const r = await tcp.request({ method: 'SUBSCRIBE', uri: aor, from: `<sip:t@127.0.0.1>;tag=${rand()}`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Event', 'presence'], ['Contact', tcp.contact('t')], ['Expires', '600']] });
    assert.equal(r.status, 200);
    const u = await subscribe(udp, srv.port, aor, 'sip:u@127.0.0.1');
    await udp.waitNotify(u.callId, 5000, 0);
    await srv.stop();
    tcp.close();
    srv = await startServer(['--port', String(srv.port)], { data });
    const listening = JSON.parse(srv.logs.find((l) => l.includes('"msg":"listening"'))!) as { restored: { subscriptions: number }; droppedConnectionSubscriptions?: number };
    assert.equal(listening.droppedConnectionSubscriptions, 1, 'the TCP dialog was dropped at restore');
    assert.equal(listening.restored.subscriptions, 1, 'the UDP dialog was restored');
    const before = udp.notifies(u.callId).length;
    await publish(udp, srv.port, aor, 'after-restart');
    assert.ok(await until(() => udp.notifies(u.callId).length > before));
  } finally {
    udp.close();
    await srv.stop();
    rmSync(data, { recursive: true, force: true });
  }
});

test('TCP over IPv6 (::1): REGISTER and SUBSCRIBE on one connection, the NOTIFY back on it with a bracketed Via', async () => {
  const srv = await startServer([], { host: '::1' });
  const ua = await StreamUA.connect('tcp', srv.ports.tcp!, '::1');
  ua.viaHost = '[::1]';
  try {
    const aor = 'sip:six@[::1]';
    const reg = await ua.request({ method: 'REGISTER', uri: 'sip:[::1]', from: `<${aor}>;tag=1`, to: `<${aor}>`, callId: rand(), cseq: 1, headers: [['Contact', ua.contact('six')]] });
    assert.equal(reg.status, 200);
    const callId = rand();
    const sub = await ua.request({ method: 'SUBSCRIBE', uri: aor, from: `<sip:w@[::1]>;tag=2`, to: `<${aor}>`, callId, cseq: 1, headers: [['Event', 'presence'], ['Contact', ua.contact('w')]] });
    assert.equal(sub.status, 200);
    const n = await ua.waitNotify(callId, 5000, 0);
    assert.match(hdrs(n, 'Via')[0]!, new RegExp(`^SIP/2\\.0/TCP \\[::1\\]:${srv.ports.tcp};`));
  } finally {
    ua.close();
    await srv.stop();
    srv.cleanup();
  }
});
