// The PromQL evaluation engine (Prometheus 3.x promql/engine.go semantics, float samples).
//
// Evaluation is step-vectorised as in Prometheus: every node evaluates to a matrix of step-aligned
// points for the whole [start, end] range. Before evaluation, each selector's series are selected
// once for its whole time range and decoded into typed arrays; selectors then walk those arrays
// forward with pointers across steps (no re-select or re-decode per step).
import { Labels, LabelsBuilder, compareStrings } from '../labels/labels.ts';
import { compileAnchoredRegex, translateRE2, Matcher as MatcherCtor } from '../labels/matcher.ts';
import type { Matcher } from '../labels/matcher.ts';
import type { Querier, Queryable, SampleIterator } from '../storage/interfaces.ts';
import {
  FloatHistogram, histogramAvg, histogramCount, histogramFraction, histogramQuantile, histogramStdDev, histogramStdVar, histogramSum,
} from './histogram/index.ts';
import { ValueType } from '../storage/interfaces.ts';
import { isStaleNaN } from '../tsdb/stale.ts';
import {
  exprType,
  type AggregateExpr,
  type AtModifier,
  type BinaryExpr,
  type Call,
  type DurationExpr,
  type Expr,
  type MatrixSelector,
  type PosRange,
  type SubqueryExpr,
  type VectorSelector,
} from './ast.ts';
import {
  PromQLError,
  type MatrixSeries,
  type QueryEngine,
  type QueryOptions,
  type QueryResult,
  type Sample,
  type Value,
} from './value.ts';
import { Anno, Annotations, formatG, type Annotation } from './annotations.ts';
import { dropMetadata, newSeries, pushPoint, stripHistograms, toFloatHistogram, type ESample, type ESeries, type RawSeries } from './eval-types.ts';
import { aggregate, aggregateK, countValues, StreamAggregator, STREAMING_AGG_OPS, type AggEnv } from './aggregations.ts';
import {
  BinopError,
  BinopState,
  changesMetricSchema,
  elemBinop,
  goLabelsString,
  elemBinopHist,
  isComparison,
  type HistBinopResult,
  scalarBinop,
  signatureFn,
  vectorAnd,
  vectorBinop,
  vectorOr,
  vectorUnless,
} from './binary.ts';
import { FunctionError, RANGE_FUNCTIONS, countResets, type RangeCallCtx } from './functions/range.ts';
import { histogramRangeFn, interpolateHistogramsAt, type HistRangeCtx, type HistWindow } from './functions/histogram-range.ts';
import { INSTANT_FUNCTIONS, SIMPLE_FUNCTIONS, goMaxF, goMinF, type InstantCtx } from './functions/instant.ts';
import { bucketFraction, bucketQuantile, searchIdx, type Bucket } from './functions/math.ts';

export interface EngineOptions {
  lookbackDelta?: number;
  timeout?: number;
  maxSamples?: number;
  defaultSubqueryStep?: number;
  enableExperimental?: boolean;
  /**
   * Use sample start timestamps (SampleIterator.st) in rate/increase/irate/resets and
   * start_timestamp(), as Prometheus' UseStartTimestamps (default false).
   */
  useStartTimestamps?: boolean;
}

const DEFAULT_LOOKBACK = 5 * 60 * 1000;
const DEFAULT_TIMEOUT = 2 * 60 * 1000;
const DEFAULT_MAX_SAMPLES = 50_000_000;
const DEFAULT_SUBQUERY_STEP = 60_000;

/** Thrown inside evaluation; converted to PromQLError at the boundary. */
class EvalError extends Error {
  constructor(
    readonly errorType: 'execution' | 'timeout' | 'canceled' | 'bad_data',
    message: string,
  ) {
    super(message);
  }
}

type EvalValue = ESeries[] | { str: string };

/**
 * Optional bulk read of a fresh sample iterator (the head's ChunkListIterator has it): samples with
 * from ≤ t ≤ to written at `off`, at most sampleCountUpperBound() of them; err() afterwards.
 */
interface BulkRangeReader {
  sampleCountUpperBound(): number;
  readRange(from: number, to: number, ts: Float64Array, vs: Float64Array, off: number): number;
}

const EMPTY_F64 = new Float64Array(0);
/** Samples per loadSeries arena (1 MiB per array). */
const ARENA_SAMPLES = 131072;

/** Receives one output series of a streamed evaluation; the arrays are reused after the call returns. */
/** Receives one step-aligned output row; `hs` marks histogram points (as ESeries.hs). */
type SeriesSink = (metric: Labels, ts: Float64Array, vs: Float64Array, n: number, dropName: boolean, hs?: (FloatHistogram | undefined)[]) => void;

interface SelectorData {
  series: RawSeries[];
}

const ANCHORED_SAFE = ['changes', 'delta', 'increase', 'rate', 'resets'];
const SMOOTHED_SAFE = ['delta', 'increase', 'rate'];

type ParseFn = (input: string, opts?: { experimental?: boolean }) => Expr;
let parseFnPromise: Promise<{ parse: ParseFn; ParseErrorCtor: new (...a: never[]) => Error }> | null = null;
async function loadParser(): Promise<{ parse: ParseFn; ParseErrorCtor: new (...a: never[]) => Error }> {
  if (!parseFnPromise) {
    const path = './parser.ts';
    parseFnPromise = import(path).then((m: { parseExpr: ParseFn; ParseError: new (...a: never[]) => Error }) => ({
      parse: m.parseExpr,
      ParseErrorCtor: m.ParseError,
    }));
  }
  return parseFnPromise;
}

export class Engine implements QueryEngine {
  readonly lookbackDelta: number;
  readonly timeout: number;
  readonly maxSamples: number;
  readonly defaultSubqueryStep: number;
  readonly enableExperimental: boolean;
  readonly useStartTimestamps: boolean;

  constructor(opts: EngineOptions = {}) {
    this.lookbackDelta = opts.lookbackDelta ?? DEFAULT_LOOKBACK;
    this.timeout = opts.timeout ?? DEFAULT_TIMEOUT;
    this.maxSamples = opts.maxSamples ?? DEFAULT_MAX_SAMPLES;
    this.defaultSubqueryStep = opts.defaultSubqueryStep ?? DEFAULT_SUBQUERY_STEP;
    this.enableExperimental = opts.enableExperimental ?? false;
    this.useStartTimestamps = opts.useStartTimestamps ?? false;
  }

  async instantQuery(q: Queryable, query: string, time: number, opts?: QueryOptions): Promise<QueryResult> {
    const expr = await this.parse(query, opts);
    return this.evalExpr(q, expr, query, time, time, 0, opts);
  }

