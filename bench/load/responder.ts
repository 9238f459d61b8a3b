// A trivial UDP responder for measuring the generator alone: every request is answered with
// `200 OK` and its own header section (Via, From, To, Call-ID, CSeq are all a response needs
// for the client to match it, RFC 3261 §17.1.3). No parsing, so it costs less than the
// generator and the measurement is bounded by the generator, not by the responder.
// Usage: node dist/bench/load/responder.js [port] ; prints {"msg":"listening","port":P}.
import dgram from 'node:dgram';

const OK = Buffer.from('SIP/2.0 200 OK', 'latin1');

export function startResponder(port = 0, host = '127.0.0.1'): Promise<{ port: number; close: () => void }> {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 16 << 20, sendBufferSize: 16 << 20 });
  sock.on('error', () => undefined); // ENOBUFS under overload: the client retransmits
  sock.on('message', (buf, rinfo) => {
    const eol = buf.indexOf('\r\n');
    if (eol <= 0 || buf[0] === 0x53 /* 'S': a response, ignore */) return;
    sock.send([OK, buf.subarray(eol)], rinfo.port, rinfo.address);
  });
  return new Promise((resolve) => {
    sock.bind(port, host, () => resolve({ port: sock.address().port, close: () => sock.close() }));
  });
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\/dist\//, '/dist/'))) {
  const r = await startResponder(Number(process.argv[2] ?? 0));
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: r.port })}\n`);
  // Bounded: a stray responder never outlives an hour.
  setTimeout(() => process.exit(0), 3_600_000).unref();
  process.on('SIGTERM', () => process.exit(0));
}
