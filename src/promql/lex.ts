// PromQL lexer: a faithful port of Prometheus 3.x `promql/parser/lex.go` (expression mode; the
// series-description/histogram sub-language of test files is not included). It works on the UTF-8
// bytes of the query so that positions and error texts are byte-exact with Prometheus.
import { goQuoteRune, goQuoteString, goRuneU } from './durations.ts';

export enum T {
  ERROR = 1,
  EOF,
  COMMENT,
  IDENTIFIER,
  METRIC_IDENTIFIER,
  STRING,
  NUMBER,
  DURATION,
  LEFT_PAREN,
  RIGHT_PAREN,
  LEFT_BRACE,
  RIGHT_BRACE,
  LEFT_BRACKET,
  RIGHT_BRACKET,
  COMMA,
  EQL,
  COLON,
  // operators
  ADD,
  DIV,
  EQLC,
  EQL_REGEX,
  GTE,
  GTR,
  TRIM_UPPER,
  TRIM_LOWER,
  LAND,
  LOR,
  LSS,
  LTE,
  LUNLESS,
  MOD,
  MUL,
  NEQ,
  NEQ_REGEX,
  POW,
  SUB,
  AT,
  ATAN2,
  // aggregators
  AVG,
  BOTTOMK,
  COUNT,
  COUNT_VALUES,
  GROUP,
  MAX,
  MIN,
  QUANTILE,
  STDDEV,
  STDVAR,
  SUM,
  TOPK,
  LIMITK,
  LIMIT_RATIO,
  // keywords
  BOOL,
  BY,
  GROUP_LEFT,
  GROUP_RIGHT,
  FILL,
  FILL_LEFT,
  FILL_RIGHT,
  IGNORING,
  OFFSET,
  SMOOTHED,
  ANCHORED,
  ON,
  WITHOUT,
  // preprocessors
  START,
  END,
  STEP,
  RANGE,
  MAX_OF,
  MIN_OF,
}

export function isOperator(t: T): boolean {
  return t >= T.ADD && t <= T.ATAN2;
}
export function isAggregator(t: T): boolean {
  return t >= T.AVG && t <= T.LIMIT_RATIO;
}
export function isKeyword(t: T): boolean {
  return t >= T.BOOL && t <= T.WITHOUT;
}
export function isAggregatorWithParam(t: T): boolean {
  return t === T.TOPK || t === T.BOTTOMK || t === T.COUNT_VALUES || t === T.QUANTILE || t === T.LIMITK || t === T.LIMIT_RATIO;
}
export function isComparisonOperator(t: T): boolean {
  return t === T.EQLC || t === T.NEQ || t === T.LTE || t === T.LSS || t === T.GTE || t === T.GTR;
}
export function isSetOperator(t: T): boolean {
  return t === T.LAND || t === T.LOR || t === T.LUNLESS;
}

/** Keywords, matched case-insensitively (`key` in lex.go). */
export const KEYWORDS: ReadonlyMap<string, T> = new Map<string, T>([
  ['and', T.LAND],
  ['or', T.LOR],
  ['unless', T.LUNLESS],
  ['atan2', T.ATAN2],
  ['sum', T.SUM],
  ['avg', T.AVG],
  ['count', T.COUNT],
  ['min', T.MIN],
  ['max', T.MAX],
  ['group', T.GROUP],
  ['stddev', T.STDDEV],
  ['stdvar', T.STDVAR],
  ['topk', T.TOPK],
  ['bottomk', T.BOTTOMK],
  ['count_values', T.COUNT_VALUES],
  ['quantile', T.QUANTILE],
  ['limitk', T.LIMITK],
  ['limit_ratio', T.LIMIT_RATIO],
  ['offset', T.OFFSET],
  ['smoothed', T.SMOOTHED],
  ['anchored', T.ANCHORED],
  ['by', T.BY],
  ['without', T.WITHOUT],
  ['on', T.ON],
  ['ignoring', T.IGNORING],
  ['group_left', T.GROUP_LEFT],
  ['group_right', T.GROUP_RIGHT],
  ['fill', T.FILL],
  ['fill_left', T.FILL_LEFT],
  ['fill_right', T.FILL_RIGHT],
  ['bool', T.BOOL],
  ['start', T.START],
  ['end', T.END],
  ['step', T.STEP],
  ['range', T.RANGE],
  ['max_of', T.MAX_OF],
  ['min_of', T.MIN_OF],
  ['inf', T.NUMBER],
  ['nan', T.NUMBER],
]);

