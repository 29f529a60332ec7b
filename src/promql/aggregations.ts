// Aggregation operators (Prometheus rangeEvalAgg / aggregation / aggregationK /
// aggregationCountValues), float samples. Grouping keys are computed once per input series; each
// step walks the input series' cursors forward without re-grouping.
import { Labels, LabelsBuilder } from '../labels/labels.ts';
import type { AggregateExpr, Expr } from './ast.ts';

function unwrap(e: Expr): Expr {
  while (e.type === 'ParenExpr' || e.type === 'StepInvariantExpr') e = e.expr;
  return e;
}
import { Anno, type Annotations } from './annotations.ts';
import { newSeries, pushPoint, stripHistograms, type ESeries } from './eval-types.ts';
import { HistogramError, type FloatHistogram } from './histogram/index.ts';
import { kahan, kahanInc, quantile, cmpValueNaNFirst } from './functions/math.ts';

export interface AggEnv {
  start: number;
  end: number;
  interval: number;
  annos: Annotations;
  /** Throws PromQLError('execution', msg). */
  fail(msg: string): never;
  /** Accounts for samples produced; throws when over the limit. */
  addSamples(n: number): void;
  /** Periodic timeout/cancel check. */
  check(): void;
}

const SEP = '\xff';

/** Key of a label subset: by (sorted names) or without (names + __name__ removed). */
export function groupingKey(metric: Labels, grouping: readonly string[], without: boolean): string {
  const f = metric.flat;
  let k = '';
  if (without) {
    for (let i = 0; i < f.length; i += 2) {
      const n = f[i]!;
      if (n === '__name__' || grouping.includes(n)) continue;
      k += n + SEP + f[i + 1]! + SEP;
    }
  } else {
    if (grouping.length === 0) return '';
    for (let i = 0; i < f.length; i += 2) {
      const n = f[i]!;
      if (grouping.includes(n)) k += n + SEP + f[i + 1]! + SEP;
    }
  }
  return k;
}

export function groupingLabels(metric: Labels, grouping: readonly string[], without: boolean): Labels {
  if (without) return metric.without('__name__', ...grouping);
  if (grouping.length === 0) return Labels.EMPTY;
  return metric.keep(grouping);
}

interface Group {
  seen: boolean;
  value: number;
  mean: number;
  kahanC: number;
  count: number;
  incrementalMean: boolean;
  dropName: boolean;
  heap: number[];
}

function numSteps(env: AggEnv): number {
  return Math.floor((env.end - env.start) / env.interval) + 1;
}

/** Aggregation operators StreamAggregator handles (all of aggregate() except quantile). */
export const STREAMING_AGG_OPS: ReadonlySet<string> = new Set(['sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar']);

/** Per-group state of StreamAggregator: one slot per step (only the arrays its op needs). */
interface StreamGroup {
  out: ESeries;
  seen: Uint8Array;
  dropName: Uint8Array;
  value: Float64Array;
  c: Float64Array | null;
  mean: Float64Array | null;
  count: Float64Array | null;
  incMean: Uint8Array | null;
  lastSeen: number;
  /**
   * sum/avg only, allocated at the first histogram point: per step, bit 1 = a float was
   * aggregated, bit 2 = a histogram was. Cells with a histogram produce no float output (a mix
   * of both gets Prometheus' warning).
   */
  kind: Uint8Array | null;
  /** sum/avg: histogram accumulators of cells whose first sample was a histogram (by step). */
  hcells: Map<number, HistCell> | null;
}

/** Prometheus groupedAggregation's histogram fields for one (group, step) cell. */
interface HistCell {
  value: FloatHistogram;
  kahanC: FloatHistogram | null;
  mean: FloatHistogram | null;
  incMean: boolean;
  count: number;
  incompatible: boolean;
  resetSeen: boolean;
  notResetSeen: boolean;
}

/**
 * sum/avg/count/min/max/group/stddev/stdvar accumulated series by series (series-major) instead of
 * step by step over all input series. Benchmark-driven (bench/profile-query.ts): the step-major
 * loop touched every input series' arrays once per step (60k series × 241 steps for the 1h/15s
 * dashboard range query), which made aggregate() the top self-time entry of the profile, and it
 * needed the whole input matrix in memory. Here each input series is consumed once — so callers
 * can stream series into it without materialising them (Evaluator fuses `agg(range_fn(x[r]))`) —
 * and per-(group, step) state lives in typed arrays. Within one (group, step) cell the inputs
 * are still combined in input-series order, so results are bit-identical to the step-major loop.
 */