  async rangeQuery(q: Queryable, query: string, start: number, end: number, step: number, opts?: QueryOptions): Promise<QueryResult> {
    const expr = await this.parse(query, opts);
    const t = exprType(expr);
    if (t !== 'vector' && t !== 'scalar') {
      throw new PromQLError('bad_data', `invalid expression type "${typeString(t)}" for range query, must be Scalar or instant Vector`);
    }
    if (step <= 0) throw new PromQLError('bad_data', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    if (end < start) throw new PromQLError('bad_data', 'end timestamp must not be before start time');
    return this.evalExpr(q, expr, query, start, end, step, opts);
  }

  private async parse(query: string, opts?: QueryOptions): Promise<Expr> {
    const { parse, ParseErrorCtor } = await loadParser();
    try {
      return parse(query, { experimental: opts?.enableExperimental ?? this.enableExperimental });
    } catch (err) {
      if (err instanceof ParseErrorCtor || err instanceof Error) throw new PromQLError('bad_data', (err as Error).message);
      throw err;
    }
  }

  /**
   * Evaluates a parsed expression (step 0 = instant query). `query` is the source text used to
   * render annotation positions. Exposed for callers that already hold an AST (and for tests).
   */
  async evalExpr(q: Queryable, expr: Expr, query: string, start: number, end: number, step: number, opts?: QueryOptions): Promise<QueryResult> {
    const t0 = performance.now();
    const ev = new Evaluator({
      start,
      end,
      interval: step === 0 ? 1 : step,
      lookback: opts?.lookbackDelta ?? this.lookbackDelta,
      maxSamples: opts?.maxSamples ?? this.maxSamples,
      deadline: Date.now() + (opts?.timeout ?? this.timeout),
      timeoutMs: opts?.timeout ?? this.timeout,
      signal: opts?.signal,
      defaultSubqueryStep: opts?.defaultSubqueryStep ?? this.defaultSubqueryStep,
      queryStep: step,
      useST: this.useStartTimestamps,
    });
    let querier: Querier | null = null;
    try {
      try {
        resolveDurations(expr, step, end - start);
      } catch (e) {
        throw new PromQLError('bad_data', (e as Error).message);
      }
      const [mint, maxt] = ev.findMinMaxTime(expr);
      querier = q.querier(mint, maxt);
      const tPrep = performance.now();
      await ev.populate(querier, expr);
      const tEval = performance.now();
      const val = ev.run(expr);
      const value = toValue(val, expr, start, step === 0);
      const { warnings, infos } = ev.annos.asStrings(query);
      const res: QueryResult = { value, warnings: [...ev.storageWarnings, ...warnings], infos };
      if (opts?.stats) {
        res.stats = {
          totalQueryableSamples: ev.totalSamples,
          peakSamples: ev.peakSamples,
          timings: {
            evalTotalTime: (performance.now() - tEval) / 1000,
            queryPreparationTime: (tEval - tPrep) / 1000,
            execTotalTime: (performance.now() - t0) / 1000,
          },
        };
      }
      return res;
    } catch (err) {
      if (err instanceof PromQLError) throw err;
      if (err instanceof EvalError) throw new PromQLError(err.errorType, err.message);
      if (err instanceof BinopError || err instanceof FunctionError) throw new PromQLError('execution', err.message);
      throw new PromQLError('execution', err instanceof Error ? err.message : String(err));
    } finally {
      querier?.close();
    }
  }
}

function typeString(t: string): string {
  switch (t) {
    case 'matrix': return 'range vector';
    case 'vector': return 'instant vector';
    case 'string': return 'string';
    case 'scalar': return 'scalar';
    default: return t;
  }
}

function toValue(val: EvalValue, expr: Expr, start: number, instant: boolean): Value {
  if (!Array.isArray(val)) return { resultType: 'string', t: start, v: val.str };
  const t = exprType(expr);
  if (instant && t === 'vector') {
    const samples: Sample[] = val.map((s) => {
      const h = s.hs?.[0];
      return h ? { metric: s.metric, t: start, v: 0, h } : { metric: s.metric, t: start, v: s.vs[0]! };
    });
    return { resultType: 'vector', samples };
  }
  if (instant && t === 'scalar') {
    return { resultType: 'scalar', t: start, v: val.length > 0 && val[0]!.n > 0 ? val[0]!.vs[0]! : NaN };
  }
  const series: MatrixSeries[] = val
    .slice()
    .sort((a, b) => Labels.compare(a.metric, b.metric))
    .map((s) => {
      const hs = s.hs;
      if (hs === undefined) return { metric: s.metric, ts: Array.from(s.ts.subarray(0, s.n)), vs: Array.from(s.vs.subarray(0, s.n)) };
      const m: MatrixSeries = { metric: s.metric, ts: [], vs: [], hts: [], hvs: [] };
      for (let i = 0; i < s.n; i++) {
        const h = hs[i];
        if (h !== undefined) {
          m.hts!.push(s.ts[i]!);
          m.hvs!.push(h);
        } else {
          m.ts.push(s.ts[i]!);
          m.vs.push(s.vs[i]!);
        }
      }
      return m;
    });
  return { resultType: 'matrix', series };
}

// ---------------------------------------------------------------------------------------------
// Duration expressions (promql/durations.go): evaluated in seconds, then to ms.

function durationSeconds(d: DurationExpr, step: number, range: number): number {
  switch (d.type) {
    case 'DurationLiteral':
      return d.seconds ?? d.ms / 1000;
    case 'DurationUnary': {
      const v = durationSeconds(d.expr, step, range);
      return d.op === '-' ? -v : v;
    }
    case 'DurationCall':
      switch (d.func) {
        case 'step': return step / 1000;
        case 'range': return range / 1000;
        case 'min': return Math.min(durationSeconds(d.args[0]!, step, range), durationSeconds(d.args[1]!, step, range));
        case 'max': return Math.max(durationSeconds(d.args[0]!, step, range), durationSeconds(d.args[1]!, step, range));
      }
      break;
    case 'DurationBinary': {
      const l = durationSeconds(d.lhs, step, range);
      const r = durationSeconds(d.rhs, step, range);
      switch (d.op) {
        case '+': return l + r;
        case '-': return l - r;
        case '*': return l * r;
        case '/':
          if (r === 0) throw new Error(`${d.pos.start}:${d.pos.end}: division by zero`);
          return l / r;
        case '%':
          if (r === 0) throw new Error(`${d.pos.start}:${d.pos.end}: modulo by zero`);
          return l % r;
        case '^': return Math.pow(l, r);
      }
    }
  }
  throw new Error('unexpected duration expression');
}

function calcDuration(d: DurationExpr, step: number, range: number, allowNegative: boolean): number {
  const s = durationSeconds(d, step, range);
  if (Number.isNaN(s) || !Number.isFinite(s)) throw new Error(`${d.pos.start}:${d.pos.end}: duration is NaN or infinite`);
  if (s <= 0 && !allowNegative) throw new Error(`${d.pos.start}:${d.pos.end}: duration must be greater than 0`);
  if (s > 9223372036.854775 || s < -9223372036.854775) throw new Error(`${d.pos.start}:${d.pos.end}: duration is out of range`);
  return Math.trunc(s * 1000);
}

function resolveDurations(e: Expr, step: number, range: number): void {
  walk(e, (n) => {
    if (n.type === 'VectorSelector' && n.offsetExpr) n.offset = calcDuration(n.offsetExpr, step, range, true);
    else if (n.type === 'MatrixSelector') {
      if (n.rangeExpr) n.range = calcDuration(n.rangeExpr, step, range, false);
      if (n.vectorSelector.offsetExpr) n.vectorSelector.offset = calcDuration(n.vectorSelector.offsetExpr, step, range, true);
    } else if (n.type === 'SubqueryExpr') {
      if (n.offsetExpr) n.offset = calcDuration(n.offsetExpr, step, range, true);
      if (n.stepExpr) n.step = calcDuration(n.stepExpr, step, range, false);
      if (n.rangeExpr) n.range = calcDuration(n.rangeExpr, step, range, false);
    }
  });
}

function children(e: Expr): Expr[] {
  switch (e.type) {
    case 'AggregateExpr': return e.param ? [e.param, e.expr] : [e.expr];
    case 'BinaryExpr': return [e.lhs, e.rhs];
    case 'Call': return e.args;
    case 'MatrixSelector': return [e.vectorSelector];
    case 'SubqueryExpr':
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      return [e.expr];
    default:
      return [];
  }
}

function walk(e: Expr, f: (n: Expr, path: Expr[]) => void, path: Expr[] = []): void {
  f(e, path);
  path.push(e);
  for (const c of children(e)) walk(c, f, path);
  path.pop();
}

/**
 * Prometheus detectHistogramStatsDecoding: a selector below histogram_count/histogram_sum/
 * histogram_avg is read without buckets (HistogramStatsIterator), unless a subquery, a function
 * that needs the buckets (histogram_quantile(s)/histogram_fraction) or a trim operator comes
 * first on the way up.
 */
function skipHistogramBuckets(path: readonly Expr[]): boolean {
  let skip = false;
  for (let i = path.length - 1; i >= 0; i--) {
    const p = path[i]!;
    if (p.type === 'SubqueryExpr') return false;
    if (p.type === 'Call') {
      const f = p.func.name;
      if (f === 'histogram_count' || f === 'histogram_sum' || f === 'histogram_avg') skip = true;
      else if (f === 'histogram_quantile' || f === 'histogram_quantiles' || f === 'histogram_fraction') return false;
    } else if (p.type === 'BinaryExpr' && (p.op as string === '</' || p.op as string === '>/')) return false;
  }
  return skip;
}

/**
 * Prometheus HistogramStatsIterator over a series' histogram samples: buckets dropped (schema,
 * count, sum and hint kept), and an 'unknown' hint replaced by counter reset detection against
 * the previous histogram ('reset' / 'not_reset'). Staleness markers pass unchanged.
 */
function histogramStats(hvs: FloatHistogram[]): FloatHistogram[] {
  let last: FloatHistogram | null = null;
  return hvs.map((h) => {
    if (isStaleNaN(h.sum)) return h;
    let hint = h.counterResetHint;
    if (hint === 'unknown' && last !== null) hint = h.detectReset(last) ? 'reset' : 'not_reset';
    last = h;
    return new FloatHistogram({ schema: h.schema, count: h.count, sum: h.sum, counterResetHint: hint });
  });
}

function unwrapParens(e: Expr): Expr {
  while (e.type === 'ParenExpr' || e.type === 'StepInvariantExpr') e = e.expr;
  return e;
}

// ---------------------------------------------------------------------------------------------

interface EvaluatorInit {
  start: number;
  end: number;
  interval: number;
  lookback: number;
  maxSamples: number;
  deadline: number;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  defaultSubqueryStep: number;
  queryStep: number;
  /** EngineOptions.useStartTimestamps. */
  useST: boolean;
}

/**
 * A selected series that may carry start timestamps (ms, 0 = none) parallel to ts (`sts`) and to
 * the stale-filtered fts (`fsts`); only series whose iterator exposes `st` get them.
 */
type STSeries = RawSeries & { sts?: Float64Array; fsts?: Float64Array; hsts?: Float64Array };

/** Range functions that read start timestamps (Prometheus evalCall). */
const ST_RANGE_FUNCS = new Set(['rate', 'irate', 'increase', 'resets']);

/** Window source for range functions: raw series (stale-filtered) or subquery output. */
/** Functions of one native histogram sample (Prometheus simpleHistogramFunc). */
const NATIVE_HISTOGRAM_FUNCTIONS: Record<string, (h: FloatHistogram) => number> = {
  histogram_count: histogramCount,
  histogram_sum: histogramSum,
  histogram_avg: histogramAvg,
  histogram_stddev: histogramStdDev,
  histogram_stdvar: histogramStdVar,
};

interface RangeSource {
  series: RawSeries[];
  offset: number;
  range: number;
  at: AtModifier | undefined;
  anchored: boolean;
  smoothed: boolean;
}

/** Histogram samples of a series without staleness markers (for range windows); null when none. */
function filteredH(s: STSeries): { ts: Float64Array; hs: FloatHistogram[]; sts: Float64Array | null } | null {
  const hts = s.hts;
  const hvs = s.hvs;
  if (hts === undefined || hvs === undefined) return null;
  const hsts = s.hsts ?? null;
  if (!hvs.some((h) => isStaleNaN(h.sum))) return { ts: hts, hs: hvs, sts: hsts };
  const ts: number[] = [];
  const hs: FloatHistogram[] = [];
  const sts: number[] = [];
  for (let i = 0; i < hvs.length; i++) {
    if (isStaleNaN(hvs[i]!.sum)) continue;
    ts.push(hts[i]!);
    hs.push(hvs[i]!);
    if (hsts) sts.push(hsts[i]!);
  }
  return ts.length > 0 ? { ts: Float64Array.from(ts), hs, sts: hsts ? Float64Array.from(sts) : null } : null;
}

function filtered(s: STSeries): void {
  if (s.fts) return;
  let stale = 0;
  for (let i = 0; i < s.n; i++) if (s.vs[i] !== s.vs[i] && isStaleNaN(s.vs[i]!)) stale++;
  if (stale === 0) {
    s.fts = s.ts;
    s.fvs = s.vs;
    s.fn = s.n;
    if (s.sts) s.fsts = s.sts;
    return;
  }
  const ts = new Float64Array(s.n - stale);
  const vs = new Float64Array(s.n - stale);
  const sts = s.sts;
  const fsts = sts ? new Float64Array(s.n - stale) : null;
  let j = 0;
  for (let i = 0; i < s.n; i++) {
    const v = s.vs[i]!;
    if (v !== v && isStaleNaN(v)) continue;
    ts[j] = s.ts[i]!;
    vs[j] = v;
    if (fsts) fsts[j] = sts![i]!;
    j++;
  }
  s.fts = ts;
  s.fvs = vs;
  s.fn = j;
  if (fsts) s.fsts = fsts;
}

class Evaluator {
  start: number;
  end: number;
  interval: number;
  readonly lookback: number;
  readonly maxSamples: number;
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly defaultSubqueryStep: number;
  readonly queryStart: number;
  readonly queryEnd: number;
  readonly queryStep: number;
  readonly useST: boolean;
  currentSamples = 0;
  peakSamples = 0;
  totalSamples = 0;
  readonly annos = new Annotations();
  storageWarnings: string[] = [];
  private data = new Map<VectorSelector, SelectorData>();
  /** Selectors read through Prometheus' HistogramStatsIterator (see skipHistogramBuckets). */
  private statsSelectors = new Set<VectorSelector>();
  private infoRanges = new Map<Call, [number, number]>();
  private infoData = new Map<Call, RawSeries[]>();
  private ranges = new Map<VectorSelector, [number, number, number, string | undefined]>();
  private checkCounter = 0;

  constructor(init: EvaluatorInit) {
    this.start = init.start;
    this.end = init.end;
    this.interval = init.interval;
    this.lookback = init.lookback;
    this.maxSamples = init.maxSamples;
    this.deadline = init.deadline;
    this.timeoutMs = init.timeoutMs;
    this.signal = init.signal;
    this.defaultSubqueryStep = init.defaultSubqueryStep;
    this.queryStart = init.start;
    this.queryEnd = init.end;
    this.queryStep = init.queryStep;
    this.useST = init.useST;
  }

  fail(msg: string): never {
    throw new EvalError('execution', msg);
  }

  check(): void {
    if ((++this.checkCounter & 255) !== 0) return;
    this.checkNow();
  }

  checkNow(): void {
    if (this.signal?.aborted) throw new EvalError('canceled', 'query was canceled in expression evaluation');
    if (Date.now() > this.deadline) throw new EvalError('timeout', 'query timed out in expression evaluation');
  }

  addSamples(n: number): void {
    this.currentSamples += n;
    this.totalSamples += n;
    if (this.currentSamples > this.peakSamples) this.peakSamples = this.currentSamples;
    if (this.currentSamples > this.maxSamples) {
      throw new EvalError('execution', 'query processing would load too many samples into memory in query execution');
    }
  }

  atTime(at: AtModifier): number {
    switch (at.kind) {
      case 'time': return at.ms;
      case 'start': return this.queryStart;
      case 'end': return this.queryEnd;
    }
  }

  // ---- preparation: time ranges and selection ----

  /** Per-selector [mint, maxt] as Prometheus getTimeRangesForSelector; returns the overall range. */
  findMinMaxTime(expr: Expr): [number, number] {
    let mn = Infinity;
    let mx = -Infinity;
    walk(expr, (n, path) => {
      if (n.type === 'Call' && n.func.name === 'info') {
        let subq = 0;
        for (const p of path) if (p.type === 'SubqueryExpr') subq += p.range + Math.max(0, p.offset);
        const { ts, offset } = infoSelectTimestampAndOffset(n.args[0]!, (a) => this.atTime(a));
        // A superset of Prometheus infoSelectHints (which depend on the evaluator's current range):
        // the info series are filtered by identifying labels and looked up with lookback at eval time.
        const start = Math.min(this.queryStart, ts ?? Infinity) - subq - this.lookback + 1 - Math.abs(offset);
        const end = Math.max(this.queryEnd, ts ?? -Infinity) + Math.abs(offset);
        this.infoRanges.set(n, [start, end]);
        if (start < mn) mn = start;
        if (end > mx) mx = end;
        return;
      }
      if (n.type !== 'VectorSelector') return;
      let subqOffset = 0;
      let subqRange = 0;
      let subqTs: number | undefined;
      for (const p of path) {
        if (p.type === 'SubqueryExpr') {
          subqOffset += p.offset;
          subqRange += p.range;
          if (p.at) {
            subqOffset = p.offset;
            subqRange = p.range;
            subqTs = this.atTime(p.at);
          }
        }
      }
      const parent = path[path.length - 1];
      const evalRange = parent && parent.type === 'MatrixSelector' ? parent.range : 0;
      let start = this.queryStart;
      let end = this.queryEnd;
      if (subqTs !== undefined) {
        start = subqTs;
        end = subqTs;
      }
      if (n.at) {
        start = this.atTime(n.at);
        end = start;
      } else {
        start = start - subqOffset - subqRange;
        end -= subqOffset;
      }
      if (evalRange === 0) {
        start -= this.lookback - 1;
        if (n.smoothed) end += this.lookback;
      } else if (n.anchored) start -= this.lookback + evalRange - 1;
      else if (n.smoothed) {
        start -= this.lookback + evalRange - 1;
        end += this.lookback;
      } else start -= evalRange - 1;
      start -= n.offset;
      end -= n.offset;
      let func: string | undefined;
      for (let i = path.length - 1; i >= 0; i--) {
        const p = path[i]!;
        if (p.type === 'Call') {
          func = p.func.name;
          break;
        }
        if (p.type === 'AggregateExpr') {
          func = p.op;
          break;
        }
        if (p.type === 'BinaryExpr') break;
      }
      this.ranges.set(n, [start, end, evalRange, func]);
      if (skipHistogramBuckets(path)) this.statsSelectors.add(n);
      if (start < mn) mn = start;
      if (end > mx) mx = end;
    });
    if (mx === -Infinity) return [0, 0];
    return [mn, mx];
  }

  async populate(querier: Querier, expr: Expr): Promise<void> {
    const tasks: Promise<void>[] = [];
    for (const [vs, [start, end, range, func]] of this.ranges) {
      tasks.push(this.selectOne(querier, vs, start, end, range, func));
    }
    for (const [c, [start, end]] of this.infoRanges) tasks.push(this.selectInfo(querier, c, start, end));
    await Promise.all(tasks);
    void expr;
  }

  private async selectInfo(querier: Querier, c: Call, start: number, end: number): Promise<void> {
    const { dataMatchers, nameMatchers } = infoMatchers(c);
    const ms: Matcher[] = [];
    for (const l of dataMatchers.values()) ms.push(...l);
    ms.push(...effectiveInfoNameMatchers(nameMatchers));
    this.infoData.set(c, await this.loadSeries(querier, ms, start, end, 0, 'info'));
  }

