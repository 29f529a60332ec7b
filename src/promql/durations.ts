// Durations as Prometheus handles them: `model.ParseDuration` / `model.Duration.String()` from
// prometheus/common (millisecond granularity, units y w d h m s ms in strictly descending order),
// and evaluation of Prometheus 3 duration expressions (`[5m+30s]`, `offset (1h - step())`, …).
import type { DurationExpr } from './ast.ts';

const MS_PER: Record<string, { pos: number; ms: bigint }> = {
  ms: { pos: 7, ms: 1n },
  s: { pos: 6, ms: 1000n },
  m: { pos: 5, ms: 60_000n },
  h: { pos: 4, ms: 3_600_000n },
  d: { pos: 3, ms: 86_400_000n },
  w: { pos: 2, ms: 604_800_000n },
  y: { pos: 1, ms: 31_536_000_000n },
};

const NS_PER_MS = 1_000_000n;
const MAX_INT64 = (1n << 63n) - 1n;

export class DurationError extends Error {
  override name = 'DurationError';
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Parses a Prometheus duration (`1h30m`, `5m`, `1d`, `1w`, `1y`, `10s53ms`, `0`) to milliseconds,
 * with the exact error texts of prometheus/common `model.ParseDuration`.
 */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  if (s === '') throw new DurationError('empty duration string');
  const orig = s;
  let durNs = 0n;
  let lastUnitPos = 0;
  let i = 0;
  while (i < s.length) {
    if (!isDigit(s.charCodeAt(i))) throw new DurationError(`not a valid duration string: ${goQuoteString(orig)}`);
    let j = i;
    while (j < s.length && isDigit(s.charCodeAt(j))) j++;
    const v = BigInt(s.slice(i, j));
    if (v > 0xffff_ffff_ffff_ffffn) throw new DurationError(`not a valid duration string: ${goQuoteString(orig)}`);
    let k = j;
    while (k < s.length && !isDigit(s.charCodeAt(k))) k++;
    if (k === j) throw new DurationError(`not a valid duration string: ${goQuoteString(orig)}`);
    const u = s.slice(j, k);
    const unit = Object.prototype.hasOwnProperty.call(MS_PER, u) ? MS_PER[u] : undefined;
    if (!unit) throw new DurationError(`unknown unit ${goQuoteString(u)} in duration ${goQuoteString(orig)}`);
    if (unit.pos <= lastUnitPos) throw new DurationError(`not a valid duration string: ${goQuoteString(orig)}`);
    lastUnitPos = unit.pos;
    const multNs = unit.ms * NS_PER_MS;
    if (v > (1n << 63n) / multNs) throw new DurationError('duration out of range');
    durNs += v * multNs;
    if (durNs > MAX_INT64) throw new DurationError('duration out of range');
    i = k;
  }
  return Number(durNs / NS_PER_MS);
}

/** Formats milliseconds like `model.Duration.String()` (`1h30m`, `90d`, `2w`, `0s`, `-5m`). */
export function formatDuration(msIn: number): string {
  let ms = Math.trunc(msIn);
  if (ms === 0) return '0s';
  let sign = '';
  if (ms < 0) {
    sign = '-';
    ms = -ms;
  }
  let r = '';
  const f = (unit: string, mult: number, exact: boolean): void => {
    if (exact && ms % mult !== 0) return;
    const v = Math.floor(ms / mult);
    if (v > 0) {
      r += `${v}${unit}`;
      ms -= v * mult;
    }
  };
  f('y', 31_536_000_000, true);
  f('w', 604_800_000, true);
  f('d', 86_400_000, false);
  f('h', 3_600_000, false);
  f('m', 60_000, false);
  f('s', 1000, false);
  f('ms', 1, false);
  return sign + r;
}

/** Seconds (float, as the parser keeps number literals) to whole milliseconds, as Go's
 *  `time.Duration(math.Round(v*1e9))` followed by a millisecond truncation. */
export function secondsToMs(sec: number): number {
  const ns = Math.round(sec * 1e9);
  return Math.trunc(ns / 1e6);
}

export interface DurationContext {
  /** Query step in ms (0 for instant queries). */
  stepMs: number;
  /** Query range (end - start) in ms (0 for instant queries). */
  rangeMs: number;
}

