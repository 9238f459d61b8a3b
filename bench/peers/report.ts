// The markdown table of issue 7 (ComSIPL | Kamailio | ratio | target), printed from the JSON
// lines one run of the kit wrote. A measurement that was not run shows as "–".
import type { RecordLine } from './record.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

type Fig = Record<string, unknown>;

function find(lines: RecordLine[], server: string, scenario: string): Fig | null {
  const l = [...lines].reverse().find((x) => x.server === server && x.scenario === scenario);
  return l === undefined ? null : l.figures;
}

function ratio(c: number | null, k: number | null, suffix = '×'): string {
  if (c === null || k === null || !(c > 0) || !(k > 0)) return '';
  return `${(c / k).toFixed(2)}${suffix}`;
}

interface Row {
  label: string;
  c: string;
  k: string;
  ratio: string;
  target: string;
}

function rateRow(lines: RecordLine[], scenario: string, label: string, unit: string, target: string): Row | null {
  if (!lines.some((l) => l.scenario === `max-rate:${scenario}`)) return null;
  const cell = (s: string): [string, number | null] => {
    const f = find(lines, s, `max-rate:${scenario}`);
    if (f === null) return ['–', null];
    const v = Number(f['maxRate']);
    return [`${f['lowerBound'] === true ? '≥ ' : ''}${fmt(v)}${unit}`, v];
  };
  const [c, cv] = cell('comsipl');
  const [k, kv] = cell('kamailio');
  return { label, c, k, ratio: ratio(cv, kv), target };
}

function fanoutRow(lines: RecordLine[]): Row | null {
  const cf = find(lines, 'comsipl', 'fanout');
  const kf = find(lines, 'kamailio', 'fanout');
  const any = cf ?? kf;
  if (any === null) return null;
  const p = [...lines].reverse().find((x) => x.scenario === 'fanout')!.params;
  const cell = (f: Fig | null): string => (f === null ? '–'
    : `median ${fmt(Number(f['medianNotifyPerSecond']))}/s; ${fmt(Number(f['watcherDialogsFailed']))} watcher dialogs failed${f['clean'] === true ? '; clean' : ''}`);
  const n = Number(p['presentities']) * Number(p['watchers']);
  return {
    label: `NOTIFY fan-out, ${fmt(n)} subscriptions (${p['presentities']} × ${p['watchers']}), ${fmt(Number(p['offered']))}/s offered`,
    c: cell(cf), k: cell(kf),
    ratio: ratio(cf === null ? null : Number(cf['medianNotifyPerSecond']), kf === null ? null : Number(kf['medianNotifyPerSecond'])),
    target: `${fmt(Number(p['offered']))}/s clean`,
  };
}

function memoryRows(lines: RecordLine[]): Row[] {
  const shapes = [...new Set(lines.filter((l) => l.scenario.startsWith('memory:')).map((l) => l.scenario))];
  return shapes.map((s) => {
    const v = (server: string): number | null => {
      const f = find(lines, server, s);
      return f === null ? null : Number((f['headline'] as { bytesPerSubscription: number }).bytesPerSubscription);
    };
    const [c, k] = [v('comsipl'), v('kamailio')];
    const [p, w] = s.slice('memory:'.length).split('x').map(Number) as [number, number];
    return {
      label: `process memory (RSS growth) per subscription, ${fmt(p * w)} held (${fmt(p)} × ${fmt(w)})`,
      c: c === null ? '–' : `${fmt(c)} B`, k: k === null ? '–' : `${fmt(k)} B ¹`,
      ratio: c !== null && k !== null && c > 0 && k > 0 ? `${(c / k).toFixed(1)}× ${c > k ? 'more' : 'less'}` : '', target: '≤ 1 KiB',
    };
  });
}

function latencyRows(lines: RecordLine[]): Row[] {
  // register before subscribe, half of the maximum before the fixed rate
  const order = (s: string): string => s.replace('@half', '@0');
  const names = [...new Set(lines.filter((l) => l.scenario.startsWith('latency:')).map((l) => l.scenario))]
    .sort((a, b) => order(a).localeCompare(order(b), 'en', { numeric: true }));
  return names.map((s) => {
    const cell = (server: string): string => {
      const f = find(lines, server, s);
      if (f === null) return '–';
      return `p50/p90/p99 ${f['p50']}/${f['p90']}/${f['p99']} ms at ${fmt(Number(f['rate']))}/s${f['clean'] === true ? '' : ' (not clean)'}`;
    };
    const [, what] = s.split(':') as [string, string];
    const [scenario, at] = what.split('@') as [string, string];
    const seconds = [...lines].reverse().find((l) => l.scenario === s)?.params['seconds'];
    const label = `latency, ${scenario === 'register' ? 'REGISTER' : 'subscribe dialogs'} at ${at === 'half' ? 'half of its maximum' : `${fmt(Number(at))}/s`} (${String(seconds)} s)`;
    return { label, c: cell('comsipl'), k: cell('kamailio'), ratio: '', target: 'p99 ≤ 10 ms' };
  });
}

function restartRows(lines: RecordLine[]): Row[] {
  const names = [...new Set(lines.filter((l) => l.scenario.startsWith('restart:')).map((l) => l.scenario))];
  return names.map((s) => {
    const n = Number(s.slice('restart:'.length));
    const cell = (server: string): string => {
      const f = find(lines, server, s);
      if (f === null) return '–';
      const by = f['refreshByStatus'] as Record<string, number>;
      const verdict = f['allRestored'] === true ? 'all restored'
        : (by['481'] ?? 0) === Number(f['refreshSample']) ? 'loses all' : `refreshes ${JSON.stringify(by)}`;
      return `${(Number(f['msToAnswer']) / 1000).toFixed(2)} s, ${verdict}`;
    };
    return {
      label: `restart after SIGKILL with ${fmt(n)} subscriptions, until it answers again`,
      c: cell('comsipl'), k: cell('kamailio'), ratio: '', target: n >= 1_000_000 ? '≤ 15 s' : '≤ 1.5 s',
    };
  });
}

export function markdownTable(lines: RecordLine[]): string {
  const rows: Row[] = [
    ...[
      rateRow(lines, 'register', 'REGISTER', '/s', '≥ 1.2×'),
      rateRow(lines, 'publish', 'PUBLISH (initial + refresh)', ' calls/s', '≥ 1.5×'),
      rateRow(lines, 'subscribe', 'subscribe dialog (SUBSCRIBE, NOTIFY, un-SUBSCRIBE, NOTIFY)', '/s', '≥ 1.5×'),
      fanoutRow(lines),
    ].filter((r): r is Row => r !== null),
    ...memoryRows(lines),
    ...latencyRows(lines),
    ...restartRows(lines),
  ];
  const out = [
    '| scenario (SIPp call) | ComSIPL | Kamailio 5.6 presence, memory-only | ratio | target |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.label} | ${r.c} | ${r.k} | ${r.ratio} | ${r.target} |`),
  ];
  if (memoryRows(lines).length > 0) {
    out.push('', '¹ ComSIPL: VmRSS growth of its one process. Kamailio: growth of the Pss sum of all its processes (its workers share one memory segment, which VmRSS would count once per process).');
  }
  return out.join('\n');
}