/** Canonical spelling of fixed tokens (`ItemTypeStr` in lex.go). */
const TYPE_STR = new Map<T, string>([
  [T.LEFT_PAREN, '('],
  [T.RIGHT_PAREN, ')'],
  [T.LEFT_BRACE, '{'],
  [T.RIGHT_BRACE, '}'],
  [T.LEFT_BRACKET, '['],
  [T.RIGHT_BRACKET, ']'],
  [T.COMMA, ','],
  [T.EQL, '='],
  [T.COLON, ':'],
  [T.SUB, '-'],
  [T.ADD, '+'],
  [T.MUL, '*'],
  [T.MOD, '%'],
  [T.DIV, '/'],
  [T.EQLC, '=='],
  [T.NEQ, '!='],
  [T.LTE, '<='],
  [T.LSS, '<'],
  [T.GTE, '>='],
  [T.GTR, '>'],
  [T.TRIM_UPPER, '</'],
  [T.TRIM_LOWER, '>/'],
  [T.EQL_REGEX, '=~'],
  [T.NEQ_REGEX, '!~'],
  [T.POW, '^'],
  [T.AT, '@'],
]);
for (const [s, t] of KEYWORDS) if (t !== T.NUMBER) TYPE_STR.set(t, s);

export function typeString(t: T): string {
  return TYPE_STR.get(t) ?? `<Item ${t}>`;
}

export interface Item {
  typ: T;
  /** Byte offset of the item's start. */
  pos: number;
  /** Raw text (for ERROR: the message). */
  val: string;
  /** Byte length of the raw text (0 for ERROR/EOF). */
  len: number;
}

function truncRunes(s: string, n: number): string {
  let out = '';
  let i = 0;
  for (const ch of s) {
    if (i++ >= n) break;
    out += ch;
  }
  return out;
}

/** Item.String() of lex.go. */
export function itemString(i: Item): string {
  if (i.typ === T.EOF) return 'EOF';
  if (i.typ === T.ERROR) return i.val;
  if (i.typ === T.IDENTIFIER || i.typ === T.METRIC_IDENTIFIER) return goQuoteString(i.val);
  if (isKeyword(i.typ)) return `<${i.val}>`;
  if (isOperator(i.typ)) return `<op:${i.val}>`;
  if (isAggregator(i.typ)) return `<aggr:${i.val}>`;
  if ([...i.val].length > 10) return goQuoteString(truncRunes(i.val, 10)) + '...';
  return goQuoteString(i.val);
}

function typeDesc(t: T): string {
  switch (t) {
    case T.ERROR:
      return 'error';
    case T.EOF:
      return 'end of input';
    case T.COMMENT:
      return 'comment';
    case T.IDENTIFIER:
      return 'identifier';
    case T.METRIC_IDENTIFIER:
      return 'metric identifier';
    case T.STRING:
      return 'string';
    case T.NUMBER:
      return 'number';
    case T.DURATION:
      return 'duration';
  }
  return goQuoteString(typeString(t));
}

/** Item.desc() of lex.go, used in "unexpected …" messages. */
export function itemDesc(i: Item): string {
  if (TYPE_STR.has(i.typ)) return itemString(i);
  if (i.typ === T.EOF) return typeDesc(i.typ);
  return `${typeDesc(i.typ)} ${itemString(i)}`;
}

const EOFR = -1;
const RUNE_ERROR = 0xfffd;

type StateFn = ((l: Lexer) => StateFn) | null;

const utf8 = new TextDecoder('utf-8');
const enc = new TextEncoder();

