// FloatHistogram: the PromQL native histogram value, a port of the semantics
// of Prometheus model/histogram/float_histogram.go (bucket counts are
// absolute floats). Unlike the Go type, no method mutates its receiver or its
// arguments: every operation returns a new FloatHistogram (the public fields
// stay writable for callers that build histograms).
import {
  CUSTOM_BUCKETS_SCHEMA,
  ERR_INCOMPATIBLE_SCHEMA_MSG,
  HistogramError,
  customBucketBoundsMatch,
  formatGoFloat,
  getBound,
  getBoundExponential,
  isCustomBucketsSchema,
  isExponentialSchema,
  kahanInc,
  targetIdx,
} from './generic.ts';
import type { Bucket, CounterResetHint, Span } from './generic.ts';

export interface FloatHistogramInit {
  schema?: number;
  zeroThreshold?: number;
  zeroCount?: number;
  count?: number;
  sum?: number;
  positiveSpans?: Span[];
  positiveBuckets?: number[];
  negativeSpans?: Span[];
  negativeBuckets?: number[];
  customValues?: number[];
  counterResetHint?: CounterResetHint;
}

/** Result of add/sub. */
export interface AddResult {
  h: FloatHistogram;
  /** Custom bucket bounds differed and were reduced to their intersection (Prometheus nhcbBoundsReconciled). */
  nhcbBoundsReconciled: boolean;
  /** One side said 'reset', the other 'not_reset'; the result's hint is 'unknown'. */
  counterResetCollision: boolean;
}

/** Result of kahanAdd: the new sum h and its compensation histogram c (same layout as h). */
export interface KahanAddResult extends AddResult {
  c: FloatHistogram;
}

const MAX_INT = Number.MAX_SAFE_INTEGER;
/** Guard for compact(maxEmptyBuckets) filling gaps of absurd layouts (the widest legal layout, schema 8 over the whole float range, has ~550k buckets). */
const MAX_FILLED_BUCKETS = 1 << 21;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
function sameBits(a: number, b: number): boolean {
  f64[0] = a;
  const lo = u32[0]!;
  const hi = u32[1]!;
  f64[0] = b;
  return lo === u32[0] && hi === u32[1];
}

interface Raw {
  idx: number[];
  val: number[];
}

/** (index, count) pairs in array order, stopping early like Prometheus' iterators do on bucket/span mismatch. */
function expand(spans: readonly Span[], buckets: readonly number[]): Raw {
  const idx: number[] = [];
  const val: number[] = [];
  let i = 0;
  let bi = 0;
  for (const sp of spans) {
    i += sp.offset;
    for (let j = 0; j < sp.length; j++) {
      if (bi >= buckets.length) return { idx, val };
      idx.push(i);
      val.push(buckets[bi]!);
      i++;
      bi++;
    }
  }
  return { idx, val };
}

/** Spans/buckets for strictly ascending indices, consecutive indices sharing a span. */
function fromIndexed(idx: readonly number[], val: readonly number[]): { spans: Span[]; buckets: number[] } {
  const spans: Span[] = [];
  let prev = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    if (k > 0 && i === prev + 1) spans[spans.length - 1]!.length++;
    else spans.push({ offset: k === 0 ? i : i - prev - 1, length: 1 });
    prev = i;
  }
  return { spans, buckets: val.slice() };
}

/**
 * Rejects layouts the arithmetic cannot interpret (Prometheus' reduceResolution
 * returns these errors, other code paths would panic). Messages as Prometheus.
 */
function checkLayout(spans: readonly Span[], n: number): void {
  let total = 0;
  for (let k = 0; k < spans.length; k++) {
    const sp = spans[k]!;
    if (!Number.isInteger(sp.offset) || !Number.isInteger(sp.length) || sp.length < 0) {
      throw new HistogramError('invalid-layout', `span number ${k + 1} is not a valid span (offset ${sp.offset}, length ${sp.length})`);
    }
    if (k > 0 && sp.offset < 0) {
      throw new HistogramError('invalid-layout', `span number ${k + 1} with offset ${sp.offset}: histogram has a span whose offset is negative`);
    }
    total += sp.length;
    if (total > n) {
      throw new HistogramError('invalid-layout', `have ${n} buckets but spans need more: histogram spans specify different number of buckets than provided`);
    }
  }
  if (total !== n) {
    throw new HistogramError('invalid-layout', `spans need ${total} buckets, have ${n} buckets: histogram spans specify different number of buckets than provided`);
  }
}

function checkHistogramLayout(h: FloatHistogram): void {
  checkLayout(h.positiveSpans, h.positiveBuckets.length);
  if (!isCustomBucketsSchema(h.schema)) checkLayout(h.negativeSpans, h.negativeBuckets.length);
  if (!isCustomBucketsSchema(h.schema) && !isExponentialSchema(h.schema)) {
    throw new HistogramError('invalid-layout', `histogram has an invalid schema, which must be between -4 and 8 for exponential buckets, or -53 for custom buckets, got schema ${h.schema}`);
  }
  if (Number.isNaN(h.zeroThreshold)) throw new HistogramError('invalid-layout', 'zero threshold is NaN');
}

/** Merge buckets to a lower schema (reduceResolution / kahanReduceResolution, not in place). */
function reduceSide(
  spans: readonly Span[], buckets: readonly number[], comps: readonly number[] | null,
  originSchema: number, targetSchema: number,
): { spans: Span[]; buckets: number[]; comps: number[] } {
  const raw = expand(spans, buckets);
  const outIdx: number[] = [];
  const outVal: number[] = [];
  const outC: number[] = [];
  for (let k = 0; k < raw.idx.length; k++) {
    const t = targetIdx(raw.idx[k]!, originSchema, targetSchema);
    const v = raw.val[k]!;
    const c = comps === null ? 0 : comps[k]!;
    const last = outIdx.length - 1;
    if (last >= 0 && outIdx[last] === t) {
      if (comps === null) {
        outVal[last] = outVal[last]! + v;
      } else {
        let [s, cc] = kahanInc(v, outVal[last]!, outC[last]!);
        [s, cc] = kahanInc(c, s, cc);
        outVal[last] = s;
        outC[last] = cc;
      }
    } else {
      outIdx.push(t);
      outVal.push(v);
      outC.push(c);
    }
  }
  const r = fromIndexed(outIdx, outVal);
  return { spans: r.spans, buckets: r.buckets, comps: outC };
}

/** Compaction of one side (compactBuckets for absolute buckets), optionally carrying Kahan compensation buckets. */
function compactSide(
  spans: readonly Span[], buckets: readonly number[], comps: readonly number[] | null, maxEmptyBuckets: number,
): { spans: Span[]; buckets: number[]; comps: number[] } {
  const raw = expand(spans, buckets);
  const outSpans: Span[] = [];
  const outVal: number[] = [];
  const outC: number[] = [];
  let prev = 0;
  let any = false;
  for (let k = 0; k < raw.idx.length; k++) {
    const v = raw.val[k]!;
    const c = comps === null ? 0 : (comps[k] ?? 0);
    if (v === 0 && c === 0) continue;
    const i = raw.idx[k]!;
    if (!any) {
      outSpans.push({ offset: i, length: 1 });
      any = true;
    } else {
      const gap = i - prev - 1;
      if (gap <= maxEmptyBuckets) {
        if (outVal.length + gap > MAX_FILLED_BUCKETS) {
          throw new HistogramError('invalid-layout', `compacting would create more than ${MAX_FILLED_BUCKETS} buckets`);
        }
        for (let g = 0; g < gap; g++) {
          outVal.push(0);
          outC.push(0);
        }
        outSpans[outSpans.length - 1]!.length += gap + 1;
      } else {
        outSpans.push({ offset: gap, length: 1 });
      }
    }
    outVal.push(v);
    outC.push(c);
    prev = i;
  }
  return { spans: outSpans, buckets: outVal, comps: outC };
}

