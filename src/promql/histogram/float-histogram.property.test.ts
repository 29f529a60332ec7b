// Property tests (fast-check) for FloatHistogram arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FloatHistogram,
  HistogramError,
  getBoundExponential,
  histogramFraction,
  histogramQuantile,
  histogramStdDev,
} from './index.ts';
import type { CounterResetHint, Span } from './index.ts';

const RUNS = 300;

/** A valid side: strictly ascending indices grouped into spans. */
function side(maxBuckets: number, counts: fc.Arbitrary<number>): fc.Arbitrary<{ spans: Span[]; buckets: number[] }> {
  return fc
    .array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.array(counts, { minLength: 0, maxLength: 4 })), { maxLength: maxBuckets })
    .chain((parts) =>
      fc.integer({ min: -6, max: 6 }).map((start) => {
        const spans: Span[] = [];
        const buckets: number[] = [];
        parts.forEach(([gap, bs], k) => {
          spans.push({ offset: k === 0 ? start : gap, length: bs.length });
          buckets.push(...bs);
        });
        return { spans, buckets };
      }),
    );
}

const intCount = fc.integer({ min: 0, max: 50 });
const hint = fc.constantFrom<CounterResetHint>('unknown', 'reset', 'not_reset', 'gauge');

function expHist(opts: { schema?: fc.Arbitrary<number>; zt?: fc.Arbitrary<number>; counts?: fc.Arbitrary<number> } = {}): fc.Arbitrary<FloatHistogram> {
  const counts = opts.counts ?? intCount;
  return fc
    .record({
      schema: opts.schema ?? fc.integer({ min: -4, max: 8 }),
      // Zero thresholds on bucket boundaries of every schema (powers of 2^16):
      // Prometheus' Add double-counts when the receiver has the lower schema and
      // a threshold that is not a boundary in it (reproduced faithfully).
      zeroThreshold: opts.zt ?? fc.constantFrom(0, 2 ** -32, 2 ** -16, 1),
      zeroCount: counts,
      sum: fc.integer({ min: -1000, max: 1000 }),
      pos: side(4, counts),
      neg: side(4, counts),
      counterResetHint: hint,
    })
    .map((r) => {
      // No populated buckets inside the zero bucket (as real histograms).
      const inside = (spans: Span[], buckets: number[]): number[] => {
        let idx = 0;
        let k = 0;
        const out = buckets.slice();
        for (const sp of spans) {
          idx += sp.offset;
          for (let j = 0; j < sp.length; j++, idx++, k++) if (getBoundExponential(idx, r.schema) <= r.zeroThreshold) out[k] = 0;
        }
        return out;
      };
      r.pos.buckets = inside(r.pos.spans, r.pos.buckets);
      r.neg.buckets = inside(r.neg.spans, r.neg.buckets);
      const count = r.zeroCount + r.pos.buckets.reduce((a, b) => a + b, 0) + r.neg.buckets.reduce((a, b) => a + b, 0);
      return new FloatHistogram({
        schema: r.schema,
        zeroThreshold: r.zeroThreshold,
        zeroCount: r.zeroCount,
        count,
        sum: r.sum,
        positiveSpans: r.pos.spans,
        positiveBuckets: r.pos.buckets,
        negativeSpans: r.neg.spans,
        negativeBuckets: r.neg.buckets,
        counterResetHint: r.counterResetHint,
      });
    });
}

function customHist(bounds: fc.Arbitrary<number[]>): fc.Arbitrary<FloatHistogram> {
  return bounds.chain((cv) =>
    fc.array(fc.option(intCount, { nil: undefined }), { minLength: cv.length + 1, maxLength: cv.length + 1 }).map((slots) => {
      const idx: number[] = [];
      const val: number[] = [];
      slots.forEach((v, i) => {
        if (v !== undefined) {
          idx.push(i);
          val.push(v);
        }
      });
      const spans: Span[] = [];
      let prev = -1;
      for (const i of idx) {
        if (spans.length > 0 && i === prev + 1) spans[spans.length - 1]!.length++;
        else spans.push({ offset: spans.length === 0 ? i : i - prev - 1, length: 1 });
        prev = i;
      }
      return new FloatHistogram({ schema: -53, customValues: cv, count: val.reduce((a, b) => a + b, 0), sum: 7, positiveSpans: spans, positiveBuckets: val });
    }),
  );
}

