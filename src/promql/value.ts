// PromQL result values and the engine's public contract (used by the HTTP API and the test-script
// runner). Errors carry Prometheus's error types so the API can map them to the same HTTP codes.
import type { Labels } from '../labels/labels.ts';
import type { Queryable } from '../storage/interfaces.ts';
import type { FloatHistogram } from './histogram/index.ts';

export interface ScalarValue {
  resultType: 'scalar';
  t: number;
  v: number;
}

export interface StringValue {
  resultType: 'string';
  t: number;
  v: string;
}

/** One element of an instant vector: a float `v`, or a native histogram `h` (then `v` is 0). */
export interface Sample {
  metric: Labels;
  t: number;
  v: number;
  h?: FloatHistogram;
}

export interface VectorValue {
  resultType: 'vector';
  samples: Sample[];
}

/**
 * One series of a range result: parallel arrays of timestamps and float values, and (only when
 * the series has native histogram points) parallel arrays of their timestamps and histograms,
 * as Prometheus' Series{Floats, Histograms}.
 */
export interface MatrixSeries {
  metric: Labels;
  ts: number[];
  vs: number[];
  hts?: number[];
  hvs?: FloatHistogram[];
}

export interface MatrixValue {
  resultType: 'matrix';
  series: MatrixSeries[];
}

export type Value = ScalarValue | StringValue | VectorValue | MatrixValue;

/** Prometheus API error types (`errorType` in the JSON envelope). */
export type PromErrorType =
  | 'bad_data'
  | 'timeout'
  | 'canceled'
  | 'execution'
  | 'internal'
  | 'unavailable'
  | 'not_found'
  | 'not_acceptable';

export class PromQLError extends Error {
  override name = 'PromQLError';
  constructor(
    readonly errorType: PromErrorType,
    message: string,
  ) {
    super(message);
  }
}

export interface QueryOptions {
  /** Lookback delta in ms (default 5m). */
  lookbackDelta?: number;
  /** Timeout in ms (default 2m). */
  timeout?: number;
  /** Max samples loaded at once (default 50,000,000). */
  maxSamples?: number;
  /** Default subquery step in ms when `[r:]` has no step (Prometheus: global evaluation interval, 1m). */
  defaultSubqueryStep?: number;
  /** Enables experimental functions and syntax (test scripts do). */
  enableExperimental?: boolean;
  /** Collect per-query stats (API `stats=all`). */
  stats?: boolean;
  signal?: AbortSignal;
}

export interface QueryStats {
  totalQueryableSamples: number;
  peakSamples: number;
  timings: { evalTotalTime: number; queryPreparationTime: number; execTotalTime: number };
}

export interface QueryResult {
  value: Value;
  /** Annotation texts as the API renders them, e.g. "PromQL warning: … (1:5)". */
  warnings: string[];
  infos: string[];
  stats?: QueryStats;
}

export interface QueryEngine {
  /** Evaluates at one instant `time` (ms). Throws PromQLError. */
  instantQuery(q: Queryable, query: string, time: number, opts?: QueryOptions): Promise<QueryResult>;
  /** Evaluates over [start, end] every `step` ms. Throws PromQLError. */
  rangeQuery(q: Queryable, query: string, start: number, end: number, step: number, opts?: QueryOptions): Promise<QueryResult>;
}
