// `npm run bench`: every benchmark, Strata next to Debian's Prometheus in the same run, as ratios.
// Usage: npm run bench [-- ingest query blocks]   (default: all)
import { runIngestBench, reportIngest } from './ingest.ts';
import { runQueryBench, reportQuery } from './query.ts';

const which = new Set(process.argv.slice(2));
const all = which.size === 0;
const out: string[] = [`# Strata benchmarks — ${new Date().toISOString()} — node ${process.version}, ${(await import('node:os')).cpus().length} cores`];

if (all || which.has('ingest')) out.push(reportIngest(await runIngestBench()));
if (all || which.has('query')) out.push(reportQuery(await runQueryBench()));

console.log(out.join('\n\n'));
