// The store gateway's core (Thanos pkg/store/bucket.go BucketStore): serves the blocks of a bucket as
// a Queryable without downloading them. Per block only a compact "index header" stays in memory — the
// index TOC, symbol table and postings offset table that IndexReader keeps; postings lists, series
// entries and chunks are fetched with ranged GETs when a query needs them, postings and series going
// through a byte-bounded LRU (IndexCache). Blocks come and go with sync(): metas are listed from the
// bucket and filtered (partial uploads, deletion marks, --min-time/--max-time, external-label selector,
// compaction duplicates); new blocks get their index header loaded, vanished ones are dropped.
//
// Queries pick the blocks overlapping the time range whose external labels can match, answer matchers
// on external labels from the block's labels, and stream series block by block: postings → series
// entries (labels + chunk refs, for the whole block, so the set can be sorted once the external labels
// are added) → chunks fetched in batches as the consumer iterates. Series with equal labels from
// several blocks are chained (MergeQueryable semantics), and raw chunks are handed on as they are.
//
// Downsampled blocks (resolution 5m/1h, Thanos aggregate chunks): a select picks, per external label
// set, the blocks Thanos' bucketBlockSet.getFor picks for SelectHints.maxResolution (the StoreAPI's
// max_resolution_window; raw only when 0): the coarsest resolution not above it first, the gaps it
// leaves filled with the next finer resolution, recursively down to raw. A series with aggregate
// chunks is presented as a DownsampledSeries: its iterator reads the aggregate the PromQL function
// around the selector needs (SelectHints.func: counter for rate & co., max/min/sum/count for the
// *_over_time functions, sum/count average otherwise), and its chunks() are the aggregate chunks as
// stored, which the StoreAPI server splits into AggrChunk fields.
import { Counter, Gauge, Summary, type Registry } from 'prom-client';
import { Labels, LabelsBuilder } from '../labels/labels.ts';
import type { Matcher } from '../labels/matcher.ts';
import type { Logger } from '../observability/logger.ts';
import type { Bucket } from '../objstore/bucket.ts';
import { BucketReadAt } from '../objstore/readat.ts';
import { ExternalLabelsQueryable } from '../storage/extlabels.ts';
import type {
  ChunkMeta,
  LabelHints,
  LabelResult,
  Querier,
  Queryable,
  SelectHints,
  Series,
  SeriesSet,
} from '../storage/interfaces.ts';
import { ChainedSeries, MergeQuerier, mergeSeriesSets } from '../storage/merge.ts';
import { DownsampledSeries, aggrForFunc, hasAggrChunks } from '../compact/downsample/queryable.ts';
import { BlockReader, ChunksSeries } from '../tsdb/block/reader.ts';
import type { BlockMeta } from '../tsdb/block/meta.ts';
import type { ReadAt } from '../tsdb/block/readat.ts';
import { segmentFileName } from '../tsdb/chunks/chunks.ts';
import { intersect, without, type SeriesEntry } from '../tsdb/index/reader.ts';
import {
  DeduplicateFilter,
  DeletionMarkFilter,
  LabelSelectorFilter,
  MetaFetcher,
  TimePartitionFilter,
  forEachLimit,
  type FetchResult,
  type MetaFilter,
} from './fetcher.ts';
import { IndexCache } from './index-cache.ts';
import { DEFAULT_MAX_TIME, DEFAULT_MIN_TIME, TimeOrDuration } from './time.ts';

export const DEFAULT_INDEX_CACHE_SIZE = 250 * 1024 * 1024;
/** Series ids resolved to entries per index read. */
const SERIES_BATCH = 1024;
/** Chunks fetched per batch while streaming a block's series. */
const CHUNK_BATCH = 4096;
/**
 * Approximate bytes of chunk data buffered by one select, shared by the blocks it merges (each block
 * streams its own batch), but at least MIN_BLOCK_BATCH_BYTES per block.
 */
const SELECT_CHUNK_BYTES = 8 * 1024 * 1024;
const MIN_BLOCK_BATCH_BYTES = 256 * 1024;
/** Size assumed for a chunk whose size cannot be estimated. */
const UNKNOWN_CHUNK_BYTES = 16 * 1024;
const EMPTY = new Uint32Array(0);

