// A tiny subset of promqltest, enough to check the histogram functions against
// the expected values of Prometheus' promql/promqltest/testdata/*.test files
// (copies in /work/shared/promql-testdata): `load` blocks with histogram
// literals and series expansions, `clear`, and `eval instant` of
// histogram_quantile / histogram_fraction / histogram_stddev /
// histogram_stdvar / histogram_avg / histogram_count / histogram_sum applied
// directly to a vector selector. Everything else is skipped.
import { FloatHistogram } from '../float-histogram.ts';
import type { CounterResetHint, Span } from '../generic.ts';

export interface EvalCase {
  line: number;
  expr: string;
  fn: string;
  args: number[];
  time: number;
  /** label key -> expected value */
  expected: Map<string, number>;
  /** series label key -> histogram at the eval time */
  input: Map<string, FloatHistogram>;
  expectInfo: boolean;
  expectNoInfo: boolean;
}

/** Parses "{{schema:0 sum:5 count:4 buckets:[1 2 1]}}" (without the braces handling of repeats). */
export function parseHistogramLiteral(s: string): FloatHistogram {
  const body = s.trim().replace(/^\{\{/, '').replace(/\}\}$/, '').trim();
  const h = new FloatHistogram();
  let offset = 0;
  let nOffset = 0;
  let buckets: number[] | null = null;
  let nBuckets: number[] | null = null;
  const re = /(\w+):(\[[^\]]*\]|\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) !== null) {
    const key = m[1]!;
    const val = m[2]!;
    const list = (): number[] => val.slice(1, -1).trim().split(/\s+/).filter((x) => x !== '').map(num);
    switch (key) {
      case 'schema': h.schema = Number(val); break;
      case 'sum': h.sum = num(val); break;
      case 'count': h.count = num(val); break;
      case 'z_bucket': h.zeroCount = num(val); break;
      case 'z_bucket_w': h.zeroThreshold = num(val); break;
      case 'offset': offset = Number(val); break;
      case 'n_offset': nOffset = Number(val); break;
      case 'buckets': buckets = list(); break;
      case 'n_buckets': nBuckets = list(); break;
      case 'custom_values': h.customValues = list(); break;
      case 'counter_reset_hint': h.counterResetHint = val as CounterResetHint; break;
      default: throw new Error(`unknown histogram field ${key}`);
    }
  }
  const side = (b: number[] | null, off: number): [Span[], number[]] => (b === null || b.length === 0 ? [[], []] : [[{ offset: off, length: b.length }], b]);
  [h.positiveSpans, h.positiveBuckets] = side(buckets, offset);
  [h.negativeSpans, h.negativeBuckets] = side(nBuckets, nOffset);
  return h;
}

export function num(s: string): number {
  const t = s.trim();
  if (/^[+]?inf$/i.test(t)) return Infinity;
  if (/^-inf$/i.test(t)) return -Infinity;
  if (/^nan$/i.test(t)) return NaN;
  const v = Number(t);
  if (Number.isNaN(v)) throw new Error(`not a number: ${s}`);
  return v;
}

function duration(s: string): number {
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  let ms = 0;
  const re = /(\d+)(ms|s|m|h|d|w|y)/g;
  let m: RegExpExecArray | null;
  const unit: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3, y: 365 * 86400e3 };
  let seen = 0;
  while ((m = re.exec(s)) !== null) {
    ms += Number(m[1]) * unit[m[2]!]!;
    seen += m[0].length;
  }
  if (seen !== s.length) throw new Error(`bad duration ${s}`);
  return ms;
}

type Sample = FloatHistogram | number | null; // null: missing

/** Expands a series value sequence; histograms and floats, `_` gaps, `xN` repeats, `a+bxN` / `a-bxN`. */
function expandValues(s: string): Sample[] {
  const out: Sample[] = [];
  // Tokenize: histogram literals may contain spaces.
  const toks: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (/\s/.test(s[i]!)) { i++; continue; }
    let j = i;
    let depth = 0;
    while (j < s.length && (depth > 0 || !/\s/.test(s[j]!))) {
      if (s.startsWith('{{', j)) { depth++; j += 2; continue; }
      if (s.startsWith('}}', j)) { depth--; j += 2; continue; }
      j++;
    }
    toks.push(s.slice(i, j));
    i = j;
  }
  for (const t of toks) {
    let m: RegExpMatchArray | null;
    if (t === '_') out.push(null);
    else if ((m = /^_x(\d+)$/.exec(t))) for (let k = 0; k < Number(m[1]); k++) out.push(null);
    else if (t === 'stale') out.push(null);
    else if ((m = /^(\{\{.*?\}\})(?:([+-])(\{\{.*?\}\}))?x(\d+)$/.exec(t))) {
      const base = parseHistogramLiteral(m[1]!);
      const n = Number(m[4]);
      if (m[2] === undefined) {
        for (let k = 0; k <= n; k++) out.push(base);
      } else {
        const inc = parseHistogramLiteral(m[3]!);
        let cur = base;
        out.push(cur);
        for (let k = 1; k <= n; k++) {
          cur = m[2] === '+' ? cur.copy().add(inc).h : cur.copy().sub(inc).h;
          out.push(cur);
        }
      }
    } else if (t.startsWith('{{')) out.push(parseHistogramLiteral(t));
    else if ((m = /^([^x]+?)(?:([+-])([^x]+))?x(\d+)$/.exec(t))) {
      const a = num(m[1]!);
      const b = m[3] === undefined ? 0 : num(m[3]) * (m[2] === '-' ? -1 : 1);
      for (let k = 0; k <= Number(m[4]); k++) out.push(a + k * b);
    } else out.push(num(t));
  }
  return out;
}

