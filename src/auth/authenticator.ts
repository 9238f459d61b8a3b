// The running server's digest authenticator: the users file, the nonce secret and the nonce
// count guard, and the one decision "who sent this request" (RFC 3261 §22).
//
// API:
//   class Authenticator {
//     constructor({ realm, usersPath, nonceTtlMs?, secret? })
//     check(req: AuthRequest, now: number): AuthOutcome
//     reload(): void            // re-reads the users file; throws UsersFileError and keeps the old one
//     readonly realm: string; readonly userCount: number
//   }
//   type AuthOutcome = { ok: true; user: string }                       // 'alice@example.com'
//                    | { ok: false; status: 401; reason: string; headers: SipHeader[]; why: string }
//
// 401 + WWW-Authenticate for every method, never 407: RFC 3261 §22.3 reserves 407 and
// Proxy-Authenticate for proxies, and here the registrar (§10.3), the event state compositor
// (RFC 3903) and the presence agent (RFC 3856) are all the UAS the request is addressed to,
// "A UAS … MAY challenge … with a 401". Clients that nevertheless send Proxy-Authorization are
// read too, so a phone that learned the wrong header from another server still gets in.
//
// The digest `uri` is required but not compared with the Request-URI: phones differ in how
// they spell it (parameters, case), and the response already binds method, nonce and nc; a
// FIXME(RFC 3261 §22.4) for when the codec offers a lenient URI comparison.
//
// The nonce secret is random per process: after a restart a client's nonce is refused as
// unknown and the client simply answers the fresh challenge (it still has the password).
// Retransmissions never reach check(): the transaction layer answers them first, so a
// retransmitted Authorization cannot burn its own nonce count (RFC 3261 §17.2.2).
import { parseNameAddr } from '../codec/sip/name-addr.js';
import { parseUri } from '../codec/sip/uri.js';
import { randomBytes } from 'node:crypto';
import type { SipHeader } from '../codec/sip/types.js';
import { buildChallenge, pickCredentials, verifyDigest, NonceCounter, DEFAULT_NONCE_TTL_MS } from './digest.js';
import { findUser, loadUsers, lookupHa1, type UsersFile } from './users-file.js';

export type AuthOutcome =
  | { ok: true; user: string }
  | { ok: false; status: 401; reason: string; headers: SipHeader[]; why: string };

/** What the authenticator reads of a request. */
export interface AuthRequest {
  method: string;
  uri: string;
  /** The To and From values (the AoR a REGISTER or SUBSCRIBE acts for, when no realm is set). */
  to: string | undefined;
  from: string | undefined;
  /** Every Authorization and Proxy-Authorization line, in order. */
  credentials: string[];
}

export interface AuthenticatorOptions {
  realm: string;
  usersPath: string;
  nonceTtlMs?: number;
  secret?: Buffer;
  /** Challenges offered, in order (default SHA-256 then MD5). */
  algorithms?: ('SHA-256' | 'MD5')[];
}

export class Authenticator {
  readonly realm: string;
  readonly #usersPath: string;
  readonly #ttl: number;
  readonly #secret: Buffer;
  readonly #counter = new NonceCounter(65536);
  readonly #algorithms: ('SHA-256' | 'MD5')[] | undefined;
  #users: UsersFile;

  constructor(o: AuthenticatorOptions) {
    this.realm = o.realm;
    this.#usersPath = o.usersPath;
    this.#ttl = o.nonceTtlMs ?? DEFAULT_NONCE_TTL_MS;
    this.#secret = o.secret ?? randomBytes(32);
    this.#users = loadUsers(o.usersPath);
    this.#algorithms = o.algorithms;
  }

  get userCount(): number {
    return Object.keys(this.#users.users).length;
  }

  reload(): void {
    this.#users = loadUsers(this.#usersPath);
  }

  #challenge(realm: string, now: number, stale: boolean, why: string): AuthOutcome {
    const values = buildChallenge({ realm, secret: this.#secret, now, stale, ...(this.#algorithms ? { algorithms: this.#algorithms } : {}) });
    // One reason phrase whatever failed: telling "unknown user" from "wrong password" would let
    // anyone enumerate accounts. The precise cause goes to the debug log only.
    return { ok: false, status: 401, reason: 'Unauthorized', headers: values.map((value) => ({ name: 'WWW-Authenticate', value })), why };
  }

  /**
   * The realm a request is challenged in: the configured one, or — with none configured — the
   * domain of the address of record the request acts for (To of a REGISTER, the Request-URI of a
   * PUBLISH, the watcher's From of a SUBSCRIBE), which is the realm `comsipl user add
   * alice@example.com` gives a user by default. So a first run needs no realm setting.
   */
  realmFor(req: AuthRequest): string {
    if (this.realm !== '') return this.realm;
    const target = req.method === 'PUBLISH' ? req.uri : parseNameAddr((req.method === 'REGISTER' ? req.to : req.from) ?? '')?.uri ?? '';
    const host = parseUri(target)?.host ?? '';
    return host === '' ? 'comsipl' : host.replace(/^\[|\]$/g, '');
  }

  check(req: AuthRequest, now: number): AuthOutcome {
    const realm = this.realmFor(req);
    const lines = req.credentials;
    const credentials = lines.length === 0 ? null : pickCredentials(lines, realm);
    if (credentials === null) return this.#challenge(realm, now, false, lines.length === 0 ? 'no credentials' : 'no credentials for our realm');
    const users = this.#users;
    const r = verifyDigest({
      credentials, method: req.method, realm, secret: this.#secret, now, nonceTtlMs: this.#ttl,
      ha1: (u, rlm, alg) => lookupHa1(users, u, rlm, alg), nonceCounter: this.#counter,
      // Only what we offer is accepted: a site that requires SHA-256 refuses MD5 answers.
      ...(this.#algorithms ? { algorithms: this.#algorithms } : {}),
    });
    if (!r.ok) return this.#challenge(realm, now, r.stale, r.reason);
    const found = findUser(users, r.username, realm);
    if (found === undefined) return this.#challenge(realm, now, false, 'user vanished on reload');
    return { ok: true, user: found.aor };
  }
}
