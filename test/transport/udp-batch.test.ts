// UdpBatchSocket, both implementations, over loopback only: what arrives is what was sent
// (bytes, boundaries, source address), sends leave in order, bad destinations are counted,
// and the choice between the addon and node:dgram follows the environment and falls back
// when the addon is absent.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { DgramBatchSocket } from '../../src/transport/udp-batch-dgram.js';
import { loadNativeUdp, NativeBatchSocket } from '../../src/transport/udp-batch-native.js';
import type { RecvBatch, UdpBatchOptions, UdpBatchSocket } from '../../src/transport/udp-batch.js';

const WAIT_MS = 5000;

function hasCompiler(): boolean {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Got {
  payloads: string[];
  sources: string[];
  batchSizes: number[];
}

function collect(sock: UdpBatchSocket): Got {
  const got: Got = { payloads: [], sources: [], batchSizes: [] };
  sock.start((b: RecvBatch) => {
    got.batchSizes.push(b.count);
    assert.equal(b.ends.length, b.count);
    for (let i = 0; i < b.count; i++) {
      const d = b.datagram(i);
      const start = i === 0 ? 0 : b.ends[i - 1]!;
      assert.deepEqual(Buffer.from(b.data.subarray(start, b.ends[i]!)), d);
      got.payloads.push(d.toString('latin1'));
      const s = b.source(i);
      got.sources.push(`${s.family}|${s.address}|${s.port}`);
    }
  });
  return got;
}

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

// Sends go in chunks that a default-sized socket buffer (208 KiB) holds, each awaited before the
// next: nothing is dropped however slow the machine is.
const CHUNK = 50;

async function rawSocket(type: 'udp4' | 'udp6', host: string): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type, recvBufferSize: 1 << 20 });
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  return s;
}

function received(s: dgram.Socket): string[] {
  const out: string[] = [];
  s.on('message', (m) => out.push(m.toString('latin1')));
  return out;
}

type Opener = (o: UdpBatchOptions) => Promise<UdpBatchSocket>;
const impls: [string, Opener][] = [['dgram', (o) => DgramBatchSocket.open(o)]];
const native = loadNativeUdp();
if (native.ok) impls.push(['native', (o) => NativeBatchSocket.open(o)]);

describe('the addon is there where it can be built', () => {
  // A build that failed silently at install would otherwise only show as a slower server.
  // COMSIPL_UDP=dgram says the fallback is meant (e.g. a machine without Node's headers).
  it('loads on Linux with a C compiler (install built it), else names why not', () => {
    if (process.platform === 'linux' && hasCompiler() && process.env['COMSIPL_UDP'] !== 'dgram') {
      assert.deepEqual(native, { ok: true }, 'run `npm run build:native` and read its line');
    } else if (!native.ok) assert.ok(native.reason.length > 0);
  });
});

