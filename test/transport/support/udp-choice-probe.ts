// Run by udp-batch.test.ts in a fresh process (the choice is made once per process): opens two
// sockets through openUdpBatch with the environment it was given, echoes one datagram over
// loopback, and prints `probe <kind> echo ok`. The choice's log line goes to stdout too.
import dgram from 'node:dgram';
import { createLogger } from '../../../src/log.js';
import { openUdpBatch } from '../../../src/transport/udp-batch.js';

const log = createLogger('info', process.stdout);
const a = await openUdpBatch({ family: 4, host: '127.0.0.1', port: 0 }, log);
const b = await openUdpBatch({ family: 4, host: '127.0.0.1', port: 0 }, log); // no second log line
a.start((batch) => {
  for (let i = 0; i < batch.count; i++) a.send(batch.datagram(i), batch.source(i));
});
b.start(() => {});
const peer = dgram.createSocket('udp4');
await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
const echoed = await new Promise<string>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('no echo within 5 s')), 5000);
  peer.once('message', (m) => {
    clearTimeout(timer);
    resolve(m.toString());
  });
  peer.send('ping', a.port, '127.0.0.1');
});
peer.close();
await a.close();
await b.close();
if (echoed !== 'ping') throw new Error(`echoed ${echoed}`);
process.stdout.write(`probe ${a.kind} echo ok\n`);
