// Native-histogram functions of PromQL: histogram_quantile, histogram_fraction,
// histogram_stddev/stdvar and histogram_avg, as Prometheus promql/quantile.go
// (HistogramQuantile, HistogramFraction) and promql/functions.go
// (histogramVariance, funcHistogramAvg). The caller turns the returned flags
// into annotations (it knows the metric name and position).
import type { FloatHistogram } from './float-histogram.ts';
import { fractionBelow, kahanInc } from './generic.ts';
import type { Bucket } from './generic.ts';

export interface HistogramQuantileResult {
  value: number;
  /**
   * The quantile fell beyond the buckets and the sum is NaN: the result is NaN
   * and Prometheus adds NewNativeHistogramQuantileNaNResultInfo.
   */
  nanResult: boolean;
  /**
   * The sum is NaN and the buckets hold fewer observations than count (NaN
   * observations): Prometheus adds NewNativeHistogramQuantileNaNSkewInfo.
   */
  nanSkew: boolean;
}

export interface HistogramFractionResult {
  value: number;
  /** NaN observations present (NaN sum and buckets short of count): NewNativeHistogramFractionNaNsInfo. */
  nans: boolean;
}

/**
 * histogram_quantile for a native histogram: q < 0 gives -Inf, q > 1 +Inf,
 * count 0 or q NaN gives NaN. Interpolates linearly in custom buckets and in
 * the zero bucket, exponentially in exponential buckets. For q >= 0.5 (and a
 * non-NaN sum) it works from the top down. (The invalid-quantile warning for
 * q outside [0, 1] is the caller's, as in funcHistogramQuantile.)
 */
export function histogramQuantile(q: number, h: FloatHistogram): HistogramQuantileResult {
  const res = (value: number, nanResult = false, nanSkew = false): HistogramQuantileResult => ({ value, nanResult, nanSkew });
  if (q < 0) return res(-Infinity);
  if (q > 1) return res(Infinity);
  if (h.count === 0 || Number.isNaN(q)) return res(NaN);

  const sumNaN = Number.isNaN(h.sum);
  let buckets: Bucket[];
  let rank: number;
  if (sumNaN || q < 0.5) {
    buckets = h.allBuckets();
    rank = q * h.count;
  } else {
    buckets = h.allReverseBuckets();
    rank = (1 - q) * h.count;
  }

  let count = 0;
  let bucket: Bucket = { lower: 0, upper: 0, lowerInclusive: false, upperInclusive: false, count: 0, index: 0 };
  let k = 0;
  while (k < buckets.length) {
    const b = buckets[k++]!;
    bucket = { ...b };
    if (b.count === 0) continue;
    count += b.count;
    if (count >= rank) break;
  }
  const custom = h.usesCustomBuckets();
  if (!custom && bucket.lower < 0 && bucket.upper > 0) {
    if (h.negativeBuckets.length === 0 && h.positiveBuckets.length > 0) bucket.lower = 0;
    else if (h.positiveBuckets.length === 0 && h.negativeBuckets.length > 0) bucket.upper = 0;
  } else if (custom) {
    if (bucket.lower === -Infinity) {
      if (bucket.upper <= 0) return res(bucket.upper);
      bucket.lower = 0;
    } else if (bucket.upper === Infinity) {
      return res(bucket.lower);
    }
  }
  if (count > h.count) count = h.count;
  if (count < rank) {
    if (sumNaN) return res(NaN, true, false);
    return res(bucket.upper);
  }

  if (sumNaN || q < 0.5) rank -= count - bucket.count;
  else rank = count - rank;

  let nanSkew = false;
  if (sumNaN) {
    while (k < buckets.length) count += buckets[k++]!.count;
    if (count < h.count) nanSkew = true;
  }

  const fraction = rank / bucket.count;
  if (custom || (bucket.lower <= 0 && bucket.upper >= 0)) {
    return res(bucket.lower + (bucket.upper - bucket.lower) * fraction, false, nanSkew);
  }
  const logLower = Math.log2(Math.abs(bucket.lower));
  const logUpper = Math.log2(Math.abs(bucket.upper));
  if (bucket.lower > 0) return res(2 ** (logLower + (logUpper - logLower) * fraction), false, nanSkew);
  return res(-(2 ** (logUpper + (logLower - logUpper) * (1 - fraction))), false, nanSkew);
}

/**
 * histogram_fraction(lower, upper, h): estimated share of observations in
 * [lower, upper]; NaN for count 0 or NaN bounds, 0 when lower >= upper.
 */
export function histogramFraction(lower: number, upper: number, h: FloatHistogram): HistogramFractionResult {
  if (h.count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return { value: NaN, nans: false };
  if (lower >= upper) return { value: 0, nans: false };

  const buckets = h.allBuckets();
  const custom = h.usesCustomBuckets();
  let count = 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let k = 0;
  while (k < buckets.length) {
    const b = { ...buckets[k++]! };
    count += b.count;
    let zeroBucket = false;
    const interpolateLinearly = (v: number): number => {
      if (b.lower === -Infinity) return b.count;
      return rank + b.count * fractionBelow(b, v, true);
    };
    const interpolateExponentially = (v: number): number => rank + b.count * fractionBelow(b, v, false);

    if (b.lower <= 0 && b.upper >= 0) {
      zeroBucket = true;
      if (h.negativeBuckets.length === 0 && h.positiveBuckets.length > 0) b.lower = 0;
      else if (h.positiveBuckets.length === 0 && h.negativeBuckets.length > 0) b.upper = 0;
    }
    if (!lowerSet && b.lower >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && b.lower >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && b.lower < lower && b.upper > lower) {
      lowerRank = custom || zeroBucket ? interpolateLinearly(lower) : interpolateExponentially(lower);
      lowerSet = true;
    }
    if (!upperSet && b.lower < upper && b.upper > upper) {
      upperRank = custom || zeroBucket ? interpolateLinearly(upper) : interpolateExponentially(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank += b.count;
  }
  let nans = false;
  if (Number.isNaN(h.sum)) {
    while (k < buckets.length) count += buckets[k++]!.count;
    if (count < h.count) nans = true;
  } else {
    count = h.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return { value: (upperRank - lowerRank) / h.count, nans };
}

/**
 * histogram_stdvar: estimated variance of the observations, each bucket's
 * observations placed at its arithmetic (custom buckets), zero (zero bucket) or
 * geometric (exponential buckets) mean, summed with Kahan compensation.
 */
export function histogramStdVar(h: FloatHistogram): number {
  const mean = h.sum / h.count;
  let variance = 0;
  let c = 0;
  const custom = h.usesCustomBuckets();
  for (const b of h.allBuckets()) {
    if (b.count === 0) continue;
    let val: number;
    if (custom) {
      val = (b.upper + b.lower) / 2;
    } else if (b.lower <= 0 && b.upper >= 0) {
      val = 0;
    } else {
      val = Math.sqrt(b.upper * b.lower);
      if (b.upper < 0) val = -val;
    }
    const delta = val - mean;
    [variance, c] = kahanInc(b.count * delta * delta, variance, c);
  }
  variance += c;
  return variance / h.count;
}

/** histogram_stddev: sqrt of histogramStdVar. */
export function histogramStdDev(h: FloatHistogram): number {
  return Math.sqrt(histogramStdVar(h));
}

/** histogram_avg: sum / count. */
export function histogramAvg(h: FloatHistogram): number {
  return h.sum / h.count;
}

/** histogram_count. */
export function histogramCount(h: FloatHistogram): number {
  return h.count;
}

/** histogram_sum. */
export function histogramSum(h: FloatHistogram): number {
  return h.sum;
}
