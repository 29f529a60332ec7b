// Meta filters of the compactor, after Thanos pkg/block/fetcher.go (DeduplicateFilter,
// ConsistencyDelayMetaFilter, ReplicaLabelRemover) and its fetcher_test cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ulid } from 'ulid';
import type { BlockMeta } from '../tsdb/block/meta.ts';
import { consistencyDelayFilter, deduplicateFilter, groupKey, removeReplicaLabels } from './syncer.ts';

function meta(id: string, sources: string[], resolution = 0, extra: Partial<BlockMeta> = {}): BlockMeta {
  return {
    ulid: id,
    minTime: 0,
    maxTime: 1,
    stats: {},
    compaction: { level: sources.length > 1 ? 2 : 1, sources },
    version: 1,
    thanos: { labels: { a: '1' }, downsample: { resolution }, source: 'receive' },
    ...extra,
  };
}
const ids = (ms: BlockMeta[]): string[] => ms.map((m) => m.ulid).sort();

test('deduplicate: blocks whose sources another block covers are redundant', () => {
  const ms = [meta('A', ['A']), meta('B', ['B']), meta('C', ['C']), meta('D', ['A', 'B', 'C'])];
  const { kept, duplicates } = deduplicateFilter(ms);
  assert.deepEqual(ids(kept), ['D']);
  assert.deepEqual(ids(duplicates), ['A', 'B', 'C']);
});

test('deduplicate: partial overlap of sources keeps both; resolutions are independent', () => {
  const ms = [meta('D', ['A', 'B']), meta('E', ['B', 'C']), meta('F', ['A', 'B'], 300_000)];
  assert.deepEqual(ids(deduplicateFilter(ms).kept), ['D', 'E', 'F']);
});

test('deduplicate: equal sources keep the oldest ULID', () => {
  const ms = [meta('01B', ['X', 'Y']), meta('01A', ['X', 'Y'])];
  const r = deduplicateFilter(ms);
  assert.deepEqual(ids(r.kept), ['01A']);
  assert.deepEqual(ids(r.duplicates), ['01B']);
});

test('consistency delay holds back fresh blocks unless made by the compactor', () => {
  const now = Date.now();
  const fresh = ulid(now - 60_000);
  const old = ulid(now - 3_600_000);
  const byCompactor = ulid(now - 1000);
  const ms = [meta(fresh, [fresh]), meta(old, [old]), meta(byCompactor, [byCompactor], 0, { thanos: { labels: {}, downsample: { resolution: 0 }, source: 'compactor' } })];
  const { kept, tooFresh } = consistencyDelayFilter(ms, 30 * 60_000, now);
  assert.deepEqual(ids(kept), [old, byCompactor].sort());
  assert.deepEqual(ids(tooFresh), [fresh]);
  assert.equal(consistencyDelayFilter(ms, 0, now).kept.length, 3, 'zero delay keeps everything');
});

test('replica labels are removed from the external labels, so replicas form one group', () => {
  const a = meta('A', ['A'], 0, { thanos: { labels: { cluster: 'c', replica: 'a' }, downsample: { resolution: 0 }, source: 'receive' } });
  const b = meta('B', ['B'], 0, { thanos: { labels: { cluster: 'c', replica: 'b' }, downsample: { resolution: 0 }, source: 'receive' } });
  assert.notEqual(groupKey(a), groupKey(b));
  const [a2, b2] = removeReplicaLabels([a, b], ['replica']);
  assert.deepEqual(a2!.thanos!.labels, { cluster: 'c' });
  assert.equal(groupKey(a2!), groupKey(b2!));
  assert.match(groupKey(a2!), /^0@\d+$/);
  assert.deepEqual(a.thanos!.labels, { cluster: 'c', replica: 'a' }, 'input metas are not modified');
});
