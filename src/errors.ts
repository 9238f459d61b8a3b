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
