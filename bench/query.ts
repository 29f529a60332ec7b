// Query latency for a dashboard query set over the same 100k-series data in Strata and in Debian's
// Prometheus (both fed through remote write), median of 5 runs each, as ratios.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteWriteClient, compressBody } from '../src/remotewrite/client.ts';
import { encodeWriteRequestProto, type SeriesInput } from '../src/remotewrite/codec.ts';
import { fmt, startPrometheusServer, startStrataReceive, type Server } from './lib.ts';

const INTERVAL = 30_000;

/** 100k series: 60k request counters, 30k histogram buckets (10 le × 3k), 10k gauges. */
export function querySeriesLabels(): string[][] {
  const out: string[][] = [];
  const handlers = ['/api', '/login', '/search', '/cart', '/checkout'];
  const codes = ['200', '404', '500'];
  for (let i = 0; i < 60_000; i++) {
    const inst = Math.floor(i / 15);
    out.push(['__name__', 'bench_requests_total', 'code', codes[i % 3]!, 'handler', handlers[Math.floor(i / 3) % 5]!, 'instance', `10.0.${(inst >> 8) & 255}.${inst & 255}:8080`, 'job', `job-${inst % 20}`]);
  }
  const les = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
  for (let i = 0; i < 3_000; i++) {
    for (const le of les) out.push(['__name__', 'bench_latency_seconds_bucket', 'instance', `10.1.${(i >> 8) & 255}.${i & 255}:8080`, 'job', `job-${i % 20}`, 'le', le]);
  }
  for (let i = 0; i < 10_000; i++) out.push(['__name__', 'bench_temperature', 'instance', `10.2.${(i >> 8) & 255}.${i & 255}:9100`, 'job', `job-${i % 20}`]);
  return out;
}

/**
 * Advances series s of querySeriesLabels() to round r in place: counters grow, cumulative histogram
 * buckets grow at least as much as the bucket below them (vals[s-1] must be at round r already),
 * gauges wander. Shared by every benchmark that loads this data set.
 */
export function nextQueryValue(vals: Float64Array, s: number, r: number): void {
  if (s >= 60_000 && s < 90_000) {
    const k = (s - 60_000) % 10;
    vals[s] = k === 0 ? vals[s]! + ((s * 31 + r * 7) % 5) : Math.max(vals[s]! + ((s * 17 + r * 3) % 7), vals[s - 1]!);
  } else if (s >= 90_000) vals[s] = 20 + ((s * 13 + r * 29) % 100) / 10;
  else vals[s] = vals[s]! + ((s * 7919 + r * 104729) % 50);
}

function buildData(points: number, startMs: number): Uint8Array[][] {
  const labels = querySeriesLabels();
  const vals = new Float64Array(labels.length);
  const rounds: Uint8Array[][] = [];
  for (let r = 0; r < points; r++) {
    const bodies: Uint8Array[] = [];
    for (let j = 0; j < labels.length; j += 2000) {
      const ss: SeriesInput[] = [];
      for (let s = j; s < Math.min(labels.length, j + 2000); s++) {
        nextQueryValue(vals, s, r);
        ss.push({ labels: labels[s]!, timestamps: [startMs + r * INTERVAL + (s % 1000)], values: [vals[s]!] });
      }
      bodies.push(compressBody(encodeWriteRequestProto({ series: ss })));
    }
    rounds.push(bodies);
  }
  return rounds;
}

async function load(server: Server, rounds: Uint8Array[][]): Promise<number> {
  const client = new RemoteWriteClient({ url: server.writeURL, maxSockets: 4, timeoutMs: 120_000 });
  const t0 = performance.now();
  for (const bodies of rounds) {
    let i = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (i < bodies.length) {
          const r = await client.send(bodies[i++]!);
          if (r.status >= 300) throw new Error(`${server.name} load: ${r.status} ${r.body.slice(0, 300)}`);
        }
      }),
    );
  }
  client.close();
  return (performance.now() - t0) / 1000;
}

export interface QueryCase {
  name: string;
  path: 'query' | 'query_range';
  params: Record<string, string>;
}

