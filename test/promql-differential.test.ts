// Differential PromQL test: Debian's Prometheus 2.42 and Strata receive the same remote-written
// data; ~100 range queries covering every function and operator family run against both and must
// agree within 1e-6 (relative), except the documented 2.x → 3.x semantic changes below.
//
// Data timestamps are jittered off whole seconds and the query steps fall on whole minutes, so no
// sample sits exactly on a window boundary (3.0 made range selectors and lookback left-open), and
// every series starts 20 minutes before the query range (Prometheus 3's extrapolatedRate applies
// the counter zero-point guard after the extrapolation threshold, 2.42 before; only windows that
// contain a series' first sample differ).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RemoteWriteClient } from '../src/remotewrite/client.ts';
import type { SeriesInput } from '../src/remotewrite/codec.ts';
import { getJSON, startReceive, startPrometheus, stopAll, tempDir, type PrometheusServer, type StrataReceive } from './helpers/procs.ts';
import { mulberry32 as rng } from '../src/util/random.ts';

interface MatrixResp {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
  warnings?: string[];
}

const STEP = 15_000;
const POINTS = 360; // 90 minutes of data
const T0 = Math.floor((Date.now() - 2 * 3600_000) / 60_000) * 60_000; // a whole minute, 2h ago


/** The data set: counters (with resets), gauges, classic histograms, over 3 jobs × 4 instances. */
function dataset(): SeriesInput[] {
  const r = rng(42);
  const out: SeriesInput[] = [];
  const ts = (i: number, k: number) => T0 + i * STEP + 137 + ((k * 331) % 2000); // off whole seconds
  let k = 0;
  for (const job of ['api', 'db', 'web']) {
    for (let inst = 0; inst < 4; inst++) {
      const base = ['instance', `10.0.0.${inst}:9100`, 'job', job];
      for (const code of ['200', '500']) {
        k++;
        let v = 0;
        const times: number[] = [];
        const vals: number[] = [];
        for (let i = 0; i < POINTS; i++) {
          v += Math.floor(r() * (code === '200' ? 50 : 5));
          if (code === '500' && inst === 1 && i % 97 === 96) v = Math.floor(r() * 3); // counter resets
          times.push(ts(i, k));
          vals.push(v);
        }
        out.push({ labels: ['__name__', 'diff_requests_total', 'code', code, ...base], timestamps: times, values: vals });
      }
      k++;
      {
        const times: number[] = [];
        const vals: number[] = [];
        for (let i = 0; i < POINTS; i++) {
          if (inst === 3 && i > 200 && i < 230) continue; // a gap longer than the lookback delta
          times.push(ts(i, k));
          vals.push(Math.round((20 + 10 * Math.sin(i / 30 + inst) + r() * 2 - (job === 'db' ? 25 : 0)) * 1000) / 1000);
        }
        out.push({ labels: ['__name__', 'diff_temperature_celsius', ...base.slice(0, 2), 'job', job], timestamps: times, values: vals });
      }
      k++;
      {
        const les = ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
        const counts = new Array<number>(les.length).fill(0);
        let sum = 0;
        const series: { times: number[]; vals: number[] }[] = les.map(() => ({ times: [], vals: [] }));
        const sumS = { times: [] as number[], vals: [] as number[] };
        const cntS = { times: [] as number[], vals: [] as number[] };
        for (let i = 0; i < POINTS; i++) {
          const n = Math.floor(r() * 20);
          for (let j = 0; j < n; j++) {
            const x = r() ** 2 * (job === 'db' ? 3 : 1);
            sum += x;
            for (let b = 0; b < les.length; b++) if (les[b] === '+Inf' || x <= Number(les[b])) counts[b]!++;
          }
          const t = ts(i, k);
          les.forEach((_, b) => {
            series[b]!.times.push(t);
            series[b]!.vals.push(counts[b]!);
          });
          sumS.times.push(t);
          sumS.vals.push(Math.round(sum * 1e6) / 1e6);
          cntS.times.push(t);
          cntS.vals.push(counts[les.length - 1]!);
        }
        les.forEach((le, b) => out.push({ labels: ['__name__', 'diff_latency_seconds_bucket', ...base, 'le', le].slice(0), timestamps: series[b]!.times, values: series[b]!.vals }));
        out.push({ labels: ['__name__', 'diff_latency_seconds_sum', ...base], timestamps: sumS.times, values: sumS.vals });
        out.push({ labels: ['__name__', 'diff_latency_seconds_count', ...base], timestamps: cntS.times, values: cntS.vals });
      }
    }
  }
  // Remote write requires sorted label names.
  for (const s of out) {
    const pairs: [string, string][] = [];
    for (let i = 0; i < s.labels.length; i += 2) pairs.push([s.labels[i]!, s.labels[i + 1]!]);
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    (s as { labels: string[] }).labels = pairs.flat();
  }
  return out;
}

