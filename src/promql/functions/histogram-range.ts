// Range-vector functions over windows that hold native histogram samples (Prometheus
// promql/functions.go: extrapolatedRate + histogramRate, extendedHistogramRate, instantValue,
// funcResets/funcChanges, aggrHistOverTime for sum/avg_over_time, and the float functions that
// ignore histograms). Pure: the engine builds the window, this file does the per-window math.
// Inputs are never mutated; every histogram returned is a fresh object.
//
// Float-only windows stay with RANGE_FUNCTIONS (range.ts). For mixed windows the float part is
// computed by the very same RANGE_FUNCTIONS entry, so float results are identical either way.
import { FloatHistogram, HistogramError } from '../histogram/index.ts';
import { Anno, goQuote } from '../annotations.ts';
import type { Annotation, Annotations } from '../annotations.ts';
import type { PosRange } from '../ast.ts';
import {
  RANGE_FUNCTIONS,
  checkStartTimeOverlap,
  isStartTimestampReset,
  startTimeOverlapText,
} from './range.ts';
import type { RangeCallCtx } from './range.ts';
import { searchIdx } from './math.ts';

export interface HistWindow {
  /** Floats in the window: ts/vs[flo, fhi) (stale markers already removed). */
  fts: Float64Array;
  fvs: Float64Array;
  flo: number;
  fhi: number;
  /** Histograms in the window: hts/hvs[hlo, hhi) (at least one; stale histograms removed). */
  hts: Float64Array;
  hvs: readonly FloatHistogram[];
  hlo: number;
  hhi: number;
  /**
   * Optional (additive to the brief's contract): start timestamps (ms, 0 = none) parallel to
   * fts / hts, indexed like them. Pass them only where Prometheus does (rate, increase, irate,
   * resets with start timestamps enabled); absent or null = no start timestamps.
   */
  fsts?: Float64Array | null;
  hsts?: Float64Array | null;
}

export interface HistRangeCtx {
  /** Evaluation time of the step (ms); the window is (rangeStart, rangeEnd]. */
  ts: number;
  rangeStart: number;
  rangeEnd: number;
  rangeMs: number;
  /** Scalar args other than the range vector (e.g. quantile_over_time's q). */
  params: number[];
  annos: Annotations;
  /**
   * Prometheus args[0].PositionRange(): the range-vector argument, except for quantile_over_time
   * whose args[0] is the quantile (Prometheus reports its annotations there, as the float path does).
   */
  argPos: PosRange;
  /** __name__ of the series ('' if none), for annotations. */
  metricName: string;
  /**
   * Extended range selectors. With `anchored` the window must hold the samples in
   * (rangeStart − lookback, rangeEnd]; with `smoothed` those in (rangeStart − lookback,
   * rangeEnd + lookback] — what Prometheus' matrixIterSlice hands these functions (the same
   * extended window the engine's float extendedCall uses).
   */
  anchored: boolean;
  smoothed: boolean;
}

/** null = no output at this step. */
export type HistRangeResult = { f: number } | { h: FloatHistogram } | null;

/** Every Prometheus range-vector function (a matrix argument), all handled here. */
export const HISTOGRAM_RANGE_FUNCTIONS: ReadonlySet<string> = new Set([
  'absent_over_time', 'avg_over_time', 'changes', 'count_over_time', 'delta', 'deriv',
  'double_exponential_smoothing', 'first_over_time', 'idelta', 'increase', 'irate',
  'last_over_time', 'mad_over_time', 'max_over_time', 'min_over_time', 'predict_linear',
  'present_over_time', 'quantile_over_time', 'rate', 'resets', 'stddev_over_time',
  'stdvar_over_time', 'sum_over_time', 'ts_of_first_over_time', 'ts_of_last_over_time',
  'ts_of_max_over_time', 'ts_of_min_over_time',
]);

/** Float functions that ignore histograms (info when floats remain, no output otherwise). */
const FLOAT_ONLY_AGG = new Set([
  'max_over_time', 'min_over_time', 'ts_of_max_over_time', 'ts_of_min_over_time',
  'stddev_over_time', 'stdvar_over_time', 'quantile_over_time', 'mad_over_time',
]);

/** Float functions needing two floats (histograms ignored, info when a float is there). */
const FLOAT_ONLY_TREND = new Set(['deriv', 'predict_linear', 'double_exponential_smoothing']);

