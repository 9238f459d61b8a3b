// Runs inside a private network namespace (see torture-replay.test.ts): starts the server on
// 127.0.0.1, replays every RFC 4475 / RFC 5118 torture message and every hostile PIDF body over
// UDP from 127.0.0.1:5060 (the port the messages' Via sent-by names, so the answers come back
// here), and prints one JSON line: the status answered per file, and whether the server still
// answers afterwards.
import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import { startServer } from '../../support/server.js';
import { parseSipMessage } from '../../../src/codec/sip/parse.js';
import { getHeader, getHeaderValues } from '../../../src/codec/sip/headers.js';
import { parseVia, responseTarget } from '../../../src/codec/sip/via.js';
import { readFixture, readFixtureJson, fixturePath } from '../../support/fixtures.js';

interface Entry { file: string }

/** Waits for a datagram on `sock` whose Call-ID is `callId` (any, when the request has none). */
function waitOne(sock: dgram.Socket, ms: number, callId?: string): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const t = setTimeout(() => { sock.off('message', on); resolve(null); }, ms);
    const on = (m: Buffer): void => {
      if (callId !== undefined) {
        const r = parseSipMessage(m);
        if (!r.ok || getHeader(r.msg, 'Call-ID') !== callId) return;
      }
      clearTimeout(t);
      sock.off('message', on);
      resolve(m);
    };
    sock.on('message', on);
  });
}

/** Where RFC 3261 §18.2.2 / RFC 3581 send the answer to `msg` sent from 127.0.0.1:5060. */
function answerPort(msg: Buffer): { port: number; callId: string | undefined; txKey: string } {
  const r = parseSipMessage(msg);
  const headers = r.ok ? r.msg : { headers: r.partial };
  const top = getHeaderValues(headers, 'Via')[0];
  const via = top === undefined ? null : parseVia(top);
  const method = r.ok && r.msg.kind === 'request' ? r.msg.method : '';
  return {
    port: via === null ? 5060 : responseTarget(via, '127.0.0.1', 5060).port,
    callId: getHeader(headers, 'Call-ID'),
    txKey: `${via?.params.get('branch')}|${via?.host}:${via?.port}|${method}`,
  };
}

const catchers = new Map<number, dgram.Socket>();
async function catcher(port: number): Promise<dgram.Socket> {
  let s = catchers.get(port);
  if (s === undefined) {
    s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s!.bind(port, '127.0.0.1', () => r()));
    catchers.set(port, s);
  }
  return s;
}

function statusOf(m: Buffer | null): number | null {
  const s = m?.toString('latin1').match(/^SIP\/2\.0 (\d{3})/);
  return s ? Number(s[1]) : null;
}

// Several torture messages reuse one Via branch and sent-by: to the server they are the same
// transaction (RFC 3261 §17.2.3) and would get the first one's cached answer. Each such message
// goes to a fresh server instead, so every message is judged on its own.
let srv = await startServer();
const seen = new Set<string>();
let restarts = 0;
const sock = await catcher(5060);
const results: Record<string, number | null> = {};
try {
  for (const dir of ['torture', 'torture-ipv6']) {
    const idx = readFixtureJson<{ messages: Entry[] }>(dir, 'index.json');
    for (const { file } of idx.messages) {
      const msg = readFixture(dir, file);
      const { port, callId, txKey } = answerPort(msg);
      if (seen.has(txKey)) {
        await srv.stop();
        srv.cleanup();
        srv = await startServer();
        seen.clear();
        restarts++;
      }
      seen.add(txKey);
      const answer = waitOne(await catcher(port), 400, callId);
      sock.send(msg, srv.port, '127.0.0.1');
      results[`${dir}/${file}`] = statusOf(await answer);
    }
  }
  for (const file of readdirSync(fixturePath('pidf')).filter((f) => f.startsWith('sec-') && f !== 'sec-1mib-body.xml')) {
    const body = readFixture('pidf', file);
    const head = `PUBLISH sip:sec@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK${file.replace(/\W/g, '')};rport\r\nFrom: <sip:sec@127.0.0.1>;tag=1\r\nTo: <sip:sec@127.0.0.1>\r\nCall-ID: ${file}\r\nCSeq: 1 PUBLISH\r\nMax-Forwards: 70\r\nEvent: presence\r\nContent-Type: application/pidf+xml\r\nContent-Length: ${body.length}\r\n\r\n`;
    const msg = Buffer.concat([Buffer.from(head), body]);
    if (msg.length > 65507) continue;
    const answer = waitOne(sock, 1000, file);
    sock.send(msg, srv.port, '127.0.0.1');
    results[`pidf/${file}`] = statusOf(await answer);
  }
  // Still alive?
  sock.send('OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKalive;rport\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: alive\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n', srv.port, '127.0.0.1');
  const alive = statusOf(await waitOne(sock, 2000, 'alive')) === 200;
  process.stdout.write(`${JSON.stringify({ results, alive, exited: srv.proc.exitCode, restarts })}\n`);
} finally {
  for (const s of catchers.values()) s.close();
  await srv.stop();
  srv.cleanup();
}
