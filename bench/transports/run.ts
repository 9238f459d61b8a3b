// Transport measurements, each against a fresh server on loopback, bounded in time and count:
//   node dist/bench/transports/run.js rate   [--seconds 5] [--window 64] [--links 8]
//       REGISTER/s and subscribe dialogs/s over UDP, TCP and WS, same client code, one run
//   node dist/bench/transports/run.js idle   [--connections 10000]
//       server memory per idle WebSocket connection
//   node dist/bench/transports/run.js fanout [--presentities 10] [--watchers 100] [--changes 5]
//       NOTIFY fan-out to watchers over WS, next to the same over UDP
// Every command takes --server-args "…" (e.g. "--durability os") for the servers it starts.
// Compare numbers only within one run on one machine (the client shares the cores).
import dgram from 'node:dgram';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { freeUdpPort, startServer, type StartedServer } from '../sipp/server.js';
import { openLink, runRate, type BenchTransport, type Link } from './client.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function arg(argv: string[], name: string, dflt: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const n = Number(argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0 || n > 100_000) throw new Error(`${name}: 1..100000`);
  return n;
}

let serverArgs: string[] = [];

async function server(extra: string[] = []): Promise<{ s: StartedServer; ws: number }> {
  const ws = await freeUdpPort();
  const s = await startServer({
    entry: join(REPO, 'dist/src/main.js'), cwd: REPO, fake: false,
    extraArgs: ['--ws-port', String(ws), '--max-connections', '30000', '--max-connections-per-ip', '30000', '--stats-interval', '0', ...serverArgs, ...extra],
  });
  // UDP answers first (the ready probe); the stream listeners bind just after it.
  for (const port of [s.port, ws]) await listening(port);
  return { s, ws };
}

async function listening(port: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect({ host: '127.0.0.1', port }, () => { c.destroy(); r(true); });
      c.on('error', () => r(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on TCP ${port}`);
}

/** The server's resident memory (kB), from /proc. */
function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]);
}

async function rate(argv: string[]): Promise<void> {
  const o = { seconds: arg(argv, '--seconds', 5), window: arg(argv, '--window', 64), links: arg(argv, '--links', 8), warmup: 1 };
  for (const scenario of ['register', 'subscribe'] as const) {
    for (const t of ['udp', 'tcp', 'ws'] as BenchTransport[]) {
      const { s, ws } = await server();
      try {
        const r = await runRate(t, t === 'ws' ? ws : s.port, scenario, { ...o, links: t === 'udp' ? 1 : o.links });
        process.stdout.write(`${scenario.padEnd(9)} ${t.padEnd(3)}: ${String(r.perSecond).padStart(6)} calls/s (${r.calls} in ${r.seconds.toFixed(1)} s, ${r.failed} failed; window ${o.window}, ${t === 'udp' ? 1 : o.links} link(s))\n`);
      } finally {
        await s.stop();
      }
    }
  }
}

async function idle(argv: string[]): Promise<void> {
  const n = arg(argv, '--connections', 10_000);
  const { s, ws } = await server();
  const socks: WebSocket[] = [];
  try {
    await sleep(1000);
    const before = rssKb(s.pid);
    const t0 = performance.now();
    for (let i = 0; i < n; i += 200) {
      await Promise.all(Array.from({ length: Math.min(200, n - i) }, () => new Promise<void>((res, rej) => {
        const c = new WebSocket(`ws://127.0.0.1:${ws}/`, ['sip'], { perMessageDeflate: false });
        c.once('open', () => res());
        c.once('error', rej);
        c.on('error', () => undefined);
        socks.push(c);
      })));
    }
    const openS = (performance.now() - t0) / 1000;
    await sleep(3000);
    const after = rssKb(s.pid);
    const ok = await optionsAnswered(s.port);
    process.stdout.write(`idle ws: ${n} connections opened in ${openS.toFixed(1)} s; server RSS ${Math.round(before / 1024)} MiB → ${Math.round(after / 1024)} MiB: ` +
      `${Math.round(((after - before) * 1024) / n)} bytes per idle connection; OPTIONS over UDP meanwhile: ${ok ? '200' : 'no answer'}\n`);
  } finally {
    for (const c of socks) c.terminate();
    await s.stop();
  }
}

async function optionsAnswered(port: number): Promise<boolean> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const got = new Promise<boolean>((r) => {
    sock.once('message', (m) => r(m.toString('latin1').startsWith('SIP/2.0 200')));
    setTimeout(() => r(false), 5000);
  });
  const lp = sock.address().port;
  sock.send(`OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${lp};branch=z9hG4bKidle;rport\r\nFrom: <sip:b@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: idle\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`, port, '127.0.0.1');
  const ok = await got;
  sock.close();
  return ok;
}