  private async selectOne(querier: Querier, vs: VectorSelector, start: number, end: number, range: number, func: string | undefined): Promise<void> {
    const series = await this.loadSeries(querier, vs.matchers, start, end, range, func);
    if (this.statsSelectors.has(vs)) for (const s of series) if (s.hvs !== undefined) s.hvs = histogramStats(s.hvs);
    this.data.set(vs, { series });
  }

  private async loadSeries(querier: Querier, matchers: readonly Matcher[], start: number, end: number, range: number, func: string | undefined): Promise<RawSeries[]> {
    const set = querier.select({ start, end, step: this.queryStep, range, func }, matchers);
    const out: RawSeries[] = [];
    let tsBuf = new Float64Array(64);
    let vsBuf = new Float64Array(64);
    let stBuf: Float64Array | null = null;
    let hts: number[] | null = null;
    let hvs: FloatHistogram[] | null = null;
    let hstsBuf: number[] | null = null;
    let count = 0;
    // Series whose iterator can bulk-read (the head's) are decoded straight into shared arenas
    // and kept as subarray views: no per-sample iterator calls and no per-series copies
    // (benchmark-driven: loading 60k series was the largest part of the instant dashboard queries).
    let arenaTs = EMPTY_F64;
    let arenaVs = EMPTY_F64;
    let arenaOff = 0;
    for await (const s of set) {
      const it = s.iterator();
      const bulk = it as SampleIterator & Partial<BulkRangeReader>;
      if ((!this.useST || it.st === undefined) && bulk.readRange !== undefined && bulk.sampleCountUpperBound !== undefined) {
        const cap = bulk.sampleCountUpperBound();
        if (arenaTs.length - arenaOff < cap) {
          const size = Math.max(cap, ARENA_SAMPLES);
          arenaTs = new Float64Array(size);
          arenaVs = new Float64Array(size);
          arenaOff = 0;
        }
        const n = bulk.readRange(start, end, arenaTs, arenaVs, arenaOff);
        const err = it.err();
        if (err) throw new EvalError('execution', `expanding series: ${err.message}`);
        out.push({ labels: s.labels, ts: arenaTs.subarray(arenaOff, arenaOff + n), vs: arenaVs.subarray(arenaOff, arenaOff + n), n });
        arenaOff += n;
        count++;
        if ((count & 1023) === 0) this.checkNow();
        continue;
      }
      let n = 0;
      let vt = it.seek(start);
      // Start timestamps travel in a parallel array, only for series whose iterator exposes them.
      const withST = this.useST && it.st !== undefined;
      if (withST && (!stBuf || stBuf.length < tsBuf.length)) stBuf = new Float64Array(tsBuf.length);
      while (vt !== ValueType.None) {
        if (vt === ValueType.Float) {
          const t = it.t;
          if (t > end) break;
          if (n === tsBuf.length) {
            const nt = new Float64Array(n * 2);
            nt.set(tsBuf);
            tsBuf = nt;
            const nv = new Float64Array(n * 2);
            nv.set(vsBuf);
            vsBuf = nv;
            if (withST) {
              const ns = new Float64Array(n * 2);
              ns.set(stBuf!);
              stBuf = ns;
            }
          }
          tsBuf[n] = t;
          vsBuf[n] = it.v;
          if (withST) stBuf![n] = it.st ?? 0;
          n++;
        }
        else if (vt === ValueType.FloatHistogram && it.fh) {
          // Native histograms go to side arrays (rare next to floats; see RawSeries.hts).
          if (it.t > end) break;
          (hts ??= []).push(it.t);
          (hvs ??= []).push(toFloatHistogram(it.fh));
          if (withST) (hstsBuf ??= []).push(it.st ?? 0);
        }
        vt = it.next();
      }
      const err = it.err();
      if (err) throw new EvalError('execution', `expanding series: ${err.message}`);
      const rs: STSeries = { labels: s.labels, ts: tsBuf.slice(0, n), vs: vsBuf.slice(0, n), n };
      if (withST) rs.sts = stBuf!.slice(0, n);
      if (hts !== null && hvs !== null) {
        rs.hts = Float64Array.from(hts);
        rs.hvs = hvs;
        if (hstsBuf !== null) rs.hsts = Float64Array.from(hstsBuf);
        hts = hvs = null;
        hstsBuf = null;
      }
      out.push(rs);
      count++;
      if ((count & 1023) === 0) this.checkNow();
    }
    this.storageWarnings.push(...set.warnings());
    return out;
  }

  private seriesOf(vs: VectorSelector): RawSeries[] {
    return this.data.get(vs)?.series ?? [];
  }

  // ---- evaluation ----

  run(expr: Expr): EvalValue {
    const v = this.eval(expr, true);
    if (!Array.isArray(v)) return v;
    // Delayed name removal (cleanupMetricLabels).
    let any = false;
    for (const s of v) {
      if (s.dropName) {
        s.metric = dropMetadata(s.metric);
        any = true;
      }
    }
    if (!any) return v;
    if (this.start === this.end && exprType(expr) === 'vector') {
      const seen = new Set<string>();
      for (const s of v) {
        if (seen.has(s.metric.key)) this.fail('vector cannot contain metrics with the same labelset');
        seen.add(s.metric.key);
      }
      return v;
    }
    return this.mergeSameLabelset(v);
  }

  private numSteps(): number {
    return Math.floor((this.end - this.start) / this.interval) + 1;
  }

  private mergeSameLabelset(mat: ESeries[]): ESeries[] {
    if (mat.length <= 1) return mat;
    const by = new Map<string, ESeries[]>();
    for (const s of mat) {
      const k = s.metric.key;
      const l = by.get(k);
      if (l) l.push(s);
      else by.set(k, [s]);
    }
    if (by.size === mat.length) return mat;
    const out: ESeries[] = [];
    for (const group of by.values()) {
      if (group.length === 1) {
        out.push(group[0]!);
        continue;
      }
      const pts: [number, number, FloatHistogram | undefined][] = [];
      for (const s of group) for (let i = 0; i < s.n; i++) pts.push([s.ts[i]!, s.vs[i]!, s.hs?.[i]]);
      pts.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < pts.length; i++) if (pts[i]![0] === pts[i - 1]![0]) this.fail('vector cannot contain metrics with the same labelset');
      const base = newSeries(group[0]!.metric, pts.length, group[0]!.dropName);
      for (const [t, v, h] of pts) pushPoint(base, t, v, h);
      out.push(base);
    }
    return out;
  }

  /**
   * Evaluates `expr` to a matrix of step-aligned series (or a string). Histogram points are
   * stripped unless `keepH` is set by a caller that handles them (see ESeries.hs).
   */
  eval(expr: Expr, keepH = false): EvalValue {
    const v = this.evalNode(expr, keepH);
    return keepH || !Array.isArray(v) ? v : stripHistograms(v);
  }

  private evalNode(expr: Expr, keepH: boolean): EvalValue {
    this.checkNow();
    if (this.end < this.start) return [];
    switch (expr.type) {
      case 'NumberLiteral': {
        const v = expr.value;
        return this.rangeEval([], (_vs, ts, out) => {
          out.push({ metric: Labels.EMPTY, t: ts, v, dropName: false });
        });
      }
      case 'StringLiteral':
        return { str: expr.value };
      case 'ParenExpr':
        return this.eval(expr.expr, keepH);
      case 'StepInvariantExpr':
        return this.eval(expr.expr, keepH);
      case 'UnaryExpr': {
        const mat = this.evalMatrix(expr.expr, true);
        if (expr.op === '-') {
          for (const s of mat) {
            s.dropName = true;
            for (let i = 0; i < s.n; i++) s.vs[i] = -s.vs[i]!;
            // -h is h * -1 (a gauge histogram), as Prometheus.
            const hs = s.hs;
            if (hs !== undefined) for (let i = 0; i < s.n; i++) if (hs[i] !== undefined) hs[i] = hs[i]!.mul(-1);
          }
        }
        return mat;
      }
      case 'VectorSelector':
        return this.evalVectorSelector(expr);
      case 'MatrixSelector':
        if (this.start !== this.end) this.fail('cannot do range evaluation of matrix selector');
        return this.evalMatrixSelector(expr);
      case 'SubqueryExpr':
        return this.runSubquery(expr).mat;
      case 'BinaryExpr':
        return this.evalBinary(expr);
      case 'AggregateExpr':
        return this.evalAggregate(expr);
      case 'Call':
        return this.evalCall(expr);
    }
  }

  private evalMatrix(e: Expr, keepH = false): ESeries[] {
    const v = this.eval(e, keepH);
    if (!Array.isArray(v)) this.fail('unexpected string value');
    return v;
  }

  /**
   * Prometheus rangeEval: evaluates the argument expressions to matrices, then walks all steps,
   * gathering each argument's instant vector and calling `fn`. Outputs are collected per labels.
   */
  rangeEval(
    exprs: (Expr | null)[],
    fn: (vectors: ESample[][], ts: number, out: ESample[], sigs: number[][] | null, numSigs: number) => void,
    sigFn: ((l: Labels) => string) | null = null,
    keepH = false,
  ): ESeries[] {
    const originalSamples = this.currentSamples;
    const matrixes: ESeries[][] = exprs.map((e) => (e === null || exprType(e) === 'string' ? [] : this.evalMatrix(e, keepH)));
    const numSteps = this.numSteps();
    const vectors: ESample[][] = matrixes.map(() => []);
    const cursors = matrixes.map((m) => new Int32Array(m.length));
    let seriesSigs: Int32Array[] | null = null;
    let stepSigs: number[][] | null = null;
    let numSigs = 0;
    if (sigFn) {
      // Signature ordinals computed once per series (Prometheus EvalSeriesHelper.sigOrdinal).
      const ord = new Map<string, number>();
      seriesSigs = matrixes.map((m) => {
        const a = new Int32Array(m.length);
        for (let i = 0; i < m.length; i++) {
          const k = sigFn(m[i]!.metric);
          let o = ord.get(k);
          if (o === undefined) ord.set(k, (o = ord.size));
          a[i] = o;
        }
        return a;
      });
      numSigs = ord.size;
      stepSigs = matrixes.map(() => []);
    }
    const out: ESample[] = [];
    const result = new Map<string, { s: ESeries; lastTs: number }>();
    const byObj = new Map<Labels, { s: ESeries; lastTs: number }>();
    const order: ESeries[] = [];
    const pool: ESample[][] = matrixes.map(() => []);
    let tempSamples = this.currentSamples;
    let totalOut = 0;
    for (let ts = this.start; ts <= this.end; ts += this.interval) {
      this.check();
      for (let i = 0; i < matrixes.length; i++) {
        const m = matrixes[i]!;
        const cur = cursors[i]!;
        const vec = vectors[i]!;
        vec.length = 0;
        if (stepSigs) stepSigs[i]!.length = 0;
        for (let si = 0; si < m.length; si++) {
          const s = m[si]!;
          const c = cur[si]!;
          if (c < s.n && s.ts[c] === ts) {
            // One sample object per input series, updated in place each step: functions only read
            // samples during the step (outputs are copied into the result series right after).
            let smp = pool[i]![si];
            if (smp === undefined) pool[i]![si] = smp = { metric: s.metric, t: ts, v: 0, dropName: s.dropName, si, h: undefined };
            smp.t = ts;
            smp.v = s.vs[c]!;
            smp.h = s.hs?.[c];
            vec.push(smp);
            if (stepSigs) stepSigs[i]!.push(seriesSigs![i]![si]!);
            cur[si] = c + 1;
          }
        }
      }
      out.length = 0;
      fn(vectors, ts, out, stepSigs, numSigs);
      this.currentSamples = tempSamples;
      this.addSamples(out.length);
      tempSamples += out.length;
      totalOut += out.length;
      if (this.start === this.end) {
        this.currentSamples = originalSamples + out.length;
        const seen = new Set<string>();
        const mat: ESeries[] = [];
        for (const s of out) {
          const k = s.metric.key;
          if (seen.has(k)) this.fail('vector cannot contain metrics with the same labelset');
          seen.add(k);
          const ns = newSeries(s.metric, 1, s.dropName);
          pushPoint(ns, ts, s.v, s.h);
          mat.push(ns);
        }
        return mat;
      }
      for (const s of out) {
        let r = byObj.get(s.metric);
        if (r === undefined) {
          const k = s.metric.key;
          r = result.get(k);
          if (r === undefined) {
            r = { s: newSeries(s.metric, Math.min(numSteps, 1024), s.dropName), lastTs: NaN };
            result.set(k, r);
            order.push(r.s);
          }
          byObj.set(s.metric, r);
        }
        if (r.lastTs === ts) this.fail('vector cannot contain metrics with the same labelset');
        r.lastTs = ts;
        pushPoint(r.s, ts, s.v, s.h);
      }
    }
    this.currentSamples = originalSamples + totalOut;
    return order;
  }

