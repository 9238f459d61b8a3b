// A parsed message (the full parser's SipMessage) re-encoded in canonical form — one header
// per line, long names, unfolded values, one via-parm per Via line, the body as received — and
// returned as the SipMsg view over those bytes. This is how messages the scanner leaves to the
// full parser reach the handlers as the same type as everything else.
import { SipMsg, hdrIdOf, internMethod, splitList } from './msg.js';
import type { SipMessage } from './types.js';

export function toSipMsg(m: SipMessage): SipMsg {
  const names: string[] = [];
  const values: string[] = [];
  for (const h of m.headers) {
    if (h.name === 'Content-Length') continue;
    if (h.name === 'Via') {
      const vias: string[] = [];
      splitList(h.value, vias);
      for (const v of vias) {
        names.push('Via');
        values.push(v);
      }
    } else {
      names.push(h.name);
      values.push(h.value);
    }
  }
  const start = m.kind === 'request' ? `${m.method} ${m.uri} SIP/2.0\r\n` : `SIP/2.0 ${m.status} ${m.reason}\r\n`;
  let head = start;
  for (let i = 0; i < names.length; i++) head += `${names[i]}: ${values[i]}\r\n`;
  head += `Content-Length: ${m.body.length}\r\n\r\n`;
  const headLen = Buffer.byteLength(head, 'utf8');
  const buf = Buffer.allocUnsafe(headLen + m.body.length);
  buf.write(head, 0, headLen, 'utf8');
  buf.set(m.body, headLen);
  // The line table, found on the bytes just written (values are UTF-8 there).
  const lines = new Int32Array((names.length + 1) * 4);
  let count = 0;
  let p = Buffer.byteLength(start, 'utf8');
  const all = [...names, 'Content-Length'];
  for (const name of all) {
    const nameStart = p;
    const colon = buf.indexOf(0x3a, p);
    const vs = colon + 2;
    const eol = buf.indexOf(0x0d, vs);
    lines[count * 4] = hdrIdOf(name);
    lines[count * 4 + 1] = nameStart;
    lines[count * 4 + 2] = vs;
    lines[count * 4 + 3] = eol;
    count++;
    p = eol + 2;
  }
  const method = m.kind === 'request' ? internMethod(Buffer.from(m.method, 'latin1'), 0, m.method.length) : '';
  return new SipMsg(buf, lines, count, { isRequest: m.kind === 'request', method, uri: m.kind === 'request' ? m.uri : '', status: m.kind === 'response' ? m.status : 0 }, headLen, headLen + m.body.length);
}

