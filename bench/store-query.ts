// Store gateway query latency (issue #6 benchmark): 24 h of the 100k series of bench/query.ts, one
// sample per minute, written as twelve 2 h blocks with our block writer, served
//   (a) from a filesystem bucket by a real `strata store` process with `strata query` in front
//       (separate processes, talking StoreAPI over gRPC), and
//   (b) by Debian's Prometheus from its data dir (the same block directories copied in; min and max
//       block duration 2h so it does not compact while we measure).
// Then the dashboard query set of bench/query.ts (instant queries at the end of the 24 h and 1 h range
// queries) plus range queries over the whole 24 h at a 5 m step, POSTed like Grafana, median of 5
// after one warm-up (the whole-metric 24 h query: one cold run), both servers in the same run. Series counts per query are printed for both.
// Usage: npm run bench -- store
//        node --import tsx bench/store-query.ts [--keep] [--cases=<regex of query names>] [--cpu-prof=<dir>]
// (--cpu-prof: strata store and strata query run under node --cpu-prof; profiles in <dir>/{store,query}.)
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels } from '../src/labels/labels.ts';
import { XORChunk } from '../src/tsdb/chunkenc/xor.ts';
import { writeBlock, type BlockSeries } from '../src/tsdb/block/block.ts';
import type { ChunkMeta } from '../src/storage/interfaces.ts';
import { dashboardQueries, nextQueryValue, querySeriesLabels, timeQuery, type QueryCase } from './query.ts';
import { dirBytes, fmt, peakRssBytes, startPrometheusServer, startStrataQuery, startStrataStore, type Server, type StrataComponent } from './lib.ts';

/** Sample interval: 60 s keeps 144M samples (24 h × 100k series) practical to write and scan on 2 cores. */
export const STORE_BENCH_INTERVAL = 60_000;
const BLOCK = 2 * 3_600_000;
const BLOCKS = 12;
const PER_BLOCK = BLOCK / STORE_BENCH_INTERVAL; // 120 samples: exactly one XOR chunk per series per block
const RUNS = 5;
/** Both servers get the same query timeout, long enough for the whole-metric 24 h query. */
const QUERY_TIMEOUT = '10m';

export interface StoreQueryRow {
  name: string;
  /** NaN when the query failed (see errors). */
  prometheusMs: number;
  strataMs: number;
  series: [number, number];
  errors?: string[];
}

export interface StoreQueryBenchResult {
  rows: StoreQueryRow[];
  numSeries: number;
  numSamples: number;
  blocks: number;
  bucketBytes: number;
  writeSeconds: number;
  prometheusReadySeconds: number;
  strataReadySeconds: number;
  storePeakRss: number;
  queryPeakRss: number;
  prometheusPeakRss: number;
  startLoad: number;
  endLoad: number;
  totalSeconds: number;
}

/**
 * Writes the 24 h as 2 h blocks into `dir`. Values follow bench/query.ts: counters grow by a
 * pseudo-random 0–49 per sample, histogram buckets stay cumulative (bucket k grows at least as much
 * as bucket k-1), gauges wander in [20, 30). Timestamps carry the same per-series millisecond jitter.
 */
export async function writeStoreBenchBlocks(dir: string, startMs: number): Promise<{ numSeries: number; numSamples: number }> {
  const flat = querySeriesLabels();
  const n = flat.length;
  const labels = flat.map((l) => Labels.fromSortedFlat(l));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => Labels.compare(labels[a]!, labels[b]!));
  const vals = new Float64Array(n);
  let numSamples = 0;
  for (let b = 0; b < BLOCKS; b++) {
    const mint = startMs + b * BLOCK;
    const chunks: XORChunk[] = new Array<XORChunk>(n);
    const apps = new Array<ReturnType<XORChunk['appender']>>(n);
    for (let s = 0; s < n; s++) {
      const c = new XORChunk(undefined, undefined, 256);
      chunks[s] = c;
      apps[s] = c.appender();
    }
    for (let k = 0; k < PER_BLOCK; k++) {
      const r = b * PER_BLOCK + k;
      const t0 = mint + k * STORE_BENCH_INTERVAL;
      for (let s = 0; s < n; s++) {
        nextQueryValue(vals, s, r);
        apps[s]!.append(t0 + (s % 1000), vals[s]!);
      }
    }
    numSamples += n * PER_BLOCK;
    function* series(): Generator<BlockSeries> {
      for (const s of order) {
        const c = chunks[s]!;
        c.compact();
        const meta: ChunkMeta = { minTime: mint + (s % 1000), maxTime: mint + (PER_BLOCK - 1) * STORE_BENCH_INTERVAL + (s % 1000), encoding: 1, data: c.bytes() };
        yield { labels: labels[s]!, chunks: [meta] };
      }
    }
    await writeBlock(series(), { dir, mint, maxt: mint + BLOCK, thanos: { labels: {}, source: 'receive' } });
    process.stderr.write(`store: block ${b + 1}/${BLOCKS} written\n`);
  }
  return { numSeries: n, numSamples };
}

/** A timed query: `runs` timed runs after one warm-up (median reported), or a single cold run. */
export interface StoreQueryCase extends QueryCase {
  runs: number;
}

