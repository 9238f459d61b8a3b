// One JSON line per measurement, appended to bench/peers/raw-<date>.jsonl: server, scenario,
// parameters, figures, date, git commit of the measured tree, tool versions, the load average
// before and after. The file is the kit's memory: the markdown table is printed from it.
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { cpus as osCpus, totalmem } from 'node:os';
import { loadAverage } from './proc.js';

export interface Measurement {
  server: string;
  scenario: string;
  params: Record<string, unknown>;
  figures: Record<string, unknown>;
}

export interface RecordLine extends Measurement {
  date: string;
  commit: string;
  run: string;
  loadBefore: [number, number, number];
  loadAfter: [number, number, number];
  seconds: number;
  env: Record<string, string | number>;
}

function firstLine(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, timeout: 10_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? 'unknown';
}

/** HEAD of the measured tree, with "+dirty" when it has uncommitted changes. */
export function gitCommit(repo: string): string {
  const head = firstLine('git', ['rev-parse', '--short=12', 'HEAD'], repo);
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', cwd: repo }).stdout.trim() !== '';
  return dirty ? `${head}+dirty` : head;
}

export class Recorder {
  readonly run = new Date().toISOString();
  readonly lines: RecordLine[] = [];
  readonly #env: Record<string, string | number>;
  readonly #commit: string;

  constructor(readonly file: string, repo: string) {
    this.#commit = gitCommit(repo);
    this.#env = {
      node: process.version,
      kamailio: firstLine('kamailio', ['-v']),
      sipp: firstLine('sipp', ['-v']),
      cpus: osCpus().length,
      cpu: osCpus()[0]?.model ?? 'unknown',
      memGiB: Math.round(totalmem() / 2 ** 30),
    };
  }

  /** Runs `fn`, writes its measurement with the load average around it, returns the line. */
  async measure(fn: () => Promise<Measurement>): Promise<RecordLine> {
    const loadBefore = loadAverage();
    const t0 = performance.now();
    const m = await fn();
    const line: RecordLine = {
      ...m, date: new Date().toISOString(), commit: this.#commit, run: this.run, loadBefore, loadAfter: loadAverage(),
      seconds: Math.round((performance.now() - t0) / 100) / 10, env: this.#env,
    };
    this.lines.push(line);
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
    return line;
  }
}
