// Helpers for store gateway tests and benchmarks: write a block with writeBlock and upload it into a
// bucket the way the shipper does (data files first, meta.json last), optionally leaving it partial.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bucket } from '../objstore/bucket.ts';
import { writeBlock, type BlockSeries, type BlockWriteOptions } from '../tsdb/block/writer.ts';
import type { BlockMeta } from '../tsdb/block/meta.ts';

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
