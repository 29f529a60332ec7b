// Unit tests for the histogram range functions: hand-built windows transcribed from the `eval`
// cases of Prometheus' promqltest files (/work/shared/promql-testdata: native_histograms.test,
// functions.test, extended_vectors.test, start_timestamps.test). Each test names its source.
// Series are written in the files' own notation and parsed with the script parser; windows are
// cut as Prometheus' matrixIterSlice does ((t−range, t], plus the lookback for anchored/smoothed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FloatHistogram } from '../histogram/index.ts';
import { Annotations } from '../annotations.ts';
import { isStaleNaN } from '../../tsdb/stale.ts';
import { expandSTItem, parseDuration, parseHistogramLiteral, parseSequence } from '../../../test/promql/script.ts';
import { almostEqual } from '../../../test/promql/match.ts';
import { FunctionError } from './range.ts';
import { HISTOGRAM_RANGE_FUNCTIONS, histogramRangeFn } from './histogram-range.ts';
import type { HistRangeResult, HistWindow } from './histogram-range.ts';

const LOOKBACK = 5 * 60_000;

interface Series {
  fts: Float64Array;
  fvs: Float64Array;
  fsts: Float64Array | null;
  hts: Float64Array;
  hvs: FloatHistogram[];
  hsts: Float64Array | null;
}

const d = (s: string): number => parseDuration(s);

/** A series from a load line's values (`load <interval>`), with an optional `@st` line. */
function load(interval: string, values: string, st?: string): Series {
  const step = d(interval);
  const seq = parseSequence(values);
  const offs = st === undefined ? null : st.trim().split(/\s+/).flatMap((it) => expandSTItem(it));
  const fts: number[] = [];
  const fvs: number[] = [];
  const fsts: number[] = [];
  const hts: number[] = [];
  const hvs: FloatHistogram[] = [];
  const hsts: number[] = [];
  seq.forEach((v, i) => {
    if (v.omitted) return;
    const t = i * step;
    const o = offs?.[i];
    const stv = o && !o.omitted ? t + o.value : 0;
    if (v.histogram) {
      const h = v.histogram;
      hts.push(t);
      hvs.push(new FloatHistogram({
        schema: h.schema, count: h.count, sum: h.sum, zeroCount: h.zeroCount, zeroThreshold: h.zeroThreshold,
        positiveSpans: h.positiveSpans.map((x) => ({ ...x })), positiveBuckets: h.positiveBuckets.slice(),
        negativeSpans: h.negativeSpans.map((x) => ({ ...x })), negativeBuckets: h.negativeBuckets.slice(),
        customValues: h.customValues.slice(), counterResetHint: h.counterResetHint,
      }));
      hsts.push(stv);
    } else if (!isStaleNaN(v.value)) {
      fts.push(t);
      fvs.push(v.value);
      fsts.push(stv);
    }
  });
  return {
    fts: Float64Array.from(fts), fvs: Float64Array.from(fvs), hts: Float64Array.from(hts), hvs,
    fsts: offs ? Float64Array.from(fsts) : null, hsts: offs ? Float64Array.from(hsts) : null,
  };
}

/** Index of the first element > x in ts. */
function upper(ts: Float64Array, x: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (ts[m]! > x) hi = m;
    else lo = m + 1;
  }
  return lo;
}

interface Opts {
  params?: number[];
  anchored?: boolean;
  smoothed?: boolean;
  /** The query as written in the test file (for rendering annotation positions). */
  query: string;
  /** Text of the range-vector argument's start in the query (default: the metric name). */
  argText?: string;
  metricName: string;
  sts?: boolean;
}

interface Outcome {
  r: HistRangeResult | undefined; // undefined: no histogram in the window (float path's job)
  warnings: string[];
  infos: string[];
  w: HistWindow;
}

function run(name: string, s: Series, at: string, range: string, o: Opts): Outcome {
  const t = d(at);
  const rangeMs = d(range);
  const rangeStart = t - rangeMs;
  const rangeEnd = t;
  const mint = o.anchored || o.smoothed ? rangeStart - LOOKBACK : rangeStart;
  const maxt = o.smoothed ? rangeEnd + LOOKBACK : rangeEnd;
  const w: HistWindow = {
    fts: s.fts, fvs: s.fvs, flo: upper(s.fts, mint), fhi: upper(s.fts, maxt),
    hts: s.hts, hvs: s.hvs, hlo: upper(s.hts, mint), hhi: upper(s.hts, maxt),
    fsts: o.sts ? s.fsts : null, hsts: o.sts ? s.hsts : null,
  };
  const annos = new Annotations();
  const argText = o.argText ?? o.metricName;
  const start = o.query.indexOf(argText);
  assert.ok(start >= 0, `${argText} not in ${o.query}`);
  const r = w.hhi > w.hlo
    ? histogramRangeFn(name, w, {
      ts: t, rangeStart, rangeEnd, rangeMs, params: o.params ?? [], annos,
      argPos: { start, end: start + argText.length }, metricName: o.metricName,
      anchored: !!o.anchored, smoothed: !!o.smoothed,
    })
    : undefined;
  const { warnings, infos } = annos.asStrings(o.query);
  return { r, warnings, infos, w };
}

/** promqltest histogram comparison: compacted, schema/threshold exact, values within 1e-6. */
function assertHist(actual: HistRangeResult | undefined, literal: string): void {
  assert.ok(actual && 'h' in actual, `expected histogram ${literal}, got ${JSON.stringify(actual)}`);
  const { h: e0, hintSet } = parseHistogramLiteral(literal);
  const exp = new FloatHistogram(e0).compact(0);
  const got = actual.h.compact(0);
  const msg = `got ${got.toLiteral()} want ${literal}`;
  assert.equal(got.schema, exp.schema, msg);
  assert.equal(got.zeroThreshold, exp.zeroThreshold, msg);
  for (const k of ['count', 'sum', 'zeroCount'] as const) assert.ok(almostEqual(got[k], exp[k]), `${k}: ${msg}`);
  assert.deepEqual(got.positiveSpans, exp.positiveSpans, msg);
  assert.deepEqual(got.negativeSpans, exp.negativeSpans, msg);
  assert.equal(got.positiveBuckets.length, exp.positiveBuckets.length, msg);
  assert.equal(got.negativeBuckets.length, exp.negativeBuckets.length, msg);
  got.positiveBuckets.forEach((v, i) => assert.ok(almostEqual(v, exp.positiveBuckets[i]!), msg));
  got.negativeBuckets.forEach((v, i) => assert.ok(almostEqual(v, exp.negativeBuckets[i]!), msg));
  if (got.usesCustomBuckets()) assert.deepEqual(got.customValues, exp.customValues, msg);
  if (hintSet) assert.equal(got.counterResetHint, exp.counterResetHint, msg);
}

function assertFloat(actual: HistRangeResult | undefined, want: number): void {
  assert.ok(actual && 'f' in actual, `expected float ${want}, got ${JSON.stringify(actual)}`);
  assert.ok(almostEqual(actual.f, want), `got ${actual.f} want ${want}`);
}

function assertH(actual: HistRangeResult | undefined, field: 'count' | 'sum', want: number): void {
  assert.ok(actual && 'h' in actual, `expected histogram, got ${JSON.stringify(actual)}`);
  assert.ok(almostEqual(actual.h[field], want), `histogram_${field}: got ${actual.h[field]} want ${want}`);
}

const NO: string[] = [];

// ---------------------------------------------------------------------------------------------
// rate / increase / delta (native_histograms.test)

test('rate: incr_histogram (native_histograms.test 156)', () => {
  const s = load('5m', '{{schema:0 sum:4 count:4 buckets:[1 2 1]}}+{{sum:2 count:1 buckets:[1] offset:1}}x10');
  const q = 'rate(incr_histogram[10m])';
  const o = run('rate', s, '50m', '10m', { query: q, metricName: 'incr_histogram' });
  assertHist(o.r, '{{count:0.0033333333333333335 sum:0.006666666666666667 offset:1 buckets:[0.0033333333333333335]}}');
  assert.deepEqual(o.warnings, NO);
});

test('rate: histogram_rate with zero bucket and negative buckets (native_histograms.test 306/310)', () => {
  const s = load('15s', '{{schema:1 count:12 sum:18.4 z_bucket:2 z_bucket_w:0.001 buckets:[1 2 0 1 1] n_buckets:[1 2 0 1 1]}}+{{schema:1 count:9 sum:18.4 z_bucket:1 z_bucket_w:0.001 buckets:[1 1 0 1 1] n_buckets:[1 1 0 1 1]}}x100');
  const want = '{{schema:1 count:0.6 sum:1.2266666666666652 z_bucket:0.06666666666666667 z_bucket_w:0.001 buckets:[0.06666666666666667 0.06666666666666667 0 0.06666666666666667 0.06666666666666667] n_buckets:[0.06666666666666667 0.06666666666666667 0 0.06666666666666667 0.06666666666666667]}}';
  for (const at of ['5m', '5m30s']) {
    const o = run('rate', s, at, '45s', { query: 'rate(histogram_rate[45s])', metricName: 'histogram_rate' });
    assertHist(o.r, want);
    assert.deepEqual(o.warnings, NO);
  }
});

