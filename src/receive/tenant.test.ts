// TenantTSDB lifecycle in process: cuts, WAL checkpoint/truncation, crash between block write and
// WAL truncation, retention rules (never an unshipped block), shipping retry, queries holding a
// block across its deletion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels } from '../labels/labels.ts';
import { FilesystemBucket } from '../objstore/filesystem.ts';
import type { Bucket, PutBody } from '../objstore/bucket.ts';
import { nopLogger } from '../observability/logger.ts';
import { ValueType, type Queryable } from '../storage/interfaces.ts';
import { TenantTSDB, type TenantOptions } from './tenant.ts';

const BD = 10_000;
const EXT = Labels.fromObject({ replica: 'r1', tenant_id: 't1' });

function opts(dir: string, o: Partial<TenantOptions> = {}): TenantOptions {
  return {
    id: 't1',
    dir,
    externalLabels: EXT,
    blockDuration: BD,
    walFsync: false,
    logger: nopLogger,
    bucket: null,
    retention: 0,
    retentionWithoutBucket: false,
    ...o,
  };
}

/** 5 series, one sample per second over n seconds from t0, committed in batches of 5 s. */
async function fill(t: TenantTSDB, t0: number, n: number, from = 0): Promise<number> {
  let count = 0;
  for (let k = from; k < n; k += 5) {
    const app = t.head.appender();
    for (let s = 0; s < 5; s++) {
      for (let j = k; j < Math.min(n, k + 5); j++) {
        app.append(0, Labels.fromObject({ __name__: 'm', s: String(s) }), t0 + j * 1000, s * 1000 + j);
        count++;
      }
    }
    await app.commit();
  }
  return count;
}

/** All samples visible through a queryable: per series, [t, v] sorted. */
async function samplesOf(q: Queryable, mint = -1e15, maxt = 1e15): Promise<Map<string, [number, number][]>> {
  const out = new Map<string, [number, number][]>();
  const qr = q.querier(mint, maxt);
  for await (const s of qr.select({ start: mint, end: maxt }, [])) {
    const l: [number, number][] = [];
    const it = s.iterator();
    while (it.next() === ValueType.Float) l.push([it.t, it.v]);
    out.set(s.labels.toString(), l);
  }
  qr.close();
  return out;
}

function count(m: Map<string, [number, number][]>): number {
  let n = 0;
  for (const l of m.values()) n += l.length;
  return n;
}

