// PromQL annotations (warnings and infos) with Prometheus's exact texts (util/annotations).
// Annotations are de-duplicated by their raw text; rendering appends the query position "(line:col)".
import type { PosRange } from './ast.ts';

export type AnnoKind = 'warning' | 'info';

export interface Annotation {
  kind: AnnoKind;
  /** Text without the "PromQL warning: " prefix and position. */
  text: string;
  pos: PosRange;
  /** Forced-monotonicity info carries merge state. */
  mono?: { minTs: number; maxTs: number; minBucket: number; maxBucket: number; maxDiff: number; count: number };
}

/** Go's %g (shortest, or with precision `prec` significant digits). */
export function formatG(v: number, prec = -1): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  let digits: string;
  let exp: number;
  if (prec < 0) {
    const e = v.toExponential(); // shortest round-trip digits
    const m = /^-?(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(e)!;
    digits = m[1]! + (m[2] ?? '');
    exp = parseInt(m[3]!, 10);
  } else {
    const p = prec === 0 ? 1 : prec;
    const e = v.toExponential(p - 1);
    const m = /^-?(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(e)!;
    digits = (m[1]! + (m[2] ?? '')).replace(/0+$/, '') || '0';
    exp = parseInt(m[3]!, 10);
  }
  const neg = v < 0 ? '-' : '';
  let eprec = prec < 0 ? 6 : prec === 0 ? 1 : prec;
  const nd = digits.length;
  const dp = exp + 1;
  if (prec >= 0 && eprec > nd && nd >= dp) eprec = nd;
  if (prec < 0) eprec = 6;
  if (exp < -4 || exp >= eprec) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(exp);
    return `${neg}${mant}e${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  if (dp <= 0) return `${neg}0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= nd) return `${neg}${digits}${'0'.repeat(dp - nd)}`;
  return `${neg}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

/** Go %q for a string (JSON-style quoting is the same for printable text). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

function withMetric(text: string, metricName: string): string {
  return metricName === '' ? text : `${text} for metric name ${goQuote(metricName)}`;
}

export const Anno = {
  invalidQuantile: (q: number, pos: PosRange): Annotation => ({
    kind: 'warning',
    text: `quantile value should be between 0 and 1, got ${formatG(q)}`,
    pos,
  }),
  invalidRatio: (q: number, to: number, pos: PosRange): Annotation => ({
    kind: 'warning',
    text: `ratio value should be between -1 and 1, got ${formatG(q)}, capping to ${formatG(to)}`,
    pos,
  }),
  badBucketLabel: (metricName: string, label: string, pos: PosRange): Annotation => ({
    kind: 'warning',
    text: withMetric(`bucket label "le" is missing or has a malformed value of ${goQuote(label)}`, metricName),
    pos,
  }),
  sortInRangeQuery: (pos: PosRange): Annotation => ({
    kind: 'warning',
    text: 'sort is ineffective for range queries since results are always ordered by labels',
    pos,
  }),
  possibleNonCounter: (metricName: string, pos: PosRange): Annotation => ({
    kind: 'info',
    text: `metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${goQuote(metricName)}`,
    pos,
  }),
  possibleNonCounterLabel: (metricName: string, typeLabel: string, pos: PosRange): Annotation => ({
    kind: 'info',
    text: `metric might not be a counter, __type__ label is not set to "counter" or "histogram", got ${goQuote(typeLabel)}: ${goQuote(metricName)}`,
    pos,
  }),
  forcedMonotonicity: (metricName: string, pos: PosRange, ts: number, minBucket: number, maxBucket: number, maxDiff: number): Annotation => ({
    kind: 'info',
    text: withMetric(
      'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)',
      metricName,
    ),
    pos,
    mono: { minTs: ts, maxTs: ts, minBucket, maxBucket, maxDiff, count: 0 },
  }),
  histogramIgnoredInAggregation: (aggr: string, pos: PosRange): Annotation => ({
    kind: 'info',
    text: `ignored histogram in ${aggr} aggregation`,
    pos,
  }),
  mixedFloatsHistogramsAgg: (pos: PosRange): Annotation => ({
    kind: 'warning',
    text: 'encountered a mix of histograms and floats for aggregation',
    pos,
  }),
  incompatibleTypesInBinOp: (lhsType: string, op: string, rhsType: string, pos: PosRange): Annotation => ({
    kind: 'info',
    text: `incompatible sample types encountered for binary operator ${goQuote(op)}: ${lhsType} ${op} ${rhsType}`,
    pos,
  }),
  incompatibleBucketLayoutInBinOp: (op: string, pos: PosRange): Annotation => ({
    kind: 'warning',
    text: `incompatible bucket layout encountered for binary operator ${op}`,
    pos,
  }),
  histogramCounterResetCollision: (operation: 'addition' | 'subtraction' | 'aggregation', pos: PosRange): Annotation => ({
    kind: 'warning',
    text: `conflicting counter resets during histogram ${operation}`,
    pos,
  }),
  mismatchedCustomBuckets: (operation: 'addition' | 'subtraction' | 'aggregation', pos: PosRange): Annotation => ({
    kind: 'info',
    text: `mismatched custom buckets were reconciled during ${operation}`,
    pos,
  }),
  nativeHistogramNotCounter: (metricName: string, pos: PosRange): Annotation => ({
    kind: 'warning',
    text: `this native histogram metric is not a counter: ${goQuote(metricName)}`,
    pos,
  }),
  nativeHistogramNotGauge: (metricName: string, pos: PosRange): Annotation => ({
    kind: 'warning',
    text: `this native histogram metric is not a gauge: ${goQuote(metricName)}`,
    pos,
  }),
  mixedExponentialCustomHistograms: (metricName: string, pos: PosRange): Annotation => ({
    kind: 'warning',
    text: `vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${goQuote(metricName)}`,
    pos,
  }),
  histogramIgnoredInMixedRange: (metricName: string, pos: PosRange): Annotation => ({
    kind: 'info',
    text: `ignored histograms in a range containing both floats and histograms for metric name ${goQuote(metricName)}`,
    pos,
  }),
  mixedClassicNativeHistograms: (metricName: string, pos: PosRange): Annotation => ({
    kind: 'warning',
    text: withMetric('vector contains a mix of classic and native histograms', metricName),
    pos,
  }),
  nativeHistogramQuantileNaNResult: (metricName: string, pos: PosRange): Annotation => ({
    kind: 'info',
    text: withMetric('input to histogram_quantile has NaN observations, result is NaN', metricName),
    pos,
  }),
  nativeHistogramQuantileNaNSkew: (metricName: string, pos: PosRange): Annotation => ({
    kind: 'info',
    text: withMetric('input to histogram_quantile has NaN observations, result is skewed higher', metricName),
    pos,
  }),
  nativeHistogramFractionNaNs: (metricName: string, pos: PosRange): Annotation => ({
    kind: 'info',
    text: withMetric('input to histogram_fraction has NaN observations, which are excluded from all fractions', metricName),
    pos,
  }),
  mixedFloatsHistograms: (metricName: string, pos: PosRange): Annotation => ({
    kind: 'warning',
    text: `encountered a mix of histograms and floats for metric name ${goQuote(metricName)}`,
    pos,
  }),
};

/** A de-duplicating annotation set (Prometheus annotations.Annotations). */
export class Annotations {
  private m = new Map<string, Annotation>();

  add(a: Annotation): void {
    const prev = this.m.get(a.text);
    if (prev && prev.mono && a.mono) {
      const o = a.mono;
      const e = prev.mono;
      prev.mono = {
        minTs: Math.min(e.minTs, o.minTs),
        maxTs: Math.max(e.maxTs, o.maxTs),
        minBucket: Math.min(e.minBucket, o.minBucket),
        maxBucket: Math.max(e.maxBucket, o.maxBucket),
        maxDiff: Math.max(e.maxDiff, o.maxDiff),
        count: o.count + e.count + 1,
      };
      return;
    }
    if (prev) return;
    this.m.set(a.text, a.mono ? { ...a, mono: { ...a.mono } } : a);
  }

  merge(o: Annotations): void {
    for (const a of o.m.values()) this.add(a);
  }

  get size(): number {
    return this.m.size;
  }

  /** Renders as the API does: "PromQL warning: <text> (line:col)". */
  asStrings(query: string): { warnings: string[]; infos: string[] } {
    const warnings: string[] = [];
    const infos: string[] = [];
    for (const a of this.m.values()) {
      let s = `PromQL ${a.kind}: ${a.text}`;
      if (a.mono) {
        const st = isoSeconds(a.mono.minTs);
        const et = isoSeconds(a.mono.maxTs);
        s += `, from buckets ${formatG(a.mono.minBucket)} to ${formatG(a.mono.maxBucket)}, with a max diff of ${formatG(a.mono.maxDiff, 2)}, over ${a.mono.count + 1} samples from ${st} to ${et}`;
      }
      s += ` (${startPosInput(query, a.pos.start)})`;
      (a.kind === 'info' ? infos : warnings).push(s);
    }
    return { warnings, infos };
  }
}

function isoSeconds(ms: number): string {
  const d = new Date(Math.trunc(ms / 1000) * 1000);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** PositionRange.StartPosInput: "line:col" (1-based; col counts bytes since the last newline). */
export function startPosInput(query: string, pos: number): string {
  if (query === '') return 'unknown position';
  if (pos < 0 || pos > query.length) return 'invalid position';
  let line = 1;
  let last = -1;
  for (let i = 0; i < pos; i++) {
    if (query.charCodeAt(i) === 10) {
      last = i;
      line++;
    }
  }
  return `${line}:${pos - last}`;
}
