// The store gateway over downsampled blocks: Thanos' block choice per max_resolution_window
// (bucketBlockSet.getFor), and what a select of 5m data yields in process and over the StoreAPI —
// the aggregate the PromQL function needs, with counter resets carried across block and
// resolution boundaries. Expected values are computed from the raw samples by the definitions of
// Thanos' aggregates (specs §7), never from our reader's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Labels } from '../labels/labels.ts';
import { Matcher } from '../labels/matcher.ts';
import { FilesystemBucket } from '../objstore/filesystem.ts';
import { ValueType, type ChunkMeta, type Queryable, type SelectHints } from '../storage/interfaces.ts';
import { chunksFromSamples, type Sample } from '../tsdb/block/testutil.ts';
import { downsampleSeries } from '../compact/downsample/downsample.ts';
import { RES_LEVEL1, RES_LEVEL2 } from '../compact/downsample/aggr.ts';
import { StoreServer } from '../storeapi/server.ts';
import { StoreClient } from '../storeapi/client.ts';
import { BucketStore, blocksForResolution, type ResolutionBlock } from './bucket-store.ts';
import { putBlock } from './testutil.ts';
import { ProxyQueryable } from '../query/proxy.ts';

const MIN = 60_000;
const H = 60 * MIN;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % (24 * H));

interface B extends ResolutionBlock {
  name: string;
}
const blk = (name: string, resolution: number, minH: number, maxH: number): B => ({ name, resolution, meta: { minTime: minH * H, maxTime: maxH * H } });

test('block choice (Thanos getFor): coarsest resolution within max_resolution_window, gaps filled by finer ones, raw only at 0', () => {
  const blocks: B[] = [
    blk('R5', 0, 16, 20),
    blk('R1', 0, 0, 4),
    blk('R2', 0, 4, 8),
    blk('R3', 0, 8, 12),
    blk('R4', 0, 12, 16),
    blk('B', RES_LEVEL1, 0, 6),
    blk('C', RES_LEVEL1, 10, 16),
    blk('A', RES_LEVEL2, 0, 10),
  ];
  const names = (mint: number, maxt: number, maxRes: number): string[] => blocksForResolution(blocks, mint * H, maxt * H - 1, maxRes).map((b) => b.name);
  // Raw requests read raw blocks only, although downsampled ones cover the range.
  assert.deepEqual(names(0, 20, 0), ['R1', 'R2', 'R3', 'R4', 'R5']);
  assert.deepEqual(names(5, 10, 0), ['R2', 'R3']);
  // A window below 5m still means raw.
  assert.deepEqual(names(0, 20, RES_LEVEL1 - 1), ['R1', 'R2', 'R3', 'R4', 'R5']);
  // 5m where there are 5m blocks; the gap [6h, 10h) and the tail [16h, 20h) from raw blocks.
  assert.deepEqual(names(0, 20, RES_LEVEL1), ['B', 'R2', 'R3', 'C', 'R5']);
  assert.deepEqual(names(0, 20, RES_LEVEL2 - 1), ['B', 'R2', 'R3', 'C', 'R5']);
  // 1h first; [10h, 16h) from 5m, [16h, 20h) from raw.
  assert.deepEqual(names(0, 20, RES_LEVEL2), ['A', 'C', 'R5']);
  assert.deepEqual(names(0, 20, 24 * H), ['A', 'C', 'R5']);
  // Only the part of the range that is asked for.
  assert.deepEqual(names(12, 20, RES_LEVEL2), ['C', 'R5']);
  assert.deepEqual(names(0, 3, RES_LEVEL2), ['A']);
  assert.deepEqual(names(17, 18, RES_LEVEL2), ['R5']);
  // No raw blocks at all: a raw request finds nothing; a 5m one still finds the 5m blocks.
  const noRaw = blocks.filter((b) => b.resolution > 0);
  assert.deepEqual(blocksForResolution(noRaw, 0, 20 * H, 0), []);
  assert.deepEqual(blocksForResolution(noRaw, 0, 20 * H, RES_LEVEL1).map((b) => b.name), ['B', 'C']);
  // Overlapping blocks of one resolution are all read.
  const overlapping = [blk('X', 0, 0, 4), blk('Y', 0, 2, 6)];
  assert.deepEqual(blocksForResolution(overlapping, 0, 6 * H, RES_LEVEL2).map((b) => b.name), ['X', 'Y']);
});

