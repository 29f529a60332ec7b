// Internal value types of the evaluator (Prometheus promql.Series / Sample, float-only for now).
import type { Labels } from '../labels/labels.ts';

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
}

/** A series of step-aligned points (output of range evaluation): parallel typed arrays, `n` used. */
export interface ESeries {
  metric: Labels;
  ts: Float64Array;
  vs: Float64Array;
  n: number;
  dropName: boolean;
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
}

export function newSeries(metric: Labels, cap: number, dropName: boolean): ESeries {
  return { metric, ts: new Float64Array(cap), vs: new Float64Array(cap), n: 0, dropName };
}

export function pushPoint(s: ESeries, t: number, v: number): void {
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
  s.n++;
}

/** Labels Prometheus treats as metadata and removes with __name__ (schema.IsMetadataLabel). */
export function dropMetadata(l: Labels): Labels {
  if (!l.has('__name__') && !l.has('__type__') && !l.has('__unit__')) return l;
  return l.without('__name__', '__type__', '__unit__');
}
