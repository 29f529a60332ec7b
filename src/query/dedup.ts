// Replica deduplication as the Thanos querier does it (pkg/dedup/iter.go, pkg/query/querier.go):
// the replica labels are stripped from every series, series that become equal are grouped, and the
// group's samples are merged — by default with the "penalty" algorithm of Thanos'
// dedupSeriesIterator (follow one replica; switch to another only when the followed one has a gap
// larger than twice its last sample interval, initial penalty 5000 ms), or with `chain` (plain
// merge by timestamp, as Prometheus' ChainedSeriesMerge).
import { Labels } from '../labels/labels.ts';
import { chainIterators } from '../storage/merge.ts';
import { ValueType, type SampleIterator, type Series, type SeriesSet } from '../storage/interfaces.ts';

/** Thanos: penalty used when no sample interval is known yet (timestamps are ms, scrapes seconds apart). */
export const INITIAL_PENALTY = 5000;

export type DedupAlgorithm = 'penalty' | 'chain';

const MIN_INT64 = Number.MIN_SAFE_INTEGER;

/** Thanos isCounter: the functions for which counter values are adjusted on replica switches. */
export function isCounterFunc(f: string | undefined): boolean {
  return f === 'increase' || f === 'rate' || f === 'irate' || f === 'resets';
}

/** An iterator whose current value may be corrected after a replica switch (Thanos adjustableSeriesIterator). */
export interface AdjustableIterator extends SampleIterator {
  adjustAtValue(lastFloatValue: number): void;
}

/** Passes samples through unchanged (Thanos noopAdjustableSeriesIterator). */
export class NoopAdjustIterator implements AdjustableIterator {
  constructor(private readonly it: SampleIterator) {}
  get t(): number {
    return this.it.t;
  }
  get v(): number {
    return this.it.v;
  }
  next(): ValueType {
    return this.it.next();
  }
  seek(t: number): ValueType {
    return this.it.seek(t);
  }
  err(): Error | null {
    return this.it.err();
  }
  adjustAtValue(): void {}
}

/**
 * For counters (Thanos counterErrAdjustSeriesIterator): when switching to a replica whose current
 * value is below the last value emitted, add the difference to all its further values, so the
 * switch does not look like a counter reset.
 */
export class CounterAdjustIterator implements AdjustableIterator {
  private errAdjust = 0;
  constructor(private readonly it: SampleIterator) {}
  get t(): number {
    return this.it.t;
  }
  get v(): number {
    return this.it.v + this.errAdjust;
  }
  next(): ValueType {
    return this.it.next();
  }
  seek(t: number): ValueType {
    return this.it.seek(t);
  }
  err(): Error | null {
    return this.it.err();
  }
  adjustAtValue(lastFloatValue: number): void {
    const v = this.v;
    if (lastFloatValue > v) this.errAdjust += lastFloatValue - v;
  }
}

/**
 * Port of Thanos' dedupSeriesIterator: merges two replicas of a series. Both inputs are advanced
 * once at construction. next() seeks both to lastT+1+penalty and takes the smaller timestamp; the
 * replica not taken gets a penalty of twice the distance from the last emitted sample (5000 ms
 * before any sample was emitted), the taken one none. seek() never calls the inputs' seek to move
 * forward: it steps with next() until the current timestamp is >= t, so gaps are not missed.
 */
export class DedupSeriesIterator implements AdjustableIterator {
  private aval: ValueType;
  private bval: ValueType;
  private lastT = MIN_INT64;
  private lastIter: SampleIterator;
  private penA = 0;
  private penB = 0;
  private useA = true;

  constructor(
    private readonly a: AdjustableIterator,
    private readonly b: AdjustableIterator,
  ) {
    this.lastIter = a;
    this.aval = a.next();
    this.bval = b.next();
  }

  get t(): number {
    return this.lastIter.t;
  }

  get v(): number {
    return this.lastIter.v;
  }

  next(): ValueType {
    const lastUseA = this.useA;
    let lastFloat = 0;
    let isFloat = false;
    if (this.useA && this.aval === ValueType.Float) {
      lastFloat = this.lastIter.v;
      isFloat = true;
    } else if (!this.useA && this.bval === ValueType.Float) {
      lastFloat = this.lastIter.v;
      isFloat = true;
    }
    const r = this.advance();
    if (this.useA !== lastUseA && isFloat) this.adjustAtValue(lastFloat);
    return r;
  }

  private advance(): ValueType {
    // Advance both to at least the next timestamp after the last one plus their penalty.
    if (this.aval !== ValueType.None) this.aval = this.a.seek(this.lastT + 1 + this.penA);
    if (this.bval !== ValueType.None) this.bval = this.b.seek(this.lastT + 1 + this.penB);

    if (this.aval === ValueType.None) {
      this.useA = false;
      if (this.bval !== ValueType.None) {
        this.lastT = this.b.t;
        this.lastIter = this.b;
        this.penB = 0;
      }
      return this.bval;
    }
    if (this.bval === ValueType.None) {
      this.useA = true;
      this.lastT = this.a.t;
      this.lastIter = this.a;
      this.penA = 0;
      return this.aval;
    }
    const ta = this.a.t;
    const tb = this.b.t;
    this.useA = ta <= tb;
    if (this.useA) {
      this.penB = this.lastT !== MIN_INT64 ? 2 * (ta - this.lastT) : INITIAL_PENALTY;
      this.penA = 0;
      this.lastT = ta;
      this.lastIter = this.a;
      return this.aval;
    }
    this.penA = this.lastT !== MIN_INT64 ? 2 * (tb - this.lastT) : INITIAL_PENALTY;
    this.penB = 0;
    this.lastT = tb;
    this.lastIter = this.b;
    return this.bval;
  }