export interface BucketStoreOptions {
  bucket: Bucket;
  logger?: Logger;
  registry?: Registry;
  /** Bytes of the postings/series LRU (--index-cache-size); default 250 MiB, 0 disables it. */
  indexCacheSize?: number;
  /** Serve only blocks overlapping [minTime, maxTime] (--min-time/--max-time); default all. */
  minTime?: TimeOrDuration;
  maxTime?: TimeOrDuration;
  /** Serve only blocks whose external labels match all of these. */
  labelSelector?: readonly Matcher[];
  /** Blocks marked for deletion are hidden once the mark is this old (ms); default 0 = at once. */
  ignoreDeletionMarksDelay?: number;
  /** Local directory for cached meta.json files (<data-dir>/meta-syncer). */
  metaCacheDir?: string;
  /** Blocks whose index headers are loaded in parallel during a sync. */
  blockSyncConcurrency?: number;
}

export interface SyncResult extends FetchResult {
  added: string[];
  dropped: string[];
  /** Blocks whose index header failed to load (retried at the next sync). */
  failed: Map<string, string>;
}

/** Bytes and items fetched from the bucket (and touched in total) for one select. */
interface QueryStats {
  postingsFetched: number;
  postingsFetchedBytes: number;
  postingsTouched: number;
  seriesFetched: number;
  seriesFetchedBytes: number;
  seriesTouched: number;
  chunksFetched: number;
  chunksFetchedBytes: number;
  blocksQueried: number;
  /** Blocks queried per resolution (ms). */
  blocksByResolution: Map<number, number>;
}

/**
 * A ReadAt that counts the bytes it reads. Queries attribute bytes to themselves by the difference
 * of the counter around each awaited read (exact unless several queries read the same file at the
 * same time, then approximate). No AsyncLocalStorage: its promise hooks made every promise of the
 * process pay for context propagation (~14 % of the store gateway's CPU in the benchmark profile).
 */
class AccountingReadAt implements ReadAt {
  bytes = 0;
  constructor(private readonly inner: ReadAt) {}
  async read(offset: number, length: number): Promise<Uint8Array> {
    const b = await this.inner.read(offset, length);
    this.bytes += b.length;
    return b;
  }
  size(): Promise<number> {
    return this.inner.size();
  }
  async close(): Promise<void> {
    await this.inner.close?.();
  }
}

/** Byte counters of one block's files. */
class BlockReadCounters {
  index: AccountingReadAt | null = null;
  readonly chunks: AccountingReadAt[] = [];
  chunkBytes(): number {
    let n = 0;
    for (const c of this.chunks) n += c.bytes;
    return n;
  }
}

/** A loaded block: its meta, external labels and index header. */
export class StoreBlock {
  readonly ext: Labels;
  readonly resolution: number;
  constructor(
    readonly meta: BlockMeta,
    readonly reader: BlockReader,
    /** @internal Bytes read from the block's files. */
    readonly counters: BlockReadCounters = new BlockReadCounters(),
  ) {
    this.ext = Labels.fromObject(meta.thanos?.labels ?? {});
    this.resolution = meta.thanos?.downsample.resolution ?? 0;
  }
  get id(): string {
    return this.meta.ulid;
  }
  /** Thanos' overlap test for a closed query interval (block maxTime is exclusive but compared inclusively, as Thanos does). */
  overlaps(mint: number, maxt: number): boolean {
    return !(mint > this.meta.maxTime || maxt < this.meta.minTime);
  }
}

interface StoreMetrics {
  blocksLoaded: Gauge;
  blockLoads: Counter;
  blockLoadFailures: Counter;
  blockDrops: Counter;
  dataFetched: Summary<'data_type'>;
  dataSizeFetched: Summary<'data_type'>;
  dataTouched: Summary<'data_type'>;
  blocksQueried: Summary;
  blocksQueriedByResolution: Counter<'resolution'>;
}

/** What block selection needs to know of a block. */
export interface ResolutionBlock {
  readonly resolution: number;
  readonly meta: { readonly minTime: number; readonly maxTime: number };
}

