// BucketStore over a filesystem bucket holding blocks written by writeBlock: sync filters (partial
// uploads, corrupted metas, deletion marks, --min-time/--max-time windows absolute and relative,
// compaction duplicates, downsampled blocks) and query answers compared with the same samples held
// in MemoryStorage (external labels added), for random series, matchers and time ranges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { Labels, LabelsBuilder } from '../labels/labels.ts';
import { Matcher } from '../labels/matcher.ts';
import { FilesystemBucket } from '../objstore/filesystem.ts';
import { MemoryStorage } from '../storage/memory.ts';
import { ValueType, type Queryable, type SelectHints } from '../storage/interfaces.ts';
import { newULID } from '../tsdb/block/writer.ts';
import { chunksFromSamples, valueBits, type Sample } from '../tsdb/block/testutil.ts';
import { BucketStore } from './bucket-store.ts';
import { putBlock } from './testutil.ts';
import { TimeOrDuration } from './time.ts';

const H = 3_600_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % (2 * H));

async function tmp(): Promise<{ dir: string; bkt: FilesystemBucket; scratch: string; done: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-store-'));
  const bkt = new FilesystemBucket(join(dir, 'bucket'));
  return { dir, bkt, scratch: join(dir, 'scratch'), done: () => rm(dir, { recursive: true, force: true }) };
}

function simpleSeries(mint: number, n = 3): { labels: Labels; chunks: ReturnType<typeof chunksFromSamples> }[] {
  const out = [];
  for (let i = 0; i < n; i++) {
    const samples: Sample[] = [];
    for (let k = 0; k < 100; k++) samples.push({ t: mint + k * 60_000, v: i * 1000 + k });
    out.push({ labels: Labels.fromObject({ __name__: 'up', instance: `i${i}` }), chunks: chunksFromSamples(samples) });
  }
  return out;
}

async function metricValue(reg: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await reg.getMetricsAsJSON()).find((x) => x.name === name);
  if (!m) return NaN;
  const v = (m.values as { value: number; labels: Record<string, string | number> }[]).find((x) =>
    Object.entries(labels).every(([k, val]) => x.labels[k] === val),
  );
  return v?.value ?? NaN;
}