test('increase: counter reset only in one bucket (native_histograms.test 1061)', () => {
  const s = load('5m', '{{schema:0 count:4 sum:5 buckets:[1 2 1]}} {{schema:0 count:5 sum:6 buckets:[1 1 3]}} {{schema:0 count:6 sum:7 buckets:[1 2 3]}}');
  const o = run('increase', s, '10m', '15m', { query: 'increase(reset_in_bucket[15m])', metricName: 'reset_in_bucket' });
  assertHist(o.r, '{{count:9 sum:10.5 buckets:[1.5 3 4.5]}}');
  assert.deepEqual(o.warnings, NO);
  assertH(o.r, 'count', 9);
  assertH(o.r, 'sum', 10.5);
});

test('rate: gauge histograms warn "not a counter" (native_histograms.test 1096/1101)', () => {
  const s = load('30s', '{{schema:0 sum:1 count:1 buckets:[1] counter_reset_hint:gauge}} {{schema:0 sum:2 count:2 buckets:[2] counter_reset_hint:gauge}} {{schema:0 sum:3 count:3 buckets:[3] counter_reset_hint:gauge}}');
  const warn = ['PromQL warning: this native histogram metric is not a counter: "some_metric" (1:6)'];
  const want = '{{count:0.03333333333333333 sum:0.03333333333333333 buckets:[0.03333333333333333]}}';
  let o = run('rate', s, '30s', '1m', { query: 'rate(some_metric[1m])', metricName: 'some_metric' });
  assertHist(o.r, want);
  assert.deepEqual(o.warnings, warn);
  o = run('rate', s, '1m', '1m30s', { query: 'rate(some_metric[1m30s])', metricName: 'some_metric' });
  assertHist(o.r, want);
  assert.deepEqual(o.warnings, warn);
});

test('rate: exponential and custom buckets mixed (native_histograms.test 1112-1138)', () => {
  const s = load('30s', '{{schema:0 sum:1 count:1 buckets:[1]}} {{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}} {{schema:0 sum:5 count:4 buckets:[1 2 1]}} {{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}}');
  const warn = ['PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name "some_metric" (1:6)'];
  let o = run('rate', s, '1m', '1m30s', { query: 'rate(some_metric[1m30s])', metricName: 'some_metric' });
  assert.equal(o.r, null);
  assert.deepEqual(o.warnings, warn);
  o = run('rate', s, '1m30s', '1m30s', { query: 'rate(some_metric[1m30s])', metricName: 'some_metric' });
  assert.equal(o.r, null);
  assert.deepEqual(o.warnings, warn);
  // Start with custom, end with exponential: the reset drops the 1st sample.
  o = run('rate', s, '1m', '1m', { query: 'rate(some_metric[1m])', metricName: 'some_metric' });
  assertHist(o.r, '{{count:0.08333333333333333 sum:0.10416666666666666 counter_reset_hint:gauge buckets:[0.020833333333333332 0.041666666666666664 0.020833333333333332]}}');
  assert.deepEqual(o.warnings, NO);
  o = run('rate', s, '30s', '1m', { query: 'rate(some_metric[1m])', metricName: 'some_metric' });
  assertHist(o.r, '{{schema:-53 sum:0.03333333333333333 count:0.03333333333333333 custom_values:[5 10] buckets:[0.03333333333333333]}}');
  assert.deepEqual(o.warnings, NO);
});

test('rate: constant histogram gives an empty histogram (native_histograms.test 1150-1193)', () => {
  const s = load('1m', '{{schema:0 sum:1 count:1 buckets:[1 1 1]}}x4');
  const o = run('rate', s, '5m', '5m', { query: 'rate(const_histogram[5m])', metricName: 'const_histogram' });
  assertHist(o.r, '{{schema:0 sum:0 count:0}}');
  assert.deepEqual(o.warnings, NO);
  assert.ok(o.r && 'h' in o.r && o.r.h.positiveBuckets.length === 0, 'empty buckets are compacted away');
});

test('nhcb with changing custom bounds: functions at 12m and 18m (native_histograms.test 1292-1380)', () => {
  const s = load('6m', '{{schema:-53 sum:1 count:1 custom_values:[5] buckets:[1]}} {{schema:-53 sum:1 count:1 custom_values:[5] buckets:[1]}} {{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}} {{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}}');
  const m = 'nhcb_metric';
  const q = (f: string): { query: string; metricName: string } => ({ query: `${f}(${m}[13m])`, metricName: m });
  const aggInfo = ['PromQL info: mismatched custom buckets were reconciled during aggregation (1:15)'];
  // 12m
  let o = run('sum_over_time', s, '12m', '13m', q('sum_over_time'));
  assertHist(o.r, '{{schema:-53 count:3 sum:3 custom_values:[5] buckets:[3]}}');
  assert.deepEqual(o.warnings, NO);
  assert.deepEqual(o.infos, aggInfo);
  o = run('avg_over_time', s, '12m', '13m', q('avg_over_time'));
  assertHist(o.r, '{{schema:-53 count:1 sum:1 custom_values:[5] buckets:[1]}}');
  assert.deepEqual(o.warnings, NO);
  assert.deepEqual(o.infos, aggInfo);
  o = run('last_over_time', s, '12m', '13m', q('last_over_time'));
  assertHist(o.r, '{{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}}');
  assertFloat(run('count_over_time', s, '12m', '13m', q('count_over_time')).r, 3);
  assertFloat(run('present_over_time', s, '12m', '13m', q('present_over_time')).r, 1);
  assertFloat(run('changes', s, '12m', '13m', q('changes')).r, 1);
  assertFloat(run('resets', s, '12m', '13m', q('resets')).r, 0);
  o = run('delta', s, '12m', '13m', q('delta'));
  assertHist(o.r, '{{schema:-53 custom_values:[5]}}');
  assert.deepEqual(o.warnings, ['PromQL warning: this native histogram metric is not a gauge: "nhcb_metric" (1:7)']);
  for (const f of ['increase', 'rate']) {
    o = run(f, s, '12m', '13m', q(f));
    assertHist(o.r, '{{schema:-53 custom_values:[5]}}');
    assert.deepEqual(o.warnings, NO);
  }
  // 18m
  o = run('sum_over_time', s, '18m', '13m', q('sum_over_time'));
  assertHist(o.r, '{{schema:-53 count:3 sum:3 custom_values:[5] buckets:[3]}}');
  assert.deepEqual(o.warnings, NO);
  o = run('avg_over_time', s, '18m', '13m', q('avg_over_time'));
  assertHist(o.r, '{{schema:-53 count:1 sum:1 custom_values:[5] buckets:[1]}}');
  assert.deepEqual(o.warnings, NO);
  assertFloat(run('changes', s, '18m', '13m', q('changes')).r, 1);
  assertFloat(run('resets', s, '18m', '13m', q('resets')).r, 0);
  o = run('delta', s, '18m', '13m', q('delta'));
  assertHist(o.r, '{{schema:-53 custom_values:[5]}}');
  assert.deepEqual(o.warnings, ['PromQL warning: this native histogram metric is not a gauge: "nhcb_metric" (1:7)']);
  assert.deepEqual(o.infos, ['PromQL info: mismatched custom buckets were reconciled during subtraction (1:7)']);
  for (const f of ['increase', 'rate']) {
    o = run(f, s, '18m', '13m', q(f));
    assertHist(o.r, '{{schema:-53 custom_values:[5]}}');
    assert.deepEqual(o.warnings, NO);
  }
});

test('increase: extrapolation stops at the zero point of the count (native_histograms.test 1670-1714)', () => {
  const s = load('1m', '{{schema:0 count:15 sum:25 buckets:[5 10]}} {{schema:0 count:2490 sum:75 buckets:[15 2475]}}x55');
  const q = { query: 'increase(metric[90m])', metricName: 'metric' };
  let o = run('increase', s, '55m', '90m', q);
  assertHist(o.r, '{{count:2490 sum:50.303030303030305 counter_reset_hint:gauge buckets:[10.06060606060606 2479.939393939394]}}');
  assert.deepEqual(o.warnings, NO);
  o = run('increase', s, '54m30s', '90m', q);
  assertHist(o.r, '{{count:2512.9166666666665 sum:50.76599326599326 counter_reset_hint:gauge buckets:[10.153198653198652 2502.7634680134674]}}');
  o = run('increase', s, '55m', '55m15s', q);
  assertHist(o.r, '{{count:2486.25 sum:50.227272727272734 counter_reset_hint:gauge buckets:[10.045454545454547 2476.2045454545455]}}');
  o = run('increase', s, '54m30s', '54m45s', q);
  assertHist(o.r, '{{count:2509.375 sum:50.69444444444444 counter_reset_hint:gauge buckets:[10.13888888888889 2499.236111111111]}}');
});

test('rate: no conflicting-reset warning from rate (native_histograms.test 1969)', () => {
  const s = load('1m', '{{schema:0 sum:1 count:0 buckets:[1 1 1]}} {{schema:0 sum:1 count:2 buckets:[1 1 1]}} {{schema:0 sum:1 count:3 buckets:[1 1 1]}}  {{schema:0 sum:1 count:2 buckets:[1 1 1]}}');
  const o = run('rate', s, '5m', '5m', { query: 'histogram_count(rate(reset{timing="late"}[5m]))', argText: 'reset{', metricName: 'reset' });
  assertH(o.r, 'count', 0.0175);
  assert.deepEqual(o.warnings, NO);
});