  /** Vector/scalar binary operation evaluated series by series (labels are unchanged, so no merging). */
  private vectorScalarSeries(vecE: Expr, scalE: Expr, swap: boolean, op: BinaryExpr['op'], returnBool: boolean, pos: BinaryExpr['pos']): ESeries[] {
    const original = this.currentSamples;
    let vec: ESeries[];
    let sc: Float64Array;
    if (swap) {
      sc = this.scalarParams(scalE);
      vec = this.evalMatrix(vecE, true);
    } else {
      vec = this.evalMatrix(vecE, true);
      sc = this.scalarParams(scalE);
    }
    const cmp = isComparison(op);
    const schema = changesMetricSchema(op);
    const r: { v: number; keep: boolean; err: Annotation | null } = { v: 0, keep: false, err: null };
    const hres: HistBinopResult = { v: 0, h: undefined, keep: false, info: null, err: null };
    const out: ESeries[] = [];
    let total = 0;
    for (const s of vec) {
      this.check();
      const res = newSeries(s.metric, s.n, s.dropName || schema || returnBool);
      const ts = s.ts;
      const vs = s.vs;
      const hs = s.hs;
      for (let i = 0; i < s.n; i++) {
        const t = ts[i]!;
        const x = sc[Math.round((t - this.start) / this.interval)]!;
        const hx = hs !== undefined ? hs[i] : undefined;
        if (hx !== undefined) {
          // Prometheus vectorElemBinop: histogram * scalar, scalar * histogram and histogram /
          // scalar give histograms; every other operator drops the sample with an info, `bool` or not.
          elemBinopHist(op, swap ? x : 0, swap ? 0 : x, swap ? undefined : hx, swap ? hx : undefined, pos, hres);
          if (hres.err !== null) {
            this.annos.add(hres.err);
            continue;
          }
          if (hres.keep || returnBool) {
            res.ts[res.n] = t;
            res.vs[res.n] = returnBool ? (hres.keep ? 1 : 0) : 0;
            if (hres.h !== undefined && !returnBool) (res.hs ??= [])[res.n] = hres.h;
            res.n++;
          }
          continue;
        }
        let lf = vs[i]!;
        let rf = x;
        if (swap) {
          lf = x;
          rf = vs[i]!;
        }
        elemBinop(op, lf, rf, r, pos);
        if (r.err !== null) {
          // e.g. float </ float: no sample, an info (vectorElemBinop).
          this.annos.add(r.err);
          continue;
        }
        let v = r.v;
        let keep = r.keep;
        if (cmp && swap) v = rf;
        if (returnBool) {
          v = keep ? 1 : 0;
          keep = true;
        }
        if (keep) {
          res.ts[res.n] = t;
          res.vs[res.n] = v;
          res.n++;
        }
      }
      if (res.n > 0) {
        out.push(res);
        total += res.n;
      }
    }
    this.currentSamples = original;
    this.addSamples(total);
    return out;
  }

  /** Instant-vector function applied point by point (labels unchanged apart from delayed name drop). */
  private mapSeries(arg: Expr, f: (x: number, step: number) => number, drop?: Uint8Array): ESeries[] {
    const original = this.currentSamples;
    const vec = this.evalMatrix(arg);
    let total = 0;
    const out: ESeries[] = [];
    for (const s of vec) {
      const vs = s.vs;
      const ts = s.ts;
      let j = 0;
      for (let i = 0; i < s.n; i++) {
        const step = Math.round((ts[i]! - this.start) / this.interval);
        if (drop && drop[step]) continue;
        ts[j] = ts[i]!;
        vs[j] = f(vs[i]!, step);
        j++;
      }
      s.n = j;
      s.dropName = true;
      total += j;
      if (j > 0) out.push(s);
    }
    this.currentSamples = original;
    this.addSamples(total);
    return out;
  }

  // ---- selectors ----

  private evalVectorSelector(vs: VectorSelector): ESeries[] {
    if (vs.smoothed) return this.smoothSeries(this.seriesOf(vs), vs.offset, vs.at ? this.atTime(vs.at) : undefined, vs.pos);
    return this.evalRawSeries(this.seriesOf(vs), vs.offset, vs.at ? this.atTime(vs.at) : undefined, false);
  }

  /** Prometheus smoothSeries: value at each step interpolated between the neighbouring samples. */
  private smoothSeries(series: RawSeries[], offset: number, at: number | undefined, pos: PosRange): ESeries[] {
    const out: ESeries[] = [];
    const lb = this.lookback;
    for (const s of series) {
      filtered(s);
      const hsrc = filteredH(s);
      if (hsrc !== null) {
        const r = this.smoothSeriesWithHistograms(s, hsrc, offset, at, pos);
        if (r !== null) out.push(r);
        continue;
      }
      const ts = s.fts!;
      const vs = s.fvs!;
      const n = s.fn!;
      let res: ESeries | null = null;
      for (let evalTS = this.start; evalTS <= this.end; evalTS += this.interval) {
        const dataTS = (at ?? evalTS) - offset;
        const lo = lowerBoundGT(ts, n, dataTS - lb);
        const hi = lowerBoundGT(ts, n, dataTS + lb);
        if (hi <= lo) continue;
        const i = searchIdx(lo, hi - lo, (k) => ts[k]! >= dataTS);
        let v: number;
        if (i < hi && ts[i]! === dataTS) v = vs[i]!;
        else if (i > lo && i < hi) v = interpolatePts(ts[i - 1]!, vs[i - 1]!, ts[i]!, vs[i]!, dataTS, false);
        else if (i > lo) v = vs[i - 1]!;
        else continue;
        if (!res) res = newSeries(s.labels, Math.min(this.numSteps(), 1024), false);
        pushPoint(res, evalTS, v);
        this.addSamples(1);
      }
      if (res) out.push(res);
    }
    return out;
  }

  /**
   * smoothSeries for a series holding native histograms (Prometheus smoothSeries): a window
   * (t − lookback, t + lookback] with both floats and histograms gives a warning and no point;
   * histograms are taken exactly, interpolated (as a counter unless both neighbours are gauges),
   * or carried forward with an unknown hint.
   */
  private smoothSeriesWithHistograms(s: RawSeries, h: { ts: Float64Array; hs: FloatHistogram[] }, offset: number, at: number | undefined, pos: PosRange): ESeries | null {
    const lb = this.lookback;
    const ts = s.fts!;
    const vs = s.fvs!;
    const n = s.fn!;
    const metricName = s.labels.get('__name__');
    const actx = { annos: this.annos, argPos: pos, metricName };
    let res: ESeries | null = null;
    for (let evalTS = this.start; evalTS <= this.end; evalTS += this.interval) {
      const dataTS = (at ?? evalTS) - offset;
      const lo = lowerBoundGT(ts, n, dataTS - lb);
      const hi = lowerBoundGT(ts, n, dataTS + lb);
      const hlo = lowerBoundGT(h.ts, h.ts.length, dataTS - lb);
      const hhi = lowerBoundGT(h.ts, h.ts.length, dataTS + lb);
      if (hi <= lo && hhi <= hlo) continue;
      if (hi > lo && hhi > hlo) {
        this.annos.add(Anno.mixedFloatsHistograms(metricName, pos));
        continue;
      }
      let v = 0;
      let hv: FloatHistogram | undefined;
      if (hhi > hlo) {
        const i = searchIdx(hlo, hhi - hlo, (k) => h.ts[k]! >= dataTS);
        if (i < hhi && h.ts[i]! === dataTS) hv = h.hs[i]!.copy();
        else if (i > hlo && i < hhi) {
          const prev = h.hs[i - 1]!;
          const next = h.hs[i]!;
          if (prev.usesCustomBuckets() !== next.usesCustomBuckets()) {
            this.annos.add(Anno.mixedExponentialCustomHistograms(metricName, pos));
            continue;
          }
          const isCounter = prev.counterResetHint !== 'gauge' || next.counterResetHint !== 'gauge';
          const r = interpolateHistogramsAt(prev, h.ts[i - 1]!, next, h.ts[i]!, dataTS, isCounter, actx);
          if (r === null) continue;
          hv = r;
        } else if (i > hlo) {
          hv = h.hs[i - 1]!.copy();
          hv.counterResetHint = 'unknown';
        } else continue;
      } else {
        const i = searchIdx(lo, hi - lo, (k) => ts[k]! >= dataTS);
        if (i < hi && ts[i]! === dataTS) v = vs[i]!;
        else if (i > lo && i < hi) v = interpolatePts(ts[i - 1]!, vs[i - 1]!, ts[i]!, vs[i]!, dataTS, false);
        else if (i > lo) v = vs[i - 1]!;
        else continue;
      }
      if (!res) res = newSeries(s.labels, Math.min(this.numSteps(), 1024), false);
      pushPoint(res, evalTS, v, hv);
      this.addSamples(1);
    }
    return res;
  }

  /** Prometheus evalSeries: instant-vector lookups with lookback over pre-loaded series. */
  private evalRawSeries(series: RawSeries[], offset: number, at: number | undefined, recordOrigT: boolean, sink?: SeriesSink): ESeries[] {
    const numSteps = this.numSteps();
    const out: ESeries[] = [];
    const lookback = this.lookback;
    // Rows go to scratch arrays, then to `sink` (agg(selector) fused) or copied at exact size.
    const scratchTs = new Float64Array(numSteps);
    const scratchVs = new Float64Array(numSteps);
    for (const s of series) {
      this.check();
      if (s.hts !== undefined && s.hvs !== undefined) {
        this.evalRawSeriesWithHistograms(s, offset, at, recordOrigT, scratchTs, scratchVs, out, sink);
        continue;
      }
      let rn = 0;
      let j = -1; // index of last sample with t <= refTime
      const n = s.n;
      const sts = s.ts;
      const svs = s.vs;
      for (let ts = this.start; ts <= this.end; ts += this.interval) {
        const ref = (at ?? ts) - offset;
        // With @ the reference time is constant, so the pointer simply stays put.
        while (j + 1 < n && sts[j + 1]! <= ref) j++;
        if (j < 0) continue;
        const t = sts[j]!;
        if (t <= ref - lookback) continue;
        const v = svs[j]!;
        if (v !== v && isStaleNaN(v)) continue;
        scratchTs[rn] = ts;
        scratchVs[rn] = recordOrigT ? t : v;
        rn++;
        this.addSamples(1);
      }
      if (rn === 0) continue;
      if (sink) sink(s.labels, scratchTs, scratchVs, rn, false);
      else out.push({ metric: s.labels, ts: scratchTs.slice(0, rn), vs: scratchVs.slice(0, rn), n: rn, dropName: false });
    }
    return out;
  }

  /**
   * evalRawSeries for a series holding native histograms: at each step the newest sample within
   * the lookback window wins, float or histogram. Histogram points are marked in `hs`; with
   * `recordOrigT` (timestamp()) every point is the float sample time.
   */
  private evalRawSeriesWithHistograms(s: RawSeries, offset: number, at: number | undefined, recordOrigT: boolean, scratchTs: Float64Array, scratchVs: Float64Array, out: ESeries[], sink?: SeriesSink): void {
    const lookback = this.lookback;
    const hts = s.hts!;
    const hvs = s.hvs!;
    const hs: (FloatHistogram | undefined)[] = [];
    let rn = 0;
    let j = -1;
    let k = -1;
    for (let ts = this.start; ts <= this.end; ts += this.interval) {
      const ref = (at ?? ts) - offset;
      while (j + 1 < s.n && s.ts[j + 1]! <= ref) j++;
      while (k + 1 < hts.length && hts[k + 1]! <= ref) k++;
      const tf = j < 0 ? -Infinity : s.ts[j]!;
      const th = k < 0 ? -Infinity : hts[k]!;
      if (th > tf) {
        if (th <= ref - lookback) continue;
        if (isStaleNaN(hvs[k]!.sum)) continue; // a stale marker written as a histogram
        scratchTs[rn] = ts;
        scratchVs[rn] = recordOrigT ? th : 0;
        hs[rn] = recordOrigT ? undefined : hvs[k]!;
      } else {
        if (j < 0 || tf <= ref - lookback) continue;
        const v = s.vs[j]!;
        if (v !== v && isStaleNaN(v)) continue;
        scratchTs[rn] = ts;
        scratchVs[rn] = recordOrigT ? tf : v;
        hs[rn] = undefined;
      }
      rn++;
      this.addSamples(1);
    }
    if (rn === 0) return;
    const anyH = hs.some((h) => h !== undefined);
    if (sink) sink(s.labels, scratchTs, scratchVs, rn, false, anyH ? hs : undefined);
    else {
      const r: ESeries = { metric: s.labels, ts: scratchTs.slice(0, rn), vs: scratchVs.slice(0, rn), n: rn, dropName: false };
      if (anyH) r.hs = hs;
      out.push(r);
    }
  }

