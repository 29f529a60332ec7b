// Binary operators (Prometheus VectorBinop / VectorAnd / VectorOr / VectorUnless /
// VectorscalarBinop / scalarBinop / resultMetric), float samples and native histograms.
import { Labels, LabelsBuilder, compareStrings, isLegacyLabelName } from '../labels/labels.ts';
import type { BinaryOp, PosRange, VectorMatching } from './ast.ts';
import type { ESample } from './eval-types.ts';
import { Anno, type Annotation } from './annotations.ts';
import { HistogramError, type FloatHistogram } from './histogram/index.ts';
import { goMod, goPow } from './functions/math.ts';

export class BinopError extends Error {}

export function isComparison(op: BinaryOp): boolean {
  return op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<=';
}

/** The native-histogram trim operators `</` (keep below) and `>/` (keep above). */
export function isTrim(op: BinaryOp): op is '</' | '>/' {
  return op === '</' || op === '>/';
}

export function changesMetricSchema(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '%' || op === '^' || op === 'atan2';
}

/** scalarBinop. */
export function scalarBinop(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+': return l + r;
    case '-': return l - r;
    case '*': return l * r;
    case '/': return l / r;
    case '^': return goPow(l, r);
    case '%': return goMod(l, r);
    case '==': return l === r ? 1 : 0;
    case '!=': return l !== r ? 1 : 0;
    case '>': return l > r ? 1 : 0;
    case '<': return l < r ? 1 : 0;
    case '>=': return l >= r ? 1 : 0;
    case '<=': return l <= r ? 1 : 0;
    case 'atan2': return Math.atan2(l, r);
  }
  throw new BinopError(`operator "${op}" not allowed for Scalar operations`);
}

/**
 * vectorElemBinop for floats: [value, keep]. Writes into `out`. The trim
 * operators are not defined between floats: the sample is dropped (keep
 * false) and, when `out` has an `err` field and `pos` is given, the
 * "incompatible sample types … float </ float" info is stored there
 * (Prometheus returns it as vectorElemBinop's err).
 */
export function elemBinop(op: BinaryOp, l: number, r: number, out: { v: number; keep: boolean; err?: Annotation | null }, pos?: PosRange): void {
  out.keep = true;
  if (out.err !== undefined) out.err = null;
  switch (op) {
    case '+': out.v = l + r; return;
    case '-': out.v = l - r; return;
    case '*': out.v = l * r; return;
    case '/': out.v = l / r; return;
    case '^': out.v = goPow(l, r); return;
    case '%': out.v = goMod(l, r); return;
    case 'atan2': out.v = Math.atan2(l, r); return;
    case '==': out.v = l; out.keep = l === r; return;
    case '!=': out.v = l; out.keep = l !== r; return;
    case '>': out.v = l; out.keep = l > r; return;
    case '<': out.v = l; out.keep = l < r; return;
    case '>=': out.v = l; out.keep = l >= r; return;
    case '<=': out.v = l; out.keep = l <= r; return;
    case '</':
    case '>/':
      out.v = 0;
      out.keep = false;
      if (out.err !== undefined && pos !== undefined) out.err = Anno.incompatibleTypesInBinOp('float', op, 'float', pos);
      return;
  }
  throw new BinopError(`operator "${op}" not allowed for operations between Vectors`);
}

/** Result of elemBinopHist (Prometheus vectorElemBinop's return values). */
export interface HistBinopResult {
  v: number;
  h: FloatHistogram | undefined;
  keep: boolean;
  /** Prometheus `info` (an annotation that keeps the sample). */
  info: Annotation | null;
  /** Prometheus `err`: the sample is dropped and this annotation reported. */
  err: Annotation | null;
}

/**
 * vectorElemBinop when at least one side is a native histogram: histogram ± histogram,
 * histogram * float (either side), histogram / float, histogram </ float and histogram >/ float
 * (trimBuckets) and ==/!= between histograms are defined; everything else gives an
 * "incompatible sample types" info and no sample.
 */
