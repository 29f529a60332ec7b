// Storage-agnostic contracts shared by the head, blocks, the store gateway, the StoreAPI client,
// and PromQL. Timestamps are milliseconds since the epoch as JS numbers (exact up to 2^53).
import type { Labels } from '../labels/labels.ts';
import type { Matcher } from '../labels/matcher.ts';

/** What an iterator is positioned on (Prometheus chunkenc.ValueType). */
export const ValueType = {
  None: 0,
  Float: 1,
  Histogram: 2,
  FloatHistogram: 3,
} as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/** One bucket span of a native histogram (Prometheus histogram.Span). */
export interface HistogramSpan {
  readonly offset: number;
  readonly length: number;
}

/**
 * A native histogram sample with float counts (Prometheus histogram.FloatHistogram): bucket
 * counts are absolute, `customValues` holds the upper bounds of schema −53 (custom buckets).
 * Readers must not mutate it (samples may be shared between series and steps).
 */
export interface FloatHistogramSample {
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  readonly count: number;
  readonly sum: number;
  readonly positiveSpans: readonly HistogramSpan[];
  readonly positiveBuckets: readonly number[];
  readonly negativeSpans: readonly HistogramSpan[];
  readonly negativeBuckets: readonly number[];
  readonly customValues: readonly number[];
  readonly counterResetHint: 'unknown' | 'reset' | 'not_reset' | 'gauge';
}

/**
 * Iterates the samples of one series in time order, allocation-free: after next()/seek() returned
 * ValueType.Float, read `t` and `v`. Staleness markers are NaN values for which `isStaleNaN(v)` is true.
 */
export interface SampleIterator {
  /** Advances; returns ValueType.None at the end. */
  next(): ValueType;
  /** Advances to the first sample with timestamp >= t (no-op if already there); None if none. */
  seek(t: number): ValueType;
  /** Timestamp of the current sample. */
  readonly t: number;
  /** Value of the current float sample. */
  readonly v: number;
  /**
   * The current sample when next()/seek() returned ValueType.FloatHistogram (Prometheus
   * `AtFloatHistogram()`). Optional and additive: only sources that store native histograms set
   * it (the in-memory store today; remote write rejects histograms, so the head and blocks hold none).
   */
  readonly fh?: FloatHistogramSample | null;
  /**
   * Start timestamp (ms) of the current sample, as Prometheus' `AtST()`: when the cumulative
   * counter (or the delta interval) this sample belongs to started; 0 when this sample has none.
   * Optional and additive: iterators over sources that never store start timestamps leave it
   * `undefined` for every sample, which readers treat exactly like 0. Only the in-memory store
   * (storage/memory.ts) fills it today; the head, blocks and the StoreAPI path ignore start
   * timestamps (remote write 1.0 carries none).
   */
  readonly st?: number;
  /** Error that stopped iteration early, if any. */
  err(): Error | null;
}

/** Encodings of chunk bytes as in Prometheus chunkenc (1 = XOR). Thanos aggregate chunks are 0xFF. */
export const ChunkEncoding = {
  None: 0,
  XOR: 1,
  Histogram: 2,
  FloatHistogram: 3,
  ThanosAggr: 0xff,
} as const;
export type ChunkEncoding = (typeof ChunkEncoding)[keyof typeof ChunkEncoding];

/** A chunk as stored on disk/wire: raw encoded bytes plus its time range (inclusive). */
export interface ChunkMeta {
  minTime: number;
  maxTime: number;
  encoding: number;
  data: Uint8Array;
}

/** One series as returned by a select. */
export interface Series {
  readonly labels: Labels;
  /** A fresh iterator over the series' samples (optionally reusing `reuse`). */
  iterator(reuse?: SampleIterator): SampleIterator;
  /** Raw chunks overlapping the selected range, when the source can give them without re-encoding. */
  chunks?(): ChunkMeta[];
}

/** Hints passed to select (Prometheus storage.SelectHints). */
export interface SelectHints {
  /** Inclusive time range of samples needed. */
  start: number;
  end: number;
  /** Query step in ms (0 for instant queries); informative. */
  step?: number;
  /** Function applied to the selector (e.g. "rate", "series" for metadata only). */
  func?: string;
  /** Range of the matrix selector in ms, if any. */
  range?: number;
  /** Labels of an aggregation `by`/`without`, informative. */
  grouping?: string[];
  by?: boolean;
  /** Downsampling: maximum resolution (ms) the caller accepts; 0 = raw only. */
  maxResolution?: number;
  /** Only labels are needed (series API); chunks may be skipped. */
  skipChunks?: boolean;
  /** Limit on the number of series (0 = none). */
  limit?: number;
}

/** A set of series sorted by labels (Labels.compare), plus non-fatal warnings from the source. */
export interface SeriesSet extends AsyncIterable<Series> {
  /** Warnings collected so far (complete once iteration has finished). */
  warnings(): string[];
}

/** Reads series and labels over a fixed time range [mint, maxt]. */
export interface Querier {
  select(hints: SelectHints, matchers: readonly Matcher[]): SeriesSet;
  /** Sorted, de-duplicated values of `name` among series matching `matchers` (all if empty). */
  labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult>;
  /** Sorted, de-duplicated label names among series matching `matchers`. */
  labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult>;
  close(): void;
}

export interface LabelHints {
  limit?: number;
}

export interface LabelResult {
  values: string[];
  warnings: string[];
}

/** Anything that can open a Querier for a time range (head, block, fan-out proxy, …). */
export interface Queryable {
  querier(mint: number, maxt: number): Querier;
}

/** Classified append failures; `receive` maps them to HTTP status codes. */
export type AppendErrorKind =
  | 'out_of_order' // sample older than the series' newest sample (outside any OOO window)
  | 'duplicate' // same timestamp, different value
  | 'out_of_bounds' // timestamp too old for the head (before its min valid time)
  | 'invalid_labels'
  | 'too_old'
  | 'limit';

export class AppendError extends Error {
  override name = 'AppendError';
  constructor(
    readonly kind: AppendErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Transactional append into a head. append() checks each sample against the head's state and
 * buffers it; commit() writes series and samples to the WAL, waits until the WAL has them (and
 * fsync when enabled), then makes them visible. An exact duplicate (same t, same value bits) of a
 * stored sample is accepted silently (idempotent retries).
 */
export interface Appender {
  /**
   * Appends a float sample. `ref` is a series reference returned earlier for the same labels by
   * this head (0 when unknown). Returns the series ref. Throws AppendError for rejected samples.
   */
  append(ref: number, labels: Labels, t: number, v: number): number;
  /** Appends an exemplar to the series `ref` (kept in memory). */
  appendExemplar?(ref: number, labels: Labels, exemplar: Exemplar): void;
  commit(): Promise<void>;
  rollback(): void;
}

export interface Exemplar {
  labels: Labels;
  value: number;
  ts: number;
}

export interface MetricMetadata {
  type: string; // counter, gauge, histogram, gaugehistogram, summary, info, stateset, unknown
  help: string;
  unit: string;
}
