// Start timestamps (Prometheus UseStartTimestamps): the storage contract (SampleIterator.st in the
// memory store), the reset rules, and engine behaviour not covered by start_timestamps.test's
// float evals (option off, stale markers, start_timestamp() on float samples).
// Expected values come from Prometheus: start_timestamps.test (copied in ../shared/promql-testdata)
// and the rules documented in promql/functions.go (isStartTimestampReset, checkStartTimeOverlap).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from '../../src/storage/memory.ts';
import { ValueType } from '../../src/storage/interfaces.ts';
import { Labels } from '../../src/labels/labels.ts';
import { Matcher } from '../../src/labels/matcher.ts';
import { STALE_NAN } from '../../src/tsdb/stale.ts';
import { Engine } from '../../src/promql/engine.ts';
import type { MatrixValue, VectorValue } from '../../src/promql/value.ts';
import { checkStartTimeOverlap, isStartTimestampReset } from '../../src/promql/functions/range.ts';

const L = (o: Record<string, string>): Labels => Labels.fromObject(o);
const M = 60_000;
const opts = { lookbackDelta: 300_000, enableExperimental: true };

test('memory storage: SampleIterator.st is undefined without start timestamps, 0 for samples without one', async () => {
  const st = new MemoryStorage();
  st.add(L({ __name__: 'plain' }), 1000, 1);
  st.add(L({ __name__: 'plain' }), 2000, 2);
  const withST = L({ __name__: 'with_st' });
  st.add(withST, 3000, 3); // no ST, then later samples get one
  st.add(withST, 5000, 5, 4500);
  st.add(withST, 4000, 4, 3500); // out-of-order insert keeps STs aligned
  st.add(withST, 6000, 6, 0); // explicit 0 = none
  const q = st.querier(0, 10_000);
  const got: Record<string, [number, number, number | undefined][]> = {};
  for await (const s of q.select({ start: 0, end: 10_000 }, [new Matcher('=~', '__name__', '.+')])) {
    const it = s.iterator();
    const rows: [number, number, number | undefined][] = [];
    while (it.next() === ValueType.Float) rows.push([it.t, it.v, it.st]);
    got[s.labels.get('__name__')] = rows;
  }
  assert.deepEqual(got.plain, [[1000, 1, undefined], [2000, 2, undefined]]);
  assert.deepEqual(got.with_st, [[3000, 3, 0], [4000, 4, 3500], [5000, 5, 4500], [6000, 6, 0]]);
  // seek positions st as well; overwriting a sample replaces its ST.
  st.add(withST, 4000, 40, 3900);
  for await (const s of q.select({ start: 0, end: 10_000 }, [Matcher.eq('__name__', 'with_st')])) {
    const it = s.iterator();
    assert.equal(it.seek(3999), ValueType.Float);
    assert.deepEqual([it.t, it.v, it.st], [4000, 40, 3900]);
    assert.equal(it.next(), ValueType.Float);
    assert.deepEqual([it.t, it.st], [5000, 4500]);
  }
  // Growth past the initial capacity keeps the ST array in step.
  const big = L({ __name__: 'big' });
  for (let i = 1; i <= 100; i++) st.add(big, i * 1000, i, i * 1000 - 1);
  for await (const s of st.querier(0, 200_000).select({ start: 0, end: 200_000 }, [Matcher.eq('__name__', 'big')])) {
    const it = s.iterator();
    let n = 0;
    while (it.next() === ValueType.Float) {
      n++;
      assert.equal(it.st, it.t - 1);
    }
    assert.equal(n, 100);
  }
});