test('increase over a subquery window with a reset in one bucket (native_histograms.test 1933/1936)', () => {
  // h[40m:9m] at 41m: subquery steps 9m, 18m, 27m, 36m (a multiple of 9m within (1m, 41m]).
  const src = load('1m', '{{schema:0 count:1 sum:10 buckets:[1]}}+{{}}x20 {{schema:0 count:1 sum:10 buckets:[0 1]}}+{{}}x20');
  const steps = [9, 18, 27, 36].map((m) => m * 60_000);
  const s: Series = {
    fts: new Float64Array(0), fvs: new Float64Array(0), fsts: null, hsts: null,
    hts: Float64Array.from(steps), hvs: steps.map((t) => src.hvs[src.hts.indexOf(t)]!),
  };
  const o = run('increase', s, '41m', '40m', { query: 'increase(h[40m:9m])', argText: 'h[', metricName: '' });
  assertHist(o.r, '{{count:1.4814814814814814 sum:14.814814814814813 counter_reset_hint:gauge offset:1 buckets:[1.4814814814814814]}}');
});

// ---------------------------------------------------------------------------------------------
// rate / irate / idelta / delta (functions.test)

test('irate over histograms (functions.test 216-273)', () => {
  const m = 'http_requests_histogram';
  const cases: [string, string, string | null, string[] | null][] = [
    ['/a', '{{sum:2 count:2}}+{{sum:3 count:3}}x5', '{{sum:0.01 count:0.01 counter_reset_hint:gauge}}', NO],
    ['/b', '0 0 {{sum:1 count:1}} {{sum:4 count:4}}', '{{sum:0.01 count:0.01 counter_reset_hint:gauge}}', NO],
    ['/c', '0 0 {{sum:1 count:1}} {{sum:4 count:4 counter_reset_hint:gauge}}', '{{sum:0.01 count:0.01 counter_reset_hint:gauge}}',
      [`PromQL warning: this native histogram metric is not a counter: "${m}" (1:7)`]],
    ['/d', '0 0 {{sum:1 count:1 counter_reset_hint:gauge}} {{sum:4 count:4}}', '{{sum:0.01 count:0.01 counter_reset_hint:gauge}}',
      [`PromQL warning: this native histogram metric is not a counter: "${m}" (1:7)`]],
    ['/e', '0 1 2 {{sum:4 count:4}}', null, [`PromQL warning: encountered a mix of histograms and floats for metric name "${m}" (1:7)`]],
    ['/f', '0 0 {{sum:1 count:1}} {{schema:-53 sum:3 count:3 custom_values:[5 10] buckets:[3]}}', '{{schema:-53 sum:0.01 count:0.01 custom_values:[5 10] buckets:[0.01]}}', NO],
    ['/g', '0 0 {{schema:-53 sum:3 count:3 custom_values:[1] buckets:[3]}} {{schema:-53 sum:3 count:3 custom_values:[5 10] buckets:[3]}}', '{{schema:-53 counter_reset_hint:gauge}}', NO],
  ];
  for (const [path, values, want, warns] of cases) {
    const s = load('5m', values);
    const o = run('irate', s, '20m', '20m', { query: `irate(${m}{path="${path}"}[20m])`, metricName: m });
    if (want === null) assert.equal(o.r, null, path);
    else assertHist(o.r, want);
    if (warns) assert.deepEqual(o.warnings, warns, path);
  }
  // irate(…{path="/b"}[6m]): one sample only.
  const o = run('irate', load('5m', '0 0 {{sum:1 count:1}} {{sum:4 count:4}}'), '20m', '6m', { query: `irate(${m}{path="/b"}[6m])`, metricName: m });
  assert.equal(o.r, null);
  assert.deepEqual(o.warnings, NO);
});

test('idelta over histograms (functions.test 307-356)', () => {
  const m = 'http_requests_histogram';
  const notGauge = [`PromQL warning: this native histogram metric is not a gauge: "${m}" (1:8)`];
  const cases: [string, string, string | null, string[]][] = [
    ['/a', '{{sum:2 count:2 counter_reset_hint:gauge}}+{{sum:1 count:3 counter_reset_hint:gauge}}x5', '{{sum:1 count:3 counter_reset_hint:gauge}}', NO],
    ['/b', '0 0 {{sum:1 count:1 counter_reset_hint:gauge}} {{sum:2 count:2 counter_reset_hint:gauge}}', '{{sum:1 count:1 counter_reset_hint:gauge}}', NO],
    ['/c', '0 0 {{sum:1 count:1}} {{sum:2 count:2 counter_reset_hint:gauge}}', '{{sum:1 count:1 counter_reset_hint:gauge}}', notGauge],
    ['/d', '0 0 {{sum:1 count:1 counter_reset_hint:gauge}} {{sum:2 count:2}}', '{{sum:1 count:1 counter_reset_hint:gauge}}', notGauge],
    ['/e', '0 1 2 {{sum:1 count:2 counter_reset_hint:gauge}}', null, [`PromQL warning: encountered a mix of histograms and floats for metric name "${m}" (1:8)`]],
    ['/f', '0 0 {{sum:1 count:1 counter_reset_hint:gauge}} {{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1] counter_reset_hint:gauge}}', null,
      [`PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name "${m}" (1:8)`]],
    ['/g', '0 0 {{schema:-53 sum:1 count:1 custom_values:[1] buckets:[2] counter_reset_hint:gauge}} {{schema:-53 sum:1 count:1 custom_values:[1 10] buckets:[1] counter_reset_hint:gauge}}', '{{schema:-53 custom_values:[1] counter_reset_hint:gauge buckets:[-1]}}', NO],
  ];
  for (const [path, values, want, warns] of cases) {
    const s = load('5m', values);
    const o = run('idelta', s, '20m', '20m', { query: `idelta(${m}{path="${path}"}[20m])`, metricName: m });
    if (want === null) assert.equal(o.r, null, path);
    else assertHist(o.r, want);
    assert.deepEqual(o.warnings, warns, path);
    if (path === '/g') assert.deepEqual(o.infos, ['PromQL info: mismatched custom buckets were reconciled during subtraction (1:8)']);
  }
});

test('irate with reconciled custom bounds (native_histograms.test 2014-2033)', () => {
  let s = load('1m', '{{schema:-53 sum:55 count:15 custom_values:[2 4 6] buckets:[1 2 5 7]}} {{schema:-53 sum:555 count:450 custom_values:[1 2 3 4 5 6 7 8] buckets:[10 20 30 40 50 60 70 80 90]}}');
  let o = run('irate', s, '1m', '2m', { query: 'irate(nhcb_add_buckets[2m]) * 60', metricName: 'nhcb_add_buckets' });
  assert.ok(o.r && 'h' in o.r);
  assertHist({ h: o.r.h.mul(60) }, '{{schema:-53 sum:500 count:435 custom_values:[2 4 6] buckets:[29 68 105 233]}}');
  assert.deepEqual(o.warnings, NO);
  assert.deepEqual(o.infos, ['PromQL info: mismatched custom buckets were reconciled during subtraction (1:7)']);

  s = load('1m', '{{schema:-53 sum:55 count:45 custom_values:[1 2 3 4 5 6 7 8] buckets:[1 2 3 4 5 6 7 8 9]}} {{schema:-53 sum:5560 count:1000 custom_values:[3 5 7] buckets:[100 200 300 400]}}');
  o = run('irate', s, '1m', '2m', { query: 'irate(nhcb_remove_buckets[2m]) * 60', metricName: 'nhcb_remove_buckets' });
  assert.ok(o.r && 'h' in o.r);
  assertHist({ h: o.r.h.mul(60) }, '{{schema:-53 sum:5505 count:955 custom_values:[3 5 7] buckets:[94 191 287 383]}}');
  assert.deepEqual(o.infos, ['PromQL info: mismatched custom buckets were reconciled during subtraction (1:7)']);

  // A reset in one bucket: no subtraction, no reconciliation.
  s = load('1m', '{{schema:-53 sum:55 count:15 custom_values:[2 4 6] buckets:[1 2 5 7]}} {{schema:-53 sum:56 count:15 custom_values:[2 3 4 6] buckets:[1 0 1 5 8]}}');
  o = run('irate', s, '1m', '2m', { query: 'irate(nhcb_add_bucket[2m]) * 60', metricName: 'nhcb_add_bucket' });
  assert.ok(o.r && 'h' in o.r);
  assertHist({ h: o.r.h.mul(60) }, '{{schema:-53 sum:56 count:15 custom_values:[2 3 4 6] buckets:[1 0 1 5 8] counter_reset_hint:gauge}}');
  assert.deepEqual(o.warnings, NO);
  assert.deepEqual(o.infos, NO);
});

