// SIPp's per-message counters (-trace_counts, one cumulative row per -fd second) read while SIPp
// runs or after: the time series behind "NOTIFYs delivered per second" and "all subscribed".
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CountsRow {
  /** Epoch seconds of the row. */
  t: number;
  cols: Record<string, number>;
}

/** Every row of the `*_counts.csv` file in `dir` (empty when SIPp has not written one yet). */
export function readCounts(dir: string): CountsRow[] {
  let file: string | undefined;
  try {
    file = readdirSync(dir).find((f) => f.endsWith('_counts.csv'));
  } catch {
    return [];
  }
  return file === undefined ? [] : readRows(join(dir, file));
}

/**
 * Rows of a SIPp CSV with a CurrentTime column (-trace_counts, or -trace_stat's stat.csv).
 * CurrentTime is "date<TAB>time<TAB>epoch"; a row cut short by a concurrent write is skipped.
 */
export function readRows(path: string): CountsRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return [];
  const names = lines[0]!.split(';');
  const tCol = names.indexOf('CurrentTime');
  if (tCol < 0) return [];
  const rows: CountsRow[] = [];
  for (const line of lines.slice(1)) {
    const v = line.split(';');
    const t = Number(v[tCol]?.split('\t').at(-1));
    if (!Number.isFinite(t) || v.length < names.length - 1) continue;
    const cols: Record<string, number> = {};
    names.forEach((n, i) => {
      const x = Number(v[i]);
      if (i !== tCol && n !== '' && Number.isFinite(x)) cols[n] = x;
    });
    rows.push({ t, cols });
  }
  return rows;
}

/** The matching columns' sum at epoch second `t`, linearly interpolated between rows. */
export function valueAt(rows: CountsRow[], re: RegExp, t: number): number {
  if (rows.length === 0) return 0;
  if (t <= rows[0]!.t) return sumCols(rows[0], re);
  for (let i = 1; i < rows.length; i++) {
    const b = rows[i]!;
    if (b.t < t) continue;
    const a = rows[i - 1]!;
    const va = sumCols(a, re);
    return va + ((sumCols(b, re) - va) * (t - a.t)) / Math.max(1e-6, b.t - a.t);
  }
  return sumCols(rows.at(-1), re);
}

/** Sum of the columns whose name matches (e.g. /_NOTIFY_Recv$/) in one row. */
export function sumCols(row: CountsRow | undefined, re: RegExp): number {
  if (row === undefined) return 0;
  let n = 0;
  for (const [k, v] of Object.entries(row.cols)) if (re.test(k)) n += v;
  return n;
}

/**
 * Per-second rates of a cumulative series (several SIPp files added up) over whole seconds of
 * [from, to]: value(from + k + 1) − value(from + k).
 */
export function ratesPerSecond(series: ((t: number) => number)[], from: number, to: number): number[] {
  const at = (t: number): number => series.reduce((sum, f) => sum + f(t), 0);
  const out: number[] = [];
  for (let t = from; t + 1 <= to + 0.05; t += 1) out.push(at(t + 1) - at(t));
  return out;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
