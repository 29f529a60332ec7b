// Range-vector functions (Prometheus promql/functions.go, float samples). Each works on a window
// [lo, hi) of a series' typed arrays (staleness markers already removed) and returns the output
// value, or null for "no output at this step". No per-call allocation except where the math needs
// a copy (quantile/mad).
import { kahan, kahanInc, linearRegression, quantile } from './math.ts';
import { Anno, goQuote, type Annotations } from '../annotations.ts';
import type { PosRange } from '../ast.ts';
import type { Labels } from '../../labels/labels.ts';

export interface RangeCallCtx {
  /** Evaluation time of the step (ms). */
  ts: number;
  /** Window bounds: (rangeStart, rangeEnd]. */
  rangeStart: number;
  rangeEnd: number;
  /** Range of the selector (ms). */
  rangeMs: number;
  /** Scalar arguments other than the range vector, in order. */
  params: number[];
  annos: Annotations;
  /** Position of the function's first argument (for annotations). */
  argPos: PosRange;
  /**
   * Start timestamps (ms, 0 = none) parallel to the window's ts/vs, or null when the series has
   * none (or they do not apply: subquery input, start timestamps disabled). Only rate, increase,
   * irate and resets read them, as in Prometheus.
   */
  sts?: Float64Array | null;
  /** Labels of the input series (for annotations naming the metric). */
  metric?: Labels;
}

/**
 * A range function over the window [lo, hi) of one series. Callers must not write to ts/vs while
 * range functions are evaluated over them (rate/increase cache per-array reset counts; see
 * resetFree).
 */
export type RangeFn = (ts: Float64Array, vs: Float64Array, lo: number, hi: number, c: RangeCallCtx) => number | null;

/**
 * Prometheus isStartTimestampReset: whether the current sample starts a new counter (a reset), judged
 * by start timestamps (0 = unknown). ST >= T (invalid, or OTel's unknown start) is no reset; an ST
 * after the previous sample is one; an ST equal to the previous sample's timestamp is a reset only
 * when the previous sample had a known, valid start of its own (a delta), not for a cumulative
 * series whose start is unknown.
 */
export function isStartTimestampReset(prevST: number, prevT: number, curST: number, curT: number): boolean {
  if (curST === 0 || curST >= curT) return false;
  if (curST < prevT) return false;
  if (curST > prevT) return true;
  if (prevST > prevT) return false;
  return prevST !== 0 && prevST !== prevT;
}

/**
 * Prometheus checkStartTimeOverlap: the current sample's ST lies before the previous sample's
 * timestamp without being the same cumulative start (valid deltas have ST = prev T).
 */
export function checkStartTimeOverlap(prevST: number, prevT: number, curST: number): boolean {
  return curST !== 0 && curST < prevT && curST !== prevST;
}

/** Warning text of Prometheus NewStartTimeOverlapWarning (without position). */
export function startTimeOverlapText(metricName: string): string {
  return `sample has start time that overlaps with previous sample timestamp for metric ${goQuote(metricName)}`;
}

// Counter-reset prefix counts of the series whose windows rate()/increase() are evaluating
// (benchmark-driven: a range query calls extrapolatedRate once per series and step, and rescanning
// every window for resets was ~30-40% of its cost for 5m windows at a 60s step). From the second
// window of the same value array on, resetPrefix[i] = number of j in 1..i with vs[j] < vs[j-1], so a
// window [lo, hi) has no reset iff resetPrefix[hi-1] === resetPrefix[lo]; such windows skip the scan
// (their result is bit-identical: the scan only adds on resets). Windows with resets are scanned
// as before, in the same order. The key is the array's identity plus windows moving forward (a
// series is evaluated step by step): the engine's per-series sample arrays are not written to
// while range functions run over them, and an array reused for another series would start again
// at a lower window start, which drops the prefix. The first window of a series scans directly,
// so instant queries (one window per series) do not pay for the prefix.
let resetVs: Float64Array | null = null;
let resetWindows = 0;
let resetLastLo = 0;
let resetPrefix = new Int32Array(256);

/** True when vs[lo, hi) certainly contains no counter reset (see above). */
function resetFree(vs: Float64Array, lo: number, hi: number): boolean {
  if (vs !== resetVs || lo < resetLastLo) {
    resetVs = vs;
    resetWindows = 1;
    resetLastLo = lo;
    return false;
  }
  resetLastLo = lo;
  if (resetWindows === 1) {
    const n = vs.length;
    if (resetPrefix.length < n) resetPrefix = new Int32Array(Math.max(n, resetPrefix.length * 2));
    const p = resetPrefix;
    let c = 0;
    let prev = n > 0 ? vs[0]! : 0;
    p[0] = 0;
    for (let i = 1; i < n; i++) {
      const cur = vs[i]!;
      if (cur < prev) c++;
      p[i] = c;
      prev = cur;
    }
  }
  resetWindows++;
  return resetPrefix[hi - 1] === resetPrefix[lo];
}