/** A counter scraped every minute at +7s, +3 per scrape, reset to 0 at `resets` (ms). */
function counter(from: number, to: number, resets: readonly number[]): Sample[] {
  const out: Sample[] = [];
  let v = 0;
  for (let t = from + 7_000; t < to; t += MIN) {
    if (resets.some((r) => t >= r && t - MIN < r)) v = 0;
    v += 3;
    out.push({ t, v });
  }
  return out;
}

function gauge(from: number, to: number): Sample[] {
  const out: Sample[] = [];
  for (let t = from + 7_000; t < to; t += MIN) out.push({ t, v: Math.round(100 * Math.sin(t / (37 * MIN))) / 4 });
  return out;
}

/** Reset-adjusted running totals of raw counter samples (Prometheus/Thanos counter semantics). */
function adjusted(s: readonly Sample[]): Sample[] {
  const out: Sample[] = [];
  let total = 0;
  for (let i = 0; i < s.length; i++) {
    if (i === 0) total = s[0]!.v;
    else total += s[i]!.v >= s[i - 1]!.v ? s[i]!.v - s[i - 1]!.v : s[i]!.v;
    out.push({ t: s[i]!.t, v: total });
  }
  return out;
}

/** Per-window aggregate of one batch of raw samples at Thanos' window-end timestamps (t − t%res + res − 1, clamped to the batch's last sample). */
function batchWindows(s: readonly Sample[], res: number, f: (vs: number[]) => number): Sample[] {
  const out: Sample[] = [];
  let i = 0;
  while (i < s.length) {
    const w = s[i]!.t - (s[i]!.t % res);
    const vs: number[] = [];
    let last = s[i]!.t;
    while (i < s.length && s[i]!.t - (s[i]!.t % res) === w) {
      vs.push(s[i]!.v);
      last = s[i]!.t;
      i++;
    }
    out.push({ t: i === s.length ? last : w + res - 1, v: f(vs) });
  }
  return out;
}

/**
 * Per-window aggregates the way Thanos' downsampler cuts them: raw samples in batches (one batch per
 * aggregate chunk, ending at the chunk's last raw sample = its maxTime), windows per batch.
 */
function windows(s: readonly Sample[], res: number, f: (vs: number[]) => number, chunks: readonly ChunkMeta[]): Sample[] {
  const out: Sample[] = [];
  let prev = -Infinity;
  for (const ch of chunks) {
    out.push(...batchWindows(s.filter((x) => x.t > prev && x.t <= ch.maxTime), res, f));
    prev = ch.maxTime;
  }
  return out;
}

async function select(q: Queryable, hints: Omit<SelectHints, 'start' | 'end'>, start: number, end: number, name: string): Promise<Map<string, Sample[]>> {
  const out = new Map<string, Sample[]>();
  const querier = q.querier(start, end);
  try {
    for await (const s of querier.select({ start, end, ...hints }, [Matcher.eq('__name__', name)])) {
      const it = s.iterator();
      const samples: Sample[] = [];
      while (it.next() === ValueType.Float) samples.push({ t: it.t, v: it.v });
      assert.equal(it.err(), null);
      assert.equal(s.labels.get('cluster'), 'eu1');
      out.set(s.labels.get('__name__'), samples);
    }
  } finally {
    querier.close();
  }
  return out;
}

async function blocksQueried(reg: Registry, res: number): Promise<number> {
  const m = (await reg.getMetricsAsJSON()).find((x) => x.name === 'strata_bucket_store_series_blocks_queried_total');
  const v = (m?.values as { value: number; labels: Record<string, string> }[] | undefined)?.find((x) => x.labels.resolution === String(res));
  return v?.value ?? 0;
}

