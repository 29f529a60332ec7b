// Moving blocks between the bucket and a local scratch directory (Thanos block.Download/Upload).
// Upload order: chunk segments, index, meta.json last — a block without meta.json is partial and
// ignored by every reader, so an interrupted upload never exposes half a block.
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Bucket } from '../objstore/bucket.ts';
import { DELETION_MARK_FILENAME, NO_COMPACT_MARK_FILENAME, NO_DOWNSAMPLE_MARK_FILENAME } from './markers.ts';

const SKIP = new Set([DELETION_MARK_FILENAME, NO_COMPACT_MARK_FILENAME, NO_DOWNSAMPLE_MARK_FILENAME]);

async function pool<T>(items: readonly T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async (): Promise<void> => {
    while (i < items.length) await fn(items[i++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
}

/** Downloads <id>/ (without markers) into <dir>/<id>. Returns the local block directory. */
export async function downloadBlock(bkt: Bucket, id: string, dir: string, concurrency = 1): Promise<string> {
  const local = join(dir, id);
  await rm(local, { recursive: true, force: true });
  await mkdir(join(local, 'chunks'), { recursive: true });
  const keys: string[] = [];
  await bkt.iter(`${id}/`, (k) => {
    keys.push(k);
  }, { recursive: true });
  const files = keys.filter((k) => !SKIP.has(k.slice(id.length + 1)));
  if (!files.includes(`${id}/meta.json`)) throw new Error(`block ${id}: no meta.json in bucket (partial block)`);
  await pool(files, concurrency, async (k) => {
    const to = join(local, ...k.slice(id.length + 1).split('/'));
    await mkdir(dirname(to), { recursive: true });
    if (bkt.getStream) {
      const s = await bkt.getStream(k);
      await pipeline(s, createWriteStream(to));
    } else {
      await writeFile(to, await bkt.get(k));
    }
  });
  return local;
}

/**
 * Uploads the local block directory `blockDir` as <id>/… : chunks, then index, then meta.json.
 * `afterData` runs between the data files and meta.json (fault-injection point).
 */
export async function uploadBlock(bkt: Bucket, blockDir: string, id: string, concurrency = 1, afterData?: () => void): Promise<void> {
  const chunkNames = (await readdir(join(blockDir, 'chunks'))).filter((n) => /^\d{6}$/.test(n)).sort();
  await pool(chunkNames, concurrency, (n) => bkt.put(`${id}/chunks/${n}`, { path: join(blockDir, 'chunks', n) }));
  await bkt.put(`${id}/index`, { path: join(blockDir, 'index') });
  afterData?.();
  await bkt.put(`${id}/meta.json`, { path: join(blockDir, 'meta.json') });
}
