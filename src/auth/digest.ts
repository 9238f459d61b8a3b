// SIP digest authentication (RFC 3261 §22, with the RFC 7616 / RFC 8760 algorithms).
//
// API:
//   type BaseAlgorithm = 'MD5' | 'SHA-256'
//   type DigestAlgorithm = BaseAlgorithm | 'MD5-sess' | 'SHA-256-sess'
//   buildChallenge({ realm, secret, now, stale?, algorithms? }): string[]
//       one WWW-Authenticate / Proxy-Authenticate value per algorithm, SHA-256 family first
//   verifyDigest({ credentials, method, realm, secret, now, nonceTtlMs, ha1, nonceCounter, algorithms? })
//       → { ok: true; username } | { ok: false; stale; reason }
//   computeHa1(username, realm, password, algorithm: BaseAlgorithm): string
//   digestResponse({ algorithm, ha1, nonce, nc, cnonce, qop, method, uri }): string
//   DEFAULT_NONCE_TTL_MS = 300_000
//   re-exported: parseAuthorization, pickCredentials, DigestCredentials, NonceCounter, mintNonce
//
// Wiring (for the core): on REGISTER/PUBLISH/SUBSCRIBE without credentials for our realm →
// 401 with one WWW-Authenticate header per buildChallenge() value. With credentials →
// verifyDigest(); ok → continue as `username` (403 if that user may not act for the AoR,
// RFC 3261 §10.3 step 4); !ok → 401 with a new challenge, passing `stale` through.
// verifyDigest checks the digest `uri` is present but does not compare it with the
// Request-URI: SIP URI equality (RFC 3261 §19.1.4) belongs to the codec, so the core should
// compare credentials.uri with the Request-URI when it wants that extra binding.
//
// qop=auth is required: without qop there is no nc, and so no replay protection (RFC 7616
// §3.4 keeps the qop-less RFC 2069 form only for backward compatibility). `-sess` variants
// are computed correctly but only accepted when listed in `algorithms`.
import { createHash, timingSafeEqual } from 'node:crypto';
import { quoteString, type DigestCredentials } from './digest-params.js';
import { mintNonce, openNonce, type NonceCounter } from './nonce.js';

export { parseAuthorization, pickCredentials, type DigestCredentials } from './digest-params.js';
export { NonceCounter, mintNonce } from './nonce.js';

export type BaseAlgorithm = 'MD5' | 'SHA-256';
export type DigestAlgorithm = BaseAlgorithm | 'MD5-sess' | 'SHA-256-sess';

export const DEFAULT_NONCE_TTL_MS = 300_000;
/** Nonces dated further ahead than this (clock skew between nodes sharing a secret) are refused. */
export const MAX_FUTURE_SKEW_MS = 30_000;
const DEFAULT_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'];

const ALGO_NAMES: ReadonlyMap<string, DigestAlgorithm> = new Map([
  ['md5', 'MD5'], ['sha-256', 'SHA-256'], ['md5-sess', 'MD5-sess'], ['sha-256-sess', 'SHA-256-sess'],
]);

function baseOf(alg: DigestAlgorithm): BaseAlgorithm {
  return alg === 'MD5' || alg === 'MD5-sess' ? 'MD5' : 'SHA-256';
}

function h(alg: BaseAlgorithm, s: string): string {
  return createHash(alg === 'MD5' ? 'md5' : 'sha256').update(s, 'utf8').digest('hex');
}

/** HA1 = H(username ":" realm ":" password) (RFC 7616 §3.4.2). */
export function computeHa1(username: string, realm: string, password: string, algorithm: BaseAlgorithm): string {
  return h(algorithm, `${username}:${realm}:${password}`);
}

export interface ResponseInput {
  algorithm: DigestAlgorithm;
  /** The stored HA1 of the base algorithm (hex). */
  ha1: string;
  nonce: string;
  method: string;
  uri: string;
  /** 'auth' for the RFC 7616 form; undefined for the RFC 2069 form (no nc/cnonce). */
  qop?: string;
  nc?: string;
  cnonce?: string;
}

/** request-digest of RFC 7616 §3.4.1 (and RFC 2617 §3.2.2.1 when qop is absent). */
export function digestResponse(i: ResponseInput): string {
  const base = baseOf(i.algorithm);
  // -sess: HA1 = H(H(user:realm:pass) ":" nonce ":" cnonce) (RFC 7616 §3.4.2).
  const ha1 = i.algorithm.endsWith('-sess') ? h(base, `${i.ha1}:${i.nonce}:${i.cnonce ?? ''}`) : i.ha1;
  const ha2 = h(base, `${i.method}:${i.uri}`);
  if (i.qop === undefined) return h(base, `${ha1}:${i.nonce}:${ha2}`);
  return h(base, `${ha1}:${i.nonce}:${i.nc ?? ''}:${i.cnonce ?? ''}:${i.qop}:${ha2}`);
}

