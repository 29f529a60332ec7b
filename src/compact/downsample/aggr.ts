// Thanos aggregate chunks (pkg/compact/downsample/aggr.go, downsample.go) — the chunk format of
// downsampled (5m, 1h) blocks, and the iterators readers need to turn them back into series.
//
// Layout of an AggrChunk (chunk encoding byte 0xFF in the segment file / ChunkMeta.encoding):
//   five entries in AggrType order: count, sum, min, max, counter; each entry is
//   uvarint(len(sub)) | subEncoding (1 byte) | sub, where len excludes the encoding byte;
//   a missing aggregate is the single byte 0x00 (uvarint 0, no encoding byte).
// Float series store XOR sub-chunks for all five. Sample timestamps are window ends
// (t - t%res + res - 1, clamped to the batch's last raw timestamp).
// The counter entry starts with the first raw sample, holds the reset-adjusted running totals,
// and ends with the last raw value repeated at the last timestamp (see ApplyCounterResetsIterator).
//
// For store gateway / querier helpers (how Thanos' querier reads each PromQL function from
// downsampled data, pkg/query/iter.go + pkg/store/bucket.go):
//   - rate/increase/irate/resets and anything needing counters: `counterIterator(chunks)`
//   - max_over_time → `aggrIterator(chunks, AggrType.Max)`, min_over_time → AggrType.Min,
//     sum_over_time → AggrType.Sum, count_over_time → AggrType.Count
//   - avg_over_time and plain selectors → `averageIterator(chunks)` (sum / count per window)
// Each takes the series' chunks (ChunkMeta with encoding 0xFF) in time order.
import { ChunkEncoding, ValueType } from '../../storage/interfaces.ts';
import type { ChunkMeta, SampleIterator } from '../../storage/interfaces.ts';
import { XORChunk, XORIterator } from '../../tsdb/chunkenc/xor.ts';
import type { XORAppenderImpl } from '../../tsdb/chunkenc/xor.ts';

/** Aggregate indexes inside an AggrChunk (Thanos downsample.AggrType). */
export const AggrType = {
  Count: 0,
  Sum: 1,
  Min: 2,
  Max: 3,
  Counter: 4,
} as const;
export type AggrType = (typeof AggrType)[keyof typeof AggrType];

export const AGGR_TYPES: readonly AggrType[] = [AggrType.Count, AggrType.Sum, AggrType.Min, AggrType.Max, AggrType.Counter];

/** Chunk encoding byte of an AggrChunk (Thanos downsample.ChunkEncAggr). */
export const CHUNK_ENC_AGGR = 0xff;

/** Thanos' downsampling resolutions (ms) and the minimum block spans that trigger them. */
export const RES_LEVEL0 = 0;
export const RES_LEVEL1 = 5 * 60 * 1000;
export const RES_LEVEL2 = 60 * 60 * 1000;
export const RES_LEVEL1_DOWNSAMPLE_RANGE = 40 * 60 * 60 * 1000;
export const RES_LEVEL2_DOWNSAMPLE_RANGE = 10 * 24 * 60 * 60 * 1000;

export class AggrChunkError extends Error {
  override name = 'AggrChunkError';
}

/** One sub-chunk: its chunkenc encoding (1 = XOR, 3 = float histogram) and bytes. */
export interface SubChunk {
  encoding: number;
  data: Uint8Array;
}

function putUvarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** Encodes five (possibly missing) sub-chunks, in AggrType order, into AggrChunk bytes. */
export function encodeAggrChunk(subs: readonly (SubChunk | null | undefined)[]): Uint8Array {
  if (subs.length !== 5) throw new AggrChunkError(`an AggrChunk has 5 entries, got ${subs.length}`);
  let total = 0;
  const heads: number[][] = [];
  for (const s of subs) {
    const h: number[] = [];
    if (!s) {
      putUvarint(h, 0);
    } else {
      putUvarint(h, s.data.length);
      h.push(s.encoding & 0xff);
      total += s.data.length;
    }
    heads.push(h);
    total += h.length;
  }
  const out = new Uint8Array(total);
  let p = 0;
  for (let i = 0; i < 5; i++) {
    out.set(heads[i]!, p);
    p += heads[i]!.length;
    const s = subs[i];
    if (s) {
      out.set(s.data, p);
      p += s.data.length;
    }
  }
  return out;
}

/** A read-only view over AggrChunk bytes (Thanos downsample.AggrChunk). */
export class AggrChunk {
  private readonly offs: Int32Array = new Int32Array(5).fill(-1);
  private readonly lens = new Int32Array(5);
  private readonly encs = new Uint8Array(5);

