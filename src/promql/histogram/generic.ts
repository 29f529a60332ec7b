// Schema constants, bucket bounds, Kahan summation and Go-compatible number
// formatting shared by the float histogram code. Semantics follow Prometheus
// model/histogram/generic.go and util/kahansum.
import { EXPONENTIAL_BOUNDS } from './exponential-bounds.ts';

export interface Span {
  /** Gap to the previous span, or the starting bucket index for the first span (may be negative). */
  offset: number;
  /** Number of consecutive buckets in the span. */
  length: number;
}

export type CounterResetHint = 'unknown' | 'reset' | 'not_reset' | 'gauge';

/** One bucket as Prometheus' bucket iterators yield it. */
export interface Bucket {
  lower: number;
  upper: number;
  lowerInclusive: boolean;
  upperInclusive: boolean;
  count: number;
  /** Bucket index (irrelevant, 0, for the zero bucket). */
  index: number;
}

export const EXPONENTIAL_SCHEMA_MAX = 8;
export const EXPONENTIAL_SCHEMA_MIN = -4;
export const EXPONENTIAL_SCHEMA_MAX_RESERVED = 52;
export const EXPONENTIAL_SCHEMA_MIN_RESERVED = -9;
export const CUSTOM_BUCKETS_SCHEMA = -53;

export type HistogramErrorKind =
  /** Mix of exponential and custom-bucket schemas (Prometheus ErrHistogramsIncompatibleSchema). */
  | 'incompatible-schema'
  /** Kept for engine code written against older Prometheus (ErrHistogramsIncompatibleBounds); current Prometheus reconciles mismatched custom bounds instead, so this library never throws it. */
  | 'incompatible-bounds'
  /** Schema change that is not allowed (reduce to a higher schema, custom <-> exponential). */
  | 'invalid-schema-change'
  /** Spans and buckets do not describe a consistent layout (count mismatch, negative offsets, index outside custom bounds). */
  | 'invalid-layout';

export const ERR_INCOMPATIBLE_SCHEMA_MSG =
  'cannot apply this operation on histograms with a mix of exponential and custom bucket schemas';

/** The only error type the histogram code throws. */
export class HistogramError extends Error {
  readonly kind: HistogramErrorKind;
  constructor(kind: HistogramErrorKind, message: string) {
    super(message);
    this.name = 'HistogramError';
    this.kind = kind;
  }
}

export function isCustomBucketsSchema(s: number): boolean {
  return s === CUSTOM_BUCKETS_SCHEMA;
}
export function isExponentialSchema(s: number): boolean {
  return s >= EXPONENTIAL_SCHEMA_MIN && s <= EXPONENTIAL_SCHEMA_MAX;
}
export function isValidSchema(s: number): boolean {
  return isCustomBucketsSchema(s) || isExponentialSchema(s);
}

/** Go's CustomBucketBoundsMatch: same length and == element-wise (so NaN never matches). */
export function customBucketBoundsMatch(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const TWO_M1022 = 2 ** -1022;
/** math.Ldexp(frac, exp) with a single rounding in the subnormal range. */
export function ldexp(frac: number, exp: number): number {
  if (exp > 1023) return frac * 2 ** 1023 * 2 ** (exp - 1023);
  if (exp < -1022) {
    if (exp < -1022 - 1100) return frac * 0;
    return frac * 2 ** (exp + 1022) * TWO_M1022;
  }
  return frac * 2 ** exp;
}

/** Upper bound of bucket idx in an exponential schema (Prometheus getBoundExponential). */
export function getBoundExponential(idx: number, schema: number): number {
  if (schema < 0) {
    const exp = idx * 2 ** -schema;
    if (exp === 1024) return Number.MAX_VALUE;
    return ldexp(1, exp);
  }
  const fracIdx = idx & ((1 << schema) - 1);
  const table = EXPONENTIAL_BOUNDS[schema];
  if (table === undefined) throw new HistogramError('invalid-layout', `invalid exponential schema ${schema}`);
  const frac = table[fracIdx]!;
  const exp = (idx >> schema) + 1;
  if (frac === 0.5 && exp === 1025) return Number.MAX_VALUE;
  return ldexp(frac, exp);
}

/** Upper bound of bucket idx (Prometheus getBound); idx -1 is -Inf and len(customValues) is +Inf for custom buckets. */
export function getBound(idx: number, schema: number, customValues: readonly number[]): number {
  if (isCustomBucketsSchema(schema)) {
    const length = customValues.length;
    if (idx > length || idx < -1) {
      throw new HistogramError('invalid-layout', `index ${idx} out of bounds for custom bounds of length ${length}`);
    }
    if (idx === length) return Infinity;
    if (idx === -1) return -Infinity;
    return customValues[idx]!;
  }
  return getBoundExponential(idx, schema);
}

/** Bucket index in targetSchema for bucket idx of originSchema (Prometheus targetIdx). */
export function targetIdx(idx: number, originSchema: number, targetSchema: number): number {
  return ((idx - 1) >> (originSchema - targetSchema)) + 1;
}

/** Fraction of a bucket's observations below v, linear or log-linear interpolation (Bucket.FractionBelow). */
export function fractionBelow(b: Bucket, v: number, linear: boolean): number {
  if (linear) return (v - b.lower) / (b.upper - b.lower);
  const logLower = Math.log2(Math.abs(b.lower));
  const logUpper = Math.log2(Math.abs(b.upper));
  const logV = Math.log2(Math.abs(v));
  if (v > 0) return (logV - logLower) / (logUpper - logLower);
  return 1 - (logV - logUpper) / (logLower - logUpper);
}

// ---------------------------------------------------------------- Kahan

/**
 * One step of Kahan-Neumaier summation as Prometheus util/kahansum.Inc:
 * returns [newSum, newCompensation]. The final value is newSum + newCompensation.
 * An infinite running sum resets the compensation to 0.
 */
export function kahanInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (t > Number.MAX_VALUE || t < -Number.MAX_VALUE) {
    c = 0;
  } else if (Math.abs(sum) >= Math.abs(inc)) {
    c += sum - t + inc;
  } else {
    c += inc - t + sum;
  }
  return [t, c];
}

/** kahansum.Dec: kahanInc(-dec, sum, c). */
export function kahanDec(dec: number, sum: number, c: number): [number, number] {
  return kahanInc(-dec, sum, c);
}

// ---------------------------------------------------------------- formatting

/**
 * Go's fmt %g (and %v) for float64: strconv.FormatFloat(v, 'g', -1, 64) with
 * fmt's "+Inf"/"-Inf"/"NaN": shortest round-trip digits, exponent form iff the
 * decimal exponent is < -4 or >= 6 (eprec 6 in shortest mode), exponent with at
 * least two digits ("1e+06", "1.5e-07").
 */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(v.toExponential());
  if (m === null) return String(v);
  const sign = m[1]!;
  const digits = m[2]! + (m[3] ?? '');
  const exp = Number(m[4]);
  if (exp < -4 || exp >= 6) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ea = Math.abs(exp);
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${ea < 10 ? '0' : ''}${ea}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}
