// PromQL front end on the Prometheus project's own grammar, @prometheus-io/lezer-promql: the Lezer
// tree is turned into the typed AST of ast.ts through the grammar actions and type checks of
// AstBuilder (parser.ts), so it yields exactly the AST the port of Prometheus' yacc parser yields.
//
// The Lezer grammar is written for the UI (highlighting, completion) and differs from the Go
// grammar in a few places, which the conversion corrects or refuses:
// - postfix modifiers (`[range]`, `[range:step]`, `offset`, `@`, `anchored`, `smoothed`) bind
//   loosest in Lezer (`a + b offset 5m` is offset applied to the sum) but tightest in Go, and a
//   signed number literal is one Lezer node (`-2 ^ 2` is (-2)^2 in Lezer, -(2^2) in Go). So an
//   expression's chain of operands, binary operators, signs and postfix modifiers is read from the
//   tree in source order and re-associated by precedence climbing with Go's precedences;
// - positions are UTF-16 offsets in Lezer and UTF-8 byte offsets in Prometheus; they are mapped;
// - Lezer is more lenient than Go's lexer in places (unterminated strings, Unicode whitespace,
//   `inf`/`nan` as grouping labels, `atan2` as a metric name, `offset (1m) * 2`); those inputs,
//   trees with error nodes and any failed semantic check are reported as "not converted" so that
//   parseExpr falls back to the port, which produces Prometheus' exact error text.
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode, Tree } from '@lezer/common';
import type { MatchType } from '../labels/matcher.ts';
import type { Matcher } from '../labels/matcher.ts';
import type { AggregateOp, AtModifier, BinaryOp, DurationExpr, Expr, NumberLiteral, PosRange } from './ast.ts';
import { Abort, AstBuilder, BINARY_PRECEDENCE, UNARY_PRECEDENCE } from './parser.ts';
import type { BinMods, ResolvedOptions } from './parser.ts';

/** Result of the Lezer path: the AST, or why the input must go through the port instead. */
export type LezerParseResult = { ok: true; expr: Expr } | { ok: false; reason: string };

/** An element of an expression's operator chain, in source order. */
type Tok =
  | { k: 'atom'; n: SyntaxNode }
  | { k: 'lit'; from: number; to: number }
  | { k: 'bin'; n: SyntaxNode; kids: SyntaxNode[] }
  | { k: 'un'; sign: '+' | '-'; from: number }
  | { k: 'post'; n: SyntaxNode };

/** Thrown inside the conversion when the tree is outside what it converts exactly. */
class Unsupported {
  constructor(readonly reason: string) {}
}

const BIN_OPS: ReadonlyMap<string, BinaryOp> = new Map<string, BinaryOp>([
  ['Pow', '^'], ['Mul', '*'], ['Div', '/'], ['Mod', '%'], ['Atan2', 'atan2'], ['Add', '+'], ['Sub', '-'],
  ['Eql', '=='], ['Neq', '!='], ['Gte', '>='], ['Gtr', '>'], ['Lte', '<='], ['Lss', '<'],
  ['TrimUpper', '</'], ['TrimLower', '>/'], ['And', 'and'], ['Or', 'or'], ['Unless', 'unless'],
]);

const DUR_OPS: ReadonlyMap<string, '+' | '-' | '*' | '/' | '%' | '^'> = new Map([
  ['Pow', '^'], ['Mul', '*'], ['Div', '/'], ['Mod', '%'], ['Add', '+'], ['Sub', '-'],
] as const);

const MATCH_OPS: ReadonlyMap<string, MatchType> = new Map<string, MatchType>([
  ['EqlSingle', '='], ['Neq', '!='], ['EqlRegex', '=~'], ['NeqRegex', '!~'],
]);

const AGG_OPS: ReadonlySet<string> = new Set<AggregateOp>([
  'sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile',
  'count_values', 'limitk', 'limit_ratio',
]);