test('delta over histograms (functions.test 278-302)', () => {
  let o = run('delta', load('5m', '{{schema:0 sum:0 count:0 buckets:[0 0 0] counter_reset_hint:gauge}}+{{schema:0 sum:1 count:2 buckets:[1 1 1] counter_reset_hint:gauge}}x5'), '20m', '20m',
    { query: 'delta(http_requests_gauge[20m])', metricName: 'http_requests_gauge' });
  assertHist(o.r, '{{schema:0 sum:4 count:8 buckets:[4 4 4]}}');
  assert.deepEqual(o.warnings, NO);
  o = run('delta', load('5m', '{{schema:0 sum:0 count:0 buckets:[0 0 0]}}+{{schema:0 sum:1 count:2 buckets:[1 1 1]}}x5'), '20m', '20m',
    { query: 'delta(http_requests_counter[20m])', metricName: 'http_requests_counter' });
  assertHist(o.r, '{{schema:0 sum:4 count:8 buckets:[4 4 4]}}');
  assert.deepEqual(o.warnings, ['PromQL warning: this native histogram metric is not a gauge: "http_requests_counter" (1:7)']);
  o = run('delta', load('5m', '0 50 100 {{schema:0 sum:0 count:0 buckets:[0 0 0] counter_reset_hint:gauge}} {{schema:0 sum:1 count:2 buckets:[1 1 1] counter_reset_hint:gauge}}'), '20m', '20m',
    { query: 'delta(http_requests_mix[20m])', metricName: 'http_requests_mix' });
  assert.equal(o.r, null);
  assert.deepEqual(o.warnings, ['PromQL warning: encountered a mix of histograms and floats for metric name "http_requests_mix" (1:7)']);
});

// ---------------------------------------------------------------------------------------------
// resets / changes (functions.test 1-97, extended_vectors.test 720-800)

test('resets and changes over mixed float/histogram windows (functions.test 44-97)', () => {
  const m = 'http_requests_histogram';
  const series: Record<string, string> = {
    '/foo': '{{schema:0 sum:1 count:1}}x9',
    '/bar': '0 0 0 0 0 0 0 0 {{schema:0 sum:1 count:1}} {{schema:0 sum:1 count:1}}',
    '/biz': '0 1 0 2 0 3 0 {{schema:0 sum:1 count:1 z_bucket_w:0.001 z_bucket:2}} {{schema:0 sum:2 count:2 z_bucket_w:0.001 z_bucket:1}} {{schema:0 sum:1 count:1 z_bucket_w:0.001 z_bucket:2}}',
  };
  const want: Record<string, Record<string, [number, number]>> = {
    // range: path -> [resets, changes]
    '6m': { '/foo': [0, 0], '/bar': [0, 0], '/biz': [0, 0] },
    '60m': { '/foo': [0, 0], '/bar': [1, 1], '/biz': [6, 9] },
  };
  for (const [range, byPath] of Object.entries(want)) {
    for (const [path, [r, c]] of Object.entries(byPath)) {
      const s = load('5m', series[path]!);
      const q = { query: `resets(${m}[${range}])`, metricName: m };
      assertFloat(run('resets', s, '50m', range, q).r, r);
      assertFloat(run('changes', s, '50m', range, { ...q, query: `changes(${m}[${range}])` }).r, c);
    }
  }
  // changes(http_requests_histogram[5m]) at 50m: the window (45m, 50m] is empty.
  assert.equal(run('changes', load('5m', series['/foo']!), '50m', '5m', { query: `changes(${m}[5m])`, metricName: m }).r, undefined);
});

test('resets/changes with anchored windows mixing types (extended_vectors.test 727-800)', () => {
  const data: Record<string, string> = {
    ftohmixed: '1 2 3 {{schema:0 sum:5 count:4 buckets:[1 2 1]}} 4 5 6 7+1x60',
    htofmixed: '{{schema:0 sum:1 count:1 buckets:[1]}} {{schema:0 sum:2 count:2 buckets:[2]}} {{schema:0 sum:3 count:3 buckets:[3]}} 5',
    histograms: '{{schema:0 sum:5 count:2}} {{schema:0 sum:5 count:1}} {{schema:0 sum:5 count:2}} {{schema:0 sum:5 count:1}} {{schema:0 sum:5 count:2}}',
    honlywithreset: '{{schema:0 sum:1 count:1 buckets:[1]}} {{schema:0 sum:2 count:2 buckets:[2]}} {{schema:0 sum:3 count:3 buckets:[3]}} {{schema:0 sum:1 count:1 buckets:[1] counter_reset_hint:reset}}',
    hhffmixed: '{{schema:0 sum:1 count:1 buckets:[1]}} {{schema:0 sum:2 count:2 buckets:[2]}} 5 2 3',
  };
  for (const [name, values] of Object.entries(data)) {
    const s = load('1m', values);
    for (const f of ['resets', 'changes']) {
      const o = run(f, s, '3m', '1m', { query: `${f}(${name}[1m] anchored)`, metricName: name, anchored: true });
      assertFloat(o.r, 1);
    }
  }
  assertFloat(run('resets', load('1m', data.hhffmixed!), '4m', '1m', { query: 'resets(hhffmixed[1m] anchored)', metricName: 'hhffmixed', anchored: true }).r, 0);
});

// ---------------------------------------------------------------------------------------------
// anchored / smoothed rate, increase, delta (extended_vectors.test 462-720)

test('anchored and smoothed increase/rate/delta over a histogram counter (extended_vectors.test 465-548)', () => {
  const s = load('15s', '{{schema:0 count:1 sum:1 buckets:[1] offset:1}}+{{count:1 sum:1 buckets:[1] offset:1}}x7');
  const m = 'hist_counter';
  const q = (f: string, mod: string): Opts => ({
    query: `histogram_count(${f}(${m}[1m] ${mod}))`, metricName: m, anchored: mod === 'anchored', smoothed: mod === 'smoothed',
  });
  // Plain rate/increase for reference.
  assertH(run('rate', s, '50s', '1m', { query: `histogram_count(rate(${m}[1m]))`, metricName: m }).r, 'count', 0.06666666666666667);
  assertH(run('increase', s, '50s', '1m', { query: `histogram_count(increase(${m}[1m]))`, metricName: m }).r, 'count', 4);
  let o = run('increase', s, '50s', '1m', q('increase', 'anchored'));
  assertH(o.r, 'count', 3);
  assertH(o.r, 'sum', 3);
  o = run('increase', s, '50s', '1m', q('increase', 'smoothed'));
  assertH(o.r, 'count', 3.333333333333333);
  assertH(o.r, 'sum', 3.333333333333333);
  assertH(run('increase', s, '5s', '1m', q('increase', 'smoothed')).r, 'count', 0.3333333333333333);
  assertH(run('rate', s, '50s', '1m', q('rate', 'smoothed')).r, 'count', 0.05555555555555555);
  o = run('increase', s, '5s', '1m', q('increase', 'anchored'));
  assertH(o.r, 'count', 0);
  assertH(o.r, 'sum', 0);
  o = run('delta', s, '50s', '1m', q('delta', 'smoothed'));
  assertH(o.r, 'count', 3.333333333333333);
  assert.deepEqual(o.warnings, ['PromQL warning: this native histogram metric is not a gauge: "hist_counter" (1:23)']);
  assertH(run('rate', s, '50s', '1m', q('rate', 'anchored')).r, 'count', 0.05);
  o = run('delta', s, '50s', '1m', q('delta', 'anchored'));
  assertH(o.r, 'count', 3);
  assert.deepEqual(o.warnings, ['PromQL warning: this native histogram metric is not a gauge: "hist_counter" (1:23)']);
  // eval range from 0s to 60s step 15s histogram_count(rate(hist_counter[1m] smoothed))
  const want = [0, 0.016666666666666666, 0.03333333333333333, 0.05, 0.06666666666666667];
  want.forEach((v, i) => assertH(run('rate', s, `${i * 15}s`, '1m', q('rate', 'smoothed')).r, 'count', v));
});

test('anchored/smoothed rate over mixed exponential and custom buckets (extended_vectors.test 551-564)', () => {
  const s = load('30s', '{{schema:0 sum:1 count:1 buckets:[1]}} {{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}} {{schema:0 sum:5 count:4 buckets:[1 2 1]}} {{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}}');
  const warn = ['PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name "mixed_hist" (1:6)'];
  let o = run('rate', s, '1m', '1m', { query: 'rate(mixed_hist[1m] anchored)', metricName: 'mixed_hist', anchored: true });
  assert.equal(o.r, null);
  assert.deepEqual(o.warnings, warn);
  o = run('rate', s, '45s', '1m', { query: 'rate(mixed_hist[1m] smoothed)', metricName: 'mixed_hist', smoothed: true });
  assert.equal(o.r, null);
  assert.deepEqual(o.warnings, warn);
});

test('anchored increase with resets in custom buckets; gauge hints in the middle (extended_vectors.test 568-602)', () => {
  let s = load('30s', '{{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}} {{schema:-53 sum:4 count:4 custom_values:[5 10] buckets:[4]}} {{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1] counter_reset_hint:reset}} {{schema:-53 sum:3 count:3 custom_values:[5 10] buckets:[3]}}');
  let o = run('increase', s, '90s', '90s', { query: 'histogram_count(increase(reset_custom_hist[90s]))', metricName: 'reset_custom_hist' });
  assertH(o.r, 'count', 4.5);
  assertH(o.r, 'sum', 4.5);
  o = run('increase', s, '90s', '90s', { query: 'histogram_count(increase(reset_custom_hist[90s] anchored))', metricName: 'reset_custom_hist', anchored: true });
  assertH(o.r, 'count', 6);
  assertH(o.r, 'sum', 6);

  s = load('30s', '{{schema:0 sum:1 count:1 buckets:[1]}} {{schema:0 sum:2 count:2 buckets:[2] counter_reset_hint:gauge}} {{schema:0 sum:3 count:3 buckets:[3]}}');
  const m = 'mid_gauge_hist';
  o = run('rate', s, '90s', '90s', { query: `histogram_count(rate(${m}[90s] anchored))`, metricName: m, anchored: true });
  assertH(o.r, 'count', 0.022222222222222223);
  assert.deepEqual(o.warnings, [`PromQL warning: this native histogram metric is not a counter: "${m}" (1:22)`]);
  o = run('increase', s, '90s', '90s', { query: `histogram_count(increase(${m}[90s] smoothed))`, metricName: m, smoothed: true });
  assertH(o.r, 'count', 2);
  assert.deepEqual(o.warnings, [`PromQL warning: this native histogram metric is not a counter: "${m}" (1:26)`]);
  o = run('delta', s, '90s', '90s', { query: `histogram_count(delta(${m}[90s] anchored))`, metricName: m, anchored: true });
  assertH(o.r, 'count', 2);
  assert.deepEqual(o.warnings, [`PromQL warning: this native histogram metric is not a gauge: "${m}" (1:23)`]);
});

