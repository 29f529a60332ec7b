// Vertical compaction and safety rules of the compactor, in process over a filesystem bucket:
//  - two replica streams (external label replica="a"/"b", scrapes offset by 17s, replica b down for
//    40 minutes) merge into one stream without the replica label, with the penalty algorithm and
//    with chain; counters stay monotonic (no false resets) and the gap is filled from replica a;
//  - overlapping blocks of one stream without --deduplication.replica-label halt
//    (thanos_compact_halted = 1) with a message naming the overlap, and nothing is changed;
//  - a corrupted source block is marked no-compact-mark.json with the reason and skipped, the rest
//    of the group is still compacted;
//  - retention per resolution marks and deletes blocks whose maxTime is older than the retention.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemBucket } from '../src/objstore/filesystem.ts';
import { Compactor, HaltError } from '../src/compact/compactor.ts';
import { fetchBucketState } from '../src/compact/syncer.ts';
import { NO_COMPACT_MARK_FILENAME, NO_DOWNSAMPLE_MARK_FILENAME } from '../src/compact/markers.ts';
import { uploadBlock } from '../src/compact/blockio.ts';
import { writeBlock } from '../src/tsdb/block/writer.ts';
import { Labels } from '../src/labels/labels.ts';
import { counterSeries, D, decodeXOR, gaugeSeries, H, MIN, putSyntheticBlock, servedSeries, synthSamples, xorChunks } from '../src/compact/testutil.ts';

const SCRATCH = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const T0 = 1400 * 14 * D;

