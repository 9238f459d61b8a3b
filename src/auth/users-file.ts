// The users file: digest credentials as HA1 hashes, never plaintext passwords.
//
// API:
//   usersFilePath(dataDir: string): string                         // <data>/users.json
//   loadUsers(path: string): UsersFile                             // missing file → no users; frozen result
//   parseUsers(json: unknown, source: string): UsersFile           // validation, throws UsersFileError
//   addUser(path, { user, domain, realm?, password }): { created: boolean; aor: string; realm: string }
//   removeUser(path, aor): boolean                                 // false when there was no such user
//   lookupHa1(users, username, realm, algorithm: 'MD5'|'SHA-256'): string | undefined
//   findUser(users, username, realm): { aor: string; entry: UserEntry } | undefined
//   class UsersFileError extends Error
//
// Format (version 1):
//   { "version": 1,
//     "users": { "alice@example.com": { "realm": "example.com",
//                                        "ha1":  { "MD5": "…", "SHA-256": "…" },
//                                        "ha1b": { "MD5": "…", "SHA-256": "…" } } } }
// ha1  = H("alice:" realm ":" password)              — digest username = the user part
// ha1b = H("alice@example.com:" realm ":" password)  — digest username = the whole AoR
// SIP phones differ in which of the two they send as the digest username; storing both (the
// `ha1b` of Kamailio's subscriber table) lets either work. `ha1b` is optional when reading.
//
// Lookup: a digest username containing '@' is looked up as an AoR key and checked against
// ha1b; otherwise `<username>@<domain>` entries whose realm matches are searched through an
// index built once per loaded file. If one user part exists in two domains that share a
// realm, the short form is ambiguous and yields undefined (the full AoR form still works).
// The running server holds a frozen UsersFile and swaps in a newly loaded one on reload.
import { join } from 'node:path';
import { computeHa1, type BaseAlgorithm } from './digest.js';
import { readJsonFile, writeJsonAtomic } from './atomic-write.js';

export type Ha1Set = Partial<Record<BaseAlgorithm, string>>;

export interface UserEntry {
  realm: string;
  ha1: Ha1Set;
  ha1b?: Ha1Set;
}

export interface UsersFile {
  version: 1;
  users: Readonly<Record<string, UserEntry>>;
}

export class UsersFileError extends Error {}

