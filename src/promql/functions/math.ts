// Numeric helpers shared by functions and aggregations, following Prometheus exactly:
// Kahan summation (util/kahansum), quantile (promql/quantile.go), classic-bucket quantile and
// fraction with the monotonicity fix (BucketQuantile / BucketFraction), almost.Equal.

/** Compensation output of kahanInc (avoids allocating a tuple per call in hot loops). */
export const kahan = { c: 0 };

/** kahansum.Inc without allocation: returns the new sum, stores the new compensation in `kahan.c`. */
export function kahanInc(inc: number, sum: number, c: number): number {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) c = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  kahan.c = c;
  return t;
}

/** kahansum.Inc: returns [newSum, newC]. */
export function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) return [t, 0];
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

const MIN_NORMAL = 2.2250738585072014e-308;

/** util/almost.Equal. */
export function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

/** Order of vectorByValueHeap: NaN sorts first. */
export function cmpValueNaNFirst(a: number, b: number): number {
  const an = a !== a;
  const bn = b !== b;
  if (an || bn) return an && bn ? 0 : an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** promql quantile(): sorts `values` in place (NaN first) and interpolates. */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  values.sort(cmpValueNaNFirst);
  const n = values.length;
  const rank = q * (n - 1);
  const lowerIndex = Math.max(0, Math.floor(rank));
  const upperIndex = Math.min(n - 1, lowerIndex + 1);
  const weight = rank - Math.floor(rank);
  return values[lowerIndex]! * (1 - weight) + values[upperIndex]! * weight;
}

export interface Bucket {
  upperBound: number;
  count: number;
}

const SMALL_DELTA_TOLERANCE = 1e-12;

function sortBuckets(b: Bucket[]): void {
  b.sort((x, y) => (x.upperBound < y.upperBound ? -1 : x.upperBound > y.upperBound ? 1 : 0));
}

function coalesceBuckets(buckets: Bucket[]): Bucket[] {
  let last = { ...buckets[0]! };
  let i = 0;
  for (let k = 1; k < buckets.length; k++) {
    const b = buckets[k]!;
    if (b.upperBound === last.upperBound) last.count += b.count;
    else {
      buckets[i] = last;
      last = { ...b };
      i++;
    }
  }
  buckets[i] = last;
  buckets.length = i + 1;
  return buckets;
}

export interface BucketQuantileResult {
  q: number;
  forcedMonotonic: boolean;
  fixedPrecision: boolean;
  minBucket: number;
  maxBucket: number;
  maxDiff: number;
}

/** Prometheus BucketQuantile over classic buckets (mutates `buckets`). */
export function bucketQuantile(q: number, buckets: Bucket[]): BucketQuantileResult {
  const r: BucketQuantileResult = { q: NaN, forcedMonotonic: false, fixedPrecision: false, minBucket: 0, maxBucket: 0, maxDiff: 0 };
  if (Number.isNaN(q)) return r;
  if (q < 0) return { ...r, q: -Infinity };
  if (q > 1) return { ...r, q: Infinity };
  sortBuckets(buckets);
  if (buckets[buckets.length - 1]!.upperBound !== Infinity) return r;
  buckets = coalesceBuckets(buckets);
  // ensureMonotonicAndIgnoreSmallDeltas
  r.minBucket = Infinity;
  r.maxBucket = -Infinity;
  let prev = buckets[0]!.count;
  for (let i = 1; i < buckets.length; i++) {
    const curr = buckets[i]!.count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, SMALL_DELTA_TOLERANCE)) {
      buckets[i]!.count = prev;
      r.fixedPrecision = true;
      continue;
    }
    if (curr < prev) {
      buckets[i]!.count = prev;
      r.forcedMonotonic = true;
      const ub = buckets[i]!.upperBound;
      if (ub < r.minBucket) r.minBucket = ub;
      if (ub > r.maxBucket) r.maxBucket = ub;
      if (prev - curr > r.maxDiff) r.maxDiff = prev - curr;
      continue;
    }
    prev = curr;
  }
  if (buckets.length < 2) return r;
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return r;
  let rank = q * observations;
  // sort.Search over [0, len-1)
  let lo = 0;
  let hi = buckets.length - 1;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (buckets[m]!.count >= rank) hi = m;
    else lo = m + 1;
  }
  const b = lo;
  if (b === buckets.length - 1) r.q = buckets[buckets.length - 2]!.upperBound;
  else if (b === 0 && buckets[0]!.upperBound <= 0) r.q = buckets[0]!.upperBound;
  else {
    let bucketStart = 0;
    const bucketEnd = buckets[b]!.upperBound;
    let count = buckets[b]!.count;
    if (b > 0) {
      bucketStart = buckets[b - 1]!.upperBound;
      count -= buckets[b - 1]!.count;
      rank -= buckets[b - 1]!.count;
    }
    r.q = bucketStart + (bucketEnd - bucketStart) * (rank / count);
  }
  return r;
}

