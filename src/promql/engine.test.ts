// Engine unit tests on hand-built ASTs (independent of the parser). Expected values come from
// Prometheus's scripted tests in /work/shared/promql-testdata (file and eval noted) or are derived
// by hand from the formulas in promql/functions.go and quantile.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Labels } from '../labels/labels.ts';
import { Matcher } from '../labels/matcher.ts';
import { MemoryStorage } from '../storage/memory.ts';
import { STALE_NAN } from '../tsdb/stale.ts';
import type { AggregateExpr, BinaryExpr, Call, Expr, FunctionDef, MatrixSelector, NumberLiteral, SubqueryExpr, VectorSelector } from './ast.ts';
import { Engine } from './engine.ts';
import { extrapolatedRate } from './functions/range.ts';
import { bucketQuantile, kahanSumInc, quantile, linearRegression } from './functions/math.ts';
import { formatG } from './annotations.ts';
import { PromQLError, type QueryResult } from './value.ts';

const P = { start: 0, end: 0 };
const M = 60_000;

function vs(name: string, extra: Record<string, string> = {}, offset = 0): VectorSelector {
  const matchers = [Matcher.eq('__name__', name), ...Object.entries(extra).map(([k, v]) => Matcher.eq(k, v))];
  return { type: 'VectorSelector', name, matchers, offset, pos: P };
}
function ms(sel: VectorSelector, range: number): MatrixSelector {
  return { type: 'MatrixSelector', vectorSelector: sel, range, pos: P };
}
function fn(name: string, returnType: 'vector' | 'scalar' = 'vector'): FunctionDef {
  return { name, argTypes: [], variadic: 0, returnType };
}
function call(name: string, ...args: Expr[]): Call {
  return { type: 'Call', func: fn(name, name === 'scalar' || name === 'time' ? 'scalar' : 'vector'), args, pos: { start: 0, end: 1 } };
}
function num(v: number): NumberLiteral {
  return { type: 'NumberLiteral', value: v, pos: P };
}
function agg(op: AggregateExpr['op'], expr: Expr, grouping: string[] = [], without = false, param?: Expr): AggregateExpr {
  return { type: 'AggregateExpr', op, expr, grouping, without, param, pos: P };
}
function bin(op: BinaryExpr['op'], lhs: Expr, rhs: Expr, matching?: BinaryExpr['matching'], returnBool = false): BinaryExpr {
  return { type: 'BinaryExpr', op, lhs, rhs, matching, returnBool, pos: P };
}

/** Loads "a+bxN" series at the given interval starting at 0. */
function load(st: MemoryStorage, interval: number, labels: Record<string, string>, values: number[]): void {
  const l = Labels.fromObject(labels);
  values.forEach((v, i) => st.add(l, i * interval, v));
}
function seq(start: number, inc: number, n: number): number[] {
  return Array.from({ length: n + 1 }, (_, i) => start + inc * i);
}

const engine = new Engine({ lookbackDelta: 5 * M, maxSamples: 10000, defaultSubqueryStep: M, enableExperimental: true });

