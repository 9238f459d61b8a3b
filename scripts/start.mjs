// `npm start`: compile only when a source changed since the last build, then run the server
// in THIS process (no child to orphan: npm forwards SIGTERM/SIGINT to us, and we are the
// server). A fresh clone builds once; later starts skip tsc when nothing is newer than the
// stamp that a successful build leaves in dist/.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, root } from './build.mjs';

const stamp = join(root, 'dist', '.build-stamp');
const entry = join(root, 'dist', 'src', 'main.js');

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** Newest modification time of the inputs of the server's build. */
function newestSource() {
  let newest = Math.max(mtime(join(root, 'tsconfig.json')), mtime(join(root, 'package.json')));
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, mtime(p));
    }
  };
  for (const dir of ['src', 'test', 'bench']) {
    try {
      walk(join(root, dir));
    } catch {
      /* absent in an installed package */
    }
  }
  return newest;
}

const built = mtime(entry) < 0 ? -1 : mtime(stamp);
if (built < 0 || newestSource() > built) {
  process.stderr.write('comsipl: sources changed since the last build; compiling (tsc)…\n');
  const status = await build();
  if (status !== 0) {
    process.stderr.write('comsipl: the build failed; not starting\n');
    process.exit(status);
  }
}
await import(pathToFileURL(entry).href);