/** Prometheus spansMatch: same layout, ignoring zero-length spans. */
function spansMatch(s1: readonly Span[], s2: readonly Span[]): boolean {
  if (s1.length === 0 && s2.length === 0) return true;
  const allEmpty = (s: readonly Span[], from: number): boolean => {
    for (let k = from; k < s.length; k++) if (s[k]!.length > 0) return false;
    return true;
  };
  let i1 = 0;
  let i2 = 0;
  for (;;) {
    if (i1 >= s1.length) return allEmpty(s2, i2);
    if (i2 >= s2.length) return allEmpty(s1, i1);
    const c1 = { ...s1[i1]! };
    const c2 = { ...s2[i2]! };
    i1++;
    i2++;
    if (c1.length === 0) {
      for (; i1 < s1.length && s1[i1]!.length === 0; i1++) c1.offset += s1[i1]!.offset;
      if (i1 < s1.length) {
        c1.offset += s1[i1]!.offset;
        c1.length = s1[i1]!.length;
        i1++;
      }
    }
    if (c2.length === 0) {
      for (; i2 < s2.length && s2[i2]!.length === 0; i2++) c2.offset += s2[i2]!.offset;
      if (i2 < s2.length) {
        c2.offset += s2[i2]!.offset;
        c2.length = s2[i2]!.length;
        i2++;
      }
    }
    if (c1.length === 0 && c2.length === 0) return true;
    if (c1.offset !== c2.offset || c1.length !== c2.length) return false;
  }
}

function bucketsMatchBits(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameBits(a[i]!, b[i]!)) return false;
  return true;
}

/** intersectCustomBucketBounds: bounds present in both (both sorted). */
export function intersectCustomBucketBounds(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push(a[i]!);
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return out;
}

/**
 * addCustomBucketsWithMismatches: map both sides onto the intersected bounds
 * (each source bucket goes to the first intersected bound >= its own upper
 * bound, or to +Inf) with Kahan summation; drops buckets whose value and
 * compensation are both 0.
 */
function addCustomMismatched(
  negative: boolean,
  spansA: readonly Span[], bucketsA: readonly number[], boundsA: readonly number[],
  spansB: readonly Span[], bucketsB: readonly number[], boundsB: readonly number[],
  bucketsC: readonly number[] | null,
  intersected: readonly number[],
): { spans: Span[]; buckets: number[]; comps: number[] } {
  const target = new Array<number>(intersected.length + 1).fill(0);
  const cTarget = new Array<number>(intersected.length + 1).fill(0);
  const map = (spans: readonly Span[], buckets: readonly number[], bounds: readonly number[], neg: boolean, withComp: boolean): void => {
    let srcIdx = 0;
    let bucketIdx = 0;
    let ii = 0;
    for (const sp of spans) {
      srcIdx += sp.offset;
      for (let j = 0; j < sp.length; j++) {
        if (bucketIdx < buckets.length) {
          const value = buckets[bucketIdx]!;
          let t = target.length - 1;
          if (srcIdx < bounds.length) {
            const srcBound = bounds[srcIdx]!;
            while (ii < intersected.length) {
              if (intersected[ii]! >= srcBound) {
                t = ii;
                break;
              }
              ii++;
            }
          }
          if (neg) {
            [target[t], cTarget[t]] = kahanInc(-value, target[t]!, cTarget[t]!);
          } else {
            [target[t], cTarget[t]] = kahanInc(value, target[t]!, cTarget[t]!);
            if (withComp && bucketsC !== null) {
              [target[t], cTarget[t]] = kahanInc(bucketsC[bucketIdx] ?? 0, target[t]!, cTarget[t]!);
            }
          }
        }
        srcIdx++;
        bucketIdx++;
      }
    }
  };
  map(spansA, bucketsA, boundsA, false, true);
  map(spansB, bucketsB, boundsB, negative, false);
  const idx: number[] = [];
  const val: number[] = [];
  const comps: number[] = [];
  for (let i = 0; i < target.length; i++) {
    if (target[i] === 0 && cTarget[i] === 0) continue;
    idx.push(i);
    val.push(target[i]!);
    comps.push(cTarget[i]!);
  }
  const r = fromIndexed(idx, val);
  return { spans: r.spans, buckets: r.buckets, comps };
}

/**
 * addBuckets / kahanAddBuckets: adds (or subtracts) side B into side A, both in
 * `schema`. Leading B buckets whose upper bound is <= threshold (exponential
 * schemas) are ignored because they are already part of the zero bucket. The
 * result holds every bucket of A (even empty ones) plus the buckets of B.
 */
function addSides(
  schema: number, threshold: number, negative: boolean,
  spansA: readonly Span[], bucketsA: readonly number[], compsA: readonly number[] | null,
  spansB: readonly Span[], bucketsB: readonly number[], compsB: readonly number[] | null,
): { spans: Span[]; buckets: number[]; comps: number[] } {
  const a = expand(spansA, bucketsA);
  const b = expand(spansB, bucketsB);
  let skip = 0;
  if (isExponentialSchema(schema)) {
    while (skip < b.idx.length && getBoundExponential(b.idx[skip]!, schema) <= threshold) skip++;
  }
  const idx: number[] = [];
  const val: number[] = [];
  const comps: number[] = [];
  let i = 0;
  let j = skip;
  while (i < a.idx.length || j < b.idx.length) {
    const ia = i < a.idx.length ? a.idx[i]! : Infinity;
    const ib = j < b.idx.length ? b.idx[j]! : Infinity;
    if (ia < ib) {
      idx.push(ia);
      val.push(a.val[i]!);
      comps.push(compsA === null ? 0 : compsA[i]!);
      i++;
      continue;
    }
    let vb = b.val[j]!;
    let cb = compsB === null ? 0 : compsB[j]!;
    if (negative) {
      vb *= -1;
      cb *= -1;
    }
    if (ib < ia) {
      idx.push(ib);
      val.push(vb);
      comps.push(cb);
      j++;
      continue;
    }
    // Same index in both.
    idx.push(ia);
    if (compsA === null) {
      val.push(a.val[i]! + vb);
      comps.push(0);
    } else {
      let [s, c] = kahanInc(vb, a.val[i]!, compsA[i]!);
      if (cb !== 0) [s, c] = kahanInc(cb, s, c);
      val.push(s);
      comps.push(c);
    }
    i++;
    j++;
  }
  const r = fromIndexed(idx, val);
  return { spans: r.spans, buckets: r.buckets, comps };
}

function adjustCounterReset(h: CounterResetHint, o: CounterResetHint): { hint: CounterResetHint; collision: boolean } {
  if (o === h) return { hint: h, collision: false };
  if (h === 'gauge') return { hint: h, collision: false };
  if (o === 'gauge') return { hint: 'gauge', collision: false };
  if (h === 'unknown') return { hint: h, collision: false };
  if (o === 'unknown') return { hint: 'unknown', collision: false };
  return { hint: 'unknown', collision: true };
}

function cloneSpans(s: readonly Span[]): Span[] {
  return s.map((x) => ({ offset: x.offset, length: x.length }));
}

export class FloatHistogram {
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  count: number;
  sum: number;
  positiveSpans: Span[];
  positiveBuckets: number[];
  negativeSpans: Span[];
  negativeBuckets: number[];
  customValues: number[];
  counterResetHint: CounterResetHint;

  constructor(init: FloatHistogramInit = {}) {
    this.schema = init.schema ?? 0;
    this.zeroThreshold = init.zeroThreshold ?? 0;
    this.zeroCount = init.zeroCount ?? 0;
    this.count = init.count ?? 0;
    this.sum = init.sum ?? 0;
    this.positiveSpans = init.positiveSpans ?? [];
    this.positiveBuckets = init.positiveBuckets ?? [];
    this.negativeSpans = init.negativeSpans ?? [];
    this.negativeBuckets = init.negativeBuckets ?? [];
    this.customValues = init.customValues ?? [];
    this.counterResetHint = init.counterResetHint ?? 'unknown';
  }