  constructor(readonly data: Uint8Array) {
    let p = 0;
    for (let i = 0; i < 5; i++) {
      let len = 0;
      let mul = 1;
      for (let k = 0; ; k++) {
        if (p >= data.length) throw new AggrChunkError(`aggr chunk truncated in entry ${i}`);
        if (k >= 5) throw new AggrChunkError(`aggr chunk entry ${i}: length varint too long`);
        const b = data[p++]!;
        len += (b & 0x7f) * mul;
        if (b < 0x80) break;
        mul *= 128;
      }
      if (len === 0) continue;
      if (p + 1 + len > data.length) throw new AggrChunkError(`aggr chunk entry ${i}: ${len} bytes past the end`);
      this.encs[i] = data[p]!;
      this.offs[i] = p + 1;
      this.lens[i] = len;
      p += 1 + len;
    }
  }

  /** The sub-chunk for an aggregate, or null when it is missing (Thanos ErrAggrNotExist). */
  get(t: AggrType): SubChunk | null {
    const o = this.offs[t]!;
    if (o < 0) return null;
    return { encoding: this.encs[t]!, data: this.data.subarray(o, o + this.lens[t]!) };
  }

  /** Number of windows (samples of the count aggregate). */
  numSamples(): number {
    const c = this.get(AggrType.Count);
    if (!c || c.data.length < 2) return 0;
    return (c.data[0]! << 8) | c.data[1]!;
  }
}

/**
 * Builds one AggrChunk from per-aggregate XOR appends. A builder can be reused with reset(): its
 * five XOR sub-chunks keep their buffers, and encode() copies them once into the exact-size
 * output, so downsampling a block allocates one buffer per output chunk instead of five growing
 * sub-chunk buffers, their copies and the concatenation.
 */
export class AggrChunkBuilder {
  readonly chunks: (XORChunk | null)[] = [null, null, null, null, null];
  private readonly apps: (XORAppenderImpl | null)[] = [null, null, null, null, null];
  /** Sub-chunks kept for reuse across reset() (chunks[t] is pool[t] while aggregate t is in use). */
  private readonly pool: (XORChunk | null)[] = [null, null, null, null, null];
  mint = Number.POSITIVE_INFINITY;
  maxt = Number.NEGATIVE_INFINITY;

  /** Starts XOR sub-chunks for the given aggregates (all five by default). */
  constructor(types: readonly AggrType[] = AGGR_TYPES) {
    for (const t of types) this.ensure(t);
  }

  /** Starts over with empty sub-chunks for `types` (all five by default), reusing the buffers. */
  reset(types: readonly AggrType[] = AGGR_TYPES): void {
    for (let i = 0; i < 5; i++) {
      this.chunks[i] = null;
      this.apps[i] = null;
    }
    this.mint = Number.POSITIVE_INFINITY;
    this.maxt = Number.NEGATIVE_INFINITY;
    for (const t of types) this.ensure(t);
  }

  ensure(t: AggrType): void {
    if (this.chunks[t]) return;
    let c = this.pool[t]!;
    if (c) {
      c.reset();
    } else {
      // Sized for a typical aggregate sub-chunk (≈100 windows) so it rarely grows.
      c = new XORChunk(undefined, undefined, 512);
      this.pool[t] = c;
    }
    this.chunks[t] = c;
    this.apps[t] = c.appender();
  }

  append(t: AggrType, ts: number, v: number): void {
    this.apps[t]!.append(ts, v);
  }

  /** Appends the column ts/vs[0, n) to aggregate t (XORAppenderImpl.appendMany: same bytes as n appends). */
  appendMany(t: AggrType, ts: ArrayLike<number>, vs: ArrayLike<number>, n: number): void {
    this.apps[t]!.appendMany(ts, vs, 0, n);
  }

  has(t: AggrType): boolean {
    return this.chunks[t] !== null;
  }

