// Reason phrases and method sets shared by the gate and the response builder. Failures are
// data, not exceptions: handlers answer through ctx.reply(status, { reason, headers }), and the
// worker's gate returns { status, reason, headers } records.

/** Default reason phrases (RFC 3261 §21, RFC 3903, RFC 6665). */
export const REASON: Readonly<Record<number, string>> = Object.freeze({
  100: 'Trying',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  412: 'Conditional Request Failed',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  421: 'Extension Required',
  423: 'Interval Too Brief',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  489: 'Bad Event',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'Version Not Supported',
  513: 'Message Too Large',
});

export function reasonFor(status: number): string {
  return REASON[status] ?? (status < 300 ? 'OK' : 'Error');
}

/** Methods this server implements, and the ones RFC 3261 knows (405 vs 501). */
export const ALLOWED_METHODS = ['REGISTER', 'PUBLISH', 'SUBSCRIBE', 'OPTIONS'] as const;
export const KNOWN_METHODS = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY',
  'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
]);
export const ALLOW_HEADER = ALLOWED_METHODS.join(', ');

/**
 * The catalogue of refusals the core answers (fastify's errors.js shape): one code, one status,
 * one reason phrase naming the fault. Handlers and actors answer `refuse(SIP_ERR.X)`, so a
 * wording or a status is changed here and nowhere else. Generic parse/gate failures keep their
 * own reasons (request-gate.ts), which name the exact header at fault.
 */
export const SIP_ERR = Object.freeze({
  BAD_EXPIRES: { status: 400, reason: 'Bad Request - malformed Expires' },
  TO_NOT_SIP: { status: 400, reason: 'Bad Request - To is not a SIP URI' },
  BAD_CONTACT: { status: 400, reason: 'Bad Request - malformed Contact' },
  STAR_CONTACT: { status: 400, reason: 'Bad Request - Contact * needs Expires 0 and no other Contact' },
  MANY_IF_MATCH: { status: 400, reason: 'Bad Request - more than one SIP-If-Match' },
  NO_BODY: { status: 400, reason: 'Bad Request - initial PUBLISH without a body' },
  BAD_PIDF: { status: 400, reason: 'Bad Request - invalid PIDF document' },
  BAD_BODY: { status: 400, reason: 'Bad Request - invalid body' },
  BAD_LIST: { status: 400, reason: 'Bad Request - invalid resource list' },
  NO_LIST_BODY: { status: 400, reason: 'Bad Request - no resource list in the request' },
  NO_FROM_TAG: { status: 400, reason: 'Bad Request - From without tag' },
  NO_CONTACT: { status: 400, reason: 'Bad Request - SUBSCRIBE without Contact' },
  NOT_SIP_URIS: { status: 400, reason: 'Bad Request - To/From not SIP URIs' },
  NOT_YOUR_AOR: { status: 403, reason: 'Forbidden - not your address of record' },
  WINFO_NOT_YOURS: { status: 403, reason: 'Forbidden - only the presentity may watch its watchers' },
  WATCHER_BLOCKED: { status: 403, reason: 'Forbidden - watcher blocked' },
  LIST_NOT_YOURS: { status: 403, reason: 'Forbidden - not the owner of this resource list' },
  NO_PRESENTITY: { status: 404, reason: 'Not Found - no presentity in Request-URI' },
  FOREIGN_DOMAIN: { status: 404, reason: 'Not Found - domain not served here' },
  NOT_ACCEPTABLE: { status: 406, reason: 'Not Acceptable' },
  CONDITIONAL_FAILED: { status: 412, reason: 'Conditional Request Failed' },
  BODY_TOO_LARGE: { status: 413, reason: 'Request Entity Too Large' },
  UNSUPPORTED_TYPE: { status: 415, reason: 'Unsupported Media Type' },
  UNSUPPORTED_ENCODING: { status: 415, reason: 'Unsupported Media Type - content encoding' },
  EVENTLIST_REQUIRED: { status: 421, reason: 'Extension Required' },
  INTERVAL_TOO_BRIEF: { status: 423, reason: 'Interval Too Brief' },
  NO_SUBSCRIPTION: { status: 481, reason: 'Subscription Does Not Exist' },
  BAD_EVENT: { status: 489, reason: 'Bad Event' },
  BINDING_CSEQ: { status: 500, reason: 'Out of Order CSeq for Binding' },
  SUBSCRIBE_CSEQ: { status: 500, reason: 'Server Internal Error - CSeq out of order', retryAfter: 1 },
  STORE_FAILED: { status: 500, reason: 'Server Internal Error - store', retryAfter: 5 },
  INTERNAL: { status: 500, reason: 'Server Internal Error', retryAfter: 5 },
  OVERLOADED: { status: 503, reason: 'Service Unavailable - overloaded', retryAfter: 5 },
  STORE_UNAVAILABLE: { status: 503, reason: 'Service Unavailable - store unreachable', retryAfter: 5 },
  DIALOG_BUSY: { status: 503, reason: 'Service Unavailable - dialog moving between nodes', retryAfter: 2 },
} satisfies Record<string, SipErr>);

export interface SipErr {
  status: number;
  reason: string;
  retryAfter?: number;
}
