// The admin API's bearer token: made at first start, kept in <data>/admin-token (mode 0600),
// compared in constant time. Deleting the file and restarting makes a new one.
//
// API:
//   TOKEN_FILE                                   // 'admin-token'
//   ensureToken(dataDir): { token, path, created }
//   readToken(path): string                       // for the CLI; throws when unreadable
//   bearerMatcher(token): (authorizationHeader: string | undefined) => boolean
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const TOKEN_FILE = 'admin-token';

export function readToken(path: string): string {
  const t = readFileSync(path, 'utf8').trim();
  if (!/^[A-Za-z0-9_-]{20,200}$/.test(t)) throw new Error(`${path} does not hold a token`);
  return t;
}

export function ensureToken(dataDir: string): { token: string; path: string; created: boolean; loose: boolean } {
  const path = join(dataDir, TOKEN_FILE);
  try {
    const token = readToken(path);
    // Group/other access to the token is access to the server: say so at every start.
    const loose = (statSync(path).mode & 0o077) !== 0;
    return { token, path, created: false, loose };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`admin token ${path}: ${(e as Error).message}`);
  }
  const token = randomBytes(32).toString('base64url');
  // 'wx' with the final mode: never readable by others, never a planted file or symlink.
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, token + '\n');
  } finally {
    closeSync(fd);
  }
  return { token, path, created: true, loose: false };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function bearerMatcher(token: string): (header: string | undefined) => boolean {
  const want = digest(token);
  return (header) => {
    if (header === undefined || !/^Bearer\s+/i.test(header)) return false;
    // Digests of equal length: the comparison time says nothing about the token.
    return timingSafeEqual(digest(header.replace(/^Bearer\s+/i, '').trim()), want);
  };
}
