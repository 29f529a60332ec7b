// Parser for Prometheus's PromQL test scripts (promql/promqltest/testdata/*.test), following the
// reference runner promql/promqltest/test.go and the series-description grammar of
// promql/parser/generated_parser.y. See /work/shared/promql-testdata/README.md for the language.
import { Labels } from '../../src/labels/labels.ts';
import { STALE_NAN } from '../../src/tsdb/stale.ts';

// ---------------------------------------------------------------------------------------------
// Values

export interface Span {
  offset: number;
  length: number;
}

export type CounterResetHint = 'unknown' | 'reset' | 'not_reset' | 'gauge';

/** A float histogram as written in a `{{…}}` literal (bucket counts absolute, one span per side). */
export interface FloatHistogram {
  schema: number;
  count: number;
  sum: number;
  zeroCount: number;
  zeroThreshold: number;
  positiveSpans: Span[];
  positiveBuckets: number[];
  negativeSpans: Span[];
  negativeBuckets: number[];
  customValues: number[];
  counterResetHint: CounterResetHint;
}

/** One slot of a value sequence (Prometheus parser.SequenceValue). */
export interface SequenceValue {
  omitted: boolean;
  value: number;
  histogram?: FloatHistogram;
  /** True when the histogram literal stated counter_reset_hint explicitly. */
  counterResetHintSet?: boolean;
}

export class ScriptError extends Error {
  override name = 'ScriptError';
}

// ---------------------------------------------------------------------------------------------
// Durations and numbers

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [365 * 24 * 3600e3, 7 * 24 * 3600e3, 24 * 3600e3, 3600e3, 60e3, 1e3, 1];

/** Prometheus model.ParseDuration: `0`, or units y w d h m s ms in this order; returns ms. */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  const m = DURATION_RE.exec(s);
  if (!m || s === '') throw new ScriptError(`not a valid duration string: "${s}"`);
  let ms = 0;
  for (let i = 0; i < 7; i++) if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * UNIT_MS[i]!;
  return ms;
}

function goUnderscoresOk(s: string): boolean {
  // Go allows '_' only between digits (or after a base prefix) in base-prefixed literals.
  if (!s.includes('_')) return true;
  return /^[+-]?(?:0[xXbBoO]_?)?[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*$/.test(s);
}

/** Go strconv.ParseInt(s, 0, 64), returning null on any error (syntax or range). */
function goParseInt0(s: string): number | null {
  if (!goUnderscoresOk(s)) return null;
  const t = s.replace(/_/g, '');
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO]?[0-7]*|[1-9][0-9]*)$/.exec(t);
  if (!m) return null;
  let body = m[2]!;
  let n: bigint;
  if (/^0[0-7]+$/.test(body)) body = '0o' + body.slice(1);
  try {
    n = BigInt(body);
  } catch {
    return null;
  }
  if (m[1] === '-') n = -n;
  if (n > 9223372036854775807n || n < -9223372036854775808n) return null;
  return Number(n);
}

/** Go strconv.ParseFloat(s, 64) for the forms the scripts use (decimal, hex float, inf, nan). */
function goParseFloat(s: string): number | null {
  const lower = s.toLowerCase();
  const sign = lower.startsWith('-') ? -1 : 1;
  const body = lower.replace(/^[+-]/, '');
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan') return s.length === 3 ? NaN : null;
  if (/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(body)) return sign * Number(body);
  const hx = /^0x([0-9a-f]*)(?:\.([0-9a-f]*))?p([+-]?\d+)$/.exec(body);
  if (hx && (hx[1] || hx[2])) {
    const int = hx[1] || '0';
    const frac = hx[2] ?? '';
    const mant = BigInt('0x' + int + frac);
    return sign * Number(mant) * Math.pow(2, Number(hx[3]) - 4 * frac.length);
  }
  return null;
}

/** test.go parseNumber: ParseInt(s, 0, 64) and, failing that, ParseFloat(s, 64). */
export function parseNumber(s: string): number {
  const i = goParseInt0(s);
  if (i !== null) return i;
  const f = goParseFloat(s);
  if (f === null) throw new ScriptError(`error parsing number: ${JSON.stringify(s)}`);
  return f;
}

// ---------------------------------------------------------------------------------------------
// String literals (PromQL: Go-style "…", '…' and raw `…`)

