// Reading downsampled series through the PromQL-facing interfaces the way Thanos' querier does
// (pkg/query/querier.go aggrsFromFunc + pkg/query/iter.go): the function around a selector picks
// the aggregate — min_* → min, max_* → max, count_* → count, sum_* → sum, rate/increase/irate/
// resets → counter (resets applied), anything else → sum/count (average per window).
import { Labels, compareStrings } from '../../labels/labels.ts';
import type { Matcher } from '../../labels/matcher.ts';
import type {
  ChunkMeta,
  LabelHints,
  LabelResult,
  Querier,
  Queryable,
  SampleIterator,
  SelectHints,
  Series,
  SeriesSet,
} from '../../storage/interfaces.ts';
import { ChunkEncoding, ValueType } from '../../storage/interfaces.ts';
import { XORIterator } from '../../tsdb/chunkenc/xor.ts';
import { AggrSeriesIterator, AggrType, AverageIterator, CHUNK_ENC_AGGR, aggrIterator, averageIterator, counterIterator } from './aggr.ts';

export type AggrSelection = AggrType | 'average';

/** Thanos aggrsFromFunc: which aggregate(s) serve a PromQL function. */
export function aggrForFunc(func: string | undefined): AggrSelection {
  const f = func ?? '';
  if (f === 'min' || f.startsWith('min_')) return AggrType.Min;
  if (f === 'max' || f.startsWith('max_')) return AggrType.Max;
  if (f === 'count' || f.startsWith('count_')) return AggrType.Count;
  if (f.startsWith('sum_')) return AggrType.Sum;
  if (f === 'increase' || f === 'rate' || f === 'irate' || f === 'resets') return AggrType.Counter;
  return 'average';
}

/** The sample iterator a downsampled series presents for a selection. */
export function iteratorForSelection(chunks: readonly ChunkMeta[], sel: AggrSelection): SampleIterator {
  if (sel === 'average') return averageIterator(chunks);
  if (sel === AggrType.Counter) return counterIterator(chunks);
  return aggrIterator(chunks, sel);
}

/** True when some chunk is a Thanos aggregate chunk (encoding 0xFF). */
export function hasAggrChunks(chunks: readonly ChunkMeta[]): boolean {
  for (const c of chunks) if (c.encoding === CHUNK_ENC_AGGR) return true;
  return false;
}

/**
 * Samples of a series whose chunks mix raw XOR chunks and aggregate chunks (a series served partly
 * from raw and partly from 5m/1h blocks, the gaps of one resolution filled by another, as Thanos'
 * store picks blocks). Chunks must be in time order. For the counter selection the whole series goes
 * through one ApplyCounterResetsIterator (raw chunks as they are, aggregate chunks' counter entries),
 * so resets are carried across every chunk boundary, raw/aggregate boundaries included (Thanos
 * pkg/query/iter.go: getFirstIterator(c.Counter, c.Raw) for every chunk). Otherwise each chunk
 * yields its raw samples or the selected aggregate (sum/count average by default), one chunk after
 * the other, samples that do not advance time being skipped.
 */
export function iteratorForChunks(chunks: readonly ChunkMeta[], sel: AggrSelection): SampleIterator {
  if (sel === AggrType.Counter) return counterIterator(chunks);
  const its: SampleIterator[] = new Array(chunks.length);
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i]!;
    if (c.encoding === ChunkEncoding.XOR) its[i] = new XORIterator(c.data);
    else if (sel === 'average') its[i] = new AverageIterator([c]);
    else its[i] = new AggrSeriesIterator([c], sel);
  }
  return new ConcatIterator(its);
}

/** Iterators one after another; samples at or before the last emitted timestamp are skipped. */
export class ConcatIterator implements SampleIterator {
  private i = 0;
  private started = false;
  t = 0;
  v = 0;
  constructor(private readonly its: readonly SampleIterator[]) {}

  next(): ValueType {
    while (this.i < this.its.length) {
      const it = this.its[this.i]!;
      const vt = it.next();
      if (vt === ValueType.None) {
        if (it.err()) return ValueType.None;
        this.i++;
        continue;
      }
      if (this.started && it.t <= this.t) continue;
      this.started = true;
      this.t = it.t;
      this.v = it.v;
      return vt;
    }
    return ValueType.None;
  }

