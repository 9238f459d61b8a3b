// The server transaction key of a request (RFC 3261 §17.2.3): branch + sent-by + method when
// the branch carries the RFC 3261 magic cookie, else the RFC 2543 fallback over Request-URI,
// From tag, Call-ID, CSeq and the top Via.
import { HDR, type SipMsg } from '../codec/sip/msg.js';

export function transactionKey(msg: SipMsg): string {
  const via = msg.topVia;
  const branch = via?.branch ?? '';
  // ACK matches the INVITE transaction (§17.2.3), which we never have: it is ignored upstream.
  const method = msg.method === 'ACK' ? 'INVITE' : msg.method;
  if (via !== null && branch.length > 7 && branch.startsWith('z9hG4bK')) return `${branch}\n${via.host}:${via.port ?? ''}\n${method}`;
  return `2543\n${msg.uri}\n${msg.fromTag ?? ''}\n${msg.callId}\n${msg.first(HDR.CSeq) ?? ''}\n${msg.first(HDR.Via) ?? ''}`;
}
