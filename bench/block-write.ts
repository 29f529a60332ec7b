// Block write benchmark: N series × 120 samples (one XOR chunk each) → writeBlock.
// Usage: node --import tsx bench/block-write.ts [numSeries=100000] [--keep]
// Reports XOR encode time, block write time, series/s, samples/s and bytes per sample.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels } from '../src/labels/labels.ts';
import { XORChunk } from '../src/tsdb/chunkenc/xor.ts';
import type { ChunkMeta } from '../src/storage/interfaces.ts';
import { BlockReader, blockSize, writeBlock } from '../src/tsdb/block/block.ts';
import { ValueType } from '../src/storage/interfaces.ts';
import type { BlockSeries } from '../src/tsdb/block/block.ts';

const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
const keep = args.includes('--keep');
const SAMPLES = 120;
const STEP = 15_000;
const mint = 1_700_000_000_000 - (1_700_000_000_000 % 7_200_000);

/** Series labels: ~realistic node-exporter-like shape, already in sorted order (padded numbers). */
function labelsFor(i: number): Labels {
  const metric = `bench_metric_${String(i % 100).padStart(3, '0')}`;
  return Labels.fromSortedFlat([
    '__name__', metric,
    'instance', `host-${String(Math.floor(i / 100)).padStart(7, '0')}:9100`,
    'job', 'node',
  ]);
}

function chunkFor(i: number): ChunkMeta {
  const c = new XORChunk();
  const a = c.appender();
  let v = i % 1000;
  for (let k = 0; k < SAMPLES; k++) {
    v += (k * 7 + i) % 13; // counter-like
    a.append(mint + k * STEP + (k % 3), v);
  }
  c.compact();
  return { minTime: mint, maxTime: mint + (SAMPLES - 1) * STEP + ((SAMPLES - 1) % 3), encoding: 1, data: c.bytes() };
}

async function main(): Promise<void> {
  // Build the sorted series list: sort indices by labels (metric first, then instance).
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => Labels.compare(labelsFor(x), labelsFor(y)));
  const t0 = performance.now();
  const chunks: ChunkMeta[] = new Array(n);
  for (let k = 0; k < n; k++) chunks[k] = chunkFor(order[k]!);
  const t1 = performance.now();
  function* series(): Generator<BlockSeries> {
    for (let k = 0; k < n; k++) yield { labels: labelsFor(order[k]!), chunks: [chunks[k]!] };
  }
  const dir = await mkdtemp(join(tmpdir(), 'strata-bench-block-'));
  try {
    const rss0 = process.memoryUsage().rss;
    const t2 = performance.now();
    const meta = await writeBlock(series(), { dir, mint, maxt: mint + 7_200_000 });
    const t3 = performance.now();
    const bytes = await blockSize(join(dir, meta.ulid), meta);
    const samples = n * SAMPLES;
    const writeS = (t3 - t2) / 1000;
    // Read everything back (index + chunks + XOR decode) as a sanity check and read benchmark.
    const t4 = performance.now();
    const br = await BlockReader.open(join(dir, meta.ulid));
    let readSeries = 0;
    let readSamples = 0;
    for await (const s of br.querier(mint, mint + 7_200_000).select({ start: mint, end: mint + 7_200_000 }, [])) {
      const it = s.iterator();
      while (it.next() !== ValueType.None) readSamples++;
      readSeries++;
    }
    await br.close();
    const t5 = performance.now();
    if (readSeries !== n || readSamples !== samples) throw new Error(`read back ${readSeries} series / ${readSamples} samples`);
    const out = {
      series: n,
      samples,
      encodeSeconds: +((t1 - t0) / 1000).toFixed(3),
      writeSeconds: +writeS.toFixed(3),
      seriesPerSecond: Math.round(n / writeS),
      samplesPerSecond: Math.round(samples / writeS),
      blockBytes: bytes,
      bytesPerSample: +(bytes / samples).toFixed(3),
      readAllSeconds: +((t5 - t4) / 1000).toFixed(3),
      rssDeltaMiB: Math.round((process.memoryUsage().rss - rss0) / 2 ** 20),
      dir: keep ? join(dir, meta.ulid) : undefined,
    };
    console.log(JSON.stringify(out, null, 2));
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
}

await main();