export function isSpace(r: number): boolean {
  return r === 0x20 || r === 0x09 || r === 0x0a || r === 0x0d;
}
function isEndOfLine(r: number): boolean {
  return r === 0x0d || r === 0x0a;
}
function isDigit(r: number): boolean {
  return r >= 0x30 && r <= 0x39;
}
function isAlpha(r: number): boolean {
  return r === 0x5f || (r >= 0x61 && r <= 0x7a) || (r >= 0x41 && r <= 0x5a);
}
function isAlphaNumeric(r: number): boolean {
  return isAlpha(r) || isDigit(r);
}
function inSet(set: string, r: number): boolean {
  if (r < 0 || r > 0x7f) return false; // every set used by the lexer is ASCII
  for (let i = 0; i < set.length; i++) if (set.charCodeAt(i) === r) return true;
  return false;
}

const DURATION_KEYWORDS = new Map<string, T>([
  ['step', T.STEP],
  ['range', T.RANGE],
  ['max_of', T.MAX_OF],
  ['min_of', T.MIN_OF],
]);
function isDurationKeywordStartChar(r: number): boolean {
  if (r < 0) return false;
  const c = String.fromCodePoint(r).toLowerCase();
  return c === 's' || c === 'r' || c === 'm';
}

/** Decodes one UTF-8 rune like Go's utf8.DecodeRune (invalid → RuneError width 1). */
function decodeRune(b: Uint8Array, p: number): [number, number] {
  const c0 = b[p] ?? 0;
  if (c0 < 0x80) return [c0, 1];
  const need = c0 >= 0xf0 && c0 <= 0xf4 ? 4 : c0 >= 0xe0 ? 3 : c0 >= 0xc2 && c0 < 0xe0 ? 2 : 0;
  if (need === 0 || p + need > b.length) return [RUNE_ERROR, 1];
  let cp = need === 2 ? c0 & 0x1f : need === 3 ? c0 & 0x0f : c0 & 0x07;
  for (let k = 1; k < need; k++) {
    const c = b[p + k] ?? 0;
    if ((c & 0xc0) !== 0x80) return [RUNE_ERROR, 1];
    cp = (cp << 6) | (c & 0x3f);
  }
  if ((need === 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) || (need === 4 && (cp < 0x10000 || cp > 0x10ffff))) {
    return [RUNE_ERROR, 1];
  }
  return [cp, need];
}

export class Lexer {
  readonly input: string;
  readonly bytes: Uint8Array;
  private state: StateFn = lexStatements;
  pos = 0;
  start = 0;
  private width = 0;
  lastPos = 0;
  private item: Item = { typ: T.EOF, pos: 0, val: '', len: 0 };
  private scanned = false;

  parenDepth = 0;
  braceOpen = false;
  bracketOpen = false;
  gotColon = false;
  gotDuration = false;
  stringOpen = 0;

  private readonly ascii: boolean;

  constructor(input: string) {
    this.input = input;
    this.bytes = enc.encode(input);
    this.ascii = this.bytes.length === input.length;
  }

  text(from: number, to: number): string {
    // Byte offsets equal string offsets for ASCII-only input.
    if (this.ascii) return this.input.slice(from, to);
    return utf8.decode(this.bytes.subarray(from, to));
  }

  next(): number {
    if (this.pos >= this.bytes.length) {
      this.width = 0;
      return EOFR;
    }
    const [r, w] = decodeRune(this.bytes, this.pos);
    this.width = w;
    this.pos += w;
    return r;
  }

  peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }

  backup(): void {
    this.pos -= this.width;
  }

  emit(t: T): void {
    this.item = { typ: t, pos: this.start, val: this.text(this.start, this.pos), len: this.pos - this.start };
    this.start = this.pos;
    this.scanned = true;
  }

  ignore(): void {
    this.start = this.pos;
  }

  accept(valid: string): boolean {
    if (inSet(valid, this.next())) return true;
    this.backup();
    return false;
  }

  is(valid: string): boolean {
    return inSet(valid, this.peek());
  }

  acceptRun(valid: string): void {
    while (inSet(valid, this.next())) {
      /* consume */
    }
    this.backup();
  }

  errorf(msg: string): StateFn {
    this.item = { typ: T.ERROR, pos: this.start, val: msg, len: 0 };
    this.scanned = true;
    return null;
  }

  hasPrefix(s: string): boolean {
    for (let k = 0; k < s.length; k++) if (this.bytes[this.pos + k] !== s.charCodeAt(k)) return false;
    return true;
  }

  nextItem(): Item {
    this.scanned = false;
    if (this.state !== null) {
      while (!this.scanned) {
        const st: StateFn = this.state;
        if (st === null) break;
        this.state = st(this);
        if (this.state === null && !this.scanned) this.emit(T.EOF);
      }
    } else {
      this.emit(T.EOF);
    }
    this.lastPos = this.item.pos;
    return this.item;
  }

  scanDurationKeyword(): boolean {
    for (;;) {
      const r = this.next();
      if (isAlpha(r)) continue;
      this.backup();
      const word = this.text(this.start, this.pos).toLowerCase();
      const tok = DURATION_KEYWORDS.get(word);
      if (tok !== undefined) {
        this.emit(tok);
        return true;
      }
      return false;
    }
  }

  scanNumber(): boolean {
    const initialPos = this.pos;
    let digitPattern = '0123456789';
    if (this.accept('0') && this.accept('xX')) {
      this.accept('_');
      digitPattern = '0123456789abcdefABCDEF';
    }
    this.accept('.');
    this.accept(digitPattern);
    let dotConsumed = false;
    let exponentConsumed = false;
    while (this.is(digitPattern + '._eE')) {
      if (this.is('.') && dotConsumed) {
        this.accept('.');
        return false;
      }
      if (this.is('eE') && exponentConsumed) {
        this.accept('eE');
        return false;
      }
      if (this.accept('.')) {
        dotConsumed = true;
        if (this.accept('_.')) return false;
        if (digitPattern.length > 10) return false;
        continue;
      }
      if (this.accept('eE')) {
        exponentConsumed = true;
        this.accept('+-');
        if (this.accept('._eE') || this.peek() === EOFR) return false;
        continue;
      }
      if (this.accept('_')) {
        if (this.accept('._eE') || this.peek() === EOFR) return false;
        continue;
      }
      this.acceptRun(digitPattern);
    }
    if (this.pos === initialPos) return false;
    return !isAlphaNumeric(this.peek());
  }

  peekFollowedByLeftParen(): boolean {
    let p = this.pos;
    for (;;) {
      if (p >= this.bytes.length) return false;
      const [r, w] = decodeRune(this.bytes, p);
      if (!isSpace(r)) return r === 0x28;
      p += w;
    }
  }
}

