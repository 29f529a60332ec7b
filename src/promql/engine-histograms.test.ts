// Native histogram samples in float-only operators: they are selected like floats (newest sample
// in the lookback window wins, whatever its type), then ignored or annotated exactly where
// Prometheus' engine ignores or annotates them (promql/engine.go aggregation(), aggregationK(),
// VectorscalarBinop/vectorElemBinop; texts from util/annotations).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Labels } from '../labels/labels.ts';
import { Matcher } from '../labels/matcher.ts';
import { MemoryStorage } from '../storage/memory.ts';
import { ValueType, type FloatHistogramSample } from '../storage/interfaces.ts';
import { Engine } from './engine.ts';
import type { QueryResult } from './value.ts';

const M = 60_000;
const engine = new Engine({ lookbackDelta: 5 * M, maxSamples: 100000, defaultSubqueryStep: M, enableExperimental: true });

function hist(count: number): FloatHistogramSample {
  return {
    schema: 0,
    zeroThreshold: 0.001,
    zeroCount: 0,
    count,
    sum: count * 2,
    positiveSpans: [{ offset: 0, length: 2 }],
    positiveBuckets: [count / 2, count / 2],
    negativeSpans: [],
    negativeBuckets: [],
    customValues: [],
    counterResetHint: 'unknown',
  };
}

/** job="a": floats 1, 2, 3 at 0/1/2m; job="b": histograms at 0/1/2m; job="c": float 10 at 0, histogram at 1m, float 30 at 2m. */
function storage(): MemoryStorage {
  const st = new MemoryStorage();
  const a = Labels.fromObject({ __name__: 'm', job: 'a' });
  const b = Labels.fromObject({ __name__: 'm', job: 'b' });
  const c = Labels.fromObject({ __name__: 'm', job: 'c' });
  for (let i = 0; i < 3; i++) {
    st.add(a, i * M, i + 1);
    st.addHistogram(b, i * M, hist(4 * (i + 1)));
  }
  st.add(c, 0, 10);
  st.addHistogram(c, M, hist(8));
  st.add(c, 2 * M, 30);
  return st;
}

/** Instant vector as {labels: float} with histogram samples as "h<count>". */
function vec(r: QueryResult): Record<string, number | string> {
  assert.equal(r.value.resultType, 'vector');
  const o: Record<string, number | string> = {};
  if (r.value.resultType === 'vector') for (const s of r.value.samples) o[s.metric.toString()] = s.h ? `h${s.h.count}` : s.v;
  return o;
}

function mat(r: QueryResult): Record<string, [number, number][]> {
  assert.equal(r.value.resultType, 'matrix');
  const o: Record<string, [number, number][]> = {};
  if (r.value.resultType === 'matrix') for (const s of r.value.series) o[s.metric.toString()] = s.ts.map((t, i) => [t, s.vs[i]!]);
  return o;
}

test('memory storage iterates histogram samples as ValueType.FloatHistogram, seek included', async () => {
  const q = storage().querier(0, 3 * M);
  const series = [];
  for await (const s of q.select({ start: 0, end: 3 * M }, [Matcher.eq('job', 'c')])) series.push(s);
  assert.equal(series.length, 1);
  const it = series[0]!.iterator();
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.v, 10);
  assert.equal(it.next(), ValueType.FloatHistogram);
  assert.equal(it.t, M);
  assert.equal(it.fh?.count, 8);
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.v, 30);
  assert.equal(it.next(), ValueType.None);
  const it2 = series[0]!.iterator();
  assert.equal(it2.seek(M), ValueType.FloatHistogram);
  assert.equal(it2.fh?.sum, 16);
});

test('a float written over a histogram at the same timestamp replaces it', () => {
  const st = new MemoryStorage();
  const l = Labels.fromObject({ __name__: 'x' });
  st.addHistogram(l, 0, hist(2));
  st.add(l, 0, 5);
  return engine.instantQuery(st, 'x', 0).then((r) => assert.deepEqual(vec(r), { x: 5 }));
});