test('sync: partial, corrupted, deletion-marked, time-excluded and downsampled blocks', async () => {
  const { dir, bkt, scratch, done } = await tmp();
  try {
    const ext = { labels: { cluster: 'a' }, source: 'test' };
    const good1 = await putBlock(bkt, scratch, simpleSeries(T0), { mint: T0, maxt: T0 + 2 * H, thanos: ext });
    const good2 = await putBlock(bkt, scratch, simpleSeries(T0 + 2 * H), { mint: T0 + 2 * H, maxt: T0 + 4 * H, thanos: ext });
    const partial = await putBlock(bkt, scratch, simpleSeries(T0), { mint: T0, maxt: T0 + 2 * H, thanos: ext }, { skipMeta: true });
    const marked = await putBlock(bkt, scratch, simpleSeries(T0), { mint: T0, maxt: T0 + 2 * H, thanos: { labels: { cluster: 'm' }, source: 'test' } });
    await bkt.put(`${marked.ulid}/deletion-mark.json`, new TextEncoder().encode(JSON.stringify({ id: marked.ulid, deletion_time: Math.floor(Date.now() / 1000) - 10, version: 1 })));
    const corrupt = await putBlock(bkt, scratch, simpleSeries(T0), { mint: T0, maxt: T0 + 2 * H, thanos: ext });
    await bkt.put(`${corrupt.ulid}/meta.json`, new TextEncoder().encode('{"version": 1, "ulid": '));
    const old = await putBlock(bkt, scratch, simpleSeries(T0 - 30 * 24 * H), { mint: T0 - 30 * 24 * H, maxt: T0 - 30 * 24 * H + 2 * H, thanos: ext });
    const down = await putBlock(bkt, scratch, simpleSeries(T0), { mint: T0, maxt: T0 + 4 * H, thanos: { ...ext, resolution: 300_000 } });
    // Not a block: ignored by the listing.
    await bkt.put('debug/metas/x.json', new TextEncoder().encode('{}'));

    const reg = new Registry();
    const store = new BucketStore({ bucket: bkt, registry: reg, minTime: TimeOrDuration.absolute(T0 - 24 * H), metaCacheDir: join(dir, 'meta-syncer') });
    assert.equal(store.ready, false);
    const r = await store.sync();
    assert.equal(store.ready, true);
    assert.deepEqual(r.added, [good1.ulid, good2.ulid, down.ulid].sort());
    assert.equal(r.states['loaded'], 3);
    assert.equal(r.states['no-meta-json'], 1);
    assert.ok(r.partial.has(partial.ulid));
    assert.equal(r.states['corrupted-meta-json'], 1);
    assert.ok(r.partial.has(corrupt.ulid));
    assert.equal(r.states['marked-for-deletion'], 1);
    assert.equal(r.states['time-excluded'], 1);
    assert.ok(!store.loadedBlocks().some((m) => m.ulid === old.ulid || m.ulid === marked.ulid));
    assert.equal(await metricValue(reg, 'thanos_bucket_store_blocks_loaded'), 3);
    assert.equal(await metricValue(reg, 'thanos_blocks_meta_syncs_total'), 1);
    assert.equal(await metricValue(reg, 'thanos_blocks_meta_synced', { state: 'marked-for-deletion' }), 1);

    assert.deepEqual(store.labelSets().map((l) => l.toString()), ['{cluster="a"}']);
    assert.deepEqual(store.timeRange(), { minTime: T0, maxTime: T0 + 4 * H });

    // Raw queries read good1+good2 only (the downsampled block holds the same series but is skipped).
    const got = await collectAll(store, T0, T0 + 4 * H, [Matcher.eq('__name__', 'up')]);
    assert.equal(got.size, 3);
    for (let i = 0; i < 3; i++) {
      const s = got.get(`up{cluster="a", instance="i${i}"}`);
      assert.ok(s, `series i${i}`);
      assert.equal(s.length, 200);
      assert.deepEqual(s[0], { t: T0, v: i * 1000 });
      assert.deepEqual(s[199], { t: T0 + 2 * H + 99 * 60_000, v: i * 1000 + 99 });
    }
    // External label matchers are answered from the block labels.
    assert.equal((await collectAll(store, T0, T0 + 4 * H, [Matcher.eq('__name__', 'up'), Matcher.eq('cluster', 'b')])).size, 0);
    assert.equal((await collectAll(store, T0, T0 + 4 * H, [new Matcher('=~', 'cluster', 'a|b'), Matcher.eq('instance', 'i1')])).size, 1);

    // A mark on good2 drops it at the next sync; an unchanged block is not reloaded.
    await bkt.put(`${good2.ulid}/deletion-mark.json`, new TextEncoder().encode(JSON.stringify({ id: good2.ulid, deletion_time: Math.floor(Date.now() / 1000), version: 1 })));
    const r2 = await store.sync();
    assert.deepEqual(r2.dropped, [good2.ulid]);
    assert.deepEqual(r2.added, []);
    assert.deepEqual(store.timeRange(), { minTime: T0, maxTime: T0 + 4 * H }); // the downsampled block still spans it
    const got2 = await collectAll(store, T0, T0 + 4 * H, [Matcher.eq('__name__', 'up')]);
    assert.equal(got2.get('up{cluster="a", instance="i0"}')!.length, 100);
    // Deleting meta.json first (as the compactor deletes) turns a loaded block partial: dropped.
    await bkt.delete(`${good1.ulid}/meta.json`);
    const r3 = await store.sync();
    assert.deepEqual(r3.dropped, [good1.ulid]);
    assert.equal(r3.states['no-meta-json'], 2);
    assert.equal(await metricValue(reg, 'thanos_blocks_meta_syncs_total'), 3);
    await store.close();

    // Window ends before good2 starts: only good1 (and the downsampled block overlapping it).
    const s2 = new BucketStore({ bucket: bkt, maxTime: TimeOrDuration.absolute(T0 + H) });
    await bkt.delete(`${good2.ulid}/deletion-mark.json`);
    await bkt.put(`${good1.ulid}/meta.json`, { path: join(dir, 'meta-syncer', good1.ulid, 'meta.json') }); // restore from the local meta cache
    const r4 = await s2.sync();
    assert.deepEqual(r4.added, [good1.ulid, old.ulid, down.ulid].sort()); // `old` starts before the window's end: kept
    assert.equal(r4.states['time-excluded'], 1); // good2
    assert.equal(s2.timeRange().maxTime, T0 + H);

    // Relative window (-Nd from now) excludes the 30-days-older block only.
    const days = Math.ceil((Date.now() - T0) / (24 * H)) + 2;
    const s3 = new BucketStore({ bucket: bkt, minTime: TimeOrDuration.parse(`-${days}d`) });
    const r5 = await s3.sync();
    assert.deepEqual(r5.added, [good1.ulid, good2.ulid, down.ulid].sort());
    assert.equal(r5.states['time-excluded'], 1);
  } finally {
    await done();
  }
});

