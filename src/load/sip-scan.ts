// The generator's scanner as one plain object per message: for the test fake UAS and for
// code off the hot path. The generator itself reads datagrams through a reused SipView.
import {
  F_BRANCH, F_CALL_ID, F_CONTACT_URI, F_ETAG, F_FROM_TAG, F_METHOD, F_SUBSTATE, F_TO_TAG, METHOD_NAMES, SipView,
} from './sip-view.js';

export { isKeepAlive } from './sip-view.js';

/** What a UA needs from a datagram; strings are latin1 (all these fields are tokens or URIs). */
export interface ScannedMessage {
  isRequest: boolean;
  /** Response status, 0 for requests. */
  status: number;
  /** Request method, or the CSeq method of a response. */
  method: string;
  /** `branch` parameter of the top Via (RFC 3261 §17.1.3 matching). */
  branch: string;
  callId: string;
  cseq: number;
  fromTag: string;
  toTag: string;
  /** SIP-ETag (RFC 3903 §11.3.1), '' when absent. */
  etag: string;
  /** URI inside the first Contact header, '' when absent. */
  contactUri: string;
  /** Subscription-State value (RFC 6665 §8.2.3), '' when absent. */
  subState: string;
  /** Expires header, -1 when absent. */
  expires: number;
  /** Raw header lines a UAS must copy into its response (RFC 3261 §8.2.6.2); requests only. */
  copy: string[];
  /** The message body (a view into the datagram). */
  body: Buffer;
}

const view = new SipView();

/** Scan one datagram; null when it is not a SIP message (keep-alives, garbage). */
export function scanMessage(buf: Buffer): ScannedMessage | null {
  if (!view.scan(buf)) return null;
  const copy: string[] = [];
  for (let i = 0; i < view.copyCount; i++) {
    copy.push(buf.toString('latin1', view.copyStart[i], view.copyEnd[i]).replace(/\r?\n$/, ''));
  }
  let method = view.isRequest ? view.str(F_METHOD) : METHOD_NAMES[view.method]!;
  if (!view.isRequest && view.method === 0) method = cseqMethod(buf);
  return {
    isRequest: view.isRequest, status: view.status, method, branch: view.str(F_BRANCH), callId: view.str(F_CALL_ID),
    cseq: view.cseq, fromTag: view.str(F_FROM_TAG), toTag: view.str(F_TO_TAG), etag: view.str(F_ETAG),
    contactUri: view.str(F_CONTACT_URI), subState: view.str(F_SUBSTATE), expires: view.expires, copy, body: view.body(),
  };
}

/** The CSeq method of a response whose method is not one the generator knows by id. */
function cseqMethod(buf: Buffer): string {
  const m = /\r\n(?:cseq)[ \t]*:[ \t]*\d+[ \t]+([A-Za-z]+)/i.exec(buf.toString('latin1', 0, view.bodyStart));
  return m?.[1] ?? '';
}