test('selectors: the newest sample wins whatever its type; float-only functions drop histogram points silently', async () => {
  const st = storage();
  // At 1m job="c" holds a histogram (newer than its float at 0): it is not a float 10 any more.
  const r = await engine.instantQuery(st, 'abs(m)', M);
  assert.deepEqual(vec(r), { '{job="a"}': 2 });
  assert.deepEqual(r.infos, []);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(vec(await engine.instantQuery(st, 'm', M)), { 'm{job="a"}': 2, 'm{job="b"}': 'h8', 'm{job="c"}': 'h8' });
  const r2 = await engine.rangeQuery(st, 'm{job="c"}', 0, 2 * M, M);
  assert.equal(r2.value.resultType, 'matrix');
  if (r2.value.resultType === 'matrix') {
    const s = r2.value.series[0]!;
    assert.deepEqual([s.ts, s.vs, s.hts, s.hvs?.map((h) => h.count)], [[0, 2 * M], [10, 30], [M], [8]]);
  }
});

test('max/min/stddev/stdvar/quantile ignore histograms with an info annotation pointing at the aggregated expression', async () => {
  const st = storage();
  // At 0: floats a=1, c=10 (b is a histogram).
  let r = await engine.instantQuery(st, 'max(m)', 0);
  assert.deepEqual(vec(r), { '{}': 10 });
  assert.deepEqual(r.infos, ['PromQL info: ignored histogram in max aggregation (1:5)']);
  r = await engine.instantQuery(st, 'min(m)', 0);
  assert.deepEqual(vec(r), { '{}': 1 });
  assert.deepEqual(r.infos, ['PromQL info: ignored histogram in min aggregation (1:5)']);
  r = await engine.instantQuery(st, 'stdvar(m)', 0);
  assert.deepEqual(vec(r), { '{}': 20.25 }); // mean 5.5, ((4.5)^2 + (4.5)^2) / 2
  assert.deepEqual(r.infos, ['PromQL info: ignored histogram in stdvar aggregation (1:8)']);
  r = await engine.instantQuery(st, 'stddev by (job) (m)', 0);
  assert.deepEqual(vec(r), { '{job="a"}': 0, '{job="c"}': 0 });
  assert.deepEqual(r.infos, ['PromQL info: ignored histogram in stddev aggregation (1:18)']);
  r = await engine.instantQuery(st, 'quantile(0.5, m)', 0);
  assert.deepEqual(vec(r), { '{}': 5.5 });
  assert.deepEqual(r.infos, ['PromQL info: ignored histogram in quantile aggregation (1:15)']);
  // A group holding only histograms has no output, but the info is there.
  r = await engine.instantQuery(st, 'max(m{job="b"})', 0);
  assert.deepEqual(vec(r), {});
  assert.equal(r.infos.length, 1);
  // No histogram in the input: no info.
  r = await engine.instantQuery(st, 'max(m{job="a"})', 0);
  assert.deepEqual(r.infos, []);
});

test('max over a range: steps where a series holds a histogram skip it', async () => {
  const r = await engine.rangeQuery(storage(), 'max(m)', 0, 2 * M, M);
  // 0: a=1, c=10 → 10; 1m: a=2 (c is a histogram) → 2; 2m: a=3, c=30 → 30.
  assert.deepEqual(mat(r), { '{}': [[0, 10], [M, 2], [2 * M, 30]] });
  assert.equal(r.infos.length, 1);
});

