// Canonical PromQL text of an AST, as Prometheus' `Expr.String()` (promql/parser/printer.go).
// exprToString() is the single-line String() form (used to re-run queries with `@` added);
// formatExpr() is what /api/v1/format_query returns (Prometheus' `Pretty(0)`).
import type { AggregateExpr, BinaryExpr, DurationExpr, Expr, MatrixSelector, SubqueryExpr, VectorMatching, VectorSelector } from './ast.ts';
import type { Matcher } from '../labels/matcher.ts';
import { formatDuration, goQuoteString } from './durations.ts';

const LEGACY_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const enc = new TextEncoder();

function byteCompare(a: string, b: string): number {
  const x = enc.encode(a);
  const y = enc.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Splits a JS shortest-roundtrip number string into digits and decimal-point position. */
function shortestDigits(v: number): { digits: string; dp: number } {
  const s = Math.abs(v).toExponential(); // shortest round-trip digits, e.g. "1.2345e+3"
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return { digits: '0', dp: 1 };
  const digits = (m[1] ?? '') + (m[2] ?? '');
  return { digits, dp: Number(m[3]) + 1 };
}

/** Go strconv.FormatFloat(v, 'f', -1, 64). */
export function formatFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const sign = v < 0 ? '-' : '';
  const { digits, dp } = shortestDigits(v);
  let out: string;
  if (dp <= 0) out = '0.' + '0'.repeat(-dp) + digits;
  else if (dp >= digits.length) out = digits + '0'.repeat(dp - digits.length);
  else out = digits.slice(0, dp) + '.' + digits.slice(dp);
  return sign + out;
}

/** Go `%v` / strconv.FormatFloat(v, 'g', -1, 64). */
export function formatFloatG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const { digits, dp } = shortestDigits(v);
  const exp = dp - 1;
  if (exp < -4 || exp >= 6) {
    const sign = v < 0 ? '-' : '';
    const mant = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    const e = Math.abs(exp);
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' + e : e}`;
  }
  return formatFloatF(v);
}

function writeLabels(ls: readonly string[]): string {
  return ls.map((l) => (LEGACY_LABEL.test(l) ? l : goQuoteString(l))).join(', ');
}

/** labels.Matcher.String(). */
export function matcherString(m: Matcher): string {
  let quoteName = m.name.length === 0;
  let i = 0;
  for (const c of m.name) {
    const ok = c === '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) quoteName = true;
    i++;
  }
  return (quoteName ? goQuoteString(m.name) : m.name) + m.type + goQuoteString(m.value);
}

function durationNumberString(seconds: number, isDuration: boolean): string {
  if (isDuration) {
    if (seconds < 0) return '-' + formatDuration(Math.trunc(Math.round(-seconds * 1e9) / 1e6));
    return formatDuration(Math.trunc(Math.round(seconds * 1e9) / 1e6));
  }
  return formatFloatF(seconds);
}

/** DurationExpr.String(). */
export function durationExprString(d: DurationExpr): string {
  let s: string;
  switch (d.type) {
    case 'DurationLiteral':
      s = durationNumberString(d.seconds ?? d.ms / 1000, d.duration === true);
      break;
    case 'DurationUnary':
      s = (d.op === '-' ? '-' : '') + durationExprString(d.expr);
      break;
    case 'DurationCall':
      if (d.func === 'step' || d.func === 'range') s = `${d.func}()`;
      else s = `${d.func}_of(${d.args.map(durationExprString).join(', ')})`;
      break;
    case 'DurationBinary':
      s = `${durationExprString(d.lhs)} ${d.op} ${durationExprString(d.rhs)}`;
      break;
  }
  return d.paren ? `(${s})` : s;
}

function offsetString(offset: number, offsetExpr: DurationExpr | undefined): string {
  if (offsetExpr) return ' offset ' + durationExprString(offsetExpr);
  if (offset > 0) return ' offset ' + formatDuration(offset);
  if (offset < 0) return ' offset -' + formatDuration(-offset);
  return '';
}

function atString(at: VectorSelector['at']): string {
  if (!at) return '';
  if (at.kind === 'start') return ' @ start()';
  if (at.kind === 'end') return ' @ end()';
  return ' @ ' + (at.ms / 1000).toFixed(3);
}

function selectorBody(vs: VectorSelector): string {
  const strs: string[] = [];
  for (const m of vs.matchers) {
    if (m.name === '__name__' && m.type === '=' && m.value === vs.name && m.value !== '') continue;
    strs.push(matcherString(m));
  }
  strs.sort(byteCompare);
  return vs.name + (strs.length ? `{${strs.join(',')}}` : '');
}

function vectorSelectorString(vs: VectorSelector): string {
  let s = selectorBody(vs) + atString(vs.at);
  if (vs.anchored) s += ' anchored';
  else if (vs.smoothed) s += ' smoothed';
  return s + offsetString(vs.offset, vs.offsetExpr);
}

function rangeString(ms: number, e: DurationExpr | undefined): string {
  return e ? durationExprString(e) : formatDuration(ms);
}

function matrixString(m: MatrixSelector): string {
  const vs = m.vectorSelector;
  const ext = vs.anchored ? ' anchored' : vs.smoothed ? ' smoothed' : '';
  return `${selectorBody(vs)}[${rangeString(m.range, m.rangeExpr)}]${ext}${atString(vs.at)}${offsetString(vs.offset, vs.offsetExpr)}`;
}