/** extrapolatedRate from Prometheus (rate/increase/delta), float samples without start timestamps. */
export function extrapolatedRate(
  ts: Float64Array, vs: Float64Array, lo: number, hi: number,
  rangeStart: number, rangeEnd: number, rangeMs: number, isCounter: boolean, isRate: boolean,
): number | null {
  const n = hi - lo;
  if (n < 2) return null;
  const numSamplesMinusOne = n - 1;
  const firstT = ts[lo]!;
  const lastT = ts[hi - 1]!;
  let resultFloat = vs[hi - 1]! - vs[lo]!;
  if (isCounter && !resetFree(vs, lo, hi)) {
    let prev = vs[lo]!;
    for (let i = lo + 1; i < hi; i++) {
      const cur = vs[i]!;
      if (cur < prev) resultFloat += prev;
      prev = cur;
    }
  }
  let durationToStart = (firstT - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / numSamplesMinusOne;
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
  if (isCounter) {
    let durationToZero = durationToStart;
    if (resultFloat > 0 && vs[lo]! >= 0) durationToZero = sampledInterval * (vs[lo]! / resultFloat);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;
  let factor = 1;
  if (sampledInterval !== 0) factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= rangeMs / 1000;
  return resultFloat * factor;
}

/**
 * extrapolatedRate for counters (rate/increase) whose samples carry start timestamps `sts`
 * (0 = none), as Prometheus does with UseStartTimestamps: resets are also detected from the
 * STs, an overlapping ST adds a warning (once per call), and a first sample whose ST lies inside
 * the range stands for a zero at its ST instead of extrapolating to the left (then a single
 * sample is enough). Kept apart from extrapolatedRate so the plain float path stays as it was.
 */
export function extrapolatedRateST(
  ts: Float64Array, vs: Float64Array, sts: Float64Array, lo: number, hi: number,
  rangeStart: number, rangeEnd: number, rangeMs: number, isRate: boolean, c: RangeCallCtx,
): number | null {
  const n = hi - lo;
  if (n < 1) return null;
  const numSamplesMinusOne = n - 1;
  const firstT = ts[lo]!;
  const lastT = ts[hi - 1]!;
  let resultFloat = vs[hi - 1]! - vs[lo]!;
  let overlapDetected = false;
  for (let i = lo + 1; i < hi; i++) {
    const prev = vs[i - 1]!;
    if (!overlapDetected && checkStartTimeOverlap(sts[i - 1]!, ts[i - 1]!, sts[i]!)) {
      overlapDetected = true;
      c.annos.add({ kind: 'warning', text: startTimeOverlapText(c.metric?.get('__name__') ?? ''), pos: c.argPos });
    }
    if (vs[i]! < prev || isStartTimestampReset(sts[i - 1]!, ts[i - 1]!, sts[i]!, ts[i]!)) resultFloat += prev;
  }
  let durationToStart = (firstT - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - lastT) / 1000;
  let sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = numSamplesMinusOne > 0 ? sampledInterval / numSamplesMinusOne : 0;
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  const st0 = sts[lo]!;
  if (st0 !== 0 && st0 > rangeStart && st0 < firstT) {
    // Assume a zero-value sample at the first sample's ST (inside the range; rangeStart itself is
    // outside) instead of extrapolating to the left. With a single sample there is no average
    // spacing, so there is no extrapolation to the right either (threshold 0).
    durationToStart = 0;
    sampledInterval = (lastT - st0) / 1000;
    resultFloat += vs[lo]!;
  } else if (numSamplesMinusOne === 0) {
    return null;
  } else {
    if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
    let durationToZero = durationToStart;
    if (resultFloat > 0 && vs[lo]! >= 0) durationToZero = sampledInterval * (vs[lo]! / resultFloat);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;
  let factor = 1;
  if (sampledInterval !== 0) factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= rangeMs / 1000;
  return resultFloat * factor;
}

/** irate/idelta (instantValue); irate also sees a reset in the start timestamps (`sts`). */
export function instantValue(ts: Float64Array, vs: Float64Array, lo: number, hi: number, isRate: boolean, sts: Float64Array | null = null): number | null {
  if (hi - lo < 2) return null;
  const t0 = ts[hi - 2]!;
  const t1 = ts[hi - 1]!;
  const v0 = vs[hi - 2]!;
  const v1 = vs[hi - 1]!;
  const sampledInterval = t1 - t0;
  if (sampledInterval === 0) return null;
  let r = v1;
  if (!isRate || !(v1 < v0 || (sts !== null && isStartTimestampReset(sts[hi - 2]!, t0, sts[hi - 1]!, t1)))) r = v1 - v0;
  if (isRate) r /= sampledInterval / 1000;
  return r;
}

function avgOverTime(_ts: Float64Array, vs: Float64Array, lo: number, hi: number): number | null {
  if (hi <= lo) return null;
  let sum = vs[lo]!;
  let count = 1;
  let mean = 0;
  let kahanC = 0;
  let incrementalMean = false;
  for (let i = lo + 1; i < hi; i++) {
    const f = vs[i]!;
    count = i - lo + 1;
    if (!incrementalMean) {
      const newSum = kahanInc(f, sum, kahanC);
      const newC = kahan.c;
      if (newSum !== Infinity && newSum !== -Infinity) {
        sum = newSum;
        kahanC = newC;
        continue;
      }
      incrementalMean = true;
      mean = sum / (count - 1);
      kahanC /= count - 1;
    }
    const q = (count - 1) / count;
    mean = kahanInc(f / count, q * mean, q * kahanC);
    kahanC = kahan.c;
  }
  if (incrementalMean) return mean + kahanC;
  return sum / count + kahanC / count;
}

function sumOverTime(_ts: Float64Array, vs: Float64Array, lo: number, hi: number): number | null {
  if (hi <= lo) return null;
  let sum = 0;
  let c = 0;
  for (let i = lo; i < hi; i++) {
    sum = kahanInc(vs[i]!, sum, c);
    c = kahan.c;
  }
  if (sum === Infinity || sum === -Infinity) return sum;
  return sum + c;
}

function compareOverTime(ts: Float64Array, vs: Float64Array, lo: number, hi: number, mode: 'max' | 'min' | 'tsmax' | 'tsmin'): number | null {
  if (hi <= lo) return null;
  let m = vs[lo]!;
  let tm = ts[lo]!;
  for (let i = lo; i < hi; i++) {
    const f = vs[i]!;
    let better: boolean;
    switch (mode) {
      case 'max': better = f > m || m !== m; break;
      case 'min': better = f < m || m !== m; break;
      case 'tsmax': better = f >= m || m !== m; break;
      default: better = f <= m || m !== m; break;
    }
    if (better) {
      m = f;
      tm = ts[i]!;
    }
  }
  return mode === 'max' || mode === 'min' ? m : tm / 1000;
}

function variance(vs: Float64Array, lo: number, hi: number): number {
  let count = 0;
  let mean = 0, cMean = 0, aux = 0, cAux = 0;
  for (let i = lo; i < hi; i++) {
    const f = vs[i]!;
    count++;
    const delta = f - (mean + cMean);
    mean = kahanInc(delta / count, mean, cMean);
    cMean = kahan.c;
    aux = kahanInc(delta * (f - (mean + cMean)), aux, cAux);
    cAux = kahan.c;
  }
  return (aux + cAux) / count;
}

function calcTrendValue(i: number, tf: number, s0: number, s1: number, b: number): number {
  if (i === 0) return b;
  return tf * (s1 - s0) + (1 - tf) * b;
}

/** resets() over [first, hi): value drops, and start-timestamp resets when `sts` is given. */
export function countResets(ts: Float64Array, vs: Float64Array, first: number, hi: number, sts: Float64Array | null | undefined): number {
  let resets = 0;
  if (!sts) {
    let prev = vs[first]!;
    for (let i = first + 1; i < hi; i++) {
      const cur = vs[i]!;
      if (cur < prev) resets++;
      prev = cur;
    }
    return resets;
  }
  for (let i = first + 1; i < hi; i++) {
    if (vs[i]! < vs[i - 1]! || isStartTimestampReset(sts[i - 1]!, ts[i - 1]!, sts[i]!, ts[i]!)) resets++;
  }
  return resets;
}

export class FunctionError extends Error {}

/** The float range functions by name (rate & co. are handled here too). */
export const RANGE_FUNCTIONS: Record<string, RangeFn> = {
  rate: (ts, vs, lo, hi, c) =>
    c.sts ? extrapolatedRateST(ts, vs, c.sts, lo, hi, c.rangeStart, c.rangeEnd, c.rangeMs, true, c)
    : extrapolatedRate(ts, vs, lo, hi, c.rangeStart, c.rangeEnd, c.rangeMs, true, true),
  increase: (ts, vs, lo, hi, c) =>
    c.sts ? extrapolatedRateST(ts, vs, c.sts, lo, hi, c.rangeStart, c.rangeEnd, c.rangeMs, false, c)
    : extrapolatedRate(ts, vs, lo, hi, c.rangeStart, c.rangeEnd, c.rangeMs, true, false),
  delta: (ts, vs, lo, hi, c) => extrapolatedRate(ts, vs, lo, hi, c.rangeStart, c.rangeEnd, c.rangeMs, false, false),
  irate: (ts, vs, lo, hi, c) => instantValue(ts, vs, lo, hi, true, c.sts ?? null),
  idelta: (ts, vs, lo, hi) => instantValue(ts, vs, lo, hi, false),
  avg_over_time: avgOverTime,
  sum_over_time: sumOverTime,
  count_over_time: (_ts, _vs, lo, hi) => (hi > lo ? hi - lo : null),
  max_over_time: (ts, vs, lo, hi) => compareOverTime(ts, vs, lo, hi, 'max'),
  min_over_time: (ts, vs, lo, hi) => compareOverTime(ts, vs, lo, hi, 'min'),
  ts_of_max_over_time: (ts, vs, lo, hi) => compareOverTime(ts, vs, lo, hi, 'tsmax'),
  ts_of_min_over_time: (ts, vs, lo, hi) => compareOverTime(ts, vs, lo, hi, 'tsmin'),
  last_over_time: (_ts, vs, lo, hi) => (hi > lo ? vs[hi - 1]! : null),
  first_over_time: (_ts, vs, lo, hi) => (hi > lo ? vs[lo]! : null),
  ts_of_last_over_time: (ts, _vs, lo, hi) => (hi > lo ? ts[hi - 1]! / 1000 : null),
  ts_of_first_over_time: (ts, _vs, lo, hi) => (hi > lo ? ts[lo]! / 1000 : null),
  present_over_time: (_ts, _vs, lo, hi) => (hi > lo ? 1 : null),
  absent_over_time: () => 1, // handled specially by the engine
  stddev_over_time: (_ts, vs, lo, hi) => (hi > lo ? Math.sqrt(variance(vs, lo, hi)) : null),
  stdvar_over_time: (_ts, vs, lo, hi) => (hi > lo ? variance(vs, lo, hi) : null),
  quantile_over_time: (_ts, vs, lo, hi, c) => {
    if (hi <= lo) return null;
    const q = c.params[0]!;
    if (Number.isNaN(q) || q < 0 || q > 1) c.annos.add(Anno.invalidQuantile(q, c.argPos));
    const values: number[] = new Array(hi - lo);
    for (let i = lo; i < hi; i++) values[i - lo] = vs[i]!;
    return quantile(q, values);
  },
  mad_over_time: (_ts, vs, lo, hi) => {
    if (hi <= lo) return null;
    const values: number[] = new Array(hi - lo);
    for (let i = lo; i < hi; i++) {
      if (Number.isNaN(vs[i]!)) return NaN;
      values[i - lo] = vs[i]!;
    }
    const median = quantile(0.5, values);
    for (let i = 0; i < values.length; i++) values[i] = Math.abs(values[i]! - median);
    return quantile(0.5, values);
  },
  changes: (_ts, vs, lo, hi) => {
    if (hi <= lo) return null;
    let changes = 0;
    let prev = vs[lo]!;
    for (let i = lo + 1; i < hi; i++) {
      const cur = vs[i]!;
      if (cur !== prev && !(cur !== cur && prev !== prev)) changes++;
      prev = cur;
    }
    return changes;
  },
  resets: (ts, vs, lo, hi, c) => (hi <= lo ? null : countResets(ts, vs, lo, hi, c.sts)),
  deriv: (ts, vs, lo, hi) => {
    if (hi - lo < 2) return null;
    return linearRegression(ts, vs, lo, hi, ts[lo]!)[0];
  },
  predict_linear: (ts, vs, lo, hi, c) => {
    if (hi - lo < 2) return null;
    const duration = c.params[0]!;
    const [slope, intercept] = linearRegression(ts, vs, lo, hi, c.ts);
    return slope * duration + intercept;
  },
  double_exponential_smoothing: (_ts, vs, lo, hi, c) => {
    const sf = c.params[0]!;
    const tf = c.params[1]!;
    if (sf <= 0 || sf >= 1 || Number.isNaN(sf)) throw new FunctionError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${goF(sf)}`);
    if (tf <= 0 || tf >= 1 || Number.isNaN(tf)) throw new FunctionError(`invalid trend factor. Expected: 0 < tf < 1, got: ${goF(tf)}`);
    const l = hi - lo;
    if (l < 2) return null;
    let s0 = 0;
    let s1 = vs[lo]!;
    let b = vs[lo + 1]! - vs[lo]!;
    for (let i = 1; i < l; i++) {
      const x = sf * vs[lo + i]!;
      b = calcTrendValue(i - 1, tf, s0, s1, b);
      const y = (1 - sf) * (s1 + b);
      s0 = s1;
      s1 = x + y;
    }
    return s1;
  },
};

/** Go %f (6 decimals). */
function goF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return v.toFixed(6);
}