/**
 * Thanos bucketBlockSet.getFor for the blocks of one external label set: the time-ordered blocks
 * covering [mint, maxt] with the coarsest resolution not above `maxResolution`; where those leave
 * gaps (no block of that resolution), the next finer resolution fills them, recursively down to raw.
 * Block intervals are half-open [minTime, maxTime). Overlapping blocks of one resolution are all kept.
 */
export function blocksForResolution<T extends ResolutionBlock>(blocks: readonly T[], mint: number, maxt: number, maxResolution: number): T[] {
  const byRes = new Map<number, T[]>();
  for (const b of blocks) {
    let l = byRes.get(b.resolution);
    if (!l) byRes.set(b.resolution, (l = []));
    l.push(b);
  }
  const resolutions = [...byRes.keys()].sort((a, b) => b - a);
  const sets = resolutions.map((r) => byRes.get(r)!.sort((a, b) => a.meta.minTime - b.meta.minTime));
  const out: T[] = [];
  const getFor = (mint: number, maxt: number, maxRes: number): void => {
    if (mint > maxt) return;
    let i = 0;
    while (i < resolutions.length && resolutions[i]! > maxRes) i++;
    if (i >= resolutions.length) return;
    const finer = i + 1 < resolutions.length ? resolutions[i + 1]! : null;
    let start = mint;
    for (const b of sets[i]!) {
      if (b.meta.maxTime <= mint) continue;
      if (b.meta.minTime > maxt) break;
      if (finer !== null) getFor(start, b.meta.minTime - 1, finer);
      out.push(b);
      start = b.meta.maxTime;
    }
    if (finer !== null) getFor(start, maxt, finer);
  };
  getFor(mint, maxt, maxResolution);
  return out;
}

export class BucketStore implements Queryable {
  readonly cache: IndexCache;
  private readonly fetcher: MetaFetcher;
  private readonly blocks = new Map<string, StoreBlock>();
  private readonly minTime: TimeOrDuration;
  private readonly maxTime: TimeOrDuration;
  private readonly m: StoreMetrics | null;
  private synced = false;
  private syncing: Promise<SyncResult> | null = null;

  constructor(private readonly opts: BucketStoreOptions) {
    this.minTime = opts.minTime ?? TimeOrDuration.parse(DEFAULT_MIN_TIME);
    this.maxTime = opts.maxTime ?? TimeOrDuration.parse(DEFAULT_MAX_TIME);
    this.cache = new IndexCache({ maxSizeBytes: opts.indexCacheSize ?? DEFAULT_INDEX_CACHE_SIZE, registry: opts.registry });
    const filters: MetaFilter[] = [new TimePartitionFilter(this.minTime, this.maxTime)];
    if (opts.labelSelector && opts.labelSelector.length > 0) filters.push(new LabelSelectorFilter(opts.labelSelector));
    filters.push(new DeduplicateFilter());
    filters.push(new DeletionMarkFilter(opts.bucket, opts.ignoreDeletionMarksDelay ?? 0, opts.logger));
    this.fetcher = new MetaFetcher({
      bucket: opts.bucket,
      filters,
      cacheDir: opts.metaCacheDir,
      logger: opts.logger,
      registry: opts.registry,
    });
    const r = opts.registry;
    this.m = r
      ? {
          blocksLoaded: new Gauge({ name: 'thanos_bucket_store_blocks_loaded', help: 'Number of currently loaded blocks.', registers: [r] }),
          blockLoads: new Counter({ name: 'thanos_bucket_store_block_loads_total', help: 'Total number of remote block loading attempts.', registers: [r] }),
          blockLoadFailures: new Counter({ name: 'thanos_bucket_store_block_load_failures_total', help: 'Total number of failed remote block loading attempts.', registers: [r] }),
          blockDrops: new Counter({ name: 'thanos_bucket_store_block_drops_total', help: 'Total number of local blocks that were dropped.', registers: [r] }),
          dataFetched: new Summary({ name: 'thanos_bucket_store_series_data_fetched', help: 'Number of items of a data type retrieved from the bucket to fulfill a single Store API series request.', labelNames: ['data_type'], registers: [r] }),
          dataSizeFetched: new Summary({ name: 'thanos_bucket_store_series_data_size_fetched_bytes', help: 'Size of all items of a data type fetched from the bucket to fulfill a single Store API series request.', labelNames: ['data_type'], registers: [r] }),
          dataTouched: new Summary({ name: 'thanos_bucket_store_series_data_touched', help: 'Number of items of a data type touched (cached or fetched) to fulfill a single Store API series request.', labelNames: ['data_type'], registers: [r] }),
          blocksQueried: new Summary({ name: 'thanos_bucket_store_series_blocks_queried', help: 'Number of blocks in a bucket store that were touched to satisfy a query.', registers: [r] }),
          blocksQueriedByResolution: new Counter({ name: 'strata_bucket_store_series_blocks_queried_total', help: 'Blocks read by series requests, by block resolution (ms; 0 = raw).', labelNames: ['resolution'], registers: [r] }),
        }
      : null;
  }

