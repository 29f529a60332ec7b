// IndexCache: byte-bounded LRU of postings and series entries with Thanos' metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { Labels } from '../labels/labels.ts';
import { IndexCache } from './index-cache.ts';

const B1 = '01HZZZZZZZZZZZZZZZZZZZZZZ1';
const B2 = '01HZZZZZZZZZZZZZZZZZZZZZZ2';

async function metric(reg: Registry, name: string, itemType?: string): Promise<number> {
  const m = (await reg.getMetricsAsJSON()).find((x) => x.name === name)!;
  const vals = m.values as { value: number; labels: Record<string, string> }[];
  return (itemType ? vals.find((v) => v.labels.item_type === itemType) : vals[0])?.value ?? NaN;
}

test('bounded by bytes: least recently used items are evicted, oversized items are refused', async () => {
  const reg = new Registry();
  const c = new IndexCache({ maxSizeBytes: 64 * 1024, registry: reg });
  const list = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < 40; i++) c.setPostings(B1, 'job', `v${i}`, list(1000)); // ~4 KiB each
  assert.ok(c.size <= 64 * 1024, `size ${c.size}`);
  assert.ok(c.itemCount >= 10 && c.itemCount < 16, `items ${c.itemCount}`);
  assert.equal(c.getPostings(B1, 'job', 'v0'), undefined, 'oldest evicted');
  assert.deepEqual(c.getPostings(B1, 'job', 'v39'), list(1000));
  assert.equal(c.getPostings(B2, 'job', 'v39'), undefined, 'keys are per block');
  assert.ok((await metric(reg, 'thanos_store_index_cache_items_evicted_total', 'Postings')) >= 24);
  assert.equal(await metric(reg, 'thanos_store_index_cache_requests_total', 'Postings'), 3);
  assert.equal(await metric(reg, 'thanos_store_index_cache_hits_total', 'Postings'), 1);
  assert.equal(await metric(reg, 'thanos_store_index_cache_items', 'Postings'), c.itemCount);
  // More than half the cache: not stored.
  c.setExpandedPostings(B1, 'job=~"a.*"', list(10_000));
  assert.equal(c.getExpandedPostings(B1, 'job=~"a.*"'), undefined);
  assert.equal(await metric(reg, 'thanos_store_index_cache_items_overflowed_total', 'ExpandedPostings'), 1);
  // Series entries.
  const e = { id: 16, labels: Labels.fromObject({ __name__: 'up', job: 'x' }), chunks: [{ minTime: 1, maxTime: 2, ref: 8 }] };
  c.setSeries(B2, e);
  assert.equal(c.getSeries(B2, 16), e);
  assert.equal(c.getSeries(B1, 16), undefined);
  assert.equal(await metric(reg, 'thanos_store_index_cache_hits_total', 'Series'), 1);
  assert.equal(await metric(reg, 'thanos_store_index_cache_max_size_bytes'), 64 * 1024);
});

test('size 0 disables caching', () => {
  const c = new IndexCache({ maxSizeBytes: 0 });
  c.setPostings(B1, 'a', 'b', new Uint32Array([1, 2]));
  assert.equal(c.getPostings(B1, 'a', 'b'), undefined);
  assert.equal(c.size, 0);
});