for (const [name, open] of impls) {
  describe(`UdpBatchSocket (${name})`, () => {
    const open4 = (extra: Partial<UdpBatchOptions> = {}): Promise<UdpBatchSocket> => open({ family: 4, host: '127.0.0.1', port: 0, ...extra });
    const toClose: (UdpBatchSocket | dgram.Socket)[] = [];
    after(async () => {
      for (const s of toClose) {
        if ('kind' in s) await s.close();
        else s.close();
      }
    });

    it('receives datagrams whole, with their boundaries and source, IPv4', async () => {
      const sock = await open4({ recvBatch: 8, maxPerWake: 64 });
      const peer = await rawSocket('udp4', '127.0.0.1');
      toClose.push(sock, peer);
      const got = collect(sock);
      assert.equal(sock.kind, name);
      const sent = Array.from({ length: 200 }, (_, i) => `m${i}:${'x'.repeat(i * 7)}`);
      sent.push(''); // a zero-length datagram is a datagram too
      for (let i = 0; i < sent.length; i += CHUNK) {
        for (const p of sent.slice(i, i + CHUNK)) peer.send(Buffer.from(p, 'latin1'), sock.port, '127.0.0.1');
        await until(() => got.payloads.length >= Math.min(sent.length, i + CHUNK));
      }
      // Loopback keeps one sender's order; nothing is lost at this size and pace.
      assert.deepEqual(got.payloads, sent);
      assert.ok(got.sources.every((s) => s === `4|127.0.0.1|${peer.address().port}`));
    });

    it('hands on at most maxPerWake datagrams per batch', async () => {
      const sock = await open4({ recvBatch: 4, maxPerWake: 16 });
      const peer = await rawSocket('udp4', '127.0.0.1');
      toClose.push(sock, peer);
      const got = collect(sock);
      for (let i = 0; i < 3 * CHUNK; i++) peer.send(`t${i}`, sock.port, '127.0.0.1'); // ~150 KiB of buffer at most
      await until(() => got.payloads.length >= 3 * CHUNK);
      assert.equal(got.payloads.length, 3 * CHUNK);
      // node:dgram has no such bound (one event per datagram, gathered per turn).
      if (name === 'native') assert.ok(got.batchSizes.every((n) => n >= 1 && n <= 16), String(got.batchSizes));
    });

    it('receives a datagram of 60,000 bytes intact', async () => {
      const sock = await open4();
      const peer = await rawSocket('udp4', '127.0.0.1');
      toClose.push(sock, peer);
      const got = collect(sock);
      const big = Buffer.alloc(60_000, 'abcdefgh');
      peer.send(big, sock.port, '127.0.0.1');
      await until(() => got.payloads.length >= 1);
      assert.equal(got.payloads[0], big.toString('latin1'));
    });

    it('sends queued datagrams in order, and sendMany at once', async () => {
      const sock = await open4();
      const peer = await rawSocket('udp4', '127.0.0.1');
      toClose.push(sock, peer);
      const out = received(peer);
      const dest = { address: '127.0.0.1', port: peer.address().port, family: 4 as const };
      for (let i = 0; i < CHUNK; i++) sock.send(Buffer.from(`q${i}`), dest);
      await until(() => out.length >= CHUNK);
      sock.sendMany(Array.from({ length: CHUNK }, (_, i) => ({ buf: Buffer.from(`m${i}`), dest })));
      await until(() => out.length >= 2 * CHUNK);
      const expected = [...Array.from({ length: CHUNK }, (_, i) => `q${i}`), ...Array.from({ length: CHUNK }, (_, i) => `m${i}`)];
      assert.deepEqual(out, expected);
      assert.equal(sock.sendErrors, 0);
    });

    it('answers to where a datagram came from, IPv6 ::1', async () => {
      const sock = await open({ family: 6, host: '::1', port: 0, ipv6Only: true });
      const peer = await rawSocket('udp6', '::1');
      toClose.push(sock, peer);
      const back = received(peer);
      sock.start((b) => {
        for (let i = 0; i < b.count; i++) sock.send(Buffer.concat([Buffer.from('re:'), b.datagram(i)]), b.source(i));
      });
      peer.send(Buffer.from('hello6'), sock.port, '::1');
      await until(() => back.length >= 1);
      assert.deepEqual(back, ['re:hello6']);
    });

    it('skips a destination it cannot send to and sends the rest', async () => {
      const sock = await open4();
      const peer = await rawSocket('udp4', '127.0.0.1');
      toClose.push(sock, peer);
      const out = received(peer);
      const good = { address: '127.0.0.1', port: peer.address().port, family: 4 as const };
      sock.sendMany([
        { buf: Buffer.from('a'), dest: good },
        { buf: Buffer.from('lost'), dest: { address: 'not-an-address', port: 9, family: 4 } },
        { buf: Buffer.from('b'), dest: good },
      ]);
      await until(() => out.length >= 2);
      assert.deepEqual(out, ['a', 'b']);
      // node:dgram drops such a send without telling (no callback, no 'error'); the addon counts it.
      if (name === 'native') assert.equal(sock.sendErrors, 1);
    });

    it('stops delivering after close, and counts sends after it as errors', async () => {
      const sock = await open4();
      const peer = await rawSocket('udp4', '127.0.0.1');
      toClose.push(peer);
      const got = collect(sock);
      peer.send('before', sock.port, '127.0.0.1');
      await until(() => got.payloads.length >= 1);
      await sock.close();
      await sock.close(); // twice is harmless
      sock.send(Buffer.from('x'), { address: '127.0.0.1', port: peer.address().port, family: 4 });
      assert.equal(sock.sendErrors, 1);
      peer.send('after', sock.port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(got.payloads, ['before']);
    });
  });
}

describe('choosing the implementation', () => {
  const probe = fileURLToPath(new URL('./support/udp-choice-probe.js', import.meta.url));
  const runProbe = (env: Record<string, string>): { status: number | null; out: string; err: string } => {
    const r = spawnSync(process.execPath, [probe], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };

  it('COMSIPL_UDP=dgram forces node:dgram, logged in one line, and it works', () => {
    const r = runProbe({ COMSIPL_UDP: 'dgram' });
    assert.equal(r.status, 0, r.err);
    const lines = r.out.trim().split('\n');
    const logs = lines.filter((l) => l.includes('"udp"'));
    assert.equal(logs.length, 1, r.out);
    assert.match(logs[0]!, /"udp":"dgram".*COMSIPL_UDP=dgram/);
    assert.match(lines.at(-1)!, /^probe dgram echo ok$/);
  });

  it('falls back to node:dgram when the addon is absent', () => {
    const r = runProbe({ COMSIPL_UDP: 'auto', COMSIPL_UDP_ADDON: '/nonexistent/udp_batch.node' });
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /"udp":"dgram".*addon not built/);
    assert.match(r.out, /probe dgram echo ok/);
  });

  it('COMSIPL_UDP=native refuses to start without the addon', () => {
    const r = runProbe({ COMSIPL_UDP: 'native', COMSIPL_UDP_ADDON: '/nonexistent/udp_batch.node' });
    assert.notEqual(r.status, 0);
    assert.match(r.err, /COMSIPL_UDP=native but the addon is unavailable/);
  });

  if (native.ok) {
    it('a Worker that ends with a socket still open leaves no handle behind (no abort)', () => {
      const r = spawnSync(process.execPath, [fileURLToPath(new URL('./support/udp-worker-probe.js', import.meta.url))], {
        env: { ...process.env, COMSIPL_UDP: 'native' }, encoding: 'utf8', timeout: 20_000,
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /worker native terminated cleanly/);
    });

    it('picks the addon by default where it is built', () => {
      const r = runProbe({ COMSIPL_UDP: '' });
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, /"udp":"native"/);
      assert.match(r.out, /probe native echo ok/);
    });
  }
});