  /** True once a sync has completed (the store is ready to serve). */
  get ready(): boolean {
    return this.synced;
  }

  /** Syncs block metas and loads/drops blocks. Concurrent calls share one run. */
  sync(): Promise<SyncResult> {
    if (!this.syncing) {
      this.syncing = this.syncInner().finally(() => {
        this.syncing = null;
      });
    }
    return this.syncing;
  }

  private async syncInner(): Promise<SyncResult> {
    const log = this.opts.logger;
    const res = await this.fetcher.fetch();
    const added: string[] = [];
    const failed = new Map<string, string>();
    const toLoad = [...res.metas.values()].filter((m) => !this.blocks.has(m.ulid));
    await forEachLimit(toLoad, this.opts.blockSyncConcurrency ?? 20, async (meta) => {
      this.m?.blockLoads.inc();
      try {
        const counters = new BlockReadCounters();
        const reader = await this.openBlock(meta, counters);
        this.blocks.set(meta.ulid, new StoreBlock(meta, reader, counters));
        added.push(meta.ulid);
      } catch (e) {
        this.m?.blockLoadFailures.inc();
        failed.set(meta.ulid, (e as Error).message);
        log?.warn({ block: meta.ulid, err: (e as Error).message }, 'loading block failed');
      }
    });
    const dropped: string[] = [];
    for (const [id, b] of this.blocks) {
      if (res.metas.has(id)) continue;
      this.blocks.delete(id);
      dropped.push(id);
      this.m?.blockDrops.inc();
      // Readers only issue ranged GETs; queries still holding this block finish normally.
      await b.reader.close().catch(() => undefined);
    }
    this.m?.blocksLoaded.set(this.blocks.size);
    if (added.length || dropped.length) log?.info({ added: added.length, dropped: dropped.length, loaded: this.blocks.size }, 'synced blocks');
    this.synced = true;
    return { ...res, added: added.sort(), dropped: dropped.sort(), failed };
  }

  private async openBlock(meta: BlockMeta, counters: BlockReadCounters): Promise<BlockReader> {
    const { bucket } = this.opts;
    const sizes = new Map<string, number>();
    for (const f of meta.thanos?.files ?? []) if (f.size_bytes !== undefined) sizes.set(f.rel_path, f.size_bytes);
    const index = new AccountingReadAt(await BucketReadAt.open(bucket, `${meta.ulid}/index`, sizes.get('index')));
    counters.index = index;
    return BlockReader.openWith({
      meta,
      index,
      chunk: async (seg) => {
        const rel = `chunks/${segmentFileName(seg)}`;
        const r = new AccountingReadAt(await BucketReadAt.open(bucket, `${meta.ulid}/${rel}`, sizes.get(rel)));
        counters.chunks.push(r);
        return r;
      },
    });
  }

  /** Metas of the loaded blocks, by minTime. */
  loadedBlocks(): BlockMeta[] {
    return [...this.blocks.values()].map((b) => b.meta).sort((a, b) => a.minTime - b.minTime || (a.ulid < b.ulid ? -1 : 1));
  }

  /** The distinct external label sets of the loaded blocks. */
  labelSets(): Labels[] {
    const seen = new Map<string, Labels>();
    for (const b of this.blocks.values()) seen.set(b.ext.key, b.ext);
    return [...seen.values()].sort(Labels.compare);
  }