/** Prometheus BucketFraction over classic buckets (mutates `buckets`). */
export function bucketFraction(lower: number, upper: number, buckets: Bucket[]): number {
  sortBuckets(buckets);
  if (buckets[buckets.length - 1]!.upperBound !== Infinity) return NaN;
  buckets = coalesceBuckets(buckets);
  const count = buckets[buckets.length - 1]!.count;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let lowerBound = buckets[0]!.upperBound <= 0 ? -Infinity : 0;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i]!;
    if (i > 0) lowerBound = buckets[i - 1]!.upperBound;
    const upperBound = b.upperBound;
    const interp = (v: number): number =>
      lowerBound === -Infinity ? b.count : rank + ((b.count - rank) * (v - lowerBound)) / (upperBound - lowerBound);
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = interp(lower);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = interp(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}

/** Go math.Mod semantics (sign of dividend; NaN cases as Go). */
export function goMod(x: number, y: number): number {
  if (y === 0 || !Number.isFinite(x) || Number.isNaN(y)) return NaN;
  return x % y;
}

/** Go math.Pow special cases (JS differs for 1**±Inf and (-1)**±Inf, NaN exponent with base 1). */
export function goPow(x: number, y: number): number {
  if (y === 0) return 1;
  if (x === 1) return 1;
  if (Number.isNaN(y) || Number.isNaN(x)) return NaN;
  if (x === -1 && !Number.isFinite(y)) return 1;
  return Math.pow(x, y);
}

/** linearRegression with Kahan summation (Prometheus funcDeriv/predict_linear). */
export function linearRegression(ts: Float64Array, vs: Float64Array, lo: number, hi: number, interceptTime: number): [number, number] {
  let n = 0;
  let sumX = 0, cX = 0, sumY = 0, cY = 0, sumXY = 0, cXY = 0, sumX2 = 0, cX2 = 0;
  const initY = vs[lo]!;
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const f = vs[i]!;
    if (constY && i > lo && f !== initY) constY = false;
    n += 1;
    const x = (ts[i]! - interceptTime) / 1e3;
    sumX = kahanInc(x, sumX, cX);
    cX = kahan.c;
    sumY = kahanInc(f, sumY, cY);
    cY = kahan.c;
    sumXY = kahanInc(x * f, sumXY, cXY);
    cXY = kahan.c;
    sumX2 = kahanInc(x * x, sumX2, cX2);
    cX2 = kahan.c;
  }
  if (constY) {
    if (!Number.isFinite(initY) && !Number.isNaN(initY)) return [NaN, NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

/** Go's sort.Search over absolute indices [lo, lo+n): the first i with pred(i), else lo+n. */
export function searchIdx(lo: number, n: number, pred: (i: number) => boolean): number {
  let a = lo;
  let b = lo + n;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (pred(m)) b = m;
    else a = m + 1;
  }
  return a;
}
