// Store gateway benchmark: latency of a dashboard query set served from a bucket.
// Usage: node --import tsx bench/store-gateway.ts [seriesPerBlock=20000] [blocks=12] [--keep]
// Writes a filesystem bucket of 2 h blocks (node-exporter-like counters scraped every 15 s, 120-sample
// chunks), starts `strata store` on it as a process, and runs each dashboard query through the
// StoreAPI client: the first (cold: index cache empty, everything fetched by range) and then the
// median and max of repeated (warm) runs, with series/samples returned and the store's RSS.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Matcher } from '../src/labels/matcher.ts';
import { ValueType } from '../src/storage/interfaces.ts';
import { StoreClient } from '../src/storeapi/client.ts';
import { writeSyntheticBucket, type SyntheticBucketOptions } from '../src/store/testutil.ts';
import { peakRssBytes, rssBytes, startStrataStore } from './lib.ts';

const args = process.argv.slice(2);
const nums = args.filter((a) => /^\d+$/.test(a)).map(Number);
const seriesPerBlock = nums[0] ?? 20_000;
const blocks = nums[1] ?? 12;
const keep = args.includes('--keep');
const WARM_RUNS = 5;
const H = 3_600_000;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-bench-store-'));
  const o: SyntheticBucketOptions = {
    dir: join(dir, 'bucket'),
    blocks,
    seriesPerBlock,
    metrics: 200,
    samplesPerChunk: 120,
    chunksPerSeries: 4,
    intervalMs: 15_000,
    start: 1_700_006_400_000,
    pool: 64,
    randomValues: false,
    ext: { cluster: 'bench', replica: '0' },
  };
  const t0 = performance.now();
  const { metas, bytes } = await writeSyntheticBucket(o);
  const genS = (performance.now() - t0) / 1000;
  const mint = metas[0]!.minTime;
  const end = metas[metas.length - 1]!.maxTime - 1;
  const hosts = seriesPerBlock / o.metrics;

  const tr = performance.now();
  const store = await startStrataStore(o.dir, join(dir, 'store'));
  const proc = store.proc;
  const readyS = (performance.now() - tr) / 1000;
  const client = new StoreClient(store.grpcAddress, { timeoutMs: 300_000 });

  type Q = { name: string; start: number; matchers: Matcher[] };
  const queries: Q[] = [
    { name: 'one series, last 1h', start: end - H, matchers: [Matcher.eq('__name__', 'synthetic_metric_007'), Matcher.eq('instance', 'host-000003')] },
    { name: 'one metric × all hosts, last 6h', start: end - 6 * H, matchers: [Matcher.eq('__name__', 'synthetic_metric_042')] },
    { name: 'one metric × all hosts, whole range', start: mint, matchers: [Matcher.eq('__name__', 'synthetic_metric_042')] },
    { name: '10 metrics (regex) × 5 hosts, last 12h', start: end - 12 * H, matchers: [new Matcher('=~', '__name__', 'synthetic_metric_01[0-9]'), new Matcher('=~', 'instance', 'host-00000[0-4]')] },
    { name: 'one host, all metrics, last 3h', start: end - 3 * H, matchers: [Matcher.eq('job', 'synthetic'), Matcher.eq('instance', 'host-000010')] },
    { name: 'metric with != and !~ matchers, last 2h', start: end - 2 * H, matchers: [Matcher.eq('__name__', 'synthetic_metric_100'), new Matcher('!~', 'instance', 'host-00000.*')] },
  ];
  const runQ = async (q: Q): Promise<{ ms: number; series: number; samples: number }> => {
    const t = performance.now();
    let series = 0;
    let samples = 0;
    for await (const s of client.querier(q.start, end).select({ start: q.start, end }, q.matchers)) {
      series++;
      const it = s.iterator();
      while (it.next() !== ValueType.None) samples++;
    }
    return { ms: performance.now() - t, series, samples };
  };
  const rows: string[] = [];
  for (const q of queries) {
    const cold = await runQ(q);
    const warm: number[] = [];
    for (let i = 0; i < WARM_RUNS; i++) warm.push((await runQ(q)).ms);
    warm.sort((a, b) => a - b);
    rows.push(
      `| ${q.name} | ${cold.series} | ${cold.samples} | ${cold.ms.toFixed(1)} | ${warm[Math.floor(WARM_RUNS / 2)]!.toFixed(1)} | ${warm[WARM_RUNS - 1]!.toFixed(1)} |`,
    );
  }
  const labelT = performance.now();
  const vals = await client.querier(mint, end).labelValues('instance', []);
  const labelMs = performance.now() - labelT;
  const rss = rssBytes(proc.pid) / 2 ** 20;
  const peak = peakRssBytes(proc.pid) / 2 ** 20;
  client.close();
  await proc.stop();
  if (!keep) await rm(dir, { recursive: true, force: true });

  console.log(
    [
      `# Store gateway — dashboard queries from a bucket (${blocks} × 2 h blocks, ${seriesPerBlock} series each, ${(bytes / 2 ** 20).toFixed(0)} MiB; written in ${genS.toFixed(1)} s; ready after ${readyS.toFixed(2)} s)`,
      '',
      '| query | series | samples | cold ms | warm p50 ms | warm max ms |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      `label values of instance (${vals.values.length} of ${hosts}): ${labelMs.toFixed(1)} ms; store RSS after the run: ${rss.toFixed(0)} MiB (peak ${peak.toFixed(0)} MiB)` + (keep ? `; bucket kept in ${dir}` : ''),
    ].join('\n'),
  );
}

await main();
