// Downsampling as Thanos does it (pkg/compact/downsample/downsample.go): raw blocks become 5m blocks
// and 5m blocks become 1h blocks made of aggregate chunks (see aggr.ts for the layout).
// Float series only; native histogram chunks are not produced by Strata and are rejected here.
import { ChunkEncoding, ValueType } from '../../storage/interfaces.ts';
import type { ChunkMeta, SampleIterator } from '../../storage/interfaces.ts';
import { XORIterator } from '../../tsdb/chunkenc/xor.ts';
import { isStaleNaN } from '../../tsdb/stale.ts';
import { AggrChunk, AggrChunkBuilder, AggrType, ApplyCounterResetsIterator, CHUNK_ENC_AGGR } from './aggr.ts';

/** Input Strata cannot downsample (native histogram chunks): the block is marked no-downsample. */
export class UnsupportedChunkError extends Error {
  override name = 'UnsupportedChunkError';
}

/** currentWindow: the end timestamp of the window `t` falls into (windows are [k·r, (k+1)·r)). */
export function currentWindow(t: number, r: number): number {
  // Go's % truncates toward zero; JS's too.
  return t - (t % r) + r - 1;
}

function rangeFullness(mint: number, maxt: number, step: number, count: number): number {
  const f = count / ((maxt - mint) / step);
  return f > 1 ? 1 : f;
}

/** How many chunks a downsampled series should get: ≤ 140 windows per chunk on average. */
export function targetChunkCount(mint: number, maxt: number, inRes: number, outRes: number, count: number): number {
  const maxSamples = Math.trunc((maxt - mint) / outRes);
  let full = rangeFullness(mint, maxt, inRes, count);
  if (!Number.isFinite(full)) full = 1; // maxt == mint: Go gives +Inf → clamped to 1
  const expSamples = Math.trunc(maxSamples * full) + 1;
  let x = 1;
  while (Math.trunc(expSamples / x) > 140) x++;
  return x;
}

/**
 * Per-window aggregates of one batch as columns (Thanos floatAggregator state at each window end):
 * window end timestamp, count, sum, min, max and the running counter total. Each aggregate is then
 * appended to its XOR sub-chunk as a column with appendMany, which keeps the encoder state in
 * locals instead of one append call per aggregate per window.
 */
class Windows {
  n = 0;
  t = new Float64Array(256);
  count = new Float64Array(256);
  sum = new Float64Array(256);
  min = new Float64Array(256);
  max = new Float64Array(256);
  counter = new Float64Array(256);
  /** Last value added (Thanos aggregator.last), for the counter entry's closing sample. */
  last = 0;

  reserve(n: number): void {
    if (n <= this.t.length) return;
    let cap = this.t.length;
    while (cap < n) cap *= 2;
    this.t = new Float64Array(cap);
    this.count = new Float64Array(cap);
    this.sum = new Float64Array(cap);
    this.min = new Float64Array(cap);
    this.max = new Float64Array(cap);
    this.counter = new Float64Array(cap);
  }
}

/**
 * Thanos downsampleBatch + floatAggregator over ts/vs[from, to) (ascending, at least one sample):
 * fills `w` with one row per window, window ends clamped to the batch's last timestamp, and
 * returns the last window end (Thanos' nextT). The aggregator is inlined into locals; the
 * arithmetic is Thanos' in the same order, so sums and counters round identically.
 */
