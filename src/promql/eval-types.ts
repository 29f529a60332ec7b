// Internal value types of the evaluator (Prometheus promql.Series / Sample). Floats live in typed
// arrays; native histogram samples, rare next to floats, ride along in optional side arrays.
import type { Labels } from '../labels/labels.ts';
import { FloatHistogram } from './histogram/index.ts';
import type { FloatHistogramSample } from '../storage/interfaces.ts';

/** One element of an instant vector during evaluation. */
export interface ESample {
  metric: Labels;
  /** Timestamp (ms): the step time, or the sample time for timestamp(). */
  t: number;
  v: number;
  /** Delayed __name__ removal (Prometheus DropName). */
  dropName: boolean;
  /** Ordinal of the source series within its argument matrix (set when gathered by rangeEval). */
  si?: number;
  /** A native histogram sample (then `v` is unused). */
  h?: FloatHistogram;
}

/** A series of step-aligned points (output of range evaluation): parallel typed arrays, `n` used. */
export interface ESeries {
  metric: Labels;
  ts: Float64Array;
  vs: Float64Array;
  n: number;
  dropName: boolean;
  /**
   * Histogram points, parallel to ts/vs: point i is a histogram when `hs[i]` is set (its `vs[i]`
   * is then meaningless). Absent on float-only series. Only operators that handle histograms get
   * series with histogram points (Evaluator.eval strips them for all others).
   */
  hs?: (FloatHistogram | undefined)[];
}

/** Raw samples of one selected series over the selector's whole time range (stale markers kept). */
export interface RawSeries {
  labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
  n: number;
  /** Same samples with staleness markers removed (for range windows); built lazily. */
  fts?: Float64Array;
  fvs?: Float64Array;
  fn?: number;
  /** Series coming from a subquery whose samples already carry DropName. */
  dropName?: boolean;
  /** Native histogram samples of the series (time-sorted, disjoint from ts/vs); absent when none. */
  hts?: Float64Array;
  hvs?: FloatHistogram[];
}

export function newSeries(metric: Labels, cap: number, dropName: boolean): ESeries {
  return { metric, ts: new Float64Array(cap), vs: new Float64Array(cap), n: 0, dropName };
}

/** Appends a point: a float `v`, or the histogram `h` when given (see ESeries.hs). */
export function pushPoint(s: ESeries, t: number, v: number, h?: FloatHistogram): void {
  if (s.n === s.ts.length) {
    const cap = Math.max(4, s.n * 2);
    const nt = new Float64Array(cap);
    nt.set(s.ts);
    const nv = new Float64Array(cap);
    nv.set(s.vs);
    s.ts = nt;
    s.vs = nv;
  }
  s.ts[s.n] = t;
  s.vs[s.n] = v;
  if (h !== undefined) (s.hs ??= [])[s.n] = h;
  s.n++;
}

/** The engine's histogram type for a storage sample (no copy when it already is one). */
export function toFloatHistogram(h: FloatHistogramSample): FloatHistogram {
  if (h instanceof FloatHistogram) return h;
  return new FloatHistogram({
    schema: h.schema,
    zeroThreshold: h.zeroThreshold,
    zeroCount: h.zeroCount,
    count: h.count,
    sum: h.sum,
    positiveSpans: h.positiveSpans.map((x) => ({ offset: x.offset, length: x.length })),
    positiveBuckets: h.positiveBuckets.slice(),
    negativeSpans: h.negativeSpans.map((x) => ({ offset: x.offset, length: x.length })),
    negativeBuckets: h.negativeBuckets.slice(),
    customValues: h.customValues.slice(),
    counterResetHint: h.counterResetHint,
  });
}

/** True when the series has at least one histogram point. */
export function hasHistograms(s: ESeries): boolean {
  return s.hs !== undefined;
}

/**
 * Removes histogram points (in place) for operators that only handle floats; series left without
 * points are dropped. Float-only input is returned as is.
 */
export function stripHistograms(mat: ESeries[]): ESeries[] {
  let any = false;
  for (const s of mat) if (s.hs !== undefined) any = true;
  if (!any) return mat;
  const out: ESeries[] = [];
  for (const s of mat) {
    const hs = s.hs;
    if (hs !== undefined) {
      let j = 0;
      for (let i = 0; i < s.n; i++) {
        if (hs[i] !== undefined) continue;
        s.ts[j] = s.ts[i]!;
        s.vs[j] = s.vs[i]!;
        j++;
      }
      s.n = j;
      delete s.hs;
    }
    if (s.n > 0) out.push(s);
  }
  return out;
}

/** Labels Prometheus treats as metadata and removes with __name__ (schema.IsMetadataLabel). */
export function dropMetadata(l: Labels): Labels {
  if (!l.has('__name__') && !l.has('__type__') && !l.has('__unit__')) return l;
  return l.without('__name__', '__type__', '__unit__');
}
