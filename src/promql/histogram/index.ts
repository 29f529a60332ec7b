// Native histogram arithmetic for the PromQL engine (Prometheus FloatHistogram semantics).
// Pure and synchronous; no imports from the engine.
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