  seek(t: number): ValueType {
    for (;;) {
      if (this.started && this.t >= t && this.i < this.its.length) return ValueType.Float;
      if (this.next() === ValueType.None) return ValueType.None;
    }
  }

  err(): Error | null {
    return this.i < this.its.length ? this.its[this.i]!.err() : null;
  }
}

/** Restricts an iterator to [mint, maxt]. */
export class BoundedIterator implements SampleIterator {
  t = 0;
  v = 0;
  private started = false;
  private done = false;
  constructor(
    private readonly inner: SampleIterator,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  private out(vt: ValueType): ValueType {
    if (vt === ValueType.None || this.inner.t > this.maxt) {
      this.done = true;
      return ValueType.None;
    }
    this.t = this.inner.t;
    this.v = this.inner.v;
    return vt;
  }

  next(): ValueType {
    if (this.done) return ValueType.None;
    if (!this.started) {
      this.started = true;
      return this.out(this.inner.seek(this.mint));
    }
    return this.out(this.inner.next());
  }

  seek(t: number): ValueType {
    if (this.done) return ValueType.None;
    if (this.started && this.t >= t) return ValueType.Float;
    this.started = true;
    return this.out(this.inner.seek(Math.max(t, this.mint)));
  }

  err(): Error | null {
    return this.inner.err();
  }
}

/**
 * A series read from downsampled blocks (possibly mixed with raw chunks from raw blocks filling
 * gaps): samples of the aggregate `sel` within [mint, maxt]; chunks() hands the chunks on as they
 * are (aggregate chunks with encoding 0xFF) for a StoreAPI server to split per requested aggregate.
 */
export class DownsampledSeries implements Series {
  constructor(
    readonly labels: Labels,
    private readonly metas: ChunkMeta[],
    private readonly sel: AggrSelection,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  iterator(): SampleIterator {
    return new BoundedIterator(iteratorForChunks(this.metas, this.sel), this.mint, this.maxt);
  }

  chunks(): ChunkMeta[] {
    return this.metas;
  }
}

export interface AggrSeriesData {
  labels: Labels;
  /** Aggregate chunks (encoding 0xFF) in time order. */
  chunks: ChunkMeta[];
}

/** A Queryable over downsampled series held in memory (e.g. read from 5m/1h blocks). */
export class AggrQueryable implements Queryable {
  private readonly series: AggrSeriesData[];
  constructor(series: Iterable<AggrSeriesData>) {
    this.series = [...series].sort((a, b) => Labels.compare(a.labels, b.labels));
  }

  querier(mint: number, maxt: number): Querier {
    const all = this.series;
    const match = (ms: readonly Matcher[], l: Labels): boolean => ms.every((m) => m.matches(l.get(m.name)));
    return {
      select(hints: SelectHints, matchers: readonly Matcher[]): SeriesSet {
        const lo = Math.max(mint, hints.start);
        const hi = Math.min(maxt, hints.end);
        const sel = aggrForFunc(hints.func);
        const items: Series[] = [];
        for (const s of all) {
          if (!match(matchers, s.labels)) continue;
          const chunks = s.chunks.filter((c) => c.maxTime >= lo && c.minTime <= hi);
          if (chunks.length === 0) continue;
          items.push({ labels: s.labels, iterator: () => iteratorForSelection(chunks, sel), chunks: () => chunks });
        }
        return {
          async *[Symbol.asyncIterator]() {
            yield* items;
          },
          warnings: () => [],
        };
      },
      async labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
        const set = new Set<string>();
        for (const s of all) if (match(matchers, s.labels) && s.labels.get(name) !== '') set.add(s.labels.get(name));
        let values = [...set].sort(compareStrings);
        if (hints?.limit) values = values.slice(0, hints.limit);
        return { values, warnings: [] };
      },
      async labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
        const set = new Set<string>();
        for (const s of all) if (match(matchers, s.labels)) for (const n of s.labels.names()) set.add(n);
        let values = [...set].sort(compareStrings);
        if (hints?.limit) values = values.slice(0, hints.limit);
        return { values, warnings: [] };
      },
      close(): void {},
    };
  }
}
