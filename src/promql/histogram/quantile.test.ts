// histogram_quantile / histogram_fraction / histogram_stddev / histogram_stdvar /
// histogram_avg against the expected values of Prometheus' promqltest scripts
// (native_histograms.test and histograms.test in the shared promql-testdata,
// Apache-2.0), plus hand-checked edge cases from promql/quantile.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FloatHistogram,
  histogramAvg,
  histogramCount,
  histogramFraction,
  histogramQuantile,
  histogramStdDev,
  histogramStdVar,
  histogramSum,
} from './index.ts';
import { almostEqual, collectCases, parseHistogramLiteral } from './testdata/promqltest-subset.ts';

const TESTDATA = process.env.STRATA_PROMQL_TESTDATA ?? join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'promql-testdata');

function evalFn(fn: string, args: number[], h: FloatHistogram): { value: number; info: boolean } {
  switch (fn) {
    case 'histogram_quantile': {
      const r = histogramQuantile(args[0]!, h);
      return { value: r.value, info: r.nanResult || r.nanSkew };
    }
    case 'histogram_fraction': {
      const r = histogramFraction(args[0]!, args[1]!, h);
      return { value: r.value, info: r.nans };
    }
    case 'histogram_stddev': return { value: histogramStdDev(h), info: false };
    case 'histogram_stdvar': return { value: histogramStdVar(h), info: false };
    case 'histogram_avg': return { value: histogramAvg(h), info: false };
    case 'histogram_count': return { value: histogramCount(h), info: false };
    case 'histogram_sum': return { value: histogramSum(h), info: false };
    default: throw new Error(fn);
  }
}

for (const file of ['native_histograms.test']) {
  const path = join(TESTDATA, file);
  test(`promqltest ${file}: histogram functions on native histograms`, async (t) => {
    assert.ok(existsSync(path), `${path} missing (the shared test data sits beside the repository)`);
    const cases = collectCases(readFileSync(path, 'utf8'));
    let checked = 0;
    for (const c of cases) {
      // Only evals whose every expected series is a native histogram we loaded.
      if (c.input.size === 0 || c.input.size !== c.expected.size) continue;
      if ([...c.expected.keys()].some((k) => !c.input.has(k))) continue;
      await t.test(`${file}:${c.line} ${c.expr}`, () => {
        let anyInfo = false;
        for (const [k, h] of c.input) {
          const r = evalFn(c.fn, c.args, h);
          anyInfo ||= r.info;
          const exp = c.expected.get(k)!;
          assert.ok(almostEqual(exp, r.value), `{${k}}: expected ${exp}, got ${r.value}`);
        }
        // The NaN infos are the only infos these functions raise for native
        // histograms apart from the quantile-range warning (a warning, not info).
        if (c.expectNoInfo) assert.equal(anyInfo, false, 'unexpected NaN info');
        if (c.expectInfo && (c.fn === 'histogram_fraction' || (c.fn === 'histogram_quantile' && c.args[0]! >= 0 && c.args[0]! <= 1))) {
          assert.equal(anyInfo, true, 'expected NaN info');
        }
      });
      checked++;
    }
    assert.ok(checked > 100, `only ${checked} evals checked`);
  });
}

test('histogram_quantile edge cases (promql/quantile.go)', () => {
  const h = parseHistogramLiteral('{{schema:0 sum:5 count:4 buckets:[1 2 1]}}');
  assert.equal(histogramQuantile(-0.1, h).value, -Infinity);
  assert.equal(histogramQuantile(1.1, h).value, Infinity);
  assert.ok(Number.isNaN(histogramQuantile(NaN, h).value));
  assert.ok(Number.isNaN(histogramQuantile(0.5, new FloatHistogram()).value));
  // Median interpolated exponentially inside (1,2]: sqrt(2).
  assert.equal(histogramQuantile(0.5, h).value, Math.SQRT2);
  // q=1 is the upper bound of the highest populated bucket (2,4].
  assert.equal(histogramQuantile(1, h).value, 4);
  // q=0 ends up at the lower bound of the lowest populated bucket (0.5,1].
  assert.equal(histogramQuantile(0, h).value, 0.5);
});

test('histogram_quantile NaN flags: NaN sum with observations beyond the buckets', () => {
  // count 10 but buckets hold only 4: 6 NaN observations.
  const h = parseHistogramLiteral('{{schema:0 sum:NaN count:10 buckets:[1 2 1]}}');
  const high = histogramQuantile(0.9, h);
  assert.ok(Number.isNaN(high.value));
  assert.equal(high.nanResult, true);
  const low = histogramQuantile(0.1, h);
  assert.equal(low.nanResult, false);
  assert.equal(low.nanSkew, true);
  assert.ok(Number.isFinite(low.value));
  const f = histogramFraction(0, 8, h);
  assert.equal(f.nans, true);
  assert.equal(f.value, 0.4);
});

test('histogram_quantile with custom buckets interpolates linearly and clamps at +Inf/-Inf buckets', () => {
  const h = parseHistogramLiteral('{{schema:-53 sum:10 count:10 custom_values:[1 2 4] buckets:[2 4 2 2]}}');
  // rank 5 falls in (1,2] holding 4 with 2 below: 1 + 1*(3/4).
  assert.equal(histogramQuantile(0.5, h).value, 1.75);
  // The +Inf bucket returns its lower bound.
  assert.equal(histogramQuantile(0.99, h).value, 4);
  // First bucket (-Inf,1] with a positive upper bound is treated as [0,1].
  assert.equal(histogramQuantile(0.1, h).value, 0.5);
});

test('histogram_stddev/stdvar use geometric bucket means and Kahan summation', () => {
  // One bucket (1,2]: value sqrt(2); mean = sum/count.
  const h = new FloatHistogram({ schema: 0, count: 2, sum: 2 * Math.SQRT2, positiveSpans: [{ offset: 1, length: 1 }], positiveBuckets: [2] });
  assert.equal(histogramStdVar(h), 0);
  assert.equal(histogramStdDev(h), 0);
  const g = new FloatHistogram({ schema: 0, count: 2, sum: 0, zeroCount: 0, positiveSpans: [{ offset: 1, length: 1 }], positiveBuckets: [1], negativeSpans: [{ offset: 1, length: 1 }], negativeBuckets: [1] });
  // Values ±sqrt(2), mean 0: variance 2.
  assert.ok(almostEqual(histogramStdVar(g), 2, 1e-12));
});