  private evalMatrixSelector(ms: MatrixSelector): ESeries[] {
    const vs = ms.vectorSelector;
    const ref = (vs.at ? this.atTime(vs.at) : this.start) - vs.offset;
    const maxt = ref;
    const mint = maxt - ms.range;
    const out: ESeries[] = [];
    for (const s of this.seriesOf(vs)) {
      filtered(s);
      const fts = s.fts!;
      const fvs = s.fvs!;
      const fn = s.fn!;
      let lo = lowerBoundGT(fts, fn, mint);
      let hi = lowerBoundGT(fts, fn, maxt);
      if (vs.anchored || vs.smoothed) {
        const elo = lowerBoundGT(fts, fn, mint - this.lookback);
        const ehi = lowerBoundGT(fts, fn, vs.smoothed ? maxt + this.lookback : maxt);
        const ext = extendWindowPts(fts, fvs, elo, ehi, mint, maxt, !!vs.smoothed);
        if (ext.n > 0) {
          const r = newSeries(s.labels, ext.n, false);
          for (let i = 0; i < ext.n; i++) pushPoint(r, ext.ts[i]!, ext.vs[i]!);
          out.push(r);
          this.addSamples(ext.n);
        }
        continue;
      }
      const hsrc = filteredH(s);
      if (hsrc !== null) {
        // Floats and histograms of the window, merged in time order.
        let k = lowerBoundGT(hsrc.ts, hsrc.ts.length, mint);
        const kh = lowerBoundGT(hsrc.ts, hsrc.ts.length, maxt);
        if (hi <= lo && kh <= k) continue;
        const r = newSeries(s.labels, hi - lo + kh - k, false);
        while (lo < hi || k < kh) {
          if (k < kh && (lo >= hi || hsrc.ts[k]! < fts[lo]!)) {
            pushPoint(r, hsrc.ts[k]!, 0, hsrc.hs[k]!);
            k++;
          } else {
            pushPoint(r, fts[lo]!, fvs[lo]!);
            lo++;
          }
        }
        out.push(r);
        this.addSamples(r.n);
        continue;
      }
      if (hi > lo) {
        const r = newSeries(s.labels, hi - lo, false);
        for (; lo < hi; lo++) pushPoint(r, fts[lo]!, fvs[lo]!);
        out.push(r);
        this.addSamples(r.n);
      }
    }
    return out;
  }

  // ---- subqueries ----

  private runSubquery(e: SubqueryExpr): { mat: ESeries[]; start: number; end: number } {
    const at = e.at ? this.atTime(e.at) : undefined;
    const offset = e.offset;
    const range = e.range;
    const interval = e.step !== 0 ? e.step : this.defaultSubqueryStep;
    let parentStart = this.start;
    let parentEnd = this.interval > 0 ? this.start + Math.floor((this.end - this.start) / this.interval) * this.interval : this.end;
    if (at !== undefined) {
      parentStart = at;
      parentEnd = at;
    }
    const end = parentEnd - offset;
    const base = parentStart - offset - range;
    let start = interval * Math.trunc(base / interval);
    if (start <= base) start += interval;
    const saved = [this.start, this.end, this.interval] as const;
    this.start = start;
    this.end = end;
    this.interval = interval;
    try {
      const v = this.eval(e.expr, true);
      if (!Array.isArray(v)) this.fail('unexpected string value in subquery');
      return { mat: v, start, end };
    } finally {
      this.start = saved[0];
      this.end = saved[1];
      this.interval = saved[2];
    }
  }

  // ---- binary ----

  private evalBinary(e: BinaryExpr): ESeries[] {
    const lt = exprType(e.lhs);
    const rt = exprType(e.rhs);
    const op = e.op;
    if (lt === 'scalar' && rt === 'scalar') {
      return this.rangeEval([e.lhs, e.rhs], (v, ts, out) => {
        out.push({ metric: Labels.EMPTY, t: ts, v: scalarBinop(op, v[0]![0]!.v, v[1]![0]!.v), dropName: false });
      });
    }
    if (lt === 'vector' && rt === 'vector') {
      const m = e.matching ?? { card: op === 'and' || op === 'or' || op === 'unless' ? 'many-to-many' : 'one-to-one', matchingLabels: [], on: false, include: [] };
      const sig = signatureFn(m);
      const bs = new BinopState();
      return this.rangeEval(
        [e.lhs, e.rhs],
        (v, ts, out, sigs, numSigs) => {
          const [l, r] = [v[0]!, v[1]!];
          const [ls, rs] = [sigs![0]!, sigs![1]!];
          bs.reset(numSigs);
          try {
            switch (op) {
              case 'and': vectorAnd(l, r, ls, rs, out, bs); break;
              case 'or': vectorOr(l, r, ls, rs, out, bs); break;
              case 'unless': vectorUnless(l, r, ls, rs, out, bs); break;
              default: vectorBinop(op, l, r, m, e.returnBool, ls, rs, ts, out, bs, e.pos);
            }
          } catch (err) {
            if (err instanceof BinopError) this.fail(err.message);
            throw err;
          }
          // Prometheus reports the last histogram annotation of each step (handleVectorBinopError).
          if (bs.lastAnno !== null) this.annos.add(bs.lastAnno);
        },
        sig,
        true,
      );
    }
    if (lt === 'vector' && rt === 'scalar') return this.vectorScalarSeries(e.lhs, e.rhs, false, op, e.returnBool, e.pos);
    return this.vectorScalarSeries(e.rhs, e.lhs, true, op, e.returnBool, e.pos);
  }

  // ---- aggregations ----

  private aggEnv(): AggEnv {
    return {
      start: this.start,
      end: this.end,
      interval: this.interval,
      annos: this.annos,
      fail: (m) => this.fail(m),
      addSamples: (n) => this.addSamples(n),
      check: () => this.check(),
    };
  }

  /** Per-step values of a scalar parameter expression. */
  private scalarParams(e: Expr): Float64Array {
    const mat = this.evalMatrix(e);
    const n = this.numSteps();
    const out = new Float64Array(n).fill(NaN);
    const s = mat[0];
    if (s) for (let i = 0; i < s.n; i++) out[Math.round((s.ts[i]! - this.start) / this.interval)] = s.vs[i]!;
    return out;
  }

  private evalAggregate(e: AggregateExpr): ESeries[] {
    const grouping = [...e.grouping].sort(compareStrings);
    const base = this.currentSamples;
    if (e.op === 'count_values') {
      const p = unwrapParens(e.param!);
      const valueLabel = p.type === 'StringLiteral' ? p.value : '';
      if (valueLabel === '' || /[\ud800-\udfff]/.test(valueLabel)) this.fail(`invalid label name "${valueLabel}"`);
      const g = e.without ? grouping : [...grouping, valueLabel].sort(compareStrings);
      const input = this.evalMatrix(e.expr, true);
      return countValues(this.aggEnv(), e, g, valueLabel, input);
    }
    let params: Float64Array | null = null;
    if (e.param && exprType(e.param) !== 'string') params = this.scalarParams(e.param);
    const fused = STREAMING_AGG_OPS.has(e.op) ? this.fusableRangeCall(e.expr) : null;
    const sel = STREAMING_AGG_OPS.has(e.op) ? unwrapParens(e.expr) : null;
    if (sel && sel.type === 'VectorSelector' && !sel.smoothed) {
      // agg(selector): stream the selector's step rows into the aggregator (no input matrix).
      this.checkNow();
      const agg = new StreamAggregator(this.aggEnv(), e, grouping);
      this.evalRawSeries(this.seriesOf(sel), sel.offset, sel.at ? this.atTime(sel.at) : undefined, false, (m, ts, vs, n, dn, hs) => agg.add(m, ts, vs, n, dn, hs));
      const res = agg.finish();
      let total = 0;
      for (const s of res) total += s.n;
      this.currentSamples = base + total;
      return res;
    }
    if (fused) {
      // agg(range_fn(x[r])): stream the function's output rows into the aggregator.
      this.checkNow();
      const agg = new StreamAggregator(this.aggEnv(), e, grouping);
      this.evalRangeCall(fused.call, fused.matrixIdx, (m, ts, vs, n, dn, hs) => agg.add(m, ts, vs, n, dn, hs));
      const res = agg.finish();
      let total = 0;
      for (const s of res) total += s.n;
      this.currentSamples = base + total;
      return res;
    }
    const input = this.evalMatrix(e.expr, true);
    let res: ESeries[];
    if (e.op === 'topk' || e.op === 'bottomk' || e.op === 'limitk' || e.op === 'limit_ratio') {
      const ps = params ?? new Float64Array(this.numSteps()).fill(NaN);
      // topk/bottomk skip histograms (with an info); limitk/limit_ratio keep them.
      const k = e.op === 'topk' || e.op === 'bottomk';
      if (k) this.noteIgnoredHistogramsK(e, input, ps);
      res = aggregateK(this.aggEnv(), e, grouping, k ? stripHistograms(input) : input, ps);
    } else {
      res = aggregate(this.aggEnv(), e, grouping, input, params);
    }
    let total = 0;
    for (const s of res) total += s.n;
    this.currentSamples = base + total;
    return res;
  }

  /**
   * topk/bottomk skip histogram samples with an info annotation (Prometheus aggregationK): at
   * every step where k ≥ 1 and some input series has a histogram point.
   */
  private noteIgnoredHistogramsK(e: AggregateExpr, input: ESeries[], params: Float64Array): void {
    for (const s of input) {
      const hs = s.hs;
      if (hs === undefined) continue;
      for (let i = 0; i < s.n; i++) {
        if (hs[i] === undefined) continue;
        const k = Math.min(Math.trunc(params[Math.round((s.ts[i]! - this.start) / this.interval)]!), input.length);
        if (k >= 1) {
          this.annos.add(Anno.histogramIgnoredInAggregation(e.op, e.pos));
          return;
        }
      }
    }
  }

  /** The call when `e` is a range-vector function over a matrix/subquery that evalCall would route to evalRangeCall. */
  private fusableRangeCall(e: Expr): { call: Call; matrixIdx: number } | null {
    const c = unwrapParens(e);
    if (c.type !== 'Call' || c.func.name === 'absent_over_time' || !RANGE_FUNCTIONS[c.func.name]) return null;
    for (let i = 0; i < c.args.length; i++) {
      const a = unwrapParens(c.args[i]!);
      if (a.type === 'MatrixSelector' || a.type === 'SubqueryExpr') return { call: c, matrixIdx: i };
    }
    return null;
  }

  // ---- function calls ----

  private evalCall(e: Call): ESeries[] {
    const name = e.func.name;
    switch (name) {
      case 'start':
      case 'end':
      case 'range':
      case 'step': {
        const v =
          name === 'start' ? this.queryStart / 1000
          : name === 'end' ? this.queryEnd / 1000
          : name === 'range' ? (this.queryEnd - this.queryStart) / 1000
          : this.queryStep / 1000;
        return this.rangeEval([], (_v, ts, out) => {
          out.push({ metric: Labels.EMPTY, t: ts, v, dropName: false });
        });
      }
      case 'label_replace':
        return this.evalLabelReplace(e);
      case 'label_join':
        return this.evalLabelJoin(e);
      case 'info':
        return this.evalInfo(e);
    }
    if ((name === 'timestamp' || name === 'start_timestamp') && unwrapParens(e.args[0]!).type === 'VectorSelector') {
      return this.evalTimestampOfSelector(unwrapParens(e.args[0]!) as VectorSelector, name === 'start_timestamp');
    }
    if ((name === 'sort' || name === 'sort_desc' || name === 'sort_by_label' || name === 'sort_by_label_desc') && this.start !== this.end) {
      this.annos.add(Anno.sortInRangeQuery(e.pos));
    }
    let matrixIdx = -1;
    for (let i = 0; i < e.args.length; i++) {
      const a = unwrapParens(e.args[i]!);
      if (a.type === 'MatrixSelector' || a.type === 'SubqueryExpr') {
        matrixIdx = i;
        break;
      }
    }
    if (matrixIdx < 0) return this.evalInstantCall(e);
    return this.evalRangeCall(e, matrixIdx);
  }

  private evalInstantCall(e: Call): ESeries[] {
    const name = e.func.name;
    if (name === 'histogram_quantile' || name === 'histogram_fraction') return this.evalHistogramFn(e);
    if (name === 'histogram_quantiles') return this.evalHistogramQuantiles(e);
    const simple = SIMPLE_FUNCTIONS[name];
    if (simple) return this.mapSeries(e.args[0]!, simple);
    if (name === 'clamp' || name === 'clamp_min' || name === 'clamp_max' || name === 'round') {
      const ps: Float64Array[] = [];
      for (let i = 1; i < e.args.length; i++) ps.push(this.scalarParams(e.args[i]!));
      if (name === 'round') {
        const p = ps[0];
        return this.mapSeries(e.args[0]!, (x, step) => {
          const inv = 1 / (p ? p[step]! : 1);
          return Math.floor(x * inv + 0.5) / inv;
        });
      }
      const lo = name === 'clamp' || name === 'clamp_min' ? ps[0]! : null;
      const hi = name === 'clamp' ? ps[1]! : name === 'clamp_max' ? ps[0]! : null;
      const steps = this.numSteps();
      const drop = new Uint8Array(steps);
      for (let k = 0; k < steps; k++) if ((hi ? hi[k]! : Infinity) < (lo ? lo[k]! : -Infinity)) drop[k] = 1;
      return this.mapSeries(e.args[0]!, (x, step) => goMaxF(lo ? lo[step]! : -Infinity, goMinF(hi ? hi[step]! : Infinity, x)), drop);
    }
    const hf = NATIVE_HISTOGRAM_FUNCTIONS[name];
    if (hf) {
      // simpleHistogramFunc: one float per histogram sample; float samples give nothing.
      return this.rangeEval(
        e.args,
        (v, ts, out) => {
          for (const smp of v[0]!) if (smp.h !== undefined) out.push({ metric: smp.metric, t: ts, v: hf(smp.h), dropName: true });
        },
        null,
        true,
      );
    }
    const fn = INSTANT_FUNCTIONS[name];
    if (!fn) this.fail(`function "${name}" is not supported`);
    const ctx: InstantCtx = { ts: 0, args: e.args, annos: this.annos, pos: e.pos, fail: (m) => this.fail(m) };
    // absent() only asks whether there is a sample, of either type.
    return this.rangeEval(e.args, (v, ts, out) => {
      ctx.ts = ts;
      fn(v, ctx, out);
    }, null, name === 'absent');
  }

