// The string transaction key as it was before the hashed table: the reference for its tests and bench.
// The server transaction key of a request (RFC 3261 §17.2.3): branch + sent-by + method when
// the branch carries the RFC 3261 magic cookie, else the RFC 2543 fallback over Request-URI,
// From tag, Call-ID, CSeq and the top Via.
import { getHeader, getHeaderValues } from '../../../src/codec/sip/headers.js';
import { parseVia } from '../../../src/codec/sip/via.js';
import { parseNameAddr } from '../../../src/codec/sip/name-addr.js';
import type { SipRequest } from '../../../src/codec/sip/types.js';

export function transactionKey(req: SipRequest): string {
  const top = getHeaderValues(req, 'Via')[0] ?? '';
  const via = parseVia(top);
  const branch = via?.params.get('branch') ?? '';
  // ACK matches the INVITE transaction (§17.2.3), which we never have: it is ignored upstream.
  const method = req.method === 'ACK' ? 'INVITE' : req.method;
  if (branch.startsWith('z9hG4bK') && branch.length > 7) return `${branch}\n${via!.host}:${via!.port ?? ''}\n${method}`;
  const fromTag = parseNameAddr(getHeader(req, 'From') ?? '')?.params.get('tag') ?? '';
  return `2543\n${req.uri}\n${fromTag}\n${getHeader(req, 'Call-ID')}\n${getHeader(req, 'CSeq')}\n${top}`;
}
