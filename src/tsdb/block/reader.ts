// Reads a block (index + chunk segments over ReadAt) and serves it as a Queryable.
import { join } from 'node:path';
import { Labels, compareStrings } from '../../labels/labels.ts';
import type { Matcher } from '../../labels/matcher.ts';
import { ChunkEncoding, ValueType } from '../../storage/interfaces.ts';
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
import { XORIterator } from '../chunkenc/xor.ts';
import { ChunkReader, segmentFileName } from '../chunks/chunks.ts';
import { IndexReader } from '../index/reader.ts';
import type { SeriesEntry } from '../index/reader.ts';
import { readMeta } from './meta.ts';
import type { BlockMeta } from './meta.ts';
import { FileReadAt } from './readat.ts';
import type { ReadAt } from './readat.ts';

/** Series read per batch when selecting. */
const SERIES_BATCH = 512;

export class BlockReader implements Queryable {
  private closed = false;

  private constructor(
    readonly meta: BlockMeta,
    readonly index: IndexReader,
    readonly chunkReader: ChunkReader,
  ) {}

  /** Opens a block directory on local disk. */
  static async open(dir: string): Promise<BlockReader> {
    const meta = await readMeta(dir);
    const index = await FileReadAt.open(join(dir, 'index'));
    try {
      return await BlockReader.openWith({
        index,
        chunk: (seg) => FileReadAt.open(join(dir, 'chunks', segmentFileName(seg))),
        meta,
      });
    } catch (e) {
      await index.close();
      throw e;
    }
  }

  /** Opens a block from arbitrary readers (e.g. bucket objects). `chunk(i)` is segment index i (file 00000i+1). */
  static async openWith(readers: { index: ReadAt; chunk(seg: number): ReadAt | Promise<ReadAt>; meta: BlockMeta }): Promise<BlockReader> {
    const ir = await IndexReader.open(readers.index);
    return new BlockReader(readers.meta, ir, new ChunkReader((i) => readers.chunk(i)));
  }

  /** Querier over the inclusive range [mint, maxt]. */
  querier(mint: number, maxt: number): Querier {
    if (this.closed) throw new Error('block reader is closed');
    return new BlockQuerier(this, mint, maxt);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.index.close();
    await this.chunkReader.close();
  }
}

class ListSeriesSet implements SeriesSet {
  private readonly warns: string[] = [];
  constructor(private readonly gen: () => AsyncGenerator<Series>) {}
  [Symbol.asyncIterator](): AsyncIterator<Series> {
    return this.gen();
  }
  warnings(): string[] {
    return this.warns;
  }
}

class BlockQuerier implements Querier {
  constructor(
    private readonly b: BlockReader,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  select(hints: SelectHints, matchers: readonly Matcher[]): SeriesSet {
    const mint = Math.max(this.mint, hints.start ?? this.mint);
    const maxt = Math.min(this.maxt, hints.end ?? this.maxt);
    const skipChunks = hints.skipChunks === true || hints.func === 'series';
    const limit = hints.limit ?? 0;
    const b = this.b;
    return new ListSeriesSet(async function* () {
      if (mint > maxt || b.meta.maxTime <= mint || b.meta.minTime > maxt) return;
      const ids = await b.index.postingsForMatchers(matchers);
      let emitted = 0;
      for (let i = 0; i < ids.length; i += SERIES_BATCH) {
        const entries = await b.index.series(ids.subarray(i, i + SERIES_BATCH));
        // Keep only chunks overlapping [mint, maxt]; drop series with none.
        const sel: { e: SeriesEntry; from: number; to: number }[] = [];
        const refs: number[] = [];
        for (const e of entries) {
          let from = 0;
          while (from < e.chunks.length && e.chunks[from]!.maxTime < mint) from++;
          let to = from;
          while (to < e.chunks.length && e.chunks[to]!.minTime <= maxt) to++;
          if (to === from) continue;
          sel.push({ e, from, to });
          if (!skipChunks) for (let k = from; k < to; k++) refs.push(e.chunks[k]!.ref);
        }
        const raw = skipChunks ? [] : await b.chunkReader.chunks(refs);
        let r = 0;
        for (const { e, from, to } of sel) {
          const metas: ChunkMeta[] = [];
          if (!skipChunks) {
            for (let k = from; k < to; k++) {
              const c = e.chunks[k]!;
              const rc = raw[r++]!;
              metas.push({ minTime: c.minTime, maxTime: c.maxTime, encoding: rc.encoding, data: rc.data });
            }
          }
          yield new ChunksSeries(e.labels, metas, mint, maxt);
          if (limit > 0 && ++emitted >= limit) return;
        }
      }
    });
  }

  async labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
    let values: string[];
    if (matchers.length === 0) {
      values = this.b.index.labelValues(name);
    } else {
      const ids = await this.b.index.postingsForMatchers(matchers);
      const set = new Set<string>();
      for (let i = 0; i < ids.length; i += SERIES_BATCH) {
        for (const e of await this.b.index.series(ids.subarray(i, i + SERIES_BATCH))) {
          const v = e.labels.get(name);
          if (v !== '') set.add(v);
        }
      }
      values = [...set].sort(compareStrings);
    }
    if (hints?.limit && values.length > hints.limit) values = values.slice(0, hints.limit);
    return { values, warnings: [] };
  }

