// PromQL parser producing the typed AST of ast.ts with the semantics, type checks and error texts
// of Prometheus 3.x `promql/parser` (generated_parser.y + parse.go).
//
// parseExpr parses with the Prometheus project's own grammar, @prometheus-io/lezer-promql, and
// converts its tree (lezer-ast.ts). The grammar actions and type checks (checkAST) live in one
// place, AstBuilder below, which both front ends build through. When the Lezer tree has error
// nodes, the conversion meets a spelling it cannot express exactly, or a check fails, parseExpr
// falls back to the port below: a hand-written recursive-descent parser over a port of
// Prometheus' lexer (lex.ts) that mirrors every rule and error production of generated_parser.y.
// The port is kept because Prometheus' error messages ("1:5: parse error: unexpected … in
// aggregation, expected …") come from the yacc grammar's error productions and the parser state
// at the failing token, which an error-recovering Lezer tree cannot reproduce; it also produces
// the AST in the rare case Lezer rejects a query Go accepts. lezer-ast.test.ts checks that both
// paths give deep-equal ASTs on every valid query of our corpora.
import { Matcher, MatcherError } from '../labels/matcher.ts';
import type { MatchType } from '../labels/matcher.ts';
import type {
  AggregateExpr,
  AggregateOp,
  AtModifier,
  BinaryExpr,
  BinaryOp,
  Call,
  DurationExpr,
  Expr,
  FunctionDef,
  MatrixSelector,
  NumberLiteral,
  PosRange,
  SubqueryExpr,
  ValueTypeName,
  VectorMatching,
  VectorSelector,
} from './ast.ts';
import { exprType } from './ast.ts';
import { DurationError, goQuoteString, parseDuration as parseDurationMs, secondsToMs } from './durations.ts';
import { getFunction } from './functions-def.ts';
import {
  T,
  Lexer,
  isAggregator,
  isComparisonOperator,
  isSetOperator,
  isSpace,
  itemDesc,
  typeString,
} from './lex.ts';
import type { Item } from './lex.ts';
import { lezerParseExpr } from './lezer-ast.ts';

export { parseDuration, formatDuration } from './durations.ts';

export interface ParseOptions {
  /** Enables every experimental feature below (Prometheus' feature flags) unless set explicitly. */
  experimental?: boolean;
  /** `--enable-feature=promql-experimental-functions` (experimental functions, limitk, limit_ratio). */
  experimentalFunctions?: boolean;
  /** `--enable-feature=promql-duration-expr` (arithmetic, step(), range(), min_of/max_of in durations). */
  durationExpr?: boolean;
  /** `--enable-feature=promql-extended-range-selectors` (`anchored` / `smoothed`). */
  extendedRangeSelectors?: boolean;
  /** `--enable-feature=promql-binop-fill-modifiers` (`fill()`, `fill_left()`, `fill_right()`). */
  fillModifiers?: boolean;
}

export interface ResolvedOptions {
  functions: boolean;
  durationExpr: boolean;
  rangeSelectors: boolean;
  fill: boolean;
}

export function resolveOptions(o: ParseOptions | undefined): ResolvedOptions {
  const all = o?.experimental ?? false;
  return {
    functions: o?.experimentalFunctions ?? all,
    durationExpr: o?.durationExpr ?? all,
    rangeSelectors: o?.extendedRangeSelectors ?? all,
    fill: o?.fillModifiers ?? all,
  };
}

/** Line:column of a byte position (`PositionRange.StartPosInput`). */
function startPosInput(bytes: Uint8Array, query: string, pos: number): string {
  if (query === '') return 'unknown position';
  if (pos < 0 || pos > bytes.length) return 'invalid position';
  let lastLineBreak = -1;
  let line = 1;
  for (let i = 0; i < pos; i++) {
    if (bytes[i] === 0x0a) {
      lastLineBreak = i;
      line++;
    }
  }
  // Go ranges over runes; the column is still a byte distance.
  return `${line}:${pos - lastLineBreak}`;
}

export interface ParseErrorDetail {
  positionRange: PosRange;
  message: string;
}

/** A PromQL parse error, formatted like Prometheus' `ParseErr` (`1:14: parse error: …`). */
export class ParseError extends Error {
  override name = 'ParseError';
  readonly positionRange: PosRange;
  readonly query: string;
  /** The bare message without the `L:C: parse error: ` prefix. */
  readonly detail: string;

  constructor(positionRange: PosRange, detail: string, query: string, bytes?: Uint8Array) {
    const b = bytes ?? new TextEncoder().encode(query);
    super(`${startPosInput(b, query, positionRange.start)}: parse error: ${detail}`);
    this.positionRange = positionRange;
    this.query = query;
    this.detail = detail;
  }
}

/** Internal: aborts parsing once the first error is recorded. */
export class Abort {
  constructor(readonly err: ParseError) {}
}

type ErrCtx = { context: string; expected: string };

const BIN_PREC = new Map<T, number>([
  [T.LOR, 1],
  [T.LAND, 2],
  [T.LUNLESS, 2],
  [T.EQLC, 3],
  [T.GTE, 3],
  [T.GTR, 3],
  [T.LSS, 3],
  [T.LTE, 3],
  [T.NEQ, 3],
  [T.TRIM_UPPER, 3],
  [T.TRIM_LOWER, 3],
  [T.ADD, 4],
  [T.SUB, 4],
  [T.MUL, 5],
  [T.DIV, 5],
  [T.MOD, 5],
  [T.ATAN2, 5],
  [T.POW, 6],
]);
const PREC_MUL = 5;

const DUR_PREC = new Map<T, number>([
  [T.ADD, 4],
  [T.SUB, 4],
  [T.MUL, 5],
  [T.DIV, 5],
  [T.MOD, 5],
  [T.POW, 6],
]);

const BINOP: ReadonlyMap<T, BinaryOp> = new Map<T, BinaryOp>([
  [T.ADD, '+'],
  [T.SUB, '-'],
  [T.MUL, '*'],
  [T.DIV, '/'],
  [T.MOD, '%'],
  [T.POW, '^'],
  [T.ATAN2, 'atan2'],
  [T.EQLC, '=='],
  [T.NEQ, '!='],
  [T.GTR, '>'],
  [T.LSS, '<'],
  [T.GTE, '>='],
  [T.LTE, '<='],
  [T.LAND, 'and'],
  [T.LOR, 'or'],
  [T.LUNLESS, 'unless'],
  [T.TRIM_UPPER, '</'],
  [T.TRIM_LOWER, '>/'],
]);

/** Go's yacc precedence of each binary operator (higher binds tighter; `^` is right-associative). */
export const BINARY_PRECEDENCE: ReadonlyMap<BinaryOp, number> = new Map([...BINOP].map(([t, op]) => [op, BIN_PREC.get(t) ?? 0]));
/** Unary +/- bind like `*` (`unary_op expr %prec MUL`): their operand extends over `^` only. */
export const UNARY_PRECEDENCE = PREC_MUL;

const AGG_OP: ReadonlyMap<T, AggregateOp> = new Map<T, AggregateOp>([
  [T.SUM, 'sum'],
  [T.AVG, 'avg'],
  [T.COUNT, 'count'],
  [T.MIN, 'min'],
  [T.MAX, 'max'],
  [T.GROUP, 'group'],
  [T.STDDEV, 'stddev'],
  [T.STDVAR, 'stdvar'],
  [T.TOPK, 'topk'],
  [T.BOTTOMK, 'bottomk'],
  [T.QUANTILE, 'quantile'],
  [T.COUNT_VALUES, 'count_values'],
  [T.LIMITK, 'limitk'],
  [T.LIMIT_RATIO, 'limit_ratio'],
]);

