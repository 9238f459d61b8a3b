// The board's files: web/ of the package and uPlot from node_modules (installed from npm with
// the server, served from here: the board needs no network beyond this listener). Read once
// at start; a missing file is a broken install and stops the start with its name.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  body: Buffer;
  type: string;
}

// dist/src/admin/http/ → the package root.
const WEB = fileURLToPath(new URL('../../../../web/', import.meta.url));
const require = createRequire(import.meta.url);

const FILES: ReadonlyArray<readonly [string, () => string, string]> = [
  ['/board', () => `${WEB}board.html`, 'text/html; charset=utf-8'],
  ['/board.js', () => `${WEB}board.js`, 'text/javascript; charset=utf-8'],
  ['/board.css', () => `${WEB}board.css`, 'text/css; charset=utf-8'],
  ['/vendor/uPlot.iife.min.js', () => require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
  ['/vendor/uPlot.min.css', () => require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
];

export function loadStaticFiles(): Map<string, StaticFile> {
  const out = new Map<string, StaticFile>();
  for (const [path, file, type] of FILES) {
    const name = file();
    try {
      out.set(path, { body: readFileSync(name), type });
    } catch (e) {
      throw new Error(`board file ${name}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** Only our own files, scripts and styles; no inline code, no framing, no other origin. */
export const BOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