export function elemBinopHist(op: BinaryOp, l: number, r: number, hl: FloatHistogram | undefined, hr: FloatHistogram | undefined, pos: PosRange, out: HistBinopResult): void {
  out.v = 0;
  out.h = undefined;
  out.keep = false;
  out.info = null;
  out.err = null;
  const incompatible = (): void => {
    out.err = Anno.incompatibleTypesInBinOp(hl ? 'histogram' : 'float', op, hr ? 'histogram' : 'float', pos);
  };
  if (hl === undefined && hr !== undefined) {
    if (op === '*') {
      out.h = hr.mul(l).compact(0);
      out.keep = true;
    } else incompatible();
    return;
  }
  if (hl !== undefined && hr === undefined) {
    if (op === '*') {
      out.h = hl.mul(r).compact(0);
      out.keep = true;
    } else if (op === '/') {
      out.h = hl.div(r).compact(0);
      out.keep = true;
    } else if (op === '</' || op === '>/') {
      // Prometheus trims a copy and does not compact an untrimmed one (trimBuckets does the same).
      out.h = hl.trimBuckets(r, op === '</');
      out.keep = true;
    } else incompatible();
    return;
  }
  if (hl === undefined || hr === undefined) return;
  switch (op) {
    case '+':
    case '-': {
      let res;
      try {
        res = op === '+' ? hl.add(hr) : hl.sub(hr);
      } catch (e) {
        if (e instanceof HistogramError) {
          out.err = Anno.incompatibleBucketLayoutInBinOp(op, pos);
          return;
        }
        throw e;
      }
      const operation = op === '+' ? 'addition' : 'subtraction';
      const h = res.h;
      if (op === '-') h.counterResetHint = 'gauge';
      if (res.counterResetCollision) out.err = Anno.histogramCounterResetCollision(operation, pos);
      if (res.nhcbBoundsReconciled) out.info = Anno.mismatchedCustomBuckets(operation, pos);
      out.h = h.compact(0);
      out.keep = true;
      return;
    }
    case '==':
      out.h = hl;
      out.keep = hl.equals(hr);
      return;
    case '!=':
      out.h = hl;
      out.keep = !hl.equals(hr);
      return;
    default:
      incompatible();
  }
}

const SEP = '\xff';

/** Signature function of a vector matching (on: only the names; ignoring: all but names and __name__). */
export function signatureFn(m: VectorMatching): (l: Labels) => string {
  const names = [...m.matchingLabels].sort(compareStrings);
  if (m.on) {
    return (l) => {
      let k = '';
      for (const n of names) {
        const v = l.get(n);
        if (v !== '') k += n + SEP + v + SEP;
      }
      return k;
    };
  }
  return (l) => {
    const f = l.flat;
    let k = '';
    for (let i = 0; i < f.length; i += 2) {
      const n = f[i]!;
      if (n === '__name__' || names.includes(n)) continue;
      k += n + SEP + f[i + 1]! + SEP;
    }
    return k;
  };
}

/** labels.MatchLabels. */
export function matchLabels(l: Labels, on: boolean, names: readonly string[]): Labels {
  if (on) return l.keep(names);
  return l.without('__name__', ...names);
}

/** Go labels.String(): {a="b", c="d"} including __name__. */
export function goLabelsString(l: Labels): string {
  const parts: string[] = [];
  const f = l.flat;
  for (let i = 0; i < f.length; i += 2) {
    const n = f[i]!;
    parts.push(`${isLegacyLabelName(n) ? n : JSON.stringify(n)}=${JSON.stringify(f[i + 1]!)}`);
  }
  return `{${parts.join(', ')}}`;
}

/** Per-node scratch state reused across steps: signature-ordinal tables with generation stamps. */
export class BinopState {
  present = new Int32Array(0);
  rightIdx = new Int32Array(0);
  matched = new Int32Array(0);
  matchedMany: (Set<string> | undefined)[] = [];
  stamp = 0;
  readonly metricCache = new Map<number, Labels>();
  /** Last histogram annotation of the step (Prometheus VectorBinop's lastErr). */
  lastAnno: Annotation | null = null;
  readonly hres: HistBinopResult = { v: 0, h: undefined, keep: false, info: null, err: null };

