// One server per data directory. Two processes writing the same LMDB files would each believe
// they own the registrations, publications and NOTIFY CSeqs, so the second one refuses to start.
//
// API:
//   lockDataDir(dir): Promise<DataLock>        // throws DataDirLocked (one line naming the holder)
//   DataLock.writeInfo(adminUrl | null)        // <dir>/comsipl.pid and <dir>/admin-url (for the CLI)
//   DataLock.release()
//
// The lock must vanish with its process however it dies (SIGKILL, OOM, power cut), so no
// file's mere existence is the lock:
//   - Linux: a listening socket in the abstract namespace named after the directory's real
//     path; the kernel frees the name the moment the process is gone. (It is per network
//     namespace: two servers in different namespaces sharing one directory are not caught.)
//   - elsewhere: <dir>/comsipl.pid created exclusively, and a pid file left by a process that
//     no longer runs is taken over.
// comsipl.pid is written on Linux too, so the refusal can name the pid holding the directory.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { closeSync, mkdirSync, openSync, readFileSync, realpathSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export const PID_FILE = 'comsipl.pid';
export const ADMIN_URL_FILE = 'admin-url';

export class DataDirLocked extends Error {}

/** The real path, also for a directory not made yet (its nearest existing ancestor, resolved). */
function canonical(dir: string): string {
  let head = resolve(dir);
  const tail: string[] = [];
  for (let i = 0; i < 256; i++) {
    try {
      return join(realpathSync(head), ...tail);
    } catch {
      const up = dirname(head);
      if (up === head) break;
      tail.unshift(basename(head));
      head = up;
    }
  }
  return resolve(dir);
}

function holderOf(dir: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(join(dir, PID_FILE), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function refusal(dir: string, pid: number | null): DataDirLocked {
  const who = pid === null ? 'another ComSIPL server' : `another ComSIPL server (pid ${pid})`;
  return new DataDirLocked(`data directory ${dir} is in use by ${who}; stop it first or choose another --data`);
}

export class DataLock {
  readonly #dir: string;
  readonly #socket: Server | null;
  #released = false;

  private constructor(dir: string, socket: Server | null) {
    this.#dir = dir;
    this.#socket = socket;
  }

  static async acquire(dir: string): Promise<DataLock> {
    if (process.platform === 'linux') {
      const name = `\0comsipl-data-${createHash('sha256').update(canonical(dir)).digest('hex').slice(0, 40)}`;
      const socket = createServer((c) => c.destroy());
      await new Promise<void>((ok, fail) => {
        socket.once('error', (e: NodeJS.ErrnoException) => fail(e.code === 'EADDRINUSE' ? refusal(dir, holderOf(dir)) : e));
        socket.listen(name, () => ok());
      });
      socket.unref();
      return new DataLock(dir, socket);
    }
    mkdirSync(dir, { recursive: true });
    const path = join(dir, PID_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o644);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return new DataLock(dir, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const pid = holderOf(dir);
        if (pid !== null && pid !== process.pid && alive(pid)) throw refusal(dir, pid);
        rmSync(path, { force: true }); // left by a process that is gone
      }
    }
    throw refusal(dir, holderOf(dir));
  }

  /** Records who holds the directory and where its admin API answers (the CLI reads both). */
  writeInfo(adminUrl: string | null): void {
    writeFileSync(join(this.#dir, PID_FILE), `${process.pid}\n`, { mode: 0o644 });
    if (adminUrl === null) rmSync(join(this.#dir, ADMIN_URL_FILE), { force: true });
    else writeFileSync(join(this.#dir, ADMIN_URL_FILE), `${adminUrl}\n`, { mode: 0o644 });
  }

  /** Never throws: it also runs after a start failed because the directory is unusable. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#socket?.close();
    try {
      rmSync(join(this.#dir, ADMIN_URL_FILE), { force: true });
      if (holderOf(this.#dir) === process.pid) rmSync(join(this.#dir, PID_FILE), { force: true });
    } catch {
      /* nothing of ours can be there */
    }
  }
}

export function lockDataDir(dir: string): Promise<DataLock> {
  return DataLock.acquire(dir);
}
