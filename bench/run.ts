// Micro-benchmark harness: npm run bench [-- filter...]
// Finds every dist/bench/**/*.bench.js, keeps those whose path contains one of the filters
// (all when none), imports each and awaits its exported run(), one after another so that
// benchmarks never compete for the CPU. Prints the Node version and CPU first: results are
// only comparable like with like (STYLE.md rule 12).
import { readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DIST_BENCH = resolve(fileURLToPath(import.meta.url), '..');

export function findBenchFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number): void => {
    if (depth > 8) return; // bounded: no symlink loops
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, depth + 1);
      else if (name.endsWith('.bench.js')) out.push(p);
    }
  };
  walk(dir, 0);
  return out;
}

export async function runBenches(filters: string[]): Promise<number> {
  const files = findBenchFiles(DIST_BENCH).filter((f) => {
    const rel = relative(DIST_BENCH, f);
    return filters.length === 0 || filters.some((x) => rel.includes(x));
  });
  process.stdout.write(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}\n`);
  if (files.length === 0) {
    process.stdout.write(`no benchmark matches ${filters.join(' ') || '(any)'}\n`);
    return filters.length === 0 ? 0 : 1;
  }
  let failures = 0;
  for (const f of files) {
    const rel = relative(DIST_BENCH, f);
    process.stdout.write(`\n== ${rel}\n`);
    try {
      const mod = (await import(pathToFileURL(f).href)) as { run?: () => unknown };
      if (typeof mod.run !== 'function') throw new Error('does not export run()');
      await mod.run();
    } catch (err) {
      failures++;
      process.stdout.write(`!! ${rel} failed: ${(err as Error)?.stack ?? String(err)}\n`);
    }
  }
  return failures === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await runBenches(process.argv.slice(2));
}
