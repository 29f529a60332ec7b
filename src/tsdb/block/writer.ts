// Writes a complete TSDB block directory: chunks/000001…, index, tombstones, meta.json.
// The block is assembled in <dir>/<ulid>.tmp, every file fsync'ed, then renamed to <dir>/<ulid>.
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { monotonicFactory } from 'ulid';
import { compareStrings, Labels } from '../../labels/labels.ts';
import { ChunkEncoding } from '../../storage/interfaces.ts';
import type { ChunkMeta } from '../../storage/interfaces.ts';
import { ChunkWriter, DEFAULT_SEGMENT_SIZE, segmentFileName } from '../chunks/chunks.ts';
import { IndexWriter } from '../index/writer.ts';
import type { IndexChunkMeta } from '../index/writer.ts';
import { writeMeta, type BlockMeta, type BlockStats } from './meta.ts';
import { writeTombstones } from './tombstones.ts';

export interface BlockWriteOptions {
  /** Parent directory; the block lands in <dir>/<ulid>. */
  dir: string;
  mint: number;
  /** Exclusive. */
  maxt: number;
  thanos?: { labels: Record<string, string>; source: string; resolution?: number };
  level?: number;
  sources?: string[];
  parents?: { ulid: string; minTime: number; maxTime: number }[];
  ulid?: string;
  /** Chunk segment size limit (default 512 MiB). */
  segmentSize?: number;
}

export interface BlockSeries {
  labels: Labels;
  chunks: ChunkMeta[];
}

export class BlockWriteError extends Error {
  override name = 'BlockWriteError';
}

const nextULID = monotonicFactory();

/** A new monotonic ULID whose time part is now (block creation time). */
export function newULID(now = Date.now()): string {
  return nextULID(now);
}