test('smoothed/anchored boundary and reset corner cases (extended_vectors.test 605-720)', () => {
  let s = load('15s', '{{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}}+{{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}}x7');
  let o = run('increase', s, '50s', '1m', { query: 'histogram_count(increase(custom_only[1m] smoothed))', metricName: 'custom_only', smoothed: true });
  assertH(o.r, 'count', 3.333333333333333);
  assertH(o.r, 'sum', 3.333333333333333);

  s = load('10s', '_ {{schema:0 sum:396 count:396 buckets:[396] counter_reset_hint:not_reset}} {{schema:0 sum:110 count:110 buckets:[110] counter_reset_hint:reset}} {{schema:0 sum:194 count:194 buckets:[194] counter_reset_hint:not_reset}}');
  assertH(run('rate', s, '20s500ms', '1s', { query: 'histogram_count(rate(reset_boundary[1s] smoothed))', metricName: 'reset_boundary', smoothed: true }).r, 'count', 9.7);

  s = load('30s', '{{schema:0 sum:5 count:5 buckets:[5]}} {{schema:0 sum:10 count:10 buckets:[10]}} {{schema:0 sum:3 count:3 buckets:[3] counter_reset_hint:reset}}');
  assertH(run('increase', s, '70s', '70s', { query: 'histogram_count(increase(anchored_reset_at_end[70s] anchored))', metricName: 'anchored_reset_at_end', anchored: true }).r, 'count', 8);

  s = load('30s', '{{schema:0 sum:5 count:5 buckets:[5]}} {{schema:0 sum:3 count:3 buckets:[3] counter_reset_hint:reset}}');
  assertH(run('increase', s, '30s', '30s', { query: 'histogram_count(increase(anchored_two_sample_reset[30s] anchored))', metricName: 'anchored_two_sample_reset', anchored: true }).r, 'count', 3);

  s = load('10s', '{{schema:0 sum:10 count:10 buckets:[10]}} {{schema:0 sum:5 count:5 buckets:[5] counter_reset_hint:reset}} {{schema:0 sum:2 count:2 buckets:[2] counter_reset_hint:reset}} {{schema:0 sum:4 count:4 buckets:[4]}}');
  assertH(run('increase', s, '15s', '14s', { query: 'histogram_count(increase(smoothed_double_reset[14s] smoothed))', metricName: 'smoothed_double_reset', smoothed: true }).r, 'count', 5.5);

  s = load('20s', '{{schema:0 sum:10 count:10 buckets:[10]}} {{schema:0 sum:5 count:5 buckets:[5] counter_reset_hint:reset}}');
  assertH(run('increase', s, '15s', '10s', { query: 'histogram_count(increase(smoothed_two_sample_both_interp[10s] smoothed))', metricName: 'smoothed_two_sample_both_interp', smoothed: true }).r, 'count', 2.5);

  s = load('10s', '{{schema:0 sum:5 count:5 buckets:[5]}} {{schema:0 sum:10 count:10 buckets:[10]}} {{schema:0 sum:3 count:3 buckets:[3] counter_reset_hint:reset}}');
  assertH(run('rate', s, '15s', '10s', { query: 'histogram_count(rate(right_boundary_reset[10s] smoothed))', metricName: 'right_boundary_reset', smoothed: true }).r, 'count', 0.4);
});

test('extended rate over a window mixing floats and histograms warns and drops the step', () => {
  // Prometheus extrapolatedRate: anchored/smoothed with both floats and histograms in the (extended) window.
  const s = load('30s', '1 2 {{schema:0 sum:3 count:3 buckets:[3]}} {{schema:0 sum:4 count:4 buckets:[4]}}');
  const o = run('rate', s, '90s', '30s', { query: 'rate(mixed_types[30s] anchored)', metricName: 'mixed_types', anchored: true });
  assert.equal(o.r, null);
  assert.deepEqual(o.warnings, ['PromQL warning: encountered a mix of histograms and floats for metric name "mixed_types" (1:6)']);
});

// ---------------------------------------------------------------------------------------------
// sum_over_time / avg_over_time (native_histograms.test 1480-1580, 1760-1890)

