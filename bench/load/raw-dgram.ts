// The floor under any Node generator on this machine: an open-loop dgram loop that sends one
// fixed REGISTER-sized datagram per "call" and counts the answers, with no SIP logic at all,
// paced like the generator (a 1 ms tick) in T threads with a socket each. generator.bench.ts
// prints it next to the generator so that a busy machine shows as a low floor, not as a slow
// generator. Bounded: `seconds` of sending, then 500 ms for the last answers.
import dgram from 'node:dgram';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export interface RawResult {
  sent: number;
  received: number;
}

const MESSAGE = Buffer.from(
  'REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKrawdgram000001000001;rport\r\n' +
    'Max-Forwards: 70\r\nFrom: <sip:rrawdgram00000001@127.0.0.1>;tag=rawdgram000001000001\r\n' +
    'To: <sip:rrawdgram00000001@127.0.0.1>\r\nCall-ID: rawdgram000001000001@load\r\nCSeq: 1 REGISTER\r\n' +
    'Contact: <sip:rrawdgram00000001@127.0.0.1:5999>\r\nExpires: 3600\r\nUser-Agent: comsipl-load\r\nContent-Length: 0\r\n\r\n',
  'latin1',
);

async function oneThread(port: number, rate: number, seconds: number): Promise<RawResult> {
  const sock = dgram.createSocket({
    type: 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 8 << 20, lookup: (a, _o, cb) => cb(null, a, 4),
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  let sent = 0;
  let received = 0;
  sock.on('message', () => {
    received++;
  });
  sock.on('error', () => undefined);
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = performance.now() - t0;
      if (elapsed >= seconds * 1000) return resolve();
      const due = Math.floor((rate * elapsed) / 1000) + 1;
      while (sent < due) {
        sock.send(MESSAGE, port, '127.0.0.1');
        sent++;
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, 500));
  sock.close();
  return { sent, received };
}

/** Run the raw loop in `threads` worker threads (rate split evenly) and sum their counts. */
export async function runRaw(port: number, rate: number, seconds: number, threads: number): Promise<RawResult> {
  const parts = await Promise.all(Array.from({ length: threads }, () => new Promise<RawResult>((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { port, rate: rate / threads, seconds } });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  return parts.reduce((a, b) => ({ sent: a.sent + b.sent, received: a.received + b.received }));
}

if (!isMainThread && parentPort !== null) {
  const { port, rate, seconds } = workerData as { port: number; rate: number; seconds: number };
  const out = parentPort;
  void oneThread(port, rate, seconds).then((r) => out.postMessage(r));
}
