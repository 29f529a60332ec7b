// One tenant's TSDB in the receiver: the head (with its WAL), the level-1 blocks cut from it in the
// tenant directory, and the shipper that uploads those blocks. Modelled on Prometheus tsdb/db.go
// (compactHead, head/WAL truncation) and Thanos pkg/receive/multitsdb.go (Flush on shutdown,
// shipper per tenant).
//
// Lifecycle:
// - cut: while head.maxTime − head.minTime > 1.5 × blockDuration (Prometheus' Head.compactable),
//   the oldest blockDuration-aligned window is written as a block, the block is added to the
//   queryable set, the head drops everything before the window end (and rejects samples there from
//   now on), then the WAL is checkpointed up to the cut and older segments deleted (Prometheus'
//   truncateWAL: NextSegment, Checkpoint(first..last), Truncate(last+1)).
// - flush (shutdown): the whole head becomes one block [minT, maxT+1), then the same truncation.
// - open: blocks are loaded first; samples replayed from the WAL that are older than the newest
//   block's maxTime are dropped (a crash between a block write and the WAL truncation replays
//   data that is already in a block) and the head's minimum valid time is set to that maxTime.
// - retention: with a bucket, a block is deleted locally only once shipped and older than the
//   retention; without one, only by retention when one is configured.
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Labels } from '../labels/labels.ts';
import type { Bucket } from '../objstore/bucket.ts';
import type { Logger } from '../observability/logger.ts';
import { ExternalLabelsQueryable } from '../storage/extlabels.ts';
import type { Querier, Queryable } from '../storage/interfaces.ts';
import { MergeQueryable } from '../storage/merge.ts';
import { BlockReader, writeBlock, type BlockMeta, type BlockSeries } from '../tsdb/block/block.ts';
import { Head } from '../tsdb/head/index.ts';
import { checkpoint } from '../tsdb/wal/index.ts';
import { isBlockDirName, Shipper } from './shipper.ts';

export interface TenantOptions {
  id: string;
  dir: string;
  externalLabels: Labels;
  blockDuration: number;
  walFsync: boolean;
  logger: Logger;
  /** Where blocks are shipped; null keeps them local. */
  bucket: Bucket | null;
  /** Local block retention in ms (see the header comment); 0 = none. */
  retention: number;
  /** Without a bucket, delete by retention only when this is set (the flag was given). */
  retentionWithoutBucket: boolean;
  registry?: Registry;
  hooks?: TenantHooks;
}

/** Callbacks for metrics/tests. */
export interface TenantHooks {
  onBlockCut?(tenant: string, meta: BlockMeta, kind: 'cut' | 'flush'): void;
  onBlockDeleted?(tenant: string, ulid: string): void;
}

/** A local block with a reference count of open queriers, so retention never pulls it from under a query. */
class LocalBlock implements Queryable {
  private refs = 0;
  private deleted = false;
  private closed = false;

  constructor(
    readonly dir: string,
    readonly reader: BlockReader,
  ) {}

  get meta(): BlockMeta {
    return this.reader.meta;
  }

  querier(mint: number, maxt: number): Querier {
    const q = this.reader.querier(mint, maxt);
    this.refs++;
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      this.refs--;
      if (this.refs === 0 && this.deleted) void this.destroy();
    };
    return {
      select: (h, m) => q.select(h, m),
      labelValues: (n, m, h) => q.labelValues(n, m, h),
      labelNames: (m, h) => q.labelNames(m, h),
      close: () => {
        q.close();
        release();
      },
    };
  }

  /** Marks the block deleted; its files go when the last querier closes. */
  async delete(): Promise<void> {
    this.deleted = true;
    if (this.refs === 0) await this.destroy();
  }

  private async destroy(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reader.close().catch(() => undefined);
    if (this.deleted) await rm(this.dir, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reader.close();
  }
}

/** Yields nothing when `it` is empty, else all of it; tells which before writing a block. */
function peek<T>(it: Iterable<T>): Iterable<T> | null {
  const iter = it[Symbol.iterator]();
  const first = iter.next();
  if (first.done) return null;
  return {
    *[Symbol.iterator]() {
      yield first.value;
      for (;;) {
        const r = iter.next();
        if (r.done) return;
        yield r.value;
      }
    },
  };
}

export class TenantTSDB {
  readonly id: string;
  readonly dir: string;
  readonly externalLabels: Labels;
  readonly queryable: Queryable;
  readonly shipper: Shipper | null;
  private blocks: LocalBlock[] = [];
  private lock: Promise<unknown> = Promise.resolve();
  private closed = false;
  private shipRetry: NodeJS.Timeout | null = null;
  private shipFailures = 0;
  private shipping: Promise<void> | null = null;
  /** End of the newest block cut or loaded (samples before it are out of bounds). */
  private lastBlockMaxT = -Infinity;

