// Compactor benchmark (issue #7): merging four 2h blocks of N series (default 100k, 120 samples each,
// one XOR chunk per series per block) into one 8h block, and downsampling.
// Usage: npm run bench -- compact
//        node --import tsx bench/compact.ts [numSeries=100000] [--dir=/path] [--keep] [--cpu-prof=/dir]
// Reports, per phase: wall time, samples/s, MiB/s of input block bytes, and the peak RSS seen.
//   merge         — the compaction core: read 4 local blocks, merge series, write the 8h block;
//   pass          — a full Compactor.runOnce over a filesystem bucket (sync, download, merge, upload,
//                   mark and delete sources); a fifth, tiny block is the "newest" the planner leaves out;
//   downsample    — raw → 5m of the compacted 8h block (aggregate chunks written with writeBlock);
//   downsample 1h — 5m → 1h of that 5m block (the case of the ~16 MB/s Thanos report).
// With --cpu-prof=<dir>, each phase is profiled on its own through node:inspector and written as
// <dir>/<phase>.cpuprofile; the report then lists the functions with the most self time per phase.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
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
import { fmt, topSelfTime, type CpuProfile } from './lib.ts';

const H2 = 2 * 3_600_000;
const STEP = 60_000;
const SAMPLES = 120;
const MINT = 1_700_006_400_000 - (1_700_006_400_000 % (8 * 3_600_000));
/** Downsampling throughput Thanos users report (thanos-io/thanos#1964: 5m → 1h of a 2-week block, one core). */
export const THANOS_DOWNSAMPLE_MB_PER_S = 16;

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

export interface CompactPhase {
  name: string;
  seconds: number;
  /** CPU seconds of the process during the phase (user + system; all threads). */
  cpuSeconds: number;
  samples: number;
  inputBytes: number;
  peakRss: number;
  /** Functions with the most self time, when profiled. */
  profile?: { name: string; ms: number; share: number }[];
}

export interface CompactBenchResult {
  numSeries: number;
  phases: CompactPhase[];
  inputBytes: number;
  mergedBytes: number;
  ds5mBytes: number;
  ds5mWindows: number;
  ds1hBytes: number;
  startLoad: number;
  endLoad: number;
  totalSeconds: number;
}

function load1(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** Downsamples every series of a block into a new block of resolution `outRes`. */
async function downsampleBlock(blockDir: string, outDir: string, inRes: number, outRes: number): Promise<BlockMeta> {
  const r = await BlockReader.open(blockDir);
  const scratch = { ts: [] as number[], vs: [] as number[] };
  try {
    return await writeBlock(
      (async function* (): AsyncGenerator<BlockSeries> {
        for await (const s of blockSeries(r)) yield { labels: s.labels, chunks: downsampleSeries(s.chunks, inRes, outRes, scratch) };
      })(),
      { dir: outDir, mint: r.meta.minTime, maxt: r.meta.maxTime, level: r.meta.compaction.level, thanos: { labels: { cluster: 'bench' }, source: 'compactor', resolution: outRes } },
    );
  } finally {
    await r.close();
  }
}

export async function runCompactBench(opts: { numSeries?: number; baseDir?: string; keep?: boolean; cpuProfDir?: string } = {}): Promise<CompactBenchResult> {
  const n = opts.numSeries ?? 100_000;
  const tStart = performance.now();
  const startLoad = load1();
  const root = await mkdtemp(join(opts.baseDir ?? tmpdir(), 'strata-bench-compact-'));
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const session = opts.cpuProfDir ? new Session() : null;
  if (session && opts.cpuProfDir) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await mkdir(opts.cpuProfDir, { recursive: true });
  }
  const phases: CompactPhase[] = [];
  /** Runs one measured phase: peak RSS from its start, optional CPU profile of just this phase. */
  async function phase<T>(name: string, samples: number, inputBytes: number, fn: () => Promise<T>): Promise<T> {
    if (global.gc) global.gc();
    peak = process.memoryUsage().rss;
    if (session) await session.post('Profiler.start');
    const t = performance.now();
    const cpu0 = process.cpuUsage();
    const out = await fn();
    const seconds = (performance.now() - t) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    peak = Math.max(peak, process.memoryUsage().rss);
    const p: CompactPhase = { name, seconds, cpuSeconds, samples, inputBytes, peakRss: peak };
    if (session && opts.cpuProfDir) {
      const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
      await writeFile(join(opts.cpuProfDir, `${name.replace(/\W+/g, '-')}.cpuprofile`), JSON.stringify(profile));
      p.profile = topSelfTime(profile, 12);
    }
    phases.push(p);
    process.stderr.write(`compact: ${name} ${seconds.toFixed(2)} s (CPU ${cpuSeconds.toFixed(2)} s)\n`);
    return out;
  }
  try {
    const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => Labels.compare(labelsFor(x), labelsFor(y)));
    const local = join(root, 'local');
    process.stderr.write(`compact: writing 4 × 2h blocks of ${n} series…\n`);
    const metas = await makeBlocks(local, order, 4);
    let inBytes = 0;
    for (const m of metas) inBytes += await blockSize(join(local, m.ulid), m);
    const samples = 4 * n * SAMPLES;

    // 1. Merge core.
    const out = await phase('merge', samples, inBytes, async () => {
      const readers = await Promise.all(metas.map((m) => BlockReader.open(join(local, m.ulid))));
      const o = await writeBlock(mergeBlockSeries(readers.map((r) => blockSeries(r)), 'chain'), {
        dir: join(root, 'out'),
        mint: MINT,
        maxt: MINT + 4 * H2,
        level: 2,
        sources: metas.map((m) => m.ulid),
        thanos: { labels: { cluster: 'bench' }, source: 'compactor' },
      });
      for (const r of readers) await r.close();
      return o;
    });
    if (out.stats.numSamples !== samples) throw new Error(`merged ${out.stats.numSamples} samples, want ${samples}`);
    const mergedBytes = await blockSize(join(root, 'out', out.ulid), out);

    // 2. Downsample the merged block to 5m, then the 5m block to 1h.
    const ds = await phase('downsample raw→5m', samples, mergedBytes, () => downsampleBlock(join(root, 'out', out.ulid), join(root, 'ds'), 0, 300_000));
    if (!ds.stats.numSeries) throw new Error('downsampled block is empty');
    const ds5mBytes = await blockSize(join(root, 'ds', ds.ulid), ds);
    const ds1h = await phase('downsample 5m→1h', ds.stats.numSamples ?? 0, ds5mBytes, () => downsampleBlock(join(root, 'ds', ds.ulid), join(root, 'ds1h'), 300_000, 3_600_000));
    const ds1hBytes = await blockSize(join(root, 'ds1h', ds1h.ulid), ds1h);

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
    await phase('pass (bucket → bucket)', samples, inBytes, () =>
      new Compactor({ bucket: bkt, dataDir: join(root, 'data'), consistencyDelay: 0, deleteDelay: 0, downsamplingDisabled: true }).runOnce(),
    );
    const st = await fetchBucketState(bkt);
    if (st.metas.size !== 2) throw new Error(`expected 2 blocks after the pass, got ${st.metas.size}`);
    return { numSeries: n, phases, inputBytes: inBytes, mergedBytes, ds5mBytes, ds5mWindows: ds.stats.numSamples ?? 0, ds1hBytes, startLoad, endLoad: load1(), totalSeconds: (performance.now() - tStart) / 1000 };
  } finally {
    clearInterval(sampler);
    if (session) {
      await session.post('Profiler.disable');
      session.disconnect();
    }
    if (!opts.keep) await rm(root, { recursive: true, force: true });
    else process.stderr.write(`compact: kept ${root}\n`);
  }
}