  usesCustomBuckets(): boolean {
    return isCustomBucketsSchema(this.schema);
  }

  /** Deep copy of every field (unlike copy(), keeps unused fields of custom-bucket histograms). */
  private clone(): FloatHistogram {
    return new FloatHistogram({
      schema: this.schema,
      zeroThreshold: this.zeroThreshold,
      zeroCount: this.zeroCount,
      count: this.count,
      sum: this.sum,
      counterResetHint: this.counterResetHint,
      customValues: this.customValues.slice(),
      positiveSpans: cloneSpans(this.positiveSpans),
      positiveBuckets: this.positiveBuckets.slice(),
      negativeSpans: cloneSpans(this.negativeSpans),
      negativeBuckets: this.negativeBuckets.slice(),
    });
  }

  /** Deep copy. As in Prometheus, a custom-bucket histogram's zero bucket and negative side are not copied. */
  copy(): FloatHistogram {
    const c = new FloatHistogram({
      schema: this.schema,
      count: this.count,
      sum: this.sum,
      counterResetHint: this.counterResetHint,
      positiveSpans: cloneSpans(this.positiveSpans),
      positiveBuckets: this.positiveBuckets.slice(),
    });
    if (this.usesCustomBuckets()) {
      c.customValues = this.customValues.slice();
    } else {
      c.zeroThreshold = this.zeroThreshold;
      c.zeroCount = this.zeroCount;
      c.negativeSpans = cloneSpans(this.negativeSpans);
      c.negativeBuckets = this.negativeBuckets.slice();
    }
    return c;
  }

  /**
   * Copy with a lower (or equal) schema, buckets merged. Like Prometheus the
   * counter reset hint of the copy is 'unknown' unless targetSchema equals the schema.
   */
  copyToSchema(targetSchema: number): FloatHistogram {
    if (targetSchema === this.schema) return this.copy();
    if (this.usesCustomBuckets()) {
      throw new HistogramError('invalid-schema-change', `cannot reduce resolution to ${targetSchema} when there are custom buckets`);
    }
    if (isCustomBucketsSchema(targetSchema)) {
      throw new HistogramError('invalid-schema-change', 'cannot reduce resolution to custom buckets schema');
    }
    if (targetSchema > this.schema) {
      throw new HistogramError('invalid-schema-change', `cannot copy from schema ${this.schema} to ${targetSchema}`);
    }
    if (!isExponentialSchema(targetSchema)) {
      throw new HistogramError('invalid-schema-change', `invalid target schema ${targetSchema}`);
    }
    checkHistogramLayout(this);
    const p = reduceSide(this.positiveSpans, this.positiveBuckets, null, this.schema, targetSchema);
    const n = reduceSide(this.negativeSpans, this.negativeBuckets, null, this.schema, targetSchema);
    return new FloatHistogram({
      schema: targetSchema,
      zeroThreshold: this.zeroThreshold,
      zeroCount: this.zeroCount,
      count: this.count,
      sum: this.sum,
      positiveSpans: p.spans,
      positiveBuckets: p.buckets,
      negativeSpans: n.spans,
      negativeBuckets: n.buckets,
    });
  }

  /** ReduceResolution: like copyToSchema but keeps the counter reset hint and requires targetSchema < schema. */
  reduceResolution(targetSchema: number): FloatHistogram {
    if (this.usesCustomBuckets()) {
      throw new HistogramError('invalid-schema-change', 'cannot reduce resolution when there are custom buckets');
    }
    if (isCustomBucketsSchema(targetSchema)) {
      throw new HistogramError('invalid-schema-change', 'cannot reduce resolution to custom buckets schema');
    }
    if (targetSchema >= this.schema) {
      throw new HistogramError('invalid-schema-change', `cannot reduce resolution from schema ${this.schema} to ${targetSchema}`);
    }
    const r = this.copyToSchema(targetSchema);
    r.counterResetHint = this.counterResetHint;
    return r;
  }

  /** The zero bucket [-zeroThreshold, zeroThreshold]. Throws for custom buckets (Prometheus panics). */
  zeroBucket(): Bucket {
    if (this.usesCustomBuckets()) {
      throw new HistogramError('invalid-schema-change', 'histograms with custom buckets have no zero bucket');
    }
    return {
      lower: -this.zeroThreshold,
      upper: this.zeroThreshold,
      lowerInclusive: true,
      upperInclusive: true,
      count: this.zeroCount,
      index: 0,
    };
  }

  /** Mul: scales all counts and the sum; a negative factor makes the result a gauge histogram. */
  mul(factor: number): FloatHistogram {
    const h = this.clone();
    h.zeroCount *= factor;
    h.count *= factor;
    h.sum *= factor;
    h.positiveBuckets = h.positiveBuckets.map((v) => v * factor);
    h.negativeBuckets = h.negativeBuckets.map((v) => v * factor);
    if (factor < 0) h.counterResetHint = 'gauge';
    return h;
  }

  /**
   * Div: divides all counts and the sum. Dividing by 0 divides count, sum and
   * zero count (giving ±Inf or NaN) and removes all buckets, keeping the hint.
   */
  div(scalar: number): FloatHistogram {
    const h = this.clone();
    h.zeroCount /= scalar;
    h.count /= scalar;
    h.sum /= scalar;
    if (scalar === 0) {
      h.positiveBuckets = [];
      h.negativeBuckets = [];
      h.positiveSpans = [];
      h.negativeSpans = [];
      return h;
    }
    h.positiveBuckets = h.positiveBuckets.map((v) => v / scalar);
    h.negativeBuckets = h.negativeBuckets.map((v) => v / scalar);
    if (scalar < 0) h.counterResetHint = 'gauge';
    return h;
  }

  /**
   * Add: this + o. Reconciles zero thresholds (the wider wins, widened further
   * when it would cut a populated bucket) and schemas (the lower wins).
   * Custom-bucket histograms with different bounds are added on the
   * intersection of their bounds (nhcbBoundsReconciled). The result may hold
   * empty buckets; call compact(0) to normalise. Throws HistogramError
   * 'incompatible-schema' when mixing exponential and custom buckets.
   */
  add(o: FloatHistogram): AddResult {
    return addOrSub(this, o, false);
  }

  /** Sub: this - o, otherwise as add (for the PromQL '-' operator set the result hint to 'gauge'). */
  sub(o: FloatHistogram): AddResult {
    return addOrSub(this, o, true);
  }

  /**
   * KahanAdd: this + o with Kahan compensation kept per bucket in c (null to
   * start a new sum). Returns the new sum h and compensation c (same layout);
   * the accurate value is h.add(c).h. Used by sum/avg aggregation.
   */
  kahanAdd(o: FloatHistogram, c: FloatHistogram | null): KahanAddResult {
    return kahanAddImpl(this, o, c);
  }

  /**
   * Compact: drops empty buckets and merges spans; runs of at most
   * maxEmptyBuckets empty buckets between populated ones are kept explicitly
   * inside a span.
   */
  compact(maxEmptyBuckets: number): FloatHistogram {
    const h = this.clone();
    const p = compactSide(this.positiveSpans, this.positiveBuckets, null, maxEmptyBuckets);
    h.positiveSpans = p.spans;
    h.positiveBuckets = p.buckets;
    const n = compactSide(this.negativeSpans, this.negativeBuckets, null, maxEmptyBuckets);
    h.negativeSpans = n.spans;
    h.negativeBuckets = n.buckets;
    return h;
  }