  private evalHistogramFn(e: Call): ESeries[] {
    const isQuantile = e.func.name === 'histogram_quantile';
    const vecArg = isQuantile ? e.args[1]! : e.args[2]!;
    const bstate = newBucketState();
    return this.rangeEval(e.args, (v, ts, out) => {
      let q = NaN;
      let lower = NaN;
      let upper = NaN;
      let inVec: ESample[];
      if (isQuantile) {
        if (v[0]!.length === 0) return;
        q = v[0]![0]!.v;
        inVec = v[1]!;
        if (Number.isNaN(q) || q < 0 || q > 1) this.annos.add(Anno.invalidQuantile(q, e.args[0]!.pos));
      } else {
        if (v[0]!.length === 0 || v[1]!.length === 0) return;
        lower = v[0]![0]!.v;
        upper = v[1]![0]!.v;
        inVec = v[2]!;
      }
      const natives = this.nativeHistogramSamples(inVec, vecArg, bstate);
      for (const smp of natives) {
        const metricName = smp.metric.get('__name__');
        if (isQuantile) {
          const r = histogramQuantile(q, smp.h!);
          if (r.nanResult) this.annos.add(Anno.nativeHistogramQuantileNaNResult(metricName, vecArg.pos));
          if (r.nanSkew) this.annos.add(Anno.nativeHistogramQuantileNaNSkew(metricName, vecArg.pos));
          out.push({ metric: smp.metric, t: ts, v: r.value, dropName: true });
        } else {
          const r = histogramFraction(lower, upper, smp.h!);
          if (r.nans) this.annos.add(Anno.nativeHistogramFractionNaNs(metricName, vecArg.pos));
          out.push({ metric: smp.metric, t: ts, v: r.value, dropName: true });
        }
      }
      const groups = this.activeGroups(bstate);
      for (const g of groups) {
        const buckets = g.buckets.slice(0, g.n);
        if (isQuantile) {
          const r = bucketQuantile(q, buckets);
          if (r.forcedMonotonic) {
            this.annos.add(Anno.forcedMonotonicity(g.metric.get('__name__'), vecArg.pos, ts, r.minBucket, r.maxBucket, r.maxDiff));
          }
          out.push({ metric: g.metric, t: ts, v: r.q, dropName: true });
        } else {
          out.push({ metric: g.metric, t: ts, v: bucketFraction(lower, upper, buckets), dropName: true });
        }
      }
    }, null, true);
  }

  /**
   * Prometheus resetHistograms: groups the classic buckets of `inVec` (into `state`) and returns
   * its native histogram samples, minus those that have classic buckets under the same labels at
   * this step (both dropped, with the mixed classic/native warning).
   */
  private nativeHistogramSamples(inVec: ESample[], vecArg: Expr, state: BucketState): ESample[] {
    let classic = inVec;
    let natives: ESample[] = [];
    if (inVec.some((x) => x.h !== undefined)) {
      classic = inVec.filter((x) => x.h === undefined);
      natives = inVec.filter((x) => x.h !== undefined);
    }
    this.groupBuckets(classic, vecArg, state);
    if (natives.length === 0) return natives;
    return natives.filter((smp) => {
      const g = state.byKey.get(smp.metric.key);
      if (g === undefined || g === null || g.n === 0) return true;
      this.annos.add(Anno.mixedClassicNativeHistograms(smp.metric.get('__name__'), vecArg.pos));
      g.n = 0;
      return false;
    });
  }

  private activeGroups(state: BucketState): BucketGroup[] {
    const out: BucketGroup[] = [];
    for (const g of state.groups) if (g.n > 0) out.push(g);
    return out;
  }

  /** Classic buckets grouped by labels without `le` (resetHistograms). */
  private bucketCache = new Map<Labels, { ub: number | null; metric: Labels; key: string; bad?: ReturnType<typeof Anno.badBucketLabel> }>();

  /**
   * Groups classic bucket samples by their labels without `le` (resetHistograms). `state` persists
   * across the steps of one node: each series' group is resolved once, bucket arrays are reused.
   */
  private groupBuckets(inVec: ESample[], vecArg: Expr, state: BucketState): BucketGroup[] {
    for (const g of state.groups) g.n = 0;
    for (const s of inVec) {
      let g = state.bySeries.get(s.metric);
      if (g === undefined) {
        let c = this.bucketCache.get(s.metric);
        if (!c) {
          const metric = s.metric.without('le');
          c = { ub: parseGoFloat(s.metric.get('le')), metric, key: metric.key };
          this.bucketCache.set(s.metric, c);
        }
        if (c.ub === null) {
          c.bad ??= Anno.badBucketLabel(s.metric.get('__name__'), s.metric.get('le'), vecArg.pos);
          g = null;
        } else {
          g = state.byKey.get(c.key) ?? null;
          if (g === null) {
            g = { metric: c.metric, buckets: [], n: 0 };
            state.byKey.set(c.key, g);
            state.groups.push(g);
          }
        }
        state.bySeries.set(s.metric, g);
        state.ub.set(s.metric, c.ub ?? NaN);
      }
      if (g === null) {
        this.annos.add(this.bucketCache.get(s.metric)!.bad!);
        continue;
      }
      const b = g.buckets[g.n];
      const ub = state.ub.get(s.metric)!;
      if (b) {
        b.upperBound = ub;
        b.count = s.v;
      } else g.buckets.push({ upperBound: ub, count: s.v });
      g.n++;
    }
    const out: BucketGroup[] = [];
    for (const g of state.groups) if (g.n > 0) out.push(g);
    return out;
  }

  private evalHistogramQuantiles(e: Call): ESeries[] {
    const labelArg = unwrapParens(e.args[1]!);
    const quantileLabel = labelArg.type === 'StringLiteral' ? labelArg.value : '';
    const vecArg = e.args[0]!;
    const bstate = newBucketState();
    return this.rangeEval(e.args, (v, ts, out) => {
      const qs: number[] = [];
      for (let i = 2; i < v.length; i++) {
        const q = v[i]![0]?.v ?? NaN;
        if (Number.isNaN(q) || q < 0 || q > 1) this.annos.add(Anno.invalidQuantile(q, e.args[i]!.pos));
        qs.push(q);
      }
      const natives = this.nativeHistogramSamples(v[0]!, vecArg, bstate);
      const groups = this.activeGroups(bstate);
      for (const q of qs) {
        for (const smp of natives) {
          const r = histogramQuantile(q, smp.h!);
          const metricName = smp.metric.get('__name__');
          if (r.nanResult) this.annos.add(Anno.nativeHistogramQuantileNaNResult(metricName, vecArg.pos));
          if (r.nanSkew) this.annos.add(Anno.nativeHistogramQuantileNaNSkew(metricName, vecArg.pos));
          out.push({ metric: smp.metric.with(quantileLabel, formatOpenMetricsFloat(q)), t: ts, v: r.value, dropName: true });
        }
        for (const g of groups) {
          const r = bucketQuantile(q, g.buckets.slice(0, g.n).map((b) => ({ ...b })));
          if (r.forcedMonotonic) {
            this.annos.add(Anno.forcedMonotonicity(g.metric.get('__name__'), vecArg.pos, ts, r.minBucket, r.maxBucket, r.maxDiff));
          }
          out.push({ metric: g.metric.with(quantileLabel, formatOpenMetricsFloat(q)), t: ts, v: r.q, dropName: true });
        }
      }
    }, null, true);
  }

  /**
   * timestamp(selector), or start_timestamp(selector) (`startTs`): the start timestamp of the
   * selected sample (0 when it has none; no output unless start timestamps are enabled).
   */
  private evalTimestampOfSelector(vs: VectorSelector, startTs = false): ESeries[] {
    if (startTs && !this.useST) return [];
    const series = this.seriesOf(vs);
    const at = vs.at ? this.atTime(vs.at) : undefined;
    const js = new Int32Array(series.length).fill(-1);
    const ks = new Int32Array(series.length).fill(-1);
    return this.rangeEval([], (_v, ts, out) => {
      const ref = (at ?? ts) - vs.offset;
      for (let i = 0; i < series.length; i++) {
        const s = series[i]!;
        let j = js[i]!;
        while (j + 1 < s.n && s.ts[j + 1]! <= ref) j++;
        js[i] = j;
        const hts = s.hts;
        if (hts !== undefined) {
          // A newer histogram sample is the one selected (unless it is a stale marker).
          let k = ks[i]!;
          while (k + 1 < hts.length && hts[k + 1]! <= ref) k++;
          ks[i] = k;
          if (k >= 0 && (j < 0 || hts[k]! > s.ts[j]!)) {
            const th = hts[k]!;
            if (th > ref - this.lookback && !isStaleNaN(s.hvs![k]!.sum)) {
              const hsts = (s as STSeries).hsts;
              out.push({ metric: s.labels, t: th, v: (startTs ? (hsts ? hsts[k]! : 0) : th) / 1000, dropName: true });
            }
            continue;
          }
        }
        if (j < 0) continue;
        const t = s.ts[j]!;
        if (t <= ref - this.lookback) continue;
        const v = s.vs[j]!;
        if (v !== v && isStaleNaN(v)) continue;
        if (startTs) {
          const sts = (s as STSeries).sts;
          out.push({ metric: s.labels, t, v: (sts ? sts[j]! : 0) / 1000, dropName: true });
        } else out.push({ metric: s.labels, t, v: t / 1000, dropName: true });
      }
    });
  }

  private rangeSource(arg: Expr): { src: RangeSource; cleanup: number } {
    const a = unwrapParens(arg);
    if (a.type === 'MatrixSelector') {
      const vs = a.vectorSelector;
      const series = this.seriesOf(vs);
      for (const s of series) filtered(s);
      return { src: { series, offset: vs.offset, range: a.range, at: vs.at, anchored: !!vs.anchored, smoothed: !!vs.smoothed }, cleanup: 0 };
    }
    if (a.type !== 'SubqueryExpr') this.fail('expected range vector argument');
    const { mat } = this.runSubquery(a);
    let total = 0;
    const series: RawSeries[] = mat.map((s) => {
      total += s.n;
      const hs = s.hs;
      if (hs !== undefined) {
        // Split the step points into floats and histograms, as RawSeries keeps them.
        const ts: number[] = [];
        const vs: number[] = [];
        const hts: number[] = [];
        const hvs: FloatHistogram[] = [];
        for (let i = 0; i < s.n; i++) {
          const h = hs[i];
          if (h !== undefined) {
            hts.push(s.ts[i]!);
            // As Prometheus: explicit reset/not_reset hints do not survive a subquery (it may skip
            // or repeat the sample that carried them); detection falls back to the counts.
            if (h.counterResetHint === 'reset' || h.counterResetHint === 'not_reset') {
              const u = h.copy();
              u.counterResetHint = 'unknown';
              hvs.push(u);
            } else hvs.push(h);
          } else {
            ts.push(s.ts[i]!);
            vs.push(s.vs[i]!);
          }
        }
        const fts = Float64Array.from(ts);
        const fvs = Float64Array.from(vs);
        return { labels: s.metric, ts: fts, vs: fvs, n: ts.length, fts, fvs, fn: ts.length, dropName: s.dropName, hts: Float64Array.from(hts), hvs };
      }
      const ts = s.ts.subarray(0, s.n);
      const vs = s.vs.subarray(0, s.n);
      return { labels: s.metric, ts, vs, n: s.n, fts: ts, fvs: vs, fn: s.n, dropName: s.dropName };
    });
    return { src: { series, offset: a.offset, range: a.range, at: a.at, anchored: false, smoothed: false }, cleanup: total };
  }

