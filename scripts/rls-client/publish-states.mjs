// PUBLISHes one PIDF state per friend (sip:<prefix><i>@<domain>) to the server over UDP on
// loopback, with a note naming the round, and waits for every 200 (bounded: 3 tries, 10 s).
// usage: node publish-states.mjs <port> <prefix> <domain> <count> <round> <etag file> [every]
//   every: publish only friends whose index is a multiple of it (a later round of changes);
//   the ETags of earlier rounds (kept in <etag file>) make them modifies (SIP-If-Match), so each
//   friend keeps one publication, as a real client's status change does.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';

const [port, prefix, domain, count, round, etagFile, every = '1'] = process.argv.slice(2);
const etags = existsSync(etagFile) ? JSON.parse(readFileSync(etagFile, 'utf8')) : {};
const n = Number(count);
const step = Number(every);
const sock = dgram.createSocket('udp4');
await new Promise((r) => sock.bind(0, '127.0.0.1', r));
const me = sock.address().port;
const pending = new Map();
sock.on('message', (buf) => {
  const text = buf.toString();
  const callId = /\r\nCall-ID:\s*(\S+)/i.exec(text)?.[1];
  if (callId !== undefined && /^SIP\/2\.0 200/.test(text) && pending.has(callId)) {
    const etag = /\r\nSIP-ETag:\s*(\S+)/i.exec(text)?.[1];
    if (etag !== undefined) etags[pending.get(callId)] = etag;
    pending.delete(callId);
  }
});
const build = (i, callId) => {
  const aor = `sip:${prefix}${i}@${domain}`;
  const basic = i % 3 === 2 ? 'closed' : 'open';
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${aor}"><tuple id="t${i}"><status><basic>${basic}</basic></status><note>${round}-${i}</note></tuple></presence>`;
  return `PUBLISH ${aor} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${me};branch=z9hG4bK${randomBytes(6).toString('hex')};rport\r\nMax-Forwards: 70\r\nFrom: <${aor}>;tag=${randomBytes(4).toString('hex')}\r\nTo: <${aor}>\r\nCall-ID: ${callId}\r\nCSeq: 1 PUBLISH\r\nEvent: presence\r\nExpires: 3600\r\n${etags[i] === undefined ? '' : `SIP-If-Match: ${etags[i]}\r\n`}Content-Type: application/pidf+xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
};
for (let i = 0; i < n; i += step) pending.set(`pub-${round}-${i}-${randomBytes(3).toString('hex')}`, i);
for (let attempt = 0; attempt < 3 && pending.size > 0; attempt++) {
  for (const [callId, i] of pending) sock.send(build(i, callId), Number(port), '127.0.0.1');
  const until = Date.now() + 3000;
  while (pending.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}
sock.close();
writeFileSync(etagFile, JSON.stringify(etags));
console.log(`published ${Math.ceil(n / step) - pending.size}/${Math.ceil(n / step)} (round ${round})`);
process.exit(pending.size === 0 ? 0 : 1);