/**
 * The query set: bench/query.ts's dashboard queries at the end of the 24 h (instant, and 1 h ranges at
 * 15 s / 60 s) plus 24 h ranges at a 5 m step as a dashboard with a `$job` variable draws them
 * (3,000 counters / 1,500 bucket series / 4,000 counters), and the whole 60k-counter metric over 24 h
 * (86M samples read) as a single cold run, because it takes minutes on 2 cores.
 */
export function storeQueryCases(endS: number): StoreQueryCase[] {
  const day = (name: string, query: string, runs = RUNS): StoreQueryCase => ({ name, path: 'query_range', params: { query, start: String(endS - 86_400), end: String(endS), step: '300' }, runs });
  return [
    ...dashboardQueries(endS).map((c) => ({ ...c, runs: RUNS })),
    day('24h range, step 5m: sum by (job)(rate(x{job="job-3"}[5m]))', 'sum by (job)(rate(bench_requests_total{job="job-3"}[5m]))'),
    day('24h range, step 5m: histogram_quantile(…{job="job-3"})', 'histogram_quantile(0.9, sum by (le)(rate(bench_latency_seconds_bucket{job="job-3"}[5m])))'),
    day('24h range, step 5m: max by (job)(x{handler="/cart",code="500"})', 'max by (job)(bench_requests_total{handler="/cart",code="500"})'),
    day('24h range, step 5m: sum by (job)(rate(x[5m])) — all 60k series, 1 cold run', 'sum by (job)(rate(bench_requests_total[5m]))', 1),
  ];
}

async function median(base: string, c: StoreQueryCase): Promise<{ ms: number; series: number } | { error: string }> {
  try {
    if (c.runs > 1) await timeQuery(base, c); // warm-up
    const runs: { ms: number; series: number }[] = [];
    for (let i = 0; i < c.runs; i++) runs.push(await timeQuery(base, c));
    runs.sort((a, b) => a.ms - b.ms);
    return runs[Math.floor(c.runs / 2)]!;
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Instant `count` of every bench series at `endS` (both must see all 100k before we time anything). */
async function seriesCount(base: string, endS: number): Promise<number> {
  const res = await fetch(`${base}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: 'count({__name__=~"bench_.+"})', time: String(endS) }) });
  const body = (await res.json()) as { status: string; error?: string; data?: { result: { value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`series count: ${body.error}`);
  return Number(body.data!.result[0]?.value[1] ?? 0);
}

/** 1-minute load average (other work on the machine skews the figures; it is reported next to them). */
function load1(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/**
 * Options: `keep` leaves the temp dir; `cases` keeps only the queries whose name matches; `cpuProfDir`
 * runs strata store and strata query under `node --cpu-prof` (profiles written there when they stop).
 */
export async function runStoreQueryBench(opts: { keep?: boolean; cases?: RegExp; cpuProfDir?: string } = {}): Promise<StoreQueryBenchResult> {
  const tStart = performance.now();
  const startLoad = load1();
  const root = await mkdtemp(join(tmpdir(), 'strata-bench-store-query-'));
  // 24 h ending at the last 2 h boundary at least 2 h ago: recent, like a dashboard, and block-aligned.
  const endMs = Math.floor(Date.now() / BLOCK) * BLOCK - BLOCK;
  const startMs = endMs - BLOCKS * BLOCK;
  const endS = endMs / 1000 - 30; // 30 s after the last sample round, like bench/query.ts
  let prom: Server | undefined;
  let store: StrataComponent | undefined;
  let query: StrataComponent | undefined;
  try {
    const blocksDir = join(root, 'blocks');
    process.stderr.write(`store: writing ${BLOCKS} × 2h blocks of 100k series at ${STORE_BENCH_INTERVAL / 1000}s…\n`);
    let t = performance.now();
    const { numSeries, numSamples } = await writeStoreBenchBlocks(blocksDir, startMs);
    const writeSeconds = (performance.now() - t) / 1000;

    // (a) filesystem bucket: one object per file under <bucket>/<ulid>/…, the same layout an upload makes.
    const bucketDir = join(root, 'bucket');
    await cp(blocksDir, bucketDir, { recursive: true });
    // (b) Prometheus data dir: the same block directories.
    const promDir = join(root, 'prometheus');
    await mkdir(promDir);
    await cp(blocksDir, join(promDir, 'data'), { recursive: true });
    await rm(blocksDir, { recursive: true, force: true });
    const bucketBytes = await dirBytes(bucketDir);

    t = performance.now();
    prom = await startPrometheusServer(promDir, [
      `--query.timeout=${QUERY_TIMEOUT}`, '--storage.tsdb.retention.time=10y', '--storage.tsdb.min-block-duration=2h', '--storage.tsdb.max-block-duration=2h',
    ]);
    const pCount = await seriesCount(prom.queryURL, endS);
    const prometheusReadySeconds = (performance.now() - t) / 1000;
    if (pCount !== numSeries) throw new Error(`prometheus sees ${pCount} series, want ${numSeries}`);

    t = performance.now();
    const prof = (name: string): string[] => (opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${join(opts.cpuProfDir, name)}`] : []);
    store = await startStrataStore(bucketDir, join(root, 'store'), [], prof('store'));
    query = await startStrataQuery([store.grpcAddress], [`--query.timeout=${QUERY_TIMEOUT}`], prof('query'));
    let sCount = 0;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      sCount = await seriesCount(query.httpURL, endS).catch(() => 0);
      if (sCount === numSeries) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const strataReadySeconds = (performance.now() - t) / 1000;
    if (sCount !== numSeries) throw new Error(`strata query sees ${sCount} series, want ${numSeries}`);
    process.stderr.write(`store: both see ${numSeries} series (Prometheus ready in ${prometheusReadySeconds.toFixed(1)} s, store+query in ${strataReadySeconds.toFixed(1)} s)\n`);

    const rows: StoreQueryRow[] = [];
    for (const c of storeQueryCases(endS).filter((c) => !opts.cases || opts.cases.test(c.name))) {
      const p = await median(prom.queryURL, c);
      const s = await median(query.httpURL, c);
      const row: StoreQueryRow = {
        name: c.name,
        prometheusMs: 'ms' in p ? p.ms : NaN,
        strataMs: 'ms' in s ? s.ms : NaN,
        series: ['series' in p ? p.series : -1, 'series' in s ? s.series : -1],
      };
      const errors = [...('error' in p ? [`Prometheus: ${p.error}`] : []), ...('error' in s ? [`Strata: ${s.error}`] : [])];
      if (errors.length) row.errors = errors;
      process.stderr.write(`store: ${c.name}: prometheus ${row.prometheusMs.toFixed(1)} ms (${row.series[0]} series), strata ${row.strataMs.toFixed(1)} ms (${row.series[1]} series)${row.series[0] === row.series[1] ? '' : '  SERIES COUNT MISMATCH'}${errors.length ? ` ${errors.join('; ')}` : ''}\n`);
      rows.push(row);
    }
    const storePeakRss = peakRssBytes(store.pid);
    const queryPeakRss = peakRssBytes(query.pid);
    const prometheusPeakRss = peakRssBytes(prom.pid);
    return {
      rows, numSeries, numSamples, blocks: BLOCKS, bucketBytes, writeSeconds, prometheusReadySeconds, strataReadySeconds,
      storePeakRss, queryPeakRss, prometheusPeakRss, startLoad, endLoad: load1(), totalSeconds: (performance.now() - tStart) / 1000,
    };
  } finally {
    await query?.proc.stop();
    await store?.proc.stop();
    await prom?.proc.stop();
    if (opts.keep) process.stderr.write(`store: kept ${root}\n`);
    else await rm(root, { recursive: true, force: true });
  }
}