export interface ChallengeOptions {
  realm: string;
  secret: Buffer;
  now: number;
  stale?: boolean;
  algorithms?: readonly DigestAlgorithm[];
}

/**
 * Header values for a 401/407. RFC 8760 §2.4: when several algorithms are offered, one
 * challenge per algorithm, in order of preference, so SHA-256 comes before MD5. One nonce
 * is shared by all of them: whichever the client picks, the server verifies the same way.
 */
export function buildChallenge(opts: ChallengeOptions): string[] {
  const algs = [...(opts.algorithms ?? DEFAULT_ALGORITHMS)];
  // Stable sort: SHA-256 family first, the caller's order kept within a family.
  algs.sort((a, b) => (baseOf(a) === baseOf(b) ? 0 : baseOf(a) === 'SHA-256' ? -1 : 1));
  const nonce = mintNonce(opts.secret, opts.now);
  const head = `Digest realm=${quoteString(opts.realm)}, nonce="${nonce}", qop="auth", algorithm=`;
  const tail = opts.stale ? ', stale=true' : '';
  return [...new Set(algs)].map((a) => head + a + tail);
}

export type DigestFailure =
  | 'realm mismatch'
  | 'missing uri'
  | 'unsupported algorithm'
  | 'userhash not supported'
  | 'qop auth required'
  | 'missing cnonce'
  | 'bad nonce count'
  | 'forged nonce'
  | 'nonce from the future'
  | 'unknown user'
  | 'wrong response'
  | 'stale nonce'
  | 'replayed nonce count';

export type VerifyResult = { ok: true; username: string } | { ok: false; stale: boolean; reason: DigestFailure };

export interface VerifyOptions {
  credentials: DigestCredentials;
  method: string;
  realm: string;
  secret: Buffer;
  now: number;
  nonceTtlMs: number;
  ha1: (username: string, realm: string, algorithm: BaseAlgorithm) => string | undefined;
  nonceCounter: NonceCounter;
  /** Algorithms accepted; default SHA-256 and MD5. */
  algorithms?: readonly DigestAlgorithm[];
}

const NC_RE = /^[0-9a-fA-F]{8}$/;

function fail(reason: DigestFailure, stale = false): VerifyResult {
  return { ok: false, stale, reason };
}

/** Hex compare in constant time for equal lengths; lengths are not secret. */
function sameHex(expected: string, got: string): boolean {
  const a = Buffer.from(expected, 'latin1');
  const b = Buffer.from(got.toLowerCase(), 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function verifyDigest(o: VerifyOptions): VerifyResult {
  const c = o.credentials;
  if (c.realm !== o.realm) return fail('realm mismatch');
  if (c.uri === undefined || c.uri === '') return fail('missing uri');
  const alg = ALGO_NAMES.get((c.algorithm ?? 'MD5').toLowerCase());
  if (alg === undefined || !(o.algorithms ?? DEFAULT_ALGORITHMS).includes(alg)) return fail('unsupported algorithm');
  if (c.userhash !== undefined && c.userhash.toLowerCase() === 'true') return fail('userhash not supported');
  if (c.qop === undefined || c.qop.toLowerCase() !== 'auth') return fail('qop auth required');
  if (c.cnonce === undefined || c.cnonce === '') return fail('missing cnonce');
  if (c.nc === undefined || !NC_RE.test(c.nc)) return fail('bad nonce count');
  const nc = parseInt(c.nc, 16);
  if (nc === 0) return fail('bad nonce count');

  const opened = openNonce(c.nonce, o.secret);
  if (!opened.ok) return fail('forged nonce');
  if (opened.issuedAt > o.now + MAX_FUTURE_SKEW_MS) return fail('nonce from the future');

  const base = baseOf(alg);
  const stored = o.ha1(c.username, c.realm, base);
  // Unknown users still cost one hash, so timing does not reveal which usernames exist.
  const ha1 = stored ?? h(base, `\0${c.username}:${c.realm}`);
  const expected = digestResponse({
    algorithm: alg, ha1, nonce: c.nonce, method: o.method, uri: c.uri, qop: c.qop, nc: c.nc, cnonce: c.cnonce,
  });
  const match = sameHex(expected, c.response);
  if (stored === undefined) return fail('unknown user');
  if (!match) return fail('wrong response');

  // RFC 7616 §3.3: stale=true only when the digest is right but the nonce is too old, so the
  // client retries with a new nonce without asking its user for the password again.
  if (o.now - opened.issuedAt > o.nonceTtlMs) return fail('stale nonce', true);
  // Recorded only after the response is verified: a forger must not be able to burn nc values.
  if (!o.nonceCounter.accept(c.nonce, nc)) return fail('replayed nonce count');
  return { ok: true, username: c.username };
}