  /**
   * Equals: exact data equality (count, sum, zero count and buckets by bit
   * pattern, so NaN sums match NaN sums); spans may differ by zero-length spans.
   */
  equals(o: FloatHistogram | null | undefined): boolean {
    if (o === null || o === undefined) return false;
    if (this.schema !== o.schema || !sameBits(this.count, o.count) || !sameBits(this.sum, o.sum)) return false;
    if (this.usesCustomBuckets() && !customBucketBoundsMatch(this.customValues, o.customValues)) return false;
    if (this.zeroThreshold !== o.zeroThreshold || !sameBits(this.zeroCount, o.zeroCount)) return false;
    if (!spansMatch(this.negativeSpans, o.negativeSpans)) return false;
    if (!bucketsMatchBits(this.negativeBuckets, o.negativeBuckets)) return false;
    if (!spansMatch(this.positiveSpans, o.positiveSpans)) return false;
    if (!bucketsMatchBits(this.positiveBuckets, o.positiveBuckets)) return false;
    return true;
  }

  /**
   * DetectReset: true if this histogram (the later one) shows a counter reset
   * relative to prev: hint 'reset' (true) / 'not_reset' (false) short-cut;
   * otherwise a lower count, zero count or bucket, a missing populated bucket,
   * a higher schema or a lower zero threshold.
   */
  detectReset(prev: FloatHistogram): boolean {
    return detectResetImpl(this, prev);
  }

  /** Positive buckets, ascending (PositiveBucketIterator). */
  positiveBucketList(): Bucket[] {
    return bucketList(this, true, 0, this.schema);
  }

  /** Negative buckets, descending from the zero bucket outwards (NegativeBucketIterator). */
  negativeBucketList(): Bucket[] {
    return bucketList(this, false, 0, this.schema);
  }

  /**
   * All buckets ascending (AllBucketIterator): negative, the zero bucket (only
   * when zeroCount > 0) and positive; buckets overlapping the zero bucket get
   * their inner bound clamped to ±zeroThreshold.
   */
  allBuckets(): Bucket[] {
    const zt = this.zeroThreshold;
    const fix = (b: Bucket): Bucket => {
      if (b.upper < 0 && b.upper > -zt) b.upper = -zt;
      else if (b.lower > 0 && b.lower < zt) b.lower = zt;
      return b;
    };
    const out: Bucket[] = [];
    const neg = bucketList(this, false, 0, this.schema);
    for (let k = neg.length - 1; k >= 0; k--) out.push(fix(neg[k]!));
    if (this.zeroCount > 0 && !this.usesCustomBuckets()) out.push(this.zeroBucket());
    for (const b of bucketList(this, true, 0, this.schema)) out.push(fix(b));
    return out;
  }

  /** All buckets descending (AllReverseBucketIterator). */
  allReverseBuckets(): Bucket[] {
    return this.allBuckets().reverse();
  }

  /** Iterator form of allBuckets(). */
  *allBucketIterator(): IterableIterator<Bucket> {
    yield* this.allBuckets();
  }

  /** Prometheus FloatHistogram.String(): "{count:N, sum:S, [l,u):c, …}" with populated buckets only. */
  string(): string {
    let s = `{count:${formatGoFloat(this.count)}, sum:${formatGoFloat(this.sum)}`;
    const neg = bucketList(this, false, 0, this.schema).filter((b) => b.count !== 0);
    for (let k = neg.length - 1; k >= 0; k--) s += `, ${bucketString(neg[k]!)}`;
    if (this.zeroCount !== 0 && !this.usesCustomBuckets()) s += `, ${bucketString(this.zeroBucket())}`;
    for (const b of bucketList(this, true, 0, this.schema)) if (b.count !== 0) s += `, ${bucketString(b)}`;
    return `${s}}`;
  }

  toString(): string {
    return this.string();
  }

  /** promqltest literal "{{schema:… count:… …}}" (Prometheus FloatHistogram.TestExpression). */
  toLiteral(): string {
    const m = this.compact(MAX_INT);
    const res: string[] = [];
    if (m.schema !== 0) res.push(`schema:${m.schema}`);
    if (m.count !== 0) res.push(`count:${formatGoFloat(m.count)}`);
    if (m.sum !== 0) res.push(`sum:${formatGoFloat(m.sum)}`);
    if (m.zeroCount !== 0) res.push(`z_bucket:${formatGoFloat(m.zeroCount)}`);
    if (m.zeroThreshold !== 0) res.push(`z_bucket_w:${formatGoFloat(m.zeroThreshold)}`);
    if (m.usesCustomBuckets()) res.push(`custom_values:[${m.customValues.map(formatGoFloat).join(' ')}]`);
    if (m.counterResetHint !== 'unknown') res.push(`counter_reset_hint:${m.counterResetHint}`);
    const side = (kind: string, bucketsKey: string, offsetKey: string, buckets: number[], spans: Span[]): void => {
      if (spans.length > 1) throw new HistogramError('invalid-layout', `histogram with multiple ${kind} spans not supported`);
      for (const sp of spans) if (sp.offset !== 0) res.push(`${offsetKey}:${sp.offset}`);
      if (buckets.length > 0) res.push(`${bucketsKey}:[${buckets.map(formatGoFloat).join(' ')}]`);
    };
    side('positive', 'buckets', 'offset', m.positiveBuckets, m.positiveSpans);
    side('negative', 'n_buckets', 'n_offset', m.negativeBuckets, m.negativeSpans);
    return `{{${res.join(' ')}}}`;
  }

  /**
   * Validate: consistency of spans and buckets, no negative counts, schema
   * specific fields (Prometheus FloatHistogram.Validate, same messages).
   * Returns the error instead of throwing; null when valid.
   */
  validate(): HistogramError | null {
    const err = (msg: string): HistogramError => new HistogramError('invalid-layout', msg);
    const NEG_BUCKET = "histogram has a bucket whose observation count is negative";
    const checkSpans = (spans: readonly Span[], n: number, customs: boolean): string | null => {
      let total = 0;
      for (let k = 0; k < spans.length; k++) {
        const sp = spans[k]!;
        if ((customs || k > 0) && sp.offset < 0) return `span number ${k + 1} with offset ${sp.offset}: histogram has a span whose offset is negative`;
        total += sp.length;
      }
      if (total !== n) return `spans need ${total} buckets, have ${n} buckets: histogram spans specify different number of buckets than provided`;
      return null;
    };
    const checkBuckets = (b: readonly number[]): string | null => {
      for (let i = 0; i < b.length; i++) {
        if (b[i]! < 0) return `bucket number ${i + 1} has observation count of ${formatGoFloat(b[i]!)}: ${NEG_BUCKET}`;
      }
      return null;
    };
    if (isCustomBucketsSchema(this.schema)) {
      let prev = -Infinity;
      for (let i = 0; i < this.customValues.length; i++) {
        const curr = this.customValues[i]!;
        if (Number.isNaN(curr)) return err('custom buckets: histogram custom bounds must not be NaN');
        if (i > 0 && curr <= prev) {
          return err(`custom buckets: previous bound is ${prev.toFixed(6)} and current is ${curr.toFixed(6)}: histogram custom bounds must be in strictly increasing order`);
        }
        prev = curr;
      }
      if (prev === Infinity) return err('custom buckets: last +Inf bound must not be explicitly defined: histogram custom bounds must be finite');
      const e = checkSpans(this.positiveSpans, this.positiveBuckets.length, true);
      if (e !== null) return err(`custom buckets: ${e}`);
      const totalSpanLength = this.positiveSpans.reduce((a, sp) => a + sp.length + sp.offset, 0);
      if (this.customValues.length + 1 < totalSpanLength) {
        return err(`custom buckets: only ${this.customValues.length} custom bounds defined which is insufficient to cover total span length of ${totalSpanLength}: histogram custom bounds are too few`);
      }
      if (this.zeroCount !== 0) return err('custom buckets: must have zero count of 0');
      if (this.zeroThreshold !== 0) return err('custom buckets: must have zero threshold of 0');
      if (this.negativeSpans.length > 0) return err('custom buckets: must not have negative spans');
      if (this.negativeBuckets.length > 0) return err('custom buckets: must not have negative buckets');
    } else if (isExponentialSchema(this.schema)) {
      let e = checkSpans(this.positiveSpans, this.positiveBuckets.length, false);
      if (e !== null) return err(`positive side: ${e}`);
      e = checkSpans(this.negativeSpans, this.negativeBuckets.length, false);
      if (e !== null) return err(`negative side: ${e}`);
      e = checkBuckets(this.negativeBuckets);
      if (e !== null) return err(`negative side: ${e}`);
      if (this.zeroCount < 0) return err(`zero bucket has observation count of ${formatGoFloat(this.zeroCount)}: ${NEG_BUCKET}`);
      if (this.customValues.length > 0) return err('histogram with exponential schema must not have custom bounds');
    } else {
      return err(`histogram has an invalid schema, which must be between -4 and 8 for exponential buckets, or -53 for custom buckets, got schema ${this.schema}`);
    }
    if (this.count < 0) return err(`observation count is  ${formatGoFloat(this.count)}: histogram's observation count is negative`);
    const e = checkBuckets(this.positiveBuckets);
    if (e !== null) return err(`positive side: ${e}`);
    return null;
  }