/** Keywords Go's lexer never accepts as a metric name (metric_identifier), though Lezer may. */
const NOT_METRIC_NAME = new Set(['atan2', 'bool', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** Whitespace Lezer skips but Go's lexer rejects (Go's isSpace is space, \t, \n, \r only). */
const NON_GO_SPACE = /[\v\f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;

const DURATION_TOKEN = /^[0-9]+(?:ms|[smhdwy])/;

/** UTF-16 offset → UTF-8 byte offset, for inputs that are not pure ASCII. */
function byteOffsets(input: string): Int32Array {
  const map = new Int32Array(input.length + 1);
  let b = 0;
  for (let i = 0; i < input.length; i++) {
    map[i] = b;
    const c = input.charCodeAt(i);
    if (c < 0x80) b += 1;
    else if (c < 0x800) b += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < input.length && (input.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      map[i + 1] = b + 2; // never a token boundary
      b += 4;
      i++;
    } else b += 3; // BMP, or a lone surrogate (encoded as U+FFFD)
  }
  map[input.length] = b;
  return map;
}

function firstError(tree: Tree): number {
  let error = -1;
  tree.iterate({
    enter: (n) => {
      if (error >= 0) return false;
      if (n.type.isError) error = n.from;
      return undefined;
    },
  });
  return error;
}

const WORD_START = /[A-Za-z_:]/;
const WORD_CHAR = /[A-Za-z0-9_:]/;
const NUMBER_CHAR = /[A-Za-z0-9_.]/;
/** Go lexer's isAlphaNumeric. */
const ALNUM = /[A-Za-z0-9_]/;

/**
 * A same-length respelling of a query for the Lezer grammar, for what Go's lexer and grammar accept
 * but Lezer's do not: a number ending in a dot (`5.`, `1./6.`: the dot becomes `0`), `STEP()` /
 * `Range()` / `MIN_OF(` in any case (lower-cased), `min_of(…)` / `max_of(…)` as functions outside
 * durations (spelled as another function call), and `offset{…}` as a metric name. Each rewrite
 * keeps the token kinds and boundaries, so the tree is Go's structure for the original text.
 * Returns null when nothing applies.
 */
export function lezerSpelling(s: string): string | null {
  let out: string[] | null = null;
  const put = (at: number, text: string): void => {
    out ??= s.split('');
    for (let k = 0; k < text.length; k++) out[at + k] = text[k]!;
  };
  let depth = 0;
  let prevWord = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '"' || c === "'") {
      i++;
      while (i < s.length && s[i] !== c && s[i] !== '\n') i += s[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '`') {
      const j = s.indexOf('`', i + 1);
      i = j < 0 ? s.length : j + 1;
      continue;
    }
    if (c === '#') {
      const j = s.indexOf('\n', i);
      i = j < 0 ? s.length : j;
      continue;
    }
    if (c === '[') depth++;
    else if (c === ']') depth--;
    if (c >= '0' && c <= '9' && !(i > 0 && NUMBER_CHAR.test(s[i - 1]!))) {
      let j = i;
      while (j < s.length && NUMBER_CHAR.test(s[j]!)) j++;
      const m = /^[0-9][0-9_]*\.(?![0-9])/.exec(s.slice(i, j));
      if (m) put(i + m[0].length - 1, '0');
      i = j;
      continue;
    }
    // Inside brackets `:` separates range and step; elsewhere it may start a metric name.
    if (WORD_START.test(c) && (c !== ':' || depth === 0)) {
      let j = i;
      const wordChar = depth === 0 ? WORD_CHAR : ALNUM;
      while (j < s.length && wordChar.test(s[j]!)) j++;
      const w = s.slice(i, j);
      const lower = w.toLowerCase();
      let k = j;
      while (k < s.length && (s[k] === ' ' || s[k] === '\t' || s[k] === '\n' || s[k] === '\r')) k++;
      const next = s[k];
      if (next === '(' && (lower === 'step' || lower === 'range' || lower === 'min_of' || lower === 'max_of')) {
        if ((lower === 'min_of' || lower === 'max_of') && depth === 0 && prevWord !== 'offset') put(i, 'vector');
        else if (w !== lower) put(i, lower);
      } else if (next === '{' && lower === 'offset') put(i, 'offsex');
      prevWord = lower;
      i = j;
      continue;
    }
    i++;
  }
  return out === null ? null : (out as string[]).join('');
}

class Converter {
  readonly b: AstBuilder;
  private readonly input: string;
  private readonly map: Int32Array | null;

  constructor(input: string, opts: ResolvedOptions) {
    this.input = input;
    this.b = new AstBuilder(input, opts);
    // eslint-disable-next-line no-control-regex
    this.map = /[^\x00-\x7f]/.test(input) ? byteOffsets(input) : null;
  }

  pos(x: number): number {
    return this.map ? (this.map[x] as number) : x;
  }

  range(n: SyntaxNode): PosRange {
    return { start: this.pos(n.from), end: this.pos(n.to) };
  }

  text(n: SyntaxNode): string {
    return this.input.slice(n.from, n.to);
  }

  /** Named children, comments left out. */
  kids(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) if (c.name !== 'LineComment') out.push(c);
    return out;
  }

  /** Offset of the first character at or after i that is not whitespace or a comment. */
  skipTrivia(i: number): number {
    const s = this.input;
    while (i < s.length) {
      const c = s[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
      else if (c === '#') {
        while (i < s.length && s[i] !== '\n') i++;
      } else break;
    }
    return i;
  }

  // ---- expressions ----

  /**
   * An expression: its operator chain is read from the Lezer tree in source order (operands,
   * binary operators, signs, postfix modifiers) and re-associated with Go's precedences.
   */
  expr(n: SyntaxNode): Expr {
    const toks: Tok[] = [];
    this.flatten(n, toks);
    const st = { toks, i: 0 };
    const e = this.climb(st, 0);
    if (st.i !== toks.length) throw new Unsupported('operator sequence');
    return e;
  }

  flatten(n: SyntaxNode, out: Tok[]): void {
    switch (n.name) {
      case 'BinaryExpr': {
        const k = this.kids(n);
        if (k.length < 3) throw new Unsupported('BinaryExpr shape');
        this.flatten(k[0]!, out);
        out.push({ k: 'bin', n, kids: k });
        this.flatten(k[k.length - 1]!, out);
        return;
      }
      case 'UnaryExpr': {
        const [op, operand, extra] = this.kids(n);
        if (!op || !operand || extra || op.name !== 'UnaryOp') throw new Unsupported('UnaryExpr shape');
        out.push({ k: 'un', sign: this.text(op) === '-' ? '-' : '+', from: op.from });
        this.flatten(operand, out);
        return;
      }
      case 'NumberDurationLiteral': {
        const { sign, from } = this.signedLiteral(n);
        if (sign) out.push({ k: 'un', sign, from: n.from });
        out.push({ k: 'lit', from, to: n.to });
        return;
      }
      case 'MatrixSelector':
      case 'SubqueryExpr':
      case 'OffsetExpr':
      case 'StepInvariantExpr':
      case 'AnchoredExpr':
      case 'SmoothedExpr': {
        const inner = n.firstChild;
        if (!inner) throw new Unsupported(`${n.name} shape`);
        this.flatten(inner, out);
        out.push({ k: 'post', n });
        return;
      }
    }
    out.push({ k: 'atom', n });
  }

  /** Precedence climbing as Go's grammar associates (the port's parseBinary/parseUnary). */
  climb(st: { toks: Tok[]; i: number }, minPrec: number): Expr {
    let lhs = this.unary(st);
    for (;;) {
      const t = st.toks[st.i];
      if (!t || t.k !== 'bin') break;
      const op = BIN_OPS.get(t.kids[1]!.name);
      if (op === undefined) throw new Unsupported(`binary operator ${t.kids[1]!.name}`);
      const prec = BINARY_PRECEDENCE.get(op) ?? 0;
      if (prec < minPrec) break;
      st.i++;
      const mods = this.binMods(t.kids);
      const rhs = this.climb(st, op === '^' ? prec : prec + 1);
      lhs = this.b.newBinary(lhs, op, mods, rhs);
    }
    return lhs;
  }

  unary(st: { toks: Tok[]; i: number }): Expr {
    const t = st.toks[st.i++];
    if (!t) throw new Unsupported('operand missing');
    if (t.k === 'un') {
      const operand = this.climb(st, UNARY_PRECEDENCE + 1);
      return this.b.newUnary(t.sign, this.pos(t.from), operand);
    }
    let e: Expr;
    if (t.k === 'lit') e = this.literal(t.from, t.to);
    else if (t.k === 'atom') e = this.atom(t.n);
    else throw new Unsupported('operand missing');
    for (let p = st.toks[st.i]; p && p.k === 'post'; p = st.toks[++st.i]) e = this.postfix(e, p.n);
    return e;
  }

  atom(n: SyntaxNode): Expr {
    const b = this.b;
    switch (n.name) {
      case 'StringLiteral':
        return { type: 'StringLiteral', value: b.unquoteAt(this.text(n), this.range(n)), pos: this.range(n) };
      case 'ParenExpr': {
        const k = this.kids(n);
        if (k.length !== 1) throw new Unsupported('ParenExpr shape');
        return { type: 'ParenExpr', expr: this.expr(k[0]!), pos: this.range(n) };
      }
      case 'VectorSelector':
        return this.vectorSelector(n);
      case 'FunctionCall': {
        const [id, body, extra] = this.kids(n);
        if (!id || !body || extra || id.name !== 'FunctionIdentifier' || body.name !== 'FunctionCallBody') throw new Unsupported('FunctionCall shape');
        const args = this.kids(body).map((a) => this.expr(a));
        return b.newCall(this.text(id), this.range(id), args, this.pos(body.to));
      }
      case 'AggregateExpr':
        return this.aggregate(n);
    }
    throw new Unsupported(`node ${n.name}`);
  }

  /** Applies a postfix modifier node (range, subquery, offset, @, anchored/smoothed) to e. */
  postfix(e: Expr, n: SyntaxNode): Expr {
    const b = this.b;
    const k = this.kids(n);
    switch (n.name) {
      case 'MatrixSelector': {
        const dur = k[1];
        if (!dur || k.length !== 2) throw new Unsupported('MatrixSelector shape');
        const first = b.positiveDuration(this.duration(dur));
        return b.newMatrixSelector(e, first, { start: this.pos(k[0]!.to), end: this.pos(n.to) });
      }
      case 'SubqueryExpr': {
        const [, dur, stepDur, extra] = k;
        if (!dur || extra) throw new Unsupported('SubqueryExpr shape');
        const first = b.positiveDuration(this.duration(dur));
        const step = stepDur ? b.positiveDuration(this.duration(stepDur)) : {};
        return b.newSubquery(e, first, step, this.pos(n.to));
      }
      case 'OffsetExpr': {
        const [, kw, dur, extra] = k;
        if (!kw || !dur || extra || kw.name !== 'Offset' || dur.name !== 'OffsetDurationExpr') throw new Unsupported('OffsetExpr shape');
        // Go's offset_duration_expr continues a parenthesised duration with binary operators
        // (`x offset (1m) * 2` offsets by 2m); Lezer ends the offset at `)`.
        if (this.input[this.skipTrivia(dur.from)] === '(' && '+-*/%^'.includes(this.input[this.skipTrivia(n.to)] ?? ' ')) {
          throw new Unsupported('operator after a parenthesised offset');
        }
        b.applyOffset(e, this.offsetDuration(dur), this.pos(n.to));
        return e;
      }
      case 'StepInvariantExpr': {
        const [, kw, val, extra] = k;
        if (!kw || !val || extra || kw.name !== 'At') throw new Unsupported('@ shape');
        let at: AtModifier;
        if (val.name === 'AtModifierPreprocessors') {
          const which = val.firstChild?.name;
          if (which === 'AtStart') at = { kind: 'start' };
          else if (which === 'AtEnd') at = { kind: 'end' };
          else throw new Unsupported('@ preprocessor');
        } else if (val.name === 'NumberDurationLiteral') {
          at = b.atTime(e, this.number(val).value);
        } else throw new Unsupported('@ value');
        b.applyAt(e, at, this.pos(n.to));
        return e;
      }
      case 'AnchoredExpr':
      case 'SmoothedExpr':
        if (k.length !== 2) throw new Unsupported('anchored/smoothed shape');
        b.setExtended(e, n.name === 'AnchoredExpr' ? 'anchored' : 'smoothed');
        return e;
    }
    throw new Unsupported(`postfix ${n.name}`);
  }

  /** Sign (if any) and the unsigned literal of a NumberDurationLiteral node. */
  signedLiteral(n: SyntaxNode): { sign?: '+' | '-'; from: number } {
    const c = this.input[n.from];
    if (c === '-' || c === '+') return { sign: c, from: this.skipTrivia(n.from + 1) };
    return { from: n.from };
  }

  literal(from: number, to: number): NumberLiteral {
    // Go's lexer rejects a number running into a word (`5manchored`, `1and`); Lezer splits it.
    if (ALNUM.test(this.input[to] ?? ' ')) throw new Unsupported('number runs into a word');
    const text = this.input.slice(from, to);
    return this.b.numberLit(DURATION_TOKEN.test(text), text, { start: this.pos(from), end: this.pos(to) });
  }

  /** number_duration_literal, with a leading sign folded as Go's unary_expr action does. */
  number(n: SyntaxNode): NumberLiteral {
    const { sign, from } = this.signedLiteral(n);
    const lit = this.literal(from, n.to);
    if (!sign) return lit;
    const e = this.b.newUnary(sign, this.pos(n.from), lit);
    if (e.type !== 'NumberLiteral') throw new Unsupported('signed literal');
    return e;
  }

  vectorSelector(n: SyntaxNode): Expr {
    const k = this.kids(n);
    let name = '';
    let i = 0;
    if (k[0]?.name === 'Identifier') {
      name = this.text(k[0]);
      if (NOT_METRIC_NAME.has(name.toLowerCase())) throw new Unsupported(`keyword ${name} as metric name`);
      i = 1;
    }
    let matchers: Matcher[] = [];
    if (k[i]?.name === 'LabelMatchers') matchers = this.labelMatchers(k[i++]!);
    if (i !== k.length || i === 0) throw new Unsupported('VectorSelector shape');
    return this.b.newVectorSelector(name, matchers, this.range(n));
  }

  labelMatchers(n: SyntaxNode): Matcher[] {
    const b = this.b;
    const out: Matcher[] = [];
    for (const m of this.kids(n)) {
      if (m.name === 'QuotedLabelName') {
        const s = m.firstChild;
        if (!s || s.name !== 'StringLiteral') throw new Unsupported('QuotedLabelName shape');
        out.push(b.makeMatcher('=', '__name__', b.unquoteAt(this.text(s), this.range(s)), this.range(s)));
        continue;
      }
      const [label, op, value, extra] = this.kids(m);
      if (!label || !op || !value || extra || value.name !== 'StringLiteral') throw new Unsupported('label matcher shape');
      let name: string;
      if (m.name === 'UnquotedLabelMatcher' && label.name === 'LabelName') name = this.text(label);
      else if (m.name === 'QuotedLabelMatcher' && label.name === 'QuotedLabelName' && label.firstChild?.name === 'StringLiteral') {
        name = b.unquoteAt(this.text(label.firstChild), this.range(label.firstChild));
      } else throw new Unsupported('label matcher shape');
      const mt = MATCH_OPS.get(op.firstChild?.name ?? '');
      if (mt === undefined) throw new Unsupported('match operator');
      const val = b.unquoteAt(this.text(value), this.range(value));
      out.push(b.makeMatcher(mt, name, val, { start: this.pos(label.from), end: this.pos(value.to) }));
    }
    return out;
  }

  groupingLabels(n: SyntaxNode): string[] {
    if (n.name !== 'GroupingLabels') throw new Unsupported('GroupingLabels shape');
    const out: string[] = [];
    for (const l of this.kids(n)) {
      let name: string;
      if (l.name === 'LabelName') {
        name = this.text(l);
        // Go lexes these as numbers, which are not labels (maybe_label).
        const lower = name.toLowerCase();
        if (lower === 'inf' || lower === 'nan') throw new Unsupported(`${name} as grouping label`);
      } else if (l.name === 'QuotedLabelName' && l.firstChild?.name === 'StringLiteral') {
        name = this.b.unquoteAt(this.text(l.firstChild), this.range(l.firstChild));
      } else throw new Unsupported('grouping label');
      this.b.checkGroupingLabel(name, this.range(l));
      out.push(name);
    }
    return out;
  }

  aggregate(n: SyntaxNode): Expr {
    const k = this.kids(n);
    const opNode = k[0];
    if (!opNode || opNode.name !== 'AggregateOp') throw new Unsupported('AggregateExpr shape');
    const op = this.text(opNode).toLowerCase();
    if (!AGG_OPS.has(op)) throw new Unsupported(`aggregation ${op}`);
    let grouping: string[] = [];
    let without = false;
    let body: SyntaxNode | undefined;
    let end = 0;
    for (let i = 1; i < k.length; i++) {
      const c = k[i]!;
      if (c.name === 'FunctionCallBody' && !body) {
        body = c;
        end = this.pos(c.to);
      } else if (c.name === 'AggregateModifier') {
        const [kw, labels, extra] = this.kids(c);
        if (!kw || !labels || extra) throw new Unsupported('AggregateModifier shape');
        without = kw.name === 'Without';
        grouping = this.groupingLabels(labels);
        if (body) end = this.pos(c.to);
      } else throw new Unsupported('AggregateExpr shape');
    }
    if (!body) throw new Unsupported('aggregation without body');
    const args = this.kids(body).map((a) => this.expr(a));
    return this.b.newAggregate(op as AggregateOp, this.pos(opNode.from), args, grouping, without, end);
  }

  /** bool / on|ignoring … group_x … / fill modifiers between a BinaryExpr's operator and its rhs. */
  binMods(k: SyntaxNode[]): BinMods {
    const mods: BinMods = { returnBool: false, card: 'one-to-one', matchingLabels: [], on: false, include: [] };
    for (let i = 2; i < k.length - 1; i++) {
      const m = k[i]!;
      if (m.name === 'BoolModifier') mods.returnBool = true;
      else if (m.name === 'MatchingModifierClause') {
        const mk = this.kids(m);
        const kw = mk[0];
        if (!kw || (kw.name !== 'On' && kw.name !== 'Ignoring') || !mk[1]) throw new Unsupported('matching clause');
        mods.on = kw.name === 'On';
        mods.matchingLabels = this.groupingLabels(mk[1]);
        const g = mk[2];
        if (g) {
          if (g.name === 'GroupLeft') mods.card = 'many-to-one';
          else if (g.name === 'GroupRight') mods.card = 'one-to-many';
          else throw new Unsupported('group modifier');
          if (mk[3]) mods.include = this.groupingLabels(mk[3]);
          if (mk.length > 4) throw new Unsupported('matching clause');
        } else if (mk.length > 2) throw new Unsupported('matching clause');
      } else if (m.name === 'FillModifier') {
        for (const f of this.kids(m)) {
          const [, lit, extra] = this.kids(f);
          if (!lit || extra || lit.name !== 'NumberDurationLiteral') throw new Unsupported('fill clause');
          const v = this.number(lit).value;
          if (f.name === 'FillClause') {
            mods.fillLeft = v;
            mods.fillRight = v;
          } else if (f.name === 'FillLeftClause') mods.fillLeft = v;
          else if (f.name === 'FillRightClause') mods.fillRight = v;
          else throw new Unsupported('fill clause');
        }
      } else throw new Unsupported(`binary modifier ${m.name}`);
    }
    return mods;
  }

  // ---- durations ----

  durLiteral(n: SyntaxNode): DurationExpr {
    return this.b.durLiteral(this.literal(n.from, n.to));
  }

  /** The inlined durationPrimary forms shared by DurationExpr and OffsetDurationExpr, or null. */
  durPrimary(n: SyntaxNode, k: SyntaxNode[]): DurationExpr | null {
    const b = this.b;
    const first = k[0];
    if (!first) return null;
    switch (first.name) {
      case 'NumberDurationLiteralInDurationContext':
        return k.length === 1 ? this.durLiteral(first) : null;
      case 'DurationStep':
      case 'DurationRange': {
        if (k.length !== 1) return null;
        const d: DurationExpr = { type: 'DurationCall', func: first.name === 'DurationStep' ? 'step' : 'range', args: [], pos: { start: this.pos(first.from), end: this.pos(n.to) } };
        b.experimentalDur(d);
        return d;
      }
      case 'DurationMinOf':
      case 'DurationMaxOf': {
        if (k.length !== 3) return null;
        const a = this.duration(k[1]!);
        const c = this.duration(k[2]!);
        const d: DurationExpr = { type: 'DurationCall', func: first.name === 'DurationMaxOf' ? 'max' : 'min', args: [a, c], pos: { start: a.pos.start, end: c.pos.end } };
        b.experimentalDur(d);
        return d;
      }
      case 'DurationExpr': {
        if (k.length !== 1 || this.input[n.from] !== '(') return null;
        const inner = this.duration(first);
        b.experimentalDur(inner);
        return b.wrapParen(inner, this.pos(n.from), this.pos(n.to));
      }
    }
    return null;
  }

  duration(n: SyntaxNode): DurationExpr {
    if (n.name !== 'DurationExpr') throw new Unsupported(`duration node ${n.name}`);
    const k = this.kids(n);
    if (k.length === 3 && k[0]!.name === 'DurationExpr' && k[2]!.name === 'DurationExpr') {
      const op = DUR_OPS.get(k[1]!.name);
      if (op === undefined) throw new Unsupported('duration operator');
      const lhs = this.duration(k[0]!);
      const rhs = this.duration(k[2]!);
      return this.b.durBinary(lhs, op, this.range(k[1]!), rhs);
    }
    if (k.length === 2 && k[0]!.name === 'UnaryOp') {
      return this.b.applyUnaryDur(this.text(k[0]!) === '-' ? '-' : '+', this.range(k[0]!), this.duration(k[1]!));
    }
    const d = this.durPrimary(n, k);
    if (!d) throw new Unsupported('DurationExpr shape');
    return d;
  }

  /** offset_duration_expr, mirroring the port's parseOffsetDuration. */
  offsetDuration(n: SyntaxNode): DurationExpr {
    const b = this.b;
    const k = this.kids(n);
    if (k.length === 2 && k[0]!.name === 'UnaryOp' && k[1]!.name === 'OffsetDurationExpr') {
      const sign = this.text(k[0]!) === '-' ? '-' : '+';
      const signPr = this.range(k[0]!);
      const m = k[1]!;
      const mk = this.kids(m);
      const first = mk[0];
      if (mk.length === 1 && first?.name === 'NumberDurationLiteralInDurationContext') return b.applyUnaryDur(sign, signPr, this.durLiteral(first));
      if (first?.name === 'DurationExpr') {
        if (mk.length !== 1 || this.input[m.from] !== '(') throw new Unsupported('signed offset shape');
        return b.applyUnaryDur(sign, signPr, b.wrapParen(this.duration(first), this.pos(m.from), this.pos(m.to)));
      }
      if (first && /^Duration(Step|Range|MinOf|MaxOf)$/.test(first.name)) {
        const inner = this.durPrimary(m, mk);
        if (!inner) throw new Unsupported('signed offset shape');
        const d: DurationExpr = sign === '-' ? { type: 'DurationUnary', op: '-', expr: inner, pos: { start: signPr.start, end: inner.pos.end } } : inner;
        b.experimentalDur(d);
        return d;
      }
      throw new Unsupported('signed offset shape');
    }
    const d = this.durPrimary(n, k);
    if (!d) throw new Unsupported('OffsetDurationExpr shape');
    return d;
  }
}

/**
 * Parses `input` with @prometheus-io/lezer-promql and converts the tree into the AST of ast.ts,
 * running the same grammar-action and type checks as the port (AstBuilder). Never throws: when the
 * tree has error nodes, the input is outside what converts exactly, or a check fails, it returns
 * `ok: false` with the reason and the caller uses the port for Prometheus' error text.
 */
export function lezerParseExpr(input: string, opts: ResolvedOptions): LezerParseResult {
  if (NON_GO_SPACE.test(input)) return { ok: false, reason: 'whitespace Go does not accept' };
  try {
    let tree = parser.parse(input);
    let error = firstError(tree);
    if (error >= 0) {
      // Spellings Go accepts and the Lezer grammar does not: retry on a same-length respelling
      // (token boundaries unchanged; all values are still read from the original input).
      const alt = lezerSpelling(input);
      if (alt === null) return { ok: false, reason: `syntax error near offset ${error}` };
      tree = parser.parse(alt);
      error = firstError(tree);
      if (error >= 0) return { ok: false, reason: `syntax error near offset ${error}` };
    }
    const c = new Converter(input, opts);
    const top = c.kids(tree.topNode);
    if (top.length !== 1) return { ok: false, reason: top.length === 0 ? 'no expression' : 'PromQL shape' };
    const e = c.expr(top[0]!);
    c.b.checkAST(e);
    return { ok: true, expr: e };
  } catch (e) {
    if (e instanceof Unsupported) return { ok: false, reason: e.reason };
    if (e instanceof Abort) return { ok: false, reason: `check failed: ${e.err.message}` };
    if (e instanceof RangeError) return { ok: false, reason: 'nested too deeply' };
    return { ok: false, reason: `conversion error: ${e instanceof Error ? e.message : String(e)}` };
  }
}