function lexStatements(l: Lexer): StateFn {
  if (l.braceOpen) return lexInsideBraces;
  if (l.hasPrefix('#')) return lexLineComment;
  const r = l.next();
  if (r === EOFR) {
    if (l.parenDepth !== 0) return l.errorf('unclosed left parenthesis');
    if (l.bracketOpen) return l.errorf('unclosed left bracket');
    l.emit(T.EOF);
    return null;
  }
  switch (r) {
    case 0x2c: // ,
      l.emit(T.COMMA);
      return lexStatements;
    case 0x2a:
      l.emit(T.MUL);
      return lexStatements;
    case 0x2f:
      l.emit(T.DIV);
      return lexStatements;
    case 0x25:
      l.emit(T.MOD);
      return lexStatements;
    case 0x2b:
      l.emit(T.ADD);
      return lexStatements;
    case 0x2d:
      l.emit(T.SUB);
      return lexStatements;
    case 0x5e:
      l.emit(T.POW);
      return lexStatements;
    case 0x3d: {
      // =
      const t = l.peek();
      if (t === 0x3d) {
        l.next();
        l.emit(T.EQLC);
      } else if (t === 0x7e) {
        return l.errorf(`unexpected character after '=': ${goQuoteRune(t)}`);
      } else {
        l.emit(T.EQL);
      }
      return lexStatements;
    }
    case 0x21: {
      // !
      const t = l.next();
      if (t !== 0x3d) return l.errorf(`unexpected character after '!': ${goQuoteRune(t)}`);
      l.emit(T.NEQ);
      return lexStatements;
    }
    case 0x3c: {
      const t = l.peek();
      if (t === 0x3d) {
        l.next();
        l.emit(T.LTE);
      } else if (t === 0x2f) {
        l.next();
        l.emit(T.TRIM_UPPER);
      } else l.emit(T.LSS);
      return lexStatements;
    }
    case 0x3e: {
      const t = l.peek();
      if (t === 0x3d) {
        l.next();
        l.emit(T.GTE);
      } else if (t === 0x2f) {
        l.next();
        l.emit(T.TRIM_LOWER);
      } else l.emit(T.GTR);
      return lexStatements;
    }
  }
  if (isSpace(r)) return lexSpace;
  if (isDigit(r) || (r === 0x2e && isDigit(l.peek()))) {
    l.backup();
    return lexNumberOrDuration;
  }
  if (r === 0x22 || r === 0x27) {
    l.stringOpen = r;
    return lexString;
  }
  if (r === 0x60) {
    l.stringOpen = r;
    return lexRawString;
  }
  if (isAlpha(r) || r === 0x3a) {
    if (!l.bracketOpen) {
      l.backup();
      return lexKeywordOrIdentifier;
    }
    if (r === 0x3a) {
      if (l.gotColon) return l.errorf(`unexpected colon ${goQuoteRune(r)}`);
      l.emit(T.COLON);
      l.gotColon = true;
      return lexStatements;
    }
    if (isDurationKeywordStartChar(r) && l.scanDurationKeyword()) return lexStatements;
    return l.errorf(`unexpected character: ${goQuoteRune(r)}, expected ${goQuoteRune(0x3a)}`);
  }
  switch (r) {
    case 0x28:
      l.emit(T.LEFT_PAREN);
      l.parenDepth++;
      return lexStatements;
    case 0x29:
      l.emit(T.RIGHT_PAREN);
      l.parenDepth--;
      if (l.parenDepth < 0) return l.errorf(`unexpected right parenthesis ${goQuoteRune(r)}`);
      return lexStatements;
    case 0x7b:
      l.emit(T.LEFT_BRACE);
      l.braceOpen = true;
      return lexInsideBraces;
    case 0x5b:
      if (l.bracketOpen) return l.errorf(`unexpected left bracket ${goQuoteRune(r)}`);
      l.gotColon = false;
      l.emit(T.LEFT_BRACKET);
      if (isSpace(l.peek())) skipSpaces(l);
      l.bracketOpen = true;
      return lexDurationExpr;
    case 0x5d:
      if (!l.bracketOpen) return l.errorf(`unexpected right bracket ${goQuoteRune(r)}`);
      l.emit(T.RIGHT_BRACKET);
      l.bracketOpen = false;
      return lexStatements;
    case 0x40:
      l.emit(T.AT);
      return lexStatements;
  }
  return l.errorf(`unexpected character: ${goQuoteRune(r)}`);
}

function lexInsideBraces(l: Lexer): StateFn {
  if (l.hasPrefix('#')) return lexLineComment;
  const r = l.next();
  if (r === EOFR) return l.errorf('unexpected end of input inside braces');
  if (isSpace(r)) return lexSpace;
  if (isAlpha(r)) {
    l.backup();
    return lexIdentifier;
  }
  switch (r) {
    case 0x2c:
      l.emit(T.COMMA);
      return lexInsideBraces;
    case 0x22:
    case 0x27:
      l.stringOpen = r;
      return lexString;
    case 0x60:
      l.stringOpen = r;
      return lexRawString;
    case 0x3d:
      if (l.next() === 0x7e) {
        l.emit(T.EQL_REGEX);
        return lexInsideBraces;
      }
      l.backup();
      l.emit(T.EQL);
      return lexInsideBraces;
    case 0x21: {
      const nr = l.next();
      if (nr === 0x7e) l.emit(T.NEQ_REGEX);
      else if (nr === 0x3d) l.emit(T.NEQ);
      else return l.errorf(`unexpected character after '!' inside braces: ${goQuoteRune(nr)}`);
      return lexInsideBraces;
    }
    case 0x7b:
      return l.errorf(`unexpected left brace ${goQuoteRune(r)}`);
    case 0x7d:
      l.emit(T.RIGHT_BRACE);
      l.braceOpen = false;
      return lexStatements;
  }
  return l.errorf(`unexpected character inside braces: ${goQuoteRune(r)}`);
}

