// Atomic replacement of a small JSON file (users.json, rules.json).
//
// API:
//   writeJsonAtomic(path: string, value: unknown, mode = 0o600): void
//   readJsonFile(path: string): unknown | undefined   // undefined when the file does not exist
//
// Why temp file + fsync + rename: a reader (the running server reloading on SIGHUP or on a
// file-change event) must see either the old document or the new one, never a half-written
// one. rename(2) within one directory is atomic on POSIX file systems; the fsync before it
// makes sure the new name never points at data still sitting in the page cache after a crash.
// The temp file is created with the final mode (0600 by default) so secrets such as HA1
// values are never readable by others, not even for an instant.
//
// Used by src/auth/users-file.ts and src/policy/watcher-rules.ts. Synchronous on purpose:
// these are operator actions (CLI, reload), never on a per-message path.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export function writeJsonAtomic(path: string, value: unknown, mode = 0o600): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const data = Buffer.from(JSON.stringify(value, null, 2) + '\n', 'utf8');
  // 'wx': fail rather than follow a symlink or reuse a file someone planted under our temp name.
  const fd = openSync(tmp, 'wx', mode);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
  // Persist the directory entry too, so the rename itself survives a crash (best effort:
  // some file systems refuse fsync on a directory handle).
  try {
    const dfd = openSync(dir, 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* not supported here */ }
}

/** Parsed JSON of `path`, or undefined when it does not exist. Throws on other I/O or JSON errors. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return JSON.parse(text) as unknown;
}
