// Where a generator socket sits, and the responses it sends as a UAS (to NOTIFY, OPTIONS):
// the request's Via, From, To, Call-ID and CSeq lines copied byte for byte (RFC 3261 §8.2.6.2).
import type { ScannedMessage } from './sip-scan.js';
import type { SipView } from './sip-view.js';

/** Where the generator sits and where it sends (both numeric, no DNS on the hot path). */
export interface Endpoint {
  localHost: string;
  localPort: number;
  /** Domain used in AoRs and Request-URIs (the server's host). */
  domain: string;
}

export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function aor(user: string, ep: Endpoint): string {
  return `sip:${user}@${ep.domain}`;
}

const CLEN0 = Buffer.from('Content-Length: 0\r\n\r\n', 'latin1');
export const OK_200 = Buffer.from('SIP/2.0 200 OK\r\n', 'latin1');
export const NO_DIALOG_481 = Buffer.from('SIP/2.0 481 Call/Transaction Does Not Exist\r\n', 'latin1');
export const NOT_IMPLEMENTED_501 = Buffer.from('SIP/2.0 501 Not Implemented\r\n', 'latin1');

/** Answer the request in `req` (scanned just now) with `statusLine` (bytes with CRLF). */
export function respond(req: SipView, statusLine: Buffer): Buffer {
  let len = statusLine.length + CLEN0.length;
  for (let i = 0; i < req.copyCount; i++) len += req.copyEnd[i]! - req.copyStart[i]!;
  const out = Buffer.allocUnsafe(len);
  let at = statusLine.copy(out, 0);
  for (let i = 0; i < req.copyCount; i++) at += req.buf.copy(out, at, req.copyStart[i]!, req.copyEnd[i]!);
  CLEN0.copy(out, at);
  return out;
}

/** The same from a scanned message object (the test fake UAS and tests). */
export function buildResponse(req: ScannedMessage, status: number, reason: string): Buffer {
  let text = `SIP/2.0 ${status} ${reason}\r\n`;
  for (const line of req.copy) text += `${line}\r\n`;
  return Buffer.from(`${text}Content-Length: 0\r\n\r\n`, 'latin1');
}