test('sum/avg: a cell mixing floats and histograms is dropped with a warning; float-only cells are summed', async () => {
  const st = storage();
  let r = await engine.rangeQuery(st, 'sum(m{job=~"a|c"})', 0, 2 * M, M);
  // 1m mixes a=2 (float) with c's histogram: dropped; 0 and 2m are float-only.
  assert.deepEqual(mat(r), { '{}': [[0, 11], [2 * M, 33]] });
  assert.deepEqual(r.warnings, ['PromQL warning: encountered a mix of histograms and floats for aggregation (1:5)']);
  // Each group is of one type at 1m: floats average to a float, histograms to a histogram.
  r = await engine.instantQuery(st, 'avg by (job) (m)', M);
  assert.deepEqual(vec(r), { '{job="a"}': 2, '{job="b"}': 'h8', '{job="c"}': 'h8' });
  assert.deepEqual(r.warnings, []);
  // Histograms only: sum adds them (counts 4 + 8 + 12 at 0/1m/2m for b, 8 for c at 1m).
  r = await engine.instantQuery(st, 'sum(m{job=~"b|c"})', M);
  assert.deepEqual(vec(r), { '{}': 'h16' });
  r = await engine.instantQuery(st, 'avg(m{job=~"b|c"})', M);
  assert.deepEqual(vec(r), { '{}': 'h8' });
  r = await engine.instantQuery(st, 'sum(m)', 0);
  assert.deepEqual(vec(r), {});
  assert.equal(r.warnings.length, 1);
});

test('count and group count histogram samples like floats', async () => {
  const st = storage();
  assert.deepEqual(vec(await engine.instantQuery(st, 'count(m)', M)), { '{}': 3 });
  assert.deepEqual(vec(await engine.instantQuery(st, 'group by (job) (m)', M)), { '{job="a"}': 1, '{job="b"}': 1, '{job="c"}': 1 });
});

test('topk/bottomk ignore histograms with an info at the aggregation; k < 1 adds none', async () => {
  const st = storage();
  let r = await engine.instantQuery(st, 'topk(1, m)', 0);
  assert.deepEqual(vec(r), { 'm{job="c"}': 10 });
  assert.deepEqual(r.infos, ['PromQL info: ignored histogram in topk aggregation (1:1)']);
  r = await engine.instantQuery(st, 'bottomk(5, m)', M);
  assert.deepEqual(vec(r), { 'm{job="a"}': 2 });
  assert.deepEqual(r.infos, ['PromQL info: ignored histogram in bottomk aggregation (1:1)']);
  r = await engine.instantQuery(st, 'topk(0, m)', 0);
  assert.deepEqual(vec(r), {});
  assert.deepEqual(r.infos, []);
});

test('vector/scalar operators: histograms give no sample and an info naming the operand types, bool or not', async () => {
  const st = storage();
  let r = await engine.instantQuery(st, 'm == 2', M);
  assert.deepEqual(vec(r), { 'm{job="a"}': 2 });
  assert.deepEqual(r.infos, ['PromQL info: incompatible sample types encountered for binary operator "==": histogram == float (1:1)']);
  r = await engine.instantQuery(st, '1 < bool m', M);
  assert.deepEqual(vec(r), { '{job="a"}': 1 });
  assert.deepEqual(r.infos, ['PromQL info: incompatible sample types encountered for binary operator "<": float < histogram (1:1)']);
  r = await engine.instantQuery(st, 'm + 1', 0);
  assert.deepEqual(vec(r), { '{job="a"}': 2, '{job="c"}': 11 });
  assert.deepEqual(r.infos, ['PromQL info: incompatible sample types encountered for binary operator "+": histogram + float (1:1)']);
  // histogram * scalar and histogram / scalar are defined (histograms), so there is no info.
  r = await engine.instantQuery(st, 'm * 2', 0);
  assert.deepEqual(vec(r), { '{job="a"}': 2, '{job="b"}': 'h8', '{job="c"}': 20 });
  assert.deepEqual(r.infos, []);
  r = await engine.instantQuery(st, '3 * m{job="b"} / 2', 0);
  assert.deepEqual(vec(r), { '{job="b"}': 'h6' });
  r = await engine.instantQuery(st, '2 / m{job="b"}', 0);
  assert.deepEqual(vec(r), {});
  assert.deepEqual(r.infos, ['PromQL info: incompatible sample types encountered for binary operator "/": float / histogram (1:1)']);
});