  /** Time range served: the loaded blocks' span clamped to --min-time/--max-time (empty: +∞/−∞). */
  timeRange(): { minTime: number; maxTime: number } {
    let minTime = Infinity;
    let maxTime = -Infinity;
    for (const b of this.blocks.values()) {
      if (b.meta.minTime < minTime) minTime = b.meta.minTime;
      if (b.meta.maxTime > maxTime) maxTime = b.meta.maxTime;
    }
    const now = Date.now();
    return { minTime: Math.max(minTime, this.minTime.ms(now)), maxTime: Math.min(maxTime, this.maxTime.ms(now)) };
  }

  querier(mint: number, maxt: number): Querier {
    const now = Date.now();
    const lo = Math.max(mint, this.minTime.ms(now));
    const hi = Math.min(maxt, this.maxTime.ms(now));
    const blocks = [...this.blocks.values()]
      .filter((b) => b.overlaps(lo, hi))
      .sort((a, b) => a.meta.minTime - b.meta.minTime || (a.id < b.id ? -1 : 1));
    return new BucketQuerier(this, blocks, lo, hi);
  }

  /** @internal */
  observe(stats: QueryStats): void {
    const m = this.m;
    if (!m) return;
    m.blocksQueried.observe(stats.blocksQueried);
    for (const [res, n] of stats.blocksByResolution) m.blocksQueriedByResolution.inc({ resolution: String(res) }, n);
    m.dataFetched.observe({ data_type: 'postings' }, stats.postingsFetched);
    m.dataFetched.observe({ data_type: 'series' }, stats.seriesFetched);
    m.dataFetched.observe({ data_type: 'chunks' }, stats.chunksFetched);
    m.dataSizeFetched.observe({ data_type: 'postings' }, stats.postingsFetchedBytes);
    m.dataSizeFetched.observe({ data_type: 'series' }, stats.seriesFetchedBytes);
    m.dataSizeFetched.observe({ data_type: 'chunks' }, stats.chunksFetchedBytes);
    m.dataTouched.observe({ data_type: 'postings' }, stats.postingsTouched);
    m.dataTouched.observe({ data_type: 'series' }, stats.seriesTouched);
    m.dataTouched.observe({ data_type: 'chunks' }, stats.chunksFetched);
  }

  async close(): Promise<void> {
    for (const b of this.blocks.values()) await b.reader.close().catch(() => undefined);
    this.blocks.clear();
    this.m?.blocksLoaded.set(0);
  }

  // ----------------------------------------------------------------------------- index access

  /** Series ids of `block` matching all matchers (Prometheus PostingsForMatchers semantics), through the cache. */
  async expandedPostings(b: StoreBlock, matchers: readonly Matcher[], stats: QueryStats): Promise<Uint32Array> {
    const pos = matchers.filter((m) => !m.matchesEmpty());
    const neg = matchers.filter((m) => m.matchesEmpty());
    const [posLists, negLists] = await Promise.all([
      Promise.all(pos.map((m) => this.matcherPostings(b, m, false, stats))),
      Promise.all(neg.map((m) => this.matcherPostings(b, m, true, stats))),
    ]);
    let acc: Uint32Array | null = null;
    // Intersect the shortest lists first.
    for (const p of posLists.sort((x, y) => x.length - y.length)) {
      acc = acc === null ? p : intersect(acc, p);
      if (acc.length === 0) return EMPTY;
    }
    if (acc === null) acc = await this.listPostings(b, '', '', stats);
    for (const s of negLists) if (s.length > 0) acc = without(acc, s);
    return acc;
  }

  /** Postings of the values `m` selects (inverse: the values it rejects). */
  private async matcherPostings(b: StoreBlock, m: Matcher, inverse: boolean, stats: QueryStats): Promise<Uint32Array> {
    // Single values: one postings list, cached as such.
    if (!inverse && m.type === '=') return this.listPostings(b, m.name, m.value, stats);
    if (inverse && m.type === '!=') return this.listPostings(b, m.name, m.value, stats);
    const key = (inverse ? '!' : '') + m.toString();
    const hit = this.cache.getExpandedPostings(b.id, key);
    stats.postingsTouched++;
    if (hit) return hit;
    const before = indexBytes(b);
    const p = await b.reader.index.postingsForValues(m.name, inverse ? (v) => !m.matches(v) : (v) => m.matches(v));
    stats.postingsFetchedBytes += indexBytes(b) - before;
    stats.postingsFetched++;
    const owned = ownedCopy(p);
    this.cache.setExpandedPostings(b.id, key, owned);
    return owned;
  }