function unquote(src: string, i: number): [string, number] {
  const q = src[i]!;
  let j = i + 1;
  if (q === '`') {
    const end = src.indexOf('`', j);
    if (end < 0) throw new ScriptError('unterminated raw string');
    return [src.slice(j, end), end + 1];
  }
  let out = '';
  while (j < src.length) {
    const c = src[j]!;
    if (c === q) return [out, j + 1];
    if (c === '\n') break;
    if (c !== '\\') {
      out += c;
      j++;
      continue;
    }
    const e = src[j + 1];
    j += 2;
    switch (e) {
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '"': case "'": out += e; break;
      case 'x': {
        // \xHH is a byte; collect a run of them and decode as UTF-8.
        const bytes: number[] = [parseInt(src.slice(j, j + 2), 16)];
        j += 2;
        while (src[j] === '\\' && src[j + 1] === 'x') {
          bytes.push(parseInt(src.slice(j + 2, j + 4), 16));
          j += 4;
        }
        out += new TextDecoder().decode(new Uint8Array(bytes));
        break;
      }
      case 'u': out += String.fromCodePoint(parseInt(src.slice(j, j + 4), 16)); j += 4; break;
      case 'U': out += String.fromCodePoint(parseInt(src.slice(j, j + 8), 16)); j += 8; break;
      default:
        if (e !== undefined && e >= '0' && e <= '7') {
          out += String.fromCharCode(parseInt(src.slice(j - 1, j + 2), 8));
          j += 2;
          break;
        }
        throw new ScriptError(`unknown escape sequence \\${e ?? ''}`);
    }
  }
  throw new ScriptError('unterminated quoted string');
}

/** Go strconv.Unquote for a whole string literal ("…", `…`, or a one-character '…'). */
export function goUnquote(s: string): string {
  if (s.length < 2 || (s[0] !== '"' && s[0] !== '`' && s[0] !== "'")) throw new ScriptError('invalid syntax');
  const [v, end] = unquote(s, 0);
  if (end !== s.length) throw new ScriptError('invalid syntax');
  return v;
}

// ---------------------------------------------------------------------------------------------
// Series descriptions: `name{l="v",…} <values>`

const isIdentStart = (c: string): boolean => /[A-Za-z_:]/.test(c);
const isIdentChar = (c: string): boolean => /[A-Za-z0-9_:]/.test(c);

/** Parses a metric `name`, `name{…}` or `{…}` at the start of `s`; returns labels and the rest. */
export function parseMetric(s: string): { labels: Labels; rest: string } {
  let i = 0;
  const pairs: [string, string][] = [];
  let name = '';
  if (isIdentStart(s[0] ?? '')) {
    while (i < s.length && isIdentChar(s[i]!)) i++;
    name = s.slice(0, i);
  }
  const skip = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  if (s[i] === '{') {
    i++;
    for (;;) {
      skip();
      if (s[i] === '}') {
        i++;
        break;
      }
      let lname: string;
      if (s[i] === '"' || s[i] === "'" || s[i] === '`') [lname, i] = unquote(s, i);
      else if (isIdentStart(s[i] ?? '')) {
        const st = i;
        while (i < s.length && isIdentChar(s[i]!)) i++;
        lname = s.slice(st, i);
      } else throw new ScriptError(`unexpected character in label set: ${JSON.stringify(s[i] ?? 'EOF')} in ${JSON.stringify(s)}`);
      skip();
      if (s[i] === ',' || s[i] === '}') {
        // A lone quoted string is the metric name.
        if (name !== '') throw new ScriptError(`metric name given twice in ${JSON.stringify(s)}`);
        name = lname;
      } else {
        if (s[i] !== '=') throw new ScriptError(`expected "=" after label name in ${JSON.stringify(s)}`);
        i++;
        skip();
        if (s[i] !== '"' && s[i] !== "'" && s[i] !== '`') throw new ScriptError(`expected label value string in ${JSON.stringify(s)}`);
        let v: string;
        [v, i] = unquote(s, i);
        pairs.push([lname, v]);
        skip();
      }
      if (s[i] === ',') i++;
      else if (s[i] !== '}') throw new ScriptError(`expected "," or "}" in ${JSON.stringify(s)}`);
    }
  } else if (name === '') throw new ScriptError(`no metric in ${JSON.stringify(s)}`);
  if (name !== '') pairs.push(['__name__', name]);
  return { labels: Labels.fromPairs(pairs), rest: s.slice(i) };
}