/** Number of samples in a chunk (the 2-byte BE count that XOR/histogram chunks start with). */
export function chunkNumSamples(c: ChunkMeta): number {
  const d = c.data;
  if (c.encoding === ChunkEncoding.ThanosAggr) {
    // Thanos AggrChunk: first entry is the count XOR chunk: uvarint(len) | enc | data.
    let len = 0;
    let mul = 1;
    let p = 0;
    for (; p < d.length && p < 5; ) {
      const b = d[p++]!;
      len += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
    }
    if (len < 2 || p + 1 + 2 > d.length) return 0;
    return (d[p + 1]! << 8) | d[p + 2]!;
  }
  return d.length >= 2 ? (d[0]! << 8) | d[1]! : 0;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes a block from series sorted by labels, each with chunks inside [mint, maxt). Series without
 * chunks are skipped. Returns the meta as written.
 */
export async function writeBlock(
  series: Iterable<BlockSeries> | AsyncIterable<BlockSeries>,
  opts: BlockWriteOptions,
): Promise<BlockMeta> {
  const { mint, maxt } = opts;
  if (!Number.isSafeInteger(mint) || !Number.isSafeInteger(maxt) || mint >= maxt) {
    throw new BlockWriteError(`invalid block range [${mint}, ${maxt})`);
  }
  const id = opts.ulid ?? newULID();
  const tmp = join(opts.dir, id + '.tmp');
  const final = join(opts.dir, id);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(join(tmp, 'chunks'), { recursive: true });
  const cw = await ChunkWriter.create(join(tmp, 'chunks'), opts.segmentSize ?? DEFAULT_SEGMENT_SIZE);
  let iw: IndexWriter | null = null;
  try {
    const kept: { labels: Labels; metas: IndexChunkMeta[] }[] = [];
    const symbols = new Set<string>();
    const stats: Required<Pick<BlockStats, 'numSamples' | 'numFloatSamples' | 'numHistogramSamples' | 'numSeries' | 'numChunks'>> = {
      numSamples: 0,
      numFloatSamples: 0,
      numHistogramSamples: 0,
      numSeries: 0,
      numChunks: 0,
    };
    let prev: Labels | null = null;
    for await (const s of series as AsyncIterable<BlockSeries>) {
      const ls = s.labels;
      if (ls.isEmpty()) throw new BlockWriteError('series with empty label set');
      if (prev !== null && Labels.compare(prev, ls) >= 0) {
        throw new BlockWriteError(`series out of order or duplicated: ${ls.toString()} after ${prev.toString()}`);
      }
      prev = ls;
      const chks = s.chunks;
      if (chks.length === 0) continue;
      let lastMax = -Infinity;
      for (const c of chks) {
        if (c.minTime < mint || c.maxTime >= maxt) {
          throw new BlockWriteError(`chunk [${c.minTime}, ${c.maxTime}] of ${ls.toString()} outside block range [${mint}, ${maxt})`);
        }
        if (c.maxTime < c.minTime || c.minTime <= lastMax) {
          throw new BlockWriteError(`chunks of ${ls.toString()} out of order or overlapping`);
        }
        const enc = c.encoding;
        if (enc !== ChunkEncoding.XOR && enc !== ChunkEncoding.Histogram && enc !== ChunkEncoding.FloatHistogram && enc !== ChunkEncoding.ThanosAggr) {
          throw new BlockWriteError(`unsupported chunk encoding ${enc}`);
        }
        lastMax = c.maxTime;
        const n = chunkNumSamples(c);
        stats.numSamples += n;
        if (enc === ChunkEncoding.Histogram || enc === ChunkEncoding.FloatHistogram) stats.numHistogramSamples += n;
        else stats.numFloatSamples += n;
      }
      const refs = await cw.writeChunks(chks);
      const metas: IndexChunkMeta[] = new Array(chks.length);
      for (let i = 0; i < chks.length; i++) metas[i] = { minTime: chks[i]!.minTime, maxTime: chks[i]!.maxTime, ref: refs[i]! };
      for (const x of ls.flat) symbols.add(x);
      kept.push({ labels: ls, metas });
      stats.numSeries++;
      stats.numChunks += chks.length;
    }
    const segFiles = await cw.close();

    iw = await IndexWriter.create(join(tmp, 'index'));
    await iw.addSymbols([...symbols].sort(compareStrings));
    symbols.clear();
    for (const s of kept) await iw.addSeries(s.labels, s.metas);
    const indexSize = await iw.close();
    iw = null;
    kept.length = 0;

    await writeTombstones(tmp);

    const meta: BlockMeta = {
      ulid: id,
      minTime: mint,
      maxTime: maxt,
      stats,
      compaction: {
        level: opts.level ?? 1,
        sources: opts.sources && opts.sources.length ? opts.sources.slice() : [id],
        ...(opts.parents && opts.parents.length ? { parents: opts.parents.map((p) => ({ ...p })) } : {}),
      },
      version: 1,
    };
    if (opts.thanos) {
      const files = [
        ...segFiles.map((f) => ({ rel_path: `chunks/${f.name}`, size_bytes: f.size })),
        { rel_path: 'index', size_bytes: indexSize },
        { rel_path: 'meta.json' },
      ];
      meta.thanos = {
        labels: { ...opts.thanos.labels },
        downsample: { resolution: opts.thanos.resolution ?? 0 },
        source: opts.thanos.source,
        segment_files: segFiles.map((f) => f.name),
        files,
      };
    }
    await writeMeta(tmp, meta);
    await fsyncDir(join(tmp, 'chunks'));
    await fsyncDir(tmp);
    await rm(final, { recursive: true, force: true });
    await rename(tmp, final);
    await fsyncDir(opts.dir);
    return meta;
  } catch (e) {
    await cw.abort();
    await iw?.abort();
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
}

/** Total size in bytes of a block's files (for reporting). */
export async function blockSize(blockDir: string, meta: BlockMeta): Promise<number> {
  let n = 0;
  for (const f of meta.thanos?.files ?? []) if (f.size_bytes) n += f.size_bytes;
  if (n > 0) return n;
  n += (await stat(join(blockDir, 'index'))).size;
  for (let i = 0; ; i++) {
    try {
      n += (await stat(join(blockDir, 'chunks', segmentFileName(i)))).size;
    } catch {
      break;
    }
  }
  return n;
}