  private async listPostings(b: StoreBlock, name: string, value: string, stats: QueryStats): Promise<Uint32Array> {
    stats.postingsTouched++;
    const hit = this.cache.getPostings(b.id, name, value);
    if (hit) return hit;
    const before = indexBytes(b);
    const p = await b.reader.index.postings(name, value);
    stats.postingsFetchedBytes += indexBytes(b) - before;
    stats.postingsFetched++;
    const owned = ownedCopy(p);
    this.cache.setPostings(b.id, name, value, owned);
    return owned;
  }

  /** Series entries for ids (ascending), cached ones from the LRU, the rest with ranged reads. */
  async seriesEntries(b: StoreBlock, ids: Uint32Array, stats: QueryStats): Promise<SeriesEntry[]> {
    const out: SeriesEntry[] = new Array(ids.length);
    const missAt: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const e = this.cache.getSeries(b.id, ids[i]!);
      if (e) out[i] = e;
      else missAt.push(i);
    }
    stats.seriesTouched += ids.length;
    if (missAt.length > 0) {
      const missIds = Uint32Array.from(missAt, (i) => ids[i]!);
      const before = indexBytes(b);
      const got = await b.reader.index.series(missIds);
      stats.seriesFetchedBytes += indexBytes(b) - before;
      stats.seriesFetched += got.length;
      for (let k = 0; k < got.length; k++) {
        out[missAt[k]!] = got[k]!;
        this.cache.setSeries(b.id, got[k]!);
      }
    }
    return out;
  }
}

function indexBytes(b: StoreBlock): number {
  return b.counters.index?.bytes ?? 0;
}

function ownedCopy(p: Uint32Array): Uint32Array {
  return p.byteOffset === 0 && p.buffer.byteLength === p.byteLength ? p : p.slice();
}

function newStats(): QueryStats {
  return {
    postingsFetched: 0,
    postingsFetchedBytes: 0,
    postingsTouched: 0,
    seriesFetched: 0,
    seriesFetchedBytes: 0,
    seriesTouched: 0,
    chunksFetched: 0,
    chunksFetchedBytes: 0,
    blocksQueried: 0,
    blocksByResolution: new Map(),
  };
}

/** Adds the block's external labels (they take precedence over series labels, as in Thanos). */
function withExternal(l: Labels, ext: Labels): Labels {
  if (ext.length === 0) return l;
  const b = new LabelsBuilder(l);
  for (let i = 0; i < ext.length; i++) b.set(ext.name(i), ext.value(i));
  return b.labels();
}

/** Matchers left for the index after those on external labels are answered; null if the block is excluded. */
function splitExternal(b: StoreBlock, matchers: readonly Matcher[]): Matcher[] | null {
  const rest: Matcher[] = [];
  for (const m of matchers) {
    if (b.ext.has(m.name)) {
      if (!m.matches(b.ext.get(m.name))) return null;
    } else rest.push(m);
  }
  return rest;
}

