// Shared pieces of the hardening, auth, policy and overload tests: digest answers computed
// with the project's own digest module, and small request builders over SipUA.
import { computeHa1, digestResponse, type DigestAlgorithm } from '../../src/auth/digest.js';
import type { SipResponse } from '../../src/codec/sip/types.js';
import { SipUA, hdr, hdrs, rand, tagOf } from '../support/sip-ua.js';

export interface Challenge { realm: string; nonce: string; algorithm: string; qop: string | undefined; stale: boolean }

/** Reads one WWW-Authenticate value (the fields our server sends). */
export function parseChallenge(value: string): Challenge {
  const q = (name: string): string | undefined => new RegExp(`${name}="([^"]*)"`, 'i').exec(value)?.[1];
  const t = (name: string): string | undefined => new RegExp(`${name}=([^,\\s]+)`, 'i').exec(value)?.[1];
  return { realm: q('realm') ?? '', nonce: q('nonce') ?? '', algorithm: t('algorithm') ?? 'MD5', qop: q('qop'), stale: /stale=true/i.test(value) };
}

/** The challenge of `res` offering `algorithm`. */
export function challengeFor(res: SipResponse, algorithm: 'SHA-256' | 'MD5'): Challenge {
  const c = hdrs(res, 'WWW-Authenticate').map(parseChallenge).find((x) => x.algorithm === algorithm);
  if (c === undefined) throw new Error(`no ${algorithm} challenge in ${hdrs(res, 'WWW-Authenticate').join(' | ')}`);
  return c;
}

export interface Creds { user: string; password: string }

/** An Authorization header value answering `ch` for `method uri`, as a phone computes it. */
export function authorization(ch: Challenge, creds: Creds, method: string, uri: string, nc = 1, cnonce = rand(4)): string {
  const base = ch.algorithm.startsWith('SHA-256') ? 'SHA-256' : 'MD5';
  const ha1 = computeHa1(creds.user, ch.realm, creds.password, base);
  const ncHex = nc.toString(16).padStart(8, '0');
  const response = digestResponse({ algorithm: ch.algorithm as DigestAlgorithm, ha1, nonce: ch.nonce, method, uri, qop: 'auth', nc: ncHex, cnonce });
  return `Digest username="${creds.user}", realm="${ch.realm}", nonce="${ch.nonce}", uri="${uri}", response="${response}", algorithm=${ch.algorithm}, qop=auth, nc=${ncHex}, cnonce="${cnonce}"`;
}

export interface Dialog { callId: string; fromTag: string; toTag: string; cseq: number; uri: string; from: string; event: string; res: SipResponse }

/** A new SUBSCRIBE from `from` (an AoR URI) to `uri`. */
export async function subscribe(ua: SipUA, port: number, uri: string, from: string, opts: { event?: string; expires?: number; headers?: [string, string][] } = {}): Promise<Dialog> {
  const callId = rand();
  const fromTag = rand();
  const event = opts.event ?? 'presence';
  const res = await ua.request({
    method: 'SUBSCRIBE', uri, from: `<${from}>;tag=${fromTag}`, to: `<${uri}>`, callId, cseq: 1,
    headers: [['Event', event], ['Contact', `<sip:w@${ua.hostPort}>`], ['Expires', String(opts.expires ?? 600)], ...(opts.headers ?? [])],
  }, port);
  return { callId, fromTag, toTag: tagOf(hdr(res, 'To')) ?? '', cseq: 1, uri, from, event, res };
}

/** An in-dialog refresh (or Expires 0 unsubscribe). */
export function refresh(ua: SipUA, port: number, d: Dialog, expires = 600): Promise<SipResponse> {
  d.cseq++;
  return ua.request({
    method: 'SUBSCRIBE', uri: d.uri, from: `<${d.from}>;tag=${d.fromTag}`, to: `<${d.uri}>;tag=${d.toTag}`, callId: d.callId, cseq: d.cseq,
    headers: [['Event', d.event], ['Contact', `<sip:w@${ua.hostPort}>`], ['Expires', String(expires)]],
  }, port);
}

export const cseqOf = (m: { headers: { name: string; value: string }[] }): number => Number(hdr(m as never, 'CSeq')!.trim().split(/\s+/)[0]);

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
