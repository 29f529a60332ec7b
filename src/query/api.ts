// Prometheus HTTP API v1 (web/api/v1/api.go): query, query_range, series, labels, label values,
// query_exemplars, metadata, status endpoints, rules/alerts, format_query, parse_query — with
// Prometheus's JSON shapes, error types and HTTP status codes. Used by receive, query and `strata all`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Labels, compareStrings, isValidUTF8String } from '../labels/labels.ts';
import type { Matcher } from '../labels/matcher.ts';
import type { Exemplar, LabelHints, LabelResult, MetricMetadata, Querier, Queryable, Series } from '../storage/interfaces.ts';
import type { Expr, DurationExpr, AtModifier } from '../promql/ast.ts';
import type { FloatHistogram } from '../promql/histogram/index.ts';
import { PromQLError, type QueryEngine, type QueryOptions, type QueryResult, type QueryStats, type Value } from '../promql/value.ts';
import { parseExpr, parseMetricSelector } from '../promql/parser.ts';
import { formatExpr } from '../promql/printer.ts';
import { dynamicLookbackDelta } from './params.ts';
import {
  ApiError, MAX_TIME_MS, MIN_TIME_MS, Params, formatFloat, formatTimestamp, goQuote, jsonString, labelsJSON,
  parseDurationParam, parseLimit, parseTime, pointJSON, readParams, statusForErrorType, unescapeLabelName,
} from './http.ts';

export interface ExemplarSeries {
  seriesLabels: Labels;
  exemplars: Exemplar[];
}

export interface ApiLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface BuildInfo {
  version: string;
  revision: string;
  branch: string;
  buildUser: string;
  buildDate: string;
  goVersion: string;
}

export interface ApiOptions {
  /** Where PromQL and the series/labels endpoints read. */
  queryable: Queryable;
  engine: QueryEngine;
  exemplars?: (mint: number, maxt: number, matchers: Matcher[][]) => Promise<ExemplarSeries[]>;
  metadata?: (metric: string | undefined, limit: number) => Promise<Record<string, MetricMetadata[]>>;
  buildInfo: BuildInfo;
  lookbackDelta?: number;
  queryTimeout?: number;
  maxSamples?: number;
  /** Extra per-request engine options derived from parameters (e.g. dedup, partial_response). */
  extraParams?: (params: URLSearchParams) => Partial<QueryOptions>;
  /**
   * Thanos' dynamic lookback delta: given the request (and range step), the max source resolution
   * (ms) it may read; the lookback delta then grows to 1h when 1h-downsampled data may be read
   * (see dynamicLookbackDelta in params.ts). An explicit `lookback_delta` parameter still wins.
   */
  maxSourceResolutionFor?: (params: URLSearchParams, step?: number) => number;
  /**
   * Per-request Queryable derived from parameters (Thanos: dedup, replicaLabels[], partial_response,
   * max_source_resolution); `step` is the range query step (ms) when there is one. May throw an
   * ApiError for invalid parameters. Defaults to `queryable`.
   */
  queryableFor?: (params: URLSearchParams, step?: number) => Queryable;
  logger?: ApiLogger;
  /** Command-line flags for /api/v1/status/flags. */
  flags?: Record<string, string>;
  /** Storage retention text for /api/v1/status/runtimeinfo. */
  storageRetention?: string;
  /** Clock (ms), for tests. */
  now?: () => number;
}

type Handler = (p: Params, req: IncomingMessage, url: URL, sub: string) => Promise<Result>;

/** A successful result: raw JSON of `data` (undefined = omitted) plus warnings/infos. */
interface Result {
  data?: string;
  warnings?: string[];
  infos?: string[];
}

const MAX_ANNOTATIONS = 10;
const TRUNCATED = 'results truncated due to limit';

/** Applies Annotations.AsStrings' cap of 10 per kind. */
function capAnnotations(list: string[], kind: 'warning' | 'info'): string[] {
  if (list.length <= MAX_ANNOTATIONS) return list;
  return [...list.slice(0, MAX_ANNOTATIONS), `${list.length - MAX_ANNOTATIONS} more ${kind} annotations omitted`];
}