const ALGORITHMS: readonly BaseAlgorithm[] = ['MD5', 'SHA-256'];
const HEX_LEN: Readonly<Record<BaseAlgorithm, number>> = { MD5: 32, 'SHA-256': 64 };
const USER_RE = /^[^\s@:"\\<>\x00-\x1f\x7f]+$/;
const DOMAIN_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$|^\[[0-9A-Fa-f:.]+\]$/;
const REALM_RE = /^[^\x00-\x1f\x7f]+$/;

export function usersFilePath(dataDir: string): string {
  return join(dataDir, 'users.json');
}

function emptyUsers(): UsersFile {
  return Object.freeze({ version: 1, users: Object.freeze(Object.create(null) as Record<string, UserEntry>) });
}

function checkHa1Set(v: unknown, where: string): Ha1Set {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsersFileError(`${where}: expected an object of HA1 values`);
  const out: Ha1Set = {};
  for (const [k, hex] of Object.entries(v as Record<string, unknown>)) {
    if (k !== 'MD5' && k !== 'SHA-256') throw new UsersFileError(`${where}: unknown algorithm '${k}'`);
    if (typeof hex !== 'string' || hex.length !== HEX_LEN[k] || !/^[0-9a-f]+$/.test(hex)) {
      throw new UsersFileError(`${where}.${k}: expected ${HEX_LEN[k]} lowercase hex digits`);
    }
    out[k] = hex;
  }
  return Object.freeze(out);
}

/** Validates a parsed users document; `source` names it in error messages. */
export function parseUsers(json: unknown, source: string): UsersFile {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsersFileError(`${source}: expected a JSON object`);
  const doc = json as Record<string, unknown>;
  if (doc.version !== 1) throw new UsersFileError(`${source}: unsupported version ${JSON.stringify(doc.version)} (expected 1)`);
  const raw = doc.users ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsersFileError(`${source}: "users" must be an object`);
  const users = Object.create(null) as Record<string, UserEntry>;
  for (const [aor, e] of Object.entries(raw as Record<string, unknown>)) {
    const where = `${source}: users["${aor}"]`;
    const at = aor.lastIndexOf('@');
    if (at <= 0 || !USER_RE.test(aor.slice(0, at)) || !DOMAIN_RE.test(aor.slice(at + 1))) throw new UsersFileError(`${where}: key must be user@domain`);
    if (typeof e !== 'object' || e === null) throw new UsersFileError(`${where}: expected an object`);
    const entry = e as Record<string, unknown>;
    if (typeof entry.realm !== 'string' || !REALM_RE.test(entry.realm)) throw new UsersFileError(`${where}.realm: expected a non-empty string`);
    const out: UserEntry = { realm: entry.realm, ha1: checkHa1Set(entry.ha1, `${where}.ha1`) };
    if (entry.ha1b !== undefined) out.ha1b = checkHa1Set(entry.ha1b, `${where}.ha1b`);
    users[aor] = Object.freeze(out);
  }
  return Object.freeze({ version: 1, users: Object.freeze(users) });
}

/** Reads and validates the users file; a missing file means no users. */
export function loadUsers(path: string): UsersFile {
  let json: unknown;
  try {
    json = readJsonFile(path);
  } catch (e) {
    throw new UsersFileError(`${path}: ${(e as Error).message}`);
  }
  return json === undefined ? emptyUsers() : parseUsers(json, path);
}

export interface AddUserInput {
  user: string;
  domain: string;
  /** Digest realm; defaults to the domain. */
  realm?: string;
  password: string;
}

/** Validates the input; returns an error line or null. Exposed for the CLI. */
export function checkAddUserInput(i: AddUserInput): string | null {
  if (!USER_RE.test(i.user)) return `invalid user part '${i.user}'`;
  if (!DOMAIN_RE.test(i.domain)) return `invalid domain '${i.domain}'`;
  if (i.realm !== undefined && !REALM_RE.test(i.realm)) return 'invalid realm';
  if (i.password.length === 0) return 'empty password';
  return null;
}

/** Adds or replaces one user, writing the file atomically with mode 0600. */
export function addUser(path: string, input: AddUserInput): { created: boolean; aor: string; realm: string } {
  const bad = checkAddUserInput(input);
  if (bad !== null) throw new UsersFileError(bad);
  const domain = input.domain.toLowerCase();
  const realm = input.realm ?? domain;
  const aor = `${input.user}@${domain}`;
  const current = loadUsers(path);
  const ha1: Ha1Set = {};
  const ha1b: Ha1Set = {};
  for (const a of ALGORITHMS) {
    ha1[a] = computeHa1(input.user, realm, input.password, a);
    ha1b[a] = computeHa1(aor, realm, input.password, a);
  }
  const created = !(aor in current.users);
  const users: Record<string, UserEntry> = {};
  for (const [k, v] of Object.entries(current.users)) users[k] = v;
  users[aor] = { realm, ha1, ha1b };
  writeJsonAtomic(path, { version: 1, users }, 0o600);
  return { created, aor, realm };
}

/** Removes one user (key `user@domain`, domain case-insensitive), rewriting the file atomically. */
export function removeUser(path: string, aor: string): boolean {
  const at = aor.lastIndexOf('@');
  const key = at > 0 ? `${aor.slice(0, at)}@${aor.slice(at + 1).toLowerCase()}` : aor;
  const current = loadUsers(path);
  if (!(key in current.users)) return false;
  const users: Record<string, UserEntry> = {};
  for (const [k, v] of Object.entries(current.users)) if (k !== key) users[k] = v;
  writeJsonAtomic(path, { version: 1, users }, 0o600);
  return true;
}

interface IndexHit { aor: string; entry: UserEntry; full: boolean }
const AMBIGUOUS = null;
const indexes = new WeakMap<UsersFile, Map<string, IndexHit | typeof AMBIGUOUS>>();

function indexOf(users: UsersFile): Map<string, IndexHit | null> {
  let idx = indexes.get(users);
  if (idx !== undefined) return idx;
  idx = new Map();
  for (const [aor, entry] of Object.entries(users.users)) {
    const user = aor.slice(0, aor.lastIndexOf('@'));
    idx.set(`${aor}\n${entry.realm}`, { aor, entry, full: true });
    const shortKey = `${user}\n${entry.realm}`;
    idx.set(shortKey, idx.has(shortKey) ? AMBIGUOUS : { aor, entry, full: false });
  }
  indexes.set(users, idx);
  return idx;
}

/** The account a digest username authenticates as, within `realm`. */
export function findUser(users: UsersFile, username: string, realm: string): { aor: string; entry: UserEntry } | undefined {
  const hit = indexOf(users).get(`${username}\n${realm}`);
  if (!hit) return undefined;
  // A full-AoR username must not match a short-name index slot, and vice versa.
  if (hit.full !== username.includes('@')) return undefined;
  return { aor: hit.aor, entry: hit.entry };
}

/** The HA1 verifyDigest needs for this digest username/realm/algorithm, if any. */
export function lookupHa1(users: UsersFile, username: string, realm: string, algorithm: BaseAlgorithm): string | undefined {
  const hit = indexOf(users).get(`${username}\n${realm}`);
  if (!hit || hit.full !== username.includes('@')) return undefined;
  return hit.full ? hit.entry.ha1b?.[algorithm] : hit.entry.ha1[algorithm];
}
