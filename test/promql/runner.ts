// Executes PromQL test scripts against MemoryStorage and the engine, with the reference runner's
// rules (promql/promqltest/test.go): result matching, annotations, expected failures, and the two
// extra checks on every instant eval (@-pinned re-runs and the range-mode middle step).
import { Engine } from '../../src/promql/engine.ts';
import { parseExpr } from '../../src/promql/parser.ts';
import { formatExpr } from '../../src/promql/printer.ts';
import type { Expr } from '../../src/promql/ast.ts';
import type { QueryEngine, QueryResult } from '../../src/promql/value.ts';
import { MemoryStorage } from '../../src/storage/memory.ts';
import { METRIC_NAME, type Labels } from '../../src/labels/labels.ts';
import { FloatHistogram, customBucketBoundsMatch, type CounterResetHint } from '../../src/promql/histogram/index.ts';
import { toFloatHistogram } from '../../src/promql/eval-types.ts';
import { isStaleNaN } from '../../src/tsdb/stale.ts';
import { checkAnnotations, checkExpectedFailure, compareResult, middleStep, MatchError } from './match.ts';
import { isFail, isOrdered, parseScript, type EvalCmd, type LoadCmd } from './script.ts';

/** Engine settings of the reference runner (README §9). */
export const TEST_ENGINE_OPTS = {
  lookbackDelta: 300000,
  maxSamples: 10000,
  timeout: 100000,
  defaultSubqueryStep: 60000,
  enableExperimental: true,
  // promqltest's engine options: rate/irate/increase/resets and start_timestamp() use start timestamps.
  useStartTimestamps: true,
} as const;

export function newTestEngine(): QueryEngine {
  return new Engine({ ...TEST_ENGINE_OPTS });
}

/**
 * `needs_native_histograms` evals (README heuristic) are run too, but reported apart from the
 * float-only ones: `nhPassed` says whether such an eval passed.
 */
export type EvalStatus = 'passed' | 'failed' | 'needs_native_histograms';

export interface EvalOutcome {
  line: number;
  expr: string;
  kind: 'instant' | 'range';
  status: EvalStatus;
  /** Why it failed, or which heuristic flagged it as needing native histograms. */
  detail?: string;
  /** For needs_native_histograms: whether it passed, and why not. */
  nhPassed?: boolean;
  nhFailure?: string;
}

export interface FileReport {
  file: string;
  evals: number;
  passed: number;
  failed: number;
  needsNativeHistograms: number;
  /** How many of the needs-native-histograms evals pass. */
  nhPassed: number;
  outcomes: EvalOutcome[];
  /** A script that could not be parsed or crashed the runner. */
  error?: string;
}

/** Functions whose result depends on the evaluation time itself (promql.AtModifierUnsafeFunctions). */
export const AT_MODIFIER_UNSAFE_FUNCTIONS = new Set([
  'days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'end', 'hour', 'minute', 'month', 'year',
  'predict_linear', 'range', 'start', 'step', 'time', 'timestamp',
]);