test('sync: blocks covered by a compacted block are deduplicated; label selector filters blocks', async () => {
  const { bkt, scratch, done } = await tmp();
  try {
    const ext = { labels: { cluster: 'a' }, source: 'test' };
    const a = await putBlock(bkt, scratch, simpleSeries(T0), { mint: T0, maxt: T0 + 2 * H, thanos: ext });
    const b = await putBlock(bkt, scratch, simpleSeries(T0 + 2 * H), { mint: T0 + 2 * H, maxt: T0 + 4 * H, thanos: ext });
    const c = await putBlock(bkt, scratch, [...simpleSeries(T0)].map((s, i) => ({ labels: s.labels, chunks: [...s.chunks, ...simpleSeries(T0 + 2 * H)[i]!.chunks] })), {
      mint: T0,
      maxt: T0 + 4 * H,
      thanos: ext,
      level: 2,
      sources: [a.ulid, b.ulid],
      ulid: newULID(),
    });
    const other = await putBlock(bkt, scratch, simpleSeries(T0), { mint: T0, maxt: T0 + 2 * H, thanos: { labels: { cluster: 'b' }, source: 'test' } });
    const store = new BucketStore({ bucket: bkt });
    const r = await store.sync();
    assert.deepEqual(r.added, [c.ulid, other.ulid].sort());
    assert.equal(r.states['duplicate'], 2);
    const got = await collectAll(store, T0, T0 + 4 * H, [Matcher.eq('instance', 'i2')]);
    assert.deepEqual([...got.keys()], ['up{cluster="a", instance="i2"}', 'up{cluster="b", instance="i2"}']);
    assert.equal(got.get('up{cluster="a", instance="i2"}')!.length, 200);

    const sel = new BucketStore({ bucket: bkt, labelSelector: [Matcher.eq('cluster', 'b')] });
    const r2 = await sel.sync();
    assert.deepEqual(r2.added, [other.ulid]);
    assert.equal(r2.states['label-excluded'], 3);
    assert.deepEqual(sel.labelSets().map(String), ['{cluster="b"}']);
  } finally {
    await done();
  }
});

async function collectAll(q: Queryable, mint: number, maxt: number, ms: Matcher[], hints: Partial<SelectHints> = {}): Promise<Map<string, Sample[]>> {
  const querier = q.querier(mint, maxt);
  const out = new Map<string, Sample[]>();
  let prev: Labels | null = null;
  for await (const s of querier.select({ start: mint, end: maxt, ...hints }, ms)) {
    if (prev) assert.ok(Labels.compare(prev, s.labels) < 0, `sorted: ${s.labels.toString()} after ${prev.toString()}`);
    prev = s.labels;
    const it = s.iterator();
    const samples: Sample[] = [];
    while (it.next() !== ValueType.None) samples.push({ t: it.t, v: it.v });
    if (it.err()) throw it.err();
    if (samples.length > 0) out.set(s.labels.toString(), samples);
  }
  querier.close();
  return out;
}

function bitsOf(m: Map<string, Sample[]>): Map<string, string[]> {
  return new Map([...m].map(([k, v]) => [k, v.map((s) => `${s.t}:${valueBits(s.v)}`)]));
}

const EXT_SETS = [{ cluster: 'a' }, { cluster: 'b', replica: 'r1' }, {}] as const;