export class StreamAggregator {
  private readonly op: string;
  private readonly without: boolean;
  private readonly steps: number;
  private readonly groupIndex = new Map<string, StreamGroup>();
  private readonly groups: StreamGroup[] = [];
  /** Position of the aggregated expression (annotations point at it, as Prometheus' e.Expr). */
  private readonly pos: AggregateExpr['pos'];

  constructor(
    private readonly env: AggEnv,
    e: AggregateExpr,
    private readonly grouping: readonly string[],
  ) {
    if (!STREAMING_AGG_OPS.has(e.op)) throw new Error(`StreamAggregator: unsupported op ${e.op}`);
    this.op = e.op;
    this.without = e.without;
    this.steps = numSteps(env);
    this.pos = e.expr.pos;
  }

  private group(metric: Labels): StreamGroup {
    const key = groupingKey(metric, this.grouping, this.without);
    let g = this.groupIndex.get(key);
    if (g === undefined) {
      const steps = this.steps;
      const op = this.op;
      const needMean = op === 'avg' || op === 'stddev' || op === 'stdvar';
      g = {
        out: { metric: groupingLabels(metric, this.grouping, this.without), ts: EMPTY_F64, vs: EMPTY_F64, n: 0, dropName: false },
        seen: new Uint8Array(steps),
        dropName: new Uint8Array(steps),
        value: new Float64Array(steps),
        c: op === 'sum' || op === 'avg' ? new Float64Array(steps) : null,
        mean: needMean ? new Float64Array(steps) : null,
        count: op === 'count' || needMean ? new Float64Array(steps) : null,
        incMean: op === 'avg' ? new Uint8Array(steps) : null,
        lastSeen: -1,
        kind: null,
        hcells: null,
      };
      this.groupIndex.set(key, g);
      this.groups.push(g);
    }
    return g;
  }