function digitVal(ch: number): number {
  if (ch >= 0x30 && ch <= 0x39) return ch - 0x30;
  if (ch >= 0x61 && ch <= 0x66) return ch - 0x61 + 10;
  if (ch >= 0x41 && ch <= 0x46) return ch - 0x41 + 10;
  return 16;
}

function lexEscape(l: Lexer): StateFn {
  let n: number;
  let base: number;
  let maxVal: number;
  let ch = l.next();
  switch (ch) {
    case 0x61:
    case 0x62:
    case 0x66:
    case 0x6e:
    case 0x72:
    case 0x74:
    case 0x76:
    case 0x5c:
    case l.stringOpen:
      return lexString;
    case 0x30:
    case 0x31:
    case 0x32:
    case 0x33:
    case 0x34:
    case 0x35:
    case 0x36:
    case 0x37:
      n = 3;
      base = 8;
      maxVal = 255;
      break;
    case 0x78:
      ch = l.next();
      n = 2;
      base = 16;
      maxVal = 255;
      break;
    case 0x75:
      ch = l.next();
      n = 4;
      base = 16;
      maxVal = 0x10ffff;
      break;
    case 0x55:
      ch = l.next();
      n = 8;
      base = 16;
      maxVal = 0x10ffff;
      break;
    case EOFR:
      l.errorf('escape sequence not terminated');
      return lexString;
    default:
      l.errorf(`unknown escape sequence ${goRuneU(ch)}`);
      return lexString;
  }
  let x = 0;
  while (n > 0) {
    const d = digitVal(ch);
    if (d >= base) {
      if (ch === EOFR) {
        l.errorf('escape sequence not terminated');
        return lexString;
      }
      l.errorf(`illegal character ${goRuneU(ch)} in escape sequence`);
      return lexString;
    }
    x = x * base + d;
    n--;
    if (n > 0) ch = l.next();
  }
  if (x > maxVal || (0xd800 <= x && x < 0xe000)) l.errorf('escape sequence is an invalid Unicode code point');
  return lexString;
}

function skipSpaces(l: Lexer): void {
  while (isSpace(l.peek())) l.next();
  l.ignore();
}

function lexString(l: Lexer): StateFn {
  for (;;) {
    const r = l.next();
    if (r === 0x5c) return lexEscape;
    if (r === RUNE_ERROR) {
      l.errorf('invalid UTF-8 rune');
      return lexString;
    }
    if (r === EOFR || r === 0x0a) return l.errorf('unterminated quoted string');
    if (r === l.stringOpen) break;
  }
  l.emit(T.STRING);
  return lexStatements;
}

function lexRawString(l: Lexer): StateFn {
  for (;;) {
    const r = l.next();
    if (r === RUNE_ERROR) {
      l.errorf('invalid UTF-8 rune');
      return lexRawString;
    }
    if (r === EOFR) {
      l.errorf('unterminated raw string');
      return lexRawString;
    }
    if (r === l.stringOpen) break;
  }
  l.emit(T.STRING);
  return lexStatements;
}

function lexSpace(l: Lexer): StateFn {
  while (isSpace(l.peek())) l.next();
  l.ignore();
  return lexStatements;
}

function lexLineComment(l: Lexer): StateFn {
  l.pos += 1;
  let r = l.next();
  while (!isEndOfLine(r) && r !== EOFR) r = l.next();
  l.backup();
  l.emit(T.COMMENT);
  return lexStatements;
}

