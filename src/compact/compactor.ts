// The compactor (Thanos pkg/compact/compact.go BucketCompactor + Group, cmd/thanos/compact.go):
// one pass = garbage-collect redundant blocks, compact every group until no plan is left, downsample
// (raw → 5m → 1h), apply retention, clean aborted partial uploads, delete blocks marked for
// deletion longer than --delete-delay ago. `--wait` repeats passes every --wait-interval.
//
// Safety (what a crash at any point leaves behind):
//   - a compacted/downsampled block is uploaded (meta.json last) before its sources are marked;
//     a crash before meta.json leaves a partial block every reader ignores; a crash after upload
//     but before marking leaves sources that the new block covers: readers and the next pass
//     filter them as duplicates (sources ⊂ new block's sources) and the next pass marks them;
//   - deletion deletes meta.json first, the deletion mark last, so a crash mid-delete leaves a
//     partial block still marked, which the next pass deletes.
//   - a source block that cannot be read is marked no-compact-mark.json and left alone; only
//     overlaps without vertical compaction and invalid output halt (thanos_compact_halted = 1).
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { compareStrings } from '../labels/labels.ts';
import type { Bucket } from '../objstore/bucket.ts';
import type { Logger } from '../observability/logger.ts';
import { nopLogger } from '../observability/logger.ts';
import { BlockReader } from '../tsdb/block/reader.ts';
import type { BlockMeta } from '../tsdb/block/meta.ts';
import { writeBlock, type BlockSeries } from '../tsdb/block/writer.ts';
import { downloadBlock, uploadBlock } from './blockio.ts';
import { RES_LEVEL1, RES_LEVEL1_DOWNSAMPLE_RANGE, RES_LEVEL2, RES_LEVEL2_DOWNSAMPLE_RANGE } from './downsample/aggr.ts';
import { downsampleSeries, UnsupportedChunkError } from './downsample/downsample.ts';
import { deleteBlock, DELETION_MARK_FILENAME, markForDeletion, markNoCompact, markNoDownsample, NO_COMPACT_MARK_FILENAME, NO_DOWNSAMPLE_MARK_FILENAME } from './markers.ts';
import { blockSeries, CorruptBlockError, mergeBlockSeries, type MergeFunc } from './merge.ts';
import { DEFAULT_COMPACTION_RANGES, plan, selectOverlappingMetas } from './planner.ts';
import {
  consistencyDelayFilter,
  deduplicateFilter,
  fetchBucketState,
  groupKey,
  removeReplicaLabels,
  resolutionOf,
  ulidTime,
  type BucketState,
} from './syncer.ts';

/** Thanos PartialUploadThresholdAge: partial blocks older than this are aborted uploads. */
export const PARTIAL_UPLOAD_THRESHOLD_AGE = 2 * 24 * 60 * 60 * 1000;

/** Stages where STRATA_COMPACT_CRASH_AT can kill the process (fault injection for tests). */
export const CRASH_STAGES = [
  'mid-upload', // compacted block: chunks+index uploaded, meta.json not
  'after-upload', // compacted block uploaded, sources not marked
  'mid-mark', // first source marked, others not
  'after-mark', // sources marked, not deleted
  'mid-delete', // a marked block's meta.json deleted, rest not
  'after-downsample-upload', // downsampled block uploaded
] as const;
export type CrashStage = (typeof CRASH_STAGES)[number];

export interface RetentionByResolution {
  /** ms; 0 = keep forever. */
  raw: number;
  res5m: number;
  res1h: number;
}

