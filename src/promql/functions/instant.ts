// Instant-vector and scalar functions (Prometheus promql/functions.go), float samples.
import { Labels } from '../../labels/labels.ts';
import type { Expr, PosRange } from '../ast.ts';
import type { Annotations } from '../annotations.ts';
import type { ESample } from '../eval-types.ts';
import { absentLabels } from '../engine.ts';

export interface InstantCtx {
  ts: number;
  args: Expr[];
  annos: Annotations;
  pos: PosRange;
  fail(msg: string): never;
}

export type InstantFn = (v: ESample[][], c: InstantCtx, out: ESample[]) => void;

function simple(f: (x: number) => number): InstantFn {
  return (v, _c, out) => {
    for (const s of v[0]!) out.push({ metric: s.metric, t: s.t, v: f(s.v), dropName: true });
  };
}

function date(f: (d: Date) => number): InstantFn {
  return (v, c, out) => {
    if (v.length === 0 || c.args.length === 0) {
      out.push({ metric: Labels.EMPTY, t: c.ts, v: f(new Date(Math.trunc(c.ts / 1000) * 1000)), dropName: false });
      return;
    }
    for (const s of v[0]!) {
      // time.Unix(int64(el.F), 0): truncation toward zero; NaN/Inf give Go's int64 conversion result.
      const secs = Number.isFinite(s.v) ? Math.trunc(s.v) : -9223372036854775808;
      out.push({ metric: s.metric, t: s.t, v: f(new Date(secs * 1000)), dropName: true });
    }
  };
}

function stringArgs(args: Expr[], from: number): string[] {
  const r: string[] = [];
  for (let i = from; i < args.length; i++) {
    let a = args[i]!;
    while (a.type === 'ParenExpr') a = a.expr;
    r.push(a.type === 'StringLiteral' ? a.value : '');
  }
  return r;
}

/** natsort.Compare (github.com/facette/natsort): true when a sorts before b. */
export function natLess(a: string, b: string): boolean {
  const chunk = (s: string): string[] => s.match(/(\d+|\D+)/g) ?? [];
  const ca = chunk(a);
  const cb = chunk(b);
  for (let i = 0; i < ca.length && i < cb.length; i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x === y) continue;
    const xd = /^\d/.test(x);
    const yd = /^\d/.test(y);
    if (xd && yd) {
      const xi = parseInt(x, 10);
      const yi = parseInt(y, 10);
      if (xi !== yi) return xi < yi;
      return x < y;
    }
    return x < y;
  }
  return ca.length < cb.length;
}

function cmpLabels(a: Labels, b: Labels): number {
  return Labels.compare(a, b);
}

/** Point-wise float functions (simpleFloatFunc): output keeps labels, marks the name for dropping. */
export const SIMPLE_FUNCTIONS: Record<string, (x: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  rad: (x) => (x * Math.PI) / 180,
  deg: (x) => (x * 180) / Math.PI,
  sgn: (x) => (x < 0 ? -1 : x > 0 ? 1 : x),
};

export const goMaxF = (a: number, b: number): number => goMax(a, b);
export const goMinF = (a: number, b: number): number => goMin(a, b);

