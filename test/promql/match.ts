// Result matching of the PromQL test-script runner, replicating promql/promqltest/test.go
// (compareResult, checkAnnotations, checkExpectedFailure) and util/almost.Equal.
import { Labels } from '../../src/labels/labels.ts';
import { isStaleNaN } from '../../src/tsdb/stale.ts';
import type { Value, VectorValue, Sample } from '../../src/promql/value.ts';
import { FloatHistogram, customBucketBoundsMatch } from '../../src/promql/histogram/index.ts';
import { toFloatHistogram } from '../../src/promql/eval-types.ts';
import type { FloatHistogramSample, HistogramSpan } from '../../src/storage/interfaces.ts';
import { isOrdered, type EvalCmd, type ExpectMatch, type SequenceValue } from './script.ts';

const MIN_NORMAL = 2.2250738585072014e-308;
export const DEFAULT_EPSILON = 0.000001;

/** util/almost.Equal. */
export function almostEqual(a: number, b: number, epsilon = DEFAULT_EPSILON): boolean {
  const sa = isStaleNaN(a);
  const sb = isStaleNaN(b);
  if (sa || sb) return sa && sb;
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

export class MatchError extends Error {
  override name = 'MatchError';
}

/** Go's %v of a float64 (strconv 'g' shortest), enough for messages. */
function fmt(v: number): string {
  if (isStaleNaN(v)) return 'NaN(stale)';
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function fmtVals(vals: SequenceValue[]): string {
  return '[' + vals.map((v) => (v.omitted ? '_' : v.histogram ? '{{histogram}}' : fmt(v.value))).join(' ') + ']';
}

function fmtSeries(ts: number[], vs: number[]): string {
  return ts.map((t, i) => `${fmt(vs[i]!)} @[${t}]`).join(', ');
}

function bucketsMatch(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => almostEqual(x, b[i]!));
}

/** spansMatch: equal after ignoring empty spans (offsets of empty spans carry over). */
function spansMatch(a: readonly HistogramSpan[], b: readonly HistogramSpan[]): boolean {
  const norm = (s: readonly HistogramSpan[]): [number, number][] => {
    const out: [number, number][] = [];
    let carry = 0;
    for (const sp of s) {
      if (sp.length === 0) {
        carry += sp.offset;
        continue;
      }
      const last = out[out.length - 1];
      if (last && sp.offset + carry === 0) last[1] += sp.length;
      else out.push([sp.offset + carry, sp.length]);
      carry = 0;
    }
    return out;
  };
  const x = norm(a);
  const y = norm(b);
  return x.length === y.length && x.every((p, i) => p[0] === y[i]![0] && p[1] === y[i]![1]);
}

/** compareNativeHistogram (promqltest): both compacted, floats compared with almost.Equal. */
export function histogramsMatch(expected: FloatHistogramSample, actual: FloatHistogram, hintSet: boolean): boolean {
  const e = toFloatHistogram(expected).compact(0);
  const a = actual.compact(0);
  if (e.schema !== a.schema || !almostEqual(e.count, a.count) || !almostEqual(e.sum, a.sum)) return false;
  if (e.usesCustomBuckets() && !customBucketBoundsMatch(e.customValues, a.customValues)) return false;
  if (e.zeroThreshold !== a.zeroThreshold || !almostEqual(e.zeroCount, a.zeroCount)) return false;
  if (!spansMatch(e.negativeSpans, a.negativeSpans) || !bucketsMatch(e.negativeBuckets, a.negativeBuckets)) return false;
  if (!spansMatch(e.positiveSpans, a.positiveSpans) || !bucketsMatch(e.positiveBuckets, a.positiveBuckets)) return false;
  return !hintSet || e.counterResetHint === a.counterResetHint;
}

function lit(h: FloatHistogramSample): string {
  try {
    return toFloatHistogram(h).toLiteral();
  } catch {
    return toFloatHistogram(h).string();
  }
}

/** Throws MatchError unless `m` is sorted by labels (assertMatrixSorted). */
export function assertMatrixSorted(series: { metric: Labels }[]): void {
  for (let i = 0; i + 1 < series.length; i++) {
    if (Labels.compare(series[i]!.metric, series[i + 1]!.metric) > 0) {
      throw new MatchError(
        `matrix results should always be sorted by labels, but matrix is not sorted: series at index ${i + 1} with labels ${series[i + 1]!.metric.toString()} sorts before series at index ${i} with labels ${series[i]!.metric.toString()}`,
      );
    }
  }
}

/** compareResult: throws MatchError describing the first mismatch. */
export function compareResult(ev: EvalCmd, val: Value): void {
  switch (val.resultType) {
    case 'matrix': {
      if (isOrdered(ev)) throw new MatchError('expected ordered result, but query returned a matrix');
      if (ev.expectScalar) throw new MatchError(`expected scalar result, but got matrix with ${val.series.length} series`);
      assertMatrixSorted(val.series);
      const seen = new Set<string>();
      for (const s of val.series) {
        const exp = ev.expected.get(s.metric.key);
        if (!exp) throw new MatchError(`unexpected metric ${s.metric.toString()} in result, has ${fmtSeries(s.ts, s.vs)}`);
        seen.add(s.metric.key);
        const expT: number[] = [];
        const expV: number[] = [];
        const expHT: number[] = [];
        const expHV: SequenceValue[] = [];
        for (let i = 0; i < exp.values.length; i++) {
          const t = ev.start + i * ev.step;
          if (t > ev.end) {
            throw new MatchError(`expected ${exp.values.length} points for ${exp.labels.toString()}, but query time range cannot return this many points`);
          }
          const e = exp.values[i]!;
          if (e.histogram) {
            expHT.push(t);
            expHV.push(e);
          } else if (!e.omitted) {
            expT.push(t);
            expV.push(e.value);
          }
        }
        const hts = s.hts ?? [];
        const hvs = s.hvs ?? [];
        if (expT.length !== s.ts.length || expHT.length !== hts.length) {
          throw new MatchError(
            `expected ${expT.length} float points and ${expHT.length} histogram points for ${exp.labels.toString()}, but got ${s.ts.length} float points ${fmtSeries(s.ts, s.vs)} and ${hts.length} histogram points`,
          );
        }
        for (let i = 0; i < expHT.length; i++) {
          if (expHT[i] !== hts[i]) throw new MatchError(`expected histogram value at index ${i} for ${exp.labels.toString()} to have timestamp ${expHT[i]}, but it had timestamp ${hts[i]}`);
          const e = expHV[i]!;
          if (!histogramsMatch(e.histogram!, hvs[i]!, !!e.counterResetHintSet)) {
            throw new MatchError(`expected histogram value at index ${i} (t=${hts[i]}) for ${exp.labels.toString()} to be ${lit(e.histogram!)}, but got ${lit(hvs[i]!)}`);
          }
        }
        for (let i = 0; i < expT.length; i++) {
          if (expT[i] !== s.ts[i]) {
            throw new MatchError(`expected float value at index ${i} for ${exp.labels.toString()} to have timestamp ${expT[i]}, but it had timestamp ${s.ts[i]} (result has ${fmtSeries(s.ts, s.vs)})`);
          }
          if (!almostEqual(s.vs[i]!, expV[i]!)) {
            throw new MatchError(`expected float value at index ${i} (t=${s.ts[i]}) for ${exp.labels.toString()} to be ${fmt(expV[i]!)}, but got ${fmt(s.vs[i]!)} (result has ${fmtSeries(s.ts, s.vs)})`);
          }
        }
      }
      for (const [k, e] of ev.expected) if (!seen.has(k)) throw new MatchError(`expected metric ${e.labels.toString()} not found`);
      return;
    }
    case 'vector': {
      if (ev.expectScalar) throw new MatchError(`expected scalar result, but got vector ${fmtVector(val)}`);
      const seen = new Set<string>();
      val.samples.forEach((smp, pos) => {
        const exp = ev.expected.get(smp.metric.key);
        if (!exp) throw new MatchError(`unexpected metric ${smp.metric.toString()} in result, has value ${smp.h ? lit(smp.h) : fmt(smp.v)}`);
        if (isOrdered(ev) && exp.pos !== pos + 1) {
          throw new MatchError(`expected metric ${smp.metric.toString()} with ${fmtVals(exp.values)} at position ${exp.pos} but was at ${pos + 1}`);
        }
        const exp0 = exp.values[0];
        if (!exp0) throw new MatchError(`no expected value for ${smp.metric.toString()}`);
        if (!exp0.histogram && smp.h) throw new MatchError(`expected float value ${fmt(exp0.value)} for ${smp.metric.toString()} but got histogram ${lit(smp.h)}`);
        if (exp0.histogram && !smp.h) throw new MatchError(`expected histogram ${lit(exp0.histogram)} for ${smp.metric.toString()} but got float value ${fmt(smp.v)}`);
        if (exp0.histogram && smp.h && !histogramsMatch(exp0.histogram, smp.h, !!exp0.counterResetHintSet)) {
          throw new MatchError(`expected ${lit(exp0.histogram)} for ${smp.metric.toString()} but got ${lit(smp.h)}`);
        }
        if (!almostEqual(exp0.value, smp.v)) throw new MatchError(`expected ${fmt(exp0.value)} for ${smp.metric.toString()} but got ${fmt(smp.v)}`);
        seen.add(smp.metric.key);
      });
      for (const [k, e] of ev.expected) {
        if (!seen.has(k)) throw new MatchError(`expected metric ${e.labels.toString()} with ${fmtVals(e.values)} not found`);
      }
      return;
    }
    case 'scalar': {
      if (!ev.expectScalar) throw new MatchError(`expected vector or matrix result, but got scalar ${fmt(val.v)}`);
      const exp0 = ev.expected.get('')!.values[0]!;
      if (exp0.histogram) throw new MatchError(`expected histogram but got scalar ${fmt(val.v)}`);
      if (!almostEqual(exp0.value, val.v)) throw new MatchError(`expected scalar ${fmt(exp0.value)} but got ${fmt(val.v)}`);
      return;
    }
    case 'string': {
      const want = ev.expectedString ?? '';
      if (want !== val.v) throw new MatchError(`expected string "${want}" but got "${val.v}"`);
      return;
    }
  }
}

function fmtVector(v: VectorValue): string {
  return v.samples.map((s) => `${s.metric.toString()} => ${fmt(s.v)}`).join(', ');
}

function checkMatch(e: ExpectMatch, s: string): boolean {
  if (e.regex) {
    e.regex.lastIndex = 0;
    return e.regex.test(s);
  }
  return e.message === s;
}

function describe(e: ExpectMatch): string {
  return e.regex ? `pattern ${JSON.stringify(e.regex.source)}` : `message ${JSON.stringify(e.message)}`;
}

function validateOfType(expr: string, expected: ExpectMatch[], actual: string[], kind: string): void {
  if (expected.length === 0) return;
  if (actual.length === 0) throw new MatchError(`expected ${kind} annotations but none were found for query ${JSON.stringify(expr)}`);
  for (const e of expected) {
    if (!actual.some((a) => checkMatch(e, a))) {
      throw new MatchError(`expected ${kind} annotation matching ${describe(e)} but no matching annotation was found for query ${JSON.stringify(expr)}, found: ${JSON.stringify(actual)}`);
    }
  }
  for (const a of actual) {
    if (!expected.some((e) => checkMatch(e, a))) throw new MatchError(`unexpected ${kind} annotation ${JSON.stringify(a)} found for query ${expr}`);
  }
}

/** checkAnnotations. */
export function checkAnnotations(ev: EvalCmd, expr: string, warnings: string[], infos: string[]): void {
  if (ev.warn && warnings.length === 0) throw new MatchError(`expected warnings evaluating query ${JSON.stringify(expr)} but got none`);
  if (ev.info && infos.length === 0) throw new MatchError(`expected info annotations evaluating query ${JSON.stringify(expr)} but got none`);
  validateOfType(expr, ev.expectWarn, warnings, 'warn');
  validateOfType(expr, ev.expectInfo, infos, 'info');
  if (ev.noWarn && warnings.length > 0) throw new MatchError(`unexpected warning annotations evaluating query ${JSON.stringify(expr)}: ${JSON.stringify(warnings)}`);
  if (ev.noInfo && infos.length > 0) throw new MatchError(`unexpected info annotations evaluating query ${JSON.stringify(expr)}: ${JSON.stringify(infos)}`);
}

/** checkExpectedFailure: throws unless the error text matches the eval's expectations. */
export function checkExpectedFailure(ev: EvalCmd, message: string): void {
  if (ev.expectedFailMessage !== undefined && ev.expectedFailMessage !== '' && ev.expectedFailMessage !== message) {
    throw new MatchError(`expected error ${JSON.stringify(ev.expectedFailMessage)} evaluating query ${JSON.stringify(ev.expr)}, but got: ${message}`);
  }
  if (ev.expectedFailRegexp && !checkMatch({ regex: ev.expectedFailRegexp }, message)) {
    throw new MatchError(`expected error matching pattern ${JSON.stringify(ev.expectedFailRegexp.source)} evaluating query ${JSON.stringify(ev.expr)}, but got: ${message}`);
  }
  const f = ev.expectFail[0];
  if (f && !checkMatch(f, message)) {
    throw new MatchError(`expected error matching ${describe(f)} evaluating query ${JSON.stringify(ev.expr)}, but got: ${message}`);
  }
}

/** The range-mode check: the points of a range result at time t, as an instant vector. */
export function middleStep(val: Value, t: number): VectorValue {
  if (val.resultType !== 'matrix') throw new MatchError(`range query returned ${val.resultType}, not a matrix`);
  assertMatrixSorted(val.series);
  const samples: Sample[] = [];
  for (const s of val.series) {
    const i = s.ts.indexOf(t);
    if (i >= 0) samples.push({ metric: s.metric, t, v: s.vs[i]! });
    const j = s.hts ? s.hts.indexOf(t) : -1;
    if (j >= 0) samples.push({ metric: s.metric, t, v: 0, h: s.hvs![j]! });
  }
  return { resultType: 'vector', samples };
}
