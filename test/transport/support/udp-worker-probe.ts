// Run by udp-batch.test.ts in a fresh process: a Worker opens a socket through the addon,
// starts receiving and is terminated without closing it. The Worker's event loop must end
// with no handle of ours left open (Node aborts the whole process otherwise).
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { openUdpBatch } from '../../../src/transport/udp-batch.js';

if (isMainThread) {
  const w = new Worker(fileURLToPath(import.meta.url));
  const kind = await new Promise<string>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  await w.terminate();
  await new Promise((r) => setTimeout(r, 100));
  process.stdout.write(`worker ${kind} terminated cleanly\n`);
} else {
  const sock = await openUdpBatch({ family: 4, host: '127.0.0.1', port: 0 });
  sock.start(() => {});
  parentPort!.postMessage(sock.kind);
}