  /** HasOverflow: any infinite count, sum, bucket or custom bound (used by avg to switch to incremental mean). */
  hasOverflow(): boolean {
    const inf = (v: number): boolean => v === Infinity || v === -Infinity;
    if (inf(this.zeroCount) || inf(this.count) || inf(this.sum)) return true;
    return this.positiveBuckets.some(inf) || this.negativeBuckets.some(inf) || this.customValues.some(inf);
  }

  /**
   * TrimBuckets (the PromQL `</` and `>/` operators): upper = true keeps the
   * observations below rhs (`h </ rhs`), upper = false those above
   * (`h >/ rhs`). A bucket straddling rhs keeps the interpolated part of its
   * count (linear for custom buckets, log-linear for exponential ones);
   * buckets with an infinite bound are kept or dropped whole (Prometheus
   * handleInfinityBuckets). When any bucket changed, count and sum are
   * re-estimated from the kept buckets (count × midpoint of the kept interval)
   * and the result is compact(0); otherwise the copy is returned unchanged.
   * Non-mutating: works on copy() (what Prometheus' engine passes, so a
   * custom-bucket histogram's zero bucket and negative side are ignored).
   */
  trimBuckets(rhs: number, upper: boolean): FloatHistogram {
    const h = this.copy();
    const custom = h.usesCustomBuckets();
    let updatedCount = 0;
    let updatedSum = 0;
    let trimmed = false;
    let hasPositive = false;
    let hasNegative = false;
    for (let side = 0; side < 2; side++) {
      const positive = side === 0;
      const counts = positive ? h.positiveBuckets : h.negativeBuckets;
      const list = bucketList(h, positive, 0, h.schema);
      for (let i = 0; i < list.length; i++) {
        const b = list[i]!;
        if (b.count === 0) continue;
        if (positive) hasPositive = true;
        else hasNegative = true;
        // Upper trim keeps all of a bucket ending at or below rhs, lower trim
        // all of a bucket starting at or above it; a bucket that straddles rhs
        // is interpolated, any other bucket is dropped.
        const keepAll = upper ? b.upper <= rhs : b.lower >= rhs;
        const straddles = upper ? b.lower < rhs : b.upper > rhs;
        if (keepAll) {
          updatedCount += b.count;
          updatedSum += trimMidpoint(b.lower, b.upper, positive, custom) * b.count;
        } else if (straddles) {
          const [keep, mid] = bucketTrim(b, rhs, upper, positive, custom);
          updatedCount += keep;
          updatedSum += mid * keep;
          if (counts[i] !== keep) {
            counts[i] = keep;
            trimmed = true;
          }
        } else {
          counts[i] = 0;
          trimmed = true;
        }
      }
    }
    if (h.zeroCount > 0) {
      const [keep, mid] = zeroBucketTrim(h.zeroBucket(), rhs, hasNegative, hasPositive, upper);
      if (h.zeroCount !== keep) {
        h.zeroCount = keep;
        trimmed = true;
      }
      updatedSum += mid * keep;
      updatedCount += keep;
    }
    if (!trimmed) return h;
    h.count = updatedCount;
    h.sum = updatedSum;
    return h.compact(0);
  }
}

// ---------------------------------------------------------------- trim (`</`, `>/`)

const frexpView = new DataView(new ArrayBuffer(8));
/** Go math.Log2: exact for powers of two, else Log(frac)/Ln2 + exp with frac in [0.5, 1). */
function goLog2(x: number): number {
  if (!(x > 0) || x === Infinity) return Math.log2(x);
  let scale = 0;
  if (x < 2 ** -1022) {
    x *= 2 ** 52;
    scale = -52;
  }
  frexpView.setFloat64(0, x);
  const hi = frexpView.getUint32(0);
  const exp = ((hi >>> 20) & 0x7ff) - 1022 + scale;
  frexpView.setUint32(0, (hi & 0x800fffff) | (1022 << 20));
  const frac = frexpView.getFloat64(0);
  if (frac === 0.5) return exp - 1;
  return Math.log(frac) * (1 / Math.LN2) + exp;
}

/** Bucket.FractionBelow with Go's Log2 (v strictly inside finite bounds). */
function trimFractionBelow(b: Bucket, v: number, linear: boolean): number {
  if (linear) return (v - b.lower) / (b.upper - b.lower);
  const logLower = goLog2(Math.abs(b.lower));
  const logUpper = goLog2(Math.abs(b.upper));
  const logV = goLog2(Math.abs(v));
  if (v > 0) return (logV - logLower) / (logUpper - logLower);
  return 1 - (logV - logUpper) / (logLower - logUpper);
}

/** computeMidpoint: the representative value of a kept interval (geometric mean for exponential buckets). */
function trimMidpoint(lower: number, upper: number, positive: boolean, linear: boolean): number {
  const lowerInf = lower === Infinity || lower === -Infinity;
  const upperInf = upper === Infinity || upper === -Infinity;
  if (lowerInf) {
    if (upperInf) return 0;
    if (upper > 0) return upper / 2;
    return upper;
  } else if (upperInf) {
    return lower;
  }
  if (linear) return (lower + upper) / 2;
  const geoMean = Math.sqrt(Math.abs(lower * upper));
  return positive ? geoMean : -geoMean;
}

/** handleInfinityBuckets: [kept count, midpoint] for a bucket with an infinite bound. */
function infinityBucketTrim(upperTrim: boolean, b: Bucket, rhs: number): [number, number] {
  const zeroIfInf = (x: number): number => (x === Infinity || x === -Infinity ? 0 : x);
  if (b.lower === -Infinity) {
    if (upperTrim) {
      if (rhs >= b.upper) return [b.count, 0];
      // A finite positive upper bound: treat the lower bound as 0 (only NHCB can get here).
      if (rhs > 0 && b.upper > 0 && b.upper !== Infinity) return [(b.count * rhs) / b.upper, rhs / 2];
      if (b.upper <= 0) return [b.count, rhs];
      return [0, zeroIfInf(b.upper)];
    }
    if (rhs <= b.lower) return [b.count, 0];
    if (rhs >= 0 && b.upper > rhs && b.upper !== Infinity) return [b.count * (1 - rhs / b.upper), (rhs + b.upper) / 2];
    return [0, zeroIfInf(b.upper)];
  }
  if (b.upper === Infinity) {
    // Upper trim cannot know how much of an open-ended bucket lies below rhs: drop it.
    if (upperTrim) return [0, zeroIfInf(b.lower)];
    if (rhs >= b.lower) return [b.count, rhs];
    return [0, zeroIfInf(b.lower)];
  }
  throw new Error(`one of the bounds must be infinite for handleInfinityBuckets, got ${bucketString(b)}`);
}