const RE_QUERY_CONTEXT_FUNCS = /(start|end|range|step)\(\)/;
const NH_FUNCS = /\bhistogram_(count|sum|avg|stddev|stdvar)\s*\(/;
const NAME_REGEX_SELECTOR = /__name__\s*(=~|!~)/;

/**
 * Sets `@ ts` on every selector and subquery that has no fixed `@` time (as atModifierTestCases):
 * nodes below a subquery are left alone. Returns false when the query calls a function that is
 * unsafe to pin (then no re-runs are made).
 */
export function pinAt(e: Expr, ts: number): boolean {
  let safe = true;
  const at = { kind: 'time' as const, ms: ts };
  const visit = (n: Expr): void => {
    switch (n.type) {
      case 'VectorSelector':
        if (!n.at || n.at.kind !== 'time') n.at = at;
        return;
      case 'MatrixSelector':
        if (!n.vectorSelector.at || n.vectorSelector.at.kind !== 'time') n.vectorSelector.at = at;
        return;
      case 'SubqueryExpr':
        if (!n.at || n.at.kind !== 'time') n.at = at;
        return; // selectors inside a subquery keep their own timing
      case 'Call':
        if (AT_MODIFIER_UNSAFE_FUNCTIONS.has(n.func.name)) safe = false;
        n.args.forEach(visit);
        return;
      case 'AggregateExpr':
        visit(n.expr);
        if (n.param) visit(n.param);
        return;
      case 'BinaryExpr':
        visit(n.lhs);
        visit(n.rhs);
        return;
      case 'ParenExpr':
      case 'UnaryExpr':
      case 'StepInvariantExpr':
        visit(n.expr);
        return;
      case 'NumberLiteral':
      case 'StringLiteral':
        return;
    }
  };
  visit(e);
  return safe;
}

/** The @-pinned test cases of an instant eval: [expr, time][] (empty when skipped). */
export function atModifierTestCases(expr: string, evalTime: number): { expr: string; time: number }[] {
  const ast = parseExpr(expr, { experimental: true });
  if (!pinAt(ast, evalTime)) return [];
  const pinned = formatExpr(ast);
  const ts = evalTime;
  const times = ts === 0 ? [-1000, 0, 1000] : [-10 * ts, 0, Math.trunc(ts / 5), ts, 10 * ts];
  return times.map((time) => ({ expr: pinned, time }));
}

/** Tracks which metric names hold histogram samples since the last `clear`. */
class HistogramTracker {
  readonly names = new Set<string>();
  clear(): void {
    this.names.clear();
  }
  load(cmd: LoadCmd): void {
    for (const s of cmd.series) {
      const name = s.labels.get(METRIC_NAME);
      if (s.values.some((v) => v.histogram)) this.names.add(name);
      if (cmd.withNHCB && name.endsWith('_bucket') && s.labels.has('le')) this.names.add(name.slice(0, -'_bucket'.length));
    }
  }
  /** Why an eval needs native histograms (README heuristic), or null. */
  reason(ev: EvalCmd): string | null {
    if (ev.expectsHistogram) return 'histogram literal in expected output';
    if (NH_FUNCS.test(ev.expr)) return 'uses histogram_count/sum/avg/stddev/stdvar';
    if (this.names.size === 0) return null;
    if (NAME_REGEX_SELECTOR.test(ev.expr)) return '__name__ regex selector while histograms are loaded';
    const words = new Set<string>(ev.expr.match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? []);
    for (const m of ev.expr.matchAll(/"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|`([^`]*)`/g)) words.add(m[1] ?? m[2] ?? m[3] ?? '');
    for (const w of words) if (this.names.has(w)) return `queries histogram metric ${w}`;
    return null;
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

interface TempHistogram {
  buckets: { le: number; count: number }[];
  count: number;
  hasCount: boolean;
  sum: number;
  err: boolean;
}

/**
 * load_with_nhcb: the block's classic histogram series (X_bucket{le}, X_count, X_sum) grouped by
 * timestamp into native histograms with custom buckets under the base name X, without `le`
 * (Prometheus promqltest appendCustomHistogram + util/convertnhcb). Invalid input (non-cumulative
 * buckets, count mismatch, negative counts) gives no histogram at that timestamp.
 */
function appendCustomHistograms(st: MemoryStorage, cmd: LoadCmd, last: LastHistograms): void {
  const byMetric = new Map<string, { labels: Labels; byTs: Map<number, TempHistogram> }>();
  for (const s of cmd.series) {
    const name = s.labels.get(METRIC_NAME);
    const m = /^(.*)_(bucket|count|sum)$/.exec(name);
    if (!m) continue;
    const kind = m[2]!;
    let le = NaN;
    if (kind === 'bucket') {
      if (!s.labels.has('le')) continue;
      le = parseLe(s.labels.get('le'));
      if (Number.isNaN(le)) continue;
    }
    const base = s.labels.with(METRIC_NAME, m[1]!).without('le');
    let w = byMetric.get(base.key);
    if (!w) byMetric.set(base.key, (w = { labels: base, byTs: new Map() }));
    s.values.forEach((v, i) => {
      if (v.omitted || v.histogram) return;
      const t = i * cmd.interval;
      let h = w!.byTs.get(t);
      if (!h) w!.byTs.set(t, (h = { buckets: [], count: 0, hasCount: false, sum: 0, err: false }));
      if (h.err) return;
      if (kind === 'count') {
        if (v.value < 0) h.err = true;
        h.count = v.value;
        h.hasCount = true;
      } else if (kind === 'sum') h.sum = v.value;
      else setBucketCount(h, le, v.value);
    });
  }
  for (const w of byMetric.values()) {
    for (const t of [...w.byTs.keys()].sort((a, b) => a - b)) {
      const fh = convertTempHistogram(w.byTs.get(t)!);
      if (!fh) continue;
      fh.counterResetHint = tsdbHint(last.get(w.labels.key) ?? null, fh);
      last.set(w.labels.key, fh);
      st.addHistogram(w.labels, t, fh);
    }
  }
}

function parseLe(s: string): number {
  const t = s.trim().toLowerCase();
  if (t === '+inf' || t === 'inf') return Infinity;
  if (t === '-inf') return -Infinity;
  return s.trim() === '' ? NaN : Number(s);
}

/** TempHistogram.SetBucketCount: buckets kept sorted by le, cumulative counts checked. */
function setBucketCount(h: TempHistogram, le: number, count: number): void {
  if (count < 0) {
    h.err = true;
    return;
  }
  const b = h.buckets;
  const last = b[b.length - 1];
  if (!last || last.le < le) {
    if (last && count < last.count) h.err = true;
    else b.push({ le, count });
    return;
  }
  if (last.le === le) return; // duplicate sample
  const i = b.findIndex((x) => x.le >= le);
  if (b[i]!.le === le) return;
  if ((i > 0 && count < b[i - 1]!.count) || count > b[i]!.count) {
    h.err = true;
    return;
  }
  b.splice(i, 0, { le, count });
}

/** TempHistogram.Convert, as a float histogram with custom buckets (schema −53), compacted. */
function convertTempHistogram(h: TempHistogram): FloatHistogram | null {
  if (h.err) return null;
  const b = h.buckets.slice();
  let count = h.count;
  if (!h.hasCount && b.length > 0) count = b[b.length - 1]!.count;
  if (b.length === 0 || b[b.length - 1]!.le !== Infinity) b.push({ le: Infinity, count });
  if (count !== b[b.length - 1]!.count) return null;
  const buckets: number[] = [];
  const customValues: number[] = [];
  let prev = 0;
  for (const x of b) {
    buckets.push(x.count - prev);
    prev = x.count;
    if (x.le !== Infinity) customValues.push(x.le);
  }
  return new FloatHistogram({ schema: -53, count, sum: h.sum, positiveSpans: [{ offset: 0, length: b.length }], positiveBuckets: buckets, customValues }).compact(0);
}

/**
 * The counter reset hint a Prometheus TSDB reports for a histogram sample it was given in order
 * (promqltest loads into a real TSDB): gauge histograms read 'gauge'; in a counter histogram chunk
 * the first sample reads 'unknown' (even when the chunk was cut for a counter reset, see
 * prometheus/prometheus#15346) and every later one 'not_reset' (tsdb/chunkenc counterResetHint).
 * A new chunk starts at the series' first histogram, after a float or staleness marker or a gauge
 * histogram, at an explicit or detected counter reset, and at a schema or zero-threshold change
 * (FloatHistogramAppender.appendable). `prev` is the previous sample when it was a histogram.
 */
function tsdbHint(prev: FloatHistogram | null, cur: FloatHistogram): CounterResetHint {
  if (cur.counterResetHint === 'gauge') return 'gauge';
  if (cur.counterResetHint === 'reset' || prev === null || prev.counterResetHint === 'gauge' || isStaleNaN(prev.sum)) return 'unknown';
  if (isStaleNaN(cur.sum)) return 'not_reset';
  if (cur.count < prev.count || cur.schema !== prev.schema || cur.zeroThreshold !== prev.zeroThreshold) return 'unknown';
  if (cur.usesCustomBuckets() && !customBucketBoundsMatch(cur.customValues, prev.customValues)) return 'unknown';
  const a = cur.copy();
  a.counterResetHint = 'unknown';
  return a.detectReset(prev) ? 'unknown' : 'not_reset';
}

/** Last histogram per series (for tsdbHint), across the load commands since the last clear. */
type LastHistograms = Map<string, FloatHistogram | null>;

function loadInto(st: MemoryStorage, cmd: LoadCmd, last: LastHistograms): void {
  for (const s of cmd.series) {
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      if (v.omitted) continue;
      const t = i * cmd.interval;
      // @st items are offsets from the sample's own timestamp; `_` = no start timestamp (0).
      const off = s.st?.[i];
      const start = off && !off.omitted ? t + off.value : 0;
      if (v.histogram) {
        const h = toFloatHistogram(v.histogram).copy();
        h.counterResetHint = tsdbHint(last.get(s.labels.key) ?? null, h);
        last.set(s.labels.key, h);
        st.addHistogram(s.labels, t, h, start);
      } else {
        last.set(s.labels.key, null);
        st.add(s.labels, t, v.value, start);
      }
    }
  }
  if (cmd.withNHCB) appendCustomHistograms(st, cmd, last);
}

async function runRange(engine: QueryEngine, st: MemoryStorage, ev: EvalCmd): Promise<void> {
  let res: QueryResult;
  try {
    res = await engine.rangeQuery(st, ev.expr, ev.start, ev.end, ev.step, { ...TEST_ENGINE_OPTS });
  } catch (e) {
    if (isFail(ev)) return checkExpectedFailure(ev, errText(e));
    throw new MatchError(`error evaluating query ${JSON.stringify(ev.expr)}: ${errText(e)}`);
  }
  if (isFail(ev)) throw new MatchError(`expected error evaluating query ${JSON.stringify(ev.expr)} but got none`);
  checkAnnotations(ev, ev.expr, res.warnings, res.infos);
  compareResult(ev, res.value);
}

async function runInstantQuery(engine: QueryEngine, st: MemoryStorage, ev: EvalCmd, expr: string, time: number, pinned: boolean): Promise<void> {
  const where = pinned ? ` (@-pinned re-run at ${time}ms: ${expr})` : '';
  let res: QueryResult;
  try {
    res = await engine.instantQuery(st, expr, time, { ...TEST_ENGINE_OPTS });
  } catch (e) {
    if (isFail(ev)) return checkExpectedFailure(ev, errText(e));
    throw new MatchError(`error evaluating query ${JSON.stringify(expr)}${where}: ${errText(e)}`);
  }
  if (isFail(ev)) throw new MatchError(`expected error evaluating query ${JSON.stringify(expr)}${where} but got none`);
  try {
    checkAnnotations(ev, expr, res.warnings, res.infos);
    compareResult(ev, res.value);
  } catch (e) {
    throw new MatchError(errText(e) + where);
  }
  if (ev.excludeFromRangeQuery || RE_QUERY_CONTEXT_FUNCS.test(expr)) return;
  let rr: QueryResult;
  try {
    rr = await engine.rangeQuery(st, expr, time - 60000, time + 60000, 60000, { ...TEST_ENGINE_OPTS });
  } catch (e) {
    throw new MatchError(`error evaluating query ${JSON.stringify(expr)}${where} in range mode: ${errText(e)}`);
  }
  if (isOrdered(ev)) return;
  try {
    const vec = middleStep(rr.value, time);
    if (res.value.resultType === 'scalar') {
      const first = vec.samples[0];
      if (!first) throw new MatchError('range mode returned no series for a scalar query');
      compareResult(ev, { resultType: 'scalar', t: time, v: first.v });
    } else compareResult(ev, vec);
  } catch (e) {
    throw new MatchError(`${errText(e)} (range mode${where})`);
  }
}

async function runInstant(engine: QueryEngine, st: MemoryStorage, ev: EvalCmd): Promise<void> {
  const cases = atModifierTestCases(ev.expr, ev.evalTime);
  await runInstantQuery(engine, st, ev, ev.expr, ev.evalTime, false);
  for (const c of cases) await runInstantQuery(engine, st, ev, c.expr, c.time, true);
}

/** Runs one script. Never throws; problems are reported per eval (or as `error`). */
export async function runScript(file: string, text: string, engine: QueryEngine = newTestEngine()): Promise<FileReport> {
  const report: FileReport = { file, evals: 0, passed: 0, failed: 0, needsNativeHistograms: 0, nhPassed: 0, outcomes: [] };
  let cmds;
  try {
    cmds = parseScript(text);
  } catch (e) {
    report.error = `parse: ${errText(e)}`;
    return report;
  }
  const st = new MemoryStorage();
  const hist = new HistogramTracker();
  const last: LastHistograms = new Map();
  for (const cmd of cmds) {
    if (cmd.type === 'clear') {
      st.clear();
      hist.clear();
      last.clear();
      continue;
    }
    if (cmd.type === 'load') {
      loadInto(st, cmd, last);
      hist.load(cmd);
      continue;
    }
    report.evals++;
    const base = { line: cmd.line, expr: cmd.expr, kind: cmd.isRange ? ('range' as const) : ('instant' as const) };
    const nh = hist.reason(cmd);
    let failure: string | null = null;
    try {
      // The reference runner parses every eval's query while reading the script (a query that does
      // not parse is a broken script there, never an expected failure).
      try {
        parseExpr(cmd.expr, { experimental: true });
      } catch (e) {
        throw new MatchError(`query does not parse: ${errText(e)}`);
      }
      if (cmd.isRange) await runRange(engine, st, cmd);
      else await runInstant(engine, st, cmd);
    } catch (e) {
      failure = e instanceof MatchError ? e.message : `runner/engine crash: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    }
    if (nh) {
      report.needsNativeHistograms++;
      if (failure === null) report.nhPassed++;
      report.outcomes.push({ ...base, status: 'needs_native_histograms', detail: nh, nhPassed: failure === null, ...(failure !== null ? { nhFailure: failure } : {}) });
    } else if (failure === null) {
      report.passed++;
      report.outcomes.push({ ...base, status: 'passed' });
    } else {
      report.failed++;
      report.outcomes.push({ ...base, status: 'failed', detail: failure });
    }
  }
  return report;
}
