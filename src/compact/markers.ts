// Block markers (Thanos pkg/block/metadata/markers.go): deletion-mark.json, no-compact-mark.json,
// no-downsample-mark.json, stored at <ULID>/<name> in the bucket. Times are Unix seconds.
import type { Bucket } from '../objstore/bucket.ts';
import { isNotFound } from '../objstore/bucket.ts';

export const DELETION_MARK_FILENAME = 'deletion-mark.json';
export const NO_COMPACT_MARK_FILENAME = 'no-compact-mark.json';
export const NO_DOWNSAMPLE_MARK_FILENAME = 'no-downsample-mark.json';
export const MARKER_VERSION_1 = 1;

/** Thanos NoCompactReason values. */
export const NoCompactReason = {
  Manual: 'manual',
  IndexSizeExceeding: 'index-size-exceeding',
  OutOfOrderChunks: 'block-index-out-of-order-chunk',
  /** Strata: the block could not be read (bad CRC, truncated index/chunks, invalid meta). */
  Corrupted: 'corrupted-block',
} as const;

export interface DeletionMark {
  id: string;
  version: number;
  details?: string;
  /** Unix seconds. */
  deletion_time: number;
}

export interface NoCompactMark {
  id: string;
  version: number;
  details?: string;
  /** Unix seconds. */
  no_compact_time: number;
  reason: string;
}

export interface NoDownsampleMark {
  id: string;
  version: number;
  details?: string;
  no_downsample_time: number;
  reason: string;
}

export class MarkerError extends Error {
  override name = 'MarkerError';
}

function encode(o: object): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(o, null, '\t'));
}

/** Reads a marker; null when absent. Throws MarkerError when it is unparsable (e.g. a partial write). */
export async function readMarker<T extends { id: string; version: number }>(bkt: Bucket, id: string, name: string): Promise<T | null> {
  let data: Uint8Array;
  try {
    data = await bkt.get(`${id}/${name}`);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
  let m: T;
  try {
    m = JSON.parse(new TextDecoder().decode(data)) as T;
  } catch (e) {
    throw new MarkerError(`${id}/${name}: ${(e as Error).message}`);
  }
  if (typeof m !== 'object' || m === null || m.version !== MARKER_VERSION_1) throw new MarkerError(`${id}/${name}: unexpected marker version ${String((m as { version?: unknown })?.version)}`);
  return m;
}

/** Marks a block for deletion (no-op when already marked). Returns false when it was already marked. */
export async function markForDeletion(bkt: Bucket, id: string, details: string, nowMs = Date.now()): Promise<boolean> {
  if (await bkt.exists(`${id}/${DELETION_MARK_FILENAME}`)) return false;
  const m: DeletionMark = { id, version: MARKER_VERSION_1, details, deletion_time: Math.floor(nowMs / 1000) };
  await bkt.put(`${id}/${DELETION_MARK_FILENAME}`, encode(m));
  return true;
}

/** Marks a block as not to be compacted (no-op when already marked). */
export async function markNoCompact(bkt: Bucket, id: string, reason: string, details: string, nowMs = Date.now()): Promise<boolean> {
  if (await bkt.exists(`${id}/${NO_COMPACT_MARK_FILENAME}`)) return false;
  const m: NoCompactMark = { id, version: MARKER_VERSION_1, details, no_compact_time: Math.floor(nowMs / 1000), reason };
  await bkt.put(`${id}/${NO_COMPACT_MARK_FILENAME}`, encode(m));
  return true;
}

/** Marks a block as not to be downsampled. */
export async function markNoDownsample(bkt: Bucket, id: string, reason: string, details: string, nowMs = Date.now()): Promise<boolean> {
  if (await bkt.exists(`${id}/${NO_DOWNSAMPLE_MARK_FILENAME}`)) return false;
  const m: NoDownsampleMark = { id, version: MARKER_VERSION_1, details, no_downsample_time: Math.floor(nowMs / 1000), reason };
  await bkt.put(`${id}/${NO_DOWNSAMPLE_MARK_FILENAME}`, encode(m));
  return true;
}

/**
 * Deletes a block the way Thanos block.Delete does: meta.json first (the block turns partial and
 * every reader ignores it), then every other object, the deletion mark last.
 */
export async function deleteBlock(bkt: Bucket, id: string): Promise<void> {
  const meta = `${id}/meta.json`;
  const mark = `${id}/${DELETION_MARK_FILENAME}`;
  await bkt.delete(meta);
  const keys: string[] = [];
  await bkt.iter(`${id}/`, (k) => {
    keys.push(k);
  }, { recursive: true });
  for (const k of keys) if (k !== meta && k !== mark) await bkt.delete(k);
  await bkt.delete(mark);
}