test('isStartTimestampReset and checkStartTimeOverlap follow Prometheus', () => {
  // Unknown or invalid current ST: never a reset (ST = 0, ST > T, OTel unknown start ST = T).
  assert.equal(isStartTimestampReset(0, 60_000, 0, 120_000), false);
  assert.equal(isStartTimestampReset(0, 60_000, 130_000, 120_000), false);
  assert.equal(isStartTimestampReset(0, 60_000, 120_000, 120_000), false);
  // ST before the previous sample: same cumulative run, no reset.
  assert.equal(isStartTimestampReset(30_000, 60_000, 30_000, 120_000), false);
  // ST after the previous sample: a new run started in between.
  assert.equal(isStartTimestampReset(30_000, 60_000, 61_000, 120_000), true);
  // ST exactly at the previous sample (start_timestamps.test "otel_*" cases):
  assert.equal(isStartTimestampReset(0, 60_000, 60_000, 120_000), false); // cumulative, unknown start
  assert.equal(isStartTimestampReset(60_000, 60_000, 60_000, 120_000), false); // prev ST = prev T (unknown)
  assert.equal(isStartTimestampReset(60_000, 120_000, 120_000, 180_000), true); // delta: prev ST known
  assert.equal(isStartTimestampReset(120_000, 60_000, 60_000, 120_000), false); // invalid prev ST > prev T
  // Overlap: currST != 0 && currST < prevT && currST != prevST.
  assert.equal(checkStartTimeOverlap(0, 60_000, 60_000), false); // delta: ST = prev T
  assert.equal(checkStartTimeOverlap(30_000, 60_000, 30_000), false); // cumulative: same ST
  assert.equal(checkStartTimeOverlap(30_000, 60_000, 0), false); // no ST
  assert.equal(checkStartTimeOverlap(0, 60_000, 59_999), true);
});

/** start_timestamps.test's first data set (cumulative counters). */
function cumulative(st: MemoryStorage): void {
  const offs = [-30_000, -90_000, -150_000, -60_000, -120_000, -180_000, -59_999, -119_999, -179_999, -1000, -61_000, -121_000, -1, -60_001, -120_001];
  const norm = [0, 60, 120, 300, 360, 420, 780, 840, 900, 1440, 1500, 1560, 2280, 2340, 2400];
  for (let i = 0; i < 15; i++) {
    const t = (i + 2) * M;
    st.add(L({ __name__: 'cumulative', type: 'no_st' }), t, i * 60);
    st.add(L({ __name__: 'cumulative', type: 'st_resets' }), t, i * 60, t + offs[i]!);
    st.add(L({ __name__: 'cumulative', type: 'normalized_resets' }), t, norm[i]!);
  }
}

function rangeVals(v: MatrixValue, type: string): number[] {
  const s = v.series.find((x) => x.metric.get('type') === type);
  assert.ok(s, `series ${type} missing`);
  return s.vs;
}

test('engine: start timestamps are used only with useStartTimestamps (Prometheus default off)', async () => {
  const st = new MemoryStorage();
  cumulative(st);
  const q = 'increase(cumulative[5m])';
  const off = (await new Engine(opts).rangeQuery(st, q, 7 * M, 15 * M, M)).value as MatrixValue;
  // Without STs the st_resets series is the plain counter 0+60x14: like no_st.
  assert.deepEqual(rangeVals(off, 'st_resets'), rangeVals(off, 'no_st'));
  assert.deepEqual(rangeVals(off, 'no_st'), Array(9).fill(300));
  const on = (await new Engine({ ...opts, useStartTimestamps: true }).rangeQuery(st, q, 7 * M, 15 * M, M)).value as MatrixValue;
  const want = [420, 780, 675, 675, 1275, 1080, 900, 1725, 1440]; // start_timestamps.test:8
  rangeVals(on, 'st_resets').forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-9, `step ${i}: ${v} != ${want[i]}`));
  // The same through a subquery loses the STs (start_timestamps.test:36): the plain counter's 300.
  const sub = (await new Engine({ ...opts, useStartTimestamps: true }).rangeQuery(st, 'increase(cumulative[5m:1m])', 7 * M, 15 * M, M)).value as MatrixValue;
  assert.deepEqual(rangeVals(sub, 'st_resets').slice(0, 8), Array(8).fill(300));
});