export interface CompactorOptions {
  bucket: Bucket;
  /** Scratch directory; wiped at start of each pass (Thanos <data-dir>/compact, /downsample). */
  dataDir: string;
  logger?: Logger;
  registry?: Registry;
  consistencyDelay?: number;
  deleteDelay?: number;
  waitInterval?: number;
  retention?: Partial<RetentionByResolution>;
  replicaLabels?: string[];
  dedupFunc?: MergeFunc;
  /** Vertical compaction of overlapping blocks; implied by replicaLabels (Thanos). */
  enableVerticalCompaction?: boolean;
  downsamplingDisabled?: boolean;
  ranges?: readonly number[];
  /** Groups compacted at once (--compact.concurrency). */
  concurrency?: number;
  /** Files up/downloaded at once per block (--block-files-concurrency). */
  blockFilesConcurrency?: number;
  /** Clock (ms). */
  now?: () => number;
  /** Fault injection: kill the process (SIGKILL) when this stage is reached. */
  crashAt?: string;
  /** Called instead of SIGKILL at the crash stage (tests in-process). */
  onCrash?: (stage: string) => never;
}

/** An error that would corrupt data if the compactor went on (Thanos HaltError). */
export class HaltError extends Error {
  override name = 'HaltError';
}

interface Metrics {
  halted: Gauge;
  iterations: Counter;
  runsStarted: Counter;
  runsCompleted: Counter;
  compactions: Counter;
  compactionFailures: Counter;
  verticalCompactions: Counter;
  downsamples: Counter;
  downsampleFailures: Counter;
  blocksMarked: Counter;
  garbageCollected: Counter;
  blocksCleaned: Counter;
  cleanupFailures: Counter;
  partialDeletions: Counter;
  duration: Histogram;
  lastSuccess: Gauge;
  todoCompactions: Gauge;
  todoCompactionBlocks: Gauge;
  todoDownsampleBlocks: Gauge;
  todoDeletionBlocks: Gauge;
}

function metricsFor(reg: Registry): Metrics {
  const r = [reg];
  return {
    halted: new Gauge({ name: 'thanos_compact_halted', help: 'Set to 1 if the compactor halted due to an unexpected error.', registers: r }),
    iterations: new Counter({ name: 'thanos_compact_iterations_total', help: 'Total number of iterations that were executed successfully.', registers: r }),
    runsStarted: new Counter({ name: 'thanos_compact_group_compaction_runs_started_total', help: 'Total number of group compaction attempts.', labelNames: ['group'], registers: r }),
    runsCompleted: new Counter({ name: 'thanos_compact_group_compaction_runs_completed_total', help: 'Total number of group completed compaction runs. This also includes compactor group runs that resulted with no compaction.', labelNames: ['group'], registers: r }),
    compactions: new Counter({ name: 'thanos_compact_group_compactions_total', help: 'Total number of group compaction attempts that resulted in a new block.', labelNames: ['group'], registers: r }),
    compactionFailures: new Counter({ name: 'thanos_compact_group_compactions_failures_total', help: 'Total number of failed group compactions.', labelNames: ['group'], registers: r }),
    verticalCompactions: new Counter({ name: 'thanos_compact_group_vertical_compactions_total', help: 'Total number of group compaction attempts that resulted in a new block based on overlapping blocks.', labelNames: ['group'], registers: r }),
    downsamples: new Counter({ name: 'thanos_compact_downsample_total', help: 'Total number of downsampling attempts.', labelNames: ['group'], registers: r }),
    downsampleFailures: new Counter({ name: 'thanos_compact_downsample_failures_total', help: 'Total number of failed downsampling attempts.', labelNames: ['group'], registers: r }),
    blocksMarked: new Counter({ name: 'thanos_compact_blocks_marked_total', help: 'Total number of blocks marked in compactor.', labelNames: ['marker', 'reason'], registers: r }),
    garbageCollected: new Counter({ name: 'thanos_compact_garbage_collected_blocks_total', help: 'Total number of blocks marked for deletion by compactor.', registers: r }),
    blocksCleaned: new Counter({ name: 'thanos_compact_blocks_cleaned_total', help: 'Total number of blocks deleted in compactor.', registers: r }),
    cleanupFailures: new Counter({ name: 'thanos_compact_block_cleanup_failures_total', help: 'Failures encountered while deleting blocks in compactor.', registers: r }),
    partialDeletions: new Counter({ name: 'thanos_compact_aborted_partial_uploads_deletion_attempts_total', help: 'Total number of started deletions of blocks that are assumed aborted and only partially uploaded.', registers: r }),
    duration: new Histogram({ name: 'thanos_compact_group_compaction_duration_seconds', help: 'Time it took to compact a group of blocks.', buckets: [1, 5, 15, 60, 300, 900, 3600], registers: r }),
    lastSuccess: new Gauge({ name: 'thanos_compact_last_successful_run_timestamp_seconds', help: 'Unix timestamp of the last successful compactor pass.', registers: r }),
    todoCompactions: new Gauge({ name: 'thanos_compact_todo_compactions', help: 'number of compactions to be done', registers: r }),
    todoCompactionBlocks: new Gauge({ name: 'thanos_compact_todo_compaction_blocks', help: 'number of blocks planned to be compacted', registers: r }),
    todoDownsampleBlocks: new Gauge({ name: 'thanos_compact_todo_downsample_blocks', help: 'number of blocks to be downsampled', registers: r }),
    todoDeletionBlocks: new Gauge({ name: 'thanos_compact_todo_deletion_blocks', help: 'number of blocks that have crossed their deletion delay', registers: r }),
  };
}