async function withBucket(prefix: string, fn: (bkt: FilesystemBucket, root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(SCRATCH, `strata-${prefix}-`));
  try {
    await fn(new FilesystemBucket(join(root, 'bucket')), root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const counter = counterSeries({ __name__: 'requests_total', job: 'api' }, 5, 0);
const gauge = gaugeSeries({ __name__: 'queue_depth', job: 'api' }, 5 * H);

for (const func of ['penalty', 'chain'] as const) {
  test(`two replica streams merge into one without the replica label (${func}); counters stay monotonic`, async () => {
    await withBucket(`dedup-${func}`, async (bkt, root) => {
      const gap: [number, number] = [T0 + 3 * H, T0 + 3 * H + 40 * MIN];
      for (let t = T0; t < T0 + 10 * H; t += 2 * H) {
        await putSyntheticBlock(bkt, { mint: t, maxt: t + 2 * H, ext: { cluster: 'c1', replica: 'a' }, series: [counter, gauge], step: 30_000, offset: 0 });
        await putSyntheticBlock(bkt, { mint: t, maxt: t + 2 * H, ext: { cluster: 'c1', replica: 'b' }, series: [counter, gauge], step: 30_000, offset: 17_000, gaps: [gap] });
      }
      const c = new Compactor({ bucket: bkt, dataDir: join(root, 'data'), consistencyDelay: 0, deleteDelay: 0, replicaLabels: ['replica'], dedupFunc: func, downsamplingDisabled: true });
      await c.runOnce();
      const served = await servedSeries(bkt, 0);
      for (const m of served.blocks) assert.deepEqual(m.thanos!.labels, { cluster: 'c1' }, 'replica label removed from the stream');
      // Vertical compaction merged overlapping pairs; leveled compaction then made an 8h block.
      assert.deepEqual(served.blocks.map((m) => [(m.minTime - T0) / H, (m.maxTime - T0) / H]), [[0, 8], [8, 10]]);
      const keys = [...served.series.keys()].sort();
      assert.deepEqual(keys, ['queue_depth{cluster="c1", job="api"}', 'requests_total{cluster="c1", job="api"}']);
      const samples = decodeXOR(served.series.get(keys[1]!)!.chunks);
      for (let i = 1; i < samples.length; i++) {
        assert.ok(samples[i]!.t > samples[i - 1]!.t, `timestamps strictly increase at ${i}`);
        assert.ok(samples[i]!.v >= samples[i - 1]!.v, `counter decreased at ${samples[i]!.t}: ${samples[i - 1]!.v} → ${samples[i]!.v}`);
      }
      // Every merged sample is a real sample of one of the replicas, and the gap is covered by a.
      const a = synthSamples(counter, { mint: T0, maxt: T0 + 10 * H, step: 30_000, offset: 0 });
      const b = synthSamples(counter, { mint: T0, maxt: T0 + 10 * H, step: 30_000, offset: 17_000, gaps: [gap] });
      const real = new Map<number, number>([...a, ...b].map((s) => [s.t, s.v]));
      for (const s of samples) assert.equal(s.v, real.get(s.t), `sample at ${s.t} not from a replica`);
      const inGap = samples.filter((s) => s.t >= gap[0] && s.t < gap[1]);
      assert.equal(inGap.length, 80, 'the 40 minutes replica b missed come from replica a');
      if (func === 'chain') {
        assert.equal(samples.length, a.length + b.length, 'chain keeps every sample of both replicas');
      } else {
        // Penalty follows one replica and switches only across gaps: about one replica's worth.
        // (Like Thanos, overlapping chunks are merged per run of overlapping chunks, with the
        // penalty state starting afresh for each run, so a few samples of the other replica
        // appear where runs begin: allow 2%.)
        assert.ok(samples.length >= a.length && samples.length <= a.length * 1.02, `penalty kept ${samples.length} of ${a.length} + ${b.length}`);
      }
      assert.equal(c.registry.getSingleMetric('thanos_compact_halted') !== undefined, true);
      const vc = (await c.registry.getSingleMetricAsString('thanos_compact_group_vertical_compactions_total'));
      assert.match(vc, /thanos_compact_group_vertical_compactions_total\{group="0@\d+"\} [1-9]/);
    });
  });
}

test('overlapping blocks of one stream without replica labels halt with a clear message', async () => {
  await withBucket('halt', async (bkt, root) => {
    const ext = { cluster: 'c1' };
    await putSyntheticBlock(bkt, { mint: T0, maxt: T0 + 2 * H, ext, series: [counter], step: MIN });
    await putSyntheticBlock(bkt, { mint: T0 + H, maxt: T0 + 3 * H, ext, series: [gauge], step: MIN });
    const before = [...(await fetchBucketState(bkt)).metas.keys()].sort();
    const c = new Compactor({ bucket: bkt, dataDir: join(root, 'data'), consistencyDelay: 0, deleteDelay: 0 });
    await assert.rejects(c.runOnce(), (e: Error) => e instanceof HaltError && /overlaps found/.test(e.message) && /deduplication\.replica-label/.test(e.message));
    assert.equal(c.halted, true);
    assert.match(await c.registry.getSingleMetricAsString('thanos_compact_halted'), /thanos_compact_halted 1/);
    const st = await fetchBucketState(bkt);
    assert.deepEqual([...st.metas.keys()].sort(), before);
    assert.equal(st.deletionMarks.size, 0);
    await assert.rejects(c.runOnce(), HaltError, 'a halted compactor does no more work');
  });
});

test('a corrupted source block is marked no-compact with the reason and skipped', async () => {
  await withBucket('corrupt', async (bkt, root) => {
    const ext = { cluster: 'c1' };
    const ids: string[] = [];
    for (let t = T0; t < T0 + 10 * H; t += 2 * H) ids.push((await putSyntheticBlock(bkt, { mint: t, maxt: t + 2 * H, ext, series: [counter, gauge], step: MIN })).ulid);
    // Flip a byte inside the first chunk's data of block 2 (CRC mismatch).
    const f = await open(join(bkt.rootDir, ids[1]!, 'chunks', '000001'), 'r+');
    const buf = Buffer.alloc(1);
    await f.read(buf, 0, 1, 20);
    buf[0] = buf[0]! ^ 0xff;
    await f.write(buf, 0, 1, 20);
    await f.close();
    const c = new Compactor({ bucket: bkt, dataDir: join(root, 'data'), consistencyDelay: 0, deleteDelay: 0, downsamplingDisabled: true });
    await c.runOnce();
    assert.equal(c.halted, false);
    const mark = JSON.parse(await readFile(join(bkt.rootDir, ids[1]!, NO_COMPACT_MARK_FILENAME), 'utf8')) as Record<string, unknown>;
    assert.equal(mark.id, ids[1]);
    assert.equal(mark.version, 1);
    assert.equal(mark.reason, 'corrupted-block');
    assert.match(String(mark.details), /checksum/);
    assert.equal(typeof mark.no_compact_time, 'number');
    // The planner then leaves the marked block out without gaps: [0,2h) alone, [4h,8h) compacted.
    const st = await fetchBucketState(bkt);
    const live = [...st.metas.values()].filter((m) => !st.deletionMarks.has(m.ulid)).sort((a, b) => a.minTime - b.minTime);
    assert.deepEqual(live.map((m) => [(m.minTime - T0) / H, (m.maxTime - T0) / H, m.compaction.level]), [[0, 2, 1], [2, 4, 1], [4, 8, 2], [8, 10, 1]]);
    assert.ok(st.metas.has(ids[1]!), 'the corrupted block is kept for inspection');
    assert.match(await c.registry.getSingleMetricAsString('thanos_compact_blocks_marked_total'), /marker="no-compact-mark.json",reason="corrupted-block"\} 1/);
  });
});

test('retention by resolution marks and deletes old blocks; 0 keeps forever', async () => {
  await withBucket('retention', async (bkt, root) => {
    const now = T0 + 40 * D;
    const old = await putSyntheticBlock(bkt, { mint: T0, maxt: T0 + 2 * H, ext: { r: '1' }, series: [gauge], step: MIN });
    const young = await putSyntheticBlock(bkt, { mint: T0 + 35 * D, maxt: T0 + 35 * D + 2 * H, ext: { r: '2' }, series: [gauge], step: MIN });
    const c = new Compactor({ bucket: bkt, dataDir: join(root, 'data'), consistencyDelay: 0, deleteDelay: 0, retention: { raw: 30 * D }, now: () => now });
    await c.runOnce();
    const st = await fetchBucketState(bkt);
    assert.deepEqual([...st.metas.keys()], [young.ulid]);
    assert.ok(!(await bkt.exists(`${old.ulid}/index`)));
    const keep = new Compactor({ bucket: bkt, dataDir: join(root, 'data'), consistencyDelay: 0, deleteDelay: 0, retention: { raw: 0 }, now: () => now + 365 * D });
    await keep.runOnce();
    assert.deepEqual([...(await fetchBucketState(bkt)).metas.keys()], [young.ulid]);
  });
});

test('consistency delay: fresh blocks are not touched; delete delay keeps marked blocks', async () => {
  await withBucket('delays', async (bkt, root) => {
    const ext = { cluster: 'c1' };
    for (let t = T0; t < T0 + 10 * H; t += 2 * H) await putSyntheticBlock(bkt, { mint: t, maxt: t + 2 * H, ext, series: [gauge], step: MIN });
    const fresh = new Compactor({ bucket: bkt, dataDir: join(root, 'data'), consistencyDelay: 30 * MIN, deleteDelay: 0 });
    await fresh.runOnce();
    assert.equal((await fetchBucketState(bkt)).metas.size, 5, 'blocks younger than the consistency delay are left alone');
    const c = new Compactor({ bucket: bkt, dataDir: join(root, 'data'), consistencyDelay: 0, deleteDelay: 48 * H });
    await c.runOnce();
    const st = await fetchBucketState(bkt);
    assert.equal(st.metas.size, 6, 'sources stay until the delete delay passes');
    assert.equal(st.deletionMarks.size, 4);
    for (const m of st.deletionMarks.values()) assert.ok(Math.abs(m.deletion_time - Date.now() / 1000) < 120, 'deletion_time is Unix seconds');
    const later = new Compactor({ bucket: bkt, dataDir: join(root, 'data'), consistencyDelay: 0, deleteDelay: 48 * H, now: () => Date.now() + 49 * H });
    await later.runOnce();
    assert.equal((await fetchBucketState(bkt)).metas.size, 2);
  });
});

test('a raw block with chunks we cannot downsample (native histograms) is marked no-downsample, not retried', async () => {
  await withBucket('nodownsample', async (bkt, root) => {
    const dir = join(root, 'local');
    // A 48h block (eligible for 5m) with one float series and one series whose chunk is encoding 2.
    const float = xorChunks(synthSamples(gauge, { mint: T0, maxt: T0 + 48 * H, step: 10 * MIN }));
    const hist = { minTime: T0, maxTime: T0 + MIN, encoding: 2, data: new Uint8Array([0, 1, 0, 0, 0]) };
    const meta = await writeBlock(
      [
        { labels: Labels.fromObject({ __name__: 'a_histogram' }), chunks: [hist] },
        { labels: Labels.fromObject({ __name__: 'queue_depth', job: 'api' }), chunks: float },
      ],
      { dir, mint: T0, maxt: T0 + 48 * H, thanos: { labels: { cluster: 'h' }, source: 'receive' } },
    );
    await uploadBlock(bkt, join(dir, meta.ulid), meta.ulid);
    const c = new Compactor({ bucket: bkt, dataDir: join(root, 'data'), consistencyDelay: 0, deleteDelay: 0 });
    await c.runOnce();
    const mark = JSON.parse(await readFile(join(bkt.rootDir, meta.ulid, NO_DOWNSAMPLE_MARK_FILENAME), 'utf8')) as Record<string, unknown>;
    assert.equal(mark.reason, 'unsupported-chunk-encoding');
    assert.equal(typeof mark.no_downsample_time, 'number');
    await c.runOnce();
    const st = await fetchBucketState(bkt);
    assert.deepEqual([...st.metas.keys()], [meta.ulid], 'no downsampled block, raw block kept');
    assert.match(await c.registry.getSingleMetricAsString('thanos_compact_downsample_failures_total'), /\{group="0@\d+"\} 1$/m);
  });
});