// Queries: a string, or [Strata (3.x) query, equivalent Prometheus 2.42 query, the documented
// 2.x → 3.x change that makes the rewrite necessary].
const Q: (string | [string, string, string])[] = [
  // selectors, offsets, @
  'diff_requests_total',
  'diff_requests_total{code="500"}',
  'diff_requests_total{job=~"a.*|web", code!="200"}',
  'diff_temperature_celsius offset 5m',
  'diff_temperature_celsius offset -2m',
  '{__name__=~"diff_temp.*", job!~"db"}',
  // counters
  'rate(diff_requests_total[5m])',
  'rate(diff_requests_total[2m])',
  'irate(diff_requests_total[5m])',
  'increase(diff_requests_total[10m])',
  'resets(diff_requests_total[30m])',
  'changes(diff_temperature_celsius[10m])',
  'delta(diff_temperature_celsius[10m])',
  'idelta(diff_temperature_celsius[5m])',
  'deriv(diff_temperature_celsius[10m])',
  'predict_linear(diff_temperature_celsius[10m], 600)',
  // *_over_time
  'avg_over_time(diff_temperature_celsius[10m])',
  'min_over_time(diff_temperature_celsius[10m])',
  'max_over_time(diff_temperature_celsius[10m])',
  'sum_over_time(diff_temperature_celsius[10m])',
  'count_over_time(diff_temperature_celsius[10m])',
  'quantile_over_time(0.9, diff_temperature_celsius[10m])',
  'stddev_over_time(diff_temperature_celsius[10m])',
  'stdvar_over_time(diff_temperature_celsius[10m])',
  'last_over_time(diff_temperature_celsius[10m])',
  'present_over_time(diff_temperature_celsius[10m])',
  'absent_over_time(diff_temperature_celsius{instance="10.0.0.3:9100",job="api"}[2m])',
  // aggregations
  'sum(rate(diff_requests_total[5m]))',
  'sum by (job) (rate(diff_requests_total[5m]))',
  'sum without (instance) (rate(diff_requests_total[5m]))',
  'avg by (job) (diff_temperature_celsius)',
  'min by (code) (diff_requests_total)',
  'max(diff_temperature_celsius)',
  'count by (job) (diff_temperature_celsius)',
  'group by (job) (diff_temperature_celsius)',
  'stddev by (job) (diff_temperature_celsius)',
  'stdvar(diff_temperature_celsius)',
  'topk(3, diff_temperature_celsius)',
  'bottomk(2, diff_temperature_celsius)', // bottomk of equal values picks an arbitrary series: avoid ties
  'topk by (job) (1, diff_temperature_celsius)',
  'quantile(0.75, diff_temperature_celsius)',
  'quantile by (job) (0.5, rate(diff_requests_total[5m]))',
  'count_values("value", round(diff_temperature_celsius / 10))',
  // classic histograms
  'histogram_quantile(0.9, sum by (le) (rate(diff_latency_seconds_bucket[5m])))',
  'histogram_quantile(0.5, sum by (job, le) (rate(diff_latency_seconds_bucket[5m])))',
  'histogram_quantile(0.99, rate(diff_latency_seconds_bucket[10m]))',
  'rate(diff_latency_seconds_sum[5m]) / rate(diff_latency_seconds_count[5m])',
  // arithmetic, comparison, vector matching
  'diff_temperature_celsius * 2 + 1',
  '-diff_temperature_celsius',
  'diff_temperature_celsius % 7',
  'diff_temperature_celsius ^ 2',
  '2 ^ 3 ^ 2',
  'diff_temperature_celsius > 20',
  'diff_temperature_celsius > bool 20',
  'diff_temperature_celsius == bool diff_temperature_celsius',
  '20 < diff_temperature_celsius',
  'rate(diff_requests_total{code="500"}[5m]) / ignoring(code) rate(diff_requests_total{code="200"}[5m])',
  'rate(diff_requests_total[5m]) / on(job, instance) group_left sum by (job, instance) (rate(diff_requests_total[5m]))',
  'sum by (job, instance) (rate(diff_requests_total[5m])) / on (job, instance) group_right diff_requests_total',
  'diff_temperature_celsius and diff_temperature_celsius > 25',
  'diff_temperature_celsius or diff_requests_total{code="500"}',
  'diff_temperature_celsius unless diff_temperature_celsius < 15',
  [
    'diff_temperature_celsius atan2 diff_temperature_celsius',
    '(diff_temperature_celsius atan2 diff_temperature_celsius) + 0',
    'Prometheus 3 drops the metric name for atan2 like the other arithmetic operators (operators.test: `trigy atan2 trigx` → `{}`); 2.42 kept it, `+ 0` drops it there',
  ],
  'scalar(sum(diff_temperature_celsius)) * diff_temperature_celsius',
  // math functions
  'abs(diff_temperature_celsius)',
  'ceil(diff_temperature_celsius)',
  'floor(diff_temperature_celsius)',
  'round(diff_temperature_celsius, 0.5)',
  'sqrt(abs(diff_temperature_celsius))',
  'exp(diff_temperature_celsius / 10)',
  'ln(abs(diff_temperature_celsius) + 1)',
  'log2(abs(diff_temperature_celsius) + 1)',
  'log10(abs(diff_temperature_celsius) + 1)',
  'sgn(diff_temperature_celsius)',
  'clamp(diff_temperature_celsius, 10, 25)',
  'clamp_min(diff_temperature_celsius, 15)',
  'clamp_max(diff_temperature_celsius, 15)',
  'sin(diff_temperature_celsius)',
  'cos(diff_temperature_celsius)',
  'tan(diff_temperature_celsius / 100)',
  'asin(diff_temperature_celsius / 100)',
  'acos(diff_temperature_celsius / 100)',
  'atan(diff_temperature_celsius)',
  'sinh(diff_temperature_celsius / 10)',
  'cosh(diff_temperature_celsius / 10)',
  'tanh(diff_temperature_celsius / 10)',
  'asinh(diff_temperature_celsius)',
  'acosh(abs(diff_temperature_celsius) + 1)',
  'atanh(diff_temperature_celsius / 100)',
  'deg(diff_temperature_celsius)',
  'rad(diff_temperature_celsius)',
  'pi() * 2',
  // time functions and misc
  'time()',
  'timestamp(diff_temperature_celsius)',
  'minute(timestamp(diff_temperature_celsius))',
  'hour()',
  'day_of_week()',
  'day_of_month()',
  'day_of_year()',
  'days_in_month()',
  'month()',
  'year()',
  'vector(1)',
  'scalar(diff_temperature_celsius{job="api", instance="10.0.0.0:9100"})',
  'absent(nonexistent_metric{job="x"})',
  'absent(diff_temperature_celsius)',
  'label_replace(diff_temperature_celsius, "host", "$1", "instance", "(.*):.*")',
  'label_join(diff_temperature_celsius, "id", "-", "job", "instance")',
  'sort_desc(sum by (job) (diff_temperature_celsius))',
  // subqueries
  [
    'max_over_time(rate(diff_requests_total[5m])[15m:1m])',
    'max_over_time(rate(diff_requests_total[5m])[14m59s999ms:1m])',
    'Prometheus 3.0 release notes: range selectors (and so subqueries) are left-open; the aligned subquery step at t-15m is excluded, which 2.42 expresses as [14m59s999ms:1m]',
  ],
  [
    'avg_over_time(diff_temperature_celsius[10m:30s])',
    'avg_over_time(diff_temperature_celsius[9m59s999ms:30s])',
    'Prometheus 3.0 left-open range selectors, as above',
  ],
  'rate(diff_requests_total[5m] offset 10m)',
];

