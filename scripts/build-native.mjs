// Builds the optional recvmmsg/sendmmsg addon (native/udp-batch) at install time, with the
// node-gyp that npm itself ships and the headers of the Node that runs this script: nothing is
// downloaded. It never fails the install: without Linux, a compiler or headers, the server
// uses node:dgram (src/transport/udp-batch.ts) and this prints why, in one line.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ADDON_DIR = join(ROOT, 'native', 'udp-batch');
const BUILD_TIMEOUT_MS = 180_000;

function say(line) {
  process.stdout.write(`udp-batch: ${line}\n`);
}

/** npm sets npm_config_node_gyp for its scripts; otherwise look beside this Node's npm. */
function findNodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return fromNpm;
  const prefix = resolve(dirname(process.execPath), '..');
  for (const p of [join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')]) {
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * The headers of the running Node: npm's nodedir setting when there is one, else the install
 * prefix when it ships include/node (Debian and nodesource packages, the official tarballs).
 * null leaves node-gyp to its own cache, which it would try to fill from the network.
 */
function findNodeDir() {
  const configured = process.env.npm_config_nodedir;
  if (configured && existsSync(join(configured, 'include', 'node', 'node_api.h'))) return configured;
  const prefix = resolve(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return null;
}

function main() {
  if (process.env.COMSIPL_SKIP_NATIVE === '1') return say('skipped (COMSIPL_SKIP_NATIVE=1); node:dgram will be used');
  if (process.platform !== 'linux') return say(`skipped on ${process.platform}; node:dgram will be used`);
  const gyp = findNodeGyp();
  if (gyp === null) return say('not built (node-gyp not found beside npm); node:dgram will be used');
  const nodedir = findNodeDir();
  const args = [gyp, 'rebuild', '--directory', ADDON_DIR];
  if (nodedir !== null) args.push(`--nodedir=${nodedir}`);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: BUILD_TIMEOUT_MS, env: { ...process.env, npm_config_loglevel: 'error' } });
  const built = join(ADDON_DIR, 'build', 'Release', 'udp_batch.node');
  if (r.status === 0 && existsSync(built)) return say(`built ${built}${nodedir === null ? '' : ` (headers: ${nodedir})`}`);
  // The first compiler error or node-gyp's own reason, not its stack and version lines.
  const lines = `${r.error?.message ?? ''}\n${r.stderr ?? ''}`.split('\n');
  const detail = lines.filter((l) => /error:|ERR! (configure|build) error|ERR! stack Error|ETIMEDOUT|ENOENT/.test(l)).slice(0, 2).map((l) => l.trim()).join(' | ');
  say(`not built (${detail || `node-gyp exit ${r.status}`}); node:dgram will be used`);
}

main();