function arrayJSON(items: string[]): string {
  return '[' + items.join(',') + ']';
}

/**
 * A native histogram as Prometheus' jsonutil.MarshalHistogram: count, sum and the populated
 * buckets as [boundaries, lower, upper, count], boundaries 0 = (l,u], 1 = [l,u), 2 = (l,u), 3 = [l,u].
 */
export function histogramJSON(h: FloatHistogram): string {
  let out = `{"count":"${formatFloat(h.count)}","sum":"${formatFloat(h.sum)}"`;
  const buckets: string[] = [];
  for (const b of h.allBuckets()) {
    if (b.count === 0) continue;
    const bounds = b.lowerInclusive ? (b.upperInclusive ? 3 : 1) : b.upperInclusive ? 0 : 2;
    buckets.push(`[${bounds},"${formatFloat(b.lower)}","${formatFloat(b.upper)}","${formatFloat(b.count)}"]`);
  }
  if (buckets.length > 0) out += `,"buckets":[${buckets.join(',')}]`;
  return out + '}';
}

function histogramPointJSON(t: number, h: FloatHistogram): string {
  return `[${formatTimestamp(t)},${histogramJSON(h)}]`;
}

/** Renders a PromQL value as QueryData's `result`. */
export function valueJSON(v: Value): string {
  switch (v.resultType) {
    case 'scalar':
      return pointJSON(v.t, v.v);
    case 'string':
      return `[${formatTimestamp(v.t)},${jsonString(v.v)}]`;
    case 'vector':
      return arrayJSON(
        v.samples.map((s) =>
          s.h ? `{"metric":${labelsJSON(s.metric)},"histogram":${histogramPointJSON(s.t, s.h)}}` : `{"metric":${labelsJSON(s.metric)},"value":${pointJSON(s.t, s.v)}}`,
        ),
      );
    case 'matrix':
      return arrayJSON(
        v.series.map((s) => {
          let out = `{"metric":${labelsJSON(s.metric)}`;
          if (s.ts.length > 0) {
            const pts: string[] = new Array(s.ts.length);
            for (let i = 0; i < s.ts.length; i++) pts[i] = pointJSON(s.ts[i]!, s.vs[i]!);
            out += `,"values":[${pts.join(',')}]`;
          }
          if (s.hts && s.hvs && s.hts.length > 0) out += `,"histograms":[${s.hts.map((t, i) => histogramPointJSON(t, s.hvs![i]!)).join(',')}]`;
          return out + '}';
        }),
      );
  }
}

function statsJSON(st: QueryStats | undefined): string {
  const s = st ?? { totalQueryableSamples: 0, peakSamples: 0, timings: { evalTotalTime: 0, queryPreparationTime: 0, execTotalTime: 0 } };
  const t = s.timings;
  const num = (x: number): string => (Number.isFinite(x) ? String(x) : '0');
  return (
    `{"timings":{"evalTotalTime":${num(t.evalTotalTime)},"resultSortTime":0,"queryPreparationTime":${num(t.queryPreparationTime)},` +
    `"innerEvalTime":${num(t.evalTotalTime)},"execQueueTime":0,"execTotalTime":${num(t.execTotalTime)}},` +
    `"samples":{"totalQueryableSamples":${s.totalQueryableSamples},"peakSamples":${s.peakSamples}}}`
  );
}

function invalidParam(name: string, err: unknown): ApiError {
  return new ApiError('bad_data', `invalid parameter ${goQuote(name)}: ${err instanceof Error ? err.message : String(err)}`);
}

function param<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw invalidParam(name, e);
  }
}

function timeParam(p: Params, name: string, dflt: number): number {
  const v = p.get(name);
  if (v === '') return dflt;
  try {
    return parseTime(v);
  } catch (e) {
    throw invalidParam(name, new Error(`invalid time value for '${name}': ${(e as Error).message}`));
  }
}

