// Block meta synchronisation from the bucket (Thanos pkg/block/fetcher.go): list the top-level
// `<ULID>/` directories, read each block's meta.json (cached: metas are immutable), then run the
// filters. A directory without meta.json is a partial upload (or a block being deleted) and is skipped;
// an unreadable meta.json counts as corrupted. Filters drop blocks marked for deletion, outside the
// --min-time/--max-time window, not matching the external-label selector, or fully covered by a
// compacted block (deduplication). Every state is counted in thanos_blocks_meta_synced{state}.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { isValid as isValidULID } from 'ulid';
import type { Matcher } from '../labels/matcher.ts';
import type { Logger } from '../observability/logger.ts';
import { NotFoundError, isNotFound, type Bucket } from '../objstore/bucket.ts';
import { decodeMeta, type BlockMeta } from '../tsdb/block/meta.ts';
import type { TimeOrDuration } from './time.ts';

export const DELETION_MARK_FILENAME = 'deletion-mark.json';

/** Thanos' sync states (the `state` label of thanos_blocks_meta_synced). */
export const SyncState = {
  Loaded: 'loaded',
  Failed: 'failed',
  NoMeta: 'no-meta-json',
  CorruptedMeta: 'corrupted-meta-json',
  MarkedForDeletion: 'marked-for-deletion',
  TimeExcluded: 'time-excluded',
  LabelExcluded: 'label-excluded',
  Duplicate: 'duplicate',
} as const;
export type SyncState = (typeof SyncState)[keyof typeof SyncState];

export interface FetchResult {
  /** Blocks that passed every filter, by ULID. */
  metas: Map<string, BlockMeta>;
  /** Directories without a (readable) meta.json, with the reason. */
  partial: Map<string, string>;
  /** Count of blocks per sync state. */
  states: Record<SyncState, number>;
}

/** A filter removes blocks from `metas` and reports each removal with its state. */
export interface MetaFilter {
  filter(metas: Map<string, BlockMeta>, exclude: (id: string, state: SyncState) => void): Promise<void> | void;
}

/** Drops blocks whose `deletion-mark.json` is older than `delay` (Thanos IgnoreDeletionMarkFilter). */
export class DeletionMarkFilter implements MetaFilter {
  constructor(
    private readonly bucket: Bucket,
    private readonly delayMs = 0,
    private readonly logger?: Logger,
    private readonly concurrency = 32,
  ) {}