function subquerySuffix(sq: SubqueryExpr): string {
  let step = '';
  if (sq.step !== 0) step = formatDuration(sq.step);
  else if (sq.stepExpr) step = durationExprString(sq.stepExpr);
  return `[${rangeString(sq.range, sq.rangeExpr)}:${step}]${atString(sq.at)}${offsetString(sq.offset, sq.offsetExpr)}`;
}

function matchingString(vm: VectorMatching | undefined): string {
  if (!vm) return '';
  let s = '';
  const grouped = vm.card === 'many-to-one' || vm.card === 'one-to-many';
  if (vm.matchingLabels.length > 0 || vm.on || grouped) {
    s += ` ${vm.on ? 'on' : 'ignoring'} (${writeLabels(vm.matchingLabels)})`;
  }
  if (grouped) s += ` group_${vm.card === 'many-to-one' ? 'left' : 'right'} (${writeLabels(vm.include)})`;
  if (vm.fillLeft !== undefined || vm.fillRight !== undefined) {
    if (vm.fillLeft !== undefined && vm.fillRight !== undefined && vm.fillLeft === vm.fillRight) {
      s += ` fill (${formatFloatG(vm.fillLeft)})`;
    } else {
      if (vm.fillLeft !== undefined) s += ` fill_left (${formatFloatG(vm.fillLeft)})`;
      if (vm.fillRight !== undefined) s += ` fill_right (${formatFloatG(vm.fillRight)})`;
    }
  }
  return s;
}

function aggOpString(a: AggregateExpr): string {
  if (a.without) return `${a.op} without (${writeLabels(a.grouping)}) `;
  if (a.grouping.length > 0) return `${a.op} by (${writeLabels(a.grouping)}) `;
  return a.op;
}

function binaryString(b: BinaryExpr): string {
  return `${exprToString(b.lhs)} ${b.op}${b.returnBool ? ' bool' : ''}${matchingString(b.matching)} ${exprToString(b.rhs)}`;
}

/** Prometheus `Expr.String()`: canonical single-line PromQL. */
export function exprToString(e: Expr): string {
  switch (e.type) {
    case 'AggregateExpr': {
      const param = e.param ? exprToString(e.param) + ', ' : '';
      return `${aggOpString(e)}(${param}${exprToString(e.expr)})`;
    }
    case 'BinaryExpr':
      return binaryString(e);
    case 'Call':
      return `${e.func.name}(${e.args.map(exprToString).join(', ')})`;
    case 'MatrixSelector':
      return matrixString(e);
    case 'SubqueryExpr':
      return exprToString(e.expr) + subquerySuffix(e);
    case 'NumberLiteral':
      return durationNumberString(e.value, e.duration === true);
    case 'ParenExpr':
      return `(${exprToString(e.expr)})`;
    case 'StringLiteral':
      return goQuoteString(e.value);
    case 'UnaryExpr':
      return e.op + exprToString(e.expr);
    case 'VectorSelector':
      return vectorSelectorString(e);
    case 'StepInvariantExpr':
      return exprToString(e.expr);
  }
}

// ---- Pretty (prettier.go) ----

function indent(n: number): string {
  return '  '.repeat(n);
}

/** Prometheus `Node.Pretty(level)` (prettier.go): splits expressions longer than maxChars bytes. */
export function prettyExpr(e: Expr, level = 0, maxChars = 100): string {
  const needsSplit = (n: Expr): boolean => enc.encode(exprToString(n)).length > maxChars;
  const pretty = (n: Expr, l: number): string => prettyExpr(n, l, maxChars);
  switch (e.type) {
    case 'AggregateExpr': {
      if (!needsSplit(e)) return indent(level) + exprToString(e);
      let s = indent(level) + aggOpString(e) + '(\n';
      if (e.param) s += pretty(e.param, level + 1) + ',\n';
      return s + pretty(e.expr, level + 1) + '\n' + indent(level) + ')';
    }
    case 'BinaryExpr': {
      if (!needsSplit(e)) return indent(level) + exprToString(e);
      const op = `${e.op}${e.returnBool ? ' bool' : ''}${matchingString(e.matching)}`;
      return `${pretty(e.lhs, level + 1)}\n${indent(level)}${op}\n${pretty(e.rhs, level + 1)}`;
    }
    case 'Call': {
      if (!needsSplit(e)) return indent(level) + exprToString(e);
      const args = e.args.map((a) => pretty(a, level + 1)).join(',\n');
      return `${indent(level)}${e.func.name}(\n${args}\n${indent(level)})`;
    }
    case 'ParenExpr':
      if (!needsSplit(e)) return indent(level) + exprToString(e);
      return `${indent(level)}(\n${pretty(e.expr, level + 1)}\n${indent(level)})`;
    case 'SubqueryExpr':
      // Prometheus does not indent an unsplit subquery.
      if (!needsSplit(e)) return exprToString(e);
      return pretty(e.expr, level) + subquerySuffix(e);
    case 'UnaryExpr':
      return indent(level) + e.op + pretty(e.expr, level).trim();
    case 'StepInvariantExpr':
      return pretty(e.expr, level);
    default:
      return indent(level) + exprToString(e);
  }
}

/** Text for `/api/v1/format_query`: Prometheus `parser.Prettify(expr)` = `expr.Pretty(0)`. */
export function formatExpr(e: Expr): string {
  return prettyExpr(e, 0);
}