/** parseMatchersParam: parses every match[] and requires a non-empty matcher in each set. */
function parseMatchers(list: string[]): Matcher[][] {
  const sets = list.map((s) => parseMetricSelector(s));
  for (const ms of sets) {
    if (!ms.some((m) => !m.matches(''))) throw new Error('match[] must contain at least one non-empty matcher');
  }
  return sets;
}

/** Maps an engine error to an API error, as returnAPIError / invalidParamError("query") do. */
function engineError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof PromQLError) {
    if (e.errorType === 'bad_data') return invalidParam('query', e);
    return new ApiError(e.errorType, e.message);
  }
  if (e instanceof Error && e.name === 'ParseError') return invalidParam('query', e);
  if (e instanceof Error && e.name === 'AbortError') return new ApiError('canceled', e.message);
  return new ApiError('internal', e instanceof Error ? e.message : String(e));
}

function truncateValue(v: Value, limit: number): { value: Value; truncated: boolean } {
  if (v.resultType === 'vector' && v.samples.length > limit) return { value: { resultType: 'vector', samples: v.samples.slice(0, limit) }, truncated: true };
  if (v.resultType === 'matrix' && v.series.length > limit) return { value: { resultType: 'matrix', series: v.series.slice(0, limit) }, truncated: true };
  return { value: v, truncated: false };
}

function statsParamWarning(s: string): string | null {
  if (s === '' || s === 'true' || s === 'all') return null;
  return `value ${goQuote(s)} for parameter "stats" is deprecated and will be rejected in the next major release, use "true" or "all"`;
}

async function collectSeries(q: Queryable, mint: number, maxt: number, sets: Matcher[][], limit: number): Promise<{ labels: Labels[]; warnings: string[] }> {
  const querier = q.querier(mint, maxt);
  try {
    const hints = { start: mint, end: maxt, func: 'series', skipChunks: true, limit: limit > 0 ? limit + 1 : 0 };
    const warnings: string[] = [];
    const byKey = new Map<string, Labels>();
    for (const ms of sets) {
      const set = querier.select(hints, ms);
      for await (const s of set as AsyncIterable<Series>) byKey.set(s.labels.key, s.labels);
      warnings.push(...set.warnings());
    }
    const labels = [...byKey.values()];
    if (sets.length > 1) labels.sort(Labels.compare);
    return { labels, warnings };
  } finally {
    querier.close();
  }
}

// ---------------------------------------------------------------------------------------------
// parse_query (translate_ast.go); Go marshals its maps with sorted keys.

function sortedObject(o: Record<string, unknown>): string {
  return '{' + Object.keys(o).sort().map((k) => `${jsonString(k)}:${o[k] === undefined ? 'null' : (o[k] as string)}`).join(',') + '}';
}

function strList(l: string[]): string {
  return '[' + l.map(jsonString).join(',') + ']';
}

function matchersJSON(ms: Matcher[]): string {
  return '[' + ms.map((m) => `{"name":${jsonString(m.name)},"type":${jsonString(m.type)},"value":${jsonString(m.value)}}`).join(',') + ']';
}

function startOrEnd(at: AtModifier | undefined): string {
  return at && at.kind !== 'time' ? jsonString(at.kind) : 'null';
}

function atTimestamp(at: AtModifier | undefined): string {
  return at && at.kind === 'time' ? String(at.ms) : 'null';
}

function durationJSON(d: DurationExpr | undefined): string {
  if (!d) return 'null';
  switch (d.type) {
    case 'DurationLiteral':
      return sortedObject({ type: '"numberLiteral"', val: jsonString(formatPlain(d.ms / 1000)), duration: 'true' });
    case 'DurationBinary':
      return sortedObject({ type: '"durationExpr"', op: jsonString(d.op), lhs: durationJSON(d.lhs), rhs: durationJSON(d.rhs), wrapped: 'false' });
    case 'DurationUnary':
      return sortedObject({ type: '"durationExpr"', op: jsonString(d.op), lhs: 'null', rhs: durationJSON(d.expr), wrapped: 'false' });
    case 'DurationCall':
      return sortedObject({ type: '"durationExpr"', op: jsonString(d.func), lhs: d.args[0] ? durationJSON(d.args[0]) : 'null', rhs: d.args[1] ? durationJSON(d.args[1]) : 'null', wrapped: 'false' });
  }
}