/**
 * Every range function of Prometheus 3 for a window that holds ≥ 1 histogram sample.
 * May throw FunctionError (from range.ts) for double_exponential_smoothing's invalid factors,
 * exactly as the float path does.
 */
export function histogramRangeFn(name: string, w: HistWindow, c: HistRangeCtx): HistRangeResult {
  const nf = w.fhi - w.flo;
  const nh = w.hhi - w.hlo;
  if (nh <= 0) throw new Error('histogramRangeFn: window holds no histogram sample');
  switch (name) {
    case 'rate':
      return rateLike(w, c, true, true);
    case 'increase':
      return rateLike(w, c, true, false);
    case 'delta':
      return rateLike(w, c, false, false);
    case 'irate':
      return instantValue(w, c, true);
    case 'idelta':
      return instantValue(w, c, false);
    case 'resets':
      return resetsOrChanges(w, c, true);
    case 'changes':
      return resetsOrChanges(w, c, false);
    case 'sum_over_time':
    case 'avg_over_time': {
      if (nf > 0) {
        c.annos.add(Anno.mixedFloatsHistograms(c.metricName, c.argPos));
        return null;
      }
      return name === 'sum_over_time' ? sumOverTime(w, c) : avgOverTime(w, c);
    }
    case 'count_over_time':
      return { f: nf + nh };
    case 'present_over_time':
    case 'absent_over_time':
      return { f: 1 };
    case 'last_over_time': {
      const h = w.hvs[w.hhi - 1]!;
      if (nf > 0 && w.hts[w.hhi - 1]! < w.fts[w.fhi - 1]!) return { f: w.fvs[w.fhi - 1]! };
      return { h: h.copy() };
    }
    case 'first_over_time': {
      const h = w.hvs[w.hlo]!;
      if (nf > 0 && w.fts[w.flo]! < w.hts[w.hlo]!) return { f: w.fvs[w.flo]! };
      return { h: h.copy() };
    }
    case 'ts_of_last_over_time': {
      const tf = nf > 0 ? w.fts[w.fhi - 1]! : 0;
      return { f: Math.max(tf, w.hts[w.hhi - 1]!) / 1000 };
    }
    case 'ts_of_first_over_time': {
      const th = w.hts[w.hlo]!;
      return { f: (nf > 0 ? Math.min(w.fts[w.flo]!, th) : th) / 1000 };
    }
  }
  if (FLOAT_ONLY_AGG.has(name)) {
    if (nf === 0) return null;
    c.annos.add(Anno.histogramIgnoredInMixedRange(c.metricName, c.argPos));
    return floatResult(name, w, c);
  }
  if (FLOAT_ONLY_TREND.has(name)) {
    // double_exponential_smoothing validates its factors before anything else (an error even
    // without floats); the float implementation does the same and returns null below 2 floats.
    const r = name === 'double_exponential_smoothing' || nf >= 2 ? floatResult(name, w, c) : null;
    if (nf >= 1) c.annos.add(Anno.histogramIgnoredInMixedRange(c.metricName, c.argPos));
    return r;
  }
  throw new Error(`histogramRangeFn: unknown range function ${JSON.stringify(name)}`);
}

function floatResult(name: string, w: HistWindow, c: HistRangeCtx): HistRangeResult {
  const fn = RANGE_FUNCTIONS[name]!;
  const rc: RangeCallCtx = {
    ts: c.ts, rangeStart: c.rangeStart, rangeEnd: c.rangeEnd, rangeMs: c.rangeMs,
    params: c.params, annos: c.annos, argPos: c.argPos, sts: null,
  };
  const r = fn(w.fts, w.fvs, w.flo, w.fhi, rc);
  return r === null ? null : { f: r };
}

// ---- histogram arithmetic with Prometheus' error → annotation translation ----

/** Thrown internally when exponential and custom buckets meet; the caller turns it into a warning. */
function isIncompatibleSchema(err: unknown): boolean {
  return err instanceof HistogramError && err.kind === 'incompatible-schema';
}

/** Pending annotations of one call: Prometheus sometimes discards them on error paths. */
type Pending = Annotation[];

/** What the annotation helpers need of the context. */
type AnnoCtx = Pick<HistRangeCtx, 'annos' | 'argPos' | 'metricName'>;

function flush(c: AnnoCtx, p: Pending): void {
  for (const a of p) c.annos.add(a);
}

