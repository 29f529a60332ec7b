// Reading the bucket's block metas the way Thanos' compactor does (pkg/block/fetcher.go filters,
// pkg/compact/compact.go Syncer): partial blocks (no meta.json), deletion and no-compact marks,
// the consistency delay, replica-label removal and the deduplicate filter (a block whose sources
// are all contained in another block of the same resolution is redundant).
import { decodeTime, isValid as isValidULID } from 'ulid';
import { Labels, compareStrings } from '../labels/labels.ts';
import type { Bucket } from '../objstore/bucket.ts';
import { isNotFound } from '../objstore/bucket.ts';
import { decodeMeta, type BlockMeta } from '../tsdb/block/meta.ts';
import {
  DELETION_MARK_FILENAME,
  NO_COMPACT_MARK_FILENAME,
  NO_DOWNSAMPLE_MARK_FILENAME,
  readMarker,
  type DeletionMark,
  type NoCompactMark,
  type NoDownsampleMark,
} from './markers.ts';

/** Sources whose blocks are never held back by the consistency delay (Thanos). */
const DELAY_EXEMPT_SOURCES = new Set(['bucketRepair', 'compactor', 'compactorRepair']);

export interface BucketState {
  /** Complete blocks (readable meta.json), by ULID. */
  metas: Map<string, BlockMeta>;
  /** Block directories without meta.json, with whether they carry a deletion mark. */
  partial: Map<string, { deletionMarked: boolean }>;
  /** Directories whose meta.json could not be parsed. */
  corruptedMeta: Map<string, string>;
  deletionMarks: Map<string, DeletionMark>;
  noCompactMarks: Map<string, NoCompactMark>;
  noDownsampleMarks: Map<string, NoDownsampleMark>;
}

/**
 * Lists every block directory in the bucket with its meta.json and markers. meta.json never
 * changes for a ULID, so parsed metas may be kept in `cache` between syncs (as Thanos' fetcher does).
 */