/** Splits a value sequence at whitespace outside `{{…}}`. */
function splitItems(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '{' && s[i + 1] === '{') {
      depth++;
      cur += '{{';
      i++;
      continue;
    }
    if (c === '}' && s[i + 1] === '}' && depth > 0) {
      depth--;
      cur += '}}';
      i++;
      continue;
    }
    if ((c === ' ' || c === '\t') && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (depth !== 0) throw new ScriptError(`unterminated histogram literal in ${JSON.stringify(s)}`);
  if (cur) out.push(cur);
  return out;
}

const NUM_SRC = String.raw`(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9]+)?|[iI][nN][fF]|[nN][aA][nN]`;
const ITEM_RE = new RegExp(`^([+-]?(?:${NUM_SRC})|stale)(?:([+-](?:${NUM_SRC})))?(?:x([0-9]+))?$`);

function seriesNumber(tok: string): number {
  if (tok === 'stale') return STALE_NAN;
  // The series lexer has no hex; ParseInt base 0 still treats a leading 0 as octal.
  return parseNumber(tok);
}

/** Expands one value item of a series description. */
export function expandItem(item: string): SequenceValue[] {
  if (item === '_') return [{ omitted: true, value: 0 }];
  let m = /^_x([0-9]+)$/.exec(item);
  if (m) return Array.from({ length: Number(m[1]) }, () => ({ omitted: true, value: 0 }));
  if (item.startsWith('{{')) return expandHistogramItem(item);
  m = ITEM_RE.exec(item);
  if (!m) throw new ScriptError(`unexpected series value ${JSON.stringify(item)}`);
  let a = seriesNumber(m[1]!);
  if (m[2] !== undefined && m[3] === undefined) throw new ScriptError(`expected "x<count>" in ${JSON.stringify(item)}`);
  if (m[3] === undefined) return [{ omitted: false, value: a }];
  const k = Number(m[3]);
  const out: SequenceValue[] = [];
  if (m[2] === undefined) {
    for (let i = 0; i <= k; i++) out.push({ omitted: false, value: a });
    return out;
  }
  const b = parseNumber(m[2]);
  for (let i = 0; i <= k; i++) {
    out.push({ omitted: false, value: a });
    a += b; // repeated addition, as the reference parser does
  }
  return out;
}

/** Parses a whitespace-separated value sequence. */
export function parseSequence(s: string): SequenceValue[] {
  const out: SequenceValue[] = [];
  for (const item of splitItems(s.trim())) out.push(...expandItem(item));
  return out;
}

/** Parses a series description line: metric then values (parser.ParseSeriesDesc). */
export function parseSeriesDesc(line: string): { labels: Labels; values: SequenceValue[] } {
  const { labels, rest } = parseMetric(line.trim());
  if (rest !== '' && rest[0] !== ' ' && rest[0] !== '\t') throw new ScriptError(`unexpected ${JSON.stringify(rest)} after metric`);
  return { labels, values: parseSequence(rest) };
}

// ---------------------------------------------------------------------------------------------
// Histogram literals

function emptyHistogram(): FloatHistogram {
  return {
    schema: 0, count: 0, sum: 0, zeroCount: 0, zeroThreshold: 0,
    positiveSpans: [], positiveBuckets: [], negativeSpans: [], negativeBuckets: [],
    customValues: [], counterResetHint: 'unknown',
  };
}

