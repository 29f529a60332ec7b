// Planner cases and expected plans from Thanos pkg/compact/planner_test.go
// (TestPlanners_Plan_Compatibility, itself adapted from Prometheus tsdb/compact_test.go), ranges
// 20, 60, 180, 540, 1620. Thanos may return several tasks; the first task is what we plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plan, splitByRange } from './planner.ts';
import type { BlockMeta } from '../tsdb/block/meta.ts';

const ranges = [20, 60, 180, 540, 1620];
function b(n: number, minTime: number, maxTime: number, stats: BlockMeta['stats'] = {}): BlockMeta {
  return { ulid: `B${String(n).padStart(2, '0')}`, minTime, maxTime, stats, compaction: { level: 1 }, version: 1 };
}
function ids(ms: BlockMeta[]): string[] {
  return ms.map((m) => m.ulid);
}

const cases: { name: string; metas: BlockMeta[]; expected: number[] }[] = [
  { name: 'Outside range', metas: [b(1, 0, 20)], expected: [] },
  { name: 'wait for four blocks of size 20', metas: [b(1, 0, 20), b(2, 20, 40)], expected: [] },
  { name: 'three, but the fresh one is ignored', metas: [b(1, 0, 20), b(2, 20, 40), b(3, 40, 60)], expected: [] },
  { name: 'block to fill the entire parent range appeared', metas: [b(1, 0, 20), b(2, 20, 40), b(3, 40, 60), b(4, 60, 80)], expected: [1, 2, 3] },
  { name: 'blocks fill the entire 2nd parent range', metas: [b(6, 0, 60), b(7, 60, 120), b(8, 120, 180), b(9, 180, 200), b(10, 200, 220)], expected: [6, 7, 8] },
  { name: 'next parent range appeared with a gap; fresh ignored', metas: [b(1, 0, 20), b(2, 20, 40), b(4, 60, 80)], expected: [] },
  { name: 'gap will not be filled anymore: compact the two', metas: [b(1, 0, 20), b(2, 20, 40), b(4, 60, 80), b(5, 80, 100)], expected: [1, 2] },
  { name: '20,20,20,60,60', metas: [b(1, 0, 20), b(2, 20, 40), b(3, 40, 60), b(4, 60, 120), b(5, 120, 180)], expected: [1, 2, 3] },
  { name: '2nd parent range with a gap', metas: [b(6, 0, 60), b(8, 120, 180), b(9, 180, 200), b(10, 200, 220)], expected: [6, 8] },
  {
    name: 'two sets for one range, third for the next: first set first',
    metas: [b(1, 180, 200), b(2, 200, 220), b(3, 220, 240), b(4, 240, 260), b(5, 260, 280), b(6, 280, 300), b(7, 0, 60), b(8, 60, 120), b(9, 120, 180), b(10, 300, 320)],
    expected: [1, 2, 3],
  },
  { name: '20, 60, 20, 60, 240: compact 20+60+60', metas: [b(2, 20, 40), b(4, 60, 120), b(5, 960, 980), b(6, 120, 180), b(7, 720, 960)], expected: [2, 4, 6] },
  { name: 'no tombstone compaction without a fresh block', metas: [b(1, 0, 540, { numSeries: 10, numTombstones: 3 })], expected: [] },
  { name: 'tombstone compaction when a fresh block appears', metas: [b(1, 0, 540, { numSeries: 10, numTombstones: 3 }), b(2, 540, 560)], expected: [1] },
  { name: 'small blocks: no tombstone compaction', metas: [b(1, 0, 60, { numSeries: 10, numTombstones: 3 }), b(2, 60, 80)], expected: [] },
  { name: 'zero series and tombstones: no loop', metas: [b(1, 0, 540, {}), b(2, 540, 560)], expected: [] },
  { name: 'fresh block is the one with the newest minTime, not ULID', metas: [b(5, 0, 360), b(6, 540, 560), b(7, 360, 420), b(8, 420, 540)], expected: [7, 8] },
  { name: 'Overlapping blocks 1', metas: [b(1, 0, 20), b(2, 19, 40), b(3, 40, 60)], expected: [1, 2] },
  { name: 'Overlapping blocks 2', metas: [b(1, 0, 20), b(2, 20, 40), b(3, 30, 50)], expected: [2, 3] },
  { name: 'Overlapping blocks 3', metas: [b(1, 0, 20), b(2, 10, 40), b(3, 30, 50)], expected: [1, 2, 3] },
  { name: 'Overlapping blocks 4', metas: [b(5, 0, 360), b(6, 340, 560), b(7, 360, 420), b(8, 420, 540)], expected: [5, 6, 7, 8] },
];

for (const c of cases) {
  test(`plan: ${c.name}`, () => {
    assert.deepEqual(ids(plan(c.metas, new Set(), ranges)), c.expected.map((n) => `B${String(n).padStart(2, '0')}`));
  });
}

test('plan: no-compact-marked blocks are left out without creating gaps (Thanos planner_test)', () => {
  const metas = [b(1, 0, 20), b(2, 20, 40), b(3, 40, 60), b(4, 60, 80)];
  assert.deepEqual(ids(plan(metas, new Set(['B02']), ranges)), []);
  assert.deepEqual(ids(plan(metas, new Set(['B03']), ranges)), ['B01', 'B02']);
  assert.deepEqual(ids(plan(metas, new Set(['B01']), ranges)), ['B02', 'B03']);
});

test('splitByRange: [0-10, 10-20, 50-60, 90-100] by 30 (Prometheus doc example)', () => {
  const parts = splitByRange([b(1, 0, 10), b(2, 10, 20), b(3, 50, 60), b(4, 90, 100)], 30);
  assert.deepEqual(parts.map(ids), [['B01', 'B02'], ['B03'], ['B04']]);
});