/** computeBucketTrim: [kept count, midpoint of the kept part] of a bucket straddling rhs. */
function bucketTrim(b: Bucket, rhs: number, upperTrim: boolean, positive: boolean, custom: boolean): [number, number] {
  if (b.lower === -Infinity || b.upper === Infinity) return infinityBucketTrim(upperTrim, b, rhs);
  // computeSplit: the part of the count at or below rhs.
  let under: number;
  if (rhs <= b.lower) under = 0;
  else if (rhs >= b.upper) under = b.count;
  else under = b.count * trimFractionBelow(b, rhs, custom);
  if (upperTrim) return [under, trimMidpoint(b.lower, rhs, positive, custom)];
  return [b.count - under, trimMidpoint(rhs, b.upper, positive, custom)];
}

/**
 * computeZeroBucketTrim: the zero bucket is taken to extend only to the
 * populated side when the other side has no observations; linear interpolation.
 */
function zeroBucketTrim(zb: Bucket, rhs: number, hasNegative: boolean, hasPositive: boolean, upperTrim: boolean): [number, number] {
  let lower = zb.lower;
  let upper = zb.upper;
  if (hasNegative && !hasPositive) upper = 0;
  if (hasPositive && !hasNegative) lower = 0;
  let fraction: number;
  let midpoint: number;
  if (upperTrim) {
    if (rhs <= lower) return [0, 0];
    if (rhs >= upper) return [zb.count, (lower + upper) / 2];
    fraction = (rhs - lower) / (upper - lower);
    midpoint = (lower + rhs) / 2;
  } else {
    if (rhs <= lower) return [zb.count, (lower + upper) / 2];
    if (rhs >= upper) return [0, 0];
    fraction = (upper - rhs) / (upper - lower);
    midpoint = (rhs + upper) / 2;
  }
  return [zb.count * fraction, midpoint];
}

/** Bucket.String(): "[l,u]:c" / "(l,u]:c" with Go %g numbers. */
export function bucketString(b: Bucket): string {
  return `${b.lowerInclusive ? '[' : '('}${formatGoFloat(b.lower)},${formatGoFloat(b.upper)}${b.upperInclusive ? ']' : ')'}:${formatGoFloat(b.count)}`;
}

/**
 * floatBucketIterator as a list: buckets of one side, merged to targetSchema
 * (<= schema); for exponential schemas leading buckets with an upper bound <=
 * absoluteStartValue are skipped when absoluteStartValue != 0.
 */
export function bucketList(h: FloatHistogram, positive: boolean, absoluteStartValue: number, targetSchema: number): Bucket[] {
  const cv = positive ? h.customValues : [];
  return strippedList(h, positive, absoluteStartValue, targetSchema).map((b) => makeBucket(b.index, b.count, positive, targetSchema, cv));
}

interface StrippedBucket {
  index: number;
  count: number;
}

/** bucketList without bounds (Prometheus strippedAt): works for layouts whose indices exceed custom bounds. */
function strippedList(h: FloatHistogram, positive: boolean, absoluteStartValue: number, targetSchema: number): StrippedBucket[] {
  if (h.usesCustomBuckets() && targetSchema !== h.schema) {
    throw new HistogramError('invalid-schema-change', 'cannot merge from custom buckets schema to exponential schema');
  }
  if (!h.usesCustomBuckets() && isCustomBucketsSchema(targetSchema)) {
    throw new HistogramError('invalid-schema-change', 'cannot merge from exponential buckets schema to custom schema');
  }
  if (targetSchema > h.schema) {
    throw new HistogramError('invalid-schema-change', `cannot merge from schema ${h.schema} to ${targetSchema}`);
  }
  const raw = positive ? expand(h.positiveSpans, h.positiveBuckets) : expand(h.negativeSpans, h.negativeBuckets);
  const out: StrippedBucket[] = [];
  let reached = absoluteStartValue === 0;
  const exp = isExponentialSchema(targetSchema);
  let k = 0;
  while (k < raw.idx.length) {
    let idx = raw.idx[k]!;
    let count = raw.val[k]!;
    k++;
    if (h.schema !== targetSchema) {
      idx = targetIdx(idx, h.schema, targetSchema);
      while (k < raw.idx.length && targetIdx(raw.idx[k]!, h.schema, targetSchema) === idx) {
        count += raw.val[k]!;
        k++;
      }
    }
    if (!reached && exp && getBoundExponential(idx, targetSchema) <= absoluteStartValue) continue;
    reached = true;
    out.push({ index: idx, count });
  }
  return out;
}

function makeBucket(idx: number, count: number, positive: boolean, schema: number, cv: readonly number[]): Bucket {
  if (isCustomBucketsSchema(schema) && !Number.isInteger(idx)) {
    throw new HistogramError('invalid-layout', `invalid custom bucket index ${idx}`);
  }
  let lower: number;
  let upper: number;
  if (positive) {
    upper = getBound(idx, schema, cv);
    lower = getBound(idx - 1, schema, cv);
  } else {
    lower = -getBound(idx, schema, cv);
    upper = -getBound(idx - 1, schema, cv);
  }
  const custom = isCustomBucketsSchema(schema);
  return {
    lower,
    upper,
    lowerInclusive: custom ? idx === 0 : lower < 0,
    upperInclusive: custom ? true : upper > 0,
    count,
    index: idx,
  };
}

/** zeroCountForLargerThreshold: [zeroCount, adjusted threshold, Kahan compensation of the zero count]. */
function zeroCountForLargerThreshold(h: FloatHistogram, largerThreshold: number, c: FloatHistogram | null): [number, number, number] {
  let cZero = c === null ? 0 : c.zeroCount;
  if (largerThreshold === h.zeroThreshold) return [h.zeroCount, largerThreshold, cZero];
  if (!(largerThreshold > h.zeroThreshold)) {
    throw new HistogramError('invalid-layout', `new threshold ${largerThreshold} is less than old threshold ${h.zeroThreshold}`);
  }
  const pos = bucketList(h, true, 0, h.schema);
  const neg = bucketList(h, false, 0, h.schema);
  for (let guard = 0; ; guard++) {
    if (guard > pos.length + neg.length + 2) throw new HistogramError('invalid-layout', 'zero threshold does not converge');
    let hZero = h.zeroCount;
    for (let k = 0; k < pos.length; k++) {
      const b = pos[k]!;
      if (b.lower >= largerThreshold) break;
      [hZero, cZero] = kahanInc(b.count, hZero, cZero);
      if (c !== null) [hZero, cZero] = kahanInc(c.positiveBuckets[k] ?? 0, hZero, cZero);
      if (b.upper > largerThreshold) {
        if (b.count !== 0) largerThreshold = b.upper;
        break;
      }
    }
    let restart = false;
    for (let k = 0; k < neg.length; k++) {
      const b = neg[k]!;
      if (b.upper <= -largerThreshold) break;
      [hZero, cZero] = kahanInc(b.count, hZero, cZero);
      if (c !== null) [hZero, cZero] = kahanInc(c.negativeBuckets[k] ?? 0, hZero, cZero);
      if (b.lower < -largerThreshold) {
        if (b.count !== 0) {
          largerThreshold = -b.lower;
          restart = true;
        }
        break;
      }
    }
    if (!restart) return [hZero, largerThreshold, cZero];
  }
}

/** Working state of a sum: h plus optional compensation buckets with h's layout. */
interface Work {
  h: FloatHistogram;
  c: FloatHistogram | null;
}

