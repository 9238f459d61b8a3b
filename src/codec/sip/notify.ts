// A NOTIFY request in one string build and one Buffer (RFC 6665 §4.2.2, RFC 3261 §8.1.1): no
// header objects. The dialog's values come from its stored record as they are; only the branch,
// CSeq, Subscription-State and body change from one NOTIFY of a dialog to the next.
/** The dialog values a NOTIFY carries (RFC 3261 §12.2.1.1). */
export interface NotifyDialog {
  target: string;
  routes: readonly string[];
  localUri: string;
  tag: string;
  remoteUri: string;
  remoteTag: string;
  callId: string;
  event: string;
  eventId: string | null;
}

export interface NotifyParts {
  /** Our sent-by for the Via and Contact: `host:port` (IPv6 in brackets). */
  local: string;
  /** `host:port` for the Contact when it differs from `local` (nodes behind a balancer). */
  contact?: string;
  /** Transport token for the Via (`UDP`, `TCP`, `TLS`, `WS`, `WSS`). */
  transport: string;
  branch: string;
  cseq: number;
  state: string;
  userAgent: string;
  contentType: string | null;
  body: Buffer | null;
  /** Extra header lines, each ending in CRLF (e.g. `Require: eventlist`). */
  extra?: string;
}

export function renderNotify(r: NotifyDialog, p: NotifyParts): Buffer {
  let head = `NOTIFY ${r.target} SIP/2.0\r\nVia: SIP/2.0/${p.transport} ${p.local};branch=${p.branch};rport\r\nMax-Forwards: 70\r\n`;
  for (const route of r.routes) head += `Route: ${route}\r\n`;
  head += `From: ${r.localUri};tag=${r.tag}\r\nTo: ${r.remoteUri};tag=${r.remoteTag}\r\nCall-ID: ${r.callId}\r\nCSeq: ${p.cseq} NOTIFY\r\n`
    + `Contact: <sip:${p.contact ?? p.local}${p.transport === 'UDP' ? '' : `;transport=${p.transport.toLowerCase()}`}>\r\n`
    + `Event: ${r.eventId === null ? r.event : `${r.event};id=${r.eventId}`}\r\nSubscription-State: ${p.state}\r\nUser-Agent: ${p.userAgent}\r\n`;
  if (p.extra !== undefined) head += p.extra;
  const body = p.body;
  if (body !== null && p.contentType !== null) head += `Content-Type: ${p.contentType}\r\n`;
  head += `Content-Length: ${body === null ? 0 : body.length}\r\n\r\n`;
  const headLen = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLen + (body === null ? 0 : body.length));
  out.write(head, 0, headLen, 'utf8');
  if (body !== null) body.copy(out, headLen);
  return out;
}
