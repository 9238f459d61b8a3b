// How a request is answered: a response spec handed to the request's ReplyTo, which renders it
// from the request's own bytes (the response writer) and completes the server transaction.
import type { SipErr } from '../errors.js';

export interface ResponseSpec {
  status: number;
  /** Default phrase for the status when absent. */
  reason?: string;
  /** Our To-tag (a dialog's local tag); a random one is made when the To has none. */
  toTag?: string;
  /** Extra header lines, each `Name: value\r\n`, rendered as given. */
  headers?: string;
  body?: Buffer | string;
  contentType?: string;
}

/** The answer channel of one request; the first reply wins, later ones are ignored. */
export interface ReplyTo {
  reply(spec: ResponseSpec): void;
}

/** A header line, CRLF-terminated. */
export function line(name: string, value: string | number): string {
  return `${name}: ${value}\r\n`;
}

/** The response for a catalogued refusal (errors.ts SIP_ERR), plus any extra header lines. */
export function refuse(err: SipErr, headers = ''): ResponseSpec {
  const ra = err.retryAfter === undefined ? '' : line('Retry-After', err.retryAfter);
  return { status: err.status, reason: err.reason, headers: headers + ra };
}
