// Merging the series of several blocks into one sorted stream of (labels, chunks), as Prometheus'
// compactor does with a CompactingChunkSeriesMerger (chain) or Thanos' dedup.NewChunkSeriesMerger
// (penalty): chunks that do not overlap are copied unchanged; runs of overlapping chunks are
// decoded, merged sample by sample and re-encoded (120 samples per XOR chunk; aggregate chunks
// per aggregate, as Thanos' aggrChunkIterator).
import { Labels } from '../labels/labels.ts';
import { ChunkEncoding, ValueType } from '../storage/interfaces.ts';
import type { ChunkMeta, SampleIterator } from '../storage/interfaces.ts';
import { DedupSeriesIterator, NoopAdjustIterator } from '../query/dedup.ts';
import { XORChunk, XORIterator } from '../tsdb/chunkenc/xor.ts';
import type { BlockReader } from '../tsdb/block/reader.ts';
import type { BlockSeries } from '../tsdb/block/writer.ts';
import { AggrChunk, AggrType, AGGR_TYPES, CHUNK_ENC_AGGR, encodeAggrChunk } from './downsample/aggr.ts';

export type MergeFunc = 'chain' | 'penalty';

/** Samples per re-encoded XOR chunk (Prometheus seriesToChunkEncoder). */
export const SAMPLES_PER_CHUNK = 120;

/** A problem in one input block: it is marked no-compact and skipped instead of halting. */
export class CorruptBlockError extends Error {
  override name = 'CorruptBlockError';
  constructor(
    readonly ulid: string,
    readonly reason: string,
    message: string,
  ) {
    super(`block ${ulid}: ${message}`);
  }
}

const SERIES_BATCH = 256;

/**
 * All series of a block in label order, with their chunks, after checking what Thanos'
 * VerifyIndex/compaction would reject: chunks outside the block range, chunks out of order or
 * overlapping within a series, unreadable index or chunks.
 */
export async function* blockSeries(b: BlockReader): AsyncGenerator<BlockSeries> {
  const id = b.meta.ulid;
  const { minTime, maxTime } = b.meta;
  let ids: Uint32Array;
  try {
    ids = await b.index.allPostings();
  } catch (e) {
    throw new CorruptBlockError(id, 'corrupted-block', `read postings: ${(e as Error).message}`);
  }
  let prev: Labels | null = null;
  for (let i = 0; i < ids.length; i += SERIES_BATCH) {
    let entries;
    let raws;
    try {
      entries = await b.index.series(ids.subarray(i, i + SERIES_BATCH));
      const refs: number[] = [];
      for (const e of entries) for (const c of e.chunks) refs.push(c.ref);
      raws = await b.chunkReader.chunks(refs);
    } catch (e) {
      throw new CorruptBlockError(id, 'corrupted-block', `read series/chunks: ${(e as Error).message}`);
    }
    let r = 0;
    for (const e of entries) {
      if (prev && Labels.compare(prev, e.labels) >= 0) throw new CorruptBlockError(id, 'corrupted-block', `series out of order: ${e.labels.toString()}`);
      prev = e.labels;
      const chunks: ChunkMeta[] = [];
      let lastMax = -Infinity;
      for (const c of e.chunks) {
        const raw = raws[r++]!;
        if (c.minTime < minTime || c.maxTime >= maxTime) {
          throw new CorruptBlockError(id, 'corrupted-block', `chunk [${c.minTime}, ${c.maxTime}] of ${e.labels.toString()} outside block range [${minTime}, ${maxTime})`);
        }
        if (c.minTime > c.maxTime || c.minTime <= lastMax) {
          throw new CorruptBlockError(id, 'block-index-out-of-order-chunk', `out-of-order or overlapping chunks in series ${e.labels.toString()}`);
        }
        lastMax = c.maxTime;
        chunks.push({ minTime: c.minTime, maxTime: c.maxTime, encoding: raw.encoding, data: raw.data });
      }
      yield { labels: e.labels, chunks };
    }
  }
}