function acceptRemainingDuration(l: Lexer): boolean {
  if (!l.accept('smhdwy')) return false;
  l.accept('s');
  while (l.accept('0123456789')) {
    while (l.accept('0123456789')) {
      /* digits */
    }
    if (!l.accept('smhdw')) return false;
    l.accept('s');
  }
  return !isAlphaNumeric(l.next());
}

function lexNumberOrDuration(l: Lexer): StateFn {
  if (l.scanNumber()) {
    l.emit(T.NUMBER);
    return lexStatements;
  }
  if (acceptRemainingDuration(l)) {
    l.backup();
    l.emit(T.DURATION);
    return lexStatements;
  }
  return l.errorf(`bad number or duration syntax: ${goQuoteString(l.text(l.start, l.pos))}`);
}

function lexIdentifier(l: Lexer): StateFn {
  while (isAlphaNumeric(l.next())) {
    /* absorb */
  }
  l.backup();
  l.emit(T.IDENTIFIER);
  return lexStatements;
}

function lexKeywordOrIdentifier(l: Lexer): StateFn {
  for (;;) {
    const r = l.next();
    if (isAlphaNumeric(r) || r === 0x3a) continue;
    l.backup();
    const word = l.text(l.start, l.pos);
    const kw = KEYWORDS.get(word.toLowerCase());
    if (kw !== undefined) {
      if ((kw === T.FILL || kw === T.FILL_LEFT || kw === T.FILL_RIGHT) && !l.peekFollowedByLeftParen()) {
        l.emit(T.IDENTIFIER);
      } else l.emit(kw);
    } else if (!word.includes(':')) l.emit(T.IDENTIFIER);
    else l.emit(T.METRIC_IDENTIFIER);
    return lexStatements;
  }
}

function lexDurationExpr(l: Lexer): StateFn {
  const r = l.next();
  if (r === EOFR) return l.errorf('unexpected end of input in duration expression');
  switch (r) {
    case 0x5d:
      l.emit(T.RIGHT_BRACKET);
      l.bracketOpen = false;
      l.gotColon = false;
      return lexStatements;
    case 0x3a:
      l.emit(T.COLON);
      if (!l.gotDuration) return l.errorf('unexpected colon before duration in duration expression');
      if (l.gotColon) return l.errorf('unexpected repeated colon in duration expression');
      l.gotColon = true;
      return lexDurationExpr;
    case 0x28:
      l.emit(T.LEFT_PAREN);
      l.parenDepth++;
      return lexDurationExpr;
    case 0x29:
      l.emit(T.RIGHT_PAREN);
      l.parenDepth--;
      if (l.parenDepth < 0) return l.errorf(`unexpected right parenthesis ${goQuoteRune(r)}`);
      return lexDurationExpr;
    case 0x2b:
      l.emit(T.ADD);
      return lexDurationExpr;
    case 0x2d:
      l.emit(T.SUB);
      return lexDurationExpr;
    case 0x2a:
      l.emit(T.MUL);
      return lexDurationExpr;
    case 0x2f:
      l.emit(T.DIV);
      return lexDurationExpr;
    case 0x25:
      l.emit(T.MOD);
      return lexDurationExpr;
    case 0x5e:
      l.emit(T.POW);
      return lexDurationExpr;
    case 0x2c:
      l.emit(T.COMMA);
      return lexDurationExpr;
  }
  if (isSpace(r)) {
    skipSpaces(l);
    return lexDurationExpr;
  }
  if (isDurationKeywordStartChar(r)) {
    if (l.scanDurationKeyword()) return lexDurationExpr;
    return l.errorf(`unexpected character in duration expression: ${goQuoteRune(r)}`);
  }
  if (isDigit(r) || (r === 0x2e && isDigit(l.peek()))) {
    l.backup();
    l.gotDuration = true;
    return lexNumberOrDuration;
  }
  return l.errorf(`unexpected character in duration expression: ${goQuoteRune(r)}`);
}