function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels).filter((k) => k !== '__name__').sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',');
}

function parseSeriesDesc(s: string): Record<string, string> {
  const m = /^([a-zA-Z_:][\w:]*)?\s*(?:\{(.*)\})?$/.exec(s.trim());
  if (!m) throw new Error(`bad series ${s}`);
  const labels: Record<string, string> = {};
  if (m[1] !== undefined) labels.__name__ = m[1];
  if (m[2] !== undefined) {
    const re = /([a-zA-Z_][\w]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;
    let l: RegExpExecArray | null;
    while ((l = re.exec(m[2])) !== null) labels[l[1]!] = JSON.parse(`"${l[2]}"`) as string;
  }
  return labels;
}

interface Series {
  labels: Record<string, string>;
  samples: { t: number; v: Sample }[];
}

const FNS = ['histogram_quantile', 'histogram_fraction', 'histogram_stddev', 'histogram_stdvar', 'histogram_avg', 'histogram_count', 'histogram_sum'];

/** Splits a line "series values" where series may contain braces with spaces inside strings. */
function splitSeriesLine(line: string): [string, string] {
  const t = line.trim();
  let depth = 0;
  let inStr = false;
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (/\s/.test(c) && depth === 0) return [t.slice(0, i), t.slice(i).trim()];
  }
  return [t, ''];
}

export function collectCases(text: string): EvalCase[] {
  const lines = text.split('\n');
  let store: Series[] = [];
  const out: EvalCase[] = [];
  let i = 0;
  while (i < lines.length) {
    const raw = lines[i]!;
    const line = raw.replace(/#.*$/, '').trimEnd();
    i++;
    if (line.trim() === '') continue;
    if (/^clear\b/.test(line)) { store = []; continue; }
    let m: RegExpMatchArray | null;
    if ((m = /^load(?:_with_nhcb)?\s+(\S+)/.exec(line))) {
      const interval = duration(m[1]!);
      const nhcb = line.startsWith('load_with_nhcb');
      while (i < lines.length && /^\s+\S/.test(lines[i]!)) {
        const l = lines[i]!.replace(/#.*$/, '').trim();
        i++;
        if (l === '') continue;
        const [desc, vals] = splitSeriesLine(l);
        const values = expandValues(vals);
        const s: Series = { labels: parseSeriesDesc(desc), samples: values.map((v, k) => ({ t: k * interval, v })) };
        if (!nhcb) store.push(s);
      }
      continue;
    }
    if ((m = /^eval(?:_info|_warn)?\s+instant\s+at\s+(\S+)\s+(.*)$/.exec(line))) {
      const time = duration(m[1]!);
      const expr = m[2]!.trim();
      const block: string[] = [];
      while (i < lines.length && lines[i]!.trim() !== '' && !/^\S/.test(lines[i]!)) {
        block.push(lines[i]!.replace(/#.*$/, '').trim());
        i++;
      }
      const call = /^(\w+)\((.*)\)$/.exec(expr);
      if (call === null || !FNS.includes(call[1]!)) continue;
      if (block.some((b) => /^expect\s+(fail|warn|range|string|ordered)/.test(b))) continue;
      const parts = call[2]!.split(',').map((x) => x.trim());
      const selector = parts.pop()!;
      if (!/^[a-zA-Z_:][\w:]*(\{[^}]*\})?$/.test(selector)) continue;
      let args: number[];
      try {
        args = parts.map(num);
      } catch {
        continue;
      }
      const sel = parseSeriesDesc(selector);
      const input = new Map<string, FloatHistogram>();
      let skip = false;
      for (const s of store) {
        if (Object.entries(sel).some(([k, v]) => s.labels[k] !== v)) continue;
        let latest: Sample = null;
        for (const smp of s.samples) if (smp.t <= time && smp.t > time - 300_000 && smp.v !== null) latest = smp.v;
        if (latest === null) continue;
        if (typeof latest === 'number') { skip = true; break; }
        input.set(labelKey(s.labels), latest);
      }
      if (skip) continue;
      const expected = new Map<string, number>();
      for (const b of block) {
        if (b.startsWith('expect')) continue;
        const [desc, val] = splitSeriesLine(b);
        if (val.startsWith('{{')) { skip = true; break; }
        expected.set(labelKey(parseSeriesDesc(desc)), num(val));
      }
      if (skip) continue;
      out.push({
        line: i - block.length - 1,
        expr,
        fn: call[1]!,
        args,
        time,
        expected,
        input,
        expectInfo: block.some((b) => /^expect\s+info/.test(b)) || line.startsWith('eval_info'),
        expectNoInfo: block.some((b) => /^expect\s+no_info/.test(b)),
      });
    }
  }
  return out;
}

/** util/almost.Equal with epsilon 1e-6 as promqltest. */
export function almostEqual(a: number, b: number, eps = 1e-6): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const minNormal = 2.2250738585072014e-308;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < minNormal) return diff < eps * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < eps;
}
