// Typed PromQL AST, modelled on Prometheus `promql/parser/ast.go`. The parser (parser.ts) builds it
// from the @prometheus-io/lezer-promql tree; the engine (engine.ts) evaluates it.
import type { Matcher } from '../labels/matcher.ts';

export type ValueTypeName = 'none' | 'vector' | 'scalar' | 'matrix' | 'string';

/** Source position range (0-based byte offsets into the query string, end exclusive). */
export interface PosRange {
  start: number;
  end: number;
}

/** `@` modifier: a fixed timestamp (ms) or start()/end() of the query. */
export type AtModifier = { kind: 'time'; ms: number } | { kind: 'start' } | { kind: 'end' };

/**
 * A duration expression (Prometheus 3 duration arithmetic inside [] , offset, @, and subquery
 * steps): number literals are seconds, durations are ms-valued. `step()`, `range()`, `min()`,
 * `max()` appear as calls. Evaluated to milliseconds.
 */
export type DurationExpr =
  | { type: 'DurationLiteral'; ms: number; pos: PosRange; paren?: boolean; duration?: boolean; seconds?: number } // 5m, or a plain number of seconds
  | { type: 'DurationBinary'; op: '+' | '-' | '*' | '/' | '%' | '^'; lhs: DurationExpr; rhs: DurationExpr; pos: PosRange; paren?: boolean }
  | { type: 'DurationUnary'; op: '-' | '+'; expr: DurationExpr; pos: PosRange; paren?: boolean }
  // 'min' / 'max' are Prometheus' `min_of(a, b)` / `max_of(a, b)`.
  | { type: 'DurationCall'; func: 'step' | 'range' | 'min' | 'max'; args: DurationExpr[]; pos: PosRange; paren?: boolean };
// `paren` (additive): the expression was written in parentheses; kept so String() round-trips.
// `DurationLiteral.duration` / `.seconds` (additive): written with a unit (`5m`) rather than as
// seconds (`300`); the exact literal value in seconds (`ms` = seconds × 1000, not rounded).

export interface VectorSelector {
  type: 'VectorSelector';
  /** Metric name if given as `name{…}` (also present as a `__name__` matcher), else ''. */
  name: string;
  matchers: Matcher[];
  /** Offset in ms (positive = past). Resolved from offsetExpr when that is set. */
  offset: number;
  offsetExpr?: DurationExpr;
  at?: AtModifier;
  /** Extended range selectors (experimental): `anchored` / `smoothed`. */
  anchored?: boolean;
  smoothed?: boolean;
  pos: PosRange;
}

export interface MatrixSelector {
  type: 'MatrixSelector';
  vectorSelector: VectorSelector;
  /** Range in ms, resolved from rangeExpr when that is set. */
  range: number;
  rangeExpr?: DurationExpr;
  pos: PosRange;
}

export interface SubqueryExpr {
  type: 'SubqueryExpr';
  expr: Expr;
  range: number;
  rangeExpr?: DurationExpr;
  /** Step in ms; 0 = use the engine default (global evaluation interval, 1m in test scripts). */
  step: number;
  stepExpr?: DurationExpr;
  offset: number;
  offsetExpr?: DurationExpr;
  at?: AtModifier;
  pos: PosRange;
}

export interface NumberLiteral {
  type: 'NumberLiteral';
  value: number;
  /** true when written as a duration (`5m` used as a number = seconds). */
  duration?: boolean;
  pos: PosRange;
}

export interface StringLiteral {
  type: 'StringLiteral';
  value: string;
  pos: PosRange;
}

export interface ParenExpr {
  type: 'ParenExpr';
  expr: Expr;
  pos: PosRange;
}

export interface UnaryExpr {
  type: 'UnaryExpr';
  op: '-' | '+';
  expr: Expr;
  pos: PosRange;
}

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%' | '^' | 'atan2'
  | '==' | '!=' | '>' | '<' | '>=' | '<='
  | 'and' | 'or' | 'unless'
  // Native-histogram bucket trimming (Prometheus 3.x `</` keeps observations below, `>/` above the
  // scalar rhs); comparison precedence, not comparison operators (no `bool`). Additive.
  | '</' | '>/';

/** Vector matching of a binary expression (Prometheus VectorMatching). */
export interface VectorMatching {
  card: 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';
  /** Labels of on()/ignoring(). */
  matchingLabels: string[];
  /** true for on(), false for ignoring() (or no modifier). */
  on: boolean;
  /** Labels of group_left()/group_right(). */
  include: string[];
  /** fill modifiers (experimental): value used for a missing side. */
  fillLeft?: number;
  fillRight?: number;
}

export interface BinaryExpr {
  type: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  /** Set when both sides are instant vectors (also for set operators). */
  matching?: VectorMatching;
  /** `bool` modifier on comparison operators. */
  returnBool: boolean;
  pos: PosRange;
}

export type AggregateOp =
  | 'sum' | 'avg' | 'count' | 'min' | 'max' | 'group' | 'stddev' | 'stdvar'
  | 'topk' | 'bottomk' | 'quantile' | 'count_values' | 'limitk' | 'limit_ratio';

export interface AggregateExpr {
  type: 'AggregateExpr';
  op: AggregateOp;
  expr: Expr;
  /** Parameter for topk/bottomk/quantile/count_values/limitk/limit_ratio. */
  param?: Expr;
  grouping: string[];
  /** true for without(), false for by() or no clause. */
  without: boolean;
  pos: PosRange;
}

export interface Call {
  type: 'Call';
  func: FunctionDef;
  args: Expr[];
  pos: PosRange;
}

/** Wraps a subtree whose value does not change across steps (set by the engine's preprocessing). */
export interface StepInvariantExpr {
  type: 'StepInvariantExpr';
  expr: Expr;
  pos: PosRange;
}

export type Expr =
  | AggregateExpr
  | BinaryExpr
  | Call
  | MatrixSelector
  | SubqueryExpr
  | NumberLiteral
  | ParenExpr
  | StringLiteral
  | UnaryExpr
  | VectorSelector
  | StepInvariantExpr;

export interface FunctionDef {
  name: string;
  argTypes: ValueTypeName[];
  /** Number of trailing optional args (-1: variadic, unlimited). */
  variadic: number;
  returnType: ValueTypeName;
  experimental?: boolean;
}

/** Result type of an expression, as Prometheus `Expr.Type()`. */
export function exprType(e: Expr): ValueTypeName {
  switch (e.type) {
    case 'AggregateExpr':
      return 'vector';
    case 'BinaryExpr':
      return exprType(e.lhs) === 'scalar' && exprType(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'Call':
      return e.func.returnType;
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      return exprType(e.expr);
    case 'VectorSelector':
      return 'vector';
  }
}