/** Aggregations taking a parameter (topk, quantile, …): `isAggregatorWithParam` of the lexer. */
const AGG_WITH_PARAM: ReadonlySet<AggregateOp> = new Set<AggregateOp>(['topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio']);

/** metric_identifier in generated_parser.y: tokens usable as a metric name. */
const METRIC_IDENT = new Set<T>([
  T.AVG, T.BOTTOMK, T.BY, T.COUNT, T.COUNT_VALUES, T.FILL, T.FILL_LEFT, T.FILL_RIGHT, T.GROUP,
  T.IDENTIFIER, T.LAND, T.LOR, T.LUNLESS, T.MAX, T.METRIC_IDENTIFIER, T.MIN, T.OFFSET, T.QUANTILE,
  T.STDDEV, T.STDVAR, T.SUM, T.TOPK, T.WITHOUT, T.START, T.END, T.LIMITK, T.LIMIT_RATIO, T.STEP,
  T.RANGE, T.ANCHORED, T.SMOOTHED, T.MAX_OF, T.MIN_OF,
]);

/** maybe_label: tokens usable as a label name in grouping lists. */
const MAYBE_LABEL = new Set<T>([
  T.AVG, T.BOOL, T.BOTTOMK, T.BY, T.COUNT, T.COUNT_VALUES, T.GROUP, T.GROUP_LEFT, T.GROUP_RIGHT,
  T.FILL, T.FILL_LEFT, T.FILL_RIGHT, T.IDENTIFIER, T.IGNORING, T.LAND, T.LOR, T.LUNLESS, T.MAX,
  T.METRIC_IDENTIFIER, T.MIN, T.OFFSET, T.ON, T.QUANTILE, T.STDDEV, T.STDVAR, T.SUM, T.TOPK,
  T.START, T.END, T.ATAN2, T.LIMITK, T.LIMIT_RATIO, T.STEP, T.RANGE, T.ANCHORED, T.SMOOTHED,
  T.MAX_OF, T.MIN_OF,
]);

const MATCH_OP: ReadonlyMap<T, MatchType> = new Map<T, MatchType>([
  [T.EQL, '='],
  [T.NEQ, '!='],
  [T.EQL_REGEX, '=~'],
  [T.NEQ_REGEX, '!~'],
]);

function documentedType(t: ValueTypeName): string {
  if (t === 'vector') return 'instant vector';
  if (t === 'matrix') return 'range vector';
  return t;
}

/** Go `%f` formatting. */
function goFormatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Math.abs(v) >= 1e21) return BigInt(v).toString() + '.000000';
  return v.toFixed(6);
}

