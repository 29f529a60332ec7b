// Compaction planning: Thanos' tsdbBasedPlanner (pkg/compact/planner.go), itself Prometheus'
// LeveledCompactor.plan (tsdb/compact.go selectDirs / splitByRange / selectOverlappingDirs) working
// on bucket metas instead of local directories.
import type { BlockMeta } from '../tsdb/block/meta.ts';

const H = 60 * 60 * 1000;
/** Thanos' default compaction ranges: 2h, 8h, 2d, 14d. */
export const DEFAULT_COMPACTION_RANGES: readonly number[] = [2 * H, 8 * H, 48 * H, 14 * 24 * H];

/**
 * Splits metas (sorted by minTime) into groups aligned to `tr`: a group holds the blocks that fit
 * entirely into one aligned range [t0, t0+tr]; blocks that straddle a boundary are skipped.
 */
export function splitByRange(metasByMinTime: readonly BlockMeta[], tr: number): BlockMeta[][] {
  const out: BlockMeta[][] = [];
  for (let i = 0; i < metasByMinTime.length; ) {
    const m = metasByMinTime[i]!;
    const t0 = m.minTime >= 0 ? tr * Math.trunc(m.minTime / tr) : tr * Math.trunc((m.minTime - tr + 1) / tr);
    if (m.maxTime > t0 + tr) {
      i++;
      continue;
    }
    const group: BlockMeta[] = [];
    for (; i < metasByMinTime.length; i++) {
      if (metasByMinTime[i]!.maxTime > t0 + tr) break;
      group.push(metasByMinTime[i]!);
    }
    if (group.length > 0) out.push(group);
  }
  return out;
}

/** The first run of blocks whose time ranges overlap (input sorted by minTime), or []. */
export function selectOverlappingMetas(metasByMinTime: readonly BlockMeta[]): BlockMeta[] {
  if (metasByMinTime.length < 2) return [];
  const out: BlockMeta[] = [];
  let globalMaxt = metasByMinTime[0]!.maxTime;
  for (let i = 1; i < metasByMinTime.length; i++) {
    const m = metasByMinTime[i]!;
    if (m.minTime < globalMaxt) {
      if (out.length === 0) out.push(metasByMinTime[i - 1]!);
      out.push(m);
    } else if (out.length > 0) {
      break;
    }
    if (m.maxTime > globalMaxt) globalMaxt = m.maxTime;
  }
  return out;
}

function selectMetas(ranges: readonly number[], noCompact: ReadonlySet<string>, metasByMinTime: readonly BlockMeta[]): BlockMeta[] {
  if (ranges.length === 0 || metasByMinTime.length === 0) return [];
  const highTime = metasByMinTime[metasByMinTime.length - 1]!.minTime;
  for (const iv of ranges.slice(1)) {
    const parts = splitByRange(metasByMinTime, iv);
    outer: for (const p of parts) {
      for (const m of p) if (m.compaction.failed) continue outer;
      if (p.length < 2) continue;
      const mint = p[0]!.minTime;
      const maxt = p[p.length - 1]!.maxTime;
      // Take a range only if it is full (gaps allowed) or lies before the most recent block, so
      // a range is not compacted while a block that still fits it may arrive.
      if (maxt - mint !== iv && maxt > highTime) continue;
      // Leave no-compact-marked blocks out without creating gaps.
      let lastExcluded = 0;
      for (let i = 0; i < p.length; i++) {
        if (!noCompact.has(p[i]!.ulid)) continue;
        if (i - lastExcluded > 1) return p.slice(lastExcluded, i);
        lastExcluded = i + 1;
      }
      if (p.length - lastExcluded > 1) return p.slice(lastExcluded);
    }
  }
  return [];
}

/**
 * Plans one compaction for a group: overlapping blocks first (vertical compaction), otherwise the
 * leveled selection that leaves out the newest block, otherwise a big block with > 5% tombstones.
 * Returns [] when there is nothing to do. Input need not be sorted.
 */
export function plan(metas: readonly BlockMeta[], noCompact: ReadonlySet<string> = new Set(), ranges: readonly number[] = DEFAULT_COMPACTION_RANGES): BlockMeta[] {
  const byMinTime = [...metas].sort((a, b) => a.minTime - b.minTime || (a.ulid < b.ulid ? -1 : a.ulid > b.ulid ? 1 : 0));
  if (byMinTime.length === 0) return [];
  let notExcluded = byMinTime.filter((m) => !noCompact.has(m.ulid));
  const overlapping = selectOverlappingMetas(notExcluded);
  if (overlapping.length > 0) return overlapping;
  // Leave out the most recent block (by minTime): a window to fix a freshly uploaded block.
  if (!noCompact.has(byMinTime[byMinTime.length - 1]!.ulid)) notExcluded = notExcluded.slice(0, -1);
  const res = selectMetas(ranges, noCompact, byMinTime.slice(0, -1));
  if (res.length > 0) return res;
  for (let i = notExcluded.length - 1; i >= 0; i--) {
    const m = notExcluded[i]!;
    if (m.maxTime - m.minTime < ranges[Math.floor(ranges.length / 2)]!) break;
    if ((m.stats.numTombstones ?? 0) / ((m.stats.numSeries ?? 0) + 1) > 0.05) return [m];
  }
  return [];
}