/** Parses one `{{…}}` literal. Returns the histogram and whether counter_reset_hint was given. */
export function parseHistogramLiteral(src: string): { h: FloatHistogram; hintSet: boolean } {
  const t = src.trim();
  if (!t.startsWith('{{') || !t.endsWith('}}')) throw new ScriptError(`not a histogram literal: ${src}`);
  const body = t.slice(2, -2);
  const h = emptyHistogram();
  let hintSet = false;
  let offset = 0;
  let nOffset = 0;
  let i = 0;
  const num = (tok: string, what: string): number => {
    const s = tok.replace(/^\+/, '');
    try {
      return parseNumber(s);
    } catch {
      throw new ScriptError(`error parsing ${what} number: ${tok}`);
    }
  };
  const int = (tok: string, what: string): number => {
    if (!/^[+-]?[0-9]+$/.test(tok)) throw new ScriptError(`error parsing ${what} number: ${tok}`);
    return Number(tok);
  };
  while (i < body.length) {
    while (body[i] === ' ' || body[i] === '\t') i++;
    if (i >= body.length) break;
    const colon = body.indexOf(':', i);
    if (colon < 0) throw new ScriptError(`bad histogram description near ${JSON.stringify(body.slice(i))}`);
    const key = body.slice(i, colon).trim();
    i = colon + 1;
    while (body[i] === ' ') i++;
    let val: string;
    if (body[i] === '[') {
      const end = body.indexOf(']', i);
      if (end < 0) throw new ScriptError('unterminated bucket list');
      val = body.slice(i, end + 1);
      i = end + 1;
    } else {
      const st = i;
      while (i < body.length && body[i] !== ' ' && body[i] !== '\t') i++;
      val = body.slice(st, i);
    }
    const list = (): number[] => {
      if (!val.startsWith('[')) throw new ScriptError(`expected a bucket list for ${key}`);
      return val.slice(1, -1).trim().split(/\s+/).filter((x) => x !== '').map((x) => num(x, key));
    };
    switch (key) {
      case 'schema': h.schema = int(val, key); break;
      case 'sum': h.sum = num(val, key); break;
      case 'count': h.count = num(val, key); break;
      case 'z_bucket': h.zeroCount = num(val, key); break;
      case 'z_bucket_w': h.zeroThreshold = num(val, key); break;
      case 'custom_values': h.customValues = list(); break;
      case 'buckets': h.positiveBuckets = list(); break;
      case 'offset': offset = int(val, key); break;
      case 'n_buckets': h.negativeBuckets = list(); break;
      case 'n_offset': nOffset = int(val, key); break;
      case 'counter_reset_hint':
        if (val !== 'unknown' && val !== 'reset' && val !== 'not_reset' && val !== 'gauge') {
          throw new ScriptError(`error parsing counter_reset_hint: unknown value ${val}`);
        }
        h.counterResetHint = val;
        hintSet = true;
        break;
      default:
        throw new ScriptError(`unexpected histogram description key ${JSON.stringify(key)}`);
    }
  }
  if (h.positiveBuckets.length > 0) h.positiveSpans = [{ offset, length: h.positiveBuckets.length }];
  if (h.negativeBuckets.length > 0) h.negativeSpans = [{ offset: nOffset, length: h.negativeBuckets.length }];
  return { h, hintSet };
}

/** Absolute bucket index → count. */
function bucketMap(spans: Span[], buckets: number[]): Map<number, number> {
  const m = new Map<number, number>();
  let idx = 0;
  let b = 0;
  for (const sp of spans) {
    idx += sp.offset;
    for (let k = 0; k < sp.length; k++) m.set(idx + k, buckets[b++] ?? 0);
    idx += sp.length;
  }
  return m;
}

/** Rebuilds spans/buckets from an index map (sorted, gaps split spans). */
function fromBucketMap(m: Map<number, number>): { spans: Span[]; buckets: number[] } {
  const idxs = [...m.keys()].sort((a, b) => a - b);
  const spans: Span[] = [];
  const buckets: number[] = [];
  let prevEnd = 0;
  for (const ix of idxs) {
    const last = spans[spans.length - 1];
    if (last && ix === prevEnd) last.length++;
    else spans.push({ offset: spans.length === 0 ? ix : ix - prevEnd, length: 1 });
    buckets.push(m.get(ix)!);
    prevEnd = ix + 1;
  }
  return { spans, buckets };
}

/** Reduces an exponential-bucket index from schema `from` to the coarser schema `to`. */
function reduceIndex(ix: number, from: number, to: number): number {
  return ((ix - 1) >> (from - to)) + 1;
}