  /**
   * Encoded chunk with the time range seen by `span` calls (the same bytes as encodeAggrChunk of
   * the sub-chunks, written straight into one buffer).
   */
  encode(): ChunkMeta {
    let total = 0;
    for (let i = 0; i < 5; i++) {
      const c = this.chunks[i];
      if (!c) {
        total += 1;
        continue;
      }
      const n = c.bytes().length;
      total += uvarintLen(n) + 1 + n;
    }
    const out = allocChunkBytes(total);
    let p = 0;
    for (let i = 0; i < 5; i++) {
      const c = this.chunks[i];
      if (!c) {
        out[p++] = 0;
        continue;
      }
      const b = c.bytes();
      let n = b.length;
      while (n >= 0x80) {
        out[p++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      out[p++] = n;
      out[p++] = ChunkEncoding.XOR;
      out.set(b, p);
      p += b.length;
    }
    return { minTime: this.mint, maxTime: this.maxt, encoding: CHUNK_ENC_AGGR, data: out };
  }

  span(t: number): void {
    if (t < this.mint) this.mint = t;
    if (t > this.maxt) this.maxt = t;
  }
}

// Output chunks are carved from 256 KiB slabs: one ArrayBuffer per ~100 series instead of one
// per chunk (a typed array over 64 bytes is an off-heap allocation with its own bookkeeping; the
// downsampler makes one per series). A slab lives as long as any of its chunks.
const SLAB = 256 * 1024;
let slab = new Uint8Array(0);
let slabOff = 0;

function allocChunkBytes(n: number): Uint8Array {
  if (n > SLAB / 8) return new Uint8Array(n);
  if (slabOff + n > slab.length) {
    slab = new Uint8Array(SLAB);
    slabOff = 0;
  }
  const out = slab.subarray(slabOff, slabOff + n);
  slabOff += n;
  return out;
}

function uvarintLen(n: number): number {
  let k = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    k++;
  }
  return k;
}

/** An iterator over nothing. */
class EmptyIterator implements SampleIterator {
  t = 0;
  v = 0;
  next(): ValueType {
    return ValueType.None;
  }
  seek(): ValueType {
    return ValueType.None;
  }
  err(): Error | null {
    return null;
  }
}

function subIterator(c: ChunkMeta, at: AggrType): XORIterator | null {
  if (c.encoding !== CHUNK_ENC_AGGR) throw new AggrChunkError(`expected an aggregate chunk (0xFF), got encoding ${c.encoding}`);
  const sub = new AggrChunk(c.data).get(at);
  if (!sub) return null;
  if (sub.encoding !== ChunkEncoding.XOR) throw new AggrChunkError(`aggregate ${at}: unsupported sub-chunk encoding ${sub.encoding}`);
  return new XORIterator(sub.data);
}

/**
 * Iterates one aggregate (count, sum, min or max) across a series' aggregate chunks in order,
 * skipping samples that do not advance time (overlapping chunks, as Thanos' chunk series iterator).
 */
export class AggrSeriesIterator implements SampleIterator {
  private i = -1;
  private cur: XORIterator | null = null;
  private error: Error | null = null;
  private lastT = Number.NEGATIVE_INFINITY;
  t = 0;
  v = 0;

  constructor(
    private readonly chunks: readonly ChunkMeta[],
    private readonly at: AggrType,
  ) {}

  next(): ValueType {
    for (;;) {
      if (this.cur === null) {
        this.i++;
        if (this.i >= this.chunks.length) return ValueType.None;
        try {
          this.cur = subIterator(this.chunks[this.i]!, this.at);
        } catch (e) {
          this.error = e as Error;
          this.i = this.chunks.length;
          return ValueType.None;
        }
        continue;
      }
      if (this.cur.next() === ValueType.None) {
        const e = this.cur.err();
        if (e) {
          this.error = e;
          this.i = this.chunks.length;
          this.cur = null;
          return ValueType.None;
        }
        this.cur = null;
        continue;
      }
      const t = this.cur.t;
      if (t <= this.lastT) continue;
      this.lastT = t;
      this.t = t;
      this.v = this.cur.v;
      return ValueType.Float;
    }
  }

  seek(t: number): ValueType {
    if (this.lastT !== Number.NEGATIVE_INFINITY && this.t >= t) return ValueType.Float;
    for (;;) {
      const vt = this.next();
      if (vt === ValueType.None || this.t >= t) return vt;
    }
  }

  err(): Error | null {
    return this.error;
  }
}

/** Iterator over one aggregate of a series' aggregate chunks. */
export function aggrIterator(chunks: readonly ChunkMeta[], at: AggrType): SampleIterator {
  if (at === AggrType.Counter) return counterIterator(chunks);
  return new AggrSeriesIterator(chunks, at);
}

/**
 * Thanos ApplyCounterResetsSeriesIterator: turns counter sub-chunks (or raw counter chunks) into a
 * monotonically increasing series. Within a chunk a sample with a later timestamp adds its increase
 * (or, when lower, its whole value: a reset); the trailing sample that repeats the previous
 * timestamp carries the true last raw value and is only used to detect a reset against the next
 * chunk's first raw value. NaN values are skipped. seek() walks with next() so no reset is missed.
 */
export class ApplyCounterResetsIterator implements SampleIterator {
  private i = 0;
  private total = 0;
  private lastT = Number.NEGATIVE_INFINITY;
  /** Last raw value seen (exposed as Thanos `lastV`). */
  lastV = 0;
  private totalV = 0;
  private started = false;