let prom: PrometheusServer | undefined;
let strata: StrataReceive | undefined;
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  await stopAll(prom?.proc, strata?.proc);
  for (const c of cleanups) await c();
});

function close(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b)) || Math.abs(a - b) < 1e-12;
}

function normalise(r: MatrixResp): Map<string, [number, number][]> {
  const m = new Map<string, [number, number][]>();
  for (const s of r.data.result) {
    const metric = { ...s.metric };
    delete metric['tenant_id'];
    const key = JSON.stringify(Object.entries(metric).sort());
    m.set(key, s.values.map(([t, v]) => [t, Number(v)]));
  }
  return m;
}

test('Strata and Prometheus 2.42 agree on ~100 range queries over the same data', { timeout: 300_000 }, async () => {
  const dir = await tempDir('promql-diff');
  cleanups.push(dir.cleanup);
  strata = await startReceive(`${dir.path}/strata`);
  prom = await startPrometheus(dir.path, 'global:\n  scrape_interval: 1h\n', ['--web.enable-remote-write-receiver']);

  const data = dataset();
  for (const url of [strata.rwURL, `${prom.url}/api/v1/write`]) {
    const c = new RemoteWriteClient({ url });
    // Send in time order, a slice of every series per request, as a Prometheus would.
    for (let i = 0; i < POINTS; i += 40) {
      const series = data.map((s) => {
        const ts = Array.from(s.timestamps!).filter((_, j) => j >= i && j < i + 40);
        const vs = Array.from(s.values!).filter((_, j) => j >= i && j < i + 40);
        // Keep only samples whose index is in range (gaps make indexes differ from slots).
        return { labels: s.labels, timestamps: ts, values: vs };
      });
      const r = await c.write({ series });
      assert.ok(r.status >= 200 && r.status < 300, `write to ${url}: ${r.status} ${r.body}`);
    }
    c.close();
  }

  const start = (T0 + 20 * 60_000) / 1000;
  const end = (T0 + 85 * 60_000) / 1000;
  const failures: string[] = [];
  let compared = 0;
  for (const q of Q) {
    const [ours, theirs] = typeof q === 'string' ? [q, q] : [q[0], q[1]];
    const qs = (e: string) => `query=${encodeURIComponent(e)}&start=${start}&end=${end}&step=60`;
    const [a, b] = await Promise.all([
      getJSON<MatrixResp>(`${prom.url}/api/v1/query_range?${qs(theirs)}`),
      getJSON<MatrixResp>(`${strata.httpURL}/api/v1/query_range?${qs(ours)}`),
    ]);
    const pa = normalise(a);
    const pb = normalise(b);
    compared++;
    const problems: string[] = [];
    if (pa.size === 0 && !/absent\(diff|absent_over_time/.test(ours)) problems.push('Prometheus returned no series (test data problem)');
    for (const [k, va] of pa) {
      const vb = pb.get(k);
      if (!vb) {
        problems.push(`missing series ${k}`);
        continue;
      }
      if (va.length !== vb.length) {
        problems.push(`${k}: ${va.length} points vs ${vb.length}`);
        continue;
      }
      for (let i = 0; i < va.length; i++) {
        if (va[i]![0] !== vb[i]![0] || !close(va[i]![1], vb[i]![1])) {
          problems.push(`${k} @${va[i]![0]}: prometheus ${va[i]![1]} strata ${vb[i]![1]}`);
          break;
        }
      }
    }
    for (const k of pb.keys()) if (!pa.has(k)) problems.push(`extra series ${k}`);
    if (problems.length) failures.push(`${ours}\n    ${problems.slice(0, 3).join('\n    ')}`);
  }
  console.log(`# differential: ${compared - failures.length}/${compared} queries agree with Prometheus 2.42`);
  assert.deepEqual(failures, [], `${failures.length} of ${compared} queries differ:\n${failures.join('\n')}`);
});