const sortedBounds = fc.uniqueArray(fc.integer({ min: -5, max: 20 }), { maxLength: 6 }).map((a) => a.sort((x, y) => x - y));

function snap(h: FloatHistogram): string {
  return JSON.stringify(h, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

function assertEquals(a: FloatHistogram, b: FloatHistogram, msg: string): void {
  if (!a.equals(b)) assert.fail(`${msg}\n a=${snap(a)}\n b=${snap(b)}`);
}

test('a.add(b).sub(b) equals a (compacted) on integral counts, same schema and zero threshold', () => {
  fc.assert(
    fc.property(
      fc.tuple(fc.integer({ min: -4, max: 8 }), fc.constantFrom(0, 0.01, 1, 3)).chain(([schema, zt]) =>
        fc.tuple(expHist({ schema: fc.constant(schema), zt: fc.constant(zt) }), expHist({ schema: fc.constant(schema), zt: fc.constant(zt) })),
      ),
      ([a, b]) => {
      b.counterResetHint = a.counterResetHint;
      const back = a.add(b).h.sub(b).h.compact(0);
      assertEquals(back, a.compact(0), 'a+b-b');
    }),
    { numRuns: RUNS },
  );
});

test('a.add(b).sub(b) equals a for custom buckets with the same bounds', () => {
  fc.assert(
    fc.property(sortedBounds.chain((cv) => fc.tuple(customHist(fc.constant(cv)), customHist(fc.constant(cv)))), ([a, b]) => {
      const back = a.add(b).h.sub(b).h.compact(0);
      assertEquals(back, a.compact(0), 'a+b-b custom');
    }),
    { numRuns: RUNS },
  );
});

test('mul(2) equals add(self)', () => {
  const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });
  fc.assert(
    fc.property(expHist({ counts: finite }), (h) => {
      assertEquals(h.mul(2).compact(0), h.add(h).h.compact(0), 'mul(2) vs add(self)');
    }),
    { numRuns: RUNS },
  );
});

test('add is commutative on counts, across schemas and zero thresholds', () => {
  fc.assert(
    fc.property(expHist(), expHist(), (a, b) => {
      const ab = a.add(b);
      const ba = b.add(a);
      assert.equal(ab.counterResetCollision, ba.counterResetCollision);
      const x = ab.h.compact(0);
      const y = ba.h.compact(0);
      assert.equal(x.schema, y.schema);
      assert.equal(x.zeroThreshold, y.zeroThreshold);
      assert.equal(x.count, y.count);
      assert.equal(x.sum, y.sum);
      assert.equal(x.zeroCount, y.zeroCount);
      assert.deepEqual(x.positiveSpans, y.positiveSpans);
      assert.deepEqual(x.positiveBuckets, y.positiveBuckets);
      assert.deepEqual(x.negativeSpans, y.negativeSpans);
      assert.deepEqual(x.negativeBuckets, y.negativeBuckets);
      // Kahan addition gives the same result on small integers.
      const k = a.kahanAdd(b, null);
      assertEquals(k.h.add(k.c).h.compact(0), x, 'kahanAdd');
    }),
    { numRuns: RUNS },
  );
});

test('add with mismatched custom bounds is commutative and keeps the total count', () => {
  fc.assert(
    fc.property(customHist(sortedBounds), customHist(sortedBounds), (a, b) => {
      const ab = a.add(b);
      const ba = b.add(a);
      assert.equal(ab.nhcbBoundsReconciled, ba.nhcbBoundsReconciled);
      assertEquals(ab.h.compact(0), ba.h.compact(0), 'commutative');
      const total = (h: FloatHistogram): number => h.positiveBuckets.reduce((s, v) => s + v, 0);
      assert.equal(total(ab.h), total(a) + total(b));
    }),
    { numRuns: RUNS },
  );
});