/** Merges sorted series streams; series with equal labels have their chunks merged. */
export async function* mergeBlockSeries(sources: readonly AsyncIterable<BlockSeries>[], func: MergeFunc): AsyncGenerator<BlockSeries> {
  const its = sources.map((s) => s[Symbol.asyncIterator]());
  const heads: (BlockSeries | undefined)[] = await Promise.all(its.map(async (it) => (await it.next()).value as BlockSeries | undefined));
  for (;;) {
    let min: Labels | undefined;
    for (const h of heads) if (h && (!min || Labels.compare(h.labels, min) < 0)) min = h.labels;
    if (!min) return;
    const parts: ChunkMeta[][] = [];
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && Labels.compare(h.labels, min) === 0) {
        parts.push(h.chunks);
        heads[i] = (await its[i]!.next()).value as BlockSeries | undefined;
      }
    }
    const chunks = parts.length === 1 ? parts[0]! : mergeChunks(parts, func);
    if (chunks.length > 0) yield { labels: min, chunks };
  }
}

function sameChunk(a: ChunkMeta, b: ChunkMeta): boolean {
  if (a.minTime !== b.minTime || a.maxTime !== b.maxTime || a.encoding !== b.encoding || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

/** Merges the chunk lists of one series from several blocks. */
export function mergeChunks(parts: readonly (readonly ChunkMeta[])[], func: MergeFunc): ChunkMeta[] {
  const all: ChunkMeta[] = [];
  for (const p of parts) all.push(...p);
  all.sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime);
  const out: ChunkMeta[] = [];
  let i = 0;
  while (i < all.length) {
    const base = all[i]!;
    const run: ChunkMeta[] = [base];
    let runMax = base.maxTime;
    let j = i + 1;
    for (; j < all.length && all[j]!.minTime <= runMax; j++) {
      const c = all[j]!;
      if (sameChunk(c, run[run.length - 1]!)) continue; // 1:1 duplicate
      run.push(c);
      if (c.maxTime > runMax) runMax = c.maxTime;
    }
    i = j;
    if (run.length === 1) out.push(base);
    else out.push(...mergeRun(run, func));
  }
  return out;
}

function mergeIterators(its: SampleIterator[], func: MergeFunc): SampleIterator {
  if (its.length === 1) return its[0]!;
  if (func === 'penalty') {
    let it = its[0]!;
    for (let k = 1; k < its.length; k++) it = new DedupSeriesIterator(new NoopAdjustIterator(it), new NoopAdjustIterator(its[k]!));
    return it;
  }
  return new ChainIterator(its);
}

/** Chain merge: ascending timestamps, a timestamp present in several inputs taken from the first. */
class ChainIterator implements SampleIterator {
  private readonly ok: boolean[];
  private started = false;
  private error: Error | null = null;
  t = 0;
  v = 0;
  constructor(private readonly its: SampleIterator[]) {
    this.ok = its.map((it) => it.next() !== ValueType.None);
    its.forEach((it) => {
      const e = it.err();
      if (e) this.error = e;
    });
  }
  next(): ValueType {
    let best = -1;
    for (let k = 0; k < this.its.length; k++) {
      if (!this.ok[k]) continue;
      if (best < 0 || this.its[k]!.t < this.its[best]!.t) best = k;
    }
    if (best < 0) return ValueType.None;
    const t = this.its[best]!.t;
    this.t = t;
    this.v = this.its[best]!.v;
    this.started = true;
    for (let k = 0; k < this.its.length; k++) {
      if (!this.ok[k] || this.its[k]!.t !== t) continue;
      this.ok[k] = this.its[k]!.next() !== ValueType.None;
      const e = this.its[k]!.err();
      if (e) this.error = e;
    }
    return ValueType.Float;
  }
  seek(t: number): ValueType {
    for (;;) {
      if (this.started && this.t >= t) return ValueType.Float;
      if (this.next() === ValueType.None) return ValueType.None;
    }
  }
  err(): Error | null {
    return this.error;
  }
}

/** Re-encodes a sample iterator into XOR chunks of at most `per` samples, restricted to [mint, maxt]. */
export function encodeXOR(it: SampleIterator, per = SAMPLES_PER_CHUNK, mint = -Infinity, maxt = Infinity): ChunkMeta[] {
  const out: ChunkMeta[] = [];
  let c: XORChunk | null = null;
  let app: ReturnType<XORChunk['appender']> | null = null;
  let n = 0;
  let cmin = 0;
  let cmax = 0;
  let lastT = -Infinity;
  const flush = (): void => {
    if (c && n > 0) out.push({ minTime: cmin, maxTime: cmax, encoding: ChunkEncoding.XOR, data: c.bytes().slice() });
    c = null;
    app = null;
    n = 0;
  };
  while (it.next() !== ValueType.None) {
    const t = it.t;
    if (t < mint || t <= lastT) continue;
    if (t > maxt) break;
    lastT = t;
    if (!c || n >= per) {
      flush();
      c = new XORChunk(undefined, undefined, 256);
      app = c.appender();
      cmin = t;
    }
    app!.append(t, it.v);
    cmax = t;
    n++;
  }
  const e = it.err();
  if (e) throw e;
  flush();
  return out;
}

function mergeRun(run: readonly ChunkMeta[], func: MergeFunc): ChunkMeta[] {
  const enc = run[0]!.encoding;
  for (const c of run) {
    if (c.encoding !== enc) throw new Error(`cannot merge overlapping chunks of different encodings (${enc}, ${c.encoding})`);
  }
  if (enc === ChunkEncoding.XOR) {
    return encodeXOR(mergeIterators(run.map((c) => new XORIterator(c.data)), func));
  }
  if (enc === CHUNK_ENC_AGGR) return mergeAggrRun(run, func);
  throw new Error(`cannot merge overlapping chunks of encoding ${enc}`);
}

/** Thanos overlappingMerger for AggrChunks: merge each aggregate, cut by the merged count chunks. */
function mergeAggrRun(run: readonly ChunkMeta[], func: MergeFunc): ChunkMeta[] {
  const acs = run.map((c) => new AggrChunk(c.data));
  const merged = (at: AggrType): SampleIterator | null => {
    const its: SampleIterator[] = [];
    for (const a of acs) {
      const s = a.get(at);
      if (s && s.encoding === ChunkEncoding.XOR) its.push(new XORIterator(s.data));
    }
    return its.length ? mergeIterators(its, func) : null;
  };
  const countChunks = encodeXOR(merged(AggrType.Count) ?? new XORIterator(new Uint8Array(2)));
  // Materialise the other aggregates once, then slice them per count chunk.
  const samples: ({ t: number[]; v: number[] } | null)[] = AGGR_TYPES.map((at) => {
    if (at === AggrType.Count) return null;
    const it = merged(at);
    if (!it) return null;
    const t: number[] = [];
    const v: number[] = [];
    let lastT = -Infinity;
    while (it.next() !== ValueType.None) {
      if (it.t <= lastT) continue;
      lastT = it.t;
      t.push(it.t);
      v.push(it.v);
    }
    const e = it.err();
    if (e) throw e;
    return { t, v };
  });
  const out: ChunkMeta[] = [];
  for (const cc of countChunks) {
    const subs: ({ encoding: number; data: Uint8Array } | null)[] = [{ encoding: ChunkEncoding.XOR, data: cc.data }];
    for (const at of [AggrType.Sum, AggrType.Min, AggrType.Max, AggrType.Counter] as const) {
      const s = samples[at];
      if (!s) {
        subs.push(null);
        continue;
      }
      const x = new XORChunk();
      const app = x.appender();
      let n = 0;
      let lt = 0;
      let lv = 0;
      for (let k = 0; k < s.t.length; k++) {
        const t = s.t[k]!;
        if (t < cc.minTime) continue;
        if (t > cc.maxTime) break;
        app.append(t, s.v[k]!);
        lt = t;
        lv = s.v[k]!;
        n++;
      }
      if (n === 0) {
        subs.push(null);
        continue;
      }
      // The counter entry ends with its last value repeated (the "true last raw value").
      if (at === AggrType.Counter) app.append(lt, lv);
      subs.push({ encoding: ChunkEncoding.XOR, data: x.bytes().slice() });
    }
    out.push({ minTime: cc.minTime, maxTime: cc.maxTime, encoding: CHUNK_ENC_AGGR, data: encodeAggrChunk(subs) });
  }
  return out;
}