  constructor(private readonly its: SampleIterator[]) {}

  get t(): number {
    return this.lastT;
  }

  get v(): number {
    return this.totalV;
  }

  next(): ValueType {
    for (;;) {
      if (this.i >= this.its.length) return ValueType.None;
      const it = this.its[this.i]!;
      if (it.next() === ValueType.None) {
        if (it.err()) return ValueType.None;
        this.i++;
        return this.seek(this.lastT + 1);
      }
      const t = it.t;
      const v = it.v;
      if (v !== v) continue;
      if (this.total === 0) {
        this.total++;
        this.lastT = t;
        this.lastV = v;
        this.totalV = v;
        this.started = true;
        return ValueType.Float;
      }
      if (t > this.lastT) {
        if (v >= this.lastV) this.totalV += v - this.lastV;
        else this.totalV += v;
        this.lastT = t;
        this.lastV = v;
        this.total++;
        return ValueType.Float;
      }
      if (t === this.lastT) this.lastV = v;
    }
  }

  seek(x: number): ValueType {
    for (;;) {
      if (this.started && this.lastT >= x) return ValueType.Float;
      if (this.next() === ValueType.None) return ValueType.None;
    }
  }

  err(): Error | null {
    if (this.i >= this.its.length) return null;
    return this.its[this.i]!.err();
  }
}

/** Counter series of aggregate chunks (or of raw XOR chunks) with resets applied, for rate() & co. */
export function counterIterator(chunks: readonly ChunkMeta[]): ApplyCounterResetsIterator {
  const its: SampleIterator[] = [];
  for (const c of chunks) {
    if (c.encoding === ChunkEncoding.XOR) {
      its.push(new XORIterator(c.data));
      continue;
    }
    const it = subIterator(c, AggrType.Counter);
    if (it) its.push(it);
  }
  return new ApplyCounterResetsIterator(its);
}

/** Thanos AverageChunkIterator over all chunks: sum/count per window. */
export class AverageIterator implements SampleIterator {
  private readonly cnt: AggrSeriesIterator;
  private readonly sum: AggrSeriesIterator;
  private error: Error | null = null;
  private started = false;
  t = 0;
  v = 0;

  constructor(chunks: readonly ChunkMeta[]) {
    this.cnt = new AggrSeriesIterator(chunks, AggrType.Count);
    this.sum = new AggrSeriesIterator(chunks, AggrType.Sum);
  }

  next(): ValueType {
    if (this.error) return ValueType.None;
    const a = this.cnt.next();
    const b = this.sum.next();
    if (a === ValueType.None || b === ValueType.None) {
      if (a !== b) this.error = new AggrChunkError('sum and count iterator not aligned');
      return ValueType.None;
    }
    if (this.cnt.t !== this.sum.t) {
      this.error = new AggrChunkError('sum and count timestamps not aligned');
      return ValueType.None;
    }
    this.started = true;
    this.t = this.cnt.t;
    this.v = this.sum.v / this.cnt.v;
    return ValueType.Float;
  }

  seek(t: number): ValueType {
    for (;;) {
      if (this.started && this.t >= t) return ValueType.Float;
      if (this.next() === ValueType.None) return ValueType.None;
    }
  }

  err(): Error | null {
    return this.cnt.err() ?? this.sum.err() ?? this.error;
  }
}

export function averageIterator(chunks: readonly ChunkMeta[]): SampleIterator {
  return chunks.length === 0 ? new EmptyIterator() : new AverageIterator(chunks);
}

/** Decodes every sample of one aggregate into arrays (convenience for tools and tests). */
export function decodeAggregate(chunks: readonly ChunkMeta[], at: AggrType): { t: number[]; v: number[] } {
  const it = aggrIterator(chunks, at);
  const t: number[] = [];
  const v: number[] = [];
  while (it.next() !== ValueType.None) {
    t.push(it.t);
    v.push(it.v);
  }
  const e = it.err();
  if (e) throw e;
  return { t, v };
}
