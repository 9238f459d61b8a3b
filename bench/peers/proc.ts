// What /proc says about the processes under test: the process tree of a server (Kamailio forks
// its workers), resident memory (VmRSS/RssAnon/RssFile/RssShmem from status, Pss from
// smaps_rollup), CPU time and the load average. Linux only, read-only.
import { readdirSync, readFileSync } from 'node:fs';

/** Kernel figures in bytes, summed over a set of processes. */
export interface MemFigures {
  processes: number;
  vmRss: number;
  rssAnon: number;
  rssFile: number;
  rssShmem: number;
  /** Proportional set size: shared pages split between the processes that map them. */
  pss: number;
  pssAnon: number;
  pssFile: number;
  pssShmem: number;
}

const ZERO: MemFigures = {
  processes: 0, vmRss: 0, rssAnon: 0, rssFile: 0, rssShmem: 0, pss: 0, pssAnon: 0, pssFile: 0, pssShmem: 0,
};

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** `Name:   123 kB` lines of /proc status files, in bytes. */
function kbField(text: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** Parent pid and state of one process (null when it is gone). */
export function statOf(pid: number): { ppid: number; state: string; cpuTicks: number } | null {
  const text = readOrNull(`/proc/${pid}/stat`);
  if (text === null) return null;
  // The command name (field 2) may contain spaces: the fields after it start past the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0]!, ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]) };
}

/** True while the process exists and is not a zombie. */
export function alive(pid: number): boolean {
  const s = statOf(pid);
  return s !== null && s.state !== 'Z' && s.state !== 'X';
}

/** The pid and all its living descendants (one scan of /proc per level, bounded depth). */
export function processTree(root: number): number[] {
  if (!alive(root)) return [];
  const parents = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = statOf(Number(name));
    if (s === null || s.state === 'Z') continue;
    const list = parents.get(s.ppid) ?? [];
    list.push(Number(name));
    parents.set(s.ppid, list);
  }
  const out = [root];
  for (let i = 0; i < out.length && out.length < 1000; i++) out.push(...(parents.get(out[i]!) ?? []));
  return out;
}

/** Memory of the given processes, summed. Processes that vanished meanwhile count zero. */
export function memoryOf(pids: number[]): MemFigures {
  const m = { ...ZERO };
  for (const pid of pids) {
    const status = readOrNull(`/proc/${pid}/status`);
    if (status === null) continue;
    m.processes++;
    m.vmRss += kbField(status, 'VmRSS');
    m.rssAnon += kbField(status, 'RssAnon');
    m.rssFile += kbField(status, 'RssFile');
    m.rssShmem += kbField(status, 'RssShmem');
    const rollup = readOrNull(`/proc/${pid}/smaps_rollup`) ?? '';
    m.pss += kbField(rollup, 'Pss');
    m.pssAnon += kbField(rollup, 'Pss_Anon');
    m.pssFile += kbField(rollup, 'Pss_File');
    m.pssShmem += kbField(rollup, 'Pss_Shmem');
  }
  return m;
}

/** after − before per unit (e.g. per subscription), rounded to bytes. */
export function growthPer(before: MemFigures, after: MemFigures, units: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(ZERO) as (keyof MemFigures)[]) {
    if (k === 'processes') continue;
    out[k] = units > 0 ? Math.round((after[k] - before[k]) / units) : 0;
  }
  return out;
}

/** CPU seconds (user + system) used so far by the given processes. */
export function cpuSecondsOf(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += statOf(pid)?.cpuTicks ?? 0;
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** The 1/5/15-minute load averages. */
export function loadAverage(): [number, number, number] {
  const parts = (readOrNull('/proc/loadavg') ?? '0 0 0').split(' ');
  return [Number(parts[0]), Number(parts[1]), Number(parts[2])];
}