const seriesLabelsArb = fc
  .record({
    name: fc.constantFrom('m1', 'm2', 'm3'),
    job: fc.constantFrom('a', 'b', 'ü'),
    instance: fc.option(fc.constantFrom('x', 'y', 'z'), { nil: undefined }),
    zone: fc.option(fc.constantFrom('z1', 'z2'), { nil: undefined }),
  })
  .map((r) => {
    const o: Record<string, string> = { __name__: r.name, job: r.job };
    if (r.instance) o.instance = r.instance;
    if (r.zone) o.zone = r.zone;
    return Labels.fromObject(o);
  });

const blockArb = fc.record({
  ext: fc.integer({ min: 0, max: EXT_SETS.length - 1 }),
  series: fc.uniqueArray(
    fc.record({ labels: seriesLabelsArb, n: fc.integer({ min: 1, max: 300 }), spread: fc.integer({ min: 30, max: 100 }), seed: fc.integer() }),
    { minLength: 1, maxLength: 12, selector: (s) => s.labels.key },
  ),
});

const matcherArb = fc.constantFrom(
  Matcher.eq('__name__', 'm1'),
  new Matcher('=~', '__name__', 'm1|m2'),
  new Matcher('!=', 'job', 'a'),
  new Matcher('=~', 'job', '.*'),
  new Matcher('!~', 'instance', 'x|y'),
  new Matcher('=', 'instance', ''),
  new Matcher('!=', 'zone', ''),
  new Matcher('=~', 'zone', 'z1|'),
  Matcher.eq('cluster', 'a'),
  new Matcher('!=', 'cluster', 'a'),
  new Matcher('=~', 'replica', 'r.*'),
  Matcher.eq('nope', 'x'),
);