  /**
   * Adds one input series (step-aligned points, ascending). `hs` marks its histogram points (see
   * ESeries.hs): min/max/stddev/stdvar ignore them with Prometheus' info, count/group count them,
   * sum/avg drop the cell (warning when floats and histograms meet).
   */
  add(metric: Labels, ts: Float64Array, vs: Float64Array, n: number, dropName: boolean, hs?: readonly (FloatHistogram | undefined)[]): void {
    this.env.check();
    if (n === 0) {
      this.group(metric); // the group exists (and keeps its first-appearance position) even when empty
      return;
    }
    const g = this.group(metric);
    const { start, interval } = this.env;
    const steps = this.steps;
    const dn = dropName ? 1 : 0;
    if (this.op === 'sum' && hs === undefined && g.kind === null) {
      // The dashboard case (sum by (…)(rate(…))): a loop without the op switch, Kahan inlined
      // (same arithmetic as kahanInc).
      const seen = g.seen;
      const value = g.value;
      const c = g.c!;
      const dnArr = g.dropName;
      for (let i = 0; i < n; i++) {
        const k = (ts[i]! - start) / interval;
        if (!(k >= 0 && k < steps && k === Math.floor(k))) break;
        const f = vs[i]!;
        if (seen[k] === 0) {
          seen[k] = 1;
          dnArr[k] = dn;
          if (k > g.lastSeen) g.lastSeen = k;
          value[k] = f;
          c[k] = 0;
          continue;
        }
        if (dn) dnArr[k] = 1;
        const sum = value[k]!;
        const t = sum + f;
        if (t === Infinity || t === -Infinity) c[k] = 0;
        else if (Math.abs(sum) >= Math.abs(f)) c[k] = c[k]! + (sum - t + f);
        else c[k] = c[k]! + (f - t + sum);
        value[k] = t;
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      const k = (ts[i]! - start) / interval;
      // A point off the step grid stalled the step-major cursor of this series: same here.
      if (!(k >= 0 && k < steps && k === Math.floor(k))) break;
      const h = hs !== undefined ? hs[i] : undefined;
      if (h !== undefined) this.addHistogram(g, k, dn, h, metric);
      else this.addFloat(g, k, vs[i]!, dn);
    }
  }

  /** One histogram point (Prometheus aggregation() with h != nil). */
  private addHistogram(g: StreamGroup, k: number, dn: number, h: FloatHistogram, metric: Labels): void {
    const op = this.op;
    switch (op) {
      case 'min':
      case 'max':
      case 'stddev':
      case 'stdvar':
        // Ignored; a group that starts with a histogram is initialised by its first float.
        this.env.annos.add(Anno.histogramIgnoredInAggregation(op, this.pos));
        return;
      case 'sum':
      case 'avg': {
        if (g.kind === null) {
          // Cells aggregated so far held floats only.
          g.kind = new Uint8Array(this.steps);
          for (let j = 0; j <= g.lastSeen; j++) if (g.seen[j] === 1) g.kind[j] = 1;
        }
        const had = g.kind[k]!;
        const first = g.seen[k] === 0;
        this.addFloat(g, k, 0, dn); // seen/count/dropName bookkeeping; the float value is unused
        g.kind[k] = had | 2;
        if (first) (g.hcells ??= new Map()).set(k, newHistCell(h));
        else {
          // Only a cell that started with a histogram accumulates (one that started with a float
          // is a mix and gives no output anyway).
          const cell = g.hcells?.get(k);
          if (cell !== undefined && !cell.incompatible) this.accumulate(cell, h, metric);
        }
        return;
      }
      default: // count, group: the sample counts whatever its type
        this.addFloat(g, k, 0, dn);
    }
  }

  /** Adds a histogram to a sum/avg cell (Kahan summation, incremental mean on overflow). */
  private accumulate(cell: HistCell, h: FloatHistogram, metric: Labels): void {
    if (h.counterResetHint === 'reset') cell.resetSeen = true;
    else if (h.counterResetHint === 'not_reset') cell.notResetSeen = true;
    cell.count++;
    try {
      if (this.op === 'sum' || !cell.incMean) {
        const r = cell.value.kahanAdd(h, cell.kahanC);
        if (r.nhcbBoundsReconciled) this.env.annos.add(Anno.mismatchedCustomBuckets('aggregation', this.pos));
        if (this.op === 'sum' || !r.h.hasOverflow()) {
          cell.value = r.h;
          cell.kahanC = r.c;
          return;
        }
        // avg: the running sum would overflow; continue with the incremental mean.
        cell.incMean = true;
        cell.mean = cell.value.div(cell.count - 1);
        if (cell.kahanC !== null) cell.kahanC = cell.kahanC.div(cell.count - 1);
      }
      const q = (cell.count - 1) / cell.count;
      if (cell.kahanC !== null) cell.kahanC = cell.kahanC.mul(q);
      const r = cell.mean!.mul(q).kahanAdd(h.div(cell.count), cell.kahanC);
      if (r.nhcbBoundsReconciled) this.env.annos.add(Anno.mismatchedCustomBuckets('aggregation', this.pos));
      cell.mean = r.h;
      cell.kahanC = r.c;
    } catch (err) {
      if (!(err instanceof HistogramError)) throw err;
      if (err.kind === 'incompatible-schema') this.env.annos.add(Anno.mixedExponentialCustomHistograms(metric.get('__name__'), this.pos));
      cell.incompatible = true;
    }
  }

  /** The output histogram of a histogram-only sum/avg cell, or null when it has none. */
  private cellResult(cell: HistCell): FloatHistogram | null {
    if (cell.incompatible) return null;
    let v: FloatHistogram;
    if (this.op === 'sum') v = cell.kahanC !== null ? cell.value.add(cell.kahanC).h : cell.value;
    else if (cell.incMean) v = cell.kahanC !== null ? cell.mean!.add(cell.kahanC).h : cell.mean!;
    else {
      v = cell.value.div(cell.count);
      if (cell.kahanC !== null) v = v.add(cell.kahanC.div(cell.count)).h;
    }
    if (cell.resetSeen && cell.notResetSeen) this.env.annos.add(Anno.histogramCounterResetCollision('aggregation', this.pos));
    return v.compact(0);
  }

  /** One float point of the general (non-sum fast path) loop. */
  private addFloat(g: StreamGroup, k: number, f: number, dn: number): void {
    const op = this.op;
    const seen = g.seen;
    const value = g.value;
    if (g.kind !== null) g.kind[k]! |= 1;
    if (seen[k] === 0) {
      seen[k] = 1;
      g.dropName[k] = dn;
      if (k > g.lastSeen) g.lastSeen = k;
      switch (op) {
        case 'sum':
          value[k] = f;
          g.c![k] = 0;
          break;
        case 'avg':
          value[k] = f;
          g.mean![k] = f;
          g.c![k] = 0;
          g.count![k] = 1;
          g.incMean![k] = 0;
          break;
        case 'stddev':
        case 'stdvar':
          value[k] = Number.isNaN(f) || !Number.isFinite(f) ? NaN : 0;
          g.mean![k] = f;
          g.count![k] = 1;
          break;
        case 'count':
          g.count![k] = 1;
          break;
        case 'group':
          value[k] = 1;
          break;
        default: // min, max
          value[k] = f;
      }
      return;
    }
    if (dn) g.dropName[k] = 1;
    switch (op) {
      case 'sum':
        value[k] = kahanInc(f, value[k]!, g.c![k]!);
        g.c![k] = kahan.c;
        break;
      case 'avg': {
        const count = ++g.count![k]!;
        const c = g.c!;
        if (g.incMean![k] === 0) {
          const nv = kahanInc(f, value[k]!, c[k]!);
          const nc = kahan.c;
          if (nv !== Infinity && nv !== -Infinity) {
            value[k] = nv;
            c[k] = nc;
            break;
          }
          g.incMean![k] = 1;
          g.mean![k] = value[k]! / (count - 1);
          c[k] = c[k]! / (count - 1);
        }
        const q = (count - 1) / count;
        g.mean![k] = kahanInc(f / count, q * g.mean![k]!, q * c[k]!);
        c[k] = kahan.c;
        break;
      }
      case 'group':
        break;
      case 'max':
        if (value[k]! < f || value[k] !== value[k]) value[k] = f;
        break;
      case 'min':
        if (value[k]! > f || value[k] !== value[k]) value[k] = f;
        break;
      case 'count':
        g.count![k]!++;
        break;
      case 'stddev':
      case 'stdvar': {
        const count = ++g.count![k]!;
        const delta = f - g.mean![k]!;
        g.mean![k] = g.mean![k]! + delta / count;
        value[k] = value[k]! + delta * (f - g.mean![k]!);
        break;
      }
    }
  }

  /** The aggregated series (groups in order of first appearance; groups without points dropped). */
  finish(): ESeries[] {
    const { start, interval } = this.env;
    const steps = this.steps;
    const op = this.op;
    const out: ESeries[] = [];
    let produced = 0;
    for (const g of this.groups) {
      if (g.lastSeen < 0) continue;
      const kind = g.kind;
      let hout: Map<number, FloatHistogram> | null = null;
      if (kind !== null) {
        // Cells with histograms: a mix with floats gives Prometheus' warning and no output;
        // histogram-only cells give the histogram sum/mean.
        for (let k = 0; k <= g.lastSeen; k++) {
          if (g.seen[k] === 0 || (kind[k]! & 2) === 0) continue;
          const cell = g.hcells?.get(k);
          const h = kind[k] === 2 && cell !== undefined ? this.cellResult(cell) : null;
          if (kind[k] === 3) this.env.annos.add(Anno.mixedFloatsHistogramsAgg(this.pos));
          if (h !== null) (hout ??= new Map()).set(k, h);
          else g.seen[k] = 0;
        }
        while (g.lastSeen >= 0 && g.seen[g.lastSeen] === 0) g.lastSeen--;
        if (g.lastSeen < 0) continue;
      }
      let m = 0;
      for (let k = 0; k <= g.lastSeen; k++) if (g.seen[k] === 1) m++;
      const ts = new Float64Array(m);
      // The output values overwrite `value` in place (slot j ≤ k is never read again).
      const value = g.value;
      let j = 0;
      const s = g.out;
      for (let k = 0; k < steps && j < m; k++) {
        if (g.seen[k] === 0) continue;
        const h = hout?.get(k);
        if (h !== undefined) {
          ts[j] = start + k * interval;
          value[j] = 0;
          (s.hs ??= [])[j] = h;
          j++;
          continue;
        }
        let v = value[k]!;
        switch (op) {
          case 'avg': {
            const count = g.count![k]!;
            v = g.incMean![k] === 1 ? g.mean![k]! + g.c![k]! : v / count + g.c![k]! / count;
            break;
          }
          case 'count':
            v = g.count![k]!;
            break;
          case 'stdvar':
            v = v / g.count![k]!;
            break;
          case 'stddev':
            v = Math.sqrt(v / g.count![k]!);
            break;
          case 'sum':
            v = v + g.c![k]!;
            break;
        }
        ts[j] = start + k * interval;
        value[j] = v;
        j++;
      }
      s.ts = ts;
      s.vs = m === value.length ? value : value.slice(0, m);
      s.n = m;
      // The step-major loop assigned the group's flag at every produced step: the last one wins.
      s.dropName = g.dropName[g.lastSeen] === 1;
      produced += m;
      out.push(s);
    }
    this.env.addSamples(produced);
    return out;
  }
}

const EMPTY_F64 = new Float64Array(0);

function newHistCell(h: FloatHistogram): HistCell {
  return {
    value: h.copy(),
    kahanC: null,
    mean: null,
    incMean: false,
    count: 1,
    incompatible: false,
    resetSeen: h.counterResetHint === 'reset',
    notResetSeen: h.counterResetHint === 'not_reset',
  };
}

/** sum/avg/count/min/max/group/stddev/stdvar/quantile. `params` holds the per-step parameter. */
export function aggregate(env: AggEnv, e: AggregateExpr, grouping: readonly string[], input: ESeries[], params: Float64Array | null): ESeries[] {
  const op = e.op;
  if (STREAMING_AGG_OPS.has(op)) {
    const agg = new StreamAggregator(env, e, grouping);
    for (const s of input) agg.add(s.metric, s.ts, s.vs, s.n, s.dropName, s.hs);
    return agg.finish();
  }
  // quantile ignores every histogram sample with an info annotation.
  if (input.some((s) => s.hs !== undefined)) {
    env.annos.add(Anno.histogramIgnoredInAggregation(op, e.expr.pos));
    input = stripHistograms(input);
  }
  const groupIndex = new Map<string, number>();
  const seriesToGroup = new Int32Array(input.length);
  const result: ESeries[] = [];
  const steps = numSteps(env);
  for (let si = 0; si < input.length; si++) {
    const s = input[si]!;
    const key = groupingKey(s.metric, grouping, e.without);
    let gi = groupIndex.get(key);
    if (gi === undefined) {
      gi = result.length;
      groupIndex.set(key, gi);
      result.push(newSeries(groupingLabels(s.metric, grouping, e.without), Math.min(steps, 64), false));
    }
    seriesToGroup[si] = gi;
  }
  const groups: Group[] = result.map(() => ({ seen: false, value: 0, mean: 0, kahanC: 0, count: 0, incrementalMean: false, dropName: false, heap: [] }));
  if (op === 'quantile' && params) {
    let hasNaN = false;
    let mx = -Infinity;
    let mn = Infinity;
    for (const p of params) {
      if (p !== p) hasNaN = true;
      else {
        mx = Math.max(mx, p);
        mn = Math.min(mn, p);
      }
    }
    const pos = e.param!.pos;
    if (hasNaN) env.annos.add(Anno.invalidQuantile(NaN, pos));
    if (mx > 1) env.annos.add(Anno.invalidQuantile(mx, pos));
    if (mn < 0) env.annos.add(Anno.invalidQuantile(mn, pos));
  }
  const cursors = new Int32Array(input.length);
  let step = 0;
  for (let ts = env.start; ts <= env.end; ts += env.interval, step++) {
    env.check();
    for (const g of groups) g.seen = false;
    for (let si = 0; si < input.length; si++) {
      const s = input[si]!;
      const c = cursors[si]!;
      if (c >= s.n || s.ts[c] !== ts) continue;
      cursors[si] = c + 1;
      const f = s.vs[c]!;
      const g = groups[seriesToGroup[si]!]!;
      if (!g.seen) {
        g.seen = true;
        g.value = f;
        g.mean = f;
        g.kahanC = 0;
        g.count = 1;
        g.incrementalMean = false;
        g.dropName = s.dropName;
        switch (op) {
          case 'stddev':
          case 'stdvar':
            g.value = Number.isNaN(f) || !Number.isFinite(f) ? NaN : 0;
            break;
          case 'quantile':
            g.heap.length = 0;
            g.heap.push(f);
            break;
          case 'group':
            g.value = 1;
            break;
        }
        continue;
      }
      if (s.dropName) g.dropName = true;
      switch (op) {
        case 'sum':
          g.value = kahanInc(f, g.value, g.kahanC);
          g.kahanC = kahan.c;
          break;
        case 'avg': {
          g.count++;
          if (!g.incrementalMean) {
            const nv = kahanInc(f, g.value, g.kahanC);
            const nc = kahan.c;
            if (nv !== Infinity && nv !== -Infinity) {
              g.value = nv;
              g.kahanC = nc;
              break;
            }
            g.incrementalMean = true;
            g.mean = g.value / (g.count - 1);
            g.kahanC /= g.count - 1;
          }
          const q = (g.count - 1) / g.count;
          g.mean = kahanInc(f / g.count, q * g.mean, q * g.kahanC);
          g.kahanC = kahan.c;
          break;
        }
        case 'group':
          break;
        case 'max':
          if (g.value < f || g.value !== g.value) g.value = f;
          break;
        case 'min':
          if (g.value > f || g.value !== g.value) g.value = f;
          break;
        case 'count':
          g.count++;
          break;
        case 'stddev':
        case 'stdvar': {
          g.count++;
          const delta = f - g.mean;
          g.mean += delta / g.count;
          g.value += delta * (f - g.mean);
          break;
        }
        case 'quantile':
          g.heap.push(f);
          break;
      }
    }
    let produced = 0;
    for (let gi = 0; gi < groups.length; gi++) {
      const g = groups[gi]!;
      if (!g.seen) continue;
      let v = g.value;
      switch (op) {
        case 'avg':
          v = g.incrementalMean ? g.mean + g.kahanC : g.value / g.count + g.kahanC / g.count;
          break;
        case 'count':
          v = g.count;
          break;
        case 'stdvar':
          v = g.value / g.count;
          break;
        case 'stddev':
          v = Math.sqrt(g.value / g.count);
          break;
        case 'quantile':
          v = quantile(params ? params[step]! : NaN, g.heap);
          break;
        case 'sum':
          v = g.value + g.kahanC;
          break;
      }
      const out = result[gi]!;
      pushPoint(out, ts, v);
      out.dropName = g.dropName;
      produced++;
    }
    env.addSamples(produced);
  }
  return result.filter((s) => s.n > 0);
}

// ---- topk / bottomk / limitk / limit_ratio ----

interface HeapItem {
  si: number;
  v: number;
  /** limitk/limit_ratio keep histogram samples (topk/bottomk get float-only input). */
  h: FloatHistogram | undefined;
}

type Less = (a: HeapItem, b: HeapItem) => boolean;
// vectorByValueHeap: NaN is least; vectorByReverseValueHeap: NaN is least too, otherwise greater first.
const lessByValue: Less = (a, b) => a.v !== a.v || a.v < b.v;
const lessByReverse: Less = (a, b) => a.v !== a.v || a.v > b.v;

function heapUp(h: HeapItem[], j: number, less: Less): void {
  for (;;) {
    const i = Math.floor((j - 1) / 2);
    if (i === j || j <= 0 || !less(h[j]!, h[i]!)) break;
    const t = h[i]!;
    h[i] = h[j]!;
    h[j] = t;
    j = i;
  }
}

function heapDown(h: HeapItem[], i0: number, n: number, less: Less): boolean {
  let i = i0;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n || j1 < 0) break;
    let j = j1;
    const j2 = j1 + 1;
    if (j2 < n && less(h[j2]!, h[j1]!)) j = j2;
    if (!less(h[j]!, h[i]!)) break;
    const t = h[i]!;
    h[i] = h[j]!;
    h[j] = t;
    i = j;
  }
  return i > i0;
}