test('sum/avg_over_time over histograms, incl. overflow to the incremental mean (native_histograms.test 1496-1561)', () => {
  const data: Record<string, string> = {
    histogram_sum_over_time: '{{schema:0 count:25 sum:1234.5 z_bucket:4 z_bucket_w:0.001 buckets:[1 2 0 1 1] n_buckets:[2 4 0 0 1 9]}} {{schema:0 count:41 sum:2345.6 z_bucket:5 z_bucket_w:0.001 buckets:[1 3 1 2 1 1 1] n_buckets:[0 1 4 2 7 0 0 0 0 5 5 2]}} {{schema:0 count:41 sum:1111.1 z_bucket:5 z_bucket_w:0.001 buckets:[1 3 1 2 1 1 1] n_buckets:[0 1 4 2 7 0 0 0 0 5 5 2]}} {{schema:1 count:0}}',
    histogram_sum_over_time_2: '{{schema:0 count:1e10 sum:5.30921651659898 z_bucket:1.78264e50 z_bucket_w:0.001 buckets:[1.78264E+50 1.78264E+215 1.78264E+219 3363.5121756487] n_buckets:[1178.20696291113 731.697776280323 715.201503759399 1386.11378876781 855.572553278132]}} {{schema:0 count:1e-6 sum:0.961118537914768 z_bucket:0.76342771 z_bucket_w:0.001 buckets:[0.76342771 0.76342771 0.76342771 195.70084087969] n_buckets:[421.30382970055 0 450441.779]}} {{schema:0 count:1e-6 sum:1.62091361305318 z_bucket:1.9592258 z_bucket_w:0.001 buckets:[1.9592258 1.9592258 1.9592258 1135.74692279] n_buckets:[0 4504.41779 588.599358265103 40.3760942760943]}} {{schema:0 count:1e-6 sum:0.865089463758091 z_bucket:7.69805412 z_bucket_w:0.001 buckets:[2.258E+220 2.258E+220 2.3757689E+217 1078.68071312804] n_buckets:[349.905284031261 0 0 0.161173466838949 588.599358]}} {{schema:0 count:1e-6 sum:0.323055185914577 z_bucket:458.90154 z_bucket_w:0.001 buckets:[7.69805412 7.69805412 2.258E+220 3173.28218135701]}} {{schema:0 count:1e-6 sum:0.951811357687154 z_bucket:1.78264e50 z_bucket_w:0.001 buckets:[458.90154 458.90154 7.69805412 2178.35] n_buckets:[2054.92644438789 844.560108898123]}} {{schema:0 count:1e-6 sum:0 z_bucket:5 z_bucket_w:0.001 buckets:[0 0 1.78264E+219 376.770478890989]}} {{schema:0 count:1e-6 sum:0 z_bucket:0 z_bucket_w:0.001 buckets:[0 0 458.90154 250325.5] n_buckets:[0 0.0000000011353 0 608.697257]}}',
    histogram_sum_over_time_3: '{{schema:0 count:1 sum:1}} {{schema:0 count:2 sum:1e100}} {{schema:0 count:3 sum:1}} {{schema:0 count:4 sum:-1e100}}',
    histogram_sum_over_time_4: '{{schema:0 count:1 sum:5.3}} {{schema:0 count:2 sum:1e100}} {{schema:0 count:3 sum:1}} {{schema:0 count:4 sum:-1e100}} {{schema:0 count:5 sum:2}} {{schema:0 count:6 sum:1e50}} {{schema:0 count:7 sum:-1e50}}',
    histogram_sum_over_time_incremental: '{{schema:0 count:1.7976931348623157e+308 sum:5.30921651659898 z_bucket:1.78264e50 z_bucket_w:0.001 buckets:[1.78264E+50 1.78264E+215 1.78264E+219 3363.5121756487] n_buckets:[1178.20696291113 731.697776280323 715.201503759399 1386.11378876781 855.572553278132]}} {{schema:0 count:1e308 sum:0.961118537914768 z_bucket:0.76342771 z_bucket_w:0.001 buckets:[0.76342771 0.76342771 0.76342771 195.70084087969] n_buckets:[421.30382970055 0 450441.779]}} {{schema:0 count:1e-6 sum:1.62091361305318 z_bucket:1.9592258 z_bucket_w:0.001 buckets:[1.9592258 1.9592258 1.9592258 1135.74692279] n_buckets:[0 4504.41779 588.599358265103 40.3760942760943]}} {{schema:0 count:1e-6 sum:0.865089463758091 z_bucket:7.69805412 z_bucket_w:0.001 buckets:[2.258E+220 2.258E+220 2.3757689E+217 1078.68071312804] n_buckets:[349.905284031261 0 0 0.161173466838949 588.599358]}} {{schema:0 count:1e-6 sum:0.323055185914577 z_bucket:458.90154 z_bucket_w:0.001 buckets:[7.69805412 7.69805412 2.258E+220 3173.28218135701]}} {{schema:0 count:1e-6 sum:0.951811357687154 z_bucket:1.78264e50 z_bucket_w:0.001 buckets:[458.90154 458.90154 7.69805412 2178.35] n_buckets:[2054.92644438789 844.560108898123]}} {{schema:0 count:1e-6 sum:0 z_bucket:5 z_bucket_w:0.001 buckets:[0 0 1.78264E+219 376.770478890989]}} {{schema:0 count:1e-6 sum:0 z_bucket:0 z_bucket_w:0.001 buckets:[0 0 458.90154 250325.5] n_buckets:[0 0.0000000011353 0 608.697257]}}',
    histogram_sum_over_time_incremental_2: '{{schema:0 count:1.7976931348623157e+308 sum:5.3}} {{schema:0 count:1e308 sum:1e100}} {{schema:0 count:1e-6 sum:1}} {{schema:0 count:1e-6 sum:-1e100}} {{schema:0 count:1e-6 sum:2}} {{schema:0 count:1e-6 sum:0}} {{schema:0 count:1e-6 sum:0}}',
    histogram_sum_over_time_incremental_3: '{{schema:0 count:1.7976931348623157e+308 sum:5.3}} {{schema:0 count:1e308 sum:1e100}} {{schema:0 count:1e-6 sum:-1e100}} {{schema:0 count:1e-6 sum:1}} {{schema:0 count:1e-6 sum:1e100}} {{schema:0 count:1e-6 sum:-1e100}} {{schema:0 count:1e-6 sum:0}}',
    histogram_sum_over_time_incremental_4: '{{schema:0 count:1.7976931348623157e+308 sum:5.3}} {{schema:0 count:1e308 sum:1e100}} {{schema:0 count:1e-6 sum:-1e100}} {{schema:0 count:1e-6 sum:1}} {{schema:0 count:1e-6 sum:1e50}} {{schema:0 count:1e-6 sum:-1e50}} {{schema:0 count:1e-6 sum:0}}',
    histogram_sum_over_time_incremental_6: '{{schema:0 count:1.7976931348623157e+308 sum:1}} {{schema:0 count:1e308 sum:1e100}} {{schema:0 count:1e-6 sum:1}} {{schema:0 count:1e-6 sum:-1e100}}',
  };
  // [series, at, range, sum, avg] — the [R:1m] subqueries over 1m data select exactly the loaded samples.
  const cases: [string, string, string, string, string][] = [
    ['histogram_sum_over_time', '3m', '4m',
      '{{schema:0 count:107 sum:4691.2 z_bucket:14 z_bucket_w:0.001 buckets:[3 8 2 5 3 2 2] n_buckets:[2 6 8 4 15 9 0 0 0 10 10 4]}}',
      '{{schema:0 count:26.75 sum:1172.8 z_bucket:3.5 z_bucket_w:0.001 buckets:[0.75 2 0.5 1.25 0.75 0.5 0.5] n_buckets:[0.5 1.5 2 1 3.75 2.25 0 0 0 2.5 2.5 1]}}'],
    ['histogram_sum_over_time_2', '7m', '8m',
      '{{schema:0 count:10000000000.000008 sum:10.03120467492675 z_bucket:3.56528e+50 z_bucket_w:0.001 buckets:[2.258e+220 2.2580178264e+220 2.6169037689e+220 261827.54331269444] n_buckets:[4004.342521030831 6080.675675179582 451745.57986202446 2035.3483135107433 1444.171911278132]}}',
      '{{schema:0 count:1250000000.000001 sum:1.2539005843658437 z_bucket:4.4566e49 z_bucket_w:0.001 buckets:[2.8225e+219 2.822522283e+219 3.271129711125e+219 32728.442914086805] n_buckets:[500.5428151288539 760.0844593974477 56468.19748275306 254.4185391888429 180.5214889097665]}}'],
    ['histogram_sum_over_time_3', '3m', '4m', '{{schema:0 count:10 sum:2}}', '{{schema:0 count:2.5 sum:0.5}}'],
    ['histogram_sum_over_time_4', '6m', '7m', '{{schema:0 count:28 sum:8.3}}', '{{schema:0 count:4 sum:1.1857142857142857}}'],
    ['histogram_sum_over_time_incremental', '7m', '8m',
      '{{schema:0 count:Inf sum:10.03120467492675 z_bucket:3.56528e+50 z_bucket_w:0.001 buckets:[2.258e+220 2.2580178264e+220 2.6169037689e+220 261827.54331269444] n_buckets:[4004.342521030831 6080.675675179582 451745.57986202446 2035.3483135107433 1444.171911278132]}}',
      '{{schema:0 count:3.497116418577895e+307 sum:1.2539005843658437 z_bucket:4.4566e49 z_bucket_w:0.001 buckets:[2.8225e+219 2.822522283e+219 3.271129711125e+219 32728.442914086805] n_buckets:[500.5428151288539 760.0844593974477 56468.19748275306 254.4185391888429 180.5214889097665]}}'],
    ['histogram_sum_over_time_incremental_2', '6m', '7m', '{{schema:0 count:Inf sum:8.3}}', '{{schema:0 count:3.9967044783747367e+307 sum:1.1857142857142857}}'],
    ['histogram_sum_over_time_incremental_3', '6m', '7m', '{{schema:0 count:Inf sum:6.3}}', '{{schema:0 count:3.9967044783747367e+307 sum:0.9}}'],
    ['histogram_sum_over_time_incremental_4', '6m', '7m', '{{schema:0 count:Inf sum:6.3}}', '{{schema:0 count:3.9967044783747367e+307 sum:0.9}}'],
    ['histogram_sum_over_time_incremental_6', '3m', '4m', '{{schema:0 count:Inf sum:2}}', '{{schema:0 count:6.99423283715579e+307 sum:0.5}}'],
  ];
  for (const [name, at, range, sum, avg] of cases) {
    const s = load('1m', data[name]!);
    const before = s.hvs.map((h) => h.toLiteral());
    assertHist(run('sum_over_time', s, at, range, { query: `sum_over_time(${name}[${range}:1m])`, metricName: name }).r, sum);
    assertHist(run('avg_over_time', s, at, range, { query: `avg_over_time(${name}[${range}:1m])`, metricName: name }).r, avg);
    assert.deepEqual(s.hvs.map((h) => h.toLiteral()), before, `${name}: inputs unchanged`);
  }
});

test('avg_over_time of a single histogram sample (native_histograms.test 1572/1576)', () => {
  assertHist(run('avg_over_time', load('1m', '{{schema:3 sum:5 count:4 buckets:[1 2 1]}}'), '0m', '1m',
    { query: 'avg_over_time(single_histogram_sample[1m])', metricName: 'single_histogram_sample' }).r, '{{schema:3 sum:5 count:4 buckets:[1 2 1]}}');
  assertHist(run('avg_over_time', load('1m', '{{schema:-53 sum:1 count:5 custom_values:[5 10] buckets:[1 4]}}'), '0m', '1m',
    { query: 'avg_over_time(single_nhcb_sample[1m])', metricName: 'single_nhcb_sample' }).r, '{{schema:-53 sum:1 count:5 custom_values:[5 10] buckets:[1 4]}}');
});

test('sum/avg_over_time counter reset hints of the result (native_histograms.test 1760-1850)', () => {
  const s = load('1m', '{{sum:6 count:5 buckets:[2 2 1]}}+{{sum:2 count:3 buckets:[1 1 1]}}x4 {{sum:4 count:4 counter_reset_hint:gauge buckets:[1 2 1]}} {{sum:6 count:5 buckets:[2 2 1]}}+{{sum:2 count:3 buckets:[1 1 1]}}x4 {{sum:4 count:4 buckets:[1 2 1]}}+{{sum:2 count:3 buckets:[1 1 1]}}x5');
  // In the TSDB every sample after the first of a chunk without a reset carries not_reset;
  // the loader keeps the literal hints (unknown), which is what these evals see.
  const cases: [string, string, string, string][] = [
    ['5m', '3m', '{{count:35 sum:30 counter_reset_hint:gauge buckets:[12 13 10]}}', '{{count:11.666666666666666 sum:10 counter_reset_hint:gauge buckets:[4 4.333333333333334 3.333333333333333]}}'],
    ['14m', '10m', '{{count:93 sum:82 counter_reset_hint:gauge buckets:[31 36 26]}}', '{{count:9.3 sum:8.2 counter_reset_hint:gauge buckets:[3.1 3.6 2.6]}}'],
  ];
  for (const [at, range, sum, avg] of cases) {
    let o = run('sum_over_time', s, at, range, { query: `sum_over_time(mixed[${range}])`, metricName: 'mixed' });
    assertHist(o.r, sum);
    assert.deepEqual(o.warnings, NO);
    assert.deepEqual(o.infos, NO);
    o = run('avg_over_time', s, at, range, { query: `avg_over_time(mixed[${range}])`, metricName: 'mixed' });
    assertHist(o.r, avg);
    assert.deepEqual(o.warnings, NO);
    assert.deepEqual(o.infos, NO);
  }
});