export function dashboardQueries(endS: number): QueryCase[] {
  const q = (name: string, query: string): QueryCase => ({ name, path: 'query', params: { query, time: String(endS) } });
  const r = (name: string, query: string, step: number): QueryCase => ({ name, path: 'query_range', params: { query, start: String(endS - 3600), end: String(endS), step: String(step) } });
  return [
    q('sum by (job)(rate(x[5m]))', 'sum by (job)(rate(bench_requests_total[5m]))'),
    q('histogram_quantile(0.9, sum by (le)(rate(h_bucket[5m])))', 'histogram_quantile(0.9, sum by (le)(rate(bench_latency_seconds_bucket[5m])))'),
    q('topk(10, rate(x[5m]))', 'topk(10, rate(bench_requests_total[5m]))'),
    q('count(x{instance=~"10.0.1.*"})', 'count(bench_requests_total{instance=~"10.0.1.*"})'),
    r('1h range, step 15s: sum by (job)(rate(x[5m]))', 'sum by (job)(rate(bench_requests_total[5m]))', 15),
    r('1h range, step 60s: sum by (job)(rate(x[5m]))', 'sum by (job)(rate(bench_requests_total[5m]))', 60),
    r('1h range, step 60s: histogram_quantile', 'histogram_quantile(0.9, sum by (le)(rate(bench_latency_seconds_bucket[5m])))', 60),
  ];
}

/** One POST of a query case (as Grafana sends it); its wall time and result series count. */
export async function timeQuery(base: string, c: QueryCase): Promise<{ ms: number; series: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}/api/v1/${c.path}`, { method: 'POST', body: new URLSearchParams(c.params) });
  const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  const ms = performance.now() - t0;
  if (body.status !== 'success') throw new Error(`${c.name}: ${body.error}`);
  return { ms, series: body.data!.result.length };
}

export interface QueryBenchResult {
  name: string;
  prometheusMs: number;
  strataMs: number;
  series: [number, number];
}

export async function runQueryBench(): Promise<{ results: QueryBenchResult[]; loadSeconds: Record<string, number> }> {
  const points = 121; // 1h at 30s
  const startMs = Math.floor(Date.now() / 60_000) * 60_000 - (points - 1) * INTERVAL - 60_000;
  process.stderr.write(`query: pre-encoding 100k series × ${points} points…\n`);
  const rounds = buildData(points, startMs);
  const endS = Math.floor((startMs + (points - 1) * INTERVAL) / 1000) + 30;
  const cases = dashboardQueries(endS);
  const times = new Map<string, Record<string, { ms: number; series: number }>>();
  const loadSeconds: Record<string, number> = {};
  for (const start of [startPrometheusServer, startStrataReceive]) {
    const dir = await mkdtemp(join(tmpdir(), 'strata-bench-query-'));
    const server = await start(dir);
    try {
      process.stderr.write(`query: loading ${server.name}…\n`);
      loadSeconds[server.name] = await load(server, rounds);
      for (const c of cases) {
        await timeQuery(server.queryURL, c); // warm-up
        const runs: { ms: number; series: number }[] = [];
        for (let i = 0; i < 5; i++) runs.push(await timeQuery(server.queryURL, c));
        runs.sort((a, b) => a.ms - b.ms);
        const rec = times.get(c.name) ?? {};
        rec[server.name] = runs[2]!;
        times.set(c.name, rec);
      }
    } finally {
      await server.proc.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
  const results = cases.map((c) => {
    const t = times.get(c.name)!;
    return { name: c.name, prometheusMs: t['prometheus']!.ms, strataMs: t['strata']!.ms, series: [t['prometheus']!.series, t['strata']!.series] as [number, number] };
  });
  return { results, loadSeconds };
}

export function reportQuery(r: { results: QueryBenchResult[]; loadSeconds: Record<string, number> }): string {
  const lines = [
    '## Query latency (100k series, 1h of data at 30s; median of 5; POST like Grafana)',
    '| query | Prometheus 2.42 ms | Strata ms | Strata/Prometheus (target ≤ 1.0×) | series (P/S) |',
    '|---|---:|---:|---:|---:|',
    ...r.results.map((x) => `| ${x.name} | ${fmt(x.prometheusMs, 1)} | ${fmt(x.strataMs, 1)} | ${(x.strataMs / x.prometheusMs).toFixed(2)}× | ${x.series[0]}/${x.series[1]} |`),
    `\nLoad time through remote write: Prometheus ${fmt(r.loadSeconds['prometheus']!, 1)} s, Strata ${fmt(r.loadSeconds['strata']!, 1)} s.`,
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(reportQuery(await runQueryBench()));
}