function heapPush(h: HeapItem[], x: HeapItem, less: Less): void {
  h.push(x);
  heapUp(h, h.length - 1, less);
}

function heapFix(h: HeapItem[], i: number, less: Less): void {
  if (!heapDown(h, i, h.length, less)) heapUp(h, i, less);
}

const MAX_UINT64_F = 18446744073709551615;

/** HashRatioSampler.AddRatioSample. */
export function addRatioSample(ratio: number, metric: Labels): boolean {
  const offset = Number(metric.hash()) / MAX_UINT64_F;
  return (ratio >= 0 && offset < ratio) || (ratio < 0 && offset >= 1 + ratio);
}

export function aggregateK(env: AggEnv, e: AggregateExpr, grouping: readonly string[], input: ESeries[], params: Float64Array): ESeries[] {
  const op = e.op;
  // fParams: a literal parameter is constant; otherwise min/max over the per-step values with Go's
  // math.Max/Min (NaN propagates).
  const p0 = e.param ? unwrap(e.param) : null;
  let pmax: number;
  let pmin: number;
  let hasNaN = false;
  if (p0 && p0.type === 'NumberLiteral') {
    pmax = pmin = p0.value;
    hasNaN = Number.isNaN(p0.value);
  } else if (params.length === 0) {
    pmax = pmin = 0;
  } else {
    pmax = -Number.MAX_VALUE;
    pmin = Number.MAX_VALUE;
    for (const p of params) {
      pmax = p !== p || pmax !== pmax ? NaN : Math.max(pmax, p);
      pmin = p !== p || pmin !== pmin ? NaN : Math.min(pmin, p);
      if (p !== p) hasNaN = true;
    }
  }
  if (op === 'limit_ratio') {
    if (pmax === 0 && pmin === 0) return [];
    if (hasNaN) env.fail('Ratio value is NaN');
    if (pmax > 1) env.annos.add(Anno.invalidRatio(pmax, 1, e.param!.pos));
    if (pmin < -1) env.annos.add(Anno.invalidRatio(pmin, -1, e.param!.pos));
  } else {
    if (pmax < 1) return [];
    if (hasNaN) env.fail('Parameter value is NaN');
    if (pmin <= -9223372036854775808) env.fail(`Scalar value ${fmtG(pmin)} underflows int64`);
    if (pmax >= 9223372036854775807) env.fail(`Scalar value ${fmtG(pmax)} overflows int64`);
  }
  const groupIndex = new Map<string, number>();
  const seriesToGroup = new Int32Array(input.length);
  let ngroups = 0;
  for (let si = 0; si < input.length; si++) {
    const key = groupingKey(input[si]!.metric, grouping, e.without);
    let gi = groupIndex.get(key);
    if (gi === undefined) {
      gi = ngroups++;
      groupIndex.set(key, gi);
    }
    seriesToGroup[si] = gi;
  }
  const heaps: HeapItem[][] = Array.from({ length: ngroups }, () => []);
  const seen = new Uint8Array(ngroups);
  const complete = new Uint8Array(ngroups);
  const out = new Map<string, ESeries>();
  const order: ESeries[] = [];
  const cursors = new Int32Array(input.length);
  const steps = numSteps(env);
  const less = op === 'bottomk' ? lessByReverse : lessByValue;
  let step = 0;
  for (let ts = env.start; ts <= env.end; ts += env.interval, step++) {
    env.check();
    seen.fill(0);
    complete.fill(0);
    let groupsRemaining = ngroups;
    const fParam = params[step]!;
    let stop = false;
    for (let si = 0; si < input.length; si++) {
      const s = input[si]!;
      const c = cursors[si]!;
      if (c >= s.n || s.ts[c] !== ts) continue;
      cursors[si] = c + 1;
      if (stop) continue;
      const f = s.vs[c]!;
      let k = 0;
      let r = 0;
      if (op === 'limit_ratio') {
        if (fParam === 0) {
          stop = true;
          continue;
        }
        r = fParam < -1 ? -1 : fParam > 1 ? 1 : fParam;
      } else {
        k = Math.min(Math.trunc(fParam), input.length);
        if (k < 1) {
          stop = true;
          continue;
        }
      }
      const gi = seriesToGroup[si]!;
      const h = heaps[gi]!;
      const item: HeapItem = { si, v: f, h: s.hs?.[c] };
      if (!seen[gi]) {
        seen[gi] = 1;
        h.length = 0;
        if (op === 'limit_ratio') {
          if (addRatioSample(r, s.metric)) heapPush(h, item, less);
        } else {
          h.push(item);
        }
        if (op === 'limitk' && k === 1) {
          complete[gi] = 1;
          groupsRemaining--;
          if (groupsRemaining === 0) stop = true;
        }
        continue;
      }
      switch (op) {
        case 'topk':
          if (h.length < k) heapPush(h, item, less);
          else if (h[0]!.v < f || (h[0]!.v !== h[0]!.v && f === f)) {
            h[0] = item;
            if (k > 1) heapFix(h, 0, less);
          }
          break;
        case 'bottomk':
          if (h.length < k) heapPush(h, item, less);
          else if (h[0]!.v > f || (h[0]!.v !== h[0]!.v && f === f)) {
            h[0] = item;
            if (k > 1) heapFix(h, 0, less);
          }
          break;
        case 'limitk':
          if (h.length < k) heapPush(h, item, less);
          if (!complete[gi] && h.length === k) {
            complete[gi] = 1;
            groupsRemaining--;
            if (groupsRemaining === 0) stop = true;
          }
          break;
        case 'limit_ratio':
          if (addRatioSample(r, s.metric)) heapPush(h, item, less);
          break;
      }
    }
    if (stop && (op === 'limit_ratio' ? fParam === 0 : Math.min(Math.trunc(fParam), input.length) < 1)) continue;
    let produced = 0;
    for (let gi = 0; gi < ngroups; gi++) {
      if (!seen[gi]) continue;
      const h = heaps[gi]!;
      let items = h;
      if (op === 'topk' && h.length > 1) items = h.slice().sort((a, b) => -cmpLess(lessByValue, a, b));
      else if (op === 'bottomk' && h.length > 1) items = h.slice().sort((a, b) => -cmpLess(lessByReverse, a, b));
      for (const it of items) {
        const s = input[it.si]!;
        const key = s.metric.key;
        let o = out.get(key);
        if (!o) {
          o = newSeries(s.metric, Math.min(steps, 64), s.dropName);
          out.set(key, o);
          order.push(o);
        }
        pushPoint(o, ts, it.v, it.h);
        produced++;
      }
    }
    env.addSamples(produced);
  }
  return order;
}