test('sum/avg_over_time warn on conflicting counter reset hints (native_histograms.test 1880/1885)', () => {
  // histogram_count(sum_over_time(mixed[2m])) at 11m: the stats iterator marks the 10m sample
  // not_reset and the 11m sample (a drop) reset; the window is built with those hints.
  const a = new FloatHistogram({ sum: 14, count: 17, positiveSpans: [{ offset: 0, length: 3 }], positiveBuckets: [6, 6, 5], counterResetHint: 'not_reset' });
  const b = new FloatHistogram({ sum: 4, count: 4, positiveSpans: [{ offset: 0, length: 3 }], positiveBuckets: [1, 2, 1], counterResetHint: 'reset' });
  const s: Series = { fts: new Float64Array(0), fvs: new Float64Array(0), fsts: null, hsts: null, hts: Float64Array.of(600_000, 660_000), hvs: [a, b] };
  const warn = ['PromQL warning: conflicting counter resets during histogram aggregation (1:31)'];
  let o = run('sum_over_time', s, '11m', '2m', { query: 'histogram_count(sum_over_time(mixed[2m]))', metricName: 'mixed' });
  assertH(o.r, 'count', 21);
  assert.deepEqual(o.warnings, warn);
  assert.deepEqual(o.infos, NO);
  o = run('avg_over_time', s, '11m', '2m', { query: 'histogram_count(avg_over_time(mixed[2m]))', metricName: 'mixed' });
  assertH(o.r, 'count', 10.5);
  assert.deepEqual(o.warnings, warn);
  assert.equal(a.counterResetHint, 'not_reset');
  assert.equal(b.counterResetHint, 'reset');
});

test('sum/avg_over_time over mixed floats and histograms warn and drop the step', () => {
  // Prometheus funcSumOverTime/funcAvgOverTime: NewMixedFloatsHistogramsWarning.
  const s = load('1m', '1 2 {{schema:0 sum:3 count:3 buckets:[3]}}');
  for (const f of ['sum_over_time', 'avg_over_time']) {
    const o = run(f, s, '2m', '5m', { query: `${f}(m[5m])`, argText: 'm[', metricName: 'm' });
    assert.equal(o.r, null);
    assert.deepEqual(o.warnings, ['PromQL warning: encountered a mix of histograms and floats for metric name "m" (1:15)']);
  }
});

test('sum_over_time over exponential and custom buckets warns and drops the step', () => {
  const s = load('1m', '{{schema:0 sum:1 count:1 buckets:[1]}} {{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}}');
  for (const f of ['sum_over_time', 'avg_over_time']) {
    const o = run(f, s, '1m', '5m', { query: `${f}(m[5m])`, argText: 'm[', metricName: 'm' });
    assert.equal(o.r, null);
    assert.deepEqual(o.warnings, ['PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name "m" (1:15)']);
  }
});

// ---------------------------------------------------------------------------------------------
// Functions that ignore histograms (functions.test)

test('stddev/stdvar/mad/quantile/min/max_over_time ignore histograms (functions.test 1233-1620)', () => {
  const only = load('10s', '{{schema:1 sum:2 count:3}}x5');
  const mix = load('10s', '1 1 1 {{schema:1 sum:2 count:3}} {{schema:1 sum:2 count:3}}');
  const m = 'metric_histogram';
  const info = [`PromQL info: ignored histograms in a range containing both floats and histograms for metric name "${m}" (1:18)`];
  for (const f of ['stddev_over_time', 'stdvar_over_time']) {
    let o = run(f, only, '1m', '2m', { query: `${f}(${m}{type="only_histogram"}[2m])`, metricName: m });
    assert.equal(o.r, null);
    assert.deepEqual(o.infos, NO);
    o = run(f, mix, '1m', '2m', { query: `${f}(${m}{type="mix"}[2m])`, metricName: m });
    assertFloat(o.r, 0);
    assert.deepEqual(o.infos, info);
  }
  let o = run('mad_over_time', only, '70s', '70s', { query: `mad_over_time(${m}{type="only_histogram"}[70s])`, metricName: m });
  assert.equal(o.r, null);
  assert.deepEqual(o.infos, NO);
  o = run('mad_over_time', mix, '70s', '70s', { query: `mad_over_time(${m}{type="mix"}[70s])`, metricName: m });
  assertFloat(o.r, 0);
  assert.equal(o.infos.length, 1);

  const donly = load('10s', '{{schema:0 sum:1 count:2}}x4');
  const dmix = load('10s', '0 1 2 {{schema:0 sum:1 count:2}}x2');
  o = run('quantile_over_time', donly, '1m', '2m', { query: 'quantile_over_time(0.5, data_histogram{test="only histogram samples"}[2m])', metricName: 'data_histogram', params: [0.5] });
  assert.equal(o.r, null);
  assert.deepEqual([...o.warnings, ...o.infos], NO);
  // Prometheus reports both annotations at args[0], which for quantile_over_time is the quantile.
  o = run('quantile_over_time', dmix, '1m', '2m', { query: 'quantile_over_time(0.5, data_histogram{test="mix samples"}[2m])', argText: '0.5', metricName: 'data_histogram', params: [0.5] });
  assertFloat(o.r, 1);
  assert.deepEqual(o.warnings, NO);
  assert.deepEqual(o.infos, ['PromQL info: ignored histograms in a range containing both floats and histograms for metric name "data_histogram" (1:20)']);
  // An invalid quantile only warns when there are floats (Prometheus checks after the empty case).
  o = run('quantile_over_time', donly, '1m', '2m', { query: 'quantile_over_time(2, data_histogram[2m])', argText: '2,', metricName: 'data_histogram', params: [2] });
  assert.equal(o.r, null);
  assert.deepEqual(o.warnings, NO);
  o = run('quantile_over_time', dmix, '1m', '2m', { query: 'quantile_over_time(2, data_histogram[2m])', argText: '2,', metricName: 'data_histogram', params: [2] });
  assertFloat(o.r, Infinity);
  assert.deepEqual(o.warnings, ['PromQL warning: quantile value should be between 0 and 1, got 2 (1:20)']);
  assert.equal(o.infos.length, 1);

  // min/max_over_time: only_histogram → empty; mix_samples_hlast 0 1 {{…}} {{…}}; hfirst {{…}} {{…}} 4 1.
  const honly = load('10s', '{{schema:0 sum:1 count:2}} {{schema:0 sum:2 count:3}} {{schema:0 sum:3 count:4}}');
  const hlast = load('10s', '0 1 {{schema:0 sum:1 count:2}} {{schema:0 sum:2 count:3}}');
  const hfirst = load('10s', '{{schema:0 sum:1 count:2}} {{schema:0 sum:9 count:3}} 4 1');
  const q = (f: string): Opts => ({ query: `${f}(data_histogram{type=~"mix_samples.*"}[2m])`, metricName: 'data_histogram' });
  assert.equal(run('min_over_time', honly, '1m', '2m', q('min_over_time')).r, null);
  assert.equal(run('max_over_time', honly, '1m', '2m', q('max_over_time')).r, null);
  assertFloat(run('min_over_time', hlast, '1m', '2m', q('min_over_time')).r, 0);
  assertFloat(run('min_over_time', hfirst, '1m', '2m', q('min_over_time')).r, 1);
  assertFloat(run('max_over_time', hlast, '1m', '2m', q('max_over_time')).r, 1);
  o = run('max_over_time', hfirst, '1m', '2m', q('max_over_time'));
  assertFloat(o.r, 4);
  assert.equal(o.infos.length, 1);
});

test('last/first/count_over_time over histograms and mixed windows (functions.test 1625-1658)', () => {
  const honly = load('10s', '{{schema:0 sum:1 count:2}} {{schema:0 sum:2 count:3}} {{schema:0 sum:3 count:4}}');
  const hlast = load('10s', '0 1 {{schema:0 sum:1 count:2}} {{schema:0 sum:2 count:3}}');
  const hfirst = load('10s', '{{schema:0 sum:1 count:2}} {{schema:0 sum:9 count:3}} 4 1');
  const q = (f: string): Opts => ({ query: `${f}({__name__=~"data(_histogram|_sparse|_empty)?"}[2m])`, argText: '{__name__', metricName: 'data_histogram' });
  assertHist(run('last_over_time', honly, '1m', '2m', q('last_over_time')).r, '{{schema:0 sum:3 count:4}}');
  assertHist(run('last_over_time', hlast, '1m', '2m', q('last_over_time')).r, '{{schema:0 sum:2 count:3}}');
  assertFloat(run('last_over_time', hfirst, '1m', '2m', q('last_over_time')).r, 1);
  assertHist(run('first_over_time', honly, '1m', '2m', q('first_over_time')).r, '{{schema:0 sum:1 count:2}}');
  assertFloat(run('first_over_time', hlast, '1m', '2m', q('first_over_time')).r, 0);
  assertHist(run('first_over_time', hfirst, '1m', '2m', q('first_over_time')).r, '{{schema:0 sum:1 count:2}}');
  assertFloat(run('count_over_time', honly, '1m', '2m', q('count_over_time')).r, 3);
  assertFloat(run('count_over_time', hlast, '1m', '2m', q('count_over_time')).r, 4);
  assertFloat(run('count_over_time', hfirst, '1m', '2m', q('count_over_time')).r, 4);
  // The returned histogram is a copy, not the window's object.
  const r = run('last_over_time', honly, '1m', '2m', q('last_over_time')).r;
  assert.ok(r && 'h' in r && r.h !== honly.hvs[2]);
});

