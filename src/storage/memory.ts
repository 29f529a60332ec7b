// In-memory float storage: a simple Queryable used by the PromQL test-script runner, API contract
// tests, and anywhere a small non-durable store is enough. Series keep their samples in growable,
// time-sorted Float64Arrays. Staleness markers keep their canonical bits (see tsdb/stale.ts).
// Start timestamps (SampleIterator.st) are kept in a parallel array, allocated only for series
// that were given one; likewise native histogram samples (SampleIterator.fh), whose slot in the
// float arrays holds 0.
import { Labels, compareStrings } from '../labels/labels.ts';
import type { Matcher } from '../labels/matcher.ts';
import { isStaleNaN, setFloat64Bits } from '../tsdb/stale.ts';
import {
  ValueType,
  type FloatHistogramSample,
  type LabelHints,
  type LabelResult,
  type Querier,
  type Queryable,
  type SampleIterator,
  type SelectHints,
  type Series,
  type SeriesSet,
} from './interfaces.ts';

class MemSeries {
  ts: Float64Array;
  vs: Float64Array;
  private dv: DataView;
  /** Start timestamps (ms, 0 = none), parallel to ts; null until a sample with one is added. */
  sts: Float64Array | null = null;
  /** Histogram samples (null = float sample), parallel to ts; null until a histogram is added. */
  hs: (FloatHistogramSample | null)[] | null = null;
  n = 0;
  constructor(readonly labels: Labels) {
    this.ts = new Float64Array(8);
    this.vs = new Float64Array(8);
    this.dv = new DataView(this.vs.buffer);
  }

  private grow(): void {
    const ts = new Float64Array(this.ts.length * 2);
    ts.set(this.ts);
    // Copy value bytes, not numbers, so NaN payloads survive exactly.
    const vs = new Float64Array(this.vs.length * 2);
    new Uint8Array(vs.buffer).set(new Uint8Array(this.vs.buffer));
    this.ts = ts;
    this.vs = vs;
    this.dv = new DataView(vs.buffer);
    if (this.sts) {
      const sts = new Float64Array(ts.length);
      sts.set(this.sts);
      this.sts = sts;
    }
  }

  private putST(i: number, st: number | undefined): void {
    if (st === undefined || st === 0) {
      if (this.sts) this.sts[i] = 0;
      return;
    }
    if (!this.sts) this.sts = new Float64Array(this.ts.length);
    this.sts[i] = st;
  }

  private put(i: number, v: number): void {
    if (v !== v && isStaleNaN(v)) setFloat64Bits(this.dv, i * 8, v, true);
    else this.vs[i] = v;
  }

  /** Index of the first sample with timestamp >= t. */
  lowerBound(t: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private putH(i: number, h: FloatHistogramSample | null, insert: boolean): void {
    if (h === null && this.hs === null) return;
    if (this.hs === null) this.hs = new Array<FloatHistogramSample | null>(this.n).fill(null);
    if (insert) this.hs.splice(i, 0, h);
    else this.hs[i] = h;
  }

  /**
   * Adds a sample (float `v`, or the histogram `h` when given, with an optional start timestamp);
   * a sample at an existing timestamp replaces it.
   */
  add(t: number, v: number, st?: number, h: FloatHistogramSample | null = null): void {
    if (this.n === 0 || t > this.ts[this.n - 1]!) {
      if (this.n === this.ts.length) this.grow();
      this.ts[this.n] = t;
      this.put(this.n, v);
      this.putST(this.n, st);
      this.putH(this.n, h, true);
      this.n++;
      return;
    }
    const i = this.lowerBound(t);
    if (i < this.n && this.ts[i] === t) {
      this.put(i, v);
      this.putST(i, st);
      this.putH(i, h, false);
      return;
    }
    if (this.n === this.ts.length) this.grow();
    this.ts.copyWithin(i + 1, i, this.n);
    const bytes = new Uint8Array(this.vs.buffer);
    bytes.copyWithin((i + 1) * 8, i * 8, this.n * 8);
    this.sts?.copyWithin(i + 1, i, this.n);
    this.ts[i] = t;
    this.put(i, v);
    this.putST(i, st);
    this.putH(i, h, true);
    this.n++;
  }

  /** [lo, hi) indices of samples within [mint, maxt]. */
  range(mint: number, maxt: number): [number, number] {
    const lo = this.lowerBound(mint);
    let hi = this.lowerBound(maxt);
    if (hi < this.n && this.ts[hi]! <= maxt) hi++;
    return [lo, hi];
  }
}

/** Iterator over a slice [lo, hi) of a series' arrays. */
class MemIterator implements SampleIterator {
  t = 0;
  v = 0;
  /** Start timestamp of the current sample (0 = none); undefined when the series has none at all. */
  st: number | undefined;
  /** The current histogram sample (null for floats). */
  fh: FloatHistogramSample | null = null;
  private i: number;
  constructor(
    private readonly ts: Float64Array,
    private readonly vs: Float64Array,
    private readonly sts: Float64Array | null,
    private readonly hs: readonly (FloatHistogramSample | null)[] | null,
    private readonly lo: number,
    private readonly hi: number,
  ) {
    this.i = lo - 1;
    this.st = sts ? 0 : undefined;
  }
  private at(i: number): ValueType {
    this.t = this.ts[i]!;
    this.v = this.vs[i]!;
    if (this.sts) this.st = this.sts[i]!;
    if (this.hs === null) return ValueType.Float;
    this.fh = this.hs[i] ?? null;
    return this.fh === null ? ValueType.Float : ValueType.FloatHistogram;
  }
  next(): ValueType {
    if (this.i >= this.hi) return ValueType.None;
    this.i++;
    if (this.i >= this.hi) return ValueType.None;
    return this.at(this.i);
  }
  seek(t: number): ValueType {
    if (this.i >= this.hi) return ValueType.None;
    if (this.i < this.lo) this.i = this.lo;
    if (this.i >= this.hi) return ValueType.None;
    // Binary search forward from the current position.
    let lo = this.i;
    let hi = this.hi;
    if (this.ts[lo]! >= t) return this.at(lo);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    this.i = lo;
    if (lo >= this.hi) return ValueType.None;
    return this.at(lo);
  }
  err(): Error | null {
    return null;
  }
}

class MemSeriesView implements Series {
  constructor(
    readonly labels: Labels,
    private readonly s: MemSeries,
    private readonly lo: number,
    private readonly hi: number,
  ) {}
  iterator(): SampleIterator {
    return new MemIterator(this.s.ts, this.s.vs, this.s.sts, this.s.hs, this.lo, this.hi);
  }
}

class ArraySeriesSet implements SeriesSet {
  constructor(private readonly items: Series[]) {}
  async *[Symbol.asyncIterator](): AsyncIterator<Series> {
    for (const s of this.items) yield s;
  }
  warnings(): string[] {
    return [];
  }
}

function matchesSeries(matchers: readonly Matcher[], l: Labels): boolean {
  for (const m of matchers) if (!m.matches(l.get(m.name))) return false;
  return true;
}

export class MemoryStorage implements Queryable {
  private readonly series = new Map<string, MemSeries>();

