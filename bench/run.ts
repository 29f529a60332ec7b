// `npm run bench`: every benchmark, Strata next to Debian's Prometheus in the same run, as ratios.
// Usage: npm run bench [-- ingest query store compact]   (default: all)
//   ingest  — remote-write ingest (bench/ingest.ts)
//   query   — dashboard query latency over remote-written data (bench/query.ts)
//   store   — the same dashboards over 24h of blocks: strata store + strata query vs Prometheus (bench/store-query.ts)
//   compact — compaction and downsampling throughput (bench/compact.ts)
import { runIngestBench, reportIngest } from './ingest.ts';
import { runQueryBench, reportQuery } from './query.ts';
import { runStoreQueryBench, reportStoreQuery } from './store-query.ts';
import { runCompactBench, reportCompact } from './compact.ts';

const which = new Set(process.argv.slice(2));
const known = ['ingest', 'query', 'store', 'compact'];
for (const w of which) if (!known.includes(w)) throw new Error(`unknown benchmark ${w}; choose from ${known.join(', ')}`);
const all = which.size === 0;
const out: string[] = [`# Strata benchmarks — ${new Date().toISOString()} — node ${process.version}, ${(await import('node:os')).cpus().length} cores`];
const took: string[] = [];

async function part(name: string, run: () => Promise<string>): Promise<void> {
  if (!all && !which.has(name)) return;
  const t = performance.now();
  out.push(await run());
  took.push(`${name} ${((performance.now() - t) / 1000).toFixed(0)} s`);
}

await part('ingest', async () => reportIngest(await runIngestBench()));
await part('query', async () => reportQuery(await runQueryBench()));
await part('store', async () => reportStoreQuery(await runStoreQueryBench()));
await part('compact', async () => reportCompact(await runCompactBench()));
out.push(`Wall time per part: ${took.join(', ')}.`);

console.log(out.join('\n\n'));