/** trimBucketsInZeroBucket followed by the (Kahan) Compact(0) Prometheus does there. */
function trimBucketsInZeroBucket(w: Work): void {
  const { h, c } = w;
  const pos = bucketList(h, true, 0, h.schema);
  for (let k = 0; k < pos.length; k++) {
    if (pos[k]!.lower >= h.zeroThreshold) break;
    h.positiveBuckets[k] = 0;
    if (c !== null) c.positiveBuckets[k] = 0;
  }
  const neg = bucketList(h, false, 0, h.schema);
  for (let k = 0; k < neg.length; k++) {
    if (neg[k]!.upper <= -h.zeroThreshold) break;
    h.negativeBuckets[k] = 0;
    if (c !== null) c.negativeBuckets[k] = 0;
  }
  const p = compactSide(h.positiveSpans, h.positiveBuckets, c === null ? null : c.positiveBuckets, 0);
  const n = compactSide(h.negativeSpans, h.negativeBuckets, c === null ? null : c.negativeBuckets, 0);
  h.positiveSpans = p.spans;
  h.positiveBuckets = p.buckets;
  h.negativeSpans = n.spans;
  h.negativeBuckets = n.buckets;
  if (c !== null) {
    c.positiveSpans = cloneSpans(p.spans);
    c.positiveBuckets = p.comps;
    c.negativeSpans = cloneSpans(n.spans);
    c.negativeBuckets = n.comps;
  }
}

/**
 * reconcileZeroBuckets: widens w.h's zero bucket (mutating the working copy)
 * until it matches the other's, returning the zero count (and its Kahan
 * compensation) the other histogram would have with that threshold.
 */
function reconcileZeroBuckets(w: Work, other: FloatHistogram): [number, number] {
  let otherZeroCount = other.zeroCount;
  let otherZeroThreshold = other.zeroThreshold;
  let otherCZero = 0;
  const h = w.h;
  for (let guard = 0; otherZeroThreshold !== h.zeroThreshold; guard++) {
    if (guard > 4 + 2 * (h.positiveBuckets.length + h.negativeBuckets.length + other.positiveBuckets.length + other.negativeBuckets.length)) {
      throw new HistogramError('invalid-layout', 'zero thresholds do not converge');
    }
    if (h.zeroThreshold > otherZeroThreshold) {
      [otherZeroCount, otherZeroThreshold, otherCZero] = zeroCountForLargerThreshold(other, h.zeroThreshold, null);
    }
    if (otherZeroThreshold > h.zeroThreshold) {
      const [zc, zt, cz] = zeroCountForLargerThreshold(h, otherZeroThreshold, w.c);
      h.zeroCount = zc;
      h.zeroThreshold = zt;
      if (w.c !== null) w.c.zeroCount = cz;
      trimBucketsInZeroBucket(w);
    }
  }
  return [otherZeroCount, otherCZero];
}

function checkSchemas(h: FloatHistogram, o: FloatHistogram): void {
  if (h.usesCustomBuckets() !== o.usesCustomBuckets()) {
    throw new HistogramError('incompatible-schema', ERR_INCOMPATIBLE_SCHEMA_MSG);
  }
  checkHistogramLayout(h);
  checkHistogramLayout(o);
}

function addOrSub(self: FloatHistogram, o: FloatHistogram, negative: boolean): AddResult {
  checkSchemas(self, o);
  const h = self.copy();
  const adj = adjustCounterReset(h.counterResetHint, o.counterResetHint);
  h.counterResetHint = adj.hint;
  const w: Work = { h, c: null };
  if (!h.usesCustomBuckets()) {
    const [oz] = reconcileZeroBuckets(w, o);
    h.zeroCount = negative ? h.zeroCount - oz : h.zeroCount + oz;
  }
  h.count = negative ? h.count - o.count : h.count + o.count;
  h.sum = negative ? h.sum - o.sum : h.sum + o.sum;

  if (h.usesCustomBuckets()) {
    let reconciled = false;
    if (customBucketBoundsMatch(h.customValues, o.customValues)) {
      const r = addSides(h.schema, h.zeroThreshold, negative, h.positiveSpans, h.positiveBuckets, null, o.positiveSpans, o.positiveBuckets, null);
      h.positiveSpans = r.spans;
      h.positiveBuckets = r.buckets;
    } else {
      reconciled = true;
      const bounds = intersectCustomBucketBounds(h.customValues, o.customValues);
      const r = addCustomMismatched(negative, h.positiveSpans, h.positiveBuckets, h.customValues, o.positiveSpans, o.positiveBuckets, o.customValues, null, bounds);
      h.positiveSpans = r.spans;
      h.positiveBuckets = r.buckets;
      h.customValues = bounds;
    }
    return { h, nhcbBoundsReconciled: reconciled, counterResetCollision: adj.collision };
  }

  let oPS = o.positiveSpans;
  let oPB = o.positiveBuckets;
  let oNS = o.negativeSpans;
  let oNB = o.negativeBuckets;
  if (o.schema < h.schema) {
    const p = reduceSide(h.positiveSpans, h.positiveBuckets, null, h.schema, o.schema);
    const n = reduceSide(h.negativeSpans, h.negativeBuckets, null, h.schema, o.schema);
    h.positiveSpans = p.spans;
    h.positiveBuckets = p.buckets;
    h.negativeSpans = n.spans;
    h.negativeBuckets = n.buckets;
    h.schema = o.schema;
  } else if (o.schema > h.schema) {
    const p = reduceSide(oPS, oPB, null, o.schema, h.schema);
    const n = reduceSide(oNS, oNB, null, o.schema, h.schema);
    oPS = p.spans;
    oPB = p.buckets;
    oNS = n.spans;
    oNB = n.buckets;
  }
  const p = addSides(h.schema, h.zeroThreshold, negative, h.positiveSpans, h.positiveBuckets, null, oPS, oPB, null);
  const n = addSides(h.schema, h.zeroThreshold, negative, h.negativeSpans, h.negativeBuckets, null, oNS, oNB, null);
  h.positiveSpans = p.spans;
  h.positiveBuckets = p.buckets;
  h.negativeSpans = n.spans;
  h.negativeBuckets = n.buckets;
  return { h, nhcbBoundsReconciled: false, counterResetCollision: adj.collision };
}

function newCompensation(h: FloatHistogram): FloatHistogram {
  return new FloatHistogram({
    counterResetHint: h.counterResetHint,
    schema: h.schema,
    zeroThreshold: h.zeroThreshold,
    customValues: h.customValues.slice(),
    positiveSpans: cloneSpans(h.positiveSpans),
    positiveBuckets: new Array<number>(h.positiveBuckets.length).fill(0),
    negativeSpans: cloneSpans(h.negativeSpans),
    negativeBuckets: h.usesCustomBuckets() ? [] : new Array<number>(h.negativeBuckets.length).fill(0),
  });
}