async function fanout(argv: string[]): Promise<void> {
  const P = arg(argv, '--presentities', 10);
  const W = arg(argv, '--watchers', 100);
  const K = arg(argv, '--changes', 5);
  for (const t of ['udp', 'ws'] as BenchTransport[]) {
    const { s, ws } = await server();
    const links: Link[] = [];
    let notifies = 0;
    let lastAt = 0;
    try {
      const run = Math.random().toString(36).slice(2, 8);
      const onMessage = (m: string, link: Link): void => {
        if (!m.startsWith('NOTIFY ')) return;
        notifies++;
        lastAt = performance.now();
        const vias = [...m.matchAll(/\r\nVia:[ \t]*([^\r\n]*)/gi)].map((x) => `Via: ${x[1]}\r\n`).join('');
        const h = (n: string): string => new RegExp(`\\r\\n${n}:[ \\t]*([^\\r\\n]*)`, 'i').exec(m)?.[1] ?? '';
        link.send(`SIP/2.0 200 OK\r\n${vias}From: ${h('From')}\r\nTo: ${h('To')}\r\nCall-ID: ${h('Call-ID')}\r\nCSeq: ${h('CSeq')}\r\nContent-Length: 0\r\n\r\n`);
      };
      // One connection per watcher over WS (a browser each); one socket per watcher over UDP.
      for (let p = 0; p < P; p++) {
        for (let w = 0; w < W; w++) {
          const link = await openLink(t, t === 'ws' ? ws : s.port, onMessage);
          links.push(link);
          const aor = `sip:f${p}${run}@127.0.0.1`;
          link.send(`SUBSCRIBE ${aor} SIP/2.0\r\nVia: SIP/2.0/${link.via} ${link.local};branch=z9hG4bKs${p}x${w};rport\r\nMax-Forwards: 70\r\n` +
            `From: <sip:w${w}@127.0.0.1>;tag=w${w}\r\nTo: <${aor}>\r\nCall-ID: fan${run}${p}x${w}\r\nCSeq: 1 SUBSCRIBE\r\n` +
            `Contact: <sip:w@${link.local};transport=${link.via.toLowerCase()}>\r\nEvent: presence\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n`);
        }
      }
      const subscribed = P * W;
      const until = Date.now() + 60_000;
      while (notifies < subscribed && Date.now() < until) await sleep(50);
      const initial = notifies;
      const pub = await openLink('udp', s.port, () => undefined);
      // Each change goes to every presentity at once; timed from its PUBLISHes to the last
      // watcher's NOTIFY (P·W NOTIFYs), then the next change.
      const rates: number[] = [];
      for (let k = 0; k < K; k++) {
        const target = notifies + subscribed;
        const t0 = performance.now();
        for (let p = 0; p < P; p++) {
          const aor = `sip:f${p}${run}@127.0.0.1`;
          const body = `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${aor}"><tuple id="t"><status><basic>open</basic></status><note>change ${k}</note></tuple></presence>`;
          pub.send(`PUBLISH ${aor} SIP/2.0\r\nVia: SIP/2.0/UDP ${pub.local};branch=z9hG4bKp${k}x${p};rport\r\nMax-Forwards: 70\r\nFrom: <${aor}>;tag=p\r\nTo: <${aor}>\r\n` +
            `Call-ID: pub${run}${k}x${p}\r\nCSeq: 1 PUBLISH\r\nEvent: presence\r\nContent-Type: application/pidf+xml\r\nExpires: 600\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        }
        const end = Date.now() + 30_000;
        while (notifies < target && Date.now() < end) await sleep(5);
        if (notifies >= target) rates.push(subscribed / ((lastAt - t0) / 1000));
        await sleep(500);
      }
      pub.close();
      const mean = rates.length === 0 ? 0 : Math.round(rates.reduce((a, b) => a + b, 0) / rates.length);
      process.stdout.write(`fanout ${t.padEnd(3)}: ${P} presentities × ${W} watchers (${initial}/${subscribed} subscribed, one ${t === 'ws' ? 'WebSocket' : 'socket'} each): ` +
        `${rates.length}/${K} changes fully delivered, ${mean} NOTIFY/s (per change: ${rates.map((r) => Math.round(r)).join(', ')})\n`);
    } finally {
      for (const l of links) l.close();
      await s.stop();
    }
  }
}

const [cmd, ...rest] = process.argv.slice(2);
const sa = rest.indexOf('--server-args');
if (sa >= 0) {
  serverArgs = (rest[sa + 1] ?? '').split(/\s+/).filter((x) => x !== '');
  rest.splice(sa, 2);
}
const commands: Record<string, (a: string[]) => Promise<void>> = { rate, idle, fanout };
const f = commands[cmd ?? ''];
if (f === undefined) {
  process.stderr.write('usage: node dist/bench/transports/run.js rate|idle|fanout [options]\n');
  process.exitCode = 2;
} else {
  await f(rest);
}