test('bucket store serves 5m blocks: aggregate per function, counter resets across block and resolution boundaries, same over the StoreAPI', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-store-ds-'));
  const bkt = new FilesystemBucket(join(dir, 'bucket'));
  const scratch = join(dir, 'scratch');
  const ext = { cluster: 'eu1' };
  // Day 1 and day 2 as raw blocks; day 1 also as a 5m block (day 2 has none: raw fills that gap).
  // Resets: inside day 1, exactly at the first scrape of day 2 (the resolution boundary).
  const d1 = T0;
  const d2 = T0 + 24 * H;
  const d3 = T0 + 48 * H;
  const c = counter(d1, d3, [d1 + 5 * H + 30 * MIN, d2]);
  const g = gauge(d1, d3);
  const cl = Labels.fromObject({ __name__: 'c_total' });
  const gl = Labels.fromObject({ __name__: 'g' });
  const part = (s: Sample[], from: number, to: number): Sample[] => s.filter((x) => x.t >= from && x.t < to);
  const registry = new Registry();
  let server: StoreServer | null = null;
  let client: StoreClient | null = null;
  const store = new BucketStore({ bucket: bkt, registry, metaCacheDir: join(dir, 'meta') });
  let cDown: ChunkMeta[] = [];
  let gDown: ChunkMeta[] = [];
  try {
    for (const [from, to] of [[d1, d2], [d2, d3]] as const) {
      const series = [
        { labels: cl, chunks: chunksFromSamples(part(c, from, to)) },
        { labels: gl, chunks: chunksFromSamples(part(g, from, to)) },
      ];
      await putBlock(bkt, scratch, series, { mint: from, maxt: to, thanos: { labels: ext, source: 'test' } });
      if (from === d1) {
        const ds = series.map((s) => ({ labels: s.labels, chunks: downsampleSeries(s.chunks, 0, RES_LEVEL1) }));
        cDown = ds[0]!.chunks;
        gDown = ds[1]!.chunks;
        await putBlock(bkt, scratch, ds, { mint: from, maxt: to, thanos: { labels: ext, source: 'compactor', resolution: RES_LEVEL1 } });
      }
    }
    await store.sync();
    assert.equal(store.loadedBlocks().length, 3);
    const ck = 'c_total';
    const gk = 'g';

    // Raw (max resolution 0): exactly the raw samples, the 5m block is not read.
    const raw = await select(store, { func: 'rate' }, d1, d3 - 1, 'c_total');
    assert.deepEqual(raw.get(ck), c);
    assert.equal(await blocksQueried(registry, RES_LEVEL1), 0);
    assert.equal(await blocksQueried(registry, 0), 2);

    // rate/increase → counter aggregate: day 1 from the 5m block, equal at every window end to the
    // reset-adjusted raw total up to the window's last sample; day 2 raw, continuing the totals
    // across the boundary (the reset at the first raw sample of day 2 adds its value, not less).
    const adj = adjusted(c);
    const adjAt = new Map(adj.map((x) => [x.t, x.v]));
    const day1Windows = windows(part(c, d1, d2), RES_LEVEL1, (vs) => vs[vs.length - 1]!, cDown);
    const lastIn = (t: number): number => {
      let best = NaN;
      for (const x of adj) if (x.t <= t) best = x.v;
      return best;
    };
    // Each aggregate chunk's counter entry opens with the chunk's first raw sample (specs §7), so
    // those raw timestamps appear too (chunk boundaries as the downsampler cut them).
    const stamps = new Set(day1Windows.map((w) => w.t));
    let prevMax = -Infinity;
    for (const ch of cDown) {
      stamps.add(c.find((x) => x.t > prevMax)!.t);
      prevMax = ch.maxTime;
    }
    const wantCounter: Sample[] = [...stamps].sort((x, y) => x - y).map((t) => ({ t, v: lastIn(t) }));
    for (const x of part(c, d2, d3)) wantCounter.push({ t: x.t, v: adjAt.get(x.t)! });
    for (const func of ['rate', 'increase', 'irate', 'resets']) {
      const got = await select(store, { func, maxResolution: RES_LEVEL1 }, d1, d3 - 1, 'c_total');
      assert.deepEqual(got.get(ck), wantCounter, func);
    }
    assert.ok((await blocksQueried(registry, RES_LEVEL1)) >= 4, '5m block read');
    // A narrower range: the store sends only the chunks overlapping it, so the totals start at the
    // first of those (as in Thanos); they differ from the full-range ones by a constant, which
    // rate/increase do not see — resets inside and at the boundary are still carried over.
    const mid = (await select(store, { func: 'rate', maxResolution: RES_LEVEL1 }, d2 - H, d2 + H, 'c_total')).get(ck)!;
    const full = wantCounter.filter((x) => x.t >= d2 - H && x.t <= d2 + H);
    assert.deepEqual(mid.map((x) => x.t), full.map((x) => x.t));
    const offset = full[0]!.v - mid[0]!.v;
    for (let i = 0; i < mid.length; i++) assert.equal(full[i]!.v - mid[i]!.v, offset, `sample ${i}`);

    // *_over_time → that aggregate per 5m window on day 1, raw samples on day 2.
    const day2g = part(g, d2, d3);
    const cases: [string, (vs: number[]) => number][] = [
      ['max_over_time', (vs) => Math.max(...vs)],
      ['min_over_time', (vs) => Math.min(...vs)],
      ['sum_over_time', (vs) => vs.reduce((a, b) => a + b, 0)],
      ['count_over_time', (vs) => vs.length],
      ['avg_over_time', (vs) => vs.reduce((a, b) => a + b, 0) / vs.length],
      ['', (vs) => vs.reduce((a, b) => a + b, 0) / vs.length],
    ];
    for (const [func, f] of cases) {
      const want = [...windows(part(g, d1, d2), RES_LEVEL1, f, gDown), ...day2g];
      const got = (await select(store, { func: func || undefined, maxResolution: RES_LEVEL2 }, d1, d3 - 1, 'g')).get(gk)!;
      assert.equal(got.length, want.length, func);
      for (let i = 0; i < want.length; i++) {
        assert.equal(got[i]!.t, want[i]!.t, `${func} #${i}`);
        assert.ok(Math.abs(got[i]!.v - want[i]!.v) <= 1e-9 * Math.max(1, Math.abs(want[i]!.v)), `${func} #${i}: ${got[i]!.v} != ${want[i]!.v}`);
      }
    }

    // The same through a StoreAPI server and client (AggrChunk fields on the wire).
    server = new StoreServer({
      address: '127.0.0.1:0',
      store: { labelSets: () => store.labelSets(), timeRange: () => store.timeRange(), componentType: 'store', queryable: store },
    });
    client = new StoreClient(await server.start());
    const overWire = await select(client, { func: 'rate', maxResolution: RES_LEVEL1 }, d1, d3 - 1, 'c_total');
    assert.deepEqual(overWire.get(ck), wantCounter);
    const maxWire = (await select(client, { func: 'max_over_time', maxResolution: RES_LEVEL1 }, d1, d3 - 1, 'g')).get(gk)!;
    assert.deepEqual(maxWire, [...windows(part(g, d1, d2), RES_LEVEL1, (vs) => Math.max(...vs), gDown), ...day2g]);
    const rawWire = await select(client, { func: 'rate' }, d1, d3 - 1, 'c_total');
    assert.deepEqual(rawWire.get(ck), c);
  } finally {
    client?.close();
    await server?.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('replicas deduplicated over downsampled data: one series without the replica label, no false counter resets, gaps filled', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-store-ds-dedup-'));
  const bkt = new FilesystemBucket(join(dir, 'bucket'));
  const scratch = join(dir, 'scratch');
  const store = new BucketStore({ bucket: bkt, metaCacheDir: join(dir, 'meta') });
  try {
    const from = T0;
    const to = T0 + 24 * H;
    const gapFrom = from + 10 * H;
    const gapTo = from + 12 * H;
    const resets = [from + 3 * H + 30 * MIN, from + 11 * H, from + 17 * H];
    // Two replicas scrape the same counter 30s apart; replica a misses [10h, 12h) (a reset inside).
    const replicas: Record<string, Sample[]> = {
      a: counter(from, to, resets).filter((x) => x.t < gapFrom || x.t >= gapTo),
      b: counter(from + 30_000, to, resets),
    };
    // Max of each replica's raw samples per 5m window (keyed by window start).
    const maxes: Record<string, Map<number, number>> = {};
    for (const [replica, samples] of Object.entries(replicas)) {
      const chunks = downsampleSeries(chunksFromSamples(samples), 0, RES_LEVEL1);
      const m = new Map<number, number>();
      for (const x of samples) {
        const w = x.t - (x.t % RES_LEVEL1);
        m.set(w, Math.max(m.get(w) ?? -Infinity, x.v));
      }
      maxes[replica] = m;
      const series = [{ labels: Labels.fromObject({ __name__: 'c_total' }), chunks }];
      await putBlock(bkt, scratch, series, { mint: from, maxt: to, thanos: { labels: { cluster: 'eu1', replica }, source: 'compactor', resolution: RES_LEVEL1 } });
    }
    await store.sync();
    const tr = store.timeRange();
    const proxy = new ProxyQueryable({
      endpoints: () => [{ name: 'bucket', queryable: store, labelSets: store.labelSets(), minTime: tr.minTime, maxTime: tr.maxTime }],
      replicaLabels: ['replica'],
      maxResolutionMs: RES_LEVEL1,
    });
    const q = proxy.querier(from, to);
    const got: { labels: string; samples: Sample[] }[] = [];
    for await (const s of q.select({ start: from, end: to, func: 'rate' }, [Matcher.eq('__name__', 'c_total')])) {
      const it = s.iterator();
      const samples: Sample[] = [];
      while (it.next() === ValueType.Float) samples.push({ t: it.t, v: it.v });
      assert.equal(it.err(), null);
      got.push({ labels: s.labels.toString(), samples });
    }
    assert.deepEqual(got.map((g) => g.labels), ['c_total{cluster="eu1"}']);
    const out = got[0]!.samples;
    for (let i = 1; i < out.length; i++) {
      assert.ok(out[i]!.t > out[i - 1]!.t, 'timestamps increase');
      assert.ok(out[i]!.v >= out[i - 1]!.v, `no false reset at ${out[i]!.t - from} ms: ${out[i - 1]!.v} → ${out[i]!.v}`);
    }
    // The gap of replica a is covered (by replica b's 5m points).
    assert.ok(out.filter((x) => x.t >= gapFrom && x.t < gapTo).length >= 20, 'gap of replica a filled');
    // Total increase = the true one: 24h of +3 per minute scrape, minus what the resets threw away.
    const truth = adjusted(counter(from, to, resets));
    const inc = out[out.length - 1]!.v - out[0]!.v;
    assert.ok(Math.abs(inc - (truth[truth.length - 1]!.v - truth[0]!.v)) <= 3 * 2, `increase ${inc}`);

    // max_over_time: each deduplicated point is one replica's max over the 5m window holding it.
    const mq = proxy.querier(from, to);
    let n = 0;
    const bad: string[] = [];
    for await (const s of mq.select({ start: from, end: to, func: 'max_over_time' }, [Matcher.eq('__name__', 'c_total')])) {
      const it = s.iterator();
      while (it.next() === ValueType.Float) {
        n++;
        const w = it.t - (it.t % RES_LEVEL1);
        if (maxes.a!.get(w) !== it.v && maxes.b!.get(w) !== it.v) bad.push(`${it.t}: ${it.v}`);
      }
    }
    assert.deepEqual(bad, []);
    assert.ok(n >= 24 * 12 - 3, `${n} deduplicated 5m points`);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