/**
 * Evaluates a duration expression to milliseconds like Prometheus' engine (`promql/durations.go`
 * calculateDuration): arithmetic in float seconds, then NaN/Inf, sign and range checks, then
 * `time.Duration(seconds*1000) * time.Millisecond` (truncation toward zero). Errors carry the
 * `start:end` byte range of the expression as Prometheus' do.
 */
export function evalDurationExpr(e: DurationExpr, ctx: DurationContext, allowNegative = true): number {
  const sec = evalSeconds(e, ctx);
  const where = `${e.pos.start}:${e.pos.end}`;
  if (!Number.isFinite(sec)) throw new DurationError(`${where}: duration is NaN or infinite`);
  if (sec <= 0 && !allowNegative) throw new DurationError(`${where}: duration must be greater than 0`);
  if (sec > 9223372036.854775807 || sec < -9223372036.854775808) throw new DurationError(`${where}: duration is out of range`);
  return Math.trunc(sec * 1000);
}

function evalSeconds(e: DurationExpr, ctx: DurationContext): number {
  switch (e.type) {
    case 'DurationLiteral':
      return e.seconds ?? e.ms / 1000;
    case 'DurationUnary': {
      const v = evalSeconds(e.expr, ctx);
      return e.op === '-' ? -v : v;
    }
    case 'DurationCall':
      switch (e.func) {
        case 'step':
          return ctx.stepMs / 1000;
        case 'range':
          return ctx.rangeMs / 1000;
        case 'min': {
          const [a, b] = e.args;
          if (!a || !b) throw new DurationError('min_of requires two arguments');
          return Math.min(evalSeconds(a, ctx), evalSeconds(b, ctx));
        }
        case 'max': {
          const [a, b] = e.args;
          if (!a || !b) throw new DurationError('max_of requires two arguments');
          return Math.max(evalSeconds(a, ctx), evalSeconds(b, ctx));
        }
      }
      break;
    case 'DurationBinary': {
      const l = evalSeconds(e.lhs, ctx);
      const r = evalSeconds(e.rhs, ctx);
      switch (e.op) {
        case '+':
          return l + r;
        case '-':
          return l - r;
        case '*':
          return l * r;
        case '/':
          if (r === 0) throw new DurationError(`${e.pos.start}:${e.pos.end}: division by zero`);
          return l / r;
        case '%':
          if (r === 0) throw new DurationError(`${e.pos.start}:${e.pos.end}: modulo by zero`);
          return l % r;
        case '^':
          return Math.pow(l, r);
      }
    }
  }
  throw new DurationError('unknown duration expression');
}

// ---- Go string quoting helpers shared by the lexer, parser and printer ----

const PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u;

function isGoPrint(cp: number): boolean {
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp < 0x7f) return true;
  if (cp === 0xfffd) return true;
  return PRINTABLE.test(String.fromCodePoint(cp));
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function escapeRune(cp: number, quote: number): string {
  if (cp === quote || cp === 0x5c) return '\\' + String.fromCodePoint(cp);
  if (isGoPrint(cp)) return String.fromCodePoint(cp);
  switch (cp) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
  }
  if (cp < 0x20 || cp === 0x7f) return '\\x' + hex(cp, 2);
  // An invalid byte of a Go string, carried as a lone surrogate U+DC80–U+DCFF (see the parser's
  // decodeGoBytes): Go's strconv.Quote writes it back as \xNN.
  if (cp >= 0xdc80 && cp <= 0xdcff) return '\\x' + hex(cp - 0xdc00, 2);
  if (cp >= 0xd800 && cp < 0xe000) return '\\ufffd';
  if (cp < 0x10000) return '\\u' + hex(cp, 4);
  return '\\U' + hex(cp, 8);
}

/** Go `strconv.Quote` (`%q` for strings). */
export function goQuoteString(s: string): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch.codePointAt(0) ?? 0, 0x22);
  return out + '"';
}

/** Go `strconv.QuoteRune` (`%q` for a rune). */
export function goQuoteRune(cp: number): string {
  return "'" + escapeRune(cp, 0x27) + "'";
}

/** Go `%#U` formatting of a rune: `U+0041 'A'`. */
export function goRuneU(cp: number): string {
  const u = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
  return isGoPrint(cp) ? `${u} '${String.fromCodePoint(cp)}'` : u;
}