/** a + b (or a − b with `sub`), or null on a schema mix (warning added to p). */
function combineH(a: FloatHistogram, b: FloatHistogram, p: Pending, c: AnnoCtx, sub: boolean): FloatHistogram | null {
  try {
    const r = sub ? a.sub(b) : a.add(b);
    if (r.nhcbBoundsReconciled) p.push(Anno.mismatchedCustomBuckets(sub ? 'subtraction' : 'addition', c.argPos));
    return r.h;
  } catch (err) {
    if (isIncompatibleSchema(err)) {
      p.push(Anno.mixedExponentialCustomHistograms(c.metricName, c.argPos));
      return null;
    }
    throw err;
  }
}

function addH(a: FloatHistogram, b: FloatHistogram, p: Pending, c: AnnoCtx): FloatHistogram | null {
  return combineH(a, b, p, c, false);
}

function subH(a: FloatHistogram, b: FloatHistogram, p: Pending, c: AnnoCtx): FloatHistogram | null {
  return combineH(a, b, p, c, true);
}

function withHint(h: FloatHistogram, hint: FloatHistogram['counterResetHint']): FloatHistogram {
  h.counterResetHint = hint; // h is always a fresh result here, never an input
  return h;
}

// ---- rate / increase / delta ----

function rateLike(w: HistWindow, c: HistRangeCtx, isCounter: boolean, isRate: boolean): HistRangeResult {
  const nf = w.fhi - w.flo;
  if (nf > 0) {
    // Drop this element: a rate window mixing floats and histograms.
    c.annos.add(Anno.mixedFloatsHistograms(c.metricName, c.argPos));
    return null;
  }
  if (c.anchored || c.smoothed) return extendedHistogramRate(w, c, isCounter, isRate);
  const lo = w.hlo;
  const hi = w.hhi;
  const n = hi - lo;
  const numSamplesMinusOne = n - 1;
  const firstT = w.hts[lo]!;
  const lastT = w.hts[hi - 1]!;
  const sts = w.hsts ?? null;
  const p: Pending = [];
  let result: FloatHistogram | null = null;
  if (n > 1) {
    result = histogramRate(w, sts, isCounter, p, c);
    if (result === null) {
      flush(c, p);
      return null;
    }
  }
  let durationToStart = (firstT - c.rangeStart) / 1000;
  let durationToEnd = (c.rangeEnd - lastT) / 1000;
  let sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = numSamplesMinusOne > 0 ? sampledInterval / numSamplesMinusOne : 0;
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  const st0 = sts !== null ? sts[lo]! : 0;
  if (isCounter && sts !== null && st0 !== 0 && st0 > c.rangeStart && st0 < firstT) {
    // A zero-value sample at the first sample's start timestamp instead of extrapolating left.
    durationToStart = 0;
    sampledInterval = (lastT - st0) / 1000;
    if (result === null) result = w.hvs[lo]!.copy();
    else {
      result = addH(result, w.hvs[lo]!, p, c);
      if (result === null) {
        flush(c, p);
        return null;
      }
    }
  } else if (numSamplesMinusOne === 0) {
    flush(c, p);
    return null;
  } else {
    if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
    if (isCounter) {
      // Avoid extrapolating below zero: the count of the result is the increase.
      let durationToZero = durationToStart;
      const first = w.hvs[lo]!;
      if (result !== null && result.count > 0 && first.count >= 0) {
        durationToZero = sampledInterval * (first.count / result.count);
      }
      if (durationToZero < durationToStart) durationToStart = durationToZero;
    }
  }
  if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;
  let factor = 1;
  if (sampledInterval !== 0) factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= c.rangeMs / 1000;
  flush(c, p);
  return { h: result!.mul(factor) };
}

/**
 * Prometheus histogramRate over hvs[hlo, hhi) (≥ 2 samples): last − first plus, for counters,
 * every histogram before a reset; all at the lowest schema seen. null = incompatible histograms
 * (annotations in p, already reduced to what Prometheus reports on that path).
 */
