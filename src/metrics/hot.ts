// Metric families updated on the SIP hot path. prom-client's own labelled metrics hash a label
// object on every inc/observe (a string built per call); these keep plain typed arrays indexed
// by small integers instead, so recording is a few array writes and allocates nothing. They
// speak prom-client's collector shape (name, help, type, get()), so the one prom-client
// Registry renders them with everything else at scrape time, the only moment labels exist.

/** One value row as prom-client's Registry renders it. */
export interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

export interface Collector {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: MetricValue[] }>;
}

/**
 * A counter over a fixed two-dimensional label space (e.g. method × status code): the label
 * values are known up front, so a sample is addressed by two indexes. A one-dimensional
 * counter has colLabel '' and one column.
 */
export class CounterGrid implements Collector {
  readonly type = 'counter' as const;
  readonly aggregator = 'sum' as const;
  readonly #cells: Float64Array;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly rowLabel: string,
    readonly rows: readonly string[],
    readonly colLabel: string,
    readonly cols: readonly string[],
  ) {
    this.#cells = new Float64Array(rows.length * cols.length);
  }

  inc(row: number, col: number, by = 1): void {
    this.#cells[row * this.cols.length + col]! += by;
  }

  value(row: number, col: number): number {
    return this.#cells[row * this.cols.length + col]!;
  }

  total(): number {
    let t = 0;
    for (const v of this.#cells) t += v;
    return t;
  }

  async get() {
    const values: MetricValue[] = [];
    const width = this.cols.length;
    // Only the cells ever touched: 600 status codes × 6 methods would be mostly zeros.
    for (let i = 0; i < this.#cells.length; i++) {
      const v = this.#cells[i]!;
      if (v === 0) continue;
      const labels: Record<string, string> = { [this.rowLabel]: this.rows[Math.floor(i / width)]! };
      if (this.colLabel !== '') labels[this.colLabel] = this.cols[i % width]!;
      values.push({ value: v, labels });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** A histogram per value of one label (or a single unlabelled one: rows = ['']). */
export class HistogramRows implements Collector {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  /** Per row: one count per bucket (not cumulative), then +Inf. */
  readonly #counts: Float64Array;
  readonly #sums: Float64Array;
  readonly #stride: number;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly label: string,
    readonly rows: readonly string[],
    /** Upper bounds in seconds, ascending. */
    readonly buckets: readonly number[],
  ) {
    this.#stride = buckets.length + 1;
    this.#counts = new Float64Array(rows.length * this.#stride);
    this.#sums = new Float64Array(rows.length);
  }

  observe(row: number, seconds: number): void {
    const b = this.buckets;
    let i = 0;
    // Linear scan: a dozen buckets, most samples fall in the first few.
    while (i < b.length && seconds > b[i]!) i++;
    this.#counts[row * this.#stride + i]! += 1;
    this.#sums[row]! += seconds;
  }

  /** Non-cumulative bucket counts summed over every row (last = +Inf): for the board's quantiles. */
  mergedCounts(into: Float64Array): Float64Array {
    into.fill(0);
    for (let r = 0; r < this.rows.length; r++) for (let i = 0; i < this.#stride; i++) into[i]! += this.#counts[r * this.#stride + i]!;
    return into;
  }

  async get() {
    const values: MetricValue[] = [];
    for (let r = 0; r < this.rows.length; r++) {
      const base = this.#counts.subarray(r * this.#stride, (r + 1) * this.#stride);
      let count = 0;
      for (const c of base) count += c;
      if (count === 0 && this.rows.length > 1) continue;
      const labels: Record<string, string> = this.rows.length > 1 || this.rows[0] !== '' ? { [this.label]: this.rows[r]! } : {};
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += base[i]!;
        values.push({ metricName: `${this.name}_bucket`, value: cumulative, labels: { ...labels, le: this.buckets[i]! } });
      }
      values.push({ metricName: `${this.name}_bucket`, value: count, labels: { ...labels, le: '+Inf' } });
      values.push({ metricName: `${this.name}_sum`, value: this.#sums[r]!, labels });
      values.push({ metricName: `${this.name}_count`, value: count, labels });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/**
 * Quantile of a bucketed distribution (non-cumulative counts, last = +Inf): the upper bound
 * of the bucket where the quantile falls, as Prometheus' histogram_quantile would estimate it
 * without interpolation. NaN with no samples.
 */
export function bucketQuantile(counts: ArrayLike<number>, bounds: readonly number[], q: number): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return i < bounds.length ? bounds[i]! : bounds[bounds.length - 1]!;
  }
  return bounds[bounds.length - 1]!;
}
