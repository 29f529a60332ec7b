// Fan-in of several Queryables into one: series with identical labels from different sources are
// merged sample by sample (timestamps ascending, a timestamp present in several sources taken once),
// as Prometheus' storage.NewMergeQuerier with ChainedSeriesMerge. Used for tenants, head + blocks.
import { Labels, compareStrings } from '../labels/labels.ts';
import type { Matcher } from '../labels/matcher.ts';
import {
  ValueType,
  type LabelHints,
  type LabelResult,
  type Querier,
  type Queryable,
  type SampleIterator,
  type SelectHints,
  type Series,
  type SeriesSet,
  type ChunkMeta,
} from './interfaces.ts';

export class MergeQueryable implements Queryable {
  constructor(private readonly sources: () => readonly Queryable[]) {}
  querier(mint: number, maxt: number): Querier {
    const qs = this.sources().map((s) => s.querier(mint, maxt));
    return qs.length === 1 ? qs[0]! : new MergeQuerier(qs);
  }
}

export class MergeQuerier implements Querier {
  constructor(private readonly queriers: readonly Querier[]) {}

  select(hints: SelectHints, matchers: readonly Matcher[]): SeriesSet {
    const sets = this.queriers.map((q) => q.select(hints, matchers));
    return mergeSeriesSets(sets);
  }

  async labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
    const rs = await Promise.all(this.queriers.map((q) => q.labelValues(name, matchers, hints)));
    return mergeLabelResults(rs, hints?.limit);
  }

  async labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
    const rs = await Promise.all(this.queriers.map((q) => q.labelNames(matchers, hints)));
    return mergeLabelResults(rs, hints?.limit);
  }

  close(): void {
    for (const q of this.queriers) q.close();
  }
}

function mergeLabelResults(rs: LabelResult[], limit?: number): LabelResult {
  const set = new Set<string>();
  const warnings: string[] = [];
  for (const r of rs) {
    for (const v of r.values) set.add(v);
    warnings.push(...r.warnings);
  }
  let values = [...set].sort(compareStrings);
  if (limit && limit > 0 && values.length > limit) values = values.slice(0, limit);
  return { values, warnings };
}


/** Merges sorted series sets; series with equal labels are chained. */
export function mergeSeriesSets(sets: readonly SeriesSet[]): SeriesSet {
  if (sets.length === 1) return sets[0]!;
  const warnings: string[] = [];
  return {
    warnings: () => warnings,
    async *[Symbol.asyncIterator]() {
      // Sets are sorted; collect the heads and repeatedly take the smallest. Sources are few
      // (tenants, blocks), so a linear scan beats a heap here.
      const its = sets.map((s) => s[Symbol.asyncIterator]());
      const heads: (Series | undefined)[] = await Promise.all(its.map(async (it) => (await it.next()).value as Series | undefined));
      for (;;) {
        let min: Series | undefined;
        for (const h of heads) if (h && (!min || Labels.compare(h.labels, min.labels) < 0)) min = h;
        if (!min) break;
        const same: Series[] = [];
        for (let i = 0; i < heads.length; i++) {
          const h = heads[i];
          if (h && Labels.compare(h.labels, min.labels) === 0) {
            same.push(h);
            heads[i] = (await its[i]!.next()).value as Series | undefined;
          }
        }
        yield same.length === 1 ? same[0]! : new ChainedSeries(same);
      }
      for (const s of sets) warnings.push(...s.warnings());
    },
  };
}

export class ChainedSeries implements Series {
  readonly labels: Labels;
  constructor(private readonly parts: readonly Series[]) {
    this.labels = parts[0]!.labels;
  }
  iterator(): SampleIterator {
    return chainIterators(this.parts.map((p) => p.iterator()));
  }
  chunks(): ChunkMeta[] {
    const out: ChunkMeta[] = [];
    for (const p of this.parts) if (p.chunks) out.push(...p.chunks());
    return out.sort((a, b) => a.minTime - b.minTime);
  }
}

/** Optional bulk read of a fresh iterator, as the PromQL engine uses it (see BulkRangeReader in interfaces.ts). */
interface Bulk {
  sampleCountUpperBound(): number;
  readRange(from: number, to: number, ts: Float64Array, vs: Float64Array, off: number): number;
}

function isBulk(it: SampleIterator): it is SampleIterator & Bulk {
  const b = it as SampleIterator & Partial<Bulk>;
  return typeof b.readRange === 'function' && typeof b.sampleCountUpperBound === 'function' && it.st === undefined;
}