test('engine: staleness markers are dropped from range windows without shifting start timestamps', async () => {
  // Same data with and without stale markers between samples must give the same results.
  const a = new MemoryStorage();
  const b = new MemoryStorage();
  cumulative(a);
  cumulative(b);
  for (let i = 0; i < 15; i++) {
    const t = (i + 2) * M + 30_000;
    if (i % 3 === 1) b.add(L({ __name__: 'cumulative', type: 'st_resets' }), t, STALE_NAN, t - 1000);
  }
  const eng = new Engine({ ...opts, useStartTimestamps: true });
  for (const q of ['increase(cumulative[5m])', 'rate(cumulative[5m])', 'irate(cumulative[5m])', 'resets(cumulative[5m])']) {
    const ra = (await eng.rangeQuery(a, q, 7 * M, 15 * M, M)).value as MatrixValue;
    const rb = (await eng.rangeQuery(b, q, 7 * M, 15 * M, M)).value as MatrixValue;
    assert.deepEqual(rangeVals(rb, 'st_resets'), rangeVals(ra, 'st_resets'), q);
  }
});

test('engine: start_timestamp() of a selector on float samples (start_timestamps.test:305)', async () => {
  // The file's data set with the native-histogram samples of case "a" left out; compared only at
  // the steps whose selected sample is a float in the original data.
  const st = new MemoryStorage();
  const a = L({ __name__: 'series', case: 'a' });
  const b = L({ __name__: 'series', case: 'b' });
  const floatsA: [number, number, number | undefined][] = [
    [10, 10, 1], [20, 20, undefined], [30, 30, 0], [40, 40, -1], [70, 70, -999], [80, 80, -1000], [110, 110, -30_000],
  ];
  for (const [s, v, off] of floatsA) st.add(a, s * 1000, v, off === undefined ? 0 : s * 1000 + off);
  st.add(b, 40_000, 40, 37_000);
  st.add(b, 70_000, 70, 30_000);
  const eng = new Engine({ ...opts, useStartTimestamps: true });
  const res = (await eng.rangeQuery(st, 'start_timestamp(series)', 0, 110_000, 5000)).value as MatrixValue;
  const byCase = (c: string): Map<number, number> => {
    const s = res.series.find((x) => x.metric.get('case') === c)!;
    assert.equal(s.metric.get('__name__'), '', 'start_timestamp drops the metric name');
    return new Map(s.ts.map((t, i) => [t, s.vs[i]!]));
  };
  const ga = byCase('a');
  const wantA: [number, number][] = [
    [10, 10.001], [15, 10.001], [20, 0], [25, 0], [30, 30], [35, 30], [40, 39.999], [45, 39.999],
    [70, 69.001], [75, 69.001], [80, 79], [85, 79], [110, 80],
  ];
  assert.equal(ga.has(0), false);
  assert.equal(ga.has(5000), false);
  for (const [s, v] of wantA) assert.equal(ga.get(s * 1000), v, `case a at ${s}s`);
  const gb = byCase('b');
  const wantB = [37, 37, 37, 37, 37, 37, 30, 30, 30, 30, 30, 30, 30, 30, 30];
  assert.deepEqual([...gb.keys()], wantB.map((_, i) => 40_000 + i * 5000));
  assert.deepEqual([...gb.values()], wantB);
  // An expression loses the start timestamps; so does an engine with them disabled.
  const expr = (await eng.rangeQuery(st, 'start_timestamp(series * 1)', 10_000, 50_000, 10_000)).value as MatrixValue;
  assert.deepEqual(expr.series, []);
  const offRes = (await new Engine(opts).instantQuery(st, 'start_timestamp(series)', 40_000)).value as VectorValue;
  assert.deepEqual(offRes.samples, []);
});

test('engine: overlap warning names the metric once per series and step', async () => {
  const st = new MemoryStorage();
  for (const [i, v] of [[2, 60], [3, 120], [4, 180]] as const) {
    st.add(L({ __name__: 'counter_total', type: 'overlap' }), i * M, v, (i - 2) * M);
  }
  const eng = new Engine({ ...opts, useStartTimestamps: true });
  const r = await eng.instantQuery(st, 'sum(rate(counter_total[3m]))', 4 * M);
  assert.deepEqual(r.warnings, ['PromQL warning: sample has start time that overlaps with previous sample timestamp for metric "counter_total" (1:10)']);
  const none = await new Engine(opts).instantQuery(st, 'sum(rate(counter_total[3m]))', 4 * M);
  assert.deepEqual(none.warnings, []);
});
