// UdpTransport over loopback with whichever UDP path this process picked (the addon where it
// is built, COMSIPL_UDP=dgram forces the other): datagrams reach the server callback as
// Datagram objects, sends leave (at the end of the turn or on flush()), a destination of a
// family with no socket is counted, inject() still feeds the same callback.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, describe, it } from 'node:test';
import { createLogger } from '../../src/log.js';
import { UdpTransport, type Datagram } from '../../src/transport/udp-transport.js';

const WAIT_MS = 5000;

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

describe('UdpTransport', () => {
  const got: Datagram[] = [];
  const transport = new UdpTransport('127.0.0.1', 0, createLogger('silent'), (batch) => got.push(...batch));
  const peer = dgram.createSocket('udp4');
  const back: string[] = [];
  peer.on('message', (m) => back.push(m.toString()));
  after(async () => {
    peer.close();
    await transport.close();
  });

  it('hands received datagrams on with their source', async () => {
    await transport.start();
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    assert.ok(transport.port > 0);
    assert.ok(transport.implementation === 'native' || transport.implementation === 'dgram');
    for (const m of ['one', 'two', 'three']) peer.send(m, transport.port, '127.0.0.1');
    await until(() => got.length >= 3);
    assert.deepEqual(got.map((d) => d.data.toString()), ['one', 'two', 'three']);
    for (const d of got) assert.deepEqual([d.address, d.port, d.family], ['127.0.0.1', peer.address().port, 4]);
  });

  it('sends, at the end of the turn or on flush()', async () => {
    const dest = { address: '127.0.0.1', port: peer.address().port, family: 4 as const };
    transport.send(Buffer.from('a'), dest);
    transport.flush();
    transport.send(Buffer.from('b'), dest);
    await until(() => back.length >= 2);
    assert.deepEqual(back, ['a', 'b']);
  });

  it('counts a send to a family it has no socket for', () => {
    const before = transport.sendErrors;
    transport.send(Buffer.from('x'), { address: '::1', port: 9, family: 6 });
    assert.equal(transport.sendErrors, before + 1);
  });

  it('inject() feeds the same callback', async () => {
    const n = got.length;
    transport.inject(Buffer.from('injected'), '127.0.0.1', 5);
    await until(() => got.length > n);
    assert.equal(got.at(-1)!.data.toString(), 'injected');
  });
});