/** strconv.FormatFloat(v, 'f', -1, 64). */
function formatPlain(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (Object.is(v, -0)) return '-0';
  const s = String(v);
  if (!s.includes('e')) return s;
  // Expand exponent notation into plain digits.
  const [mant, expS] = s.split('e') as [string, string];
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const pointPos = (mant.replace('-', '').indexOf('.') < 0 ? mant.replace('-', '').length : mant.replace('-', '').indexOf('.')) + Number(expS);
  let out: string;
  if (pointPos <= 0) out = '0.' + '0'.repeat(-pointPos) + digits;
  else if (pointPos >= digits.length) out = digits + '0'.repeat(pointPos - digits.length);
  else out = digits.slice(0, pointPos) + '.' + digits.slice(pointPos);
  return (neg ? '-' : '') + out;
}

export function translateAST(e: Expr): string {
  switch (e.type) {
    case 'AggregateExpr':
      return sortedObject({ type: '"aggregation"', op: jsonString(e.op), expr: translateAST(e.expr), param: e.param ? translateAST(e.param) : 'null', grouping: strList(e.grouping), without: String(e.without) });
    case 'BinaryExpr': {
      const m = e.matching;
      const fill = (v: number | undefined): string => (v === undefined ? 'null' : formatGoFloatJSON(v));
      const matching = m
        ? sortedObject({ card: jsonString(m.card), labels: strList(m.matchingLabels), on: String(m.on), include: strList(m.include), fillValues: `{"lhs":${fill(m.fillLeft)},"rhs":${fill(m.fillRight)}}` })
        : 'null';
      return sortedObject({ type: '"binaryExpr"', op: jsonString(e.op), lhs: translateAST(e.lhs), rhs: translateAST(e.rhs), matching, bool: String(e.returnBool) });
    }
    case 'Call':
      return sortedObject({
        type: '"call"',
        func: sortedObject({ name: jsonString(e.func.name), argTypes: strList(e.func.argTypes), variadic: String(e.func.variadic), returnType: jsonString(e.func.returnType) }),
        args: '[' + e.args.map(translateAST).join(',') + ']',
      });
    case 'MatrixSelector': {
      const vs = e.vectorSelector;
      return sortedObject({
        type: '"matrixSelector"', name: jsonString(vs.name), range: String(e.range), rangeExpr: durationJSON(e.rangeExpr),
        offset: String(vs.offset), offsetExpr: durationJSON(vs.offsetExpr), matchers: matchersJSON(vs.matchers),
        timestamp: atTimestamp(vs.at), startOrEnd: startOrEnd(vs.at), anchored: String(!!vs.anchored), smoothed: String(!!vs.smoothed),
      });
    }
    case 'SubqueryExpr':
      return sortedObject({
        type: '"subquery"', expr: translateAST(e.expr), range: String(e.range), rangeExpr: durationJSON(e.rangeExpr),
        offset: String(e.offset), offsetExpr: durationJSON(e.offsetExpr), step: String(e.step), stepExpr: durationJSON(e.stepExpr),
        timestamp: atTimestamp(e.at), startOrEnd: startOrEnd(e.at),
      });
    case 'NumberLiteral':
      return sortedObject({ type: '"numberLiteral"', val: jsonString(formatPlain(e.value)) });
    case 'ParenExpr':
      return sortedObject({ type: '"parenExpr"', expr: translateAST(e.expr) });
    case 'StringLiteral':
      return sortedObject({ type: '"stringLiteral"', val: jsonString(e.value) });
    case 'UnaryExpr':
      return sortedObject({ type: '"unaryExpr"', op: jsonString(e.op), expr: translateAST(e.expr) });
    case 'VectorSelector':
      return sortedObject({
        type: '"vectorSelector"', name: jsonString(e.name), offset: String(e.offset), offsetExpr: durationJSON(e.offsetExpr),
        matchers: matchersJSON(e.matchers), timestamp: atTimestamp(e.at), startOrEnd: startOrEnd(e.at),
        anchored: String(!!e.anchored), smoothed: String(!!e.smoothed),
      });
    case 'StepInvariantExpr':
      return translateAST(e.expr);
  }
}

