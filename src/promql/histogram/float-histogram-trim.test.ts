// FloatHistogram.trimBuckets (the PromQL `</` and `>/` operators), a port of
// Prometheus model/histogram/float_histogram.go TrimBuckets. Prometheus'
// float_histogram_test.go has one test for it (TestFloatHistogramTrimBucketsInPlace,
// adapted below to our non-mutating API); the value tables are the trim evals of
// Prometheus' promql/promqltest/testdata/native_histograms.test (shared
// promql-testdata), applied directly to the loaded histograms. The remaining
// cases follow code paths of TrimBuckets by hand (values derived from the Go
// rules, noted per case).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FloatHistogram } from './index.ts';
import { Labels } from '../../labels/labels.ts';
import { BinopState, changesMetricSchema, elemBinop, elemBinopHist, isComparison, isTrim, scalarBinop, BinopError, vectorBinop } from '../binary.ts';
import type { HistBinopResult } from '../binary.ts';
import type { Annotation } from '../annotations.ts';
import type { ESample } from '../eval-types.ts';
import { almostEqual, num, parseHistogramLiteral } from './testdata/promqltest-subset.ts';

const TESTDATA = process.env.STRATA_PROMQL_TESTDATA ?? join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'promql-testdata');

function snap(h: FloatHistogram): string {
  return JSON.stringify(h, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

/** Populated buckets as index -> count (what promqltest compares after Compact(0)). */
function populated(h: FloatHistogram, positive: boolean): Map<number, number> {
  const out = new Map<number, number>();
  const spans = positive ? h.positiveSpans : h.negativeSpans;
  const buckets = positive ? h.positiveBuckets : h.negativeBuckets;
  let idx = 0;
  let k = 0;
  for (const s of spans) {
    idx += s.offset;
    for (let j = 0; j < s.length; j++, idx++, k++) if (buckets[k] !== 0) out.set(idx, buckets[k]!);
  }
  return out;
}

/** promqltest's histogram comparison: exact layout facts, counts and sum almost equal (1e-6). */
function histDiff(exp: FloatHistogram, act: FloatHistogram): string | null {
  if (exp.schema !== act.schema) return `schema ${exp.schema} != ${act.schema}`;
  if (exp.zeroThreshold !== act.zeroThreshold) return `zeroThreshold ${exp.zeroThreshold} != ${act.zeroThreshold}`;
  for (const k of ['count', 'sum', 'zeroCount'] as const) if (!almostEqual(exp[k], act[k])) return `${k} ${exp[k]} != ${act[k]}`;
  if (exp.customValues.join(' ') !== act.customValues.join(' ')) return `customValues ${exp.customValues} != ${act.customValues}`;
  for (const positive of [true, false]) {
    const e = populated(exp, positive);
    const a = populated(act, positive);
    const side = positive ? 'positive' : 'negative';
    if (e.size !== a.size) return `${side} buckets ${JSON.stringify([...e])} != ${JSON.stringify([...a])}`;
    for (const [i, v] of e) if (!almostEqual(v, a.get(i) ?? NaN)) return `${side} bucket ${i}: ${v} != ${a.get(i)}`;
  }
  return null;
}

test('Prometheus TestFloatHistogramTrimBucketsInPlace, non-mutating: the receiver is untouched, the result trimmed', () => {
  // Schema 0, buckets (0.5,1]:5 (1,2]:5 (2,4]:10 (4,8]:10 straddling a trim point of 4.
  const newHist = (): FloatHistogram => new FloatHistogram({ schema: 0, count: 30, sum: 100, positiveSpans: [{ offset: 0, length: 4 }], positiveBuckets: [5, 5, 10, 10] });
  const h = newHist();
  const got = h.trimBuckets(4, true);
  assert.notEqual(got, h);
  assert.deepEqual(h, newHist());
  assert.notDeepEqual(got, h);
  // The bucket entirely above the trim point (upper bound 8) is dropped; count and sum are
  // re-estimated from the kept buckets at their geometric midpoints (computeMidpoint).
  assert.deepEqual(got.positiveSpans, [{ offset: 0, length: 3 }]);
  assert.deepEqual(got.positiveBuckets, [5, 5, 10]);
  assert.equal(got.count, 20);
  assert.equal(got.sum, 5 * Math.sqrt(0.5) + 5 * Math.sqrt(2) + 10 * Math.sqrt(8));
});

interface TrimCase {
  line: number;
  expr: string;
  input: FloatHistogram;
  op: '</' | '>/';
  rhs: number;
  expected: FloatHistogram | null;
  expectedCount?: number;
}

/**
 * The trim evals of native_histograms.test whose operand is a loaded series:
 * `eval instant at 1m NAME </ X` with histogram results per series, and
 * `histogram_count(NAME </ X)` with a scalar result.
 */
function collectTrimCases(text: string): TrimCase[] {
  const lines = text.split('\n');
  let series = new Map<string, { labels: string; h: FloatHistogram }[]>();
  const out: TrimCase[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*$/, '').trimEnd();
    if (/^clear\b/.test(line)) series = new Map();
    if (/^load\s/.test(line)) {
      while (i + 1 < lines.length && /^\s+\S/.test(lines[i + 1]!)) {
        i++;
        const m = /^\s*([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\{\{[^{}]*\}\})\s*$/.exec(lines[i]!);
        if (!m) continue; // not a single-histogram series line
        const list = series.get(m[1]!) ?? [];
        list.push({ labels: m[2] ?? '{}', h: parseHistogramLiteral(m[3]!) });
        series.set(m[1]!, list);
      }
      continue;
    }
    const e = /^eval instant at 1m (?:(histogram_count)\()?([a-zA-Z_:][\w:]*) (<\/|>\/) (\S+?)\)?$/.exec(line);
    if (!e) continue;
    const [, fn, name, op, rhsText] = e;
    const inputs = series.get(name!);
    if (!inputs) continue;
    const expected: string[] = [];
    while (i + 1 < lines.length && /^\s+\S/.test(lines[i + 1]!)) expected.push(lines[++i]!.trim());
    const rhs = num(rhsText!);
    if (fn === 'histogram_count') {
      const v = /^\{\}\s+(\S+)$/.exec(expected[0] ?? '');
      assert.ok(v && inputs.length === 1, `line ${i}: unexpected histogram_count eval`);
      out.push({ line: i, expr: line, input: inputs[0]!.h, op: op as '</' | '>/', rhs, expected: null, expectedCount: Number(v[1]) });
      continue;
    }
    for (const x of expected) {
      const m = /^([a-zA-Z_:][\w:]*)?(\{[^}]*\})?\s+(\{\{.*\}\})$/.exec(x);
      assert.ok(m, `cannot read expected line ${JSON.stringify(x)}`);
      const labels = m[2] ?? '{}';
      const input = inputs.length === 1 ? inputs[0] : inputs.find((s) => s.labels === labels);
      assert.ok(input, `no input series for ${x}`);
      out.push({ line: i, expr: line, input: input.h, op: op as '</' | '>/', rhs, expected: parseHistogramLiteral(m[3]!) });
    }
  }
  return out;
}

test('native_histograms.test trim evals (Prometheus expected values) applied to trimBuckets', () => {
  const path = join(TESTDATA, 'native_histograms.test');
  assert.ok(existsSync(path), `missing ${path}: set STRATA_PROMQL_TESTDATA to Prometheus' promql/promqltest/testdata`);
  const cases = collectTrimCases(readFileSync(path, 'utf8'));
  const fails: string[] = [];
  let histCases = 0;
  let countCases = 0;
  for (const c of cases) {
    const before = snap(c.input);
    const got = c.input.trimBuckets(c.rhs, c.op === '</');
    if (snap(c.input) !== before) fails.push(`${c.expr}: input mutated`);
    if (c.expected !== null) {
      histCases++;
      const d = histDiff(c.expected, got);
      if (d !== null) fails.push(`${c.expr}: ${d}\n  got ${got.toLiteral()}\n want ${c.expected.toLiteral()}`);
    } else {
      countCases++;
      if (!almostEqual(c.expectedCount!, got.count)) fails.push(`${c.expr}: count ${got.count}, want ${c.expectedCount}`);
    }
  }
  assert.deepEqual(fails, []);
  assert.ok(histCases >= 90, `only ${histCases} histogram cases found`);
  assert.ok(countCases >= 10, `only ${countCases} histogram_count cases found`);
});

test('trimBuckets: nothing trimmed returns an uncompacted copy (Compact(0) runs only when a bucket changed)', () => {
  // The explicit empty bucket is skipped (Count == 0 -> continue) and sets no trimmed flag.
  const h = new FloatHistogram({ schema: 0, count: 3, sum: 4.2, positiveSpans: [{ offset: 0, length: 3 }], positiveBuckets: [1, 0, 2] });
  for (const [rhs, upper] of [[Infinity, true], [8, true], [-Infinity, false], [0.5, false]] as const) {
    const got = h.trimBuckets(rhs, upper);
    assert.notEqual(got, h);
    assert.deepEqual(got, h, `${rhs} ${upper}`);
    // Fresh arrays: changing the result leaves the receiver alone.
    got.positiveBuckets[0] = 99;
    assert.equal(h.positiveBuckets[0], 1);
  }
});

test('trimBuckets: custom buckets use linear interpolation; a straddled +Inf bucket is dropped by upper trim', () => {
  // Bounds (-Inf,5] (5,10] (10,+Inf]; counts 2 4 6.
  const h = new FloatHistogram({ schema: -53, customValues: [5, 10], count: 12, sum: 100, positiveSpans: [{ offset: 0, length: 3 }], positiveBuckets: [2, 4, 6] });
  // </ 7.5: first bucket kept (upper 5 <= 7.5), its midpoint with lower -Inf and upper 5 > 0 is 5/2;
  // (5,10] keeps (7.5-5)/(10-5) = 1/2 of 4 at midpoint (5+7.5)/2; (10,+Inf] is above -> 0.
  let got = h.trimBuckets(7.5, true);
  assert.deepEqual(got.positiveBuckets, [2, 2]);
  assert.equal(got.count, 4);
  assert.equal(got.sum, 2 * 2.5 + 2 * 6.25);
  // </ 20: (10,+Inf] straddles 20 and upper trim drops it whole (handleInfinityBuckets).
  got = h.trimBuckets(20, true);
  assert.deepEqual(got.positiveBuckets, [2, 4]);
  assert.equal(got.count, 6);
  assert.equal(got.sum, 2 * 2.5 + 4 * 7.5);
  // >/ 20: lower trim keeps the whole +Inf bucket when rhs >= its lower bound, at midpoint rhs.
  got = h.trimBuckets(20, false);
  assert.deepEqual(got.positiveSpans, [{ offset: 2, length: 1 }]);
  assert.deepEqual(got.positiveBuckets, [6]);
  assert.equal(got.count, 6);
  assert.equal(got.sum, 6 * 20);
  // >/ 2.5: (-Inf,5] with a positive finite upper bound is treated as [0,5]: keeps 1-2.5/5 at (2.5+5)/2.
  got = h.trimBuckets(2.5, false);
  assert.deepEqual(got.positiveBuckets, [1, 4, 6]);
  assert.equal(got.count, 11);
  assert.equal(got.sum, 1 * 3.75 + 4 * 7.5 + 6 * 10);
});

test('trimBuckets: exponential buckets interpolate on a log2 scale, negative buckets mirrored', () => {
  // Schema 0: positive (1,2]:4 (2,4]:8; negative [-2,-1):6.
  const h = new FloatHistogram({
    schema: 0, count: 18, sum: 10, positiveSpans: [{ offset: 1, length: 2 }], positiveBuckets: [4, 8],
    negativeSpans: [{ offset: 1, length: 1 }], negativeBuckets: [6],
  });
  // </ 2*sqrt(2): (2,4] keeps log2 fraction 1/2; the kept part's midpoint is sqrt(2 * 2*sqrt(2)).
  const r = 2 * Math.SQRT2;
  const near = (a: number, b: number): boolean => Math.abs(a - b) < 1e-12;
  const got = h.trimBuckets(r, true);
  assert.equal(got.positiveBuckets.length, 2);
  assert.ok(got.positiveBuckets[0] === 4 && near(got.positiveBuckets[1]!, 4), String(got.positiveBuckets));
  assert.deepEqual(got.negativeBuckets, [6]);
  assert.ok(near(got.count, 14), String(got.count));
  assert.ok(near(got.sum, 4 * Math.SQRT2 + got.positiveBuckets[1]! * Math.sqrt(2 * r) - 6 * Math.SQRT2), String(got.sum));
  // >/ -sqrt(2): the negative bucket [-2,-1) keeps the part above -sqrt(2): fraction 1/2 of 6,
  // midpoint -sqrt(sqrt(2) * 1).
  const low = h.trimBuckets(-Math.SQRT2, false);
  assert.equal(low.negativeBuckets.length, 1);
  assert.ok(near(low.negativeBuckets[0]!, 3), String(low.negativeBuckets));
  assert.deepEqual(low.positiveBuckets, [4, 8]);
  assert.ok(near(low.count, 15), String(low.count));
  assert.ok(near(low.sum, 4 * Math.SQRT2 + 8 * Math.sqrt(8) - low.negativeBuckets[0]! * Math.sqrt(Math.SQRT2)), String(low.sum));
});

test('trimBuckets: NaN trim point drops every bucket (no comparison holds)', () => {
  const h = new FloatHistogram({ schema: 0, count: 12, sum: 20, positiveSpans: [{ offset: 1, length: 2 }], positiveBuckets: [4, 8] });
  for (const upper of [true, false]) {
    const got = h.trimBuckets(NaN, upper);
    assert.equal(got.count, 0);
    assert.equal(got.sum, 0);
    assert.deepEqual(got.positiveSpans, []);
    assert.deepEqual(got.positiveBuckets, []);
  }
  // With a populated zero bucket the fraction (NaN - lower)/(upper - lower) is NaN, which
  // Prometheus writes to the zero count and thus to count and sum.
  const z = new FloatHistogram({ schema: 0, count: 13, sum: 20, zeroCount: 1, zeroThreshold: 0.001, positiveSpans: [{ offset: 1, length: 2 }], positiveBuckets: [4, 8] });
  const got = z.trimBuckets(NaN, true);
  assert.ok(Number.isNaN(got.zeroCount) && Number.isNaN(got.count) && Number.isNaN(got.sum));
});

// ---- the operators in binary.ts (Prometheus engine.go vectorElemBinop / VectorBinop / scalarBinop)

const POS = { start: 0, end: 9 };
/** Reads an annotation slot afresh (assertions narrow the field's type, the calls in between change it). */
const annoOf = (x: { err?: Annotation | null } | { lastAnno: Annotation | null }): Annotation | null => ('lastAnno' in x ? x.lastAnno : x.err ?? null);
const info = (l: string, op: string, r: string): string => `incompatible sample types encountered for binary operator "${op}": ${l} ${op} ${r}`;

test('binary.ts: histogram </ >/ float trims; every other type pairing drops the sample with the incompatible-types info', () => {
  const h = new FloatHistogram({ schema: -53, customValues: [5], count: 101, sum: 33, positiveSpans: [{ offset: 0, length: 2 }], positiveBuckets: [1, 100] });
  const before = snap(h);
  const out: HistBinopResult = { v: 0, h: undefined, keep: false, info: null, err: null };
  // native_histograms.test: cbh_two_buckets_split_at_positive >/ 2.0 and </ 2.0.
  elemBinopHist('>/', 0, 2, h, undefined, POS, out);
  assert.ok(out.keep && out.err === null && out.info === null && out.h !== undefined);
  assert.equal(histDiff(parseHistogramLiteral('{{schema:-53 sum:502.1 count:100.6 custom_values:[5] buckets:[0.6 100]}}'), out.h), null);
  elemBinopHist('</', 0, 2, h, undefined, POS, out);
  assert.ok(out.keep && out.h !== undefined);
  assert.equal(histDiff(parseHistogramLiteral('{{schema:-53 sum:0.4 count:0.4 custom_values:[5] buckets:[0.4 0]}}'), out.h), null);
  assert.equal(snap(h), before, 'operand mutated');
  for (const op of ['</', '>/'] as const) {
    elemBinopHist(op, 2, 0, undefined, h, POS, out);
    assert.ok(!out.keep && out.h === undefined && annoOf(out)?.text === info('float', op, 'histogram') && annoOf(out)?.kind === 'info');
    elemBinopHist(op, 0, 0, h, h, POS, out);
    assert.ok(!out.keep && annoOf(out)?.text === info('histogram', op, 'histogram'));
    const f: { v: number; keep: boolean; err: Annotation | null } = { v: 1, keep: true, err: null };
    elemBinop(op, 3, 2, f, POS);
    assert.ok(!f.keep && f.err?.text === info('float', op, 'float') && f.err.kind === 'info' && f.err.pos === POS);
    // Without an annotation slot the sample is still dropped (no exception).
    const g = { v: 1, keep: true };
    elemBinop(op, 3, 2, g);
    assert.equal(g.keep, false);
    // Between two scalars Prometheus' scalarBinop panics with this error.
    assert.throws(() => scalarBinop(op, 1, 2), (e: unknown) => e instanceof BinopError && e.message === `operator "${op}" not allowed for Scalar operations`);
    // Not comparisons (no bool, scalar operand never becomes the value) and the metric name stays.
    assert.ok(isTrim(op) && !isComparison(op) && !changesMetricSchema(op));
  }
});

test('binary.ts vectorBinop: histogram vector >/ on(label) float vector (native_histograms.test cbh_for_join); float pairs give the info', () => {
  const lit = (s: string): FloatHistogram => parseHistogramLiteral(s);
  const sample = (name: string, label: string, v: number, h?: FloatHistogram): ESample => ({ metric: Labels.fromObject({ __name__: name, label }), t: 60000, v, dropName: false, ...(h ? { h } : {}) });
  const lhs = [
    sample('cbh_for_join', 'a', 0, lit('{{schema:-53 sum:33 count:101 custom_values:[5] buckets:[1 100]}}')),
    sample('cbh_for_join', 'b', 0, lit('{{schema:-53 sum:66 count:202 custom_values:[5] buckets:[2 200]}}')),
    sample('cbh_for_join', 'c', 0, lit('{{schema:-53 sum:99 count:303 custom_values:[5] buckets:[3 300]}}')),
  ];
  const rhs = [sample('float_for_join', 'a', 1), sample('float_for_join', 'b', 4)];
  const m = { card: 'one-to-one' as const, matchingLabels: ['label'], on: true, include: [] };
  const st = new BinopState();
  st.reset(3);
  const out = vectorBinop('>/', lhs, rhs, m, false, [0, 1, 2], [0, 1], 60000, [], st, POS);
  assert.equal(st.lastAnno, null);
  assert.equal(out.length, 2);
  assert.deepEqual(out.map((s) => s.metric.flat), [['label', 'a'], ['label', 'b']]);
  assert.equal(histDiff(lit('{{schema:-53 count:100.8 sum:502.4 custom_values:[5] buckets:[0.8 100]}}'), out[0]!.h!), null);
  assert.equal(histDiff(lit('{{schema:-53 count:200.4 sum:1001.8 custom_values:[5] buckets:[0.4 200]}}'), out[1]!.h!), null);
  // float >/ float: no sample, the info is the step's last annotation.
  st.reset(3);
  const none = vectorBinop('</', rhs, rhs, m, false, [0, 1], [0, 1], 60000, [], st, POS);
  assert.equal(none.length, 0);
  assert.equal(annoOf(st)?.text, info('float', '</', 'float'));
});