  async filter(metas: Map<string, BlockMeta>, exclude: (id: string, state: SyncState) => void): Promise<void> {
    const now = Date.now();
    await forEachLimit([...metas.keys()], this.concurrency, async (id) => {
      let text: string;
      try {
        text = new TextDecoder().decode(await this.bucket.get(`${id}/${DELETION_MARK_FILENAME}`));
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      let deletionTime: number;
      try {
        const o = JSON.parse(text) as { deletion_time?: unknown };
        if (typeof o.deletion_time !== 'number') throw new Error('no deletion_time');
        deletionTime = o.deletion_time * 1000;
      } catch (e) {
        // As Thanos: a half-written mark is reported and the block stays visible.
        this.logger?.warn({ block: id, err: (e as Error).message }, 'found partial deletion-mark.json; ignoring it');
        return;
      }
      if (now - deletionTime >= this.delayMs) exclude(id, SyncState.MarkedForDeletion);
    });
  }
}

/**
 * Keeps blocks overlapping [minTime, maxTime] (Thanos TimePartitionMetaFilter: kept when
 * meta.maxTime >= minTime && meta.minTime <= maxTime); durations are evaluated at each sync.
 */
export class TimePartitionFilter implements MetaFilter {
  constructor(
    private readonly minTime: TimeOrDuration,
    private readonly maxTime: TimeOrDuration,
  ) {}
  filter(metas: Map<string, BlockMeta>, exclude: (id: string, state: SyncState) => void): void {
    const now = Date.now();
    const lo = this.minTime.ms(now);
    const hi = this.maxTime.ms(now);
    for (const [id, m] of metas) if (!(m.maxTime >= lo && m.minTime <= hi)) exclude(id, SyncState.TimeExcluded);
  }
}

/** Keeps blocks whose external labels match every matcher (a selector form of Thanos' label sharding). */
export class LabelSelectorFilter implements MetaFilter {
  constructor(private readonly matchers: readonly Matcher[]) {}
  filter(metas: Map<string, BlockMeta>, exclude: (id: string, state: SyncState) => void): void {
    for (const [id, m] of metas) {
      const ls = m.thanos?.labels ?? {};
      if (!this.matchers.every((x) => x.matches(ls[x.name] ?? ''))) exclude(id, SyncState.LabelExcluded);
    }
  }
}

/**
 * Drops blocks whose compaction sources are all contained in another block of the same resolution
 * and external labels (Thanos DeduplicateFilter): after compaction, until its sources are deleted,
 * the compacted block alone serves their data. Between blocks with identical sources the one with
 * the higher compaction level, then the smaller ULID, is kept.
 */
export class DeduplicateFilter implements MetaFilter {
  filter(metas: Map<string, BlockMeta>, exclude: (id: string, state: SyncState) => void): void {
    const bySource = new Map<string, BlockMeta[]>();
    for (const m of metas.values()) for (const s of sourcesOf(m)) {
      let l = bySource.get(s);
      if (!l) bySource.set(s, (l = []));
      l.push(m);
    }
    const drop: string[] = [];
    for (const a of metas.values()) {
      const srcA = sourcesOf(a);
      const candidates = bySource.get(srcA[0]!) ?? [];
      for (const b of candidates) {
        if (b === a || groupKey(a) !== groupKey(b)) continue;
        const srcB = new Set(sourcesOf(b));
        if (!srcA.every((s) => srcB.has(s))) continue;
        const covers =
          srcB.size > srcA.length ||
          b.compaction.level > a.compaction.level ||
          (b.compaction.level === a.compaction.level && b.ulid < a.ulid);
        if (covers) {
          drop.push(a.ulid);
          break;
        }
      }
    }
    for (const id of drop) exclude(id, SyncState.Duplicate);
  }
}

function sourcesOf(m: BlockMeta): string[] {
  const s = m.compaction.sources;
  return s && s.length > 0 ? s : [m.ulid];
}

function groupKey(m: BlockMeta): string {
  const ls = m.thanos?.labels ?? {};
  const keys = Object.keys(ls).sort();
  return `${m.thanos?.downsample.resolution ?? 0}|${keys.map((k) => `${k}=${ls[k]}`).join(',')}`;
}

export interface MetaFetcherOptions {
  bucket: Bucket;
  filters?: MetaFilter[];
  /** Local directory where fetched meta.json files are cached across restarts (Thanos <data-dir>/meta-syncer). */
  cacheDir?: string;
  concurrency?: number;
  logger?: Logger;
  registry?: Registry;
}

interface FetcherMetrics {
  syncs: Counter;
  failures: Counter;
  duration: Histogram;
  synced: Gauge<'state'>;
}

/** Lists and filters block metas (Thanos BaseFetcher + MetaFetcher). */
export class MetaFetcher {
  /** meta.json is immutable: once read, a block's meta is kept (dropped when the block disappears). */
  private readonly cached = new Map<string, BlockMeta>();
  private readonly m: FetcherMetrics | null;

  constructor(private readonly opts: MetaFetcherOptions) {
    const r = opts.registry;
    this.m = r
      ? {
          syncs: new Counter({ name: 'thanos_blocks_meta_syncs_total', help: 'Total blocks metadata synchronization attempts', registers: [r] }),
          failures: new Counter({ name: 'thanos_blocks_meta_sync_failures_total', help: 'Total blocks metadata synchronization failures', registers: [r] }),
          duration: new Histogram({ name: 'thanos_blocks_meta_sync_duration_seconds', help: 'Duration of the blocks metadata synchronization in seconds', buckets: [0.01, 1, 10, 100, 300, 600, 1000], registers: [r] }),
          synced: new Gauge({ name: 'thanos_blocks_meta_synced', help: 'Number of block metadata synced', labelNames: ['state'], registers: [r] }),
        }
      : null;
  }