/** Go math.Round: half away from zero. */
function goRound(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

// ---------------------------------------------------------------------------------------------
// Number and string literal helpers (Go strconv semantics).

/** Go underscoreOK: underscores only between digits / after a base prefix. */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hexp = false;
  if (s.length >= 2 && s[0] === '0') {
    const c = s[1]?.toLowerCase();
    if (c === 'x' || c === 'o' || c === 'b') {
      i = 2;
      saw = '0';
      hexp = c === 'x';
    }
  }
  for (; i < s.length; i++) {
    const ch = s[i] ?? '';
    if ((ch >= '0' && ch <= '9') || (hexp && /[a-fA-F]/.test(ch))) {
      saw = '0';
      continue;
    }
    if (ch === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** strconv.ParseInt(s, 0, 64); returns undefined on any error. */
function goParseInt0(s: string): number | undefined {
  if (s === '') return undefined;
  let body = s;
  let neg = false;
  if (body[0] === '+' || body[0] === '-') {
    neg = body[0] === '-';
    body = body.slice(1);
  }
  let base = 10;
  let digits = body;
  if (body[0] === '0') {
    const p = body[1]?.toLowerCase();
    if (p === 'x') {
      base = 16;
      digits = body.slice(2);
    } else if (p === 'o') {
      base = 8;
      digits = body.slice(2);
    } else if (p === 'b') {
      base = 2;
      digits = body.slice(2);
    } else if (body.length > 1) {
      base = 8;
      digits = body.slice(1);
    }
  }
  if (body.includes('_') && !underscoreOK(body)) return undefined;
  digits = digits.replace(/_/g, '');
  if (digits === '') return undefined;
  const valid = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : base === 2 ? /^[01]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return undefined;
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : base === 2 ? '0b' : '';
  let n = BigInt(prefix + digits);
  if (neg) n = -n;
  if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined;
  return Number(n);
}

/** strconv.ParseFloat(s, 64) for the forms the lexer can produce. Returns a value or an error text. */
function goParseFloat(s: string): number | string {
  const lower = s.toLowerCase();
  const signless = lower.replace(/^[+-]/, '');
  const neg = lower.startsWith('-');
  if (signless === 'inf' || signless === 'infinity') return neg ? -Infinity : Infinity;
  if (signless === 'nan') return NaN;
  if (s.includes('_') && !underscoreOK(s)) return 'invalid syntax';
  const clean = s.replace(/_/g, '');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(clean)) return 'invalid syntax';
  const v = Number(clean);
  if (!Number.isFinite(v)) return 'value out of range';
  return v;
}

/** The parser's `number()`: ParseInt base 0 first, then ParseFloat. */
export function parseNumberLiteral(val: string): number | string {
  const i = goParseInt0(val);
  if (i !== undefined) return i;
  const f = goParseFloat(val);
  if (typeof f === 'string') return `strconv.ParseFloat: parsing ${goQuoteString(val)}: ${f}`;
  return f;
}

const utf8strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Go strings may hold invalid UTF-8 ("\xff"); JS strings cannot. Invalid bytes become lone
 * surrogates U+DC80–U+DCFF (Python's surrogateescape), so such a string stays distinguishable and
 * fails UTF-8 validity checks (label names) exactly where Go's would.
 */
function decodeGoBytes(bytes: Uint8Array): string {
  try {
    return utf8strict.decode(bytes);
  } catch {
    let out = '';
    let i = 0;
    while (i < bytes.length) {
      const b = bytes[i]!;
      const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
      if (len > 0 && i + len <= bytes.length) {
        try {
          out += utf8strict.decode(bytes.subarray(i, i + len));
          i += len;
          continue;
        } catch {
          // fall through: invalid sequence
        }
      }
      out += String.fromCharCode(0xdc00 + b);
      i++;
    }
    return out;
  }
}
const utf8enc = new TextEncoder();

/** strutil.Unquote (Go strconv.Unquote extended to multi-character single-quoted strings). */
export function unquoteString(s: string): string {
  const n = s.length;
  if (n < 2) throw new Error('invalid syntax');
  const quote = s[0];
  if (quote !== s[n - 1]) throw new Error('invalid syntax');
  const body = s.slice(1, n - 1);
  if (quote === '`') {
    if (body.includes('`')) throw new Error('invalid syntax');
    return body;
  }
  if (quote !== '"' && quote !== "'") throw new Error('invalid syntax');
  if (body.includes('\n')) throw new Error('invalid syntax');
  if (!body.includes('\\') && !body.includes(quote)) return body;
  const out: number[] = [];
  const pushStr = (str: string): void => {
    for (const b of utf8enc.encode(str)) out.push(b);
  };
  let i = 0;
  while (i < body.length) {
    const c = body[i] ?? '';
    if (c === quote) throw new Error('invalid syntax');
    if (c !== '\\') {
      const cp = body.codePointAt(i) ?? 0;
      const ch = String.fromCodePoint(cp);
      pushStr(ch);
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    i += 2;
    switch (e) {
      case 'a':
        out.push(7);
        break;
      case 'b':
        out.push(8);
        break;
      case 'f':
        out.push(12);
        break;
      case 'n':
        out.push(10);
        break;
      case 'r':
        out.push(13);
        break;
      case 't':
        out.push(9);
        break;
      case 'v':
        out.push(11);
        break;
      case '\\':
        out.push(0x5c);
        break;
      case "'":
      case '"':
        if (e !== quote) throw new Error('invalid syntax');
        out.push(e.charCodeAt(0));
        break;
      case 'x': {
        const h = body.slice(i, i + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new Error('invalid syntax');
        out.push(parseInt(h, 16));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        const len = e === 'u' ? 4 : 8;
        const h = body.slice(i, i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(h)) throw new Error('invalid syntax');
        const cp = parseInt(h, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) throw new Error('invalid syntax');
        pushStr(String.fromCodePoint(cp));
        i += len;
        break;
      }
      default: {
        if (e !== undefined && e >= '0' && e <= '7') {
          const o = body.slice(i - 1, i + 2);
          if (!/^[0-7]{3}$/.test(o)) throw new Error('invalid syntax');
          const v = parseInt(o, 8);
          if (v > 255) throw new Error('invalid syntax');
          out.push(v);
          i += 2;
          break;
        }
        throw new Error('invalid syntax');
      }
    }
  }
  return decodeGoBytes(Uint8Array.from(out));
}

function durationLiteralOutOfRange(val: number): boolean {
  return val > 9223372036.854775807 || val < -9223372036.854775808;
}

// ---------------------------------------------------------------------------------------------

export interface BinMods {
  returnBool: boolean;
  card: VectorMatching['card'];
  matchingLabels: string[];
  on: boolean;
  include: string[];
  fillLeft?: number;
  fillRight?: number;
}

/**
 * The grammar actions and type checks of Prometheus' parser (the Go actions of generated_parser.y
 * and parse.go's checkAST), independent of how the syntax was recognised. Both the Lezer path
 * (lezer-ast.ts) and the port (Parser below) build their AST through these methods, so every
 * semantic check and error text lives in one place. Failures throw Abort (a ParseError inside).
 */
export class AstBuilder {
  readonly input: string;
  readonly opts: ResolvedOptions;
  /** VectorSelectors exempt from the non-empty matcher check (info()'s label selector). */
  readonly bypassEmpty = new WeakSet<VectorSelector>();
  private encoded: Uint8Array | undefined;

  constructor(input: string, opts: ResolvedOptions) {
    this.input = input;
    this.opts = opts;
  }

  /** The query as UTF-8 (positions are byte offsets into it). */
  get bytes(): Uint8Array {
    if (!this.encoded) this.encoded = utf8enc.encode(this.input);
    return this.encoded;
  }

  fail(pr: PosRange, msg: string): never {
    throw new Abort(new ParseError(pr, msg, this.input, this.bytes));
  }

  // ---- literals ----

  /** number_duration_literal: a NUMBER (Go strconv) or a DURATION token (seconds, `duration`). */
  numberLit(isDuration: boolean, text: string, pr: PosRange): NumberLiteral {
    if (!isDuration) {
      const v = parseNumberLiteral(text);
      if (typeof v === 'string') this.fail(pr, `error parsing number: ${v}`);
      return { type: 'NumberLiteral', value: v, pos: pr };
    }
    let ms: number;
    try {
      ms = parseDurationMs(text);
    } catch (e) {
      this.fail(pr, e instanceof DurationError ? e.message : String(e));
    }
    return { type: 'NumberLiteral', value: ms / 1000, duration: true, pos: pr };
  }

  /** Unquotes a STRING token's text (strutil.Unquote). */
  unquoteAt(text: string, pr: PosRange): string {
    try {
      return unquoteString(text);
    } catch (e) {
      this.fail(pr, `error unquoting string ${goQuoteString(text)}: ${(e as Error).message}`);
    }
  }

  /** unary_expr: a sign folds into a number literal, otherwise a UnaryExpr. */
  newUnary(op: '+' | '-', start: number, operand: Expr): Expr {
    if (operand.type === 'NumberLiteral') {
      if (op === '-') operand.value *= -1;
      operand.pos = { start, end: operand.pos.end };
      return operand;
    }
    return { type: 'UnaryExpr', op, expr: operand, pos: { start, end: operand.pos.end } };
  }

  // ---- calls, aggregations, binary expressions, selectors ----

  newCall(name: string, namePr: PosRange, args: Expr[], end: number): Call {
    const fn = getFunction(name);
    if (!fn) this.fail(namePr, `unknown function with name ${goQuoteString(name)}`);
    if (fn.experimental && !this.opts.functions) this.fail(namePr, `function ${goQuoteString(name)} is not enabled`);
    return { type: 'Call', func: fn, args, pos: { start: namePr.start, end } };
  }

  newAggregate(op: AggregateOp, start: number, args: Expr[], grouping: string[], without: boolean, end: number): AggregateExpr {
    const pos = { start, end };
    if (args.length === 0) this.fail(pos, 'no arguments for aggregate expression provided');
    let desired = 1;
    let param: Expr | undefined;
    if (AGG_WITH_PARAM.has(op)) {
      if (!this.opts.functions && (op === 'limitk' || op === 'limit_ratio')) {
        this.fail(pos, `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`);
      }
      desired = 2;
      param = args[0];
    }
    if (args.length !== desired) {
      this.fail(pos, `wrong number of arguments for aggregate expression provided, expected ${desired}, got ${args.length}`);
    }
    const expr = args[desired - 1] as Expr;
    const agg: AggregateExpr = { type: 'AggregateExpr', op, expr, grouping, without, pos };
    if (param) agg.param = param;
    return agg;
  }

  /** A label of a grouping list (by/without/on/ignoring/group_x) must be a valid UTF-8 name. */
  checkGroupingLabel(name: string, pr: PosRange): void {
    if (name === '' || !isValidUTF8Name(name)) {
      this.fail(pr, `invalid label name for grouping: ${goQuoteString(name)}`);
    }
  }

  newBinary(lhs: Expr, op: BinaryOp, mods: BinMods, rhs: Expr): BinaryExpr {
    const matching: VectorMatching = { card: mods.card, matchingLabels: mods.matchingLabels, on: mods.on, include: mods.include };
    if (mods.fillLeft !== undefined) matching.fillLeft = mods.fillLeft;
    if (mods.fillRight !== undefined) matching.fillRight = mods.fillRight;
    const be: BinaryExpr = { type: 'BinaryExpr', op, lhs, rhs, matching, returnBool: mods.returnBool, pos: { start: lhs.pos.start, end: rhs.pos.end } };
    if (!this.opts.fill && (mods.fillLeft !== undefined || mods.fillRight !== undefined)) {
      this.fail(be.pos, 'binop fill modifiers are experimental and not enabled');
    }
    return be;
  }

  /** vector_selector: `name` is '' without a metric name; it is appended as a `__name__` matcher. */
  newVectorSelector(name: string, matchers: Matcher[], pos: PosRange): VectorSelector {
    if (name !== '') matchers.push(new Matcher('=', '__name__', name));
    return { type: 'VectorSelector', name, matchers, offset: 0, pos };
  }

  makeMatcher(mt: MatchType, name: string, val: string, pr: PosRange): Matcher {
    try {
      return new Matcher(mt, name, val);
    } catch (e) {
      if (e instanceof MatcherError || e instanceof SyntaxError) this.fail(pr, e.message);
      throw e;
    }
  }

  // ---- ranges, subqueries, offset, @, anchored/smoothed ----

  /** `e[range]`; `bracket` spans `[`…`]`. */
  newMatrixSelector(e: Expr, first: { lit?: number; expr?: DurationExpr }, bracket: PosRange): MatrixSelector {
    let msg = '';
    if (e.type !== 'VectorSelector') msg = 'ranges only allowed for vector selectors';
    else if (e.offset !== 0 || e.offsetExpr) msg = 'no offset modifiers allowed before range';
    else if (e.at) msg = 'no @ modifiers allowed before range';
    if (msg !== '') this.fail(bracket, msg);
    const ms: MatrixSelector = {
      type: 'MatrixSelector',
      vectorSelector: e as VectorSelector,
      range: first.lit !== undefined ? secondsToMs(first.lit) : 0,
      pos: { start: e.pos.start, end: bracket.end },
    };
    if (first.expr) ms.rangeExpr = first.expr;
    return ms;
  }

  /** `e[range:step]` (step may be absent); `end` is the end of `]`. */
  newSubquery(e: Expr, first: { lit?: number; expr?: DurationExpr }, step: { lit?: number; expr?: DurationExpr }, end: number): SubqueryExpr {
    const sq: SubqueryExpr = {
      type: 'SubqueryExpr',
      expr: e,
      range: first.lit !== undefined ? secondsToMs(first.lit) : 0,
      step: step.lit !== undefined ? secondsToMs(step.lit) : 0,
      offset: 0,
      pos: { start: e.pos.start, end },
    };
    if (first.expr) sq.rangeExpr = first.expr;
    if (step.expr) sq.stepExpr = step.expr;
    return sq;
  }

  /** positive_duration_expr: a duration_expr whose literal value must be > 0. */
  positiveDuration(d: DurationExpr): { lit?: number; expr?: DurationExpr } {
    if (d.type === 'DurationLiteral' && !d.paren) {
      const v = d.seconds ?? d.ms / 1000;
      if (v <= 0) this.fail(d.pos, 'duration must be greater than 0');
      return { lit: v };
    }
    return { expr: d };
  }

  experimentalDur(d: DurationExpr): void {
    if (!this.opts.durationExpr) this.fail(d.pos, 'experimental duration expression is not enabled');
  }

  /** A number/duration literal inside a duration expression. */
  durLiteral(nl: NumberLiteral): DurationExpr {
    if (durationLiteralOutOfRange(nl.value)) this.fail(nl.pos, 'duration out of range');
    const d: DurationExpr = { type: 'DurationLiteral', ms: nl.value * 1000, seconds: nl.value, pos: nl.pos };
    if (nl.duration) d.duration = true;
    return d;
  }

  durBinary(lhs: DurationExpr, op: '+' | '-' | '*' | '/' | '%' | '^', opPr: PosRange, rhs: DurationExpr): DurationExpr {
    this.experimentalDur(lhs);
    if ((op === '/' || op === '%') && rhs.type === 'DurationLiteral' && !rhs.paren && (rhs.seconds ?? rhs.ms) === 0) {
      this.fail(opPr, op === '/' ? 'division by zero' : 'modulo by zero');
    }
    return { type: 'DurationBinary', op, lhs, rhs, pos: { start: lhs.pos.start, end: rhs.pos.end } };
  }

  /** A sign before a duration expression: folds into an unparenthesised literal. */
  applyUnaryDur(op: '+' | '-', opPr: PosRange, e: DurationExpr): DurationExpr {
    if (e.type === 'DurationLiteral' && !e.paren) {
      const v = (e.seconds ?? e.ms / 1000) * (op === '-' ? -1 : 1);
      if (durationLiteralOutOfRange(v)) this.fail(opPr, 'duration out of range');
      e.seconds = v;
      e.ms = v * 1000;
      e.pos = { start: opPr.start, end: e.pos.end };
      return e;
    }
    if (op === '-') return { type: 'DurationUnary', op: '-', expr: e, pos: { start: opPr.start, end: e.pos.end } };
    return e;
  }

  wrapParen(e: DurationExpr, start: number, end: number): DurationExpr {
    if (e.type !== 'DurationLiteral') {
      e.paren = true;
      return e;
    }
    return { type: 'DurationUnary', op: '+', expr: e, paren: true, pos: { start, end } };
  }

  /** `e offset d`; `end` is the end of the offset clause. */
  applyOffset(e: Expr, d: DurationExpr, end: number): void {
    let target: { offset: number; offsetExpr?: DurationExpr } | null = null;
    if (e.type === 'VectorSelector') target = e;
    else if (e.type === 'MatrixSelector') target = e.vectorSelector;
    else if (e.type === 'SubqueryExpr') target = e;
    if (!target) this.fail(e.pos, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    if (target.offset !== 0 || target.offsetExpr) this.fail(e.pos, 'offset may not be set multiple times');
    if (d.type === 'DurationLiteral' && !d.paren) target.offset = secondsToMs(d.seconds ?? d.ms / 1000);
    else target.offsetExpr = d;
    e.pos = { start: e.pos.start, end };
  }

  /** The `@ <timestamp>` value (seconds, sign applied) as an AtModifier. */
  atTime(e: Expr, ts: number): AtModifier {
    if (!Number.isFinite(ts) || ts >= 9223372036854775807 || ts <= -9223372036854775808) {
      this.fail(e.pos, `timestamp out of bounds for @ modifier: ${goFormatF(ts)}`);
    }
    return { kind: 'time', ms: goRound(ts * 1000) };
  }

  /** `e @ …`; `end` is the end of the @ clause. */
  applyAt(e: Expr, at: AtModifier, end: number): void {
    let target: { at?: AtModifier } | null = null;
    if (e.type === 'VectorSelector') target = e;
    else if (e.type === 'MatrixSelector') target = e.vectorSelector;
    else if (e.type === 'SubqueryExpr') target = e;
    if (!target) this.fail(e.pos, '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    if (target.at) this.fail(e.pos, '@ <timestamp> may not be set multiple times');
    target.at = at;
    e.pos = { start: e.pos.start, end };
  }

  setExtended(e: Expr, which: 'anchored' | 'smoothed'): void {
    if (!this.opts.rangeSelectors) this.fail(e.pos, `${which} modifier is experimental and not enabled`);
    const other = which === 'anchored' ? 'smoothed' : 'anchored';
    let vs: VectorSelector | null = null;
    if (e.type === 'VectorSelector') vs = e;
    else if (e.type === 'MatrixSelector') vs = e.vectorSelector;
    else if (e.type === 'SubqueryExpr') this.fail(e.pos, `${which} modifier is not supported for subqueries`);
    else this.fail(e.pos, `${which} modifier not implemented`);
    vs[which] = true;
    if (vs[other]) this.fail(e.pos, 'anchored and smoothed modifiers cannot be used together');
  }

  // ---- type checking (checkAST in parse.go) ----

  expectType(node: Expr, want: ValueTypeName, context: string): void {
    const t = this.checkAST(node);
    if (t !== want) this.fail(node.pos, `expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`);
  }

  opRange(n: BinaryExpr): PosRange {
    const b = this.bytes;
    let start = n.lhs.pos.end;
    while (start < b.length && isSpace(b[start] ?? 0)) start++;
    let end = n.rhs.pos.start - 1;
    while (end > 0 && isSpace(b[end] ?? 0)) end--;
    return { start, end };
  }

  checkAST(node: Expr): ValueTypeName {
    const typ = exprType(node);
    switch (node.type) {
      case 'AggregateExpr':
        this.expectType(node.expr, 'vector', 'aggregation expression');
        if (node.op === 'topk' || node.op === 'bottomk' || node.op === 'quantile' || node.op === 'limitk' || node.op === 'limit_ratio') {
          this.expectType(node.param as Expr, 'scalar', 'aggregation parameter');
        }
        if (node.op === 'count_values') this.expectType(node.param as Expr, 'string', 'aggregation parameter');
        break;
      case 'BinaryExpr': {
        const n = node;
        const lt = this.checkAST(n.lhs);
        const rt = this.checkAST(n.rhs);
        const opT = [...BINOP].find(([, v]) => v === n.op)?.[0] ?? T.ADD;
        if (n.returnBool && !isComparisonOperator(opT)) this.fail(this.opRange(n), 'bool modifier can only be used on comparison operators');
        if (isComparisonOperator(opT) && !n.returnBool && exprType(n.rhs) === 'scalar' && exprType(n.lhs) === 'scalar') {
          this.fail(this.opRange(n), 'comparisons between scalars must use BOOL modifier');
        }
        const vm = n.matching;
        if (vm && isSetOperator(opT) && vm.card === 'one-to-one') vm.card = 'many-to-many';
        if (vm && vm.on) {
          for (const l1 of vm.matchingLabels) {
            for (const l2 of vm.include) {
              if (l1 === l2) this.fail(this.opRange(n), `label ${goQuoteString(l1)} must not occur in ON and GROUP clause at once`);
            }
          }
        }
        if (lt !== 'scalar' && lt !== 'vector') this.fail(n.lhs.pos, 'binary expression must contain only scalar and instant vector types');
        if (rt !== 'scalar' && rt !== 'vector') this.fail(n.rhs.pos, 'binary expression must contain only scalar and instant vector types');
        if ((lt !== 'vector' || rt !== 'vector') && vm) {
          if (vm.matchingLabels.length > 0) this.fail(n.pos, 'vector matching only allowed between instant vectors');
          if (vm.fillLeft !== undefined || vm.fillRight !== undefined) this.fail(n.pos, 'filling in missing series only allowed between instant vectors');
          delete n.matching;
        } else if (vm && isSetOperator(opT)) {
          if (vm.card === 'one-to-many' || vm.card === 'many-to-one') this.fail(n.pos, `no grouping allowed for ${goQuoteString(n.op)} operation`);
          if (vm.card !== 'many-to-many') this.fail(n.pos, 'set operations must always be many-to-many');
          if (vm.fillLeft !== undefined || vm.fillRight !== undefined) this.fail(n.pos, 'filling in missing series not allowed for set operators');
        }
        if ((lt === 'scalar' || rt === 'scalar') && isSetOperator(opT)) {
          this.fail(n.pos, `set operator ${goQuoteString(n.op)} not allowed in binary scalar expression`);
        }
        break;
      }
      case 'Call': {
        const n = node;
        const fn: FunctionDef = n.func;
        const nargs = fn.argTypes.length;
        if (fn.variadic === 0) {
          if (nargs !== n.args.length) this.fail(n.pos, `expected ${nargs} argument(s) in call to ${goQuoteString(fn.name)}, got ${n.args.length}`);
        } else {
          const na = nargs - 1;
          if (na > n.args.length) {
            this.fail(n.pos, `expected at least ${na} argument(s) in call to ${goQuoteString(fn.name)}, got ${n.args.length}`);
          } else if (fn.variadic > 0 && na + fn.variadic < n.args.length) {
            this.fail(n.pos, `expected at most ${na + fn.variadic} argument(s) in call to ${goQuoteString(fn.name)}, got ${n.args.length}`);
          }
        }
        if (fn.name === 'info' && n.args.length > 1) {
          const a1 = n.args[1] as Expr;
          const t1 = exprType(a1);
          if (t1 !== 'vector') this.fail(n.pos, `expected type instant vector in call to function "info", got ${documentedType(t1)}`);
          if (a1.type === 'VectorSelector' && a1.name !== '') this.fail(a1.pos, 'expected label selectors only, got vector selector instead');
          else if (a1.type === 'VectorSelector') this.bypassEmpty.add(a1);
          else this.fail(a1.pos, 'expected label selectors only');
        }
        for (let i = 0; i < n.args.length; i++) {
          let k = i;
          if (k >= fn.argTypes.length) {
            if (fn.variadic === 0) break;
            k = fn.argTypes.length - 1;
          }
          const arg = n.args[i] as Expr;
          const want = fn.argTypes[k] as ValueTypeName;
          const t = this.checkAST(arg);
          if (t !== want) this.fail(arg.pos, `expected type ${documentedType(want)} in call to function ${goQuoteString(fn.name)}, got ${documentedType(t)}`);
        }
        break;
      }
      case 'ParenExpr':
        this.checkAST(node.expr);
        break;
      case 'UnaryExpr': {
        const t = this.checkAST(node.expr);
        if (t !== 'scalar' && t !== 'vector') {
          this.fail(node.pos, `unary expression only allowed on expressions of type scalar or instant vector, got ${goQuoteString(documentedType(t))}`);
        }
        break;
      }
      case 'SubqueryExpr': {
        const t = this.checkAST(node.expr);
        if (t !== 'vector') this.fail(node.pos, `subquery is only allowed on instant vector, got ${t} instead`);
        break;
      }
      case 'MatrixSelector':
        this.checkAST(node.vectorSelector);
        break;
      case 'VectorSelector': {
        const n = node;
        if (n.name !== '') {
          for (const m of n.matchers.slice(0, -1)) {
            if (m.name === '__name__') this.fail(n.pos, `metric name must not be set twice: ${goQuoteString(n.name)} or ${goQuoteString(m.value)}`);
          }
          break;
        }
        if (!this.bypassEmpty.has(n) && !n.matchers.some((m) => !m.matchesEmpty())) {
          this.fail(n.pos, 'vector selector must contain at least one non-empty matcher');
        }
        break;
      }
      case 'NumberLiteral':
      case 'StringLiteral':
      case 'StepInvariantExpr':
        break;
    }
    return typ;
  }
}

class Parser extends AstBuilder {
  readonly lex: Lexer;
  private la: Item | null = null;
  private last: Item | null = null;
  private done = false;
  private ctx: ErrCtx[] = [];

  constructor(input: string, opts: ResolvedOptions) {
    super(input, opts);
    this.lex = new Lexer(input);
  }

  override get bytes(): Uint8Array {
    return this.lex.bytes;
  }

  // ---- errors ----

  /** `unexpected(context, expected)` of parse.go, reporting the current lookahead. */
  unexpected(context?: string, expected?: string): never {
    const it = this.peek();
    if (it.typ === T.ERROR) this.fail({ start: it.pos, end: this.lex.bytes.length }, it.val);
    const top = context === undefined ? this.ctx[this.ctx.length - 1] : { context, expected: expected ?? '' };
    let msg = 'unexpected ' + itemDesc(it);
    if (top && top.context !== '') msg += ' in ' + top.context;
    if (top && top.expected !== '') msg += ', expected ' + top.expected;
    this.fail(this.itemRange(it), msg);
  }

  withCtx<R>(context: string, expected: string, f: () => R): R {
    this.ctx.push({ context, expected });
    try {
      return f();
    } finally {
      this.ctx.pop();
    }
  }

  itemRange(it: Item): PosRange {
    return { start: it.pos, end: it.pos + it.len };
  }

  // ---- tokens ----

  peek(): Item {
    if (this.la) return this.la;
    if (this.done) {
      this.la = { typ: T.EOF, pos: this.lex.bytes.length, val: '', len: 0 };
      return this.la;
    }
    let it: Item;
    do {
      it = this.lex.nextItem();
    } while (it.typ === T.COMMENT);
    if (it.typ === T.ERROR) {
      this.done = true;
      // Lexer errors are reported as soon as the parser asks for the token.
      this.fail({ start: it.pos, end: this.lex.bytes.length }, it.val);
    }
    if (it.typ === T.EOF) this.done = true;
    this.la = it;
    return it;
  }

  consume(): Item {
    const it = this.peek();
    this.la = null;
    this.last = it;
    return it;
  }

  expect(t: T): Item {
    if (this.peek().typ !== t) this.unexpected();
    return this.consume();
  }

  lastEnd(): number {
    return this.last ? this.last.pos + this.last.len : 0;
  }

  // ---- entry points ----

  parseExprTop(): Expr {
    if (this.peek().typ === T.EOF) this.fail({ start: 0, end: 0 }, 'no expression found in input');
    const e = this.parseBinary(0);
    if (this.peek().typ !== T.EOF) this.unexpected('', '');
    this.checkAST(e);
    return e;
  }

  parseMetricSelectorTop(): Matcher[] {
    const t = this.peek();
    let vs: VectorSelector;
    if (t.typ === T.LEFT_BRACE) vs = this.parseVectorSelector(null);
    else if (METRIC_IDENT.has(t.typ)) vs = this.parseVectorSelector(this.consume());
    else this.unexpected('', '');
    if (this.peek().typ !== T.EOF) this.unexpected('', '');
    return vs.matchers;
  }

  // ---- expressions ----

  parseBinary(minPrec: number): Expr {
    let lhs = this.parseUnary();
    for (;;) {
      const op = this.peek();
      const prec = BIN_PREC.get(op.typ);
      if (prec === undefined || prec < minPrec) break;
      this.consume();
      const mods = this.parseBinModifiers();
      const rhs = this.parseBinary(op.typ === T.POW ? prec : prec + 1);
      lhs = this.newBinaryTok(lhs, op, mods, rhs);
    }
    return lhs;
  }

  parseUnary(): Expr {
    const t = this.peek();
    if (t.typ === T.ADD || t.typ === T.SUB) {
      this.consume();
      const operand = this.parseBinary(PREC_MUL + 1);
      return this.newUnary(t.typ === T.SUB ? '-' : '+', t.pos, operand);
    }
    return this.parsePostfix(this.parsePrimary());
  }

  parsePrimary(): Expr {
    const t = this.peek();
    switch (t.typ) {
      case T.NUMBER:
      case T.DURATION:
        return this.numberDurationLiteral(this.consume());
      case T.STRING: {
        this.consume();
        return { type: 'StringLiteral', value: this.unquote(t), pos: this.itemRange(t) };
      }
      case T.LEFT_PAREN: {
        this.consume();
        const e = this.parseBinary(0);
        const close = this.expect(T.RIGHT_PAREN);
        return { type: 'ParenExpr', expr: e, pos: { start: t.pos, end: close.pos + close.len } };
      }
      case T.LEFT_BRACE:
        return this.parseVectorSelector(null);
    }
    if (isAggregator(t.typ)) {
      this.consume();
      const n = this.peek().typ;
      if (n === T.LEFT_PAREN || n === T.BY || n === T.WITHOUT) return this.parseAggregate(t);
      return this.parseVectorSelector(t);
    }
    if (t.typ === T.IDENTIFIER || t.typ === T.START || t.typ === T.END || t.typ === T.STEP || t.typ === T.RANGE || t.typ === T.MAX_OF || t.typ === T.MIN_OF) {
      this.consume();
      if (this.peek().typ === T.LEFT_PAREN) return this.parseCall(t);
      return this.parseVectorSelector(t);
    }
    if (METRIC_IDENT.has(t.typ)) {
      this.consume();
      return this.parseVectorSelector(t);
    }
    this.unexpected();
  }

  numberDurationLiteral(t: Item): NumberLiteral {
    return this.numberLit(t.typ === T.DURATION, t.val, this.itemRange(t));
  }

  unquote(t: Item): string {
    return this.unquoteAt(t.val, this.itemRange(t));
  }

  startsExpr(t: T): boolean {
    switch (t) {
      case T.NUMBER:
      case T.DURATION:
      case T.STRING:
      case T.LEFT_PAREN:
      case T.LEFT_BRACE:
      case T.ADD:
      case T.SUB:
        return true;
    }
    return METRIC_IDENT.has(t) || isAggregator(t);
  }

  // ---- calls and aggregations ----

  /** function_call_body: `(` [args] `)`. Returns args and the closing paren end. */
  parseCallBody(): { args: Expr[]; end: number } {
    this.expect(T.LEFT_PAREN);
    const args: Expr[] = [];
    if (this.peek().typ === T.RIGHT_PAREN) {
      const c = this.consume();
      return { args, end: c.pos + c.len };
    }
    for (;;) {
      args.push(this.parseBinary(0));
      const t = this.peek();
      if (t.typ === T.COMMA) {
        this.consume();
        // `function_call_args COMMA` is a complete production in the grammar: any token that
        // cannot start an expression reduces it and reports the trailing comma first.
        if (!this.startsExpr(this.peek().typ)) this.fail(this.itemRange(t), 'trailing commas not allowed in function call args');
        continue;
      }
      if (t.typ === T.RIGHT_PAREN) {
        const c = this.consume();
        return { args, end: c.pos + c.len };
      }
      this.unexpected();
    }
  }

  parseCall(name: Item): Call {
    const { args, end } = this.parseCallBody();
    return this.newCall(name.val, this.itemRange(name), args, end);
  }

  parseAggregate(opTok: Item): AggregateExpr {
    return this.withCtx('aggregation', '', () => {
      let grouping: string[] = [];
      let without = false;
      let body: { args: Expr[]; end: number };
      let end: number;
      const t = this.peek();
      if (t.typ === T.BY || t.typ === T.WITHOUT) {
        this.consume();
        without = t.typ === T.WITHOUT;
        grouping = this.parseGroupingLabels().labels;
        if (this.peek().typ !== T.LEFT_PAREN) this.unexpected();
        body = this.parseCallBody();
        end = body.end;
      } else if (t.typ === T.LEFT_PAREN) {
        body = this.parseCallBody();
        end = body.end;
        const m = this.peek();
        if (m.typ === T.BY || m.typ === T.WITHOUT) {
          this.consume();
          without = m.typ === T.WITHOUT;
          const g = this.parseGroupingLabels();
          grouping = g.labels;
          end = g.end;
        }
      } else {
        this.unexpected();
      }
      const op = AGG_OP.get(opTok.typ);
      if (op === undefined) this.unexpected();
      return this.newAggregate(op, opTok.pos, body.args, grouping, without, end);
    });
  }

  /** grouping_labels: `(` label, … `)` with the grammar's error productions. */
  parseGroupingLabels(): { labels: string[]; end: number } {
    return this.withCtx('grouping opts', '"("', () => {
      this.expect(T.LEFT_PAREN);
      const labels: string[] = [];
      if (this.peek().typ === T.RIGHT_PAREN) {
        const c = this.consume();
        return { labels, end: c.pos + c.len };
      }
      for (;;) {
        const t = this.peek();
        let name: string;
        if (MAYBE_LABEL.has(t.typ)) {
          this.consume();
          name = t.val;
        } else if (t.typ === T.STRING) {
          this.consume();
          name = this.unquote(t);
        } else {
          this.unexpected('grouping opts', 'label');
        }
        this.checkGroupingLabel(name, this.itemRange(t));
        labels.push(name);
        const n = this.peek();
        if (n.typ === T.RIGHT_PAREN) {
          const c = this.consume();
          return { labels, end: c.pos + c.len };
        }
        if (n.typ !== T.COMMA) this.unexpected('grouping opts', '"," or ")"');
        this.consume();
        if (this.peek().typ === T.RIGHT_PAREN) {
          const c = this.consume();
          return { labels, end: c.pos + c.len };
        }
      }
    });
  }

  // ---- binary modifiers ----

  parseBinModifiers(): BinMods {
    const m: BinMods = { returnBool: false, card: 'one-to-one', matchingLabels: [], on: false, include: [] };
    if (this.peek().typ === T.BOOL) {
      this.consume();
      m.returnBool = true;
    }
    const t = this.peek();
    if (t.typ === T.ON || t.typ === T.IGNORING) {
      this.consume();
      m.on = t.typ === T.ON;
      m.matchingLabels = this.parseGroupingLabels().labels;
      const g = this.peek();
      if (g.typ === T.GROUP_LEFT || g.typ === T.GROUP_RIGHT) {
        this.consume();
        m.card = g.typ === T.GROUP_LEFT ? 'many-to-one' : 'one-to-many';
        if (this.peek().typ === T.LEFT_PAREN) m.include = this.parseGroupingLabels().labels;
      }
    }
    const f = this.peek();
    if (f.typ === T.FILL) {
      this.consume();
      const v = this.parseFillValue();
      m.fillLeft = v;
      m.fillRight = v;
    } else if (f.typ === T.FILL_LEFT || f.typ === T.FILL_RIGHT) {
      this.consume();
      const v = this.parseFillValue();
      if (f.typ === T.FILL_LEFT) m.fillLeft = v;
      else m.fillRight = v;
      const g = this.peek();
      const other = f.typ === T.FILL_LEFT ? T.FILL_RIGHT : T.FILL_LEFT;
      if (g.typ === other) {
        this.consume();
        const w = this.parseFillValue();
        if (other === T.FILL_LEFT) m.fillLeft = w;
        else m.fillRight = w;
      }
    }
    return m;
  }

  parseFillValue(): number {
    this.expect(T.LEFT_PAREN);
    let sign = 1;
    const t = this.peek();
    if (t.typ === T.ADD || t.typ === T.SUB) {
      this.consume();
      if (t.typ === T.SUB) sign = -1;
    }
    const n = this.peek();
    if (n.typ !== T.NUMBER && n.typ !== T.DURATION) this.unexpected();
    const lit = this.numberDurationLiteral(this.consume());
    this.expect(T.RIGHT_PAREN);
    return sign * lit.value;
  }

  newBinaryTok(lhs: Expr, opTok: Item, mods: BinMods, rhs: Expr): BinaryExpr {
    const op = BINOP.get(opTok.typ);
    if (op === undefined) this.unexpected();
    return this.newBinary(lhs, op, mods, rhs);
  }

  // ---- selectors ----

  /** vector_selector: metric_identifier [label_matchers] | label_matchers. */
  parseVectorSelector(nameTok: Item | null): VectorSelector {
    let matchers: Matcher[] = [];
    let start = nameTok ? nameTok.pos : this.peek().pos;
    let end = nameTok ? nameTok.pos + nameTok.len : start;
    if (this.peek().typ === T.LEFT_BRACE) {
      const open = this.consume();
      if (!nameTok) start = open.pos;
      const r = this.parseLabelMatchers();
      matchers = r.matchers;
      end = r.end;
    }
    return this.newVectorSelector(nameTok ? nameTok.val : '', matchers, { start, end });
  }

  /** label_matchers after the `{`: label_match_list [,] `}`. */
  parseLabelMatchers(): { matchers: Matcher[]; end: number } {
    return this.withCtx('label matching', 'identifier or "}"', () => {
      const ms: Matcher[] = [];
      if (this.peek().typ === T.RIGHT_BRACE) {
        const c = this.consume();
        return { matchers: ms, end: c.pos + c.len };
      }
      for (;;) {
        ms.push(this.parseLabelMatcher());
        const n = this.peek();
        if (n.typ === T.RIGHT_BRACE) {
          const c = this.consume();
          return { matchers: ms, end: c.pos + c.len };
        }
        if (n.typ !== T.COMMA) this.unexpected('label matching', '"," or "}"');
        this.consume();
        if (this.peek().typ === T.RIGHT_BRACE) {
          const c = this.consume();
          return { matchers: ms, end: c.pos + c.len };
        }
      }
    });
  }

  parseLabelMatcher(): Matcher {
    const t = this.peek();
    if (t.typ === T.IDENTIFIER) {
      this.consume();
      const op = this.peek();
      const mt = MATCH_OP.get(op.typ);
      if (mt === undefined) this.unexpected('label matching', 'label matching operator');
      this.consume();
      const v = this.peek();
      if (v.typ !== T.STRING) this.unexpected('label matching', 'string');
      this.consume();
      return this.newLabelMatcher(t, t.val, mt, v);
    }
    if (t.typ === T.STRING) {
      this.consume();
      const name = this.unquote(t);
      const op = this.peek();
      const mt = MATCH_OP.get(op.typ);
      if (mt === undefined) {
        // string_identifier alone: a quoted metric name.
        return this.makeMatcher('=', '__name__', name, this.itemRange(t));
      }
      this.consume();
      const v = this.peek();
      if (v.typ !== T.STRING) this.unexpected('label matching', 'string');
      this.consume();
      return this.newLabelMatcher(t, name, mt, v);
    }
    this.unexpected('label matching', 'identifier or "}"');
  }

  newLabelMatcher(label: Item, name: string, mt: MatchType, value: Item): Matcher {
    const val = this.unquote(value);
    return this.makeMatcher(mt, name, val, { start: label.pos, end: value.pos + value.len });
  }

  // ---- postfix: ranges, subqueries, offset, @, anchored/smoothed ----

  parsePostfix(e: Expr): Expr {
    for (;;) {
      const t = this.peek();
      switch (t.typ) {
        case T.LEFT_BRACKET:
          e = this.parseRangeOrSubquery(e);
          continue;
        case T.OFFSET:
          this.consume();
          this.withCtx('offset', 'number, duration, step(), or range()', () => this.parseOffset(e));
          continue;
        case T.AT:
          this.consume();
          this.withCtx('@', 'timestamp', () => this.parseAt(e));
          continue;
        case T.ANCHORED:
        case T.SMOOTHED:
          this.consume();
          this.setExtended(e, t.typ === T.ANCHORED ? 'anchored' : 'smoothed');
          continue;
      }
      return e;
    }
  }

  parseRangeOrSubquery(e: Expr): Expr {
    const open = this.consume();
    return this.withCtx('subquery or range selector', 'number, duration, step(), or range()', () => {
      const first = this.parsePositiveDuration();
      const t = this.peek();
      if (t.typ === T.RIGHT_BRACKET) {
        const close = this.consume();
        return this.newMatrixSelector(e, first, { start: open.pos, end: close.pos + close.len });
      }
      if (t.typ !== T.COLON) this.unexpected('subquery or range', '":" or "]"');
      this.consume();
      return this.withCtx('subquery selector', 'number, duration, step(), range(), or "]"', () => {
        let step: { lit?: number; expr?: DurationExpr } = {};
        if (this.peek().typ !== T.RIGHT_BRACKET) {
          step = this.parsePositiveDuration();
          if (this.peek().typ !== T.RIGHT_BRACKET) this.unexpected('subquery selector', '"]"');
        }
        const close = this.consume();
        return this.newSubquery(e, first, step, close.pos + close.len);
      });
    });
  }

  /** positive_duration_expr: a duration_expr whose literal value must be > 0. */
  parsePositiveDuration(): { lit?: number; expr?: DurationExpr } {
    return this.positiveDuration(this.parseDurationExpr(0));
  }

  durLiteralTok(t: Item): DurationExpr {
    return this.durLiteral(this.numberDurationLiteral(t));
  }

  /** duration_expr with yacc precedences (+ - < * / % < ^ right-assoc; unary binds like *). */
  parseDurationExpr(minPrec: number): DurationExpr {
    let lhs = this.parseDurationUnary();
    for (;;) {
      const op = this.peek();
      const prec = DUR_PREC.get(op.typ);
      if (prec === undefined || prec < minPrec) break;
      this.consume();
      const rhs = this.parseDurationExpr(op.typ === T.POW ? prec : prec + 1);
      lhs = this.durBinaryTok(lhs, op, rhs);
    }
    return lhs;
  }

  durBinaryTok(lhs: DurationExpr, op: Item, rhs: DurationExpr): DurationExpr {
    return this.durBinary(lhs, typeString(op.typ) as '+' | '-' | '*' | '/' | '%' | '^', this.itemRange(op), rhs);
  }

  parseDurationUnary(): DurationExpr {
    const t = this.peek();
    if (t.typ === T.ADD || t.typ === T.SUB) {
      this.consume();
      const operand = this.parseDurationExpr(PREC_MUL + 1);
      return this.applyUnaryDurTok(t, operand);
    }
    return this.parseDurationPrimary();
  }

  applyUnaryDurTok(op: Item, e: DurationExpr): DurationExpr {
    return this.applyUnaryDur(op.typ === T.SUB ? '-' : '+', this.itemRange(op), e);
  }

  parseDurationPrimary(): DurationExpr {
    const t = this.peek();
    switch (t.typ) {
      case T.NUMBER:
      case T.DURATION:
        return this.durLiteralTok(this.consume());
      case T.STEP:
      case T.RANGE: {
        this.consume();
        this.expect(T.LEFT_PAREN);
        const c = this.expect(T.RIGHT_PAREN);
        const d: DurationExpr = { type: 'DurationCall', func: t.typ === T.STEP ? 'step' : 'range', args: [], pos: { start: t.pos, end: c.pos + c.len } };
        this.experimentalDur(d);
        return d;
      }
      case T.MAX_OF:
      case T.MIN_OF: {
        this.consume();
        this.expect(T.LEFT_PAREN);
        const a = this.parseDurationExpr(0);
        this.expect(T.COMMA);
        const b = this.parseDurationExpr(0);
        this.expect(T.RIGHT_PAREN);
        const d: DurationExpr = { type: 'DurationCall', func: t.typ === T.MAX_OF ? 'max' : 'min', args: [a, b], pos: { start: a.pos.start, end: b.pos.end } };
        this.experimentalDur(d);
        return d;
      }
      case T.LEFT_PAREN: {
        this.consume();
        const inner = this.parseDurationExpr(0);
        const c = this.expect(T.RIGHT_PAREN);
        this.experimentalDur(inner);
        return this.wrapParen(inner, t.pos, c.pos + c.len);
      }
    }
    this.unexpected();
  }

  /** offset_duration_expr (see generated_parser.y for why it differs from duration_expr). */
  parseOffsetDuration(): DurationExpr {
    const t = this.peek();
    if (t.typ === T.NUMBER || t.typ === T.DURATION) return this.durLiteralTok(this.consume());
    if (t.typ === T.ADD || t.typ === T.SUB) {
      this.consume();
      const n = this.peek();
      if (n.typ === T.NUMBER || n.typ === T.DURATION) return this.applyUnaryDurTok(t, this.durLiteralTok(this.consume()));
      if (n.typ === T.STEP || n.typ === T.RANGE || n.typ === T.MAX_OF || n.typ === T.MIN_OF) {
        const inner = this.parseDurationPrimary();
        const d: DurationExpr = t.typ === T.SUB ? { type: 'DurationUnary', op: '-', expr: inner, pos: { start: t.pos, end: inner.pos.end } } : inner;
        this.experimentalDur(d);
        return d;
      }
      if (n.typ === T.LEFT_PAREN) {
        this.consume();
        const inner = this.parseDurationExpr(0);
        const c = this.expect(T.RIGHT_PAREN);
        return this.applyUnaryDurTok(t, this.wrapParen(inner, n.pos, c.pos + c.len));
      }
      this.unexpected();
    }
    if (t.typ === T.STEP || t.typ === T.RANGE || t.typ === T.MAX_OF || t.typ === T.MIN_OF) return this.parseDurationPrimary();
    if (t.typ === T.LEFT_PAREN) {
      // duration_expr starting with a parenthesised expression: binary continuation allowed.
      let lhs = this.parseDurationPrimary();
      for (;;) {
        const op = this.peek();
        const prec = DUR_PREC.get(op.typ);
        if (prec === undefined) break;
        this.consume();
        const rhs = this.parseDurationExpr(op.typ === T.POW ? prec : prec + 1);
        lhs = this.durBinaryTok(lhs, op, rhs);
      }
      return lhs;
    }
    this.unexpected();
  }

  parseOffset(e: Expr): void {
    const d = this.parseOffsetDuration();
    this.applyOffset(e, d, this.lastEnd());
  }

  parseAt(e: Expr): void {
    const t = this.peek();
    let at: AtModifier;
    if (t.typ === T.START || t.typ === T.END) {
      this.consume();
      this.expect(T.LEFT_PAREN);
      this.expect(T.RIGHT_PAREN);
      at = { kind: t.typ === T.START ? 'start' : 'end' };
    } else {
      let sign = 1;
      if (t.typ === T.ADD || t.typ === T.SUB) {
        this.consume();
        if (t.typ === T.SUB) sign = -1;
      }
      const n = this.peek();
      if (n.typ !== T.NUMBER && n.typ !== T.DURATION) this.unexpected();
      at = this.atTime(e, sign * this.numberDurationLiteral(this.consume()).value);
    }
    this.applyAt(e, at, this.lastEnd());
  }
}

/** model.UTF8Validation.IsValidLabelName: any non-empty valid UTF-8 string. */
function isValidUTF8Name(s: string): boolean {
  return s.length > 0 && !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
}

function run<R>(p: Parser, f: () => R): R {
  try {
    return f();
  } catch (e) {
    if (e instanceof Abort) throw e.err;
    // Pathologically deep nesting exhausts the JS stack (Go's yacc parser has a heap stack);
    // report it as a parse error rather than crashing the caller.
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new ParseError({ start: 0, end: p.lex.bytes.length }, 'expression nested too deeply', p.input, p.lex.bytes);
    }
    throw e;
  }
}

/**
 * Parses a PromQL expression like Prometheus' `parser.ParseExpr`, including its type checks.
 * Throws ParseError (message `L:C: parse error: …`) on any problem.
 */
export function parseExpr(input: string, opts?: ParseOptions): Expr {
  const o = resolveOptions(opts);
  const r = lezerParseExpr(input, o);
  if (r.ok) return r.expr;
  const p = new Parser(input, o);
  return run(p, () => p.parseExprTop());
}

/** parseExpr through the port alone (no Lezer path): the reference the Lezer path is tested against. */
export function parseExprPort(input: string, opts?: ParseOptions): Expr {
  const p = new Parser(input, resolveOptions(opts));
  return run(p, () => p.parseExprTop());
}

/** Parses a series selector (`match[]` API parameter) like `parser.ParseMetricSelector`. */
export function parseMetricSelector(input: string): Matcher[] {
  const p = new Parser(input, resolveOptions(undefined));
  return run(p, () => p.parseMetricSelectorTop());
}

/** Parses a Go-style PromQL number literal (`0x1F`, `1e3`, `1_000`, `.5`, `0755`, `Inf`, `NaN`). */
export function parseNumber(s: string): number {
  const v = parseNumberLiteral(s);
  if (typeof v === 'string') throw new Error(v);
  return v;
}
