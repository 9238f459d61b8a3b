// Request builders for the simulated user agents. Each request is one template string
// turned into bytes once; every field that must be unique (branch, tags, Call-ID) comes
// from the caller so that builders stay pure and testable.
import type { ScannedMessage } from './sip-scan.js';

/** Where the generator sits and where it sends (both numeric, no DNS on the hot path). */
export interface Endpoint {
  localHost: string;
  localPort: number;
  /** Domain used in AoRs and Request-URIs (the server's host). */
  domain: string;
}

export interface RequestBase {
  branch: string;
  callId: string;
  cseq: number;
  fromTag: string;
  /** Empty for out-of-dialog requests. */
  toTag: string;
}

const UA = 'User-Agent: comsipl-load\r\n';

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function via(ep: Endpoint, branch: string): string {
  // `;rport` asks the server to answer to the source port (RFC 3581 §3).
  return `Via: SIP/2.0/UDP ${hostPort(ep.localHost, ep.localPort)};branch=${branch};rport\r\n`;
}

function toHeader(uri: string, tag: string): string {
  return tag === '' ? `To: <${uri}>\r\n` : `To: <${uri}>;tag=${tag}\r\n`;
}

export function aor(user: string, ep: Endpoint): string {
  return `sip:${user}@${ep.domain}`;
}

function contactOf(user: string, ep: Endpoint): string {
  return `<sip:${user}@${hostPort(ep.localHost, ep.localPort)}>`;
}

function finish(text: string, body: string): Buffer {
  // Everything the generator writes is ASCII, and latin1 encoding is the cheapest copy.
  return Buffer.from(`${text}Content-Length: ${body.length}\r\n\r\n${body}`, 'latin1');
}

/** REGISTER for one binding (RFC 3261 §10.2); expires 0 removes it. */
export function buildRegister(ep: Endpoint, r: RequestBase, user: string, expires: number): Buffer {
  const uri = aor(user, ep);
  return finish(
    `REGISTER sip:${ep.domain} SIP/2.0\r\n${via(ep, r.branch)}Max-Forwards: 70\r\n` +
      `From: <${uri}>;tag=${r.fromTag}\r\n${toHeader(uri, '')}Call-ID: ${r.callId}\r\n` +
      `CSeq: ${r.cseq} REGISTER\r\nContact: ${contactOf(user, ep)}\r\nExpires: ${expires}\r\n${UA}`,
    '',
  );
}

/** A minimal valid PIDF document (RFC 3863 §4) with a marker note watchers can look for. */
export function pidfBody(entity: string, basic: 'open' | 'closed', note: string, tupleId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\r\n' +
    `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${entity}">\r\n` +
    `<tuple id="${tupleId}"><status><basic>${basic}</basic></status>` +
    `<contact>${entity}</contact><note>${note}</note></tuple>\r\n</presence>\r\n`
  );
}

export interface PublishArgs {
  user: string;
  expires: number;
  /** SIP-If-Match for refresh/modify/remove (RFC 3903 §4.2-4.4); '' for initial. */
  ifMatch: string;
  /** PIDF body, '' for refresh/remove. */
  body: string;
}

export function buildPublish(ep: Endpoint, r: RequestBase, a: PublishArgs): Buffer {
  const uri = aor(a.user, ep);
  const ifMatch = a.ifMatch === '' ? '' : `SIP-If-Match: ${a.ifMatch}\r\n`;
  const ctype = a.body === '' ? '' : 'Content-Type: application/pidf+xml\r\n';
  return finish(
    `PUBLISH ${uri} SIP/2.0\r\n${via(ep, r.branch)}Max-Forwards: 70\r\n` +
      `From: <${uri}>;tag=${r.fromTag}\r\n${toHeader(uri, '')}Call-ID: ${r.callId}\r\n` +
      `CSeq: ${r.cseq} PUBLISH\r\nEvent: presence\r\nExpires: ${a.expires}\r\n${ifMatch}${ctype}${UA}`,
    a.body,
  );
}

export interface SubscribeArgs {
  watcher: string;
  presentity: string;
  expires: number;
  /** Request-URI: the presentity's AoR initially, the 2xx Contact in-dialog (RFC 6665 §4.1.2.1). */
  requestUri: string;
}

export function buildSubscribe(ep: Endpoint, r: RequestBase, a: SubscribeArgs): Buffer {
  return finish(
    `SUBSCRIBE ${a.requestUri} SIP/2.0\r\n${via(ep, r.branch)}Max-Forwards: 70\r\n` +
      `From: <${aor(a.watcher, ep)}>;tag=${r.fromTag}\r\n${toHeader(aor(a.presentity, ep), r.toTag)}` +
      `Call-ID: ${r.callId}\r\nCSeq: ${r.cseq} SUBSCRIBE\r\nContact: ${contactOf(a.watcher, ep)}\r\n` +
      `Event: presence\r\nAccept: application/pidf+xml\r\nExpires: ${a.expires}\r\n${UA}`,
    '',
  );
}

/** Response to a request we received (NOTIFY): copy Via/From/To/Call-ID/CSeq (RFC 3261 §8.2.6.2). */
export function buildResponse(req: ScannedMessage, status: number, reason: string): Buffer {
  let text = `SIP/2.0 ${status} ${reason}\r\n`;
  for (const line of req.copy) text += `${line}\r\n`;
  return Buffer.from(`${text}Content-Length: 0\r\n\r\n`, 'latin1');
}