function fmtRange(m: BlockMeta): string {
  return `[${new Date(m.minTime).toISOString()}, ${new Date(m.maxTime).toISOString()})`;
}

interface Group {
  key: string;
  resolution: number;
  labels: Record<string, string>;
  metas: BlockMeta[];
}

export class Compactor {
  private readonly bkt: Bucket;
  private readonly log: Logger;
  readonly registry: Registry;
  private readonly m: Metrics;
  private readonly consistencyDelay: number;
  private readonly deleteDelay: number;
  private readonly waitInterval: number;
  private readonly retention: RetentionByResolution;
  private readonly replicaLabels: string[];
  private readonly dedupFunc: MergeFunc;
  private readonly vertical: boolean;
  private readonly ranges: readonly number[];
  private readonly now: () => number;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private isHalted = false;
  private crashCount = 0;
  private readonly metaCache = new Map<string, BlockMeta>();

  constructor(private readonly opts: CompactorOptions) {
    this.bkt = opts.bucket;
    this.log = opts.logger ?? nopLogger;
    this.registry = opts.registry ?? new Registry();
    this.m = metricsFor(this.registry);
    this.consistencyDelay = opts.consistencyDelay ?? 30 * 60 * 1000;
    this.deleteDelay = opts.deleteDelay ?? 48 * 60 * 60 * 1000;
    this.waitInterval = opts.waitInterval ?? 5 * 60 * 1000;
    this.retention = { raw: 0, res5m: 0, res1h: 0, ...opts.retention };
    this.replicaLabels = opts.replicaLabels ?? [];
    this.dedupFunc = opts.dedupFunc ?? 'chain';
    this.vertical = opts.enableVerticalCompaction === true || this.replicaLabels.length > 0;
    this.ranges = opts.ranges ?? DEFAULT_COMPACTION_RANGES;
    this.now = opts.now ?? Date.now;
    this.m.halted.set(0);
  }

  /** True once an error that would corrupt data stopped compaction (thanos_compact_halted = 1). */
  get halted(): boolean {
    return this.isHalted;
  }

  private crashPoint(stage: CrashStage): void {
    if (this.opts.crashAt !== stage) return;
    if (this.crashCount++ > 0) return;
    this.log.warn({ stage }, 'fault injection: crashing');
    if (this.opts.onCrash) this.opts.onCrash(stage);
    process.kill(process.pid, 'SIGKILL');
  }