function histogramRate(w: HistWindow, sts: Float64Array | null, isCounter: boolean, p: Pending, c: HistRangeCtx): FloatHistogram | null {
  const lo = w.hlo;
  const hi = w.hhi;
  const hv = w.hvs;
  const ht = w.hts;
  let prev = hv[lo]!;
  let usingCustomBuckets = prev.usesCustomBuckets();
  const last = hv[hi - 1]!;
  const stReset = (i: number): boolean => sts !== null && isStartTimestampReset(sts[i - 1]!, ht[i - 1]!, sts[i]!, ht[i]!);
  const mixedOnly = (): null => {
    p.length = 0; // Prometheus returns a fresh annotation set here
    p.push(Anno.mixedExponentialCustomHistograms(c.metricName, c.argPos));
    return null;
  };

  if (isCounter && (prev.counterResetHint === 'gauge' || last.counterResetHint === 'gauge')) {
    p.push(Anno.nativeHistogramNotCounter(c.metricName, c.argPos));
  }
  // A reset between the 1st and 2nd sample: ignore the 1st (and any layout incompatibility).
  if (isCounter) {
    const second = hv[lo + 1]!;
    if (stReset(lo + 1) || second.detectReset(prev)) {
      prev = new FloatHistogram({ schema: second.schema, customValues: second.customValues.slice() });
      usingCustomBuckets = second.usesCustomBuckets();
    }
  }
  if (last.usesCustomBuckets() !== usingCustomBuckets) {
    p.push(Anno.mixedExponentialCustomHistograms(c.metricName, c.argPos));
    return null;
  }
  let minSchema = Math.min(last.schema, prev.schema);
  if (isCounter) {
    for (let i = lo + 1; i < hi - 1; i++) {
      const curr = hv[i]!;
      if (curr.counterResetHint === 'gauge') p.push(Anno.nativeHistogramNotCounter(c.metricName, c.argPos));
      if (curr.schema < minSchema) minSchema = curr.schema;
      if (curr.usesCustomBuckets() !== usingCustomBuckets) return mixedOnly();
    }
  }
  let h: FloatHistogram;
  try {
    const r = last.copyToSchema(minSchema).sub(prev);
    if (r.nhcbBoundsReconciled) p.push(Anno.mismatchedCustomBuckets('subtraction', c.argPos));
    h = r.h;
  } catch (err) {
    if (isIncompatibleSchema(err)) return mixedOnly();
    throw err;
  }
  if (isCounter) {
    let overlapDetected = false;
    for (let i = lo + 1; i < hi; i++) {
      const curr = hv[i]!;
      if (!overlapDetected && sts !== null && checkStartTimeOverlap(sts[i - 1]!, ht[i - 1]!, sts[i]!)) {
        p.push({ kind: 'warning', text: startTimeOverlapText(c.metricName), pos: c.argPos });
        overlapDetected = true;
      }
      if (stReset(i) || curr.detectReset(prev)) {
        // Conflicting counter reset hints are deliberately ignored (resets are handled here).
        try {
          const r = h.add(prev);
          if (r.nhcbBoundsReconciled) p.push(Anno.mismatchedCustomBuckets('addition', c.argPos));
          h = r.h;
        } catch (err) {
          if (isIncompatibleSchema(err)) return mixedOnly();
          throw err;
        }
      }
      prev = curr;
    }
  } else if (hv[lo]!.counterResetHint !== 'gauge' || last.counterResetHint !== 'gauge') {
    p.push(Anno.nativeHistogramNotGauge(c.metricName, c.argPos));
  }
  return withHint(h, 'gauge').compact(0);
}


/** interpolateHistograms: h1 + (h2 − h1)·fraction, or h2·fraction across a counter reset. */
function interpolateHistograms(
  h1: FloatHistogram, t1: number, h2: FloatHistogram, t2: number, t: number,
  isCounter: boolean, p: Pending, c: AnnoCtx,
): FloatHistogram | null {
  if (t === t1) return h1.copy();
  if (t === t2) return h2.copy();
  const fraction = (t - t1) / (t2 - t1);
  if (isCounter && h2.detectReset(h1)) return h2.copy().mul(fraction);
  const d = subH(h2.copy(), h1, p, c);
  if (d === null) return null;
  return addH(d.mul(fraction), h1, p, c);
}

/**
 * Prometheus interpolateHistograms for the smoothed instant-vector selector: the histogram at `t`
 * between (t1, h1) and (t2, h2); null (with the schema-mix warning) when they cannot be combined.
 */