class BucketQuerier implements Querier {
  constructor(
    private readonly store: BucketStore,
    private readonly blocks: readonly StoreBlock[],
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  select(hints: SelectHints, matchers: readonly Matcher[]): SeriesSet {
    const mint = Math.max(this.mint, hints.start ?? this.mint);
    const maxt = Math.min(this.maxt, hints.end ?? this.maxt);
    const skipChunks = hints.skipChunks === true || hints.func === 'series';
    const limit = hints.limit ?? 0;
    const stats = newStats();
    const store = this.store;
    const sets: SeriesSet[] = [];
    const chosen = this.blocksFor(mint, maxt, hints.maxResolution ?? 0);
    const batchBytes = Math.max(MIN_BLOCK_BATCH_BYTES, Math.floor(SELECT_CHUNK_BYTES / Math.max(1, chosen.length)));
    let downsampled = false;
    for (const b of chosen) {
      if (mint > maxt) continue;
      const rest = splitExternal(b, matchers);
      if (rest === null) continue;
      stats.blocksQueried++;
      stats.blocksByResolution.set(b.resolution, (stats.blocksByResolution.get(b.resolution) ?? 0) + 1);
      if (b.resolution > 0) downsampled = true;
      const block = b;
      sets.push(listSet(() => blockSeries(store, block, rest, mint, maxt, skipChunks, stats, batchBytes)));
    }
    const merged = sets.length === 0 ? listSet(async function* () {}) : mergeSeriesSets(sets);
    // Series with aggregate chunks read the aggregate the function needs, across all their chunks
    // (so counter resets carry over block and resolution boundaries).
    const sel = aggrForFunc(hints.func);
    const present = (s: Series): Series => {
      if (!downsampled || skipChunks) return s;
      const cs = s.chunks?.();
      return cs && hasAggrChunks(cs) ? new DownsampledSeries(s.labels, cs, sel, mint, maxt) : s;
    };
    return {
      warnings: () => merged.warnings(),
      async *[Symbol.asyncIterator]() {
        let n = 0;
        try {
          for await (const s of merged) {
            yield present(s);
            if (limit > 0 && ++n >= limit) return;
          }
        } finally {
          store.observe(stats);
        }
      },
    };
  }

  /** Blocks a select reads: per external label set, Thanos' choice of resolution (blocksForResolution). */
  private blocksFor(mint: number, maxt: number, maxResolution: number): StoreBlock[] {
    const groups = new Map<string, StoreBlock[]>();
    for (const b of this.blocks) {
      let g = groups.get(b.ext.key);
      if (!g) groups.set(b.ext.key, (g = []));
      g.push(b);
    }
    const out: StoreBlock[] = [];
    for (const g of groups.values()) out.push(...blocksForResolution(g, mint, maxt, maxResolution));
    return out.sort((a, b) => a.meta.minTime - b.meta.minTime || (a.id < b.id ? -1 : 1));
  }

  private labelQuerier(matchers: readonly Matcher[]): Querier {
    const qs = this.blocks
      .filter((b) => splitExternal(b, matchers) !== null)
      .map((b) => new ExternalLabelsQueryable(b.reader, b.ext).querier(this.mint, this.maxt));
    return new MergeQuerier(qs);
  }

  labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
    return this.labelQuerier(matchers).labelValues(name, matchers, hints);
  }

  labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
    return this.labelQuerier(matchers).labelNames(matchers, hints);
  }

  close(): void {
    /* nothing held */
  }
}

function listSet(gen: () => AsyncGenerator<Series>): SeriesSet {
  return {
    warnings: () => [],
    [Symbol.asyncIterator]: gen,
  };
}

interface Selected {
  labels: Labels;
  e: SeriesEntry;
  from: number;
  to: number;
}

/**
 * One block's series matching `matchers` in [mint, maxt], sorted by their labels with the block's
 * external labels, chunks fetched batch by batch as the consumer iterates.
 */