  /**
   * Adds one float sample (staleness markers keep their bits; same timestamp overwrites).
   * `st` is its start timestamp in ms (omitted or 0 = none), exposed as SampleIterator.st.
   */
  add(labels: Labels, t: number, v: number, st?: number): void {
    this.seriesFor(labels).add(t, v, st);
  }

  /** Adds one native histogram sample (kept by reference: do not mutate it afterwards). */
  addHistogram(labels: Labels, t: number, h: FloatHistogramSample, st?: number): void {
    this.seriesFor(labels).add(t, 0, st, h);
  }

  private seriesFor(labels: Labels): MemSeries {
    let s = this.series.get(labels.key);
    if (!s) {
      s = new MemSeries(labels);
      this.series.set(labels.key, s);
    }
    return s;
  }

  /** Removes all series. */
  clear(): void {
    this.series.clear();
  }

  /** Number of series held. */
  get seriesCount(): number {
    return this.series.size;
  }

  querier(mint: number, maxt: number): Querier {
    const all = this.series;
    const matching = (matchers: readonly Matcher[], lo: number, hi: number): MemSeries[] => {
      const out: MemSeries[] = [];
      for (const s of all.values()) {
        if (!matchesSeries(matchers, s.labels)) continue;
        const [a, b] = s.range(lo, hi);
        if (a < b) out.push(s);
      }
      return out;
    };
    return {
      select(hints: SelectHints, matchers: readonly Matcher[]): SeriesSet {
        const lo = hints.start ?? mint;
        const hi = hints.end ?? maxt;
        const found = matching(matchers, lo, hi).sort((a, b) => Labels.compare(a.labels, b.labels));
        let items: Series[] = found.map((s) => {
          const [a, b] = s.range(lo, hi);
          return new MemSeriesView(s.labels, s, a, b);
        });
        if (hints.limit && hints.limit > 0 && items.length > hints.limit) items = items.slice(0, hints.limit);
        return new ArraySeriesSet(items);
      },
      async labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
        const set = new Set<string>();
        for (const s of matching(matchers, mint, maxt)) {
          const v = s.labels.get(name);
          if (v !== '') set.add(v);
        }
        let values = [...set].sort(compareStrings);
        if (hints?.limit && hints.limit > 0 && values.length > hints.limit) values = values.slice(0, hints.limit);
        return { values, warnings: [] };
      },
      async labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
        const set = new Set<string>();
        for (const s of matching(matchers, mint, maxt)) for (const n of s.labels.names()) set.add(n);
        let values = [...set].sort(compareStrings);
        if (hints?.limit && hints.limit > 0 && values.length > hints.limit) values = values.slice(0, hints.limit);
        return { values, warnings: [] };
      },
      close(): void {},
    };
  }
}