export function interpolateHistogramsAt(
  h1: FloatHistogram, t1: number, h2: FloatHistogram, t2: number, t: number, isCounter: boolean, c: AnnoCtx,
): FloatHistogram | null {
  const p: Pending = [];
  const r = interpolateHistograms(h1, t1, h2, t2, t, isCounter, p, c);
  flush(c, p);
  return r;
}

/** extendedHistogramRate: anchored/smoothed rate/increase/delta over an extended window. */
function extendedHistogramRate(w: HistWindow, c: HistRangeCtx, isCounter: boolean, isRate: boolean): HistRangeResult {
  const h = w.hvs;
  const t = w.hts;
  const lo = w.hlo;
  const { rangeStart, rangeEnd, smoothed } = c;
  let last = w.hhi - 1;
  const first = Math.max(lo, searchIdx(lo, last - lo, (i) => t[i]! > rangeStart) - 1);
  if (smoothed) last = searchIdx(lo, last - lo, (i) => t[i]! >= rangeEnd);
  if (t[last]! <= rangeStart) return null;
  if (smoothed && t[first]! > rangeEnd) return null;
  const p: Pending = [];
  const done = (): null => {
    flush(c, p);
    return null;
  };
  // validateHistogramRange over [first, last].
  const custom = h[first]!.usesCustomBuckets();
  for (let i = first; i <= last; i++) {
    if (h[i]!.usesCustomBuckets() !== custom) {
      p.push(Anno.mixedExponentialCustomHistograms(c.metricName, c.argPos));
      return done();
    }
    if (isCounter && h[i]!.counterResetHint === 'gauge') p.push(Anno.nativeHistogramNotCounter(c.metricName, c.argPos));
  }
  const left = smoothed && t[first]! < rangeStart
    ? interpolateHistograms(h[first]!, t[first]!, h[first + 1]!, t[first + 1]!, rangeStart, isCounter, p, c)
    : h[first]!.copy();
  if (left === null) return done();
  const right = smoothed && last > lo && t[last]! > rangeEnd
    ? interpolateHistograms(h[last - 1]!, t[last - 1]!, h[last]!, t[last]!, rangeEnd, isCounter, p, c)
    : h[last]!.copy();
  if (right === null) return done();
  if (!isCounter && (left.counterResetHint !== 'gauge' || right.counterResetHint !== 'gauge')) {
    p.push(Anno.nativeHistogramNotGauge(c.metricName, c.argPos));
  }
  let result = subH(right.copy(), left, p, c);
  if (result === null) return done();
  if (isCounter) {
    // correctForCounterResetsHistogram: h[first] is represented by left, h[last] by right.
    let from = first + 1;
    let prev = left;
    if (smoothed && t[first]! < rangeStart && h[first + 1]!.detectReset(h[first]!)) {
      // The left interpolation already spanned that reset.
      prev = h[first + 1]!;
      from++;
    }
    const to = last - 1;
    if (from <= to + 1) {
      let correction: FloatHistogram | null = null;
      const addCorrection = (x: FloatHistogram): boolean => {
        if (correction === null) {
          correction = x.copy();
          return true;
        }
        correction = addH(correction, x, p, c);
        return correction !== null;
      };
      for (let i = from; i <= to; i++) {
        if (h[i]!.detectReset(prev) && !addCorrection(prev)) return done();
        prev = h[i]!;
      }
      if (right.detectReset(prev) && !addCorrection(prev)) return done();
      if (correction !== null) {
        result = addH(result, correction, p, c);
        if (result === null) return done();
      }
    }
  }
  if (isRate) result = result.div(c.rangeMs / 1000);
  flush(c, p);
  return { h: withHint(result, 'gauge').compact(0) };
}

// ---- irate / idelta ----

interface Pt {
  t: number;
  f: number;
  h: FloatHistogram | null;
  st: number;
}