  /**
   * A range-vector function over every series of its matrix argument. With `sink`, each non-empty
   * output series is handed to it (in a scratch buffer reused for the next series) instead of being
   * materialised: Evaluator fuses `agg(range_fn(x[r]))` this way (benchmark-driven: materialising
   * 60k series × 241 steps for `sum by (job)(rate(x[5m]))` made allocation and GC a fifth of the
   * query's profile). Sample accounting is the same either way.
   */
  private evalRangeCall(e: Call, matrixIdx: number, sink?: SeriesSink): ESeries[] {
    const name = e.func.name;
    const base = this.currentSamples;
    // Non-matrix (scalar) arguments are evaluated first, as Prometheus does.
    const params: Float64Array[] = [];
    for (let i = 0; i < e.args.length; i++) if (i !== matrixIdx) params.push(this.scalarParams(e.args[i]!));
    const { src, cleanup } = this.rangeSource(e.args[matrixIdx]!);
    this.currentSamples += cleanup;
    if (src.anchored && !ANCHORED_SAFE.includes(name)) {
      this.fail(`anchored modifier can only be used with: ${ANCHORED_SAFE.join(', ')} - not with ${name}`);
    }
    if (src.smoothed && !SMOOTHED_SAFE.includes(name)) {
      this.fail(`smoothed modifier can only be used with: ${SMOOTHED_SAFE.join(', ')} - not with ${name}`);
    }
    const fn = RANGE_FUNCTIONS[name];
    if (!fn) this.fail(`function "${name}" is not supported`);
    const numSteps = this.numSteps();
    const at = src.at ? this.atTime(src.at) : undefined;
    const dropName = name !== 'last_over_time' && name !== 'first_over_time';
    const ctx: RangeCallCtx = {
      ts: 0, rangeStart: 0, rangeEnd: 0, rangeMs: src.range, params: new Array(params.length).fill(0),
      annos: this.annos, argPos: e.args[0]!.pos, sts: null, metric: Labels.EMPTY,
    };
    const mat: ESeries[] = [];
    const extended = src.anchored || src.smoothed;
    const useST = this.useST && ST_RANGE_FUNCS.has(name);
    // One output row per series, written into scratch arrays and copied out at its exact size
    // (or streamed to `sink`): no per-series growth/over-allocation.
    const scratchTs = new Float64Array(numSteps);
    const scratchVs = new Float64Array(numSteps);
    let fusedTotal = 0;
    for (const s of src.series) {
      this.check();
      const hsrc = filteredH(s);
      if (hsrc !== null) {
        // A series holding native histograms: per-window math in functions/histogram-range.ts.
        const r = this.rangeCallWithHistograms(e, name, s, hsrc, src, at, params, extended);
        if (r === null) continue;
        this.addSamples(r.n);
        r.dropName = dropName || !!s.dropName;
        if (sink) {
          sink(s.labels, r.ts, r.vs, r.n, r.dropName, r.hs);
          fusedTotal += r.n;
        } else mat.push(r);
        // Prometheus checks len(ss.Floats) > 0: only float outputs may be non-counters.
        let floats = 0;
        for (let i = 0; i < r.n; i++) if (r.hs?.[i] === undefined) floats++;
        if ((name === 'rate' || name === 'increase') && floats > 0) this.notePossibleNonCounter(s.labels, e.args[matrixIdx]!.pos);
        continue;
      }
      const fts = s.fts!;
      const fvs = s.fvs!;
      const fn_ = s.fn!;
      // Subquery input has no fsts: subqueries cut the propagation of start timestamps.
      const fsts = useST ? (s as STSeries).fsts ?? null : null;
      ctx.sts = fsts;
      ctx.metric = s.labels;
      let lo = 0;
      let hi = 0;
      let on = 0;
      let step = 0;
      for (let ts = this.start; ts <= this.end; ts += this.interval, step++) {
        const maxt = (at ?? ts) - src.offset;
        const mint = maxt - src.range;
        for (let p = 0; p < params.length; p++) ctx.params[p] = params[p]![step]!;
        ctx.ts = ts;
        ctx.rangeStart = mint;
        ctx.rangeEnd = maxt;
        let r: number | null;
        if (extended) {
          const elo = lowerBoundGT(fts, fn_, mint - this.lookback);
          const ehi = lowerBoundGT(fts, fn_, src.smoothed ? maxt + this.lookback : maxt);
          if (ehi <= elo) continue;
          r = extendedCall(name, fts, fvs, elo, ehi, mint, maxt, src.range, src.smoothed, fsts);
        } else {
          while (lo < fn_ && fts[lo]! <= mint) lo++;
          if (hi < lo) hi = lo;
          while (hi < fn_ && fts[hi]! <= maxt) hi++;
          if (at !== undefined) {
            lo = lowerBoundGT(fts, fn_, mint);
            hi = lowerBoundGT(fts, fn_, maxt);
          }
          if (hi <= lo) continue;
          try {
            r = fn(fts, fvs, lo, hi, ctx);
          } catch (err) {
            if (err instanceof FunctionError) this.fail(err.message);
            throw err;
          }
        }
        if (r === null) continue;
        scratchTs[on] = ts;
        scratchVs[on] = r;
        on++;
      }
      if (on > 0) {
        this.addSamples(on);
        const dn = dropName || !!s.dropName;
        if (sink) {
          sink(s.labels, scratchTs, scratchVs, on, dn);
          fusedTotal += on;
        } else mat.push({ metric: s.labels, ts: scratchTs.slice(0, on), vs: scratchVs.slice(0, on), n: on, dropName: dn });
        if (name === 'rate' || name === 'increase') this.notePossibleNonCounter(s.labels, e.args[matrixIdx]!.pos);
      }
    }
    this.currentSamples = base;
    let total = fusedTotal;
    for (const s of mat) total += s.n;
    this.addSamples(total);
    if (name === 'absent_over_time') {
      const steps = numSteps;
      for (const s of mat) if (s.n === steps) return [];
      const found = new Set<number>();
      for (const s of mat) for (let i = 0; i < s.n; i++) found.add(s.ts[i]!);
      if (found.size === steps && mat.length > 0) return [];
      const r = newSeries(absentLabels(e.args[0]!), steps - found.size, true);
      for (let ts = this.start; ts <= this.end; ts += this.interval) if (!found.has(ts)) pushPoint(r, ts, 1);
      return r.n > 0 ? [r] : [];
    }
    return mat;
  }

  /** rate/increase over float samples of a metric whose name does not look like a counter. */
  private notePossibleNonCounter(labels: Labels, pos: PosRange): void {
    const metricName = labels.get('__name__');
    if (metricName !== '' && !/(_total|_sum|_count|_bucket)$/.test(metricName)) this.annos.add(Anno.possibleNonCounter(metricName, pos));
  }

  /**
   * A range function over one series that holds native histograms: windows with histograms go
   * to histogramRangeFn, float-only windows to the float functions. Returns the output row.
   */
  private rangeCallWithHistograms(
    e: Call, name: string, s: RawSeries, h: { ts: Float64Array; hs: FloatHistogram[]; sts: Float64Array | null }, src: RangeSource,
    at: number | undefined, params: Float64Array[], extended: boolean,
  ): ESeries | null {
    const fn = RANGE_FUNCTIONS[name]!;
    const fts = s.fts!;
    const fvs = s.fvs!;
    const fnum = s.fn!;
    const hts = h.ts;
    const hn = hts.length;
    const out: ESeries = { metric: s.labels, ts: new Float64Array(this.numSteps()), vs: new Float64Array(this.numSteps()), n: 0, dropName: false };
    const ctx: RangeCallCtx = {
      ts: 0, rangeStart: 0, rangeEnd: 0, rangeMs: src.range, params: new Array(params.length).fill(0),
      annos: this.annos, argPos: e.args[0]!.pos, sts: null, metric: s.labels,
    };
    const hctx: HistRangeCtx = {
      ts: 0, rangeStart: 0, rangeEnd: 0, rangeMs: src.range, params: ctx.params, annos: this.annos, argPos: e.args[0]!.pos,
      metricName: s.labels.get('__name__'), anchored: src.anchored, smoothed: src.smoothed,
    };
    const w: HistWindow = { fts, fvs, flo: 0, fhi: 0, hts, hvs: h.hs, hlo: 0, hhi: 0 };
    if (this.useST && ST_RANGE_FUNCS.has(name)) {
      // Start timestamps as the float path: only for rate/irate/increase/resets (subqueries cut them).
      w.fsts = (s as STSeries).fsts ?? null;
      w.hsts = h.sts;
      ctx.sts = w.fsts;
    }
    let step = 0;
    for (let ts = this.start; ts <= this.end; ts += this.interval, step++) {
      const maxt = (at ?? ts) - src.offset;
      const mint = maxt - src.range;
      for (let p = 0; p < params.length; p++) ctx.params[p] = params[p]![step]!;
      ctx.ts = hctx.ts = ts;
      ctx.rangeStart = hctx.rangeStart = mint;
      ctx.rangeEnd = hctx.rangeEnd = maxt;
      const lo = extended ? mint - this.lookback : mint;
      const hi = src.smoothed ? maxt + this.lookback : maxt;
      w.flo = lowerBoundGT(fts, fnum, lo);
      w.fhi = lowerBoundGT(fts, fnum, hi);
      w.hlo = lowerBoundGT(hts, hn, lo);
      w.hhi = lowerBoundGT(hts, hn, hi);
      let f: number | null = null;
      let hr: FloatHistogram | undefined;
      try {
        if (w.hhi > w.hlo) {
          const r = histogramRangeFn(name, w, hctx);
          if (r === null) continue;
          if ('h' in r) hr = r.h;
          else f = r.f;
        } else {
          if (w.fhi <= w.flo) continue;
          f = extended ? extendedCall(name, fts, fvs, w.flo, w.fhi, mint, maxt, src.range, src.smoothed, ctx.sts ?? null) : fn(fts, fvs, w.flo, w.fhi, ctx);
          if (f === null) continue;
        }
      } catch (err) {
        if (err instanceof FunctionError) this.fail(err.message);
        throw err;
      }
      pushPoint(out, ts, f ?? 0, hr);
    }
    if (out.n === 0) return null;
    out.ts = out.ts.slice(0, out.n);
    out.vs = out.vs.slice(0, out.n);
    return out;
  }

  // ---- info() (promql/info.go) ----

  private evalInfo(e: Call): ESeries[] {
    const { ts: nodeTs, offset } = infoSelectTimestampAndOffset(e.args[0]!, (a) => this.atTime(a));
    const mat = this.evalMatrix(e.args[0]!);
    const { dataMatchers, nameMatchers } = infoMatchers(e);
    const effective = effectiveInfoNameMatchers(nameMatchers);
    const ignore = new Set<string>();
    for (const s of mat) {
      const name = s.metric.get('__name__');
      if (effective.every((m) => m.matches(name))) ignore.add(s.metric.key);
    }
    const idValues = new Map<string, Set<string>>();
    for (const s of mat) {
      if (ignore.has(s.metric.key)) continue;
      for (const l of IDENTIFYING_LABELS) {
        const v = s.metric.get(l);
        if (v === '') continue;
        let set = idValues.get(l);
        if (!set) idValues.set(l, (set = new Set()));
        set.add(v);
      }
    }
    let infoMat: ESeries[] = [];
    if (idValues.size > 0) {
      const candidates = (this.infoData.get(e) ?? []).filter((s) => {
        for (const [l, vals] of idValues) if (!vals.has(s.labels.get(l))) return false;
        return true;
      });
      infoMat = this.evalRawSeries(candidates, offset, nodeTs, true);
    }
    const sig = (name: string, l: Labels): string => {
      let k = '__name__\xff' + name + '\xff';
      for (const n of IDENTIFYING_LABELS) {
        const v = l.get(n);
        if (v !== '') k += n + '\xff' + v + '\xff';
      }
      return k;
    };
    const infoNames = new Set<string>();
    for (const s of infoMat) infoNames.add(s.metric.get('__name__'));
    const infoSigs = infoMat.map((s) => sig(s.metric.get('__name__'), s.metric));
    const baseSigs = mat.map((s) => [...infoNames].map((n) => [n, sig(n, s.metric)] as const));
    const allMatchEmpty = [...dataMatchers.values()].every((l) => l.every((m) => m.matchesEmpty()));
    const baseIdx = new Map<ESeries, number>();
    mat.forEach((s, i) => baseIdx.set(s, i));
    const infoIdx = new Map<string, number>();
    infoMat.forEach((s, i) => infoIdx.set(s.metric.key, i));
    const right = new Map<string, ESample>();
    return this.rangeEvalMatrices([mat, infoMat], (v, ts, out) => {
      const [base, info] = [v[0]!, v[1]!];
      if (base.length === 0) return;
      right.clear();
      for (const s of info) {
        const origT = s.v;
        const sg = infoSigs[infoIdx.get(s.metric.key)!]!;
        const ex = right.get(sg);
        if (ex) {
          if (ex.v > origT) continue;
          if (ex.v < origT) right.set(sg, s);
          else this.fail(`found duplicate series for info metric: existing ${goLabelsString(ex.metric)} @ ${ex.v}, new ${goLabelsString(s.metric)} @ ${origT}`);
        } else right.set(sg, s);
      }
      void ts;
      for (const bs of base) {
        if (ignore.has(bs.metric.key)) {
          out.push(bs);
          continue;
        }
        const add = new Map<string, string>();
        let seen = 0;
        const bi = baseIdx.get(bs.series!)!;
        for (const [, sg] of baseSigs[bi]!) {
          const is = right.get(sg);
          if (!is) continue;
          const f = is.metric.flat;
          for (let i = 0; i < f.length; i += 2) {
            const n = f[i]!;
            const val = f[i + 1]!;
            if (n === '__name__') continue;
            if (dataMatchers.size > 0 && !dataMatchers.has(n)) continue;
            const cur = add.get(n);
            if (cur !== undefined && cur !== val) this.fail(`conflicting label: ${n}`);
            if (bs.metric.has(n)) continue;
            add.set(n, val);
          }
          seen++;
        }
        if (seen === 0 && !allMatchEmpty) continue;
        let metric = bs.metric;
        if (add.size > 0) {
          const b = new LabelsBuilder(bs.metric);
          for (const [n, val] of add) b.set(n, val);
          metric = b.labels();
        }
        out.push({ metric, t: bs.t, v: bs.v, dropName: bs.dropName });
      }
    });
  }