async function instant(st: MemoryStorage, e: Expr, t: number): Promise<QueryResult> {
  return engine.evalExpr(st, e, 'x', t, t, 0);
}
function vecMap(r: QueryResult): Map<string, number> {
  assert.equal(r.value.resultType, 'vector');
  const m = new Map<string, number>();
  if (r.value.resultType === 'vector') for (const s of r.value.samples) m.set(s.metric.toString(), s.v);
  return m;
}
function close(a: number, b: number): void {
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${a} != ${b}`);
}

test('increase/rate extrapolation (functions.test)', async () => {
  const st = new MemoryStorage();
  load(st, 5 * M, { __name__: 'http_requests_total', path: '/foo' }, seq(0, 10, 10));
  load(st, 5 * M, { __name__: 'http_requests_total', path: '/bar' }, [...seq(0, 18, 5), ...seq(0, 18, 5)]);
  load(st, 5 * M, { __name__: 'http_requests_total', path: '/dings' }, seq(10, 10, 10));
  load(st, 5 * M, { __name__: 'http_requests_total', path: '/bumms' }, seq(1, 10, 10));
  let m = vecMap(await instant(st, call('increase', ms(vs('http_requests_total'), 50 * M)), 50 * M));
  close(m.get('{path="/foo"}')!, 100);
  close(m.get('{path="/bar"}')!, 160);
  close(m.get('{path="/dings"}')!, 100);
  close(m.get('{path="/bumms"}')!, 100);
  m = vecMap(await instant(st, call('increase', ms(vs('http_requests_total'), 100 * M)), 50 * M));
  close(m.get('{path="/bar"}')!, 162);
  close(m.get('{path="/dings"}')!, 105);
  close(m.get('{path="/bumms"}')!, 101);
});

test('rate zero cutoff and offsets (functions.test)', async () => {
  const st = new MemoryStorage();
  for (let k = 0; k <= 5; k++) load(st, 4 * M, { __name__: 'testcounter_zero_cutoff_total', start: `${k}m` }, seq(60 * k, 240, 10));
  const m = vecMap(await instant(st, call('rate', ms(vs('testcounter_zero_cutoff_total'), 20 * M)), 10 * M));
  const want: Record<string, number> = { '0m': 0.5, '1m': 0.55, '2m': 0.6, '3m': 0.6, '4m': 0.6, '5m': 0.6 };
  for (const [k, v] of Object.entries(want)) close(m.get(`{start="${k}"}`)!, v);
  const st2 = new MemoryStorage();
  load(st2, 5 * M, { __name__: 'calculate_rate_offset_total', x: 'a' }, seq(0, 10, 10));
  load(st2, 5 * M, { __name__: 'calculate_rate_offset_total', x: 'b' }, seq(0, 20, 10));
  const m2 = vecMap(await instant(st2, call('rate', ms(vs('calculate_rate_offset_total', {}, 5 * M), 10 * M)), 50 * M));
  close(m2.get('{x="a"}')!, 0.03333333333333333);
  close(m2.get('{x="b"}')!, 0.06666666666666667);
});

test('extrapolatedRate directly: counter reset in the middle (functions.test rate 0.08)', () => {
  const vals = [...seq(0, 27, 4), ...seq(0, 27, 5)];
  const ts = new Float64Array(vals.map((_, i) => i * 5 * M));
  // window (0, 50m]: the sample at t=0 is excluded (left-open).
  const r = extrapolatedRate(ts, new Float64Array(vals), 1, vals.length, 0, 50 * M, 50 * M, true, true);
  close(r!, 0.08);
  // Single sample → no result.
  assert.equal(extrapolatedRate(ts, new Float64Array(vals), 3, 4, 0, 50 * M, 50 * M, true, true), null);
});

test('left-open lookback window and staleness', async () => {
  const st = new MemoryStorage();
  const l = Labels.fromObject({ __name__: 'm' });
  st.add(l, 0, 1);
  st.add(l, 60_000, 2);
  st.add(l, 120_000, STALE_NAN);
  // At exactly t = 5m after the sample at 0, the window (0, 300000] excludes it... but sample at 60s is in.
  assert.deepEqual([...vecMap(await instant(st, vs('m'), 300_000)).values()], []);
  assert.deepEqual([...vecMap(await instant(st, vs('m'), 119_999)).values()], [2]);
  const st2 = new MemoryStorage();
  st2.add(l, 0, 7);
  assert.deepEqual([...vecMap(await instant(st2, vs('m'), 299_999)).values()], [7]);
  assert.deepEqual([...vecMap(await instant(st2, vs('m'), 300_000)).values()], []);
});

test('range query is step-aligned, sorted and drops __name__ after functions', async () => {
  const st = new MemoryStorage();
  load(st, M, { __name__: 'c_total', a: '2' }, seq(0, 60, 20));
  load(st, M, { __name__: 'c_total', a: '1' }, seq(0, 120, 20));
  const r = await engine.evalExpr(st, call('rate', ms(vs('c_total'), 5 * M)), 'x', 10 * M, 12 * M, M);
  assert.equal(r.value.resultType, 'matrix');
  if (r.value.resultType !== 'matrix') return;
  assert.deepEqual(r.value.series.map((s) => s.metric.toString()), ['{a="1"}', '{a="2"}']);
  assert.deepEqual(r.value.series[0]!.ts, [10 * M, 11 * M, 12 * M]);
  for (const v of r.value.series[0]!.vs) close(v, 2);
  for (const v of r.value.series[1]!.vs) close(v, 1);
});

test('aggregations: sum/avg/count/stddev/quantile/topk by and without', async () => {
  const st = new MemoryStorage();
  const vals = [1, 2, 3, 4];
  vals.forEach((v, i) => st.add(Labels.fromObject({ __name__: 'x', g: i < 2 ? 'a' : 'b', i: String(i) }), 0, v));
  const at = async (e: Expr) => vecMap(await instant(st, e, 0));
  let m = await at(agg('sum', vs('x'), ['g']));
  assert.equal(m.get('{g="a"}'), 3);
  assert.equal(m.get('{g="b"}'), 7);
  m = await at(agg('avg', vs('x'), ['i'], true));
  assert.equal(m.get('{g="a"}'), 1.5);
  m = await at(agg('count', vs('x')));
  assert.equal(m.get('{}'), 4);
  m = await at(agg('stddev', vs('x')));
  close(m.get('{}')!, Math.sqrt(1.25));
  m = await at(agg('stdvar', vs('x')));
  close(m.get('{}')!, 1.25);
  m = await at(agg('quantile', vs('x'), [], false, num(0.5)));
  close(m.get('{}')!, 2.5);
  const r = await instant(st, agg('topk', vs('x'), ['g'], false, num(1)), 0);
  const got = r.value.resultType === 'vector' ? r.value.samples.map((s) => [s.metric.get('i'), s.v]) : [];
  assert.deepEqual(got.sort(), [['1', 2], ['3', 4]]);
  m = await at(agg('group', vs('x'), ['g']));
  assert.equal(m.get('{g="b"}'), 1);
  // count_values by value label.
  const cv = vecMap(await instant(st, { ...agg('count_values', vs('x')), param: { type: 'StringLiteral', value: 'val', pos: P } }, 0));
  assert.equal(cv.get('{val="3"}'), 1);
});

test('avg uses Kahan summation and incremental mean on overflow', async () => {
  const st = new MemoryStorage();
  const big = [Number.MAX_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE / 2];
  big.forEach((v, i) => st.add(Labels.fromObject({ __name__: 'o', i: String(i) }), 0, v));
  const m = vecMap(await instant(st, agg('avg', vs('o')), 0));
  // mean = (2·MAX − MAX/2)/3 = MAX/2, computed without overflowing.
  close(m.get('{}')!, Number.MAX_VALUE / 2);
  // Kahan: 1 + 1e100 + 1 − 1e100 = 2 (naive summation gives 0).
  const st2 = new MemoryStorage();
  [1, 1e100, 1, -1e100].forEach((v, i) => st2.add(Labels.fromObject({ __name__: 'k', i: String(i) }), 0, v));
  assert.equal(vecMap(await instant(st2, agg('sum', vs('k')), 0)).get('{}'), 2);
});

test('binary operators: matching, bool, set operators and errors', async () => {
  const st = new MemoryStorage();
  st.add(Labels.fromObject({ __name__: 'a', job: 'x', i: '1' }), 0, 10);
  st.add(Labels.fromObject({ __name__: 'a', job: 'y', i: '1' }), 0, 20);
  st.add(Labels.fromObject({ __name__: 'b', job: 'x' }), 0, 3);
  const on = { card: 'one-to-one' as const, matchingLabels: ['job'], on: true, include: [] };
  let m = vecMap(await instant(st, bin('%', vs('a'), vs('b'), on), 0));
  assert.deepEqual([...m.entries()], [['{job="x"}', 1]]);
  m = vecMap(await instant(st, bin('>', vs('a'), num(15)), 0));
  assert.deepEqual([...m.entries()], [['a{i="1", job="y"}', 20]]);
  m = vecMap(await instant(st, bin('>', vs('a'), num(15), undefined, true), 0));
  assert.equal(m.get('{i="1", job="x"}'), 0);
  const mm = { card: 'many-to-many' as const, matchingLabels: ['job'], on: true, include: [] };
  m = vecMap(await instant(st, bin('unless', vs('a'), vs('b'), mm), 0));
  assert.deepEqual([...m.keys()], ['a{i="1", job="y"}']);
  const gl = { card: 'many-to-one' as const, matchingLabels: [], on: true, include: [] };
  m = vecMap(await instant(st, bin('*', vs('a'), vs('b'), gl), 0));
  // group_left with on(): the single rhs series matches both lhs series; result keeps lhs labels minus __name__.
  assert.deepEqual([...m.entries()].sort(), [['{i="1", job="x"}', 30], ['{i="1", job="y"}', 60]]);
  await assert.rejects(
    instant(st, bin('*', vs('b'), vs('a'), { card: 'one-to-one', matchingLabels: [], on: true, include: [] }), 0),
    (e: unknown) =>
      e instanceof PromQLError && e.errorType === 'execution' &&
      e.message === 'found duplicate series for the match group {} on the right hand-side of the operation: [{__name__="a", i="1", job="x"}, {__name__="a", i="1", job="y"}];many-to-many matching not allowed: matching labels must be unique on one side',
  );
  await assert.rejects(
    instant(st, bin('*', vs('a'), vs('b'), { card: 'one-to-one', matchingLabels: [], on: true, include: [] }), 0),
    /multiple matches for labels: many-to-one matching must be explicit \(group_left\/group_right\)/,
  );
});

test('subquery with step alignment and @', async () => {
  const st = new MemoryStorage();
  load(st, M, { __name__: 'c' }, seq(0, 1, 30));
  // sum_over_time(c[5m:1m]) at 10m30s: subquery steps aligned to multiples of 1m in (5m30s, 10m30s] → 6..10
  const sq: SubqueryExpr = { type: 'SubqueryExpr', expr: vs('c'), range: 5 * M, step: M, offset: 0, pos: P };
  let m = vecMap(await instant(st, call('sum_over_time', sq), 10.5 * M));
  assert.equal(m.get('{}'), 6 + 7 + 8 + 9 + 10);
  const atSel: VectorSelector = { ...vs('c'), at: { kind: 'time', ms: 3 * M } };
  m = vecMap(await instant(st, atSel, 20 * M));
  assert.equal(m.get('c'), 3);
});

test('max samples limit yields execution error', async () => {
  const st = new MemoryStorage();
  load(st, 1000, { __name__: 'big' }, seq(0, 1, 20000));
  const small = new Engine({ maxSamples: 100 });
  await assert.rejects(
    small.evalExpr(st, ms(vs('big'), 10 * M), 'x', 10 * M, 10 * M, 0),
    (e: unknown) => e instanceof PromQLError && e.errorType === 'execution' && /query processing would load too many samples into memory in query execution/.test(e.message),
  );
});

test('histogram_quantile over classic buckets with monotonicity info', async () => {
  const st = new MemoryStorage();
  const b = (le: string, v: number) => st.add(Labels.fromObject({ __name__: 'h_bucket', le }), 0, v);
  b('0.1', 10);
  b('0.2', 8); // non-monotonic
  b('+Inf', 20);
  const r = await engine.evalExpr(st, call('histogram_quantile', num(0.5), vs('h_bucket')), 'histogram_quantile(0.5, h_bucket)', 0, 0, 0);
  const m = vecMap(r);
  // Fixed buckets: 0.1→10, 0.2→10, +Inf→20; rank 10 falls in the first bucket: 0 + 0.1·(10/10).
  close(m.get('{}')!, 0.1);
  assert.equal(r.infos.length, 1);
  assert.match(r.infos[0]!, /^PromQL info: input to histogram_quantile needed to be fixed for monotonicity .* for metric name "h_bucket", from buckets 0.2 to 0.2, with a max diff of 2, over 1 samples from 1970-01-01T00:00:00Z to 1970-01-01T00:00:00Z \(1:1\)$/);
});

test('bucketQuantile and quantile formulas', () => {
  // Hand-computed: buckets 1→1, 2→3, +Inf→4; q=0.5 → rank 2 in bucket (1,2]: 1 + 1·(1/2) = 1.5.
  const r = bucketQuantile(0.5, [{ upperBound: 2, count: 3 }, { upperBound: 1, count: 1 }, { upperBound: Infinity, count: 4 }]);
  close(r.q, 1.5);
  // q above the last finite bucket returns the highest finite upper bound.
  close(bucketQuantile(0.99, [{ upperBound: 1, count: 1 }, { upperBound: Infinity, count: 4 }]).q, 1);
  assert.ok(Number.isNaN(bucketQuantile(0.5, [{ upperBound: 1, count: 1 }]).q));
  assert.equal(bucketQuantile(-1, [{ upperBound: Infinity, count: 1 }]).q, -Infinity);
  close(quantile(0.25, [4, 1, 3, 2]), 1.75);
  assert.ok(Number.isNaN(quantile(0.5, [])));
});

test('kahanSumInc and linear regression', () => {
  let s = 0;
  let c = 0;
  for (const v of [1, 1e100, 1, -1e100]) [s, c] = kahanSumInc(v, s, c);
  assert.equal(s + c, 2);
  // y = 2x + 1 at x = 0..3 s: slope 2, intercept 1 (at t=0).
  const ts = new Float64Array([0, 1000, 2000, 3000]);
  const ys = new Float64Array([1, 3, 5, 7]);
  const [slope, icpt] = linearRegression(ts, ys, 0, 4, 0);
  close(slope, 2);
  close(icpt, 1);
});

test('double_exponential_smoothing (functions.test positive trend)', async () => {
  const st = new MemoryStorage();
  load(st, 10_000, { __name__: 'http_requests', job: 'api-server', instance: '0', group: 'production' }, seq(0, 10, 1000));
  const e = call('double_exponential_smoothing', ms(vs('http_requests'), M), num(0.01), num(0.1));
  const m = vecMap(await instant(st, e, 8000_000));
  close(m.get('{group="production", instance="0", job="api-server"}')!, 8000);
});

test('formatG matches Go %g', () => {
  assert.equal(formatG(1.5), '1.5');
  assert.equal(formatG(-0.5), '-0.5');
  assert.equal(formatG(1e6), '1e+06');
  assert.equal(formatG(100000), '100000');
  assert.equal(formatG(0.00001), '1e-05');
  assert.equal(formatG(NaN), 'NaN');
  assert.equal(formatG(Infinity), '+Inf');
  assert.equal(formatG(2, 2), '2');
  assert.equal(formatG(0.5, 2), '0.5');
  assert.equal(formatG(100, 2), '1e+02');
});

test('fill modifiers fill the missing side (fill-modifier semantics)', async () => {
  const st = new MemoryStorage();
  st.add(Labels.fromObject({ __name__: 'a', x: '1' }), 0, 1);
  st.add(Labels.fromObject({ __name__: 'b', x: '2' }), 0, 2);
  const m = vecMap(await instant(st, bin('+', vs('a'), vs('b'), { card: 'one-to-one', matchingLabels: ['x'], on: true, include: [], fillLeft: 0, fillRight: 0 }), 0));
  // lhs a{x=1} has no match → rhs filled with 0: 1; rhs b{x=2} unmatched → lhs filled with 0: 2.
  assert.deepEqual([...m.entries()].sort(), [['{x="1"}', 1], ['{x="2"}', 2]]);
});

test('limitk keeps k series per group; topk(NaN) is an execution error', async () => {
  const st = new MemoryStorage();
  for (let i = 0; i < 5; i++) st.add(Labels.fromObject({ __name__: 'l', i: String(i) }), 0, i);
  const r = await instant(st, agg('limitk', vs('l'), [], false, num(2)), 0);
  assert.equal(r.value.resultType === 'vector' ? r.value.samples.length : -1, 2);
  await assert.rejects(instant(st, agg('topk', vs('l'), [], false, num(NaN)), 0), /Parameter value is NaN/);
});

test('label_replace expands $1 like Go regexp.Expand and drops nothing else', async () => {
  const st = new MemoryStorage();
  st.add(Labels.fromObject({ __name__: 'm', src: 'source-value-10' }), 0, 1);
  const str = (v: string) => ({ type: 'StringLiteral' as const, value: v, pos: P });
  const e = call('label_replace', vs('m'), str('dst'), str('destination-value-$1'), str('src'), str('source-value-(.*)'));
  const m = vecMap(await instant(st, e, 0));
  // functions.test: label_replace(testmetric, "dst", "destination-value-$1", "src", "source-value-(.*)")
  assert.deepEqual([...m.keys()], ['m{dst="destination-value-10", src="source-value-10"}']);
});

test('timeout yields errorType timeout with Prometheus text', async () => {
  const st = new MemoryStorage();
  st.add(Labels.fromObject({ __name__: 'x' }), 0, 1);
  const expired = new Engine({ timeout: -1 });
  await assert.rejects(
    expired.evalExpr(st, vs('x'), 'x', 0, 0, 0),
    (e: unknown) => e instanceof PromQLError && e.errorType === 'timeout' && e.message === 'query timed out in expression evaluation',
  );
});

test('annotation rendering: possible non-counter info with line:col position', async () => {
  const st = new MemoryStorage();
  load(st, M, { __name__: 'foo' }, seq(0, 1, 10));
  const sel = { ...vs('foo'), pos: { start: 5, end: 8 } };
  const e: Call = { ...call('rate', { ...ms(sel, 5 * M), pos: { start: 5, end: 12 } }) };
  const r = await engine.evalExpr(st, e, 'rate(foo[5m])', 10 * M, 10 * M, 0);
  assert.deepEqual(r.infos, ['PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "foo" (1:6)']);
  assert.deepEqual(r.warnings, []);
});