export async function fetchBucketState(bkt: Bucket, concurrency = 32, cache?: Map<string, BlockMeta>): Promise<BucketState> {
  const ids: string[] = [];
  await bkt.iter('', (k) => {
    if (k.endsWith('/') && isValidULID(k.slice(0, -1))) ids.push(k.slice(0, -1));
  });
  const st: BucketState = {
    metas: new Map(),
    partial: new Map(),
    corruptedMeta: new Map(),
    deletionMarks: new Map(),
    noCompactMarks: new Map(),
    noDownsampleMarks: new Map(),
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const names = new Set<string>();
      await bkt.iter(`${id}/`, (k) => {
        names.add(k.slice(id.length + 1));
      });
      if (names.has(DELETION_MARK_FILENAME)) {
        try {
          const m = await readMarker<DeletionMark>(bkt, id, DELETION_MARK_FILENAME);
          if (m) st.deletionMarks.set(id, m);
        } catch {
          // A partially written mark: treat as marked now (Thanos re-reads it next sync).
          st.deletionMarks.set(id, { id, version: 1, deletion_time: Math.floor(Date.now() / 1000) });
        }
      }
      if (names.has(NO_COMPACT_MARK_FILENAME)) {
        try {
          const m = await readMarker<NoCompactMark>(bkt, id, NO_COMPACT_MARK_FILENAME);
          if (m) st.noCompactMarks.set(id, m);
        } catch {
          /* unreadable: ignored as Thanos does */
        }
      }
      if (names.has(NO_DOWNSAMPLE_MARK_FILENAME)) {
        try {
          const m = await readMarker<NoDownsampleMark>(bkt, id, NO_DOWNSAMPLE_MARK_FILENAME);
          if (m) st.noDownsampleMarks.set(id, m);
        } catch {
          /* ignored */
        }
      }
      if (!names.has('meta.json')) {
        st.partial.set(id, { deletionMarked: st.deletionMarks.has(id) });
        continue;
      }
      const cached = cache?.get(id);
      if (cached) {
        st.metas.set(id, cached);
        continue;
      }
      let text: string;
      try {
        text = new TextDecoder().decode(await bkt.get(`${id}/meta.json`));
      } catch (e) {
        if (isNotFound(e)) {
          st.partial.set(id, { deletionMarked: st.deletionMarks.has(id) });
          continue;
        }
        throw e;
      }
      try {
        const m = decodeMeta(text);
        if (m.ulid !== id) throw new Error(`meta.json ulid ${m.ulid} does not match directory ${id}`);
        st.metas.set(id, m);
        cache?.set(id, m);
      } catch (e) {
        st.corruptedMeta.set(id, (e as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  if (cache) for (const id of cache.keys()) if (!st.metas.has(id)) cache.delete(id);
  return st;
}

export function resolutionOf(m: BlockMeta): number {
  return m.thanos?.downsample.resolution ?? 0;
}

/** Block creation time (ULID time part, ms). */
export function ulidTime(id: string): number {
  return decodeTime(id);
}

/** Thanos ConsistencyDelayMetaFilter: drops blocks younger than `delay` unless made by the compactor or a repair. */
export function consistencyDelayFilter(metas: Iterable<BlockMeta>, delay: number, now: number): { kept: BlockMeta[]; tooFresh: BlockMeta[] } {
  const kept: BlockMeta[] = [];
  const tooFresh: BlockMeta[] = [];
  for (const m of metas) {
    if (delay > 0 && now - ulidTime(m.ulid) < delay && !DELAY_EXEMPT_SOURCES.has(m.thanos?.source ?? '')) tooFresh.push(m);
    else kept.push(m);
  }
  return { kept, tooFresh };
}

/** Thanos ReplicaLabelRemover: copies of the metas without the replica labels among their external labels. */
export function removeReplicaLabels(metas: readonly BlockMeta[], replicaLabels: readonly string[]): BlockMeta[] {
  if (replicaLabels.length === 0) return metas.slice();
  return metas.map((m) => {
    if (!m.thanos) return m;
    const labels = { ...m.thanos.labels };
    let changed = false;
    for (const r of replicaLabels) {
      if (r in labels) {
        delete labels[r];
        changed = true;
      }
    }
    return changed ? { ...m, thanos: { ...m.thanos, labels } } : m;
  });
}

/**
 * Thanos DeduplicateFilter: per resolution, blocks whose compaction sources are a subset of another
 * block's sources are redundant (left behind by a compaction whose sources were not yet marked, or
 * the same compaction done twice). Among blocks with equal sources the oldest ULID is kept.
 */
export function deduplicateFilter(metas: readonly BlockMeta[]): { kept: BlockMeta[]; duplicates: BlockMeta[] } {
  const byRes = new Map<number, BlockMeta[]>();
  for (const m of metas) {
    const r = resolutionOf(m);
    let l = byRes.get(r);
    if (!l) byRes.set(r, (l = []));
    l.push(m);
  }
  const kept: BlockMeta[] = [];
  const duplicates: BlockMeta[] = [];
  for (const list of byRes.values()) {
    const srcs = (m: BlockMeta): string[] => (m.compaction.sources && m.compaction.sources.length ? m.compaction.sources : [m.ulid]);
    const sorted = [...list].sort((a, b) => srcs(b).length - srcs(a).length || compareStrings(a.ulid, b.ulid));
    const keptSets: Set<string>[] = [];
    for (const m of sorted) {
      const s = srcs(m);
      const dup = keptSets.some((k) => k.size >= s.length && s.every((x) => k.has(x)));
      if (dup) duplicates.push(m);
      else {
        keptSets.push(new Set(s));
        kept.push(m);
      }
    }
  }
  return { kept, duplicates };
}

/** Thanos' group key: "<resolution>@<hash of external labels>". */
export function groupKey(m: BlockMeta): string {
  const ls = Labels.fromObject(m.thanos?.labels ?? {});
  return `${resolutionOf(m)}@${ls.hash().toString()}`;
}

/**
 * The blocks a reader (store gateway) serves: complete, not marked for deletion, and not made
 * redundant by a block covering the same sources. A bucket is consistent when every raw sample is
 * served exactly once by this view.
 */
export async function readableBlocks(bkt: Bucket): Promise<BlockMeta[]> {
  const st = await fetchBucketState(bkt);
  const live = [...st.metas.values()].filter((m) => !st.deletionMarks.has(m.ulid));
  return deduplicateFilter(live).kept.sort((a, b) => a.minTime - b.minTime || compareStrings(a.ulid, b.ulid));
}
