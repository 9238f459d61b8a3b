// The canonical re-encoding of a message the full parser accepted (or of the headers a failed
// parse recovered), so that handlers see a SipMsg whatever the input looked like: start line
// with `SIP/2.0`, one header per line under its canonical long name, one via-parm per Via line
// (RFC 3261 §7.3.1: `Via: a, b` ≡ two Via lines), values unfolded as the parser left them, body
// unchanged. The line table is written while encoding, with the ids the scanner gives, so no
// second scan is needed (and none can fail: a valid Via with a quoted comma stays on one line,
// which the scanner would have refused).
//
// Encoding: the start line in latin1 (the parser decoded method and URI as latin1), header
// values in UTF-8 — as serialize.ts writes them — so that decoding a value of the SipMsg gives
// back the parser's string exactly (a value the parser read as latin1 becomes its UTF-8 form).
import { splitCommaList } from './params.js';
import { hdrIdOf } from './header-ids.js';
import { SipMsg, type StartInfo } from './msg.js';
import type { SipHeader, SipMessage } from './types.js';

const PARTIAL_START: StartInfo = { isRequest: true, method: '', uri: '', status: 0 };

interface Line {
  name: string;
  value: string;
}

function lineList(headers: readonly SipHeader[]): Line[] {
  const out: Line[] = [];
  for (const h of headers) {
    if (h.name !== 'Via' || !h.value.includes(',')) {
      out.push(h);
      continue;
    }
    const parts = splitCommaList(h.value);
    if (parts.length === 0) out.push(h);
    for (const v of parts) out.push({ name: 'Via', value: v });
  }
  return out;
}

function encode(startLine: string, headers: readonly SipHeader[], body: Uint8Array, start: StartInfo): SipMsg {
  const lines = lineList(headers);
  const startLen = Buffer.byteLength(startLine, 'latin1');
  let size = startLen + 2 + body.length;
  for (const l of lines) size += l.name.length + 2 + Buffer.byteLength(l.value, 'utf8') + 2;
  // Not from the shared pool: a worker may transfer this buffer.
  const buf = Buffer.allocUnsafeSlow(size);
  const table = new Int32Array(lines.length * 4);
  let p = buf.write(startLine, 0, 'latin1');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    table[i * 4] = hdrIdOf(l.name);
    table[i * 4 + 1] = p;
    p += buf.write(l.name, p, 'latin1');
    buf[p++] = 0x3a;
    buf[p++] = 0x20;
    table[i * 4 + 2] = p;
    p += buf.write(l.value, p, 'utf8');
    table[i * 4 + 3] = p;
    buf[p++] = 0x0d;
    buf[p++] = 0x0a;
  }
  buf[p++] = 0x0d;
  buf[p++] = 0x0a;
  const bodyStart = p;
  buf.set(body, p);
  return new SipMsg(buf, table, lines.length, start, bodyStart, bodyStart + body.length, true);
}

/** A SipMsg for a message parse.ts accepted. */
export function canonicalMsg(m: SipMessage): SipMsg {
  if (m.kind === 'response') {
    const line = `SIP/2.0 ${m.status} ${m.reason}`;
    // The reason phrase may carry UTF-8 (RFC 4475 §3.1.1.12): encode it as such.
    const start = Buffer.from(line, 'utf8').toString('latin1');
    return encode(start + '\r\n', m.headers, m.body, { isRequest: false, method: '', uri: '', status: m.status });
  }
  const start = `${m.method} ${m.uri} SIP/2.0\r\n`;
  return encode(start, m.headers, m.body, { isRequest: true, method: m.method, uri: m.uri, status: 0, uriStart: m.method.length + 1 });
}

/**
 * The headers a failed parse recovered (Via, From, To, Call-ID, CSeq: parse.ts ParseFailure),
 * as a SipMsg without a start line (method and uri ''), so that a 400 can still be answered
 * with writeResponse. Null when nothing was recovered.
 */
export function partialMsg(headers: readonly SipHeader[]): SipMsg | null {
  if (headers.length === 0) return null;
  return encode('', headers, new Uint8Array(0), PARTIAL_START);
}