function instantValue(w: HistWindow, c: HistRangeCtx, isRate: boolean): HistRangeResult {
  const nf = w.fhi - w.flo;
  const nh = w.hhi - w.hlo;
  if (nf + nh < 2) return null;
  const ss: Pt[] = [];
  for (let i = Math.max(w.flo, w.fhi - 2); i < w.fhi; i++) {
    ss.push({ t: w.fts[i]!, f: w.fvs[i]!, h: null, st: w.fsts ? w.fsts[i]! : 0 });
  }
  for (let i = Math.max(w.hlo, w.hhi - 2); i < w.hhi; i++) {
    const s: Pt = { t: w.hts[i]!, f: 0, h: w.hvs[i]!, st: w.hsts ? w.hsts[i]! : 0 };
    if (ss.length === 0) ss.push(s);
    else if (ss.length === 1) {
      if (s.t < ss[0]!.t) ss.unshift(s);
      else ss.push(s);
    } else if (s.t < ss[0]!.t) {
      // older than the 1st: discard
    } else if (s.t > ss[1]!.t) {
      ss[0] = ss[1]!;
      ss[1] = s;
    } else {
      ss[0] = s;
    }
  }
  const s0 = ss[0]!;
  const s1 = ss[1]!;
  const sampledInterval = s1.t - s0.t;
  if (sampledInterval === 0) return null;
  const stReset = isStartTimestampReset(s0.st, s0.t, s1.st, s1.t);
  if (s0.h === null && s1.h === null) {
    let r = s1.f;
    if (!isRate || !(s1.f < s0.f || stReset)) r = s1.f - s0.f;
    if (isRate) r /= sampledInterval / 1000;
    return { f: r };
  }
  if (s0.h === null || s1.h === null) {
    c.annos.add(Anno.mixedFloatsHistograms(c.metricName, c.argPos));
    return null;
  }
  const p: Pending = [];
  if (isRate && (s1.h.counterResetHint === 'gauge' || s0.h.counterResetHint === 'gauge')) {
    p.push(Anno.nativeHistogramNotCounter(c.metricName, c.argPos));
  }
  if (!isRate && (s1.h.counterResetHint !== 'gauge' || s0.h.counterResetHint !== 'gauge')) {
    p.push(Anno.nativeHistogramNotGauge(c.metricName, c.argPos));
  }
  let r: FloatHistogram | null = s1.h.copy();
  if (!isRate || (!stReset && !s1.h.detectReset(s0.h))) {
    r = subH(r, s0.h, p, c);
    if (r === null) {
      flush(c, p);
      return null;
    }
  }
  r = withHint(r, 'gauge').compact(0);
  if (isRate) r = r.div(sampledInterval / 1000);
  flush(c, p);
  return { h: r };
}

// ---- resets / changes ----

/**
 * pickFirstSampleIndices for anchored selectors: the newest sample at or before rangeStart (of
 * either type) is the baseline; older samples are skipped. null = nothing after rangeStart.
 */
function firstIndices(w: HistWindow, c: HistRangeCtx): [number, number] | null {
  if (!c.anchored) return [w.flo, w.hlo];
  const lastFloatLE = searchIdx(w.flo, w.fhi - w.flo, (i) => w.fts[i]! > c.rangeStart) - 1;
  const lastHistLE = searchIdx(w.hlo, w.hhi - w.hlo, (i) => w.hts[i]! > c.rangeStart) - 1;
  if (lastFloatLE + 1 >= w.fhi && lastHistLE + 1 >= w.hhi) return null;
  const noF = lastFloatLE < w.flo;
  const noH = lastHistLE < w.hlo;
  if (noF && noH) return [w.flo, w.hlo];
  if (noH || (!noF && w.fts[lastFloatLE]! >= w.hts[lastHistLE]!)) return [lastFloatLE, lastHistLE + 1];
  return [lastFloatLE + 1, lastHistLE];
}

function resetsOrChanges(w: HistWindow, c: HistRangeCtx, isResets: boolean): HistRangeResult {
  const idx = firstIndices(w, c);
  if (idx === null) return null;
  let [i, j] = idx;
  const fsts = isResets ? w.fsts ?? null : null;
  const hsts = isResets ? w.hsts ?? null : null;
  let count = 0;
  let started = false;
  let pT = 0, pF = 0, pST = 0;
  let pH: FloatHistogram | null = null;
  while (i < w.fhi || j < w.hhi) {
    let cT: number, cF = 0, cST = 0;
    let cH: FloatHistogram | null = null;
    // Equal timestamps cannot come out of one series; take the float first then.
    if (j >= w.hhi || (i < w.fhi && w.fts[i]! <= w.hts[j]!)) {
      cT = w.fts[i]!;
      cF = w.fvs[i]!;
      if (fsts) cST = fsts[i]!;
      i++;
    } else {
      cT = w.hts[j]!;
      cH = w.hvs[j]!;
      if (hsts) cST = hsts[j]!;
      j++;
    }
    if (started) {
      if (pH === null && cH === null) {
        if (isResets) {
          if (cF < pF || isStartTimestampReset(pST, pT, cST, cT)) count++;
        } else if (cF !== pF && !(cF !== cF && pF !== pF)) count++;
      } else if (pH === null || cH === null) {
        count++;
      } else if (isResets) {
        if (isStartTimestampReset(pST, pT, cST, cT) || cH.detectReset(pH)) count++;
      } else if (!cH.equals(pH)) count++;
    }
    started = true;
    pT = cT;
    pF = cF;
    pH = cH;
    pST = cST;
  }
  return { f: count };
}