export function reportStoreQuery(r: StoreQueryBenchResult): string {
  const mib = (b: number): string => fmt(b / 2 ** 20, 0);
  const lines = [
    `## Store gateway (100k series, 24h at ${STORE_BENCH_INTERVAL / 1000}s in ${r.blocks} × 2h blocks; strata store + strata query vs Prometheus on the same blocks; median of 5 after a warm-up; POST like Grafana)`,
    '| query | Prometheus 2.42 ms | Strata (query → store gateway) ms | Strata/Prometheus | series (P/S) |',
    '|---|---:|---:|---:|---:|',
    ...r.rows.map((x) => {
      const ms = (v: number): string => (Number.isNaN(v) ? 'failed' : fmt(v, 1));
      const ratio = Number.isNaN(x.strataMs) || Number.isNaN(x.prometheusMs) ? '—' : `${(x.strataMs / x.prometheusMs).toFixed(2)}×`;
      return `| ${x.name} | ${ms(x.prometheusMs)} | ${ms(x.strataMs)} | ${ratio} | ${x.series[0]}/${x.series[1]}${x.series[0] === x.series[1] ? '' : ' ≠'} |`;
    }),
    ...r.rows.filter((x) => x.errors).map((x) => `\n${x.name}: ${x.errors!.join('; ')}`),
    '',
    `Bucket: ${mib(r.bucketBytes)} MiB for ${fmt(r.numSamples)} samples (${(r.bucketBytes / r.numSamples).toFixed(2)} bytes/sample). ` +
      `Peak RSS: store gateway ${mib(r.storePeakRss)} MiB, querier ${mib(r.queryPeakRss)} MiB, Prometheus ${mib(r.prometheusPeakRss)} MiB. ` +
      `Blocks written in ${fmt(r.writeSeconds, 1)} s; ready with all ${fmt(r.numSeries)} series visible: Prometheus ${fmt(r.prometheusReadySeconds, 1)} s, store + query ${fmt(r.strataReadySeconds, 1)} s. ` +
      `Whole run ${fmt(r.totalSeconds, 0)} s; load average ${r.startLoad.toFixed(2)} at start, ${r.endLoad.toFixed(2)} at end.`,
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const cases = arg('cases');
  console.log(reportStoreQuery(await runStoreQueryBench({ keep: process.argv.includes('--keep'), cases: cases ? new RegExp(cases) : undefined, cpuProfDir: arg('cpu-prof') })));
}
