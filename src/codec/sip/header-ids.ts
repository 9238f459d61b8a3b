// Header ids: the headers the server asks for by number, their canonical names, name → id.

/** Header ids the server asks for by number. Anything else is HDR.OTHER, found by name. */
export const HDR = {
  OTHER: 0,
  Via: 1,
  From: 2,
  To: 3,
  CallId: 4,
  CSeq: 5,
  Contact: 6,
  Expires: 7,
  Event: 8,
  Accept: 9,
  SipIfMatch: 10,
  ContentType: 11,
  ContentLength: 12,
  ContentEncoding: 13,
  ContentDisposition: 14,
  Authorization: 15,
  ProxyAuthorization: 16,
  RecordRoute: 17,
  Route: 18,
  Require: 19,
  ProxyRequire: 20,
  Supported: 21,
  MaxForwards: 22,
  RetryAfter: 23,
  SipETag: 24,
  SubscriptionState: 25,
  AllowEvents: 26,
  UserAgent: 27,
  MinExpires: 28,
} as const;
export type HdrId = (typeof HDR)[keyof typeof HDR];
export const HDR_COUNT = 29;

/** Canonical long names by id (the spelling the canonical re-encoding writes). */
export const HDR_NAME: readonly string[] = [
  '', 'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Expires', 'Event', 'Accept', 'SIP-If-Match',
  'Content-Type', 'Content-Length', 'Content-Encoding', 'Content-Disposition', 'Authorization',
  'Proxy-Authorization', 'Record-Route', 'Route', 'Require', 'Proxy-Require', 'Supported',
  'Max-Forwards', 'Retry-After', 'SIP-ETag', 'Subscription-State', 'Allow-Events', 'User-Agent', 'Min-Expires',
];

const HDR_BY_NAME = new Map<string, HdrId>(HDR_NAME.map((n, i) => [n, i as HdrId] as const).filter(([n]) => n !== ''));

/** The id of a canonical header name (as header-names.ts spells it), or HDR.OTHER. */
export function hdrIdOf(canonical: string): HdrId {
  return HDR_BY_NAME.get(canonical) ?? HDR.OTHER;
}