test('cut: aligned windows while the head spans > 1.5 block durations; WAL checkpointed and truncated', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-tenant-'));
  try {
    const t = await TenantTSDB.open(opts(dir));
    const t0 = 1_700_000_003_000; // 3 s into a 10 s window
    const sent = await fill(t, t0, 60);
    assert.ok(t.compactable());
    const metas = await t.compact();
    // Head spans [t0, t0+59s]: windows are cut until maxT - minT <= 15 s.
    const w0 = Math.floor(t0 / BD) * BD;
    assert.deepEqual(
      metas.map((m) => [m.minTime, m.maxTime]),
      [0, 1, 2, 3, 4].map((i) => [w0 + i * BD, w0 + (i + 1) * BD]),
    );
    assert.ok(!t.compactable());
    assert.equal(t.head.minTime(), w0 + 5 * BD);
    assert.equal(t.head.minValidTime, w0 + 5 * BD);
    for (const m of metas) {
      assert.deepEqual(m.thanos?.labels, { replica: 'r1', tenant_id: 't1' });
      assert.equal(m.thanos?.source, 'receive');
      assert.equal(m.compaction.level, 1);
    }
    const all = await samplesOf(t.queryable);
    assert.equal(count(all), sent, 'head + blocks hold every sample once');
    const wal = await readdir(join(dir, 'wal'));
    assert.ok(wal.some((n) => n.startsWith('checkpoint.')), `checkpoint written: ${wal.join(',')}`);
    await t.close();

    // Reopen: the WAL replays only what is still in the head.
    const t2 = await TenantTSDB.open(opts(dir));
    assert.equal(t2.blockMetas().length, 5);
    assert.equal(t2.head.minTime(), w0 + 5 * BD);
    assert.equal(count(await samplesOf(t2.head)), sent - metas.reduce((n, m) => n + m.stats.numSamples!, 0));
    assert.deepEqual(await samplesOf(t2.queryable), all);
    // Flush: the whole head becomes one block [minT, maxT+1); the head and WAL are empty afterwards.
    const f = await t2.flush();
    assert.deepEqual([f!.minTime, f!.maxTime], [w0 + 5 * BD, t0 + 59_000 + 1]);
    assert.equal(t2.head.stats().numSamples, 0);
    await t2.close();
    const t3 = await TenantTSDB.open(opts(dir));
    assert.equal(t3.head.numSeries(), 0, 'nothing replayed after a flush');
    assert.equal(t3.head.minValidTime, t0 + 59_000 + 1);
    assert.deepEqual(await samplesOf(t3.queryable), all);
    assert.equal(await t3.flush(), null);
    // New data after the unaligned flushed block: the next cut starts where that block ended.
    await fill(t3, t0, 100, 60);
    const next = await t3.compact();
    assert.deepEqual([next[0]!.minTime, next[0]!.maxTime], [t0 + 59_000 + 1, w0 + 7 * BD]);
    for (let i = 1; i < next.length; i++) assert.deepEqual([next[i]!.minTime, next[i]!.maxTime], [w0 + (6 + i) * BD, w0 + (7 + i) * BD]);
    const metas3 = t3.blockMetas();
    for (let i = 1; i < metas3.length; i++) assert.ok(metas3[i]!.minTime >= metas3[i - 1]!.maxTime, 'blocks do not overlap');
    await t3.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('crash after the block write, before WAL truncation: no loss, no duplicates, no overlapping blocks', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-tenant-crash-'));
  try {
    const t = await TenantTSDB.open(opts(dir));
    const t0 = 1_700_000_000_500;
    const sent = await fill(t, t0, 50);
    await t.head.walHandle()!.log([]);
    // The WAL as it is before the cut = the state a crash right after writeBlock leaves behind.
    await cp(join(dir, 'wal'), join(dir, 'wal.before'), { recursive: true });
    const cut = await t.compact();
    assert.ok(cut.length >= 2);
    await t.close();
    await rm(join(dir, 'wal'), { recursive: true });
    await cp(join(dir, 'wal.before'), join(dir, 'wal'), { recursive: true });
    await rm(join(dir, 'wal.before'), { recursive: true });

    const t2 = await TenantTSDB.open(opts(dir));
    const lastMax = Math.max(...cut.map((m) => m.maxTime));
    assert.ok(t2.head.minTime() >= lastMax, 'replayed samples already in blocks were dropped');
    const headN = count(await samplesOf(t2.head));
    const blockN = cut.reduce((n, m) => n + m.stats.numSamples!, 0);
    assert.equal(headN + blockN, sent, 'head and blocks together hold each sample exactly once');
    // New data keeps flowing; cuts and the final flush never overlap the earlier blocks.
    const more = await fill(t2, t0, 80, 50);
    await t2.compact();
    await t2.flush();
    const metas = t2.blockMetas();
    for (let i = 1; i < metas.length; i++) assert.ok(metas[i]!.minTime >= metas[i - 1]!.maxTime, 'blocks do not overlap');
    assert.equal(
      metas.reduce((n, m) => n + m.stats.numSamples!, 0),
      sent + more,
    );
    await t2.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** Filesystem bucket whose puts fail while `failing` is set. */
function flakyBucket(inner: Bucket): Bucket & { failing: boolean; puts: number } {
  const b = Object.create(inner) as Bucket & { failing: boolean; puts: number };
  b.failing = false;
  b.puts = 0;
  b.put = async (k: string, body: PutBody) => {
    b.puts++;
    if (b.failing) throw new Error(`injected failure putting ${k}`);
    return inner.put(k, body);
  };
  return b;
}

test('retention: uploaded and old enough only; an unshipped block is never deleted; failed uploads are retried', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-tenant-ret-'));
  const inner = new FilesystemBucket(join(dir, 'bucket'));
  const bkt = flakyBucket(inner);
  const tdir = join(dir, 't1');
  try {
    await mkdir(tdir, { recursive: true });
    const t = await TenantTSDB.open(opts(tdir, { bucket: bkt, retention: 60_000 }));
    const t0 = 1_700_000_000_000;
    await fill(t, t0, 40);
    bkt.failing = true;
    const cut = await t.compact();
    assert.ok(cut.length >= 2);
    await t.ship(); // fails; a retry is scheduled with backoff
    assert.equal((await t.shipper!.uploaded()).size, 0);
    // Long past retention, but not shipped: kept.
    assert.deepEqual(await t.applyRetention(t0 + 10 * 3_600_000), []);
    assert.equal(t.blockMetas().length, cut.length);
    // The bucket recovers; the scheduled retry (first backoff 1 s) uploads everything.
    bkt.failing = false;
    const deadline = Date.now() + 10_000;
    while ((await t.shipper!.uploaded()).size < cut.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await t.shipper!.uploaded()).size, cut.length, 'retried upload succeeded');
    for (const m of cut) assert.ok(await inner.exists(`${m.ulid}/meta.json`));

    // Shipped but younger than the retention: kept.
    assert.deepEqual(await t.applyRetention(cut[0]!.maxTime + 30_000), []);
    // A query holds the oldest block while retention deletes it: files go when the querier closes.
    const q = t.queryable.querier(-1e15, 1e15);
    const deleted = await t.applyRetention(cut[0]!.maxTime + 60_001);
    assert.deepEqual(deleted, [cut[0]!.ulid]);
    assert.equal(t.blockMetas().length, cut.length - 1);
    let n = 0;
    for await (const s of q.select({ start: -1e15, end: 1e15 }, [])) {
      const it = s.iterator();
      while (it.next() === ValueType.Float) n++;
    }
    assert.ok(n > 0);
    assert.ok(await stat(join(tdir, cut[0]!.ulid)).then(() => true), 'block dir kept while queried');
    q.close();
    // The deletion runs asynchronously after the close: poll (a fixed 50 ms sleep flaked under load).
    const gone = Date.now() + 10_000;
    while (Date.now() < gone && (await stat(join(tdir, cut[0]!.ulid)).then(() => true, () => false))) await new Promise((r) => setTimeout(r, 20));
    await assert.rejects(stat(join(tdir, cut[0]!.ulid)), /ENOENT/);
    await t.close();
  } finally {
    await inner.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('retention without a bucket applies only when configured', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-tenant-nobkt-'));
  try {
    const t = await TenantTSDB.open(opts(dir, { retention: 60_000 }));
    const t0 = 1_700_000_000_000;
    await fill(t, t0, 40);
    const cut = await t.compact();
    assert.deepEqual(await t.applyRetention(t0 + 10 * 3_600_000), [], 'kept: retention not configured explicitly');
    await t.close();
    const t2 = await TenantTSDB.open(opts(dir, { retention: 60_000, retentionWithoutBucket: true }));
    const gone = await t2.applyRetention(cut[0]!.maxTime + 60_001);
    assert.deepEqual(gone, [cut[0]!.ulid]);
    await t2.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