function cmpLess(less: Less, a: HeapItem, b: HeapItem): number {
  if (less(a, b)) return -1;
  if (less(b, a)) return 1;
  return 0;
}

function fmtG(v: number): string {
  return String(v);
}

/** strconv.FormatFloat(f, 'f', -1, 64). */
export function formatFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  const s = String(v);
  if (!/e/.test(s)) return s;
  // Expand exponent notation without losing the shortest digits.
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s)!;
  const digits = m[2]! + (m[3] ?? '');
  const exp = parseInt(m[4]!, 10);
  const dp = exp + 1;
  if (dp <= 0) return `${m[1]}0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= digits.length) return `${m[1]}${digits}${'0'.repeat(dp - digits.length)}`;
  return `${m[1]}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

export function countValues(
  env: AggEnv, e: AggregateExpr, grouping: readonly string[], valueLabel: string, input: ESeries[],
): ESeries[] {
  const out = new Map<string, ESeries>();
  const cursors = new Int32Array(input.length);
  const steps = numSteps(env);
  const lb = new LabelsBuilder();
  const counts = new Map<string, { labels: Labels; count: number }>();
  for (let ts = env.start; ts <= env.end; ts += env.interval) {
    env.check();
    counts.clear();
    for (let si = 0; si < input.length; si++) {
      const s = input[si]!;
      const c = cursors[si]!;
      if (c >= s.n || s.ts[c] !== ts) continue;
      cursors[si] = c + 1;
      const b = new LabelsBuilder(s.metric);
      const hv = s.hs?.[c];
      b.set(valueLabel, hv !== undefined ? hv.string() : formatFloatF(s.vs[c]!));
      const metric = b.labels();
      const key = groupingKey(metric, grouping, e.without);
      const g = counts.get(key);
      if (g) g.count++;
      else counts.set(key, { labels: groupingLabels(metric, grouping, e.without), count: 1 });
    }
    void lb;
    for (const g of counts.values()) {
      const k = g.labels.key;
      let o = out.get(k);
      if (!o) {
        o = newSeries(g.labels, Math.min(steps, 64), false);
        out.set(k, o);
      }
      pushPoint(o, ts, g.count);
    }
    env.addSamples(counts.size);
  }
  return [...out.values()];
}
