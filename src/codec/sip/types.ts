// The SIP message model shared by the codec, the workers and the core.
// Values are decoded strings (latin1 for tokens, utf8 where RFC 3261 allows UTF-8):
// the parser works on the Buffer, and only the final per-header value is decoded.

/** One header line (or one line of a repeated header), name in canonical long form. */
export interface SipHeader {
  /** Canonical long name: compact forms expanded (`i` → `Call-ID`), known names in RFC case. */
  name: string;
  /** Value with folding (CRLF + WSP) replaced by one space, leading/trailing LWS trimmed. */
  value: string;
}

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  version: string;
  headers: SipHeader[];
  /** Exactly Content-Length bytes (or the rest of the datagram when Content-Length is absent). */
  body: Uint8Array;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  version: string;
  headers: SipHeader[];
  body: Uint8Array;
}

export type SipMessage = SipRequest | SipResponse;

/**
 * A failure to parse: which response the request deserves (400, 505, 513 …) and the
 * headers that could be recovered so that a response can still be built (Via, From, To,
 * Call-ID, CSeq). `drop` means: no response can or should be sent (a response, or no Via).
 */
export interface ParseFailure {
  ok: false;
  status: number;
  reason: string;
  drop: boolean;
  partial: SipHeader[];
}

export type ParseResult = { ok: true; msg: SipMessage } | ParseFailure;

export interface SipUri {
  scheme: string; // lower case: 'sip' | 'sips' | 'tel' | …
  user: string | null; // as written (escapes kept)
  password: string | null;
  host: string; // lower case; IPv6 references keep their brackets
  port: number | null;
  params: Map<string, string | null>; // names lower case
  headers: string | null; // raw `?…` part
  /** Non-SIP schemes (absoluteURI): everything after `scheme:`, as written. */
  opaque?: string;
}

export interface NameAddr {
  displayName: string | null; // unquoted
  uri: string; // raw URI text
  params: Map<string, string | null>; // header params (tag, expires, q …), names lower case
}

export interface Via {
  transport: string; // upper case: 'UDP' | 'TCP' …
  host: string;
  port: number | null;
  params: Map<string, string | null>; // names lower case
  raw: string; // the via-parm exactly as received
}