// ---- sum_over_time / avg_over_time over histograms only ----

/** Counter reset hint tracking of aggrHistOverTime: 'reset' and 'not_reset' both seen → warning. */
function hintCollision(w: HistWindow): boolean {
  let reset = false;
  let notReset = false;
  for (let i = w.hlo; i < w.hhi; i++) {
    const hint = w.hvs[i]!.counterResetHint;
    if (hint === 'reset') reset = true;
    else if (hint === 'not_reset') notReset = true;
  }
  return reset && notReset;
}

function aggAnnos(w: HistWindow, c: HistRangeCtx, reconciled: boolean): void {
  if (hintCollision(w)) c.annos.add(Anno.histogramCounterResetCollision('aggregation', c.argPos));
  if (reconciled) c.annos.add(Anno.mismatchedCustomBuckets('aggregation', c.argPos));
}

function sumOverTime(w: HistWindow, c: HistRangeCtx): HistRangeResult {
  let sum = w.hvs[w.hlo]!.copy();
  let comp: FloatHistogram | null = null;
  let reconciled = false;
  try {
    for (let i = w.hlo + 1; i < w.hhi; i++) {
      const r = sum.kahanAdd(w.hvs[i]!, comp);
      sum = r.h;
      comp = r.c;
      if (r.nhcbBoundsReconciled) reconciled = true;
    }
    if (comp !== null) {
      const r = sum.add(comp);
      sum = r.h;
      if (r.nhcbBoundsReconciled) reconciled = true;
    }
  } catch (err) {
    if (isIncompatibleSchema(err)) {
      c.annos.add(Anno.mixedExponentialCustomHistograms(c.metricName, c.argPos));
      return null;
    }
    throw err;
  }
  aggAnnos(w, c, reconciled);
  return { h: sum };
}

/**
 * Direct mean (Kahan sum / count) while the running sum does not overflow, then the incremental
 * mean, as Prometheus funcAvgOverTime does for histograms.
 */
function avgOverTime(w: HistWindow, c: HistRangeCtx): HistRangeResult {
  let sum = w.hvs[w.hlo]!.copy();
  let mean: FloatHistogram | null = null;
  let kahanC: FloatHistogram | null = null;
  let count = 1;
  let incrementalMean = false;
  let reconciled = false;
  try {
    for (let i = w.hlo + 1; i < w.hhi; i++) {
      const h = w.hvs[i]!;
      count = i - w.hlo + 1;
      if (!incrementalMean) {
        const r = sum.kahanAdd(h, kahanC);
        if (r.nhcbBoundsReconciled) reconciled = true;
        if (!r.h.hasOverflow()) {
          sum = r.h;
          kahanC = r.c;
          continue;
        }
        incrementalMean = true;
        mean = sum.div(count - 1);
        if (kahanC !== null) kahanC = kahanC.div(count - 1);
      }
      const q = (count - 1) / count;
      if (kahanC !== null) kahanC = kahanC.mul(q);
      const toAdd = h.div(count);
      const r = mean!.mul(q).kahanAdd(toAdd, kahanC);
      mean = r.h;
      kahanC = r.c;
      if (r.nhcbBoundsReconciled) reconciled = true;
    }
    let out: FloatHistogram;
    if (incrementalMean) out = kahanC !== null ? mean!.add(kahanC).h : mean!;
    else out = kahanC !== null ? sum.div(count).add(kahanC.div(count)).h : sum.div(count);
    aggAnnos(w, c, reconciled);
    return { h: out };
  } catch (err) {
    if (isIncompatibleSchema(err)) {
      c.annos.add(Anno.mixedExponentialCustomHistograms(c.metricName, c.argPos));
      return null;
    }
    throw err;
  }
}
