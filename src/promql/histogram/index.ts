// Native histogram arithmetic for the PromQL engine (Prometheus FloatHistogram semantics).
// Pure and synchronous; no imports from the engine.
//
// Unlike Go, no method mutates its receiver or arguments: Go's
// `h.Copy().Mul(x).Compact(0)` is `h.mul(x).compact(0)` here, and a Go statement
// like `c.Div(n)` must become `c = c.div(n)`.
//
// Aggregation as Prometheus promql/engine.go:
//   sum:  first sample h0 -> { v: h0, c: null }; each next h:
//         ({ h: v, c } = v.kahanAdd(h, c)) (catch HistogramError 'incompatible-schema'
//         -> handleAggregationError; nhcbBoundsReconciled -> mismatched-custom-buckets info);
//         at the end: v = (c ? v.add(c).h : v).compact(0).
//   avg:  the same running sum while !v.hasOverflow(); after an overflow switch to the
//         incremental mean m = m.mul((n-1)/n).kahanAdd(h.div(n), c.mul((n-1)/n));
//         result (incremental) m.add(c).h or (direct) v.div(n).add(c.div(n)).h, then compact(0).
//   binary '-': a.sub(b).h with counterResetHint set to 'gauge' by the caller, then compact(0);
//   '*' / '/': h.mul(s).compact(0), h.div(s).compact(0).
export {
  CUSTOM_BUCKETS_SCHEMA,
  ERR_INCOMPATIBLE_SCHEMA_MSG,
  EXPONENTIAL_SCHEMA_MAX,
  EXPONENTIAL_SCHEMA_MIN,
  HistogramError,
  customBucketBoundsMatch,
  formatGoFloat,
  getBound,
  getBoundExponential,
  isCustomBucketsSchema,
  isExponentialSchema,
  isValidSchema,
  kahanDec,
  kahanInc,
} from './generic.ts';
export type { Bucket, CounterResetHint, HistogramErrorKind, Span } from './generic.ts';
export { FloatHistogram, bucketList, bucketString, intersectCustomBucketBounds } from './float-histogram.ts';
export type { AddResult, FloatHistogramInit, KahanAddResult } from './float-histogram.ts';
export {
  histogramAvg,
  histogramCount,
  histogramFraction,
  histogramQuantile,
  histogramStdDev,
  histogramStdVar,
  histogramSum,
} from './quantile.ts';
export type { HistogramFractionResult, HistogramQuantileResult } from './quantile.ts';
