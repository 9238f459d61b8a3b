// A node's identity in its group: the dialogs it notifies are recorded under it, so a node that
// restarts with the same id takes them up again (unless a survivor adopted them meanwhile). Kept
// in <data>/node-id, made at first start, unless --node-id names it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const VALID = /^[A-Za-z0-9._-]{1,64}$/;

export function nodeIdFor(configured: string, dataDir: string): string {
  if (configured !== '') return configured;
  const file = join(dataDir, 'node-id');
  if (existsSync(file)) {
    const id = readFileSync(file, 'utf8').trim();
    if (VALID.test(id)) return id;
    throw new Error(`${file} does not hold a node id (1-64 letters, digits, '.', '_' or '-')`);
  }
  mkdirSync(dataDir, { recursive: true });
  const id = `n-${randomBytes(6).toString('hex')}`;
  writeFileSync(file, `${id}\n`, { flag: 'wx' });
  return id;
}