  /** rangeEval over already-evaluated matrices; samples carry their source series. */
  private rangeEvalMatrices(matrixes: ESeries[][], fn: (vectors: (ESample & { series?: ESeries })[][], ts: number, out: ESample[]) => void): ESeries[] {
    const numSteps = this.numSteps();
    const cursors = matrixes.map((m) => new Int32Array(m.length));
    const vectors: (ESample & { series?: ESeries })[][] = matrixes.map(() => []);
    const out: ESample[] = [];
    const result = new Map<string, { s: ESeries; lastTs: number }>();
    const order: ESeries[] = [];
    for (let ts = this.start; ts <= this.end; ts += this.interval) {
      this.check();
      for (let i = 0; i < matrixes.length; i++) {
        const m = matrixes[i]!;
        const vec = vectors[i]!;
        vec.length = 0;
        for (let si = 0; si < m.length; si++) {
          const s = m[si]!;
          const c = cursors[i]![si]!;
          if (c < s.n && s.ts[c] === ts) {
            vec.push({ metric: s.metric, t: ts, v: s.vs[c]!, dropName: s.dropName, series: s });
            cursors[i]![si] = c + 1;
          }
        }
      }
      out.length = 0;
      fn(vectors, ts, out);
      for (const s of out) {
        const k = s.metric.key;
        let r = result.get(k);
        if (r) {
          if (r.lastTs === ts) this.fail('vector cannot contain metrics with the same labelset');
          r.lastTs = ts;
        } else {
          r = { s: newSeries(s.metric, Math.min(numSteps, 1024), s.dropName), lastTs: ts };
          result.set(k, r);
          order.push(r.s);
        }
        pushPoint(r.s, ts, s.v);
      }
    }
    return order;
  }

  // ---- label_replace / label_join ----

  private evalLabelReplace(e: Call): ESeries[] {
    const str = (i: number): string => {
      const a = unwrapParens(e.args[i]!);
      return a.type === 'StringLiteral' ? a.value : '';
    };
    const dst = str(1);
    const repl = str(2);
    const src = str(3);
    const regexStr = str(4);
    let re: RegExp;
    try {
      compileAnchoredRegex(regexStr);
      const t = translateRE2(regexStr);
      re = new RegExp(`^(?:${t.source})$`, t.flags.includes('s') ? t.flags : t.flags + 's');
    } catch {
      this.fail(`invalid regular expression in label_replace(): ${regexStr}`);
    }
    if (!isValidLabelName(dst)) this.fail(`invalid destination label name in label_replace(): ${dst}`);
    const mat = this.evalMatrix(e.args[0]!, true); // labels only: histograms pass through
    for (const s of mat) {
      const srcVal = s.metric.get(src);
      const m = re.exec(srcVal);
      if (!m) continue;
      const res = expandTemplate(repl, m);
      s.metric = s.metric.with(dst, res);
      if (dst === '__name__') s.dropName = false;
    }
    return this.mergeSameLabelset(mat);
  }

  private evalLabelJoin(e: Call): ESeries[] {
    const str = (i: number): string => {
      const a = unwrapParens(e.args[i]!);
      return a.type === 'StringLiteral' ? a.value : '';
    };
    const dst = str(1);
    const sep = str(2);
    const srcs: string[] = [];
    for (let i = 3; i < e.args.length; i++) {
      const s = str(i);
      if (!isValidLabelName(s)) this.fail(`invalid source label name in label_join(): ${s}`);
      srcs.push(s);
    }
    if (!isValidLabelName(dst)) this.fail(`invalid destination label name in label_join(): ${dst}`);
    const mat = this.evalMatrix(e.args[0]!, true); // labels only: histograms pass through
    for (const s of mat) {
      const v = srcs.map((n) => s.metric.get(n)).join(sep);
      s.metric = s.metric.with(dst, v);
      if (dst === '__name__') s.dropName = false;
    }
    return this.mergeSameLabelset(mat);
  }
}

interface BucketGroup {
  metric: Labels;
  buckets: Bucket[];
  n: number;
}

interface BucketState {
  groups: BucketGroup[];
  byKey: Map<string, BucketGroup>;
  bySeries: Map<Labels, BucketGroup | null>;
  ub: Map<Labels, number>;
}

function newBucketState(): BucketState {
  return { groups: [], byKey: new Map(), bySeries: new Map(), ub: new Map() };
}

const IDENTIFYING_LABELS = ['instance', 'job'];

function infoMatchers(c: Call): { dataMatchers: Map<string, Matcher[]>; nameMatchers: Matcher[] } {
  const dataMatchers = new Map<string, Matcher[]>();
  const nameMatchers: Matcher[] = [];
  if (c.args.length > 1) {
    const sel = unwrapParens(c.args[1]!);
    if (sel.type === 'VectorSelector') {
      for (const m of sel.matchers) {
        if (m.name === '__name__') {
          nameMatchers.push(m);
          continue;
        }
        const l = dataMatchers.get(m.name);
        if (l) l.push(m);
        else dataMatchers.set(m.name, [m]);
      }
    }
  } else {
    nameMatchers.push(new MatcherCtor('=', '__name__', 'target_info'));
  }
  return { dataMatchers, nameMatchers };
}

function effectiveInfoNameMatchers(ms: Matcher[]): Matcher[] {
  for (const m of ms) if (m.type === '=' || m.type === '=~') return ms;
  if (ms.length > 0) return [new MatcherCtor('=~', '__name__', '.+_info'), ...ms];
  return [new MatcherCtor('=', '__name__', 'target_info')];
}

function infoSelectTimestampAndOffset(e: Expr, atTime: (a: AtModifier) => number): { ts: number | undefined; offset: number } {
  let found: { ts: number | undefined; offset: number } | null = null;
  walk(e, (n, path) => {
    if (found || n.type !== 'VectorSelector') return;
    let ts = n.at ? atTime(n.at) : undefined;
    let offset = n.offset;
    for (let i = path.length - 1; ts === undefined && i >= 0; i--) {
      const p = path[i]!;
      if (p.type === 'SubqueryExpr') {
        offset += p.offset;
        ts = p.at ? atTime(p.at) : undefined;
      }
    }
    found = { ts, offset };
  });
  return found ?? { ts: undefined, offset: 0 };
}

function isValidLabelName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/** Go regexp.Expand template semantics: $1, ${1}, $name, ${name}, $$. */
export function expandTemplate(template: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$' || i + 1 >= template.length) {
      out += c;
      continue;
    }
    const n = template[i + 1]!;
    if (n === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string;
    let end: number;
    if (n === '{') {
      const close = template.indexOf('}', i + 2);
      if (close < 0) {
        out += c;
        continue;
      }
      name = template.slice(i + 2, close);
      if (!/^[A-Za-z0-9_]+$/.test(name)) {
        out += c;
        continue;
      }
      end = close;
    } else {
      const mm = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (!mm) {
        out += c;
        continue;
      }
      name = mm[0];
      end = i + name.length;
    }
    if (/^[0-9]+$/.test(name)) {
      const idx = parseInt(name, 10);
      if (idx < m.length) out += m[idx] ?? '';
    } else {
      out += m.groups?.[name] ?? '';
    }
    i = end;
  }
  return out;
}

/** Labels of absent()/absent_over_time() from the argument's equality matchers. */
export function absentLabels(arg: Expr): Labels {
  const a = unwrapParens(arg);
  let ms: readonly Matcher[];
  if (a.type === 'VectorSelector') ms = a.matchers;
  else if (a.type === 'MatrixSelector') ms = a.vectorSelector.matchers;
  else return Labels.EMPTY;
  const b = new LabelsBuilder();
  const has = new Set<string>();
  for (const m of ms) {
    if (m.name === '__name__') continue;
    if (m.type === '=' && !has.has(m.name)) {
      b.set(m.name, m.value);
      has.add(m.name);
    } else b.del(m.name);
  }
  return b.labels();
}

/** First index in ts[0..n) with ts[i] > t. */
function lowerBoundGT(ts: Float64Array, n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (ts[m]! <= t) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** labels.FormatOpenMetricsFloat. */
function formatOpenMetricsFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  const s = formatG(f);
  if (/[.eE]/.test(s)) return s;
  return s + '.0';
}

/** Go strconv.ParseFloat(s, 64) acceptance (decimal, hex float, inf/nan, underscores only with prefix). */
export function parseGoFloat(s: string): number | null {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  const hex = /^([+-]?)0[xX]([0-9a-fA-F_]*)(?:\.([0-9a-fA-F_]*))?[pP]([+-]?\d+)$/.exec(s);
  if (hex) {
    const ip = (hex[2] ?? '').replace(/_/g, '');
    const fp = (hex[3] ?? '').replace(/_/g, '');
    if (ip === '' && fp === '') return null;
    let v = ip ? parseInt(ip, 16) : 0;
    for (let i = 0; i < fp.length; i++) v += parseInt(fp[i]!, 16) / Math.pow(16, i + 1);
    v *= Math.pow(2, parseInt(hex[4]!, 10));
    return hex[1] === '-' ? -v : v;
  }
  return null;
}

// ---- extended range selectors (anchored / smoothed, experimental) ----

interface Window {
  ts: number[];
  vs: number[];
  n: number;
}

function interpolatePts(t1: number, y1: number, t2: number, y2: number, t: number, isCounter: boolean): number {
  if (isCounter && y2 < y1) y1 = 0;
  return y1 + ((y2 - y1) * (t - t1)) / (t2 - t1);
}

/** Prometheus extendFloats over samples ts/vs[lo, hi). */
function extendWindowPts(ts: Float64Array, vs: Float64Array, lo: number, hi: number, mint: number, maxt: number, smoothed: boolean): Window {
  const w: Window = { ts: [], vs: [], n: 0 };
  if (hi <= lo) return w;
  let last = hi - 1;
  let first = Math.max(lo, searchIdx(lo, last - lo, (i) => ts[i]! > mint) - 1);
  if (smoothed) last = searchIdx(lo, last - lo, (i) => ts[i]! >= maxt);
  if (ts[last]! <= mint) return w;
  const left = smoothed && ts[first]! < mint ? interpolatePts(ts[first]!, vs[first]!, ts[first + 1]!, vs[first + 1]!, mint, false) : vs[first]!;
  const right = smoothed && last > lo && ts[last]! > maxt ? interpolatePts(ts[last - 1]!, vs[last - 1]!, ts[last]!, vs[last]!, maxt, false) : vs[last]!;
  if (ts[first]! <= mint) first++;
  if (ts[last]! >= maxt) last--;
  w.ts.push(mint);
  w.vs.push(left);
  for (let i = first; i <= last; i++) {
    w.ts.push(ts[i]!);
    w.vs.push(vs[i]!);
  }
  w.ts.push(maxt);
  w.vs.push(right);
  w.n = w.ts.length;
  return w;
}

/** extendedRate (anchored/smoothed rate/increase/delta), floats. */
function extendedRateFloat(ts: Float64Array, vs: Float64Array, lo: number, hi: number, rangeStart: number, rangeEnd: number, rangeMs: number, smoothed: boolean, isCounter: boolean, isRate: boolean): number | null {
  if (hi <= lo) return null;
  let last = hi - 1;
  let first = Math.max(lo, searchIdx(lo, last - lo, (i) => ts[i]! > rangeStart) - 1);
  if (smoothed) last = searchIdx(lo, last - lo, (i) => ts[i]! >= rangeEnd);
  if (ts[last]! <= rangeStart) return null;
  if (smoothed && ts[first]! > rangeEnd) return null;
  const left = smoothed && ts[first]! < rangeStart ? interpolatePts(ts[first]!, vs[first]!, ts[first + 1]!, vs[first + 1]!, rangeStart, isCounter) : vs[first]!;
  const right = smoothed && last > lo && ts[last]! > rangeEnd ? interpolatePts(ts[last - 1]!, vs[last - 1]!, ts[last]!, vs[last]!, rangeEnd, isCounter) : vs[last]!;
  let r = right - left;
  if (isCounter) {
    if (ts[first]! <= rangeStart) first++;
    if (ts[last]! >= rangeEnd) last--;
    let corr = 0;
    let prev = left;
    for (let i = first; i <= last; i++) {
      if (vs[i]! < prev) corr += prev;
      prev = vs[i]!;
    }
    if (right < prev) corr += prev;
    r += corr;
  }
  if (isRate) r /= rangeMs / 1000;
  return r;
}

/** Anchored/smoothed evaluation of the safe functions over the extended window samples [lo, hi). */
function extendedCall(name: string, ts: Float64Array, vs: Float64Array, lo: number, hi: number, rangeStart: number, rangeEnd: number, rangeMs: number, smoothed: boolean, sts: Float64Array | null = null): number | null {
  switch (name) {
    case 'rate': return extendedRateFloat(ts, vs, lo, hi, rangeStart, rangeEnd, rangeMs, smoothed, true, true);
    case 'increase': return extendedRateFloat(ts, vs, lo, hi, rangeStart, rangeEnd, rangeMs, smoothed, true, false);
    case 'delta': return extendedRateFloat(ts, vs, lo, hi, rangeStart, rangeEnd, rangeMs, smoothed, false, false);
  }
  // changes/resets (anchored): pickFirstSampleIndices.
  if (hi <= lo) return null;
  const lastLE = searchIdx(lo, hi - lo, (i) => ts[i]! > rangeStart) - 1;
  if (lastLE + 1 >= hi) return null;
  const first = lastLE < lo ? lo : lastLE;
  if (name === 'resets') return countResets(ts, vs, first, hi, sts);
  let c = 0;
  for (let i = first + 1; i < hi; i++) {
    const cur = vs[i]!;
    const prev = vs[i - 1]!;
    if (name === 'changes') {
      if (cur !== prev && !(cur !== cur && prev !== prev)) c++;
    } else if (cur < prev) c++;
  }
  return c;
}