test('ts_of_last/first_over_time with histograms (functions.test 1330-1370)', () => {
  const m = 'metric_histogram';
  let o = run('ts_of_last_over_time', load('10s53ms', '{{schema:1 sum:2 count:3}}x4'), '95s', '90s', { query: `ts_of_last_over_time(${m}{type="only_histogram"}[90s])`, metricName: m });
  assertFloat(o.r, 40.212);
  o = run('ts_of_last_over_time', load('10s53ms', '1 1 1 {{schema:1 sum:2 count:3}} {{schema:1 sum:2 count:3}} 1'), '95s', '90s', { query: `ts_of_last_over_time(${m}{type="mix"}[90s])`, metricName: m });
  assertFloat(o.r, 50.265);
  o = run('ts_of_first_over_time', load('10s53ms', '{{schema:1 sum:2 count:3}}x4'), '95s', '90s', { query: `ts_of_first_over_time(${m}{type="only_histogram"}[90s])`, metricName: m });
  assertFloat(o.r, 10.053);
  o = run('ts_of_first_over_time', load('10s53ms', '_ 1 1 1 {{schema:1 sum:2 count:3}} {{schema:1 sum:2 count:3}} 1'), '95s', '90s', { query: `ts_of_first_over_time(${m}{type="mix"}[90s])`, metricName: m });
  assertFloat(o.r, 10.053);
});

test('deriv/predict_linear ignore histograms (functions.test 361-460)', () => {
  const mixQ = 'deriv(http_requests_mix{group="canary", instance="1", job="app-server"}[110m])';
  let o = run('deriv', load('5m', '0+80x10 {{schema:0 sum:1 count:1}}'), '110m', '110m', { query: mixQ, metricName: 'http_requests_mix' });
  assertFloat(o.r, 0.26666666666666666);
  assert.deepEqual(o.infos, ['PromQL info: ignored histograms in a range containing both floats and histograms for metric name "http_requests_mix" (1:7)']);
  const resetMix = load('5m', '0+10x4 0+10x5 {{schema:0 sum:1 count:1}} {{schema:1 sum:2 count:2}}');
  o = run('deriv', resetMix, '100m', '110m', { query: 'deriv(testcounter_reset_middle_mix[110m])', metricName: 'testcounter_reset_middle_mix' });
  assertFloat(o.r, 0.010606060606060607);
  assert.equal(o.infos.length, 1);
  const hist = load('5m', '{{schema:0 sum:1 count:2}}x10');
  o = run('deriv', hist, '50m', '60m', { query: 'deriv(http_requests_histogram[60m])', metricName: 'http_requests_histogram' });
  assert.equal(o.r, null);
  assert.deepEqual([...o.warnings, ...o.infos], NO);
  for (const p of [3000]) {
    o = run('predict_linear', resetMix, '60m', '60m', { query: 'predict_linear(testcounter_reset_middle_mix[60m], 3000)', metricName: 'testcounter_reset_middle_mix', params: [p] });
    assertFloat(o.r, 70);
    assert.equal(o.infos.length, 1);
  }
  o = run('predict_linear', hist, '60m', '60m', { query: 'predict_linear(http_requests_histogram[60m], 50m)', metricName: 'http_requests_histogram', params: [3000] });
  assert.equal(o.r, null);
  assert.deepEqual([...o.warnings, ...o.infos], NO);
  // One float and histograms: no output, but the info (Prometheus funcDeriv).
  o = run('deriv', load('1m', '1 {{schema:0 sum:1 count:1}}'), '1m', '5m', { query: 'deriv(x[5m])', argText: 'x[', metricName: 'x' });
  assert.equal(o.r, null);
  assert.equal(o.infos.length, 1);
});

test('double_exponential_smoothing ignores histograms (functions.test 886-916)', () => {
  // Of the four series only instance="1", group="canary" has a histogram (at 20010s) in its window.
  const sel = 'http_requests_mix{job="api-server", instance="1", group="canary"}';
  const s = load('10s', '0+40x2000 {{schema:0 count:1 sum:2}}x1000');
  let o = run('double_exponential_smoothing', s, '20010s', '1m', { query: `double_exponential_smoothing(${sel}[1m], 0.01, 0.1)`, metricName: 'http_requests_mix', params: [0.01, 0.1] });
  assertFloat(o.r, 80000);
  assert.equal(o.infos.length, 1);
  const h = load('10s', '{{schema:0 count:1 sum:2}}x1000');
  o = run('double_exponential_smoothing', h, '10000s', '1m', { query: 'double_exponential_smoothing(http_requests_histogram[1m], 0.01, 0.1)', metricName: 'http_requests_histogram', params: [0.01, 0.1] });
  assert.equal(o.r, null);
  assert.deepEqual(o.infos, NO);
  // Invalid factors fail the query even without floats, as in Prometheus (panic → error).
  assert.throws(() => run('double_exponential_smoothing', h, '10000s', '1m', { query: 'double_exponential_smoothing(http_requests_histogram[1m], 1, 0.1)', metricName: 'http_requests_histogram', params: [1, 0.1] }), FunctionError);
});

// ---------------------------------------------------------------------------------------------
// Start timestamps (start_timestamps.test)

test('rate/increase/irate/resets on cumulative histograms with start timestamps (start_timestamps.test 203-218)', () => {
  const s = load('1m', '_ _ {{schema:0 sum:0 count:0}}+{{schema:0 sum:60 count:60}}x14', '_ _ -30s-1mx2 -1m-1mx2 -59999ms-1mx2 -1s-1mx2 -1ms-1mx2');
  const inc = [420, 780, 675, 675, 1275, 1080, 900, 1725, 1440];
  const rate = [1.4, 2.6, 2.25, 2.25, 4.25, 3.6, 3, 5.75, 4.8];
  const irate = [1, 6, 1, 1, 9, 1, 1, 12, 1];
  const resets = [1, 2, 1, 1, 2, 1, 1, 2, 1];
  const q = { query: 'increase(cumulative[5m])', metricName: 'cumulative', sts: true };
  for (let i = 0; i < 9; i++) {
    const at = `${7 + i}m`;
    assertHist(run('increase', s, at, '5m', q).r, `{{count:${inc[i]} sum:${inc[i]}}}`);
    assertHist(run('rate', s, at, '5m', q).r, `{{count:${rate[i]} sum:${rate[i]}}}`);
    assertHist(run('irate', s, at, '5m', q).r, `{{count:${irate[i]} sum:${irate[i]}}}`);
    assertFloat(run('resets', s, at, '5m', q).r, resets[i]!);
  }
});

test('rate/increase/irate on delta histograms with start timestamps (start_timestamps.test 222-250)', () => {
  const types: [string, string, boolean][] = [['otel', '-1mx15', false], ['gcp', '-59999msx15', false], ['minimal_range', '-1msx15', false], ['empty_range', '-0msx15', true]];
  for (const [type, st, empty] of types) {
    const s = load('1m', '_ _ {{schema:0 sum:60 count:60}}x15', `_ _ ${st}`);
    const q = { query: 'increase(delta[5m])', metricName: 'delta', sts: true };
    for (let m = 10; m <= 14; m++) {
      assertHist(run('increase', s, `${m}m`, '5m', q).r, empty ? '{{}}' : '{{count:300 sum:300}}');
      assertHist(run('rate', s, `${m}m`, '5m', q).r, empty ? '{{}}' : '{{count:1 sum:1}}');
      assertHist(run('irate', s, `${m}m`, '5m', q).r, empty ? '{{}}' : '{{count:1 sum:1}}');
    }
  }
});

test('rate of a single histogram whose start timestamp lies in the range (start_timestamps.test 254-259)', () => {
  const s = load('1m', '_ _ {{schema:0 sum:60 count:60}}', '_ _ -1m');
  assertHist(run('rate', s, '3m', '5m', { query: 'rate(series[5m])', metricName: 'series', sts: true }).r, '{{count:0.2 sum:0.2}}');
  // Without start timestamps a single sample gives no rate.
  assert.equal(run('rate', s, '3m', '5m', { query: 'rate(series[5m])', metricName: 'series' }).r, null);
});

// ---------------------------------------------------------------------------------------------
// Contract

test('HISTOGRAM_RANGE_FUNCTIONS lists every Prometheus range-vector function', () => {
  assert.equal(HISTOGRAM_RANGE_FUNCTIONS.size, 27);
  const s = load('1m', '{{schema:0 sum:1 count:1 buckets:[1]}} {{schema:0 sum:2 count:2 buckets:[2]}} {{schema:0 sum:3 count:3 buckets:[3]}}');
  const before = s.hvs.map((h) => h.toLiteral());
  for (const name of HISTOGRAM_RANGE_FUNCTIONS) {
    const params = name === 'quantile_over_time' ? [0.5] : name === 'predict_linear' ? [60] : name === 'double_exponential_smoothing' ? [0.5, 0.5] : [];
    // Every function answers a histogram-only window without throwing.
    run(name, s, '2m', '5m', { query: `${name}(m[5m])`, argText: 'm[', metricName: 'm', params });
  }
  assert.deepEqual(s.hvs.map((h) => h.toLiteral()), before, 'inputs unchanged');
  assert.deepEqual(s.hvs.map((h) => h.counterResetHint), ['unknown', 'unknown', 'unknown']);
});
