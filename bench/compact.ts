// Compactor benchmark: merging four 2h blocks of N series (default 100k, 120 samples each, one XOR
// chunk per series per block) into one 8h block, and downsampling the result to 5m.
// Usage: node --import tsx bench/compact.ts [numSeries=100000] [--dir=/path] [--keep]
// Reports, per phase: wall time, samples/s, MiB/s of input block bytes, and the peak RSS seen.
//   merge      — the compaction core: read 4 local blocks, merge series, write the 8h block;
//   pass       — a full Compactor.runOnce over a filesystem bucket (sync, download, merge, upload,
//                mark and delete sources); a fifth, tiny block is the "newest" the planner leaves out;
//   downsample — raw → 5m of the compacted block (aggregate chunks written with writeBlock).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels } from '../src/labels/labels.ts';
import { FilesystemBucket } from '../src/objstore/filesystem.ts';
import type { ChunkMeta } from '../src/storage/interfaces.ts';
import { XORChunk } from '../src/tsdb/chunkenc/xor.ts';
import { BlockReader, blockSize, writeBlock, type BlockSeries } from '../src/tsdb/block/block.ts';
import type { BlockMeta } from '../src/tsdb/block/meta.ts';
import { Compactor } from '../src/compact/compactor.ts';
import { uploadBlock } from '../src/compact/blockio.ts';
import { blockSeries, mergeBlockSeries } from '../src/compact/merge.ts';
import { downsampleSeries } from '../src/compact/downsample/downsample.ts';
import { fetchBucketState } from '../src/compact/syncer.ts';

const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
const keep = args.includes('--keep');
const baseDir = args.find((a) => a.startsWith('--dir='))?.slice(6) ?? tmpdir();
const H2 = 2 * 3_600_000;
const STEP = 60_000;
const SAMPLES = 120;
const MINT = 1_700_006_400_000 - (1_700_006_400_000 % (8 * 3_600_000));

function labelsFor(i: number): Labels {
  return Labels.fromSortedFlat([
    '__name__', `bench_metric_${String(i % 100).padStart(3, '0')}`,
    'instance', `host-${String(Math.floor(i / 100)).padStart(7, '0')}:9100`,
    'job', 'node',
  ]);
}

function chunkFor(i: number, mint: number): ChunkMeta {
  const c = new XORChunk();
  const a = c.appender();
  let v = (i % 1000) + mint / 1e9;
  for (let k = 0; k < SAMPLES; k++) {
    v += (k * 7 + i) % 13;
    a.append(mint + k * STEP, v);
  }
  c.compact();
  return { minTime: mint, maxTime: mint + (SAMPLES - 1) * STEP, encoding: 1, data: c.bytes() };
}

let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
function resetPeak(): void {
  peak = process.memoryUsage().rss;
}

async function makeBlocks(dir: string, order: number[], count: number): Promise<BlockMeta[]> {
  const metas: BlockMeta[] = [];
  for (let b = 0; b < count; b++) {
    const mint = MINT + b * H2;
    function* series(): Generator<BlockSeries> {
      for (const i of order) yield { labels: labelsFor(i), chunks: [chunkFor(i, mint)] };
    }
    metas.push(await writeBlock(series(), { dir, mint, maxt: mint + H2, thanos: { labels: { cluster: 'bench' }, source: 'receive' } }));
  }
  return metas;
}

function report(name: string, ms: number, samples: number, bytes: number): string {
  const s = ms / 1000;
  return `${name.padEnd(11)} ${s.toFixed(2).padStart(8)} s  ${(samples / s / 1e6).toFixed(2).padStart(7)} M samples/s  ${(bytes / 1048576 / s).toFixed(1).padStart(7)} MiB/s  peak RSS ${(peak / 1048576).toFixed(0)} MiB`;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(baseDir, 'strata-bench-compact-'));
  const lines: string[] = [`# compactor: 4 × 2h blocks of ${n} series × ${SAMPLES} samples (node ${process.version})`];
  try {
    const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => Labels.compare(labelsFor(x), labelsFor(y)));
    const local = join(root, 'local');
    const metas = await makeBlocks(local, order, 4);
    let inBytes = 0;
    for (const m of metas) inBytes += await blockSize(join(local, m.ulid), m);
    const samples = 4 * n * SAMPLES;

    // 1. Merge core.
    resetPeak();
    let t = performance.now();
    const readers = await Promise.all(metas.map((m) => BlockReader.open(join(local, m.ulid))));
    const out = await writeBlock(mergeBlockSeries(readers.map((r) => blockSeries(r)), 'chain'), {
      dir: join(root, 'out'),
      mint: MINT,
      maxt: MINT + 4 * H2,
      level: 2,
      sources: metas.map((m) => m.ulid),
      thanos: { labels: { cluster: 'bench' }, source: 'compactor' },
    });
    for (const r of readers) await r.close();
    lines.push(report('merge', performance.now() - t, samples, inBytes));
    if (out.stats.numSamples !== samples) throw new Error(`merged ${out.stats.numSamples} samples, want ${samples}`);

    // 2. Downsample the merged block to 5m.
    resetPeak();
    t = performance.now();
    const r8 = await BlockReader.open(join(root, 'out', out.ulid));
    const scratch = { ts: [] as number[], vs: [] as number[] };
    const ds = await writeBlock(
      (async function* (): AsyncGenerator<BlockSeries> {
        for await (const s of blockSeries(r8)) yield { labels: s.labels, chunks: downsampleSeries(s.chunks, 0, 300_000, scratch) };
      })(),
      { dir: join(root, 'ds'), mint: out.minTime, maxt: out.maxTime, level: 2, thanos: { labels: { cluster: 'bench' }, source: 'compactor', resolution: 300_000 } },
    );
    await r8.close();
    lines.push(report('downsample', performance.now() - t, samples, await blockSize(join(root, 'out', out.ulid), out)));
    if (!ds.stats.numSeries) throw new Error('downsampled block is empty');

    // 3. Full compactor pass over a filesystem bucket.
    const bkt = new FilesystemBucket(join(root, 'bucket'));
    for (const m of metas) await uploadBlock(bkt, join(local, m.ulid), m.ulid);
    await rm(local, { recursive: true, force: true });
    const fresh = await writeBlock([{ labels: labelsFor(0), chunks: [chunkFor(0, MINT + 4 * H2)] }], {
      dir: join(root, 'fresh'),
      mint: MINT + 4 * H2,
      maxt: MINT + 5 * H2,
      thanos: { labels: { cluster: 'bench' }, source: 'receive' },
    });
    await uploadBlock(bkt, join(root, 'fresh', fresh.ulid), fresh.ulid);
    resetPeak();
    t = performance.now();
    await new Compactor({ bucket: bkt, dataDir: join(root, 'data'), consistencyDelay: 0, deleteDelay: 0, downsamplingDisabled: true }).runOnce();
    lines.push(report('pass', performance.now() - t, samples, inBytes));
    const st = await fetchBucketState(bkt);
    if (st.metas.size !== 2) throw new Error(`expected 2 blocks after the pass, got ${st.metas.size}`);
    lines.push(`input ${(inBytes / 1048576).toFixed(1)} MiB in 4 blocks; merged block ${((await blockSize(join(root, 'out', out.ulid), out)) / 1048576).toFixed(1)} MiB; 5m block ${ds.stats.numSamples} windows`);
  } finally {
    clearInterval(sampler);
    if (!keep) await rm(root, { recursive: true, force: true });
  }
  console.log(lines.join('\n'));
}

await main();