  private constructor(
    private readonly opts: TenantOptions,
    readonly head: Head,
    blocks: LocalBlock[],
  ) {
    this.id = opts.id;
    this.dir = opts.dir;
    this.externalLabels = opts.externalLabels;
    this.blocks = blocks;
    for (const b of blocks) if (b.meta.maxTime > this.lastBlockMaxT) this.lastBlockMaxT = b.meta.maxTime;
    // Head + the local blocks overlapping the queried range (block maxTime is exclusive).
    const inner: Queryable = {
      querier: (mint, maxt) => {
        const sources: Queryable[] = [this.head];
        for (const b of this.blocks) if (b.meta.minTime <= maxt && b.meta.maxTime > mint) sources.push(b);
        return new MergeQueryable(() => sources).querier(mint, maxt);
      },
    };
    this.queryable = new ExternalLabelsQueryable(inner, opts.externalLabels);
    this.shipper = opts.bucket
      ? new Shipper({
          dir: opts.dir,
          bucket: opts.bucket,
          labels: () => this.labelsRecord(),
          source: 'receive',
          logger: opts.logger,
          ...(opts.registry ? { registry: opts.registry } : {}),
        })
      : null;
  }

  static async open(opts: TenantOptions): Promise<TenantTSDB> {
    const log = opts.logger;
    // Leftovers of block writes interrupted by a crash (writeBlock assembles in <ulid>.tmp).
    const blocks: LocalBlock[] = [];
    for (const name of await readdir(opts.dir)) {
      const p = join(opts.dir, name);
      if (name.endsWith('.tmp') && isBlockDirName(name.slice(0, -4))) {
        await rm(p, { recursive: true, force: true });
        log.info({ dir: name }, 'removed incomplete block directory');
        continue;
      }
      if (!isBlockDirName(name) || !(await stat(p)).isDirectory()) continue;
      try {
        blocks.push(new LocalBlock(p, await BlockReader.open(p)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // no meta.json: not a finished block
        log.warn({ block: name, err: (e as Error).message }, 'cannot open local block; ignoring it');
      }
    }
    blocks.sort((a, b) => a.meta.minTime - b.meta.minTime);
    let head: Head;
    try {
      head = await Head.open({
        walDir: join(opts.dir, 'wal'),
        walFsync: opts.walFsync,
        chunkRange: opts.blockDuration,
        logger: log,
      });
    } catch (e) {
      await Promise.all(blocks.map((b) => b.close().catch(() => undefined)));
      throw e;
    }
    const lastBlockMaxT = blocks.reduce((m, b) => Math.max(m, b.meta.maxTime), -Infinity);
    if (lastBlockMaxT > -Infinity) {
      if (head.minTime() < lastBlockMaxT) {
        const before = head.stats().numSamples;
        head.truncate(lastBlockMaxT);
        log.info({ dropped_samples: before - head.stats().numSamples, block_max_time: lastBlockMaxT }, 'dropped replayed WAL samples already persisted in blocks');
      }
      head.setMinValidTime(lastBlockMaxT);
    }
    return new TenantTSDB(opts, head, blocks);
  }

  /** thanos.labels of this tenant's blocks: the external labels incl. the tenant label. */
  labelsRecord(): Record<string, string> {
    const r: Record<string, string> = {};
    for (const l of this.externalLabels) r[l.name] = l.value;
    return r;
  }

  /** Local blocks (metas), oldest first. */
  blockMetas(): BlockMeta[] {
    return this.blocks.map((b) => b.meta);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Prometheus Head.compactable: the head spans more than 1.5 block durations. */
  compactable(): boolean {
    const h = this.head;
    if (h.stats().numSamples === 0) return false;
    return h.maxTime() - h.minTime() > Math.floor(this.opts.blockDuration / 2) * 3;
  }

  /** Cuts blocks from the head while it is compactable; returns the metas written. */
  compact(): Promise<BlockMeta[]> {
    return this.serial(async () => {
      const out: BlockMeta[] = [];
      while (!this.closed && this.compactable()) {
        const bd = this.opts.blockDuration;
        const ws = Math.floor(this.head.minTime() / bd) * bd;
        // The aligned window, but never reaching back into the previous block: after a shutdown
        // flush ([minT, maxT+1), unaligned) the next window starts where that block ended, so
        // blocks never overlap (Thanos' compactor refuses overlapping blocks).
        const mint = Math.max(ws, this.lastBlockMaxT);
        const m = await this.persist(mint, ws + bd, 'cut');
        if (m) out.push(m);
      }
      return out;
    });
  }

  /** Writes the whole head as one block (shutdown) and truncates head and WAL. */
  flush(): Promise<BlockMeta | null> {
    return this.serial(async () => {
      const h = this.head;
      if (h.stats().numSamples === 0) return null;
      return this.persist(h.minTime(), h.maxTime() + 1, 'flush');
    });
  }

  /** Block [mint, maxt) from the head, then head truncation and WAL checkpoint/truncation. */
  private async persist(mint: number, maxt: number, kind: 'cut' | 'flush'): Promise<BlockMeta | null> {
    const head = this.head;
    const log = this.opts.logger;
    // Reject new samples in the window from now on, and let commits that passed the check before
    // (awaiting their WAL write) apply before the head is read.
    if (maxt > head.minValidTime) head.setMinValidTime(maxt);
    const wal = head.walHandle();
    if (wal) await wal.log([]);
    await new Promise<void>((r) => setImmediate(r));
    const started = Date.now();
    const series = peek<BlockSeries>(head.chunkSeries(mint, maxt));
    let meta: BlockMeta | null = null;
    if (maxt > this.lastBlockMaxT) this.lastBlockMaxT = maxt;
    if (series) {
      meta = await writeBlock(series, {
        dir: this.dir,
        mint,
        maxt,
        level: 1,
        thanos: { labels: this.labelsRecord(), source: 'receive', resolution: 0 },
      });
      const dir = join(this.dir, meta.ulid);
      this.blocks.push(new LocalBlock(dir, await BlockReader.open(dir)));
      this.blocks.sort((a, b) => a.meta.minTime - b.meta.minTime);
      log.info(
        {
          ulid: meta.ulid,
          mint,
          maxt,
          series: meta.stats.numSeries,
          samples: meta.stats.numSamples,
          duration_ms: Date.now() - started,
          kind,
        },
        kind === 'flush' ? 'flushed head to block' : 'write block',
      );
      this.opts.hooks?.onBlockCut?.(this.id, meta, kind);
    }
    head.truncate(maxt);
    await this.truncateWAL(maxt);
    return meta;
  }

  /** Checkpoints every closed WAL segment keeping series still in the head and samples ≥ mint; deletes the segments. */
  private async truncateWAL(mint: number): Promise<void> {
    const wal = this.head.walHandle();
    if (!wal) return;
    const { first, last } = await wal.segments();
    await wal.nextSegment();
    const head = this.head;
    await checkpoint(join(this.dir, 'wal'), first, last, (ref) => head.hasSeries(ref), mint);
    await wal.truncate(last + 1);
  }

  /**
   * Uploads pending blocks; on failure retries in the background with exponential backoff (1 s
   * doubling to 5 min). While a retry is pending, calls return at once unless `force` is set.
   */
  ship(force = false): Promise<void> {
    const shipper = this.shipper;
    if (!shipper || this.closed) return Promise.resolve();
    if (this.shipping) return this.shipping;
    if (this.shipRetry && !force) return Promise.resolve();
    const run = (async () => {
      try {
        const n = await shipper.sync();
        if (n > 0) this.opts.logger.info({ uploaded: n }, 'shipped blocks');
        this.shipFailures = 0;
      } catch (e) {
        this.shipFailures++;
        const delay = Math.min(300_000, 1000 * 2 ** Math.min(this.shipFailures - 1, 10));
        this.opts.logger.warn({ err: (e as Error).message, retry_in_ms: delay }, 'shipping blocks failed; will retry');
        if (!this.closed && !this.shipRetry) {
          this.shipRetry = setTimeout(() => {
            this.shipRetry = null;
            void this.ship(true);
          }, delay);
          this.shipRetry.unref();
        }
      } finally {
        this.shipping = null;
      }
    })();
    this.shipping = run;
    return run;
  }

  /** Deletes local blocks past retention (never an unshipped one when shipping). Returns deleted ULIDs. */
  applyRetention(now = Date.now()): Promise<string[]> {
    return this.serial(async () => {
      const retention = this.opts.retention;
      let deletable: (b: LocalBlock) => boolean;
      if (this.shipper) {
        const uploaded = await this.shipper.uploaded();
        deletable = (b) => uploaded.has(b.meta.ulid) && b.meta.maxTime < now - retention;
      } else if (this.opts.retentionWithoutBucket && retention > 0) {
        deletable = (b) => b.meta.maxTime < now - retention;
      } else return [];
      const gone = this.blocks.filter(deletable);
      if (gone.length === 0) return [];
      this.blocks = this.blocks.filter((b) => !gone.includes(b));
      for (const b of gone) {
        await b.delete();
        this.opts.logger.info({ ulid: b.meta.ulid, maxt: b.meta.maxTime }, 'deleted local block past retention');
        this.opts.hooks?.onBlockDeleted?.(this.id, b.meta.ulid);
      }
      return gone.map((b) => b.meta.ulid);
    });
  }

  /** Ships what is pending once more (shutdown); errors are logged, the blocks stay local for the next start. */
  async finalShip(): Promise<void> {
    if (!this.shipper) return;
    if (this.shipRetry) {
      clearTimeout(this.shipRetry);
      this.shipRetry = null;
    }
    if (this.shipping) await this.shipping;
    try {
      const n = await this.shipper.sync();
      if (n > 0) this.opts.logger.info({ uploaded: n }, 'shipped blocks');
    } catch (e) {
      this.opts.logger.error({ err: (e as Error).message }, 'shipping blocks at shutdown failed; they stay on local disk and are shipped on the next start');
    }
  }

  async close(): Promise<void> {
    await this.serial(async () => {
      this.closed = true;
    });
    if (this.shipRetry) clearTimeout(this.shipRetry);
    if (this.shipping) await this.shipping;
    await this.head.close();
    await Promise.all(this.blocks.map((b) => b.close().catch(() => undefined)));
  }
}