  async labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
    let names: string[];
    if (matchers.length === 0) {
      names = this.b.index.labelNames();
    } else {
      const ids = await this.b.index.postingsForMatchers(matchers);
      const set = new Set<string>();
      for (let i = 0; i < ids.length; i += SERIES_BATCH) {
        for (const e of await this.b.index.series(ids.subarray(i, i + SERIES_BATCH))) for (const n of e.labels.names()) set.add(n);
      }
      names = [...set].sort(compareStrings);
    }
    if (hints?.limit && names.length > hints.limit) names = names.slice(0, hints.limit);
    return { values: names, warnings: [] };
  }

  close(): void {
    /* nothing held per querier */
  }
}

/** A series as a block (local or in a bucket) gives it: raw chunks plus an iterator limited to [mint, maxt]. */
export class ChunksSeries implements Series {
  constructor(
    readonly labels: Labels,
    private readonly metas: ChunkMeta[],
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  iterator(reuse?: SampleIterator): SampleIterator {
    if (reuse instanceof ChunksIterator) {
      reuse.reset(this.metas, this.mint, this.maxt);
      return reuse;
    }
    return new ChunksIterator(this.metas, this.mint, this.maxt);
  }

  chunks(): ChunkMeta[] {
    return this.metas;
  }
}

/** Iterates the samples of consecutive XOR chunks, limited to [mint, maxt]. */
export class ChunksIterator implements SampleIterator {
  private metas: ChunkMeta[] = [];
  private i = -1;
  private it: XORIterator | null = null;
  private mint = 0;
  private maxt = 0;
  private done = false;
  private hasCur = false;
  private error: Error | null = null;
  t = 0;
  v = 0;

  constructor(metas: ChunkMeta[], mint = -Infinity, maxt = Infinity) {
    this.reset(metas, mint, maxt);
  }

  reset(metas: ChunkMeta[], mint: number, maxt: number): void {
    this.metas = metas;
    this.mint = mint;
    this.maxt = maxt;
    this.i = -1;
    this.done = false;
    this.hasCur = false;
    this.error = null;
    this.t = 0;
    this.v = 0;
  }

  private nextChunk(minT: number): boolean {
    for (;;) {
      this.i++;
      if (this.i >= this.metas.length) return false;
      const c = this.metas[this.i]!;
      if (c.maxTime < minT) continue;
      if (c.encoding !== ChunkEncoding.XOR) {
        this.error = new Error(`unsupported chunk encoding ${c.encoding} in block iterator`);
        return false;
      }
      if (this.it) this.it.reset(c.data);
      else this.it = new XORIterator(c.data);
      return true;
    }
  }

  next(): ValueType {
    if (this.done) return ValueType.None;
    for (;;) {
      if (this.i < 0 || this.it === null || this.i >= this.metas.length) {
        if (!this.nextChunk(this.mint)) return this.finish();
      }
      const it = this.it!;
      const vt = it.next();
      if (vt === ValueType.None) {
        const e = it.err();
        if (e) {
          this.error = e;
          return this.finish();
        }
        if (!this.nextChunk(this.mint)) return this.finish();
        continue;
      }
      const t = it.t;
      if (t < this.mint) continue;
      if (t > this.maxt) return this.finish();
      this.t = t;
      this.v = it.v;
      this.hasCur = true;
      return ValueType.Float;
    }
  }

  seek(t: number): ValueType {
    if (this.done) return ValueType.None;
    if (this.hasCur && this.t >= t) return ValueType.Float;
    const target = Math.max(t, this.mint);
    // Jump straight to the first chunk that can hold a sample >= target.
    if (this.i < 0 || this.it === null || this.metas[this.i]!.maxTime < target) {
      if (!this.nextChunk(target)) return this.finish();
    }
    for (;;) {
      const vt = this.next();
      if (vt === ValueType.None || this.t >= target) return vt;
    }
  }

  private finish(): ValueType {
    this.done = true;
    this.hasCur = false;
    return ValueType.None;
  }

  err(): Error | null {
    return this.error;
  }
}