/** A float64 pointer as encoding/json writes it (numbers; NaN/Inf cannot be encoded). */
function formatGoFloatJSON(v: number): string {
  if (!Number.isFinite(v)) return 'null';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-6 || a >= 1e21)) {
    const m = /^(-?[0-9.]+)e([+-])(\d+)$/.exec(v.toExponential())!;
    return `${m[1]}e${m[2]}${m[3]!.padStart(2, '0')}`;
  }
  return String(v);
}

// ---------------------------------------------------------------------------------------------

/**
 * Creates the /api/v1 handler. It returns true when it handled the request (any path under
 * /api/v1/), false otherwise so the caller can route elsewhere.
 */
export function createApiV1(opts: ApiOptions): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> {
  const now = opts.now ?? Date.now;
  const startTime = now();

  const queryOpts = (p: Params, step?: number): QueryOptions => {
    const o: QueryOptions = {};
    if (opts.lookbackDelta !== undefined) o.lookbackDelta = opts.lookbackDelta;
    if (opts.queryTimeout !== undefined) o.timeout = opts.queryTimeout;
    if (opts.maxSamples !== undefined) o.maxSamples = opts.maxSamples;
    if (opts.maxSourceResolutionFor) {
      const msr = opts.maxSourceResolutionFor(p.toURLSearchParams(), step);
      o.lookbackDelta = dynamicLookbackDelta(o.lookbackDelta ?? 300_000, msr); // 5m: the engine's default
    }
    const lb = p.get('lookback_delta');
    if (lb !== '') {
      try {
        o.lookbackDelta = parseDurationParam(lb);
      } catch (e) {
        throw new ApiError('bad_data', `error parsing lookback delta duration: ${(e as Error).message}`);
      }
    }
    if (p.get('stats') !== '') o.stats = true;
    if (opts.extraParams) Object.assign(o, opts.extraParams(p.toURLSearchParams()));
    return o;
  };

  const queryableOf = (p: Params, step?: number): Queryable => (opts.queryableFor ? opts.queryableFor(p.toURLSearchParams(), step) : opts.queryable);

  const timeoutOpt = (p: Params, o: QueryOptions): void => {
    const to = p.get('timeout');
    if (to === '') return;
    const ms = param('timeout', () => parseDurationParam(to));
    o.timeout = o.timeout !== undefined ? Math.min(o.timeout, ms) : ms;
  };

  const queryResult = (r: QueryResult, p: Params, limit: number): Result => {
    const warnings = [...r.warnings];
    let value = r.value;
    if (limit > 0) {
      const t = truncateValue(value, limit);
      value = t.value;
      if (t.truncated) warnings.push(TRUNCATED);
    }
    const sw = statsParamWarning(p.get('stats'));
    if (sw) warnings.push(sw);
    let data = `{"resultType":"${value.resultType}","result":${valueJSON(value)}`;
    if (p.get('stats') !== '') data += `,"stats":${statsJSON(r.stats)}`;
    return { data: data + '}', warnings, infos: r.infos };
  };

  /**
   * /labels and /label/<name>/values: limit, start/end and match[] parameters, one lookup per
   * match[] set merged, sorted, truncated to limit with Prometheus' warning.
   */
  async function labelLookup(p: Params, lookup: (q: Querier, ms: Matcher[], hints: LabelHints) => Promise<LabelResult>): Promise<{ data: string; warnings: string[] }> {
    const limit = param('limit', () => parseLimit(p.get('limit')));
    const start = timeParam(p, 'start', MIN_TIME_MS);
    const end = timeParam(p, 'end', MAX_TIME_MS);
    let sets: Matcher[][];
    try {
      sets = parseMatchers(p.getAll('match[]'));
    } catch (e) {
      throw new ApiError('bad_data', (e as Error).message);
    }
    const q = queryableOf(p).querier(start, end);
    const warnings: string[] = [];
    let vals: string[];
    try {
      const hints = { limit: limit > 0 ? limit + 1 : 0 };
      const all = new Set<string>();
      for (const ms of sets.length > 0 ? sets : [[]]) {
        const r = await lookup(q, ms, hints);
        warnings.push(...r.warnings);
        for (const v of r.values) all.add(v);
      }
      vals = [...all].sort(compareStrings);
    } catch (e) {
      throw new ApiError('execution', (e as Error).message);
    } finally {
      q.close();
    }
    if (limit > 0 && vals.length > limit) {
      vals = vals.slice(0, limit);
      warnings.push(TRUNCATED);
    }
    return { data: strList(vals), warnings };
  }

  const handlers: Record<string, Handler> = {
    async query(p) {
      const limit = param('limit', () => parseLimit(p.get('limit')));
      const ts = timeParam(p, 'time', now());
      const o = queryOpts(p);
      timeoutOpt(p, o);
      const qb = queryableOf(p);
      let r: QueryResult;
      try {
        r = await opts.engine.instantQuery(qb, p.get('query'), ts, o);
      } catch (e) {
        throw engineError(e);
      }
      return queryResult(r, p, limit);
    },

    async query_range(p) {
      const limit = param('limit', () => parseLimit(p.get('limit')));
      const start = param('start', () => parseTime(p.get('start')));
      const end = param('end', () => parseTime(p.get('end')));
      if (end < start) throw invalidParam('end', new Error('end timestamp must not be before start time'));
      const step = param('step', () => parseDurationParam(p.get('step')));
      if (step <= 0) throw invalidParam('step', new Error('zero or negative query resolution step widths are not accepted. Try a positive integer'));
      // Go divides Durations (ns) with integer division.
      if (Math.trunc(((end - start) * 1e6) / (step * 1e6)) > 11000) {
        throw new ApiError('bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
      }
      const o = queryOpts(p, step);
      timeoutOpt(p, o);
      const qb = queryableOf(p, step);
      let r: QueryResult;
      try {
        r = await opts.engine.rangeQuery(qb, p.get('query'), start, end, step, o);
      } catch (e) {
        throw engineError(e);
      }
      return queryResult(r, p, limit);
    },

    async series(p) {
      const match = p.getAll('match[]');
      if (match.length === 0) throw new ApiError('bad_data', 'no match[] parameter provided');
      const limit = param('limit', () => parseLimit(p.get('limit')));
      const start = timeParam(p, 'start', MIN_TIME_MS);
      const end = timeParam(p, 'end', MAX_TIME_MS);
      const sets = param('match[]', () => parseMatchers(match));
      const { labels, warnings } = await collectSeries(queryableOf(p), start, end, sets, limit);
      let out = labels;
      if (limit > 0 && out.length > limit) {
        out = out.slice(0, limit);
        warnings.push(TRUNCATED);
      }
      return { data: arrayJSON(out.map(labelsJSON)), warnings };
    },

    async labels(p) {
      return labelLookup(p, (q, ms, hints) => q.labelNames(ms, hints));
    },

    async label(p, _req, _url, sub) {
      // sub = "<name>/values"
      const m = /^([^/]+)\/values$/.exec(sub);
      if (!m) throw new NotFound();
      let name: string;
      try {
        name = decodeURIComponent(m[1]!);
      } catch {
        name = m[1]!;
      }
      if (name.startsWith('U__')) name = unescapeLabelName(name);
      if (name === '' || !isValidUTF8String(name)) throw new ApiError('bad_data', `invalid label name: ${goQuote(name)}`);
      return labelLookup(p, (q, ms, hints) => q.labelValues(name, ms, hints));
    },

    async query_exemplars(p) {
      const start = timeParam(p, 'start', MIN_TIME_MS);
      const end = timeParam(p, 'end', MAX_TIME_MS);
      if (end < start) throw new ApiError('bad_data', 'end timestamp must not be before start timestamp');
      let expr: Expr;
      try {
        expr = parseExpr(p.get('query'));
      } catch (e) {
        throw new ApiError('bad_data', (e as Error).message);
      }
      const selectors = extractSelectors(expr);
      if (selectors.length < 1) return {};
      const res = opts.exemplars ? await opts.exemplars(start, end, selectors) : [];
      return {
        data: arrayJSON(
          res.map(
            (s) =>
              `{"seriesLabels":${labelsJSON(s.seriesLabels)},"exemplars":${arrayJSON(
                s.exemplars.map((x) => `{"labels":${labelsJSON(x.labels)},"value":"${formatFloat(x.value)}","timestamp":${formatTimestamp(x.ts)}}`),
              )}}`,
          ),
        ),
      };
    },

    async metadata(p) {
      let limit = -1;
      const ls = p.get('limit');
      if (ls !== '') {
        if (!/^[+-]?\d+$/.test(ls)) throw new ApiError('bad_data', 'limit must be a number');
        limit = Number(ls);
      }
      const lpm = p.get('limit_per_metric');
      let limitPerMetric = -1;
      if (lpm !== '') {
        if (!/^[+-]?\d+$/.test(lpm)) throw new ApiError('bad_data', 'limit_per_metric must be a number');
        limitPerMetric = Number(lpm);
      }
      const metric = p.get('metric');
      const md = opts.metadata ? await opts.metadata(metric === '' ? undefined : metric, limit) : {};
      const parts: string[] = [];
      for (const [name, list] of Object.entries(md)) {
        if (limit >= 0 && parts.length >= limit) break;
        const l = limitPerMetric > 0 ? list.slice(0, limitPerMetric) : list;
        parts.push(`${jsonString(name)}:${arrayJSON(l.map((m) => `{"type":${jsonString(m.type)},"help":${jsonString(m.help)},"unit":${jsonString(m.unit)}}`))}`);
      }
      return { data: '{' + parts.join(',') + '}' };
    },

    async 'status/buildinfo'() {
      const b = opts.buildInfo;
      return {
        data: `{"version":${jsonString(b.version)},"revision":${jsonString(b.revision)},"branch":${jsonString(b.branch)},"buildUser":${jsonString(b.buildUser)},"buildDate":${jsonString(b.buildDate)},"goVersion":${jsonString(b.goVersion)}}`,
      };
    },

    async 'status/flags'() {
      const f = opts.flags ?? {};
      return { data: '{' + Object.keys(f).sort().map((k) => `${jsonString(k)}:${jsonString(f[k]!)}`).join(',') + '}' };
    },

    async 'status/runtimeinfo'() {
      const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
      const os = await import('node:os');
      return {
        data:
          `{"startTime":${jsonString(iso(startTime))},"CWD":${jsonString(process.cwd())},"hostname":${jsonString(os.hostname())},` +
          `"serverTime":${jsonString(iso(now()))},"reloadConfigSuccess":true,"lastConfigTime":${jsonString(iso(startTime))},` +
          `"corruptionCount":0,"goroutineCount":0,"GOMAXPROCS":${os.availableParallelism()},"GOMEMLIMIT":0,"GOGC":"","GODEBUG":"",` +
          `"storageRetention":${jsonString(opts.storageRetention ?? '')}}`,
      };
    },

    async rules() {
      return { data: '{"groups":[]}' };
    },

    async alerts() {
      return { data: '{"alerts":[]}' };
    },

    async format_query(p) {
      let expr: Expr;
      try {
        expr = parseExpr(p.get('query'));
      } catch (e) {
        throw invalidParam('query', e);
      }
      return { data: jsonString(formatExpr(expr)) };
    },

    async parse_query(p) {
      let expr: Expr;
      try {
        expr = parseExpr(p.get('query'));
      } catch (e) {
        throw invalidParam('query', e);
      }
      return { data: translateAST(expr) };
    },
  };

  const methods: Record<string, string[]> = {
    query: ['GET', 'POST'],
    query_range: ['GET', 'POST'],
    series: ['GET', 'POST'],
    labels: ['GET', 'POST'],
    label: ['GET'],
    query_exemplars: ['GET', 'POST'],
    metadata: ['GET'],
    'status/buildinfo': ['GET'],
    'status/flags': ['GET'],
    'status/runtimeinfo': ['GET'],
    rules: ['GET'],
    alerts: ['GET'],
    format_query: ['GET', 'POST'],
    parse_query: ['GET', 'POST'],
  };

  const send = (res: ServerResponse, code: number, body: string): void => {
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };

  return async (req, res, url) => {
    if (!url.pathname.startsWith('/api/v1/')) return false;
    const path = url.pathname.slice('/api/v1/'.length);
    let key = path;
    let sub = '';
    if (path.startsWith('label/')) {
      key = 'label';
      sub = path.slice('label/'.length);
    }
    const h: Handler | undefined = Object.hasOwn(handlers, key) ? handlers[key] : undefined;
    if (req.method === 'OPTIONS' && h) {
      send(res, 200, '{"status":"success"}');
      return true;
    }
    if (!h) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
      return true;
    }
    const allowed = methods[key]!;
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    if (!allowed.includes(method)) {
      res.writeHead(405, { 'Content-Type': 'text/plain; charset=utf-8', Allow: allowed.join(', ') });
      res.end('Method Not Allowed\n');
      return true;
    }
    try {
      const p = await readParams(req, url);
      const r = await h(p, req, url, sub);
      let body = '{"status":"success"';
      if (r.data !== undefined) body += `,"data":${r.data}`;
      const w = capAnnotations(r.warnings ?? [], 'warning');
      const i = capAnnotations(r.infos ?? [], 'info');
      if (w.length) body += `,"warnings":${strList(w)}`;
      if (i.length) body += `,"infos":${strList(i)}`;
      send(res, 200, body + '}');
    } catch (e) {
      if (e instanceof NotFound) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('404 page not found\n');
        return true;
      }
      const ae = e instanceof ApiError ? e : engineError(e);
      if (ae.errorType === 'internal') opts.logger?.error({ err: e instanceof Error ? e.stack : String(e), path }, 'API internal error');
      send(res, statusForErrorType(ae.errorType), `{"status":"error","errorType":${jsonString(ae.errorType)},"error":${jsonString(ae.message)}}`);
    }
    return true;
  };
}

class NotFound extends Error {}

/** parser.ExtractSelectors: the matchers of every vector selector, in walk order. */
export function extractSelectors(e: Expr): Matcher[][] {
  const out: Matcher[][] = [];
  const visit = (n: Expr): void => {
    switch (n.type) {
      case 'VectorSelector':
        out.push(n.matchers);
        return;
      case 'MatrixSelector':
        out.push(n.vectorSelector.matchers);
        return;
      case 'SubqueryExpr':
      case 'ParenExpr':
      case 'UnaryExpr':
      case 'StepInvariantExpr':
        visit(n.expr);
        return;
      case 'AggregateExpr':
        visit(n.expr);
        if (n.param) visit(n.param);
        return;
      case 'BinaryExpr':
        visit(n.lhs);
        visit(n.rhs);
        return;
      case 'Call':
        n.args.forEach(visit);
        return;
      default:
        return;
    }
  };
  visit(e);
  return out;
}
