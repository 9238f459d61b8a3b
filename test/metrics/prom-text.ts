// A strict reader of the Prometheus text exposition format (0.0.4) for tests: every line is a
// HELP, a TYPE, blank, or a sample whose family was declared by a TYPE line before it; label
// values are unescaped; anything else throws with the line.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return Number.NaN;
  const n = Number(text);
  if (Number.isNaN(n)) throw new Error(`bad value in: ${line}`);
  return n;
}

export function parsePrometheus(text: string): Sample[] {
  const types = new Map<string, string>();
  const out: Sample[] = [];
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (!name || !['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type ?? '')) throw new Error(`bad TYPE: ${line}`);
      if (types.has(name)) throw new Error(`TYPE twice: ${line}`);
      types.set(name, type!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`not a sample: ${line}`);
    const name = m[1]!;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(family)) throw new Error(`sample before its TYPE: ${line}`);
    const labels: Record<string, string> = {};
    const raw = m[3] ?? '';
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < raw.length) {
      const start = LABEL.lastIndex;
      const l = LABEL.exec(raw);
      if (l === null || LABEL.lastIndex === start) throw new Error(`bad labels in: ${line}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ name, labels, value: parseValue(m[4]!, line) });
  }
  return out;
}