export const INSTANT_FUNCTIONS: Record<string, InstantFn> = {
  abs: simple(Math.abs),
  ceil: simple(Math.ceil),
  floor: simple(Math.floor),
  exp: simple(Math.exp),
  sqrt: simple(Math.sqrt),
  ln: simple(Math.log),
  log2: simple(Math.log2),
  log10: simple(Math.log10),
  sin: simple(Math.sin),
  cos: simple(Math.cos),
  tan: simple(Math.tan),
  asin: simple(Math.asin),
  acos: simple(Math.acos),
  atan: simple(Math.atan),
  sinh: simple(Math.sinh),
  cosh: simple(Math.cosh),
  tanh: simple(Math.tanh),
  asinh: simple(Math.asinh),
  acosh: simple(Math.acosh),
  atanh: simple(Math.atanh),
  rad: simple((x) => (x * Math.PI) / 180),
  deg: simple((x) => (x * 180) / Math.PI),
  sgn: simple((x) => (x < 0 ? -1 : x > 0 ? 1 : x)),
  round: (v, _c, out) => {
    const toNearest = v.length >= 2 && v[1]!.length > 0 ? v[1]![0]!.v : 1;
    const inv = 1 / toNearest;
    for (const s of v[0]!) out.push({ metric: s.metric, t: s.t, v: Math.floor(s.v * inv + 0.5) / inv, dropName: true });
  },
  clamp: (v, _c, out) => clamp(v[0]!, v[1]![0]!.v, v[2]![0]!.v, out),
  clamp_max: (v, _c, out) => clamp(v[0]!, -Infinity, v[1]![0]!.v, out),
  clamp_min: (v, _c, out) => clamp(v[0]!, v[1]![0]!.v, Infinity, out),
  timestamp: (v, _c, out) => {
    for (const s of v[0]!) out.push({ metric: s.metric, t: s.t, v: s.t / 1000, dropName: true });
  },
  // start_timestamp() of an expression: start timestamps only travel from a plain selector (the
  // engine handles that case), so an expression's result is empty, as in Prometheus.
  start_timestamp: () => {},
  vector: (v, c, out) => {
    out.push({ metric: Labels.EMPTY, t: c.ts, v: v[0]![0]!.v, dropName: false });
  },
  scalar: (v, c, out) => {
    const vec = v[0]!;
    out.push({ metric: Labels.EMPTY, t: c.ts, v: vec.length === 1 ? vec[0]!.v : NaN, dropName: false });
  },
  time: (_v, c, out) => {
    out.push({ metric: Labels.EMPTY, t: c.ts, v: c.ts / 1000, dropName: false });
  },
  pi: (_v, c, out) => {
    out.push({ metric: Labels.EMPTY, t: c.ts, v: Math.PI, dropName: false });
  },
  max_of: (v, c, out) => {
    out.push({ metric: Labels.EMPTY, t: c.ts, v: goMax(v[0]![0]!.v, v[1]![0]!.v), dropName: false });
  },
  min_of: (v, c, out) => {
    out.push({ metric: Labels.EMPTY, t: c.ts, v: goMin(v[0]![0]!.v, v[1]![0]!.v), dropName: false });
  },
  absent: (v, c, out) => {
    if (v[0]!.length > 0) return;
    out.push({ metric: absentLabels(c.args[0]!), t: c.ts, v: 1, dropName: false });
  },
  sort: (v, _c, out) => {
    const s = v[0]!.slice();
    // sort.Sort(sort.Reverse(vectorByReverseValueHeap)): ascending, NaN last.
    s.sort((a, b) => {
      const an = a.v !== a.v;
      const bn = b.v !== b.v;
      if (an || bn) return an && bn ? 0 : an ? 1 : -1;
      return a.v - b.v;
    });
    for (const x of s) out.push(x);
  },
  sort_desc: (v, _c, out) => {
    const s = v[0]!.slice();
    s.sort((a, b) => {
      const an = a.v !== a.v;
      const bn = b.v !== b.v;
      if (an || bn) return an && bn ? 0 : an ? 1 : -1;
      return b.v - a.v;
    });
    for (const x of s) out.push(x);
  },
  sort_by_label: (v, c, out) => {
    const lbls = stringArgs(c.args, 1);
    const s = v[0]!.slice();
    s.sort((a, b) => {
      for (const l of lbls) {
        const x = a.metric.get(l);
        const y = b.metric.get(l);
        if (x === y) continue;
        return natLess(x, y) ? -1 : 1;
      }
      return cmpLabels(a.metric, b.metric);
    });
    for (const x of s) out.push(x);
  },
  sort_by_label_desc: (v, c, out) => {
    const lbls = stringArgs(c.args, 1);
    const s = v[0]!.slice();
    s.sort((a, b) => {
      for (const l of lbls) {
        const x = a.metric.get(l);
        const y = b.metric.get(l);
        if (x === y) continue;
        return natLess(x, y) ? 1 : -1;
      }
      return -cmpLabels(a.metric, b.metric);
    });
    for (const x of s) out.push(x);
  },
  days_in_month: date((d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate()),
  day_of_month: date((d) => d.getUTCDate()),
  day_of_week: date((d) => d.getUTCDay()),
  day_of_year: date((d) => {
    const start = Date.UTC(d.getUTCFullYear(), 0, 1);
    return Math.floor((d.getTime() - start) / 86400000) + 1;
  }),
  hour: date((d) => d.getUTCHours()),
  minute: date((d) => d.getUTCMinutes()),
  month: date((d) => d.getUTCMonth() + 1),
  year: date((d) => d.getUTCFullYear()),
};

function goMax(a: number, b: number): number {
  if (a === Infinity || b === Infinity) return Infinity;
  if (a !== a || b !== b) return NaN;
  return Math.max(a, b);
}

function goMin(a: number, b: number): number {
  if (a === -Infinity || b === -Infinity) return -Infinity;
  if (a !== a || b !== b) return NaN;
  return Math.min(a, b);
}

function clamp(vec: ESample[], min: number, max: number, out: ESample[]): void {
  if (max < min) return;
  for (const s of vec) out.push({ metric: s.metric, t: s.t, v: goMax(min, goMin(max, s.v)), dropName: true });
}