function kahanAddImpl(self: FloatHistogram, o: FloatHistogram, cIn: FloatHistogram | null): KahanAddResult {
  checkSchemas(self, o);
  const h = self.copy();
  const adj = adjustCounterReset(h.counterResetHint, o.counterResetHint);
  h.counterResetHint = adj.hint;
  let c: FloatHistogram;
  if (cIn === null) {
    c = newCompensation(h);
  } else {
    // Copy without Copy()'s custom-bucket field dropping: c must keep h's layout.
    c = new FloatHistogram({
      schema: cIn.schema,
      zeroThreshold: cIn.zeroThreshold,
      zeroCount: cIn.zeroCount,
      count: cIn.count,
      sum: cIn.sum,
      counterResetHint: cIn.counterResetHint,
      customValues: cIn.customValues.slice(),
      positiveSpans: cloneSpans(cIn.positiveSpans),
      positiveBuckets: cIn.positiveBuckets.slice(),
      negativeSpans: cloneSpans(cIn.negativeSpans),
      negativeBuckets: cIn.negativeBuckets.slice(),
    });
    if (c.positiveBuckets.length !== h.positiveBuckets.length || c.negativeBuckets.length !== h.negativeBuckets.length) {
      throw new HistogramError('invalid-layout', 'compensation histogram layout does not match the histogram');
    }
  }
  const w: Work = { h, c };
  if (!h.usesCustomBuckets()) {
    const [oz, ocz] = reconcileZeroBuckets(w, o);
    [h.zeroCount, c.zeroCount] = kahanInc(oz, h.zeroCount, c.zeroCount);
    [h.zeroCount, c.zeroCount] = kahanInc(ocz, h.zeroCount, c.zeroCount);
  }
  [h.count, c.count] = kahanInc(o.count, h.count, c.count);
  [h.sum, c.sum] = kahanInc(o.sum, h.sum, c.sum);

  if (h.usesCustomBuckets()) {
    let reconciled = false;
    if (customBucketBoundsMatch(h.customValues, o.customValues)) {
      const r = addSides(h.schema, h.zeroThreshold, false, h.positiveSpans, h.positiveBuckets, c.positiveBuckets, o.positiveSpans, o.positiveBuckets, null);
      h.positiveSpans = r.spans;
      h.positiveBuckets = r.buckets;
      c.positiveBuckets = r.comps;
    } else {
      reconciled = true;
      const bounds = intersectCustomBucketBounds(h.customValues, o.customValues);
      const r = addCustomMismatched(false, h.positiveSpans, h.positiveBuckets, h.customValues, o.positiveSpans, o.positiveBuckets, o.customValues, c.positiveBuckets, bounds);
      h.positiveSpans = r.spans;
      h.positiveBuckets = r.buckets;
      c.positiveBuckets = r.comps;
      h.customValues = bounds;
      c.customValues = bounds.slice();
    }
    c.positiveSpans = cloneSpans(h.positiveSpans);
    return { h, c, nhcbBoundsReconciled: reconciled, counterResetCollision: adj.collision };
  }

  let hPC: number[] = c.positiveBuckets;
  let hNC: number[] = c.negativeBuckets;
  let oPS = o.positiveSpans;
  let oPB = o.positiveBuckets;
  let oNS = o.negativeSpans;
  let oNB = o.negativeBuckets;
  let oPC: number[] | null = null;
  let oNC: number[] | null = null;
  if (o.schema < h.schema) {
    const p = reduceSide(h.positiveSpans, h.positiveBuckets, hPC, h.schema, o.schema);
    const n = reduceSide(h.negativeSpans, h.negativeBuckets, hNC, h.schema, o.schema);
    h.positiveSpans = p.spans;
    h.positiveBuckets = p.buckets;
    hPC = p.comps;
    h.negativeSpans = n.spans;
    h.negativeBuckets = n.buckets;
    hNC = n.comps;
    h.schema = o.schema;
  } else if (o.schema > h.schema) {
    if (oPB.length > 0) {
      const p = reduceSide(oPS, oPB, new Array<number>(oPB.length).fill(0), o.schema, h.schema);
      oPS = p.spans;
      oPB = p.buckets;
      oPC = p.comps;
    }
    if (oNB.length > 0) {
      const n = reduceSide(oNS, oNB, new Array<number>(oNB.length).fill(0), o.schema, h.schema);
      oNS = n.spans;
      oNB = n.buckets;
      oNC = n.comps;
    }
  }
  const p = addSides(h.schema, h.zeroThreshold, false, h.positiveSpans, h.positiveBuckets, hPC, oPS, oPB, oPC);
  const n = addSides(h.schema, h.zeroThreshold, false, h.negativeSpans, h.negativeBuckets, hNC, oNS, oNB, oNC);
  h.positiveSpans = p.spans;
  h.positiveBuckets = p.buckets;
  h.negativeSpans = n.spans;
  h.negativeBuckets = n.buckets;
  c.positiveBuckets = p.comps;
  c.negativeBuckets = n.comps;
  c.schema = h.schema;
  c.zeroThreshold = h.zeroThreshold;
  c.positiveSpans = cloneSpans(h.positiveSpans);
  c.negativeSpans = cloneSpans(h.negativeSpans);
  return { h, c, nhcbBoundsReconciled: false, counterResetCollision: adj.collision };
}

function detectResetLists(curr: readonly StrippedBucket[], prev: readonly StrippedBucket[]): boolean {
  let pi = 0;
  let ci = 0;
  if (pi >= prev.length) return false;
  let pb = prev[pi++]!;
  if (ci >= curr.length) {
    for (;;) {
      if (pb.count !== 0) return true;
      if (pi >= prev.length) return false;
      pb = prev[pi++]!;
    }
  }
  let cb = curr[ci++]!;
  for (;;) {
    while (cb.index < pb.index) {
      if (ci >= curr.length) {
        for (;;) {
          if (pb.count !== 0) return true;
          if (pi >= prev.length) return false;
          pb = prev[pi++]!;
        }
      }
      cb = curr[ci++]!;
    }
    if (cb.index > pb.index) {
      if (pb.count !== 0) return true;
    } else if (cb.count < pb.count) {
      return true;
    }
    if (pi >= prev.length) return false;
    pb = prev[pi++]!;
  }
}

function rollup(list: readonly Bucket[], pos: { i: number }, bound: number): number {
  let sum = 0;
  while (pos.i < list.length && list[pos.i]!.upper <= bound) {
    sum += list[pos.i]!.count;
    pos.i++;
  }
  return sum;
}

function detectResetWithMismatchedCustomBounds(h: FloatHistogram, prev: FloatHistogram): boolean {
  const curr = bucketList(h, true, 0, CUSTOM_BUCKETS_SCHEMA);
  const prv = bucketList(prev, true, 0, CUSTOM_BUCKETS_SCHEMA);
  const cb = h.customValues;
  const pbs = prev.customValues;
  const cp = { i: 0 };
  const pp = { i: 0 };
  let ci = 0;
  let pi = 0;
  while (ci <= cb.length && pi <= pbs.length) {
    const currBound = ci < cb.length ? cb[ci]! : Infinity;
    const prevBound = pi < pbs.length ? pbs[pi]! : Infinity;
    if (currBound === prevBound) {
      const cs = rollup(curr, cp, currBound);
      const ps = rollup(prv, pp, currBound);
      if (cs < ps) return true;
      ci++;
      pi++;
    } else if (currBound < prevBound) {
      ci++;
    } else {
      pi++;
    }
  }
  return false;
}

function detectResetImpl(h: FloatHistogram, prev: FloatHistogram): boolean {
  if (h.counterResetHint === 'reset') return true;
  if (h.counterResetHint === 'not_reset') return false;
  if (h.count < prev.count) return true;
  if (h.usesCustomBuckets()) {
    if (!prev.usesCustomBuckets()) return true;
    if (!customBucketBoundsMatch(h.customValues, prev.customValues)) {
      return detectResetWithMismatchedCustomBounds(h, prev);
    }
  }
  if (h.schema > prev.schema) return true;
  if (h.zeroThreshold < prev.zeroThreshold) return true;
  if (prev.usesCustomBuckets() !== h.usesCustomBuckets()) return true;
  const [prevZero, newThreshold] = zeroCountForLargerThreshold(prev, h.zeroThreshold, null);
  if (newThreshold !== h.zeroThreshold) return true;
  if (h.zeroCount < prevZero) return true;
  if (detectResetLists(strippedList(h, true, h.zeroThreshold, h.schema), strippedList(prev, true, h.zeroThreshold, h.schema))) return true;
  return detectResetLists(strippedList(h, false, h.zeroThreshold, h.schema), strippedList(prev, false, h.zeroThreshold, h.schema));
}