/** h + sign·d, as FloatHistogram.Add/Sub (d's schema must not be coarser than h's). */
export function addHistogram(h: FloatHistogram, d: FloatHistogram, sign: 1 | -1): FloatHistogram {
  if (d.schema < h.schema) {
    throw new ScriptError(`error combining histograms: cannot merge from schema ${d.schema} to ${h.schema}`);
  }
  if ((h.schema === -53) !== (d.schema === -53)) throw new ScriptError('cannot combine exponential and custom-bucket histograms');
  const combine = (hs: Span[], hb: number[], ds: Span[], db: number[]): { spans: Span[]; buckets: number[] } => {
    const m = bucketMap(hs, hb);
    for (const [ix, c] of bucketMap(ds, db)) {
      const tix = h.schema === -53 ? ix : reduceIndex(ix, d.schema, h.schema);
      m.set(tix, (m.get(tix) ?? 0) + sign * c);
    }
    return fromBucketMap(m);
  };
  const pos = combine(h.positiveSpans, h.positiveBuckets, d.positiveSpans, d.positiveBuckets);
  const neg = combine(h.negativeSpans, h.negativeBuckets, d.negativeSpans, d.negativeBuckets);
  return {
    schema: h.schema,
    count: h.count + sign * d.count,
    sum: h.sum + sign * d.sum,
    zeroCount: h.zeroCount + sign * d.zeroCount,
    zeroThreshold: Math.max(h.zeroThreshold, d.zeroThreshold),
    positiveSpans: pos.spans,
    positiveBuckets: pos.buckets,
    negativeSpans: neg.spans,
    negativeBuckets: neg.buckets,
    customValues: h.customValues.slice(),
    counterResetHint: h.counterResetHint,
  };
}