test('queries agree with MemoryStorage holding the same samples (random blocks, matchers, ranges)', async () => {
  const { bkt, scratch, done } = await tmp();
  let run = 0;
  let compared = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(blockArb, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.array(fc.tuple(fc.array(matcherArb, { minLength: 1, maxLength: 2 }), fc.integer({ min: -H / 4, max: 3.5 * H }), fc.integer({ min: 0, max: 4 * H }), fc.boolean()), { minLength: 2, maxLength: 5 }),
        async (blocks, overlap, queries) => {
          const prefix = `run${run++}`;
          const bucket = new (await import('../objstore/prefixed.ts')).PrefixedBucket(bkt, prefix);
          const mem = new MemoryStorage();
          for (let k = 0; k < blocks.length; k++) {
            const b = blocks[k]!;
            const base = T0 + (overlap ? 0 : k * H);
            const ext = EXT_SETS[b.ext]!;
            const sorted = [...b.series].sort((x, y) => Labels.compare(x.labels, y.labels));
            const bs = sorted.map((s) => {
              const samples: Sample[] = [];
              let v = s.seed % 1000;
              // Timestamps ≡ k (mod 4): blocks never share a timestamp of one series.
              // Samples spread over 30–100% of the block's 2h.
              const step = Math.max(1, Math.floor((s.spread / 100) * 7_100_000 / (4 * s.n)));
              for (let j = 0; j < s.n; j++) {
                v += ((s.seed >>> (j % 16)) & 7) - 2;
                samples.push({ t: base + j * step * 4 + k, v: j % 50 === 49 ? v / 3 : v });
              }
              const lb = new LabelsBuilder(s.labels);
              for (const [n, val] of Object.entries(ext)) lb.set(n, val);
              const full = lb.labels();
              for (const x of samples) mem.add(full, x.t, x.v);
              return { labels: s.labels, chunks: chunksFromSamples(samples, 1 + (s.seed & 127)) };
            });
            await putBlock(bucket, scratch, bs, { mint: base, maxt: base + 2 * H, thanos: { labels: { ...ext }, source: 'test' } });
          }
          const reg = new Registry();
          const store = new BucketStore({ bucket, registry: reg, indexCacheSize: 1 << 20 });
          const r = await store.sync();
          assert.equal(r.added.length, blocks.length);
          for (const [ms, a, len, skip] of queries) {
            const mint = T0 + a;
            const maxt = mint + len;
            const want = bitsOf(await collectAll(mem, mint, maxt, ms));
            const got = bitsOf(await collectAll(store, mint, maxt, ms));
            compared += want.size;
            assert.deepEqual(got, want, `query ${ms.map(String).join(',')} [${a}, ${a + len}]`);
            if (skip) {
              // Series-only selects return the same label sets (series with a chunk in range).
              const q = store.querier(mint, maxt);
              const names: string[] = [];
              for await (const s of q.select({ start: mint, end: maxt, skipChunks: true, func: 'series' }, ms)) names.push(s.labels.toString());
              for (const k of want.keys()) assert.ok(names.includes(k), `series ${k} listed`);
              // limit cuts the merged, sorted stream.
              const lim: string[] = [];
              for await (const s of store.querier(mint, maxt).select({ start: mint, end: maxt, limit: 2 }, ms)) lim.push(s.labels.toString());
              assert.deepEqual(lim, names.slice(0, 2));
            }
          }
          // Labels over the whole span equal the memory store's.
          const all = [Matcher.eq('job', 'a')];
          const qm = mem.querier(T0 - H, T0 + 10 * H);
          const qs = store.querier(T0 - H, T0 + 10 * H);
          assert.deepEqual((await qs.labelNames(all)).values, (await qm.labelNames(all)).values);
          assert.deepEqual((await qs.labelValues('instance', all)).values, (await qm.labelValues('instance', all)).values);
          assert.deepEqual((await qs.labelValues('cluster', [])).values, (await qm.labelValues('cluster', [])).values);
          // Repeating a query is served from the index cache.
          const q0 = queries[0]![0];
          await collectAll(store, T0, T0 + 5 * H, q0);
          const hits = await metricValue(reg, 'thanos_store_index_cache_hits_total', { item_type: 'Series' });
          const before = await metricValue(reg, 'thanos_bucket_store_series_data_fetched', {});
          await collectAll(store, T0, T0 + 5 * H, q0);
          const got0 = await collectAll(store, T0, T0 + 5 * H, q0);
          assert.deepEqual(bitsOf(got0), bitsOf(await collectAll(mem, T0, T0 + 5 * H, q0)));
          if (got0.size > 0) assert.ok((await metricValue(reg, 'thanos_store_index_cache_hits_total', { item_type: 'Series' })) > hits, 'series cache hits');
          assert.ok(Number.isFinite(before) || Number.isNaN(before));
          await store.close();
        },
      ),
      { numRuns: 25 },
    );
    assert.ok(compared > 100, `compared ${compared} non-empty series`);
  } finally {
    await done();
  }
});

test('external labels override series labels; series made equal are chained', async () => {
  const { bkt, scratch, done } = await tmp();
  try {
    const mk = (labels: Record<string, string>, t0: number) => ({
      labels: Labels.fromObject(labels),
      chunks: chunksFromSamples(Array.from({ length: 10 }, (_, k) => ({ t: t0 + k * 1000, v: k }))),
    });
    // Two series differ only by `cluster`, which the block's external label replaces.
    await putBlock(bkt, scratch, [mk({ __name__: 'm', cluster: 'x' }, T0), mk({ __name__: 'm', cluster: 'y' }, T0 + 500), mk({ __name__: 'm', job: 'j' }, T0)], {
      mint: T0,
      maxt: T0 + H,
      thanos: { labels: { cluster: 'c' }, source: 'test' },
    });
    const store = new BucketStore({ bucket: bkt });
    await store.sync();
    const got = await collectAll(store, T0, T0 + H, [Matcher.eq('__name__', 'm')]);
    assert.deepEqual([...got.keys()], ['m{cluster="c"}', 'm{cluster="c", job="j"}']);
    assert.deepEqual(got.get('m{cluster="c"}')!.map((s) => s.t), Array.from({ length: 20 }, (_, i) => T0 + Math.floor(i / 2) * 1000 + (i % 2) * 500));
    // cluster="x" is answered by the external label: nothing.
    assert.equal((await collectAll(store, T0, T0 + H, [Matcher.eq('cluster', 'x')])).size, 0);
  } finally {
    await done();
  }
});
