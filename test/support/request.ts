// Requests for handler and actor tests without a socket: the text is parsed (full parser, gate
// bypassed), viewed as a SipMsg, and its reply captured as a promise.
import { parseSipMessage } from '../../src/codec/sip/parse.js';
import { canonicalMsg } from '../../src/codec/sip/canonical.js';
import { parsePidf } from '../../src/codec/pidf/parse.js';
import type { Request } from '../../src/core/context.js';
import type { ResponseSpec } from '../../src/core/reply.js';

export interface TestRequest {
  req: Request;
  answer: Promise<ResponseSpec>;
}

export function makeRequest(lines: string[], bodyText = '', now = Date.now()): TestRequest {
  const text = `${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(bodyText)}\r\n\r\n${bodyText}`;
  const r = parseSipMessage(Buffer.from(text));
  if (!r.ok || r.msg.kind !== 'request') throw new Error('test request did not parse');
  const msg = canonicalMsg(r.msg);
  let resolve!: (s: ResponseSpec) => void;
  const answer = new Promise<ResponseSpec>((res) => (resolve = res));
  let answered = false;
  const req: Request = {
    msg,
    source: { address: '127.0.0.1', port: 5099, family: 4 },
    now,
    pidf: msg.method === 'PUBLISH' && msg.bodyLength > 0 ? parsePidf(msg.body) : null,
    identity: null,
    reply(spec) {
      if (answered) return;
      answered = true;
      resolve(spec);
    },
  };
  return { req, answer };
}

export const head = (method: string, uri: string, from: string, to: string, callId: string, cseq = 1): string[] => [
  `${method} ${uri} SIP/2.0`, 'Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKx;rport', 'Max-Forwards: 70',
  `From: <${from}>;tag=f1`, `To: <${to}>`, `Call-ID: ${callId}`, `CSeq: ${cseq} ${method}`,
];
