// Prometheus' own FloatHistogram test tables (model/histogram/float_histogram_test.go),
// transcribed to testdata/float-histogram-cases.json, run against our port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FloatHistogram, HistogramError, bucketList, CUSTOM_BUCKETS_SCHEMA } from './index.ts';
import type { Bucket } from './index.ts';
import { diffHistograms, fh, goBucket, table } from './testdata/cases.ts';

function must(h: FloatHistogram | null, what: string): FloatHistogram {
  if (h === null) throw new Error(`${what} is nil`);
  return h;
}

function assertSame(exp: FloatHistogram, act: FloatHistogram, msg: string): void {
  const d = diffHistograms(exp, act);
  if (d !== null) assert.fail(`${msg}: ${d}\n expected ${JSON.stringify(exp)}\n got      ${JSON.stringify(act)}`);
}

/** Deep snapshot to check that inputs are not mutated. */
function snap(h: FloatHistogram): string {
  return JSON.stringify(h, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

function runAdd(a: FloatHistogram, b: FloatHistogram, expected: FloatHistogram | null, errMsg: string, collision: boolean, reconciled: boolean, label: string): void {
  const sa = snap(a);
  const sb = snap(b);
  if (errMsg !== '') {
    assert.throws(() => a.add(b), (e: unknown) => e instanceof HistogramError && e.message === errMsg, label);
    assert.throws(() => a.kahanAdd(b, null), (e: unknown) => e instanceof HistogramError && e.message === errMsg, label);
    return;
  }
  const r = a.add(b);
  assert.equal(r.counterResetCollision, collision, `${label} collision`);
  assert.equal(r.nhcbBoundsReconciled, reconciled, `${label} reconciled`);
  if (expected !== null) assertSame(expected.compact(0), r.h.compact(0), `${label} add`);
  const k = a.kahanAdd(b, null);
  assert.equal(k.counterResetCollision, collision, `${label} kahan collision`);
  assert.equal(k.nhcbBoundsReconciled, reconciled, `${label} kahan reconciled`);
  assert.equal(k.c.schema, k.h.schema);
  assert.equal(k.c.zeroThreshold, k.h.zeroThreshold);
  assert.deepEqual(k.c.positiveSpans, k.h.positiveSpans);
  assert.deepEqual(k.c.negativeSpans, k.h.negativeSpans);
  assert.equal(k.c.positiveBuckets.length, k.h.positiveBuckets.length);
  assert.equal(k.c.negativeBuckets.length, k.h.negativeBuckets.length);
  assert.equal(k.c.customValues.length, k.h.customValues.length);
  if (expected !== null) assertSame(expected.compact(0), k.h.add(k.c).h.compact(0), `${label} kahanAdd`);
  assert.equal(snap(a), sa, `${label}: receiver mutated`);
  assert.equal(snap(b), sb, `${label}: argument mutated`);
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const bool = (v: unknown): boolean => v === true;

test('Prometheus TestFloatHistogramAdd', async (t) => {
  for (const c of table('TestFloatHistogramAdd').cases) {
    await t.test(str(c.name), () => {
      const a = must(fh(c.in1), 'in1');
      const b = must(fh(c.in2), 'in2');
      const exp = fh(c.expected);
      runAdd(a, b, exp, str(c.expErrMsg), bool(c.expCounterResetCollision), bool(c.expNHCBBoundsReconciled), 'a+b');
      runAdd(b, a, exp, str(c.expErrMsg), bool(c.expCounterResetCollision), bool(c.expNHCBBoundsReconciled), 'b+a');
    });
  }
});

test('Prometheus TestKahanAddWithCompHistogram', async (t) => {
  for (const c of table('TestKahanAddWithCompHistogram').cases) {
    await t.test(str(c.name), () => {
      const a = must(fh(c.in1), 'in1');
      const b = must(fh(c.in2), 'in2');
      const comp = fh(c.comp);
      const exp = fh(c.expectedSum);
      const errMsg = str(c.expErrMsg);
      if (errMsg !== '') {
        assert.throws(() => a.kahanAdd(b, comp), (e: unknown) => e instanceof HistogramError && e.message === errMsg);
        return;
      }
      const sb = snap(b);
      const k = a.kahanAdd(b, comp);
      assert.equal(k.counterResetCollision, bool(c.expCounterResetCollision));
      assert.equal(k.nhcbBoundsReconciled, bool(c.expNHCBBoundsReconciled));
      assert.equal(k.c.schema, k.h.schema);
      assert.equal(k.c.zeroThreshold, k.h.zeroThreshold);
      assert.deepEqual(k.c.positiveSpans, k.h.positiveSpans);
      assert.deepEqual(k.c.negativeSpans, k.h.negativeSpans);
      assert.equal(k.c.positiveBuckets.length, k.h.positiveBuckets.length);
      assert.equal(k.c.negativeBuckets.length, k.h.negativeBuckets.length);
      if (exp !== null) assertSame(exp.compact(0), k.h.add(k.c).h.compact(0), 'kahan sum');
      assert.equal(snap(b), sb);
    });
  }
});

test('Prometheus TestFloatHistogramSub', async (t) => {
  for (const c of table('TestFloatHistogramSub').cases) {
    await t.test(str(c.name), () => {
      const a = must(fh(c.in1), 'in1');
      const b = must(fh(c.in2), 'in2');
      const exp = fh(c.expected);
      const errMsg = str(c.expErrMsg);
      if (errMsg !== '') {
        assert.throws(() => a.sub(b), (e: unknown) => e instanceof HistogramError && e.message === errMsg);
        assert.throws(() => b.sub(a), (e: unknown) => e instanceof HistogramError && e.message === errMsg);
        return;
      }
      const sa = snap(a);
      const sb = snap(b);
      const r1 = a.sub(b);
      assert.equal(r1.counterResetCollision, bool(c.expCounterResetCollision));
      assert.equal(r1.nhcbBoundsReconciled, bool(c.expNHCBBoundsReconciled));
      if (exp !== null) assertSame(exp.compact(0), r1.h.compact(0), 'a-b');
      const r2 = b.sub(a);
      if (exp !== null) {
        const neg = exp.mul(-1);
        neg.counterResetHint = exp.counterResetHint;
        assertSame(neg.compact(0), r2.h.compact(0), 'b-a');
      }
      assert.equal(snap(a), sa);
      assert.equal(snap(b), sb);
    });
  }
});

test('Prometheus TestFloatHistogramMul', async (t) => {
  for (const c of table('TestFloatHistogramMul').cases) {
    await t.test(str(c.name), () => {
      const h = must(fh(c.in), 'in');
      const s = snap(h);
      assertSame(must(fh(c.expected), 'expected'), h.mul(c.scale as number), 'mul');
      assert.equal(snap(h), s, 'receiver mutated');
    });
  }
});

test('Prometheus TestFloatHistogramDiv', async (t) => {
  for (const c of table('TestFloatHistogramDiv').cases) {
    await t.test(str(c.name), () => {
      const h = must(fh(c.fh), 'fh');
      const s = snap(h);
      assertSame(must(fh(c.expected), 'expected'), h.div(c.s as number), 'div');
      assert.equal(snap(h), s, 'receiver mutated');
    });
  }
});

test('Prometheus TestFloatHistogramCopy', async (t) => {
  for (const c of table('TestFloatHistogramCopy').cases) {
    await t.test(str(c.name), () => {
      const h = must(fh(c.orig), 'orig');
      const cp = h.copy();
      h.sum++;
      if (h.positiveSpans.length > 0) h.positiveSpans[0]!.offset++;
      if (h.positiveBuckets.length > 0) h.positiveBuckets[0]!++;
      assertSame(must(fh(c.expected), 'expected'), cp, 'copy');
    });
  }
});

test('Prometheus TestFloatHistogramDetectReset', async (t) => {
  for (const c of table('TestFloatHistogramDetectReset').cases) {
    await t.test(str(c.name), () => {
      const prev = must(fh(c.previous), 'previous');
      const curr = must(fh(c.current), 'current');
      assert.equal(curr.detectReset(prev), c.resetExpected === true);
    });
  }
});

test('Prometheus TestFloatHistogramCompact', async (t) => {
  for (const c of table('TestFloatHistogramCompact').cases) {
    await t.test(str(c.name), () => {
      const h = must(fh(c.in), 'in');
      const s = snap(h);
      assertSame(must(fh(c.expected), 'expected'), h.compact(c.maxEmptyBuckets as number), 'compact');
      assert.equal(snap(h), s, 'receiver mutated');
    });
  }
});

test('Prometheus TestFloatHistogramCopyToSchema', async (t) => {
  for (const c of table('TestFloatHistogramCopyToSchema').cases) {
    await t.test(str(c.name), () => {
      const h = must(fh(c.in), 'in');
      const s = snap(h);
      assertSame(must(fh(c.expected), 'expected'), h.copyToSchema(c.targetSchema as number), 'copyToSchema');
      assert.equal(snap(h), s, 'receiver mutated');
    });
  }
});

test('Prometheus TestFloatHistogramReduceResolution', async (t) => {
  for (const c of table('TestFloatHistogramReduceResolution').cases) {
    await t.test(str(c.name), () => {
      const h = must(fh(c.origin), 'origin');
      const errMsg = str(c.errorMsg);
      if (errMsg !== '') {
        assert.throws(() => h.reduceResolution(c.targetSchema as number), (e: unknown) => e instanceof HistogramError && e.message === errMsg);
        return;
      }
      assertSame(must(fh(c.target), 'target'), h.reduceResolution(c.targetSchema as number), 'reduceResolution');
    });
  }
});

test('Prometheus TestFloatHistogramString', async (t) => {
  for (const c of table('TestFloatHistogramString').cases) {
    await t.test(str(c.name), () => {
      assert.equal(must(fh(c.fh), 'fh').string(), c.expected);
    });
  }
});

test('Prometheus TestFloatBucketIteratorTargetSchema', async (t) => {
  for (const c of table('TestFloatBucketIteratorTargetSchema').cases) {
    await t.test(str(c.name), () => {
      const h = must(fh(c.h), 'h');
      const pos = (c.expPositiveBuckets as unknown[] | null ?? []).map((b) => goBucket(b as never));
      const neg = (c.expNegativeBuckets as unknown[] | null ?? []).map((b) => goBucket(b as never));
      assert.deepEqual(bucketList(h, true, 0, -1), pos);
      assert.deepEqual(bucketList(h, false, 0, -1), neg);
    });
  }
});

test('Prometheus TestFloatCustomBucketsIterators', async (t) => {
  let i = 0;
  for (const c of table('TestFloatCustomBucketsIterators').cases) {
    await t.test(String(i++), () => {
      const h = must(fh(c.h), 'h');
      const pos = (c.expPositiveBuckets as unknown[]).map((b) => goBucket(b as never));
      assert.deepEqual(h.positiveBucketList(), pos);
      assert.deepEqual(bucketList(h, true, 0, CUSTOM_BUCKETS_SCHEMA), pos);
      assert.deepEqual(h.negativeBucketList(), []);
      assert.deepEqual(h.allBuckets(), pos);
      assert.deepEqual(h.allReverseBuckets(), pos.slice().reverse());
    });
  }
});

function expectedAll(c: Record<string, unknown>, h: FloatHistogram): Bucket[] {
  // As Prometheus' test: negative (ascending), zero, positive, clamped at the zero bucket.
  const exp: Bucket[] = [];
  if (c.includeNeg === true) {
    for (const b of h.negativeBucketList().reverse()) {
      if (c.includeZero === true && b.upper > -h.zeroThreshold) b.upper = -h.zeroThreshold;
      exp.push(b);
    }
  }
  if (c.includeZero === true) {
    exp.push({ lower: -h.zeroThreshold, upper: h.zeroThreshold, lowerInclusive: true, upperInclusive: true, count: h.zeroCount, index: 0 });
  }
  if (c.includePos === true) {
    for (const b of h.positiveBucketList()) {
      if (c.includeZero === true && b.lower < h.zeroThreshold) b.lower = h.zeroThreshold;
      exp.push(b);
    }
  }
  return exp;
}

test('Prometheus TestAllFloatBucketIterator', async (t) => {
  let i = 0;
  for (const c of table('TestAllFloatBucketIterator').cases) {
    await t.test(String(i++), () => {
      const h = must(fh(c.h), 'h');
      assert.deepEqual(h.allBuckets(), expectedAll(c, h));
      assert.deepEqual([...h.allBucketIterator()], expectedAll(c, h));
    });
  }
});

test('Prometheus TestAllReverseFloatBucketIterator', async (t) => {
  let i = 0;
  for (const c of table('TestAllReverseFloatBucketIterator').cases) {
    await t.test(String(i++), () => {
      const h = must(fh(c.h), 'h');
      assert.deepEqual(h.allReverseBuckets(), expectedAll(c, h).reverse());
    });
  }
});

test('Prometheus TestFloatHistogramValidateNegativeHistogram', async (t) => {
  for (const c of table('TestFloatHistogramValidateNegativeHistogram').cases) {
    await t.test(str(c.name), () => {
      const e = must(fh(c.fh), 'fh').validate();
      assert.ok(e instanceof HistogramError, 'expected a validation error');
    });
  }
});

test('Prometheus tables: Add/Sub inputs validate; Compact keeps valid histograms valid', () => {
  for (const name of ['TestFloatHistogramAdd', 'TestFloatHistogramSub']) {
    for (const c of table(name).cases) {
      // testHistogramAdd/testFloatHistogramSub require a.Validate() == nil.
      assert.equal(must(fh(c.in1), 'in1').validate(), null, `${name} ${str(c.name)} in1`);
      assert.equal(must(fh(c.in2), 'in2').validate(), null, `${name} ${str(c.name)} in2`);
    }
  }
  for (const c of table('TestFloatHistogramCompact').cases) {
    const h = must(fh(c.in), 'in');
    if (h.validate() === null) assert.equal(h.compact(c.maxEmptyBuckets as number).validate(), null, str(c.name));
  }
});