  /** One complete pass. Throws HaltError (and sets thanos_compact_halted) on data-corrupting errors. */
  async runOnce(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** --wait mode: a pass now, then every waitInterval; a halt stops passes but keeps the process up. */
  start(): void {
    this.stopped = false;
    const loop = async (): Promise<void> => {
      if (this.stopped || this.isHalted) return;
      try {
        await this.runOnce();
      } catch (e) {
        if (e instanceof HaltError) {
          this.log.error({ err: e.message }, 'critical error detected; halting');
        } else {
          this.log.error({ err: (e as Error).message }, 'compaction pass failed; retrying at the next interval');
        }
      }
      if (!this.stopped && !this.isHalted) this.timer = setTimeout(() => void loop(), this.waitInterval);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<void> {
    if (this.isHalted) throw new HaltError('compactor is halted');
    const scratch = join(this.opts.dataDir, 'compact');
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true });
    try {
      await this.compactAll(scratch);
      if (!this.opts.downsamplingDisabled) {
        await this.downsampleAll(scratch, 0, RES_LEVEL1, RES_LEVEL1_DOWNSAMPLE_RANGE);
        await this.downsampleAll(scratch, RES_LEVEL1, RES_LEVEL2, RES_LEVEL2_DOWNSAMPLE_RANGE);
      } else {
        this.log.info({}, 'downsampling was explicitly disabled');
      }
      const st = await fetchBucketState(this.bkt, 32, this.metaCache);
      await this.applyRetention(st);
      await this.cleanPartialUploads(st);
      await this.deleteMarkedBlocks();
      this.m.iterations.inc();
      this.m.lastSuccess.set(this.now() / 1000);
      const left = await fetchBucketState(this.bkt, 32, this.metaCache);
      this.log.info({ blocks: left.metas.size, marked: left.deletionMarks.size, partial: left.partial.size }, 'compaction pass done');
    } catch (e) {
      if (e instanceof HaltError) {
        this.isHalted = true;
        this.m.halted.set(1);
      }
      throw e;
    } finally {
      await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Metas a pass may work on: complete, unmarked, past the consistency delay, replica labels removed, deduplicated. */
  private async sync(): Promise<{ st: BucketState; metas: BlockMeta[]; duplicates: BlockMeta[] }> {
    const st = await fetchBucketState(this.bkt, 32, this.metaCache);
    for (const [id, why] of st.corruptedMeta) this.log.warn({ block: id, err: why }, 'corrupted meta.json; block ignored');
    const live = [...st.metas.values()].filter((m) => !st.deletionMarks.has(m.ulid));
    const { kept: ready } = consistencyDelayFilter(live, this.consistencyDelay, this.now());
    const { kept, duplicates } = deduplicateFilter(removeReplicaLabels(ready, this.replicaLabels));
    return { st, metas: kept, duplicates };
  }

  private async garbageCollect(duplicates: readonly BlockMeta[]): Promise<void> {
    for (const d of duplicates) {
      if (await markForDeletion(this.bkt, d.ulid, 'outdated block')) {
        this.log.info({ block: d.ulid }, 'marked outdated block (its sources are covered by another block) for deletion');
        this.m.garbageCollected.inc();
        this.m.blocksMarked.inc({ marker: DELETION_MARK_FILENAME, reason: '' });
      }
    }
  }

  private groups(metas: readonly BlockMeta[]): Group[] {
    const by = new Map<string, Group>();
    for (const m of metas) {
      const key = groupKey(m);
      let g = by.get(key);
      if (!g) by.set(key, (g = { key, resolution: resolutionOf(m), labels: { ...(m.thanos?.labels ?? {}) }, metas: [] }));
      g.metas.push(m);
    }
    return [...by.values()].sort((a, b) => compareStrings(a.key, b.key));
  }

  private async compactAll(scratch: string): Promise<void> {
    for (let iteration = 0; ; iteration++) {
      const { st, metas, duplicates } = await this.sync();
      await this.garbageCollect(duplicates);
      const noCompact = new Set(st.noCompactMarks.keys());
      const groups = this.groups(metas);
      const work: Group[] = [];
      const planned = new Map<string, BlockMeta[]>();
      for (const g of groups) {
        const p = plan(g.metas, noCompact, this.ranges);
        if (p.length > 0) {
          work.push(g);
          planned.set(g.key, p);
        }
      }
      const todo = this.simulatePlans(groups, noCompact);
      this.m.todoCompactions.set(todo.compactions);
      this.m.todoCompactionBlocks.set(todo.blocks);
      if (iteration === 0) this.log.info({ groups: groups.length, blocks: metas.length, todo_compactions: todo.compactions }, 'start of compactions');
      if (work.length === 0) {
        this.m.todoCompactions.set(0);
        this.m.todoCompactionBlocks.set(0);
        this.log.info({}, 'compaction iterations done');
        return;
      }
      let next = 0;
      let progress = false;
      // Each group is planned again in memory after every compaction (the bucket only changes
      // through us for these blocks); the bucket is re-synced once all groups are done.
      const worker = async (): Promise<void> => {
        while (next < work.length) {
          const g = work[next++]!;
          let toCompact = planned.get(g.key)!;
          while (toCompact.length > 0) {
            const r = await this.compactGroup(g, toCompact, join(scratch, g.key));
            if (!r.changed) break;
            progress = true;
            const gone = new Set(toCompact.map((m) => m.ulid));
            if (r.noCompact) noCompact.add(r.noCompact);
            else g.metas = g.metas.filter((m) => !gone.has(m.ulid));
            if (r.meta) g.metas.push(r.meta);
            // The simulation is the planner itself, so each compaction done is one less to do.
            this.m.todoCompactions.dec();
            this.m.todoCompactionBlocks.dec(toCompact.length);
            toCompact = plan(g.metas, noCompact, this.ranges);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, Math.min(this.opts.concurrency ?? 1, work.length)) }, worker));
      if (!progress) return;
    }
  }

  /** Thanos' progress estimate: plans every group to the end, replacing each plan with its would-be result. */
  private simulatePlans(groups: readonly Group[], noCompact: ReadonlySet<string>): { compactions: number; blocks: number } {
    let compactions = 0;
    let blocks = 0;
    for (const g of groups) {
      let metas = g.metas.slice();
      for (let guard = 0; guard < 10_000; guard++) {
        const p = plan(metas, noCompact, this.ranges);
        if (p.length === 0) break;
        compactions++;
        blocks += p.length;
        const gone = new Set(p.map((m) => m.ulid));
        const merged: BlockMeta = {
          ulid: `sim-${guard}`,
          minTime: Math.min(...p.map((m) => m.minTime)),
          maxTime: Math.max(...p.map((m) => m.maxTime)),
          stats: {},
          compaction: { level: Math.max(...p.map((m) => m.compaction.level)) + 1 },
          version: 1,
        };
        metas = [...metas.filter((m) => !gone.has(m.ulid)), merged];
      }
    }
    return { compactions, blocks };
  }

  /**
   * Compacts one planned set of a group. `changed` when the bucket changed; `meta` is the new block
   * (none when the result was empty); `noCompact` the block marked no-compact instead.
   */
  private async compactGroup(g: Group, toCompact: BlockMeta[], dir: string): Promise<{ changed: boolean; meta?: BlockMeta; noCompact?: string }> {
    const grp = { group: g.key };
    this.m.runsStarted.inc(grp);
    const overlapping = selectOverlappingMetas(toCompact).length > 0;
    if (overlapping && !this.vertical) {
      this.m.compactionFailures.inc(grp);
      const desc = toCompact.map((m) => `<ulid: ${m.ulid}, mint: ${m.minTime}, maxt: ${m.maxTime}, range: ${(m.maxTime - m.minTime) / 3600000}h>`).join(', ');
      throw new HaltError(
        `pre compaction overlap check: overlaps found while gathering blocks in group ${g.key} ${JSON.stringify(g.labels)}: ${desc}; ` +
          'set --deduplication.replica-label (replicas of one source) or --compact.enable-vertical-compaction to merge overlapping blocks',
      );
    }
    const started = process.hrtime.bigint();
    this.log.info({ group: g.key, labels: JSON.stringify(g.labels), blocks: toCompact.map((m) => m.ulid).join(','), vertical: overlapping }, 'compaction available and planned; downloading blocks');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const readers: BlockReader[] = [];
    try {
      for (const m of toCompact) {
        const local = await downloadBlock(this.bkt, m.ulid, dir, this.opts.blockFilesConcurrency ?? 1);
        try {
          readers.push(await BlockReader.open(local));
        } catch (e) {
          throw new CorruptBlockError(m.ulid, 'corrupted-block', `open: ${(e as Error).message}`);
        }
      }
      const sources = new Set<string>();
      for (const m of toCompact) for (const s of m.compaction.sources?.length ? m.compaction.sources : [m.ulid]) sources.add(s);
      const mint = Math.min(...toCompact.map((m) => m.minTime));
      const maxt = Math.max(...toCompact.map((m) => m.maxTime));
      const level = Math.max(...toCompact.map((m) => m.compaction.level)) + 1;
      const merged: AsyncIterable<BlockSeries> = mergeBlockSeries(readers.map((r) => blockSeries(r)), this.dedupFunc);
      const outDir = join(dir, 'out');
      await mkdir(outDir, { recursive: true });
      const meta = await writeBlock(merged, {
        dir: outDir,
        mint,
        maxt,
        level,
        sources: [...sources].sort(compareStrings),
        parents: toCompact.map((m) => ({ ulid: m.ulid, minTime: m.minTime, maxTime: m.maxTime })),
        thanos: { labels: g.labels, source: 'compactor', resolution: g.resolution },
      });
      for (const r of readers) await r.close();
      readers.length = 0;
      await this.verifyOutput(join(outDir, meta.ulid), meta);
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      if (!meta.stats.numSamples) {
        this.log.info({ group: g.key }, 'compacted block would have no samples; marking source blocks for deletion');
        await this.markSources(toCompact, 'source of compacted block');
      } else {
        this.log.info(
          { group: g.key, block: meta.ulid, level, range: fmtRange(meta), series: meta.stats.numSeries ?? 0, samples: meta.stats.numSamples ?? 0, duration_s: secs.toFixed(2) },
          'compacted blocks; uploading',
        );
        await uploadBlock(this.bkt, join(outDir, meta.ulid), meta.ulid, this.opts.blockFilesConcurrency ?? 1, () => this.crashPoint('mid-upload'));
        this.crashPoint('after-upload');
        await this.markSources(toCompact, 'source of compacted block');
        this.crashPoint('after-mark');
        this.m.compactions.inc(grp);
        if (overlapping) this.m.verticalCompactions.inc(grp);
      }
      this.m.duration.observe(secs);
      this.m.runsCompleted.inc(grp);
      return meta.stats.numSamples ? { changed: true, meta } : { changed: true };
    } catch (e) {
      if (e instanceof CorruptBlockError) {
        this.m.compactionFailures.inc(grp);
        this.log.warn({ block: e.ulid, reason: e.reason, err: e.message }, 'source block is corrupted; marking it no-compact and skipping it');
        if (await markNoCompact(this.bkt, e.ulid, e.reason, e.message, this.now())) this.m.blocksMarked.inc({ marker: NO_COMPACT_MARK_FILENAME, reason: e.reason });
        return { changed: true, noCompact: e.ulid };
      }
      if (!(e instanceof HaltError)) this.m.compactionFailures.inc(grp);
      throw e;
    } finally {
      for (const r of readers) await r.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /**
   * Thanos verifies a compacted block's index before uploading it; a block we cannot read back
   * (unordered series, chunks outside its range or overlapping, bad CRC, wrong stats) would corrupt
   * the bucket, so it halts instead.
   */
  private async verifyOutput(dir: string, meta: BlockMeta): Promise<void> {
    let r: BlockReader | null = null;
    try {
      r = await BlockReader.open(dir);
      let series = 0;
      let chunks = 0;
      for await (const s of blockSeries(r)) {
        series++;
        chunks += s.chunks.length;
      }
      if (series !== (meta.stats.numSeries ?? 0) || chunks !== (meta.stats.numChunks ?? 0)) {
        throw new Error(`stats say ${meta.stats.numSeries} series/${meta.stats.numChunks} chunks, index has ${series}/${chunks}`);
      }
    } catch (e) {
      throw new HaltError(`compacted block ${meta.ulid} failed verification: ${(e as Error).message}`);
    } finally {
      await r?.close();
    }
  }

  private async markSources(metas: readonly BlockMeta[], details: string): Promise<void> {
    let first = true;
    for (const m of metas) {
      if (await markForDeletion(this.bkt, m.ulid, details, this.now())) this.m.blocksMarked.inc({ marker: DELETION_MARK_FILENAME, reason: '' });
      if (first) this.crashPoint('mid-mark');
      first = false;
    }
  }

  /** Thanos downsampleBucket for one step (raw → 5m or 5m → 1h). */
  private async downsampleAll(scratch: string, fromRes: number, toRes: number, minRange: number): Promise<void> {
    const { st, metas } = await this.sync();
    // Coverage counts every live block, also those still inside the consistency delay.
    const covered = new Set<string>();
    for (const m of st.metas.values()) if (!st.deletionMarks.has(m.ulid) && resolutionOf(m) === toRes) for (const s of m.compaction.sources ?? [m.ulid]) covered.add(s);
    const todo = metas
      .filter((m) => resolutionOf(m) === fromRes)
      .filter((m) => !st.noDownsampleMarks.has(m.ulid))
      .filter((m) => m.maxTime - m.minTime >= minRange)
      .filter((m) => (m.compaction.sources ?? [m.ulid]).some((s) => !covered.has(s)))
      .sort((a, b) => a.minTime - b.minTime || compareStrings(a.ulid, b.ulid));
    this.m.todoDownsampleBlocks.set(todo.length);
    for (const m of todo) {
      await this.downsampleBlock(m, toRes, join(scratch, 'downsample'));
      this.m.todoDownsampleBlocks.dec();
    }
  }

  private async downsampleBlock(m: BlockMeta, toRes: number, dir: string): Promise<void> {
    // Thanos labels these by the group (external labels + source resolution) being downsampled.
    const grp = { group: groupKey(m) };
    const fromRes = resolutionOf(m);
    this.m.downsamples.inc(grp);
    const started = process.hrtime.bigint();
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    let reader: BlockReader | null = null;
    try {
      const local = await downloadBlock(this.bkt, m.ulid, dir, this.opts.blockFilesConcurrency ?? 1);
      reader = await BlockReader.open(local);
      const r = reader;
      const scratchArrays = { ts: [] as number[], vs: [] as number[] };
      const series = (async function* (): AsyncGenerator<BlockSeries> {
        for await (const s of blockSeries(r)) {
          const chunks = downsampleSeries(s.chunks, fromRes, toRes, scratchArrays);
          if (chunks.length > 0) yield { labels: s.labels, chunks };
        }
      })();
      const outDir = join(dir, 'out');
      await mkdir(outDir, { recursive: true });
      const out = await writeBlock(series, {
        dir: outDir,
        mint: m.minTime,
        maxt: m.maxTime,
        level: m.compaction.level,
        sources: m.compaction.sources ?? [m.ulid],
        ...(m.compaction.parents ? { parents: m.compaction.parents } : {}),
        thanos: { labels: m.thanos?.labels ?? {}, source: 'compactor', resolution: toRes },
      });
      await reader.close();
      reader = null;
      await uploadBlock(this.bkt, join(outDir, out.ulid), out.ulid, this.opts.blockFilesConcurrency ?? 1);
      this.crashPoint('after-downsample-upload');
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      this.log.info(
        { from: m.ulid, block: out.ulid, resolution: toRes, range: fmtRange(out), series: out.stats.numSeries ?? 0, windows: out.stats.numSamples ?? 0, duration_s: secs.toFixed(2) },
        'downsampled and uploaded block',
      );
    } catch (e) {
      this.m.downsampleFailures.inc(grp);
      if (e instanceof CorruptBlockError || e instanceof UnsupportedChunkError) {
        // Marked so later passes do not retry (and fail) forever; the raw block stays queryable.
        const reason = e instanceof CorruptBlockError ? e.reason : 'unsupported-chunk-encoding';
        this.log.warn({ block: m.ulid, reason, err: e.message }, 'cannot downsample block; marking it no-downsample');
        if (await markNoDownsample(this.bkt, m.ulid, reason, e.message, this.now())) this.m.blocksMarked.inc({ marker: NO_DOWNSAMPLE_MARK_FILENAME, reason });
        return;
      }
      throw e;
    } finally {
      await reader?.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Thanos ApplyRetentionPolicyByResolution. */
  private async applyRetention(st: BucketState): Promise<void> {
    const now = this.now();
    for (const m of st.metas.values()) {
      if (st.deletionMarks.has(m.ulid)) continue;
      const r = resolutionOf(m);
      const keep = r === 0 ? this.retention.raw : r === RES_LEVEL1 ? this.retention.res5m : r === RES_LEVEL2 ? this.retention.res1h : 0;
      if (!keep) continue;
      // Thanos compares against maxTime truncated to seconds.
      if (now > Math.floor(m.maxTime / 1000) * 1000 + keep) {
        this.log.info({ block: m.ulid, resolution: r, maxTime: new Date(m.maxTime).toISOString() }, 'applying retention: marking block for deletion');
        if (await markForDeletion(this.bkt, m.ulid, `block exceeding retention of ${keep}ms`, now)) {
          this.m.blocksMarked.inc({ marker: DELETION_MARK_FILENAME, reason: '' });
          st.deletionMarks.set(m.ulid, { id: m.ulid, version: 1, deletion_time: Math.floor(now / 1000) });
        }
      }
    }
  }

  /** Thanos BestEffortCleanAbortedPartialUploads (+ partial blocks already marked: a deletion cut short). */
  private async cleanPartialUploads(st: BucketState): Promise<void> {
    const now = this.now();
    for (const [id, p] of st.partial) {
      if (p.deletionMarked) {
        this.log.info({ block: id }, 'deleting partially deleted block');
        await deleteBlock(this.bkt, id);
        this.m.blocksCleaned.inc();
        continue;
      }
      if (now - ulidTime(id) <= PARTIAL_UPLOAD_THRESHOLD_AGE) continue;
      this.m.partialDeletions.inc();
      await markForDeletion(this.bkt, id, 'aborted partial upload', now);
      await deleteBlock(this.bkt, id);
      this.m.blocksCleaned.inc();
      this.log.info({ block: id }, 'deleted aborted partial upload');
    }
  }

  /** Thanos BlocksCleaner.DeleteMarkedBlocks. */
  private async deleteMarkedBlocks(): Promise<void> {
    const st = await fetchBucketState(this.bkt, 32, this.metaCache);
    const now = this.now();
    this.m.todoDeletionBlocks.set([...st.deletionMarks.values()].filter((mk) => now - mk.deletion_time * 1000 >= this.deleteDelay).length);
    for (const [id, mark] of st.deletionMarks) {
      if (now - mark.deletion_time * 1000 < this.deleteDelay) continue;
      try {
        let first = true;
        await deleteBlockWithHook(this.bkt, id, () => {
          if (first) this.crashPoint('mid-delete');
          first = false;
        });
        this.m.blocksCleaned.inc();
        this.m.todoDeletionBlocks.dec();
        this.log.info({ block: id }, 'deleted block marked for deletion');
      } catch (e) {
        this.m.cleanupFailures.inc();
        this.log.error({ block: id, err: (e as Error).message }, 'failed to delete block marked for deletion');
      }
    }
  }
}

async function deleteBlockWithHook(bkt: Bucket, id: string, afterMeta: () => void): Promise<void> {
  await bkt.delete(`${id}/meta.json`);
  afterMeta();
  await deleteBlock(bkt, id);
}