  reset(numSigs: number): void {
    this.lastAnno = null;
    if (this.present.length < numSigs) {
      this.present = new Int32Array(numSigs);
      this.rightIdx = new Int32Array(numSigs);
      this.matched = new Int32Array(numSigs);
      this.stamp = 0;
    }
    this.stamp++;
    this.matchedMany.length = 0;
  }
}

function resultMetric(lhs: Labels, rhs: Labels, op: BinaryOp, m: VectorMatching): Labels {
  const b = new LabelsBuilder(lhs);
  if (changesMetricSchema(op)) b.del('__name__', '__type__', '__unit__');
  if (m.card === 'one-to-one') {
    if (m.on) {
      const keep = new Set(m.matchingLabels);
      for (const n of lhs.names()) if (!keep.has(n)) b.del(n);
    } else {
      b.del(...m.matchingLabels);
    }
  }
  for (const ln of m.include) {
    const v = rhs.get(ln);
    if (v !== '') b.set(ln, v);
    else b.del(ln);
  }
  return b.labels();
}

export function vectorAnd(lhs: ESample[], rhs: ESample[], lsig: number[], rsig: number[], out: ESample[], st: BinopState): ESample[] {
  if (lhs.length === 0 || rhs.length === 0) return out;
  const p = st.present;
  const stamp = st.stamp;
  for (let j = 0; j < rhs.length; j++) p[rsig[j]!] = stamp;
  for (let i = 0; i < lhs.length; i++) if (p[lsig[i]!] === stamp) out.push(lhs[i]!);
  return out;
}

export function vectorOr(lhs: ESample[], rhs: ESample[], lsig: number[], rsig: number[], out: ESample[], st: BinopState): ESample[] {
  if (lhs.length === 0) {
    for (const s of rhs) out.push(s);
    return out;
  }
  if (rhs.length === 0) {
    for (const s of lhs) out.push(s);
    return out;
  }
  const p = st.present;
  const stamp = st.stamp;
  for (let i = 0; i < lhs.length; i++) {
    p[lsig[i]!] = stamp;
    out.push(lhs[i]!);
  }
  for (let j = 0; j < rhs.length; j++) if (p[rsig[j]!] !== stamp) out.push(rhs[j]!);
  return out;
}

export function vectorUnless(lhs: ESample[], rhs: ESample[], lsig: number[], rsig: number[], out: ESample[], st: BinopState): ESample[] {
  if (lhs.length === 0 || rhs.length === 0) {
    for (const s of lhs) out.push(s);
    return out;
  }
  const p = st.present;
  const stamp = st.stamp;
  for (let j = 0; j < rhs.length; j++) p[rsig[j]!] = stamp;
  for (let i = 0; i < lhs.length; i++) if (p[lsig[i]!] !== stamp) out.push(lhs[i]!);
  return out;
}