test('no method mutates its receiver or arguments', () => {
  fc.assert(
    fc.property(expHist(), expHist(), fc.integer({ min: -4, max: 8 }), (a, b, s) => {
      const sa = snap(a);
      const sb = snap(b);
      a.add(b);
      a.sub(b);
      const k = a.kahanAdd(b, null);
      const sc = snap(k.c);
      k.h.kahanAdd(a, k.c);
      assert.equal(snap(k.c), sc, 'kahanAdd mutated c');
      a.mul(-3);
      a.div(0);
      a.div(2);
      a.compact(0);
      a.compact(2);
      a.copy();
      if (s <= a.schema) a.copyToSchema(s);
      if (s < a.schema) a.reduceResolution(s);
      a.detectReset(b);
      a.equals(b);
      a.string();
      a.toLiteral();
      a.allBuckets();
      histogramQuantile(0.3, a);
      histogramFraction(-1, 1, a);
      histogramStdDev(a);
      assert.equal(snap(a), sa);
      assert.equal(snap(b), sb);
    }),
    { numRuns: RUNS },
  );
});

const weird = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e308, -1, 5e-324),
  fc.integer({ min: -10, max: 10 }),
);
const weirdInt = fc.oneof(
  fc.integer({ min: -8, max: 8 }),
  fc.constantFrom(NaN, Infinity, -Infinity, 0.5, -0.5, 2 ** 31, -(2 ** 31)),
);
const weirdSpans = fc.array(fc.record({ offset: weirdInt, length: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constantFrom(NaN, Infinity, 0.5)) }), { maxLength: 4 });

const garbage: fc.Arbitrary<FloatHistogram> = fc
  .record({
    schema: fc.oneof(fc.integer({ min: -6, max: 10 }), fc.constantFrom(-53, -53, 52, 100, NaN, 0.5)),
    zeroThreshold: weird,
    zeroCount: weird,
    count: weird,
    sum: weird,
    positiveSpans: weirdSpans,
    positiveBuckets: fc.array(weird, { maxLength: 8 }),
    negativeSpans: weirdSpans,
    negativeBuckets: fc.array(weird, { maxLength: 8 }),
    customValues: fc.array(weird, { maxLength: 5 }),
    counterResetHint: hint,
  })
  .map((r) => new FloatHistogram(r));

function onlyHistogramErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof HistogramError)) throw e;
  }
}

test('random garbage never throws anything but HistogramError', () => {
  fc.assert(
    fc.property(garbage, garbage, fc.integer({ min: -6, max: 10 }), weird, (a, b, s, f) => {
      onlyHistogramErrors(() => a.add(b));
      onlyHistogramErrors(() => a.sub(b));
      onlyHistogramErrors(() => a.kahanAdd(b, null));
      onlyHistogramErrors(() => a.kahanAdd(b, b));
      onlyHistogramErrors(() => a.mul(f));
      onlyHistogramErrors(() => a.div(f));
      onlyHistogramErrors(() => a.compact(0));
      onlyHistogramErrors(() => a.compact(3));
      onlyHistogramErrors(() => a.copy());
      onlyHistogramErrors(() => a.copyToSchema(s));
      onlyHistogramErrors(() => a.reduceResolution(s));
      onlyHistogramErrors(() => a.detectReset(b));
      onlyHistogramErrors(() => a.equals(b));
      onlyHistogramErrors(() => a.string());
      onlyHistogramErrors(() => a.toLiteral());
      onlyHistogramErrors(() => a.zeroBucket());
      onlyHistogramErrors(() => a.allBuckets());
      onlyHistogramErrors(() => a.allReverseBuckets());
      onlyHistogramErrors(() => histogramQuantile(f, a));
      onlyHistogramErrors(() => histogramQuantile(0.5, a));
      onlyHistogramErrors(() => histogramFraction(f, 1, a));
      onlyHistogramErrors(() => histogramStdDev(a));
    }),
    { numRuns: 2000 },
  );
});

test('equals is reflexive by bits (NaN sum equals NaN sum) and distinguishes bucket values', () => {
  const h = new FloatHistogram({ schema: 0, count: 3, sum: NaN, positiveSpans: [{ offset: 0, length: 2 }, { offset: 0, length: 0 }], positiveBuckets: [1, 2] });
  const same = new FloatHistogram({ schema: 0, count: 3, sum: NaN, positiveSpans: [{ offset: 0, length: 2 }], positiveBuckets: [1, 2] });
  assert.ok(h.equals(same));
  assert.ok(!h.equals(same.mul(1).div(1).add(new FloatHistogram({ schema: 0, count: 0, positiveSpans: [{ offset: 1, length: 1 }], positiveBuckets: [1] })).h));
  assert.ok(!new FloatHistogram({ sum: 0 }).equals(new FloatHistogram({ sum: -0 })));
});
