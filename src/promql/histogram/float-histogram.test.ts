// Unit tests: toLiteral (TestHistogramTestExpression in Prometheus'
// promql/parser/parse_test.go), Go %g formatting, Kahan summation, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FloatHistogram, HistogramError, formatGoFloat, kahanInc, ERR_INCOMPATIBLE_SCHEMA_MSG } from './index.ts';
import { parseHistogramLiteral } from './testdata/promqltest-subset.ts';

test('toLiteral matches Prometheus TestHistogramTestExpression', () => {
  const cases: [FloatHistogram, string][] = [
    [
      new FloatHistogram({ schema: 1, sum: -0.3, count: 3.1, zeroCount: 7.1, zeroThreshold: 0.05, positiveBuckets: [5.1, 10, 7], positiveSpans: [{ offset: -3, length: 3 }], negativeBuckets: [4.1, 5], negativeSpans: [{ offset: -5, length: 2 }] }),
      '{{schema:1 count:3.1 sum:-0.3 z_bucket:7.1 z_bucket_w:0.05 offset:-3 buckets:[5.1 10 7] n_offset:-5 n_buckets:[4.1 5]}}',
    ],
    [
      new FloatHistogram({ positiveBuckets: [5.1, 10, 7], positiveSpans: [{ offset: -3, length: 1 }, { offset: 4, length: 2 }], negativeBuckets: [4.1, 5, 7, 8, 9], negativeSpans: [{ offset: -1, length: 2 }, { offset: 2, length: 3 }] }),
      '{{offset:-3 buckets:[5.1 0 0 0 0 10 7] n_offset:-1 n_buckets:[4.1 5 0 0 7 8 9]}}',
    ],
    [
      new FloatHistogram({ schema: 1, sum: -0.3, count: 3.1, zeroCount: 7.1, zeroThreshold: 0.05, positiveBuckets: [5.1, 10, 7], positiveSpans: [{ offset: -3, length: 3 }], negativeBuckets: [4.1, 5], negativeSpans: [{ offset: -5, length: 2 }], counterResetHint: 'reset' }),
      '{{schema:1 count:3.1 sum:-0.3 z_bucket:7.1 z_bucket_w:0.05 counter_reset_hint:reset offset:-3 buckets:[5.1 10 7] n_offset:-5 n_buckets:[4.1 5]}}',
    ],
  ];
  for (const [h, exp] of cases) {
    assert.equal(h.toLiteral(), exp);
    // Re-parsing the literal gives the same canonical literal.
    assert.equal(parseHistogramLiteral(exp).toLiteral(), exp);
  }
  assert.equal(new FloatHistogram({ schema: -53, customValues: [0.5, 1, 2e6], count: 2, positiveSpans: [{ offset: 1, length: 1 }], positiveBuckets: [2] }).toLiteral(),
    '{{schema:-53 count:2 custom_values:[0.5 1 2e+06] offset:1 buckets:[2]}}');
  assert.equal(new FloatHistogram().toLiteral(), '{{}}');
});

test('formatGoFloat follows Go %g (strconv shortest, exponent iff exp < -4 || exp >= 6)', () => {
  const cases: [number, string][] = [
    [0, '0'], [-0, '-0'], [1, '1'], [-2.5, '-2.5'], [123456, '123456'], [1e6, '1e+06'], [1234567, '1.234567e+06'],
    [2349209.324, '2.349209324e+06'], [0.0001, '0.0001'], [0.00001, '1e-05'], [1.5e-7, '1.5e-07'], [1e21, '1e+21'],
    [1e100, '1e+100'], [5e-324, '5e-324'], [Number.MAX_VALUE, '1.7976931348623157e+308'], [0.1 + 0.2, '0.30000000000000004'],
    [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'], [100000, '100000'], [-999999.5, '-999999.5'],
  ];
  for (const [v, s] of cases) assert.equal(formatGoFloat(v), s, String(v));
});

test('kahanInc compensates lost low-order bits and resets on overflow', () => {
  let [s, c] = [0, 0];
  for (const v of [1e16, 1, 1, 1, 1, -1e16]) [s, c] = kahanInc(v, s, c);
  assert.equal(s + c, 4);
  [s, c] = kahanInc(Infinity, 1, 0.5);
  assert.equal(s, Infinity);
  assert.equal(c, 0);
});

test('mixing exponential and custom buckets throws HistogramError incompatible-schema', () => {
  const exp = parseHistogramLiteral('{{schema:0 count:1 buckets:[1]}}');
  const nhcb = parseHistogramLiteral('{{schema:-53 count:1 custom_values:[1] buckets:[1]}}');
  for (const f of [() => exp.add(nhcb), () => nhcb.sub(exp), () => exp.kahanAdd(nhcb, null)]) {
    assert.throws(f, (e: unknown) => e instanceof HistogramError && e.kind === 'incompatible-schema' && e.message === ERR_INCOMPATIBLE_SCHEMA_MSG);
  }
  assert.throws(() => nhcb.zeroBucket(), HistogramError);
  assert.throws(() => exp.copyToSchema(1), (e: unknown) => e instanceof HistogramError && e.kind === 'invalid-schema-change');
});

test('div by zero keeps the hint and removes buckets; negative factors make gauges', () => {
  const h = parseHistogramLiteral('{{schema:0 count:4 sum:5 z_bucket:1 buckets:[1 2] counter_reset_hint:not_reset}}');
  const z = h.div(0);
  assert.equal(z.count, Infinity);
  assert.equal(z.sum, Infinity);
  assert.equal(z.zeroCount, Infinity);
  assert.deepEqual(z.positiveBuckets, []);
  assert.equal(z.counterResetHint, 'not_reset');
  assert.equal(h.mul(-1).counterResetHint, 'gauge');
  assert.equal(h.div(-2).counterResetHint, 'gauge');
  assert.equal(h.mul(0).counterResetHint, 'not_reset');
});

test('kahanAdd compensation recovers precision a plain add loses', () => {
  const big = new FloatHistogram({ count: 1e16, sum: 1e16, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [1e16] });
  const one = new FloatHistogram({ count: 1, sum: 1, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [1] });
  const neg = big.mul(-1);
  neg.counterResetHint = 'unknown';
  let plain = big;
  let k: { h: FloatHistogram; c: FloatHistogram | null } = { h: big, c: null };
  for (const x of [one, one, one, one, neg]) {
    plain = plain.add(x).h;
    const r = k.h.kahanAdd(x, k.c);
    k = { h: r.h, c: r.c };
  }
  assert.equal(plain.count, 0);
  const exact = k.h.add(k.c!).h;
  assert.equal(exact.count, 4);
  assert.equal(exact.sum, 4);
  assert.deepEqual(exact.positiveBuckets, [4]);
});