function expandHistogramItem(item: string): SequenceValue[] {
  const close = item.indexOf('}}');
  if (close < 0) throw new ScriptError(`unterminated histogram literal ${item}`);
  const first = parseHistogramLiteral(item.slice(0, close + 2));
  let rest = item.slice(close + 2);
  const one = (h: FloatHistogram, hintSet: boolean): SequenceValue => ({ omitted: false, value: 0, histogram: h, counterResetHintSet: hintSet });
  if (rest === '') return [one(first.h, first.hintSet)];
  let m = /^x([0-9]+)$/.exec(rest);
  if (m) return Array.from({ length: Number(m[1]) + 1 }, () => one(first.h, first.hintSet));
  if (rest[0] !== '+' && rest[0] !== '-') throw new ScriptError(`unexpected ${JSON.stringify(rest)} after histogram`);
  const sign = rest[0] === '+' ? 1 : -1;
  rest = rest.slice(1);
  const close2 = rest.indexOf('}}');
  if (!rest.startsWith('{{') || close2 < 0) throw new ScriptError(`expected histogram increment in ${item}`);
  const inc = parseHistogramLiteral(rest.slice(0, close2 + 2));
  m = /^x([0-9]+)$/.exec(rest.slice(close2 + 2));
  if (!m) throw new ScriptError(`expected "x<count>" after histogram increment in ${item}`);
  const out: SequenceValue[] = [];
  let cur = first.h;
  for (let i = 0; i <= Number(m[1]); i++) {
    out.push(one(cur, first.hintSet));
    cur = addHistogram(cur, inc.h, sign);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// @st start-timestamp lines

/** True for `name{…}@st <items>` lines (test.go isSTLine). */
export function isSTLine(line: string): boolean {
  const sp = line.search(/[ \t]/);
  return sp >= 0 && line.slice(0, sp).endsWith('@st');
}

function parseDurationPrefix(s: string): [number, string] {
  let i = 0;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    i++;
  }
  const st = i;
  while (i < s.length && s[i]! >= '0' && s[i]! <= '9') i++;
  if (i === st) throw new ScriptError(`expected digits in duration ${JSON.stringify(s)}`);
  while (i < s.length && /[A-Za-z]/.test(s[i]!) && s[i] !== 'x') i++;
  const ms = parseDuration(s.slice(st, i));
  return [neg ? -ms : ms, s.slice(i)];
}

/** Expands one @st item into offsets (ms) per slot. */
export function expandSTItem(item: string): SequenceValue[] {
  if (item === '_') return [{ omitted: true, value: 0 }];
  if (item.startsWith('_x')) {
    const n = Number(item.slice(2));
    if (!/^[0-9]+$/.test(item.slice(2)) || n === 0) throw new ScriptError('invalid repeat count');
    return Array.from({ length: n }, () => ({ omitted: true, value: 0 }));
  }
  const [base, rest] = parseDurationPrefix(item);
  if (rest === '') return [{ omitted: false, value: base }];
  if (rest[0] === 'x') {
    if (!/^[0-9]+$/.test(rest.slice(1))) throw new ScriptError('invalid repeat count');
    return Array.from({ length: Number(rest.slice(1)) + 1 }, () => ({ omitted: false, value: base }));
  }
  if (rest[0] !== '+' && rest[0] !== '-') throw new ScriptError(`unexpected character ${JSON.stringify(rest[0])} after duration`);
  let [delta, rest2] = parseDurationPrefix(rest.slice(1));
  if (rest[0] === '-') delta = -delta;
  if (rest2[0] !== 'x' || !/^[0-9]+$/.test(rest2.slice(1))) throw new ScriptError("expected 'x<count>' after step duration");
  const out: SequenceValue[] = [];
  let off = base;
  for (let i = 0; i <= Number(rest2.slice(1)); i++) {
    out.push({ omitted: false, value: off });
    off += delta;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Commands

export interface LoadSeries {
  labels: Labels;
  values: SequenceValue[];
  /** Start-timestamp offsets (ms, relative to each sample) from a preceding `@st` line. */
  st?: SequenceValue[];
}

export interface LoadCmd {
  type: 'load';
  line: number;
  /** Interval between slots, ms. */
  interval: number;
  withNHCB: boolean;
  /** In order of first appearance; a later line for the same series replaces the earlier one. */
  series: LoadSeries[];
}

export interface ClearCmd {
  type: 'clear';
  line: number;
}

/** An `expect fail|warn|info` matcher: exact message, or unanchored regex. */
export interface ExpectMatch {
  message?: string;
  regex?: RegExp;
}

export interface ExpectedSeries {
  /** 1-based position among the block's lines (for `ordered`). */
  pos: number;
  labels: Labels;
  values: SequenceValue[];
}

export interface EvalCmd {
  type: 'eval';
  /** 1-based line of the eval command. */
  line: number;
  expr: string;
  isRange: boolean;
  /** ms; for instant evals start = evalTime. */
  start: number;
  end: number;
  step: number;
  evalTime: number;
  /** Legacy `eval_fail` / `eval_warn` / `eval_info` / `eval_ordered`. */
  fail: boolean;
  warn: boolean;
  info: boolean;
  ordered: boolean;
  expectedFailMessage?: string;
  expectedFailRegexp?: RegExp;
  expectFail: ExpectMatch[];
  expectWarn: ExpectMatch[];
  expectInfo: ExpectMatch[];
  noWarn: boolean;
  noInfo: boolean;
  expectOrdered: boolean;
  expectScalar: boolean;
  /** Keyed by Labels.key (a later line for the same series replaces the earlier one); scalar under ''. */
  expected: Map<string, ExpectedSeries>;
  expectedString?: string;
  expectRangeVector: boolean;
  excludeFromRangeQuery: boolean;
  /** True when some expected value is a histogram literal. */
  expectsHistogram: boolean;
}

export type Command = LoadCmd | ClearCmd | EvalCmd;

export function isOrdered(ev: EvalCmd): boolean {
  return ev.ordered || ev.expectOrdered;
}

export function isFail(ev: EvalCmd): boolean {
  return ev.fail || ev.expectFail.length > 0;
}

/** Go's zero time (0001-01-01T00:00:00Z) in ms: the `end` of an instant eval. */
export const GO_ZERO_TIME_MS = -62135596800000;

const RE_LOAD = /^load(?:_(with_nhcb))?\s+(.+?)$/;
const RE_EVAL_INSTANT = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;
const RE_EVAL_RANGE = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/;
const RE_EXPECT = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/;
const RE_EXPECT_RANGE = /^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$/;

function raise(line: number, msg: string): ScriptError {
  return new ScriptError(`line ${line + 1}: ${msg}`);
}

/** Compiles an RE2 pattern for unanchored search (the scripts use the common subset). */
export function compileSearchRegex(re: string): RegExp {
  try {
    return new RegExp(re);
  } catch (e) {
    throw new ScriptError(`invalid regex ${re}: ${(e as Error).message}`);
  }
}

function parseLoad(lines: string[], i: number): [number, LoadCmd] {
  const m = RE_LOAD.exec(lines[i]!);
  if (!m) throw raise(i, 'invalid load command. (load[_with_nhcb] <step:duration>)');
  const cmd: LoadCmd = { type: 'load', line: i + 1, interval: parseDuration(m[2]!), withNHCB: m[1] === 'with_nhcb', series: [] };
  const index = new Map<string, number>();
  let pending: { labels: Labels; vals: SequenceValue[]; line: number } | null = null;
  while (i + 1 < lines.length) {
    i++;
    const def = lines[i]!;
    if (def === '') {
      i--;
      break;
    }
    try {
      if (isSTLine(def)) {
        if (pending) throw raise(pending.line, '@st line has no following sample line');
        const sp = def.search(/[ \t]/);
        const { labels } = parseSeriesDesc(def.slice(0, sp).replace(/@st$/, '') + ' _');
        const vals: SequenceValue[] = [];
        for (const it of def.slice(sp + 1).trim().split(/\s+/)) vals.push(...expandSTItem(it));
        pending = { labels, vals, line: i };
        continue;
      }
      const { labels, values } = parseSeriesDesc(def);
      let st: SequenceValue[] | undefined;
      if (pending) {
        if (!labels.equals(pending.labels)) throw raise(pending.line, '@st metric does not match the following sample line metric');
        if (pending.vals.length !== values.length) {
          throw raise(pending.line, `@st line has ${pending.vals.length} values but sample line has ${values.length}`);
        }
        st = pending.vals;
        pending = null;
      }
      const entry: LoadSeries = st ? { labels, values, st } : { labels, values };
      const at = index.get(labels.key);
      if (at !== undefined) cmd.series[at] = entry;
      else {
        index.set(labels.key, cmd.series.length);
        cmd.series.push(entry);
      }
    } catch (e) {
      if (e instanceof ScriptError && e.message.startsWith('line ')) throw e;
      throw raise(i, (e as Error).message);
    }
  }
  if (pending) throw raise(pending.line, '@st line has no following sample line');
  return [i, cmd];
}

function parseExpect(line: string): { kind: string; match: ExpectMatch } {
  const m = RE_EXPECT.exec(line.trim());
  if (!m) throw new ScriptError('invalid expect statement, must match `expect <type> <match_type>: <string>` format');
  if (m[2] === 'msg') return { kind: m[1]!, match: { message: m[3]!.trim() } };
  if (m[2] === 'regex') return { kind: m[1]!, match: { regex: compileSearchRegex(m[3]!.trim()) } };
  return { kind: m[1]!, match: { regex: /^.*$/ } };
}

function parseEval(lines: string[], i: number): [number, EvalCmd] {
  const l = lines[i]!;
  const im = RE_EVAL_INSTANT.exec(l);
  const rm = RE_EVAL_RANGE.exec(l);
  if (!im && !rm) {
    throw raise(i, "invalid evaluation command. Must be either 'eval[_fail|_warn|_ordered] instant [at <offset:duration>] <query>' or 'eval[_fail|_warn] range from <from> to <to> step <step> <query>'");
  }
  const isInstant = im !== null;
  const mod = isInstant ? im[1] : rm![1];
  const expr = isInstant ? im[3]! : rm![5]!;
  const fmtErr = (msg: string): ScriptError => new ScriptError(`error in eval ${expr} (line ${i + 1}): ${msg}`);
  const cmd: EvalCmd = {
    type: 'eval', line: i + 1, expr, isRange: !isInstant, start: 0, end: GO_ZERO_TIME_MS, step: 0, evalTime: 0,
    fail: mod === 'fail', warn: mod === 'warn', info: mod === 'info', ordered: mod === 'ordered',
    expectFail: [], expectWarn: [], expectInfo: [], noWarn: false, noInfo: false, expectOrdered: false,
    expectScalar: false, expected: new Map(), expectRangeVector: false, excludeFromRangeQuery: false, expectsHistogram: false,
  };
  const durations = (from: string, to: string, step: string): [number, number, number] => {
    let f: number, t: number, s: number;
    try {
      f = parseDuration(from);
    } catch (e) {
      throw fmtErr(`invalid start timestamp definition "${from}": ${(e as Error).message}`);
    }
    try {
      t = parseDuration(to);
    } catch (e) {
      throw fmtErr(`invalid end timestamp definition "${to}": ${(e as Error).message}`);
    }
    if (t < f) throw fmtErr(`invalid test definition, end timestamp (${to}) is before start timestamp (${from})`);
    try {
      s = parseDuration(step);
    } catch (e) {
      throw fmtErr(`invalid step definition "${step}": ${(e as Error).message}`);
    }
    return [f, t, s];
  };
  if (isInstant) {
    const at = im[2] ?? '';
    try {
      cmd.start = cmd.evalTime = parseDuration(at);
    } catch (e) {
      throw fmtErr(`invalid timestamp definition "${at}": ${(e as Error).message}`);
    }
  } else {
    [cmd.start, cmd.end, cmd.step] = durations(rm![2]!, rm![3]!, rm![4]!);
  }
  for (let j = 1; i + 1 < lines.length; j++) {
    i++;
    const def = lines[i]!;
    if (def === '') {
      i--;
      break;
    }
    if (cmd.fail && def.startsWith('expected_fail_message')) {
      cmd.expectedFailMessage = def.slice('expected_fail_message'.length).trim();
      break;
    }
    if (cmd.fail && def.startsWith('expected_fail_regexp')) {
      cmd.expectedFailRegexp = compileSearchRegex(def.slice('expected_fail_regexp'.length).trim());
      break;
    }
    if (def.startsWith('expect range vector')) {
      const m = RE_EXPECT_RANGE.exec(def);
      if (!m) throw fmtErr(`invalid range vector definition "${def}"`);
      const [f, t, s] = durations(m[1]!, m[2]!, m[3]!);
      cmd.expectRangeVector = true;
      cmd.start = f;
      cmd.end = t;
      cmd.step = s;
      cmd.evalTime = t;
      cmd.excludeFromRangeQuery = true;
      continue;
    }
    if (def.startsWith('expect string')) {
      if (def === 'expect string') throw fmtErr('expected string literal not valid - a quoted string literal is required');
      const str = def.startsWith('expect string ') ? def.slice('expect string '.length) : '';
      if (str === '') throw fmtErr('expected string literal not valid - a quoted string literal is required');
      try {
        cmd.expectedString = goUnquote(str);
      } catch {
        throw fmtErr('expected string literal not valid - check that the string is correctly quoted');
      }
      cmd.excludeFromRangeQuery = true;
      continue;
    }
    if (def.split(' ')[0] === 'expect') {
      let e: { kind: string; match: ExpectMatch };
      try {
        e = parseExpect(def);
      } catch (err) {
        throw fmtErr((err as Error).message);
      }
      switch (e.kind) {
        case 'fail': cmd.expectFail.push(e.match); break;
        case 'warn': cmd.expectWarn.push(e.match); break;
        case 'info': cmd.expectInfo.push(e.match); break;
        case 'no_warn': cmd.noWarn = true; break;
        case 'no_info': cmd.noInfo = true; break;
        case 'ordered': cmd.expectOrdered = true; break;
      }
      j--;
      if (cmd.expectInfo.length > 0 && cmd.noInfo) throw fmtErr('invalid expect lines, info and no_info cannot be used together');
      if (cmd.expectWarn.length > 0 && cmd.noWarn) throw fmtErr('invalid expect lines, warn and no_warn cannot be used together');
      if (cmd.expectFail.length > 1) throw fmtErr('invalid expect lines, multiple expect fail lines are not allowed');
      continue;
    }
    let num: number | null = null;
    try {
      num = parseNumber(def);
    } catch {
      num = null;
    }
    if (num !== null) {
      cmd.expectScalar = true;
      cmd.expected.set('', { pos: 0, labels: Labels.EMPTY, values: [{ omitted: false, value: num }] });
      break;
    }
    let desc: { labels: Labels; values: SequenceValue[] };
    try {
      desc = parseSeriesDesc(def);
    } catch (e) {
      throw raise(i, (e as Error).message);
    }
    if (desc.values.length > 1 && isInstant && !cmd.expectRangeVector) {
      throw fmtErr("expecting multiple values in instant evaluation not allowed. consider using 'expect range vector' directive to enable a range vector result for an instant query");
    }
    if (desc.values.some((v) => v.histogram)) cmd.expectsHistogram = true;
    cmd.expectScalar = false;
    cmd.expected.set(desc.labels.key, { pos: j, labels: desc.labels, values: desc.values });
  }
  return [i, cmd];
}

/** Trimmed lines with comment lines blanked (test.go getLines). */
export function getLines(input: string): string[] {
  return input.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
}

/** Parses a whole script into commands. Throws ScriptError with the line number. */
export function parseScript(input: string): Command[] {
  const lines = getLines(input);
  const cmds: Command[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === '') continue;
    const c = l.split(/[\t ]+/, 1)[0]!.toLowerCase();
    if (c === 'clear') cmds.push({ type: 'clear', line: i + 1 });
    else if (c.startsWith('load')) {
      const [ni, cmd] = parseLoad(lines, i);
      i = ni;
      cmds.push(cmd);
    } else if (c.startsWith('eval')) {
      const [ni, cmd] = parseEval(lines, i);
      i = ni;
      cmds.push(cmd);
    } else throw raise(i, `invalid command ${JSON.stringify(l)}`);
  }
  return cmds;
}