function aggregateWindows(ts: ArrayLike<number>, vs: ArrayLike<number>, from: number, to: number, resolution: number, w: Windows): number {
  w.reserve(to - from);
  const wt = w.t;
  const wCount = w.count;
  const wSum = w.sum;
  const wMin = w.min;
  const wMax = w.max;
  const wCounter = w.counter;
  const lastT = ts[to - 1]!;
  let k = -1;
  let nextT = -1;
  let total = 0;
  let count = 0;
  let sum = 0;
  let min = Number.MAX_VALUE;
  let max = -Number.MAX_VALUE;
  let counter = 0;
  let last = 0;
  for (let i = from; i < to; i++) {
    const t = ts[i]!;
    if (t > nextT) {
      if (nextT !== -1) {
        wt[k] = nextT;
        wCount[k] = count;
        wSum[k] = sum;
        wMin[k] = min;
        wMax[k] = max;
        wCounter[k] = counter;
      }
      k++;
      count = 0;
      sum = 0;
      min = Number.MAX_VALUE;
      max = -Number.MAX_VALUE;
      const cw = currentWindow(t, resolution);
      nextT = cw < lastT ? cw : lastT;
    }
    const v = vs[i]!;
    if (total > 0) {
      if (v < last) counter += v;
      else counter += v - last;
    } else {
      counter = v;
    }
    last = v;
    sum += v;
    count++;
    total++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (total > 0) {
    wt[k] = nextT;
    wCount[k] = count;
    wSum[k] = sum;
    wMin[k] = min;
    wMax[k] = max;
    wCounter[k] = counter;
  }
  w.n = k + 1;
  w.last = last;
  return nextT;
}

/**
 * Growable (t, v) sample columns reused across series: decoding raw chunks and expanding
 * aggregates writes into these instead of allocating arrays per series.
 */
class Samples {
  t = new Float64Array(1024);
  v = new Float64Array(1024);
  n = 0;
  push(t: number, v: number): void {
    if (this.n === this.t.length) this.grow();
    this.t[this.n] = t;
    this.v[this.n] = v;
    this.n++;
  }
  reserve(n: number): void {
    if (n > this.t.length) this.grow(n);
  }
  private grow(min = 0): void {
    let cap = this.t.length * 2;
    while (cap < min) cap *= 2;
    const t = new Float64Array(cap);
    const v = new Float64Array(cap);
    t.set(this.t);
    v.set(this.v);
    this.t = t;
    this.v = v;
  }
}

// Module scratch (downsampling is synchronous, so one set serves every call): the raw samples of
// the current series, the NaN-free batch of downsampleRaw, the expanded aggregate of
// downsampleAggrBatch, and the two reused aggregate chunk builders.
const rawScratch = new Samples();
const batchScratch = new Samples();
const aggrScratch = new Samples();
const windows = new Windows();
const rawBuilder = new AggrChunkBuilder();
const aggrBuilder = new AggrChunkBuilder([]);

/** Smallest and largest of xs[0, n) (n ≥ 1). */
function spanOf(xs: Float64Array, n: number): [number, number] {
  let lo = xs[0]!;
  let hi = lo;
  for (let i = 1; i < n; i++) {
    const x = xs[i]!;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

/** Raw samples (already without stale markers, ascending) to aggregate chunks (Thanos DownsampleRaw). */
export function downsampleRaw(ts: ArrayLike<number>, vs: ArrayLike<number>, n: number, resolution: number): ChunkMeta[] {
  if (n === 0) return [];
  const mint = ts[0]!;
  const maxt = ts[n - 1]!;
  // Thanos assumes a raw resolution of 1 minute for the chunk count heuristic.
  const numChunks = targetChunkCount(mint, maxt, 60 * 1000, resolution, n);
  const out: ChunkMeta[] = [];
  const batchSize = Math.trunc(n / numChunks) + 1;
  const ab = rawBuilder;
  const w = windows;
  let p = 0;
  while (p < n) {
    let j = Math.min(p + batchSize, n);
    const curW = currentWindow(ts[j - 1]!, resolution);
    // Take the rest of the window the batch ends in, to keep windows whole.
    while (j < n && ts[j]! <= curW) j++;
    // NaN (incl. stale markers) is never aggregated: copy the batch without them, but only
    // when there is one (the common batch is used in place).
    let bt: ArrayLike<number> = ts;
    let bv: ArrayLike<number> = vs;
    let from = p;
    let to = j;
    let hasNaN = false;
    for (let i = p; i < j; i++) {
      const v = vs[i]!;
      if (v !== v) {
        hasNaN = true;
        break;
      }
    }
    if (hasNaN) {
      const batch = batchScratch;
      batch.n = 0;
      for (let i = p; i < j; i++) {
        const v = vs[i]!;
        if (v !== v) continue;
        batch.push(ts[i]!, v);
      }
      bt = batch.t;
      bv = batch.v;
      from = 0;
      to = batch.n;
    }
    p = j;
    if (to === from) continue;
    const lastT = aggregateWindows(bt, bv, from, to, resolution, w);
    const k = w.n;
    ab.reset();
    ab.appendMany(AggrType.Count, w.t, w.count, k);
    ab.appendMany(AggrType.Sum, w.t, w.sum, k);
    ab.appendMany(AggrType.Min, w.t, w.min, k);
    ab.appendMany(AggrType.Max, w.t, w.max, k);
    // The counter entry opens with the first raw sample and closes with the last raw value
    // repeated at the last window end; see ApplyCounterResetsIterator.
    ab.append(AggrType.Counter, bt[from]!, bv[from]!);
    ab.appendMany(AggrType.Counter, w.t, w.counter, k);
    ab.append(AggrType.Counter, lastT, bv[to - 1]!);
    const [lo, hi] = spanOf(w.t, k);
    ab.span(lo);
    ab.span(hi);
    out.push(ab.encode());
  }
  return out;
}

/** Expands an iterator into `out`, skipping stale markers and samples going back in time (expandXorChunkIterator). */
function expand(it: SampleIterator, out: Samples): void {
  let lastT = 0;
  while (it.next() !== ValueType.None) {
    const t = it.t;
    const v = it.v;
    if (v !== v && isStaleNaN(v)) continue;
    if (t >= lastT) {
      out.push(t, v);
      lastT = t;
    }
  }
  const e = it.err();
  if (e) throw e;
}

/** expand() for an XOR chunk, decoding with XORIterator.readInto straight into the columns. */
function expandXOR(it: XORIterator, out: Samples): void {
  out.reserve(out.n + it.remaining());
  const from = out.n;
  const got = it.readInto(out.t, out.v, from, true);
  const e = it.err();
  if (e) throw e;
  // Drop samples going back in time (rare: a corrupt chunk), in place.
  const ts = out.t;
  const vs = out.v;
  let lastT = 0;
  let k = from;
  for (let i = from; i < from + got; i++) {
    const t = ts[i]!;
    if (t < lastT) continue;
    if (k !== i) {
      ts[k] = t;
      vs[k] = vs[i]!;
    }
    k++;
    lastT = t;
  }
  out.n = k;
}

const EMPTY = new Uint8Array(2);
/** Reused iterator over one sub-chunk at a time. */
const subIt = new XORIterator(EMPTY);

/** Points `it` at aggregate `at` of `c`; false when the aggregate is missing. */
function subXOR(c: AggrChunk, at: AggrType, it: XORIterator): boolean {
  const s = c.get(at);
  if (!s) return false;
  if (s.encoding !== ChunkEncoding.XOR) throw new UnsupportedChunkError(`aggregate ${at}: histogram aggregates are not supported`);
  it.reset(s.data);
  return true;
}

/** Thanos downsampleFloatAggrBatch: one output chunk from a run of input aggregate chunks. */
function downsampleAggrBatch(chks: readonly AggrChunk[], resolution: number): ChunkMeta {
  const ab = aggrBuilder;
  ab.reset([]);
  let mint = Number.POSITIVE_INFINITY;
  let maxt = Number.NEGATIVE_INFINITY;
  const s = aggrScratch;
  const w = windows;
  const it = subIt;
  const span = (k: number): void => {
    const [lo, hi] = spanOf(w.t, k);
    if (lo < mint) mint = lo;
    if (hi > maxt) maxt = hi;
  };
  // Count, sum, min and max: aggregate the expanded input aggregate per window and keep one
  // column (the new count is the sum of the input counts).
  const generic = (at: AggrType, col: 'sum' | 'min' | 'max'): void => {
    s.n = 0;
    for (const c of chks) {
      if (subXOR(c, at, it)) expandXOR(it, s);
    }
    if (s.n === 0) return;
    aggregateWindows(s.t, s.v, 0, s.n, resolution, w);
    ab.ensure(at);
    ab.appendMany(at, w.t, w[col], w.n);
    span(w.n);
  };
  generic(AggrType.Count, 'sum');
  generic(AggrType.Sum, 'sum');
  generic(AggrType.Min, 'min');
  generic(AggrType.Max, 'max');

  const its: SampleIterator[] = [];
  for (const c of chks) {
    const ci = new XORIterator(EMPTY);
    if (subXOR(c, AggrType.Counter, ci)) its.push(ci);
  }
  const cit = new ApplyCounterResetsIterator(its);
  s.n = 0;
  expand(cit, s);
  if (s.n > 0) {
    const lastT = aggregateWindows(s.t, s.v, 0, s.n, resolution, w);
    ab.ensure(AggrType.Counter);
    ab.append(AggrType.Counter, s.t[0]!, s.v[0]!);
    ab.appendMany(AggrType.Counter, w.t, w.counter, w.n);
    ab.append(AggrType.Counter, lastT, cit.lastV);
    span(w.n);
  }
  if (!Number.isFinite(mint) || !Number.isFinite(maxt)) {
    throw new Error(`invalid range for downsampled aggregate chunk: mint=${mint} maxt=${maxt}`);
  }
  ab.mint = mint;
  ab.maxt = maxt;
  return ab.encode();
}

/** Aggregate chunks (inRes) to coarser aggregate chunks (outRes), along input chunk boundaries (Thanos downsampleAggr). */
export function downsampleAggr(chunks: readonly ChunkMeta[], inRes: number, outRes: number): ChunkMeta[] {
  if (chunks.length === 0) return [];
  const acs: AggrChunk[] = [];
  let numSamples = 0;
  for (const c of chunks) {
    if (c.encoding !== CHUNK_ENC_AGGR) throw new Error(`expected aggregate chunk, got encoding ${c.encoding}`);
    const ac = new AggrChunk(c.data);
    numSamples += ac.numSamples();
    acs.push(ac);
  }
  const numChunks = targetChunkCount(chunks[0]!.minTime, chunks[chunks.length - 1]!.maxTime, inRes, outRes, numSamples);
  // Thanos: len(chks)/numChunks; a zero batch would never advance, so take at least one chunk.
  const batchSize = Math.max(1, Math.trunc(acs.length / numChunks));
  const out: ChunkMeta[] = [];
  for (let p = 0; p < acs.length; p += batchSize) out.push(downsampleAggrBatch(acs.slice(p, p + batchSize), outRes));
  return out;
}

/**
 * Downsamples one series given its chunks in order (raw XOR chunks when `inRes` is 0, aggregate
 * chunks otherwise). `_scratch` is accepted for compatibility and no longer used: the samples go
 * into reused module-level Float64Arrays.
 */
export function downsampleSeries(chunks: readonly ChunkMeta[], inRes: number, outRes: number, _scratch?: { ts: number[]; vs: number[] }): ChunkMeta[] {
  if (outRes <= inRes) throw new Error('target resolution not lower than existing one');
  for (let i = 1; i < chunks.length; i++) {
    if (chunks[i - 1]!.maxTime >= chunks[i]!.minTime) throw new Error('found overlapping chunks within series');
  }
  if (inRes === 0) {
    const raw = rawScratch;
    raw.n = 0;
    const it = subIt;
    for (const c of chunks) {
      if (c.encoding !== ChunkEncoding.XOR) throw new UnsupportedChunkError(`cannot downsample raw chunk encoding ${c.encoding} (native histograms are not supported)`);
      it.reset(c.data);
      expandXOR(it, raw);
    }
    return downsampleRaw(raw.t, raw.v, raw.n, outRes);
  }
  // Thanos fixes non-aggregate chunks found in downsampled blocks by downsampling them to 5m first.
  const fixed: ChunkMeta[] = [];
  for (const c of chunks) {
    if (c.encoding === CHUNK_ENC_AGGR) {
      fixed.push(c);
      continue;
    }
    if (c.encoding === ChunkEncoding.XOR && c.data.length >= 2 && ((c.data[0]! << 8) | c.data[1]!) > 0) {
      const raw = rawScratch;
      raw.n = 0;
      subIt.reset(c.data);
      expandXOR(subIt, raw);
      fixed.push(...downsampleRaw(raw.t, raw.v, raw.n, 5 * 60 * 1000));
    }
  }
  return downsampleAggr(fixed, inRes, outRes);
}