export function reportCompact(r: CompactBenchResult): string {
  const mib = (b: number): string => fmt(b / 2 ** 20, 1);
  const lines = [
    `## Compactor (4 × 2h blocks of ${fmt(r.numSeries)} series × ${SAMPLES} samples at ${STEP / 1000}s → one 8h block; in process, one core)`,
    `| phase | wall s | CPU s | M samples/s | input MiB/s | input MB/s vs Thanos ~${THANOS_DOWNSAMPLE_MB_PER_S} MB/s | peak RSS MiB |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.phases.map((p) => {
      const ds = p.name.startsWith('downsample');
      const mbs = p.inputBytes / 1e6 / p.seconds;
      return `| ${p.name} | ${fmt(p.seconds, 2)} | ${fmt(p.cpuSeconds, 2)} | ${fmt(p.samples / p.seconds / 1e6, 2)} | ${fmt(p.inputBytes / 2 ** 20 / p.seconds, 1)} | ${ds ? `${fmt(mbs, 1)} (${(mbs / THANOS_DOWNSAMPLE_MB_PER_S).toFixed(2)}×)` : ''} | ${fmt(p.peakRss / 2 ** 20, 0)} |`;
    }),
    '',
    `Input ${mib(r.inputBytes)} MiB in 4 blocks; merged 8h block ${mib(r.mergedBytes)} MiB; 5m block ${mib(r.ds5mBytes)} MiB (${fmt(r.ds5mWindows)} windows); 1h block ${mib(r.ds1hBytes)} MiB. ` +
      `"samples" of the 5m→1h phase are input windows; CPU s is the process' user + system time in the phase (rates use wall time). Peak RSS is the benchmark process (it also holds the generator's data). ` +
      `Whole run ${fmt(r.totalSeconds, 0)} s; load average ${r.startLoad.toFixed(2)} at start, ${r.endLoad.toFixed(2)} at end.`,
  ];
  for (const p of r.phases) {
    if (!p.profile) continue;
    lines.push('', `Self time, ${p.name}: ` + p.profile.map((f) => `${f.name} ${(f.share * 100).toFixed(0)}%`).join(', '));
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const r = await runCompactBench({
    numSeries: Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000),
    baseDir: args.find((a) => a.startsWith('--dir='))?.slice(6),
    keep: args.includes('--keep'),
    cpuProfDir: args.find((a) => a.startsWith('--cpu-prof='))?.slice(11),
  });
  console.log(reportCompact(r));
}
