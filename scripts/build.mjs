// `npm run build`: tsc (incremental, see tsconfig.json), then mark the result: the server's
// entry becomes executable (the `comsipl` bin) and dist/.build-stamp tells `npm start`
// (scripts/start.mjs) that dist/ is as new as the sources that made it.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Removes compiled files whose source is gone: tsc builds incrementally and never deletes, so a
 * renamed or deleted test would otherwise keep running from dist/ (`npm test` finds tests there).
 */
function prune(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) prune(p);
    else if (/\.js(\.map)?$/.test(e.name)) {
      const src = join(root, relative(join(root, 'dist'), p)).replace(/\.js(\.map)?$/, '.ts');
      if (!existsSync(src)) rmSync(p);
    }
  }
}

/**
 * Runs tsc; resolves to its exit status. A SIGINT/SIGTERM meanwhile is passed on to tsc and
 * ends this process too (after tsc), so stopping `npm start` mid-build leaves nothing behind.
 */
export function build() {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const child = spawn(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
  let stoppedBy = null;
  const forward = (signal) => {
    stoppedBy = signal;
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      if (stoppedBy !== null) process.exit(130);
      if (code !== 0) return resolve(code ?? 1);
      prune(join(root, 'dist'));
      chmodSync(join(root, 'dist', 'src', 'main.js'), 0o755);
      writeFileSync(join(root, 'dist', '.build-stamp'), `${new Date().toISOString()}\n`);
      resolve(0);
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await build();