async function* blockSeries(
  store: BucketStore,
  b: StoreBlock,
  matchers: readonly Matcher[],
  mint: number,
  maxt: number,
  skipChunks: boolean,
  stats: QueryStats,
  batchBytes: number,
): AsyncGenerator<Series> {
  const ids = await store.expandedPostings(b, matchers, stats);
  const sel: Selected[] = [];
  for (let i = 0; i < ids.length; i += SERIES_BATCH) {
    const entries = await store.seriesEntries(b, ids.subarray(i, i + SERIES_BATCH), stats);
    for (const e of entries) {
      const cs = e.chunks;
      let from = 0;
      while (from < cs.length && cs[from]!.maxTime < mint) from++;
      let to = from;
      while (to < cs.length && cs[to]!.minTime <= maxt) to++;
      if (to === from) continue;
      sel.push({ labels: withExternal(e.labels, b.ext), e, from, to });
    }
  }
  // Index order is label order; adding external labels can change it (and, when a series carries an
  // external label name itself, make two series equal), so check and sort when needed.
  let sorted = true;
  for (let i = 1; i < sel.length && sorted; i++) if (Labels.compare(sel[i - 1]!.labels, sel[i]!.labels) >= 0) sorted = false;
  if (!sorted) sel.sort((x, y) => Labels.compare(x.labels, y.labels));

  let i = 0;
  while (i < sel.length) {
    // Take series until the batch holds CHUNK_BATCH chunks or about `batchBytes` of them (sizes
    // estimated from the distance to the next selected chunk reference, which over-estimates when
    // chunks in between are skipped), so memory per block stays bounded however large chunks are.
    let j = i;
    let nchunks = 0;
    let bytes = 0;
    while (j < sel.length && (j === i || (nchunks + (sel[j]!.to - sel[j]!.from) <= CHUNK_BATCH && bytes < batchBytes))) {
      nchunks += sel[j]!.to - sel[j]!.from;
      bytes += estimateChunkBytes(sel, j, batchBytes);
      j++;
    }
    // Never split a group of equal label sets over two batches.
    while (j < sel.length && Labels.compare(sel[j - 1]!.labels, sel[j]!.labels) === 0) {
      nchunks += sel[j]!.to - sel[j]!.from;
      j++;
    }
    let metas: ChunkMeta[][] = [];
    if (!skipChunks) {
      // (The previous batch's buffers are referenced only by series already handed out.)
      const refs: number[] = new Array(nchunks);
      let r = 0;
      for (let k = i; k < j; k++) {
        const s = sel[k]!;
        for (let c = s.from; c < s.to; c++) refs[r++] = s.e.chunks[c]!.ref;
      }
      const before = b.counters.chunkBytes();
      const raw = await b.reader.chunkReader.chunks(refs);
      stats.chunksFetchedBytes += b.counters.chunkBytes() - before;
      stats.chunksFetched += raw.length;
      r = 0;
      metas = new Array(j - i);
      for (let k = i; k < j; k++) {
        const s = sel[k]!;
        const ms: ChunkMeta[] = new Array(s.to - s.from);
        for (let c = s.from; c < s.to; c++) {
          const im = s.e.chunks[c]!;
          const rc = raw[r++]!;
          ms[c - s.from] = { minTime: im.minTime, maxTime: im.maxTime, encoding: rc.encoding, data: rc.data };
        }
        metas[k - i] = ms;
      }
    }
    for (let k = i; k < j; k++) {
      const s = sel[k]!;
      const ms = skipChunks ? [] : metas[k - i]!;
      // Series made equal by the external labels are chained.
      if (k + 1 < j && Labels.compare(s.labels, sel[k + 1]!.labels) === 0) {
        const group: Series[] = [new ChunksSeries(s.labels, ms, mint, maxt)];
        while (k + 1 < j && Labels.compare(s.labels, sel[k + 1]!.labels) === 0) {
          k++;
          group.push(new ChunksSeries(s.labels, skipChunks ? [] : metas[k - i]!, mint, maxt));
        }
        yield new ChainedSeries(group);
        continue;
      }
      yield new ChunksSeries(s.labels, ms, mint, maxt);
    }
    sel.fill(undefined as unknown as Selected, i, j); // let the batch's entries go
    i = j;
  }
}

/** Estimated bytes of the selected chunks of sel[j]: gaps between consecutive chunk references. */
function estimateChunkBytes(sel: readonly Selected[], j: number, cap: number): number {
  const s = sel[j]!;
  let n = 0;
  for (let c = s.from; c < s.to; c++) {
    const ref = s.e.chunks[c]!.ref;
    const next = c + 1 < s.to ? s.e.chunks[c + 1]!.ref : j + 1 < sel.length ? sel[j + 1]!.e.chunks[sel[j + 1]!.from]!.ref : -1;
    // Different segment (high 32 bits) or not ascending: unknown size.
    const gap = next > ref && Math.floor(next / 2 ** 32) === Math.floor(ref / 2 ** 32) ? next - ref : UNKNOWN_CHUNK_BYTES;
    n += Math.min(gap, cap);
  }
  return n;
}


export type { QueryStats };
