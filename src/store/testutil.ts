// Helpers for store gateway tests and benchmarks: write a block with writeBlock and upload it into a
// bucket the way the shipper does (data files first, meta.json last), optionally leaving it partial.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bucket } from '../objstore/bucket.ts';
import { writeBlock, type BlockSeries, type BlockWriteOptions } from '../tsdb/block/writer.ts';
import type { BlockMeta } from '../tsdb/block/meta.ts';
import { Labels } from '../labels/labels.ts';
import type { ChunkMeta } from '../storage/interfaces.ts';
import { XORChunk } from '../tsdb/chunkenc/xor.ts';

/** Uploads <dir>/<ulid>/ (chunks, index, tombstones, then meta.json unless `skipMeta`). */
export async function uploadBlockDir(bkt: Bucket, blockDir: string, ulid: string, opts: { skipMeta?: boolean } = {}): Promise<void> {
  const files: string[] = [];
  for (const f of await readdir(join(blockDir, 'chunks'))) files.push(`chunks/${f}`);
  for (const f of await readdir(blockDir)) if (f !== 'chunks' && f !== 'meta.json') files.push(f);
  for (const f of files.sort()) await bkt.put(`${ulid}/${f}`, { path: join(blockDir, ...f.split('/')) });
  if (!opts.skipMeta) await bkt.put(`${ulid}/meta.json`, { path: join(blockDir, 'meta.json') });
}

/** Writes a block from `series` in a scratch dir, uploads it, removes the local copy; returns its meta. */
export async function putBlock(
  bkt: Bucket,
  scratch: string,
  series: Iterable<BlockSeries> | AsyncIterable<BlockSeries>,
  opts: Omit<BlockWriteOptions, 'dir'>,
  upload: { skipMeta?: boolean } = {},
): Promise<BlockMeta> {
  const meta = await writeBlock(series, { ...opts, dir: scratch });
  const dir = join(scratch, meta.ulid);
  await uploadBlockDir(bkt, dir, meta.ulid, upload);
  await rm(dir, { recursive: true, force: true });
  return meta;
}

// ------------------------------------------------------------------------------ synthetic buckets


export interface SyntheticBucketOptions {
  /** The bucket's directory (a FILESYSTEM bucket root): blocks are written straight into it. */
  dir: string;
  /** Blocks are consecutive in time, each `chunksPerSeries * samplesPerChunk * intervalMs` long. */
  blocks: number;
  seriesPerBlock: number;
  /** Distinct metric names; series i is metric i % metrics, instance ⌊i / metrics⌋. */
  metrics: number;
  samplesPerChunk: number;
  chunksPerSeries: number;
  intervalMs: number;
  start: number;
  /** Series share chunk contents from a pool of this many per block (series i uses i % pool). */
  pool: number;
  /** Random full-mantissa values (~9 bytes/sample, bulky) instead of counter-like ones (~1-2 bytes). */
  randomValues: boolean;
  ext: Record<string, string>;
  /** Stop adding blocks once the bucket holds this many bytes (the block count is then a maximum). */
  minBytes?: number;
}

export function syntheticLabels(i: number, metrics: number): Labels {
  return Labels.fromSortedFlat([
    '__name__', `synthetic_metric_${String(i % metrics).padStart(3, '0')}`,
    'instance', `host-${String(Math.floor(i / metrics)).padStart(6, '0')}`,
    'job', 'synthetic',
  ]);
}

/** Deterministic sample value of pool entry `p`, chunk `c`, sample `k` in block `b`. */
export function syntheticValue(o: SyntheticBucketOptions, b: number, p: number, c: number, k: number): number {
  if (!o.randomValues) return (b * o.chunksPerSeries + c) * o.samplesPerChunk + k + p * 3;
  let h = Math.imul(b + 1, 0x9e3779b1) ^ Math.imul(p + 7, 0x85ebca6b) ^ Math.imul(c + 13, 0xc2b2ae35) ^ Math.imul(k + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  h ^= h >>> 15;
  const lo = Math.imul(h ^ k, 0x165667b1) >>> 0;
  return (h >>> 0) + lo / 2 ** 32;
}

export function syntheticTimestamp(o: SyntheticBucketOptions, b: number, c: number, k: number): number {
  return blockMinTime(o, b) + (c * o.samplesPerChunk + k) * o.intervalMs;
}

export function blockMinTime(o: SyntheticBucketOptions, b: number): number {
  return o.start + b * o.chunksPerSeries * o.samplesPerChunk * o.intervalMs;
}

/** Writes the blocks; returns their metas and the bucket's total bytes. */
export async function writeSyntheticBucket(o: SyntheticBucketOptions): Promise<{ metas: BlockMeta[]; bytes: number }> {
  const metas: BlockMeta[] = [];
  let bytes = 0;
  const order = Array.from({ length: o.seriesPerBlock }, (_, i) => i).sort((x, y) => Labels.compare(syntheticLabels(x, o.metrics), syntheticLabels(y, o.metrics)));
  for (let b = 0; b < o.blocks; b++) {
    if (o.minBytes !== undefined && bytes >= o.minBytes) break;
    const pool: ChunkMeta[][] = [];
    for (let p = 0; p < o.pool; p++) {
      const chunks: ChunkMeta[] = [];
      for (let c = 0; c < o.chunksPerSeries; c++) {
        const x = new XORChunk();
        const a = x.appender();
        for (let k = 0; k < o.samplesPerChunk; k++) a.append(syntheticTimestamp(o, b, c, k), syntheticValue(o, b, p, c, k));
        chunks.push({ minTime: syntheticTimestamp(o, b, c, 0), maxTime: syntheticTimestamp(o, b, c, o.samplesPerChunk - 1), encoding: 1, data: x.bytes().slice() });
      }
      pool.push(chunks);
    }
    const mint = blockMinTime(o, b);
    const meta = await writeBlock(
      (function* () {
        for (const i of order) yield { labels: syntheticLabels(i, o.metrics), chunks: pool[i % o.pool]! };
      })(),
      { dir: o.dir, mint, maxt: blockMinTime(o, b + 1), thanos: { labels: o.ext, source: 'test' } },
    );
    for (const f of meta.thanos!.files!) bytes += f.size_bytes ?? 0;
    metas.push(meta);
  }
  return { metas, bytes };
}
