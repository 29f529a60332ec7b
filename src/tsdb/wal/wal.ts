// The write-ahead log writer, on-disk compatible with Prometheus `tsdb/wlog` (uncompressed records).
//
// Durability: log() writes the records' pages with write(2) (fs.writeSync) before its promise
// resolves, so acknowledged records survive kill -9 of the process. With fsync: true it also waits
// for an fdatasync that started after its write; fdatasyncs are group-committed: while one runs, new
// log() calls queue and all share the next one. Calls are applied strictly in call order (writes
// happen synchronously inside log()).
//
// Pages are built in one reused 32 KiB buffer exactly as Prometheus does: a batch's last page is
// written partially (only its new bytes), full pages are completed with zero padding, a record that
// does not fit in the rest of the segment starts a new segment.
import { closeSync, fdatasync, fsync as fsyncCb, openSync, writeSync, close as closeCb } from 'node:fs';
import { mkdir, open as openP, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import {
  DEFAULT_SEGMENT_SIZE,
  HEADER_SIZE,
  PAGE_SIZE,
  REC_FIRST,
  REC_FULL,
  REC_LAST,
  REC_MIDDLE,
  ScanBuffers,
  listCheckpoints,
  listSegments,
  scanSegment,
  segmentName,
  type CorruptionInfo,
} from './segments.ts';
import { Counter, Gauge, Summary, type Registry } from 'prom-client';

/** Prometheus TSDB's WAL metrics, shared by every WAL of the process (one registry per process). */
interface WALMetrics {
  fsyncDuration: Summary;
  writesFailed: Counter;
}
let walMetrics: WALMetrics | null = null;
const openWALs = new Set<WAL>();

/** Registers prometheus_tsdb_wal_* metrics (fsync latency, failed writes, current segment) once. */
export function registerWALMetrics(registry: Registry): void {
  if (walMetrics || registry.getSingleMetric('prometheus_tsdb_wal_fsync_duration_seconds')) return;
  walMetrics = {
    fsyncDuration: new Summary({
      name: 'prometheus_tsdb_wal_fsync_duration_seconds',
      help: 'Duration of write log fsync.',
      percentiles: [0.5, 0.9, 0.99],
      registers: [registry],
    }),
    writesFailed: new Counter({ name: 'prometheus_tsdb_wal_writes_failed_total', help: 'Total number of write log writes that failed.', registers: [registry] }),
  };
  new Gauge({
    name: 'prometheus_tsdb_wal_segment_current',
    help: 'Write log segment index that TSDB is currently writing to (the highest of all tenants).',
    registers: [registry],
    collect() {
      let max = 0;
      for (const w of openWALs) max = Math.max(max, w.currentSegment);
      this.set(max);
    },
  });
}

export interface WALOptions {
  dir: string;
  segmentSize?: number /* default 128 MiB */;
  fsync?: boolean;
  onCorruption?: (info: { segment: number; offset: number; reason: string }) => void;
}

function datasyncFd(fd: number): Promise<void> {
  return new Promise((res, rej) => fdatasync(fd, (err) => (err ? rej(err) : res())));
}
function fsyncFd(fd: number): Promise<void> {
  return new Promise((res, rej) => fsyncCb(fd, (err) => (err ? rej(err) : res())));
}
function closeFd(fd: number): Promise<void> {
  return new Promise((res, rej) => closeCb(fd, (err) => (err ? rej(err) : res())));
}

/** fsyncs a directory so that created/removed/renamed entries are durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await openP(dir, 'r');
  try {
    await fh.sync();
  } catch (e) {
    // Some filesystems refuse fsync on directories (EINVAL); nothing more can be done there.
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
  } finally {
    await fh.close();
  }
}

interface Waiter {
  res: () => void;
  rej: (e: Error) => void;
}

export class WAL {
  readonly dir: string;
  private readonly segmentSize: number;
  private readonly fsync: boolean;

  private fd = -1;
  private segIndex = 0;
  private donePages = 0;
  private readonly page = new Uint8Array(PAGE_SIZE);
  private readonly pageDV = new DataView(this.page.buffer);
  private alloc = 0;
  private flushed = 0;

  private failed: Error | null = null;
  private closed = false;

  // Group commit state.
  private syncing: Promise<void> | null = null;
  private waiters: Waiter[] = [];
  /** Previous segments' fds not yet synced (fsync: true) — synced and closed by the next round. */
  private oldFds: number[] = [];
  private dirDirty = false;
  /** Background sync+close of finished segments (fsync: false). */
  private background = new Set<Promise<void>>();
  private syncRounds = 0;

  private constructor(opts: WALOptions) {
    this.dir = opts.dir;
    this.segmentSize = opts.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    this.fsync = opts.fsync ?? false;
    if (this.segmentSize % PAGE_SIZE !== 0 || this.segmentSize <= 0) {
      throw new RangeError(`invalid segment size ${this.segmentSize}: must be a positive multiple of ${PAGE_SIZE}`);
    }
  }

  /**
   * Opens the WAL in dir (created if missing) and starts writing a new segment after the last one,
   * as Prometheus does. The last existing segment is checked first: a torn tail (from a crash the
   * caller did not replay) is truncated at the last complete record and reported via onCorruption,
   * so records logged from now on are never discarded by a later repair of that tail.
   */
  static async open(opts: WALOptions): Promise<WAL> {
    const w = new WAL(opts);
    await mkdir(opts.dir, { recursive: true });
    const segs = await listSegments(opts.dir);
    let next = 0;
    if (segs.length > 0) {
      const last = segs[segs.length - 1]!;
      next = last.index + 1;
      const path = join(opts.dir, last.name);
      const r = await scanSegment(path, null, new ScanBuffers());
      if (r.corruption) {
        const fh = await openP(path, 'r+');
        try {
          await fh.truncate(r.goodEnd);
          await fh.datasync();
        } finally {
          await fh.close();
        }
        const info: CorruptionInfo = { segment: last.index, offset: r.goodEnd, reason: r.corruption.reason };
        opts.onCorruption?.(info);
      }
    }
    // Never start below a checkpoint: replay skips segments the newest checkpoint covers.
    const cps = await listCheckpoints(opts.dir);
    if (cps.length > 0) next = Math.max(next, cps[cps.length - 1]!.index + 1);
    w.createSegment(next);
    if (w.fsync) await syncDir(w.dir);
    w.dirDirty = false;
    openWALs.add(w);
    return w;
  }

  private createSegment(i: number): void {
    this.fd = openSync(join(this.dir, segmentName(i)), 'a', 0o666);
    this.segIndex = i;
    this.donePages = 0;
    this.alloc = 0;
    this.flushed = 0;
    this.dirDirty = true;
  }

  /** Number of group-commit fdatasync rounds run so far (fsync: true). */
  get syncCount(): number {
    return this.syncRounds;
  }

  /** The index of the segment currently written to. */
  get currentSegment(): number {
    return this.segIndex;
  }

  private writeAll(buf: Uint8Array, off: number, len: number): void {
    while (len > 0) {
      const n = writeSync(this.fd, buf, off, len);
      off += n;
      len -= n;
    }
  }

  private pageFull(): boolean {
    return PAGE_SIZE - this.alloc < HEADER_SIZE;
  }

  /** Writes the page's unwritten bytes; with clear (or a full page) pads it to its end and starts a new one. */
  private flushPage(clear: boolean): void {
    const shouldClear = clear || this.pageFull();
    if (shouldClear) this.alloc = PAGE_SIZE; // the rest of the buffer is zeros
    if (this.alloc > this.flushed) this.writeAll(this.page, this.flushed, this.alloc - this.flushed);
    this.flushed = this.alloc;
    if (shouldClear) {
      this.page.fill(0);
      this.alloc = 0;
      this.flushed = 0;
      this.donePages++;
    }
  }

  /** Finishes the current segment (padding its last page) and starts the next one. */
  private rollover(): number {
    if (this.alloc > 0) this.flushPage(true);
    const prev = this.fd;
    this.createSegment(this.segIndex + 1);
    if (this.fsync) {
      this.oldFds.push(prev);
    } else {
      // Like Prometheus: sync the finished segment in the background, then close it.
      const p: Promise<void> = datasyncFd(prev)
        .catch(() => undefined)
        .then(() => closeFd(prev))
        .catch(() => undefined)
        .finally(() => this.background.delete(p));
      this.background.add(p);
    }
    return this.segIndex;
  }

  private writeRecord(rec: Uint8Array, final: boolean): void {
    if (this.pageFull()) this.flushPage(true);
    const pagesPerSegment = this.segmentSize / PAGE_SIZE;
    const left = PAGE_SIZE - this.alloc - HEADER_SIZE + (PAGE_SIZE - HEADER_SIZE) * (pagesPerSegment - this.donePages - 1);
    // A record never spans segments. (An empty segment takes an oversized record whole.)
    if (rec.length > left && (this.donePages > 0 || this.alloc > 0)) this.rollover();

    const page = this.page;
    const dv = this.pageDV;
    let off = 0;
    let i = 0;
    do {
      const l = Math.min(rec.length - off, PAGE_SIZE - this.alloc - HEADER_SIZE);
      const part = rec.subarray(off, off + l);
      const last = off + l === rec.length;
      const typ = i === 0 ? (last ? REC_FULL : REC_FIRST) : last ? REC_LAST : REC_MIDDLE;
      const a = this.alloc;
      page[a] = typ;
      dv.setUint16(a + 1, l);
      dv.setUint32(a + 3, crc32c(part) >>> 0);
      page.set(part, a + HEADER_SIZE);
      this.alloc = a + HEADER_SIZE + l;
      if (this.pageFull()) this.flushPage(true);
      off += l;
      i++;
    } while (off < rec.length);
    if (final && this.alloc > this.flushed) this.flushPage(false);
  }

  /**
   * Appends records (each a complete record payload as produced by encode*). Resolves once the bytes
   * are written to the segment file with write(2) (survives kill -9); with fsync: true, also after a
   * group-committed fdatasync (many concurrent log() calls share one fdatasync). Calls are ordered.
   */
  log(records: readonly Uint8Array[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('WAL is closed'));
    if (this.failed) return Promise.reject(new Error(`WAL is unusable after an earlier write error: ${this.failed.message}`));
    try {
      for (let i = 0; i < records.length; i++) this.writeRecord(records[i]!, i === records.length - 1);
    } catch (e) {
      // The page state no longer matches the file; refuse further writes (a restart replays and repairs).
      walMetrics?.writesFailed.inc();
      this.failed = e as Error;
      return Promise.reject(e);
    }
    if (!this.fsync) return Promise.resolve();
    return new Promise<void>((res, rej) => {
      this.waiters.push({ res, rej });
      this.kickSync();
    });
  }

  private kickSync(): void {
    const started = performance.now();
    if (this.syncing || this.waiters.length === 0) return;
    const batch = this.waiters;
    this.waiters = [];
    const fds = [...this.oldFds, this.fd];
    const toClose = this.oldFds;
    this.oldFds = [];
    const dirDirty = this.dirDirty;
    this.dirDirty = false;
    this.syncRounds++;
    this.syncing = (async () => {
      for (const fd of fds) await datasyncFd(fd);
      for (const fd of toClose) await closeFd(fd);
      if (dirDirty) await syncDir(this.dir);
    })().then(
      () => {
        walMetrics?.fsyncDuration.observe((performance.now() - started) / 1000);
        for (const w of batch) w.res();
      },
      (e: Error) => {
        walMetrics?.writesFailed.inc();
        // After a failed fdatasync the kernel may have dropped the dirty pages: never pretend otherwise.
        this.failed ??= e;
        for (const w of batch) w.rej(e);
      },
    );
    void this.syncing.finally(() => {
      this.syncing = null;
      if (this.failed) {
        const ws = this.waiters;
        this.waiters = [];
        for (const w of ws) w.rej(new Error(`WAL sync failed: ${this.failed.message}`));
      } else {
        this.kickSync();
      }
    });
  }

  /** Closes the current segment and starts a new one; returns the new segment index. */
  async nextSegment(): Promise<number> {
    if (this.closed) throw new Error('WAL is closed');
    if (this.failed) throw new Error(`WAL is unusable after an earlier write error: ${this.failed.message}`);
    try {
      return this.rollover();
    } catch (e) {
      this.failed = e as Error;
      throw e;
    }
  }

  async segments(): Promise<{ first: number; last: number }> {
    const segs = await listSegments(this.dir);
    if (segs.length === 0) return { first: this.segIndex, last: this.segIndex };
    return { first: segs[0]!.index, last: segs[segs.length - 1]!.index };
  }

  /** Deletes segments with index < n (never the segment being written). */
  async truncate(n: number): Promise<void> {
    for (const s of await listSegments(this.dir)) {
      if (s.index >= n) break;
      if (s.index >= this.segIndex) break;
      await unlink(join(this.dir, s.name)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    }
  }

  /** Pads and writes the last page, waits for pending syncs, fsyncs and closes the segment. */
  async close(): Promise<void> {
    openWALs.delete(this);
    if (this.closed) return;
    this.closed = true;
    let err: Error | null = null;
    try {
      if (!this.failed && this.alloc > 0) this.flushPage(true);
    } catch (e) {
      err = e as Error;
    }
    while (this.syncing) await this.syncing;
    await Promise.all([...this.background]);
    try {
      for (const fd of this.oldFds) {
        await datasyncFd(fd);
        await closeFd(fd);
      }
      this.oldFds = [];
      await fsyncFd(this.fd);
      if (this.dirDirty) await syncDir(this.dir);
    } catch (e) {
      err ??= e as Error;
    } finally {
      try {
        closeSync(this.fd);
      } catch {
        /* already closed */
      }
    }
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) (err ? w.rej(err) : w.res());
    if (err) throw err;
  }
}