/**
 * Merges iterators by timestamp (ChainSampleIterator); a single iterator is returned as it is, and
 * when all of them can bulk-read, the merge can too (BulkChainSampleIterator).
 */
export function chainIterators(its: SampleIterator[]): SampleIterator {
  if (its.length === 1) return its[0]!;
  if (its.length > 0 && its.every(isBulk)) return new BulkChainSampleIterator(its as (SampleIterator & Bulk)[]);
  return new ChainSampleIterator(its);
}

/** Merges iterators by timestamp; on equal timestamps the first iterator's sample wins. */
export class ChainSampleIterator implements SampleIterator {
  t = 0;
  v = 0;
  private readonly its: SampleIterator[];
  private readonly state: number[]; // last ValueType of each iterator, -1 = not started
  private started = false;
  constructor(its: SampleIterator[]) {
    this.its = its;
    this.state = its.map(() => -1);
  }
  private pick(): ValueType {
    let best = -1;
    for (let i = 0; i < this.its.length; i++) {
      if (this.state[i] === ValueType.None) continue;
      if (best < 0 || this.its[i]!.t < this.its[best]!.t) best = i;
    }
    if (best < 0) return ValueType.None;
    const it = this.its[best]!;
    this.t = it.t;
    this.v = it.v;
    // Skip duplicates of this timestamp in the other iterators.
    for (let i = 0; i < this.its.length; i++) {
      if (i === best || this.state[i] === ValueType.None) continue;
      while (this.state[i] !== ValueType.None && this.its[i]!.t === this.t) this.state[i] = this.its[i]!.next();
    }
    return this.state[best] as ValueType;
  }
  next(): ValueType {
    if (!this.started) {
      this.started = true;
      for (let i = 0; i < this.its.length; i++) this.state[i] = this.its[i]!.next();
      return this.pick();
    }
    // Advance the iterator(s) positioned at the current timestamp.
    for (let i = 0; i < this.its.length; i++) {
      if (this.state[i] !== ValueType.None && this.its[i]!.t === this.t) this.state[i] = this.its[i]!.next();
    }
    return this.pick();
  }
  seek(t: number): ValueType {
    if (this.started && this.t >= t && this.pickedValid()) return ValueType.Float;
    this.started = true;
    for (let i = 0; i < this.its.length; i++) {
      const s = this.state[i];
      if (s === ValueType.None) continue;
      if (s === -1 || this.its[i]!.t < t) this.state[i] = this.its[i]!.seek(t);
    }
    return this.pick();
  }
  private pickedValid(): boolean {
    for (let i = 0; i < this.its.length; i++) if (this.state[i] !== ValueType.None) return true;
    return false;
  }
  err(): Error | null {
    for (const it of this.its) {
      const e = it.err();
      if (e) return e;
    }
    return null;
  }
}

/**
 * ChainSampleIterator whose inputs all bulk-read: readRange reads each input into scratch arrays
 * and merges them by timestamp (first input wins on equal timestamps) into the caller's arrays.
 * Use it fresh: either readRange once, or next/seek.
 */
export class BulkChainSampleIterator extends ChainSampleIterator {
  private readonly bulk: (SampleIterator & Bulk)[];
  constructor(its: (SampleIterator & Bulk)[]) {
    super(its);
    this.bulk = its;
  }

  sampleCountUpperBound(): number {
    let n = 0;
    for (const it of this.bulk) n += it.sampleCountUpperBound();
    return n;
  }

  readRange(from: number, to: number, ts: Float64Array, vs: Float64Array, off: number): number {
    const k = this.bulk.length;
    const parts: { t: Float64Array; v: Float64Array; n: number; i: number }[] = new Array(k);
    for (let j = 0; j < k; j++) {
      const it = this.bulk[j]!;
      const cap = it.sampleCountUpperBound();
      const t = new Float64Array(cap);
      const v = new Float64Array(cap);
      parts[j] = { t, v, n: it.readRange(from, to, t, v, 0), i: 0 };
    }
    let o = off;
    let last = -Infinity;
    for (;;) {
      let best = -1;
      let bt = Infinity;
      for (let j = 0; j < k; j++) {
        const p = parts[j]!;
        while (p.i < p.n && p.t[p.i]! <= last) p.i++; // duplicates of an emitted timestamp
        if (p.i < p.n && p.t[p.i]! < bt) {
          bt = p.t[p.i]!;
          best = j;
        }
      }
      if (best < 0) break;
      const p = parts[best]!;
      ts[o] = bt;
      vs[o] = p.v[p.i]!;
      o++;
      p.i++;
      last = bt;
    }
    return o - off;
  }
}