  adjustAtValue(lastFloatValue: number): void {
    if (this.aval === ValueType.Float) this.a.adjustAtValue(lastFloatValue);
    if (this.bval === ValueType.Float) this.b.adjustAtValue(lastFloatValue);
  }

  /** Timestamp of the replica currently followed (Thanos AtT). */
  private atT(): number {
    return this.useA ? this.a.t : this.b.t;
  }

  seek(t: number): ValueType {
    for (;;) {
      const ts = this.atT();
      if (ts >= t) return this.useA ? this.a.seek(ts) : this.b.seek(ts);
      if (this.next() === ValueType.None) return ValueType.None;
    }
  }

  err(): Error | null {
    return this.a.err() ?? this.b.err();
  }
}

/**
 * Thanos' dedupSeriesIterator.seek may position on a sample without recording it as emitted, so a
 * following next() can return that same timestamp again (harmless for Prometheus' memoized
 * iterator, which seeks per step, but a duplicate point for an engine that seeks once and then
 * reads on with next()). This wrapper drops samples that do not advance the timestamp.
 */
export class MonotonicIterator implements SampleIterator {
  t = 0;
  v = 0;
  private have = false;
  private done = false;
  constructor(private readonly it: SampleIterator) {}
  private take(vt: ValueType): ValueType {
    if (vt === ValueType.None) this.done = true;
    else {
      this.t = this.it.t;
      this.v = this.it.v;
      this.have = true;
    }
    return vt;
  }
  next(): ValueType {
    if (this.done) return ValueType.None;
    for (;;) {
      const vt = this.it.next();
      if (vt === ValueType.None) return this.take(vt);
      if (!this.have || this.it.t > this.t) return this.take(vt);
    }
  }
  seek(t: number): ValueType {
    if (this.done) return ValueType.None;
    if (this.have && this.t >= t) return ValueType.Float;
    const vt = this.it.seek(t);
    if (vt === ValueType.None) return this.take(vt);
    if (this.have && this.it.t <= this.t) return this.next();
    return this.take(vt);
  }
  err(): Error | null {
    return this.it.err();
  }
}

/** One deduplicated series: the replicas of a label set merged with the chosen algorithm. */
export class DedupSeries implements Series {
  constructor(
    readonly labels: Labels,
    private readonly replicas: readonly Series[],
    private readonly algorithm: DedupAlgorithm,
    private readonly func: string | undefined,
  ) {}

  /** The merged iterator exactly as Thanos builds it (replica 0 merged with each further replica). */
  rawIterator(): SampleIterator {
    if (this.replicas.length === 1) return this.replicas[0]!.iterator();
    if (this.algorithm === 'chain') return chainIterators(this.replicas.map((r) => r.iterator()));
    const counter = isCounterFunc(this.func);
    const wrap = (s: Series): AdjustableIterator => (counter ? new CounterAdjustIterator(s.iterator()) : new NoopAdjustIterator(s.iterator()));
    let it: AdjustableIterator = wrap(this.replicas[0]!);
    for (let i = 1; i < this.replicas.length; i++) it = new DedupSeriesIterator(it, wrap(this.replicas[i]!));
    return it;
  }

  iterator(): SampleIterator {
    if (this.replicas.length === 1 || this.algorithm === 'chain') return this.rawIterator();
    return new MonotonicIterator(this.rawIterator());
  }
}

/** Removes the replica labels from a label set. */
export function stripReplicaLabels(l: Labels, replicaLabels: ReadonlySet<string>): Labels {
  for (const n of replicaLabels) {
    if (l.has(n)) return l.without(...replicaLabels);
  }
  return l;
}

export interface DedupOptions {
  replicaLabels: readonly string[];
  algorithm?: DedupAlgorithm;
  /** Function the selector is wrapped in (SelectHints.func), for counter adjustment. */
  func?: string;
}

/**
 * Deduplicates a series set: strips the replica labels, groups series whose remaining labels are
 * equal (replicas ordered by their full original labels, so `replica="a"` comes before "b"), and
 * yields one merged series per group in label order. Like the pre-streaming Thanos querier
 * (sortDedupLabels) the input is read completely before the first output, since stripping labels
 * changes the sort order.
 */
export function dedupSeriesSet(set: SeriesSet, opts: DedupOptions): SeriesSet {
  const replicaLabels = new Set(opts.replicaLabels);
  const algorithm = opts.algorithm ?? 'penalty';
  if (replicaLabels.size === 0) return set;
  return {
    warnings: () => set.warnings(),
    async *[Symbol.asyncIterator]() {
      const items: { stripped: Labels; s: Series }[] = [];
      for await (const s of set) items.push({ stripped: stripReplicaLabels(s.labels, replicaLabels), s });
      // Input is sorted by full labels; re-sort only when stripping changed the order.
      const cmp = (x: { stripped: Labels; s: Series }, y: { stripped: Labels; s: Series }): number =>
        Labels.compare(x.stripped, y.stripped) || Labels.compare(x.s.labels, y.s.labels);
      let sorted = true;
      for (let k = 1; k < items.length && sorted; k++) if (cmp(items[k - 1]!, items[k]!) > 0) sorted = false;
      if (!sorted) items.sort(cmp);
      let i = 0;
      while (i < items.length) {
        const lset = items[i]!.stripped;
        let j = i + 1;
        while (j < items.length && items[j]!.stripped.equals(lset)) j++;
        const group = items.slice(i, j).map((x) => x.s);
        yield new DedupSeries(lset, group, algorithm, opts.func);
        i = j;
      }
    },
  };
}