  /** One sync: list, read metas, filter. Throws when the bucket cannot be listed. */
  async fetch(): Promise<FetchResult> {
    const started = performance.now();
    this.m?.syncs.inc();
    try {
      const r = await this.fetchInner();
      this.m?.duration.observe((performance.now() - started) / 1000);
      if (this.m) for (const [k, v] of Object.entries(r.states)) this.m.synced.set({ state: k }, v);
      return r;
    } catch (e) {
      this.m?.failures.inc();
      throw e;
    }
  }

  private async fetchInner(): Promise<FetchResult> {
    const { bucket } = this.opts;
    const ids: string[] = [];
    await bucket.iter('', (key) => {
      if (!key.endsWith('/')) return;
      const id = key.slice(0, -1);
      if (isValidULID(id) && id.length === 26) ids.push(id);
    });
    const states = Object.fromEntries(Object.values(SyncState).map((s) => [s, 0])) as Record<SyncState, number>;
    const metas = new Map<string, BlockMeta>();
    const partial = new Map<string, string>();
    let fatal: unknown = null;
    await forEachLimit(ids, this.opts.concurrency ?? 32, async (id) => {
      try {
        const m = await this.loadMeta(id);
        metas.set(id, m);
      } catch (e) {
        if (isNotFound(e)) {
          partial.set(id, 'no meta.json');
          states[SyncState.NoMeta]++;
        } else if (e instanceof CorruptedMetaError) {
          partial.set(id, e.message);
          states[SyncState.CorruptedMeta]++;
        } else {
          fatal ??= e;
          states[SyncState.Failed]++;
        }
      }
    });
    // Forget metas of blocks that are gone.
    const present = new Set(ids);
    for (const id of this.cached.keys()) if (!present.has(id)) this.cached.delete(id);
    if (fatal) throw fatal;

    const exclude = (id: string, state: SyncState): void => {
      if (metas.delete(id)) states[state]++;
    };
    for (const f of this.opts.filters ?? []) await f.filter(metas, exclude);
    states[SyncState.Loaded] = metas.size;
    return { metas, partial, states };
  }

  private async loadMeta(id: string): Promise<BlockMeta> {
    // As Thanos: meta.json must still exist (deletion removes it first, leaving a partial block),
    // then the in-memory copy, then the local disk copy, then the bucket.
    if (!(await this.opts.bucket.exists(`${id}/meta.json`))) throw new NotFoundError(`${id}/meta.json`);
    const hit = this.cached.get(id);
    if (hit) return hit;
    const dir = this.opts.cacheDir;
    if (dir) {
      try {
        const m = decodeMeta(await readFile(join(dir, id, 'meta.json'), 'utf8'));
        if (m.ulid === id) {
          this.cached.set(id, m);
          return m;
        }
      } catch {
        /* no usable local copy */
      }
    }
    const raw = await this.opts.bucket.get(`${id}/meta.json`);
    const text = new TextDecoder().decode(raw);
    let m: BlockMeta;
    try {
      m = decodeMeta(text);
    } catch (e) {
      throw new CorruptedMetaError(`${id}/meta.json: ${(e as Error).message}`);
    }
    if (m.ulid !== id) throw new CorruptedMetaError(`${id}/meta.json: ulid ${m.ulid} does not match its directory`);
    this.cached.set(id, m);
    if (dir) {
      try {
        await mkdir(join(dir, id), { recursive: true });
        const tmp = join(dir, id, 'meta.json.tmp');
        await writeFile(tmp, raw);
        await rename(tmp, join(dir, id, 'meta.json'));
      } catch (e) {
        this.opts.logger?.warn({ block: id, err: (e as Error).message }, 'cannot cache meta.json locally');
      }
    }
    return m;
  }
}

export class CorruptedMetaError extends Error {
  override name = 'CorruptedMetaError';
}

/** Runs fn over items with at most `limit` in flight. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