/** VectorBinop for arithmetic/comparison between two instant vectors. */
export function vectorBinop(
  op: BinaryOp, lhs: ESample[], rhs: ESample[], m: VectorMatching, returnBool: boolean,
  lsig: number[], rsig: number[], ts: number, out: ESample[], st: BinopState, pos: PosRange,
): ESample[] {
  const fillR = m.fillRight;
  const fillL = m.fillLeft;
  if ((lhs.length === 0 && rhs.length === 0) || ((lhs.length === 0 || rhs.length === 0) && fillR === undefined && fillL === undefined)) return out;
  const oneToMany = m.card === 'one-to-many';
  if (oneToMany) {
    [lhs, rhs] = [rhs, lhs];
    [lsig, rsig] = [rsig, lsig];
  }
  const stamp = st.stamp;
  const present = st.present;
  const rightIdx = st.rightIdx;
  for (let i = 0; i < rhs.length; i++) {
    const rs = rhs[i]!;
    const sig = rsig[i]!;
    if (present[sig] === stamp) {
      const dup = rhs[rightIdx[sig]!]!;
      const matched = matchLabels(rs.metric, m.on, m.matchingLabels);
      let d1 = goLabelsString(rs.metric);
      let d2 = goLabelsString(dup.metric);
      if (d1 > d2) [d1, d2] = [d2, d1];
      throw new BinopError(
        `found duplicate series for the match group ${goLabelsString(matched)} on the ${oneToMany ? 'left' : 'right'} hand-side of the operation: [${d1}, ${d2}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    present[sig] = stamp;
    rightIdx[sig] = i;
  }
  const matched = st.matched;
  const r: { v: number; keep: boolean; err: Annotation | null } = { v: 0, keep: false, err: null };
  const cache = st.metricCache;
  const hres = st.hres;
  const doOp = (ls: ESample, rs: ESample, sig: number): void => {
    let fl = ls.v;
    let fr = rs.v;
    if (oneToMany) [fl, fr] = [fr, fl];
    let h: FloatHistogram | undefined;
    let keep: boolean;
    let v: number;
    if (ls.h !== undefined || rs.h !== undefined) {
      let hl = ls.h;
      let hr = rs.h;
      if (oneToMany) [hl, hr] = [hr, hl];
      elemBinopHist(op, fl, fr, hl, hr, pos, hres);
      if (hres.err !== null) {
        st.lastAnno = hres.err;
        return;
      }
      if (hres.info !== null) st.lastAnno = hres.info;
      keep = hres.keep;
      v = hres.v;
      h = returnBool ? undefined : hres.h;
    } else {
      elemBinop(op, fl, fr, r, pos);
      if (r.err !== null) {
        // Prometheus VectorBinop: an err from vectorElemBinop skips the pair (no match bookkeeping).
        st.lastAnno = r.err;
        return;
      }
      keep = r.keep;
      v = r.v;
    }
    if (returnBool) v = keep ? 1 : 0;
    let metric: Labels | undefined;
    const cacheable = ls.si !== undefined && rs.si !== undefined;
    const key = cacheable ? ls.si! * 4294967296 + rs.si! : 0;
    if (cacheable) metric = cache.get(key);
    if (!metric) {
      metric = resultMetric(ls.metric, rs.metric, op, m);
      if (cacheable) cache.set(key, metric);
    }
    if (m.card === 'one-to-one') {
      if (matched[sig] === stamp) throw new BinopError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      matched[sig] = stamp;
    } else {
      let set = st.matchedMany[sig];
      if (!set) st.matchedMany[sig] = set = new Set();
      const k = metric.key;
      if (set.has(k)) throw new BinopError('multiple matches for labels: grouping labels must ensure unique matches');
      set.add(k);
    }
    if (!keep && !returnBool) return;
    out.push(h === undefined ? { metric, t: ts, v, dropName: returnBool } : { metric, t: ts, v, dropName: returnBool, h });
  };
  for (let i = 0; i < lhs.length; i++) {
    const ls = lhs[i]!;
    const sig = lsig[i]!;
    let rs: ESample;
    if (present[sig] === stamp) rs = rhs[rightIdx[sig]!]!;
    else {
      if (fillR === undefined) continue;
      rs = { metric: matchLabels(ls.metric, m.on, m.matchingLabels), t: ts, v: fillR, dropName: false };
    }
    doOp(ls, rs, sig);
  }
  if (fillL !== undefined) {
    for (let i = 0; i < rhs.length; i++) {
      const rs = rhs[i]!;
      const sig = rsig[i]!;
      if (m.card === 'one-to-one' ? matched[sig] === stamp : (st.matchedMany[sig]?.size ?? 0) > 0) continue;
      const ls: ESample = { metric: matchLabels(rs.metric, m.on, m.matchingLabels), t: ts, v: fillL, dropName: false };
      doOp(ls, rs, sig);
    }
  }
  return out;
}

/** VectorscalarBinop. */
export function vectorScalarBinop(op: BinaryOp, lhs: ESample[], scalar: number, swap: boolean, returnBool: boolean, out: ESample[]): ESample[] {
  const r = { v: 0, keep: false };
  const cmp = isComparison(op);
  const schema = changesMetricSchema(op);
  for (const s of lhs) {
    let lf = s.v;
    let rf = scalar;
    if (swap) [lf, rf] = [rf, lf];
    elemBinop(op, lf, rf, r);
    let v = r.v;
    let keep = r.keep;
    if (cmp && swap) v = rf;
    if (returnBool) {
      v = keep ? 1 : 0;
      keep = true;
    }
    if (keep) out.push({ metric: s.metric, t: s.t, v, dropName: s.dropName || schema || returnBool });
  }
  return out;
}
