// Profiling harness for the query benchmark (bench/query.ts): builds the same 100k-series head in
// process (src/tsdb/head through its Appender; no WAL, no HTTP, no Prometheus), wraps it the way
// `strata receive` does (tenant external label, merge queryables), and evaluates every query of
// dashboardQueries() through the real API handler of src/query/api.ts (engine + JSON encoding)
// with a stub request/response.
//
// Usage:
//   node --import tsx bench/profile-query.ts [--runs N] [--only SUBSTRING]
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-query.ts --runs 10
// Prints the median wall time and process CPU time (user+system, so GC threads count; less
// sensitive to a loaded machine than wall time) of each query after one warm-up, and its response size. Timing of
// the head build is excluded from the per-query figures (the CPU profile includes it; filter by
// the query functions when reading it).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Head } from '../src/tsdb/head/head.ts';
import { Labels } from '../src/labels/labels.ts';
import { MergeQueryable } from '../src/storage/merge.ts';
import { ExternalLabelsQueryable } from '../src/storage/extlabels.ts';
import { Engine } from '../src/promql/engine.ts';
import { createApiV1 } from '../src/query/api.ts';
import type { Queryable } from '../src/storage/interfaces.ts';
import { dashboardQueries, nextQueryValue, querySeriesLabels } from './query.ts';

const INTERVAL = 30_000;
const POINTS = 121; // 1h at 30s, as bench/query.ts

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : dflt;
}

/** The same series and values as bench/query.ts buildData(), appended directly to a head. */
export async function buildHead(startMs: number): Promise<Head> {
  const head = new Head();
  const flat = querySeriesLabels();
  const labels = flat.map((f) => Labels.fromSortedFlat(f));
  const refs = new Array<number>(labels.length).fill(0);
  const vals = new Float64Array(labels.length);
  for (let r = 0; r < POINTS; r++) {
    for (let j = 0; j < labels.length; j += 2000) {
      const app = head.appender();
      for (let s = j; s < Math.min(labels.length, j + 2000); s++) {
        nextQueryValue(vals, s, r);
        refs[s] = app.append(refs[s]!, labels[s]!, startMs + r * INTERVAL + (s % 1000), vals[s]!);
      }
      await app.commit();
    }
  }
  return head;
}

/** The queryable layering of `strata receive`: MultiTSDB merge → tenant external labels → head+blocks merge. */
export function receiveLikeQueryable(head: Head): Queryable {
  const tenant = new ExternalLabelsQueryable(new MergeQueryable(() => [head]), Labels.fromPairs([['tenant_id', 'default-tenant']]));
  return new MergeQueryable(() => [tenant]);
}

interface Captured {
  code: number;
  body: string;
}

function stubReqRes(): { req: IncomingMessage; res: ServerResponse; out: Captured } {
  const out: Captured = { code: 0, body: '' };
  const req = { method: 'GET', headers: {} } as unknown as IncomingMessage;
  const res = {
    writeHead(code: number) {
      out.code = code;
      return res;
    },
    end(body?: string | Buffer) {
      out.body = body === undefined ? '' : String(body);
    },
  } as unknown as ServerResponse;
  return { req, res, out };
}

async function main(): Promise<void> {
  const runs = Number(arg('--runs', '5'));
  const only = arg('--only', '');
  const startMs = 1_700_000_000_000;
  const t0 = performance.now();
  const head = await buildHead(startMs);
  process.stderr.write(`head: ${head.numSeries()} series built in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const api = createApiV1({
    queryable: receiveLikeQueryable(head),
    engine: new Engine(),
    buildInfo: { version: 'profile', revision: '', branch: '', buildUser: '', buildDate: '', goVersion: '' },
  });
  const endS = Math.floor((startMs + (POINTS - 1) * INTERVAL) / 1000) + 30;
  const call = async (path: string, params: Record<string, string>): Promise<Captured> => {
    const url = new URL(`http://x/api/v1/${path}?${new URLSearchParams(params).toString()}`);
    const { req, res, out } = stubReqRes();
    await api(req, res, url);
    if (out.code !== 200) throw new Error(`${path} ${params['query']}: ${out.code} ${out.body.slice(0, 300)}`);
    return out;
  };
  let total = 0;
  let totalCpu = 0;
  for (const c of dashboardQueries(endS)) {
    if (only && !c.name.includes(only)) continue;
    const first = await call(c.path, c.params); // warm-up
    const ms: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const a = performance.now();
      const u = process.cpuUsage();
      await call(c.path, c.params);
      const du = process.cpuUsage(u);
      ms.push(performance.now() - a);
      cpu.push((du.user + du.system) / 1000);
    }
    ms.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const med = ms[ms.length >> 1]!;
    const medCpu = cpu[cpu.length >> 1]!;
    total += med;
    totalCpu += medCpu;
    console.log(`${med.toFixed(1).padStart(8)} ms  ${medCpu.toFixed(1).padStart(8)} cpu-ms  ${String(first.body.length).padStart(8)} B  ${c.name}`);
  }
  console.log(`${total.toFixed(1).padStart(8)} ms  ${totalCpu.toFixed(1).padStart(8)} cpu-ms  total of medians (wall, process CPU incl. GC threads)`);
  head.close?.();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
