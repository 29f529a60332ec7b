// Label matchers with Prometheus semantics: `=`, `!=`, `=~`, `!~`. Regexes are RE2 syntax, fully
// anchored, `.` matches newlines (Prometheus 3). RE2 patterns are translated to JavaScript RegExp;
// constructs JavaScript cannot express the same way are rejected with a clear error.

export type MatchType = '=' | '!=' | '=~' | '!~';

export class MatcherError extends Error {
  override name = 'MatcherError';
}

export class Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
  private readonly test: (v: string) => boolean;

  constructor(type: MatchType, name: string, value: string) {
    this.type = type;
    this.name = name;
    this.value = value;
    switch (type) {
      case '=':
        this.test = (v) => v === value;
        break;
      case '!=':
        this.test = (v) => v !== value;
        break;
      case '=~': {
        const f = compileAnchoredRegex(value);
        this.test = f;
        break;
      }
      case '!~': {
        const f = compileAnchoredRegex(value);
        this.test = (v) => !f(v);
        break;
      }
      default:
        throw new MatcherError(`unknown match type ${String(type)}`);
    }
  }

  static eq(name: string, value: string): Matcher {
    return new Matcher('=', name, value);
  }

  /** Tests a label value ('' when the label is absent). */
  matches(value: string): boolean {
    return this.test(value);
  }

  /** True when the matcher accepts the empty string, i.e. also series without the label. */
  matchesEmpty(): boolean {
    return this.test('');
  }

  /** For `=~`: the finite set of values it matches (literal alternations), else null. */
  setMatches(): string[] | null {
    if (this.type !== '=~') return null;
    return literalAlternatives(this.value);
  }

  toString(): string {
    return `${this.name}${this.type}${JSON.stringify(this.value)}`;
  }
}

/** Selects series: every matcher must match (label absent = ''). */
export function matchesAll(matchers: readonly Matcher[], get: (name: string) => string): boolean {
  for (const m of matchers) if (!m.matches(get(m.name))) return false;
  return true;
}

const cache = new Map<string, (v: string) => boolean>();

/** Compiles an RE2 pattern into a fully anchored predicate. Throws MatcherError on bad syntax. */
export function compileAnchoredRegex(re: string): (v: string) => boolean {
  const hit = cache.get(re);
  if (hit) return hit;
  const f = buildPredicate(re);
  if (cache.size > 10000) cache.clear();
  cache.set(re, f);
  return f;
}

function buildPredicate(re: string): (v: string) => boolean {
  if (re === '.*') return () => true;
  if (re === '.+') return (v) => v.length > 0;
  const lits = literalAlternatives(re);
  if (lits) {
    if (lits.length === 1) {
      const only = lits[0]!;
      return (v) => v === only;
    }
    const set = new Set(lits);
    return (v) => set.has(v);
  }
  const { source, flags } = translateRE2(re);
  let rx: RegExp;
  try {
    rx = new RegExp(`^(?:${source})$`, flags);
  } catch (e) {
    throw new MatcherError(`error parsing regexp: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}: \`${re}\``);
  }
  // Literal prefix fast path, e.g. "foo.*".
  const m = /^([A-Za-z0-9_:\-/ ]+)\.\*$/.exec(re);
  if (m) {
    const prefix = m[1]!;
    return (v) => v.startsWith(prefix);
  }
  return (v) => rx.test(v);
}

const META = new Set([...'\\.+*?()|[]{}^$']);

/** If `re` is a plain alternation of literals (a|b|c), returns them; else null. */
function literalAlternatives(re: string): string[] | null {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < re.length; i++) {
    const c = re[i]!;
    if (c === '|') {
      out.push(cur);
      cur = '';
    } else if (c === '\\') {
      const n = re[i + 1];
      if (n === undefined || !META.has(n)) return null;
      cur += n;
      i++;
    } else if (META.has(c)) return null;
    else cur += c;
  }
  out.push(cur);
  return out;
}

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** Escapes characters with meaning in a JS unicode-mode regex. */
function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/**
 * Translates RE2 syntax to a JavaScript RegExp source with flags `su` (+`i`).
 * Handles: (?P<name>…), (?i) / (?i:…) / (?s) flags, \Q…\E, \A, \z, [[:class:]], \pL, literal
 * braces/brackets RE2 accepts. Rejects what RE2 rejects and JS would accept (backreferences,
 * lookaround) and RE2 features without a JS equivalent (\C, (?U), (?m) inside groups).
 */
export function translateRE2(re: string): { source: string; flags: string } {
  let out = '';
  let flags = 'su';
  let i = 0;
  let caseInsensitiveScope = 0; // >0 while inside a scoped (?i:…) group that we emulate
  const groupStack: number[] = []; // per open group: case-insensitive scopes to close with it
  const fail = (msg: string): never => {
    throw new MatcherError(`error parsing regexp: ${msg}: \`${re}\``);
  };
  const caseFold = (ch: string): string => {
    const lo = ch.toLowerCase();
    const up = ch.toUpperCase();
    return lo !== up && caseInsensitiveScope > 0 ? `[${lo}${up}]` : escapeIfNeeded(ch);
  };
  const escapeIfNeeded = (ch: string): string => (/[\\^$.*+?()[\]{}|/]/.test(ch) ? '\\' + ch : ch);

  while (i < re.length) {
    const c = re[i]!;
    if (c === '\\') {
      const n = re[i + 1];
      if (n === undefined) fail('trailing backslash at end of expression');
      if (n === 'Q') {
        const end = re.indexOf('\\E', i + 2);
        const lit = end < 0 ? re.slice(i + 2) : re.slice(i + 2, end);
        for (const ch of lit) out += caseFold(ch);
        i = end < 0 ? re.length : end + 2;
        continue;
      }
      if (n === 'A') {
        out += '^';
        i += 2;
        continue;
      }
      if (n === 'z') {
        out += '$';
        i += 2;
        continue;
      }
      if (n === 'C') fail('invalid escape sequence: `\\C`');
      if (n === 'p' || n === 'P') {
        if (re[i + 2] === '{') {
          const end = re.indexOf('}', i + 3);
          if (end < 0) fail('invalid character class range');
          out += `\\${n}{${re.slice(i + 3, end)}}`;
          i = end + 1;
        } else {
          out += `\\${n}{${re[i + 2] ?? ''}}`;
          i += 3;
        }
        continue;
      }
      if (/[1-9]/.test(n!)) fail(`invalid escape sequence: \`\\${n}\``);
      if (/[a-zA-Z0-9]/.test(n!) && !/[dDsSwWbBtnrfvx]/.test(n!)) fail(`invalid escape sequence: \`\\${n}\``);
      if (n === 'x') {
        if (re[i + 2] === '{') {
          const end = re.indexOf('}', i + 3);
          if (end < 0) fail('invalid escape sequence');
          out += `\\u{${re.slice(i + 3, end)}}`;
          i = end + 1;
        } else {
          out += re.slice(i, i + 4);
          i += 4;
        }
        continue;
      }
      if (/[a-zA-Z0-9]/.test(n!)) out += '\\' + n;
      else out += escapeIfNeeded(n!);
      i += 2;
      continue;
    }
    if (c === '[') {
      // Character class: copy through, translating POSIX classes and escaping what u-mode needs.
      let j = i + 1;
      let cls = '[';
      if (re[j] === '^') {
        cls += '^';
        j++;
      }
      if (re[j] === ']') {
        cls += '\\]';
        j++;
      }
      let closed = false;
      while (j < re.length) {
        const d = re[j]!;
        if (d === ']') {
          closed = true;
          j++;
          break;
        }
        if (d === '[' && re[j + 1] === ':') {
          const end = re.indexOf(':]', j + 2);
          if (end < 0) fail('missing closing ]');
          let name = re.slice(j + 2, end);
          const neg = name.startsWith('^');
          if (neg) name = name.slice(1);
          const exp = POSIX[name];
          if (exp === undefined) fail(`invalid character class range: \`[:${name}:]\``);
          if (neg) fail('negated POSIX classes inside brackets are not supported');
          cls += exp;
          j = end + 2;
          continue;
        }
        if (d === '\\') {
          const n = re[j + 1];
          if (n === undefined) fail('missing closing ]');
          if (n === 'p' || n === 'P') {
            if (re[j + 2] === '{') {
              const end = re.indexOf('}', j + 3);
              cls += `\\${n}{${re.slice(j + 3, end)}}`;
              j = end + 1;
            } else {
              cls += `\\${n}{${re[j + 2]}}`;
              j += 3;
            }
            continue;
          }
          if (/[a-zA-Z0-9]/.test(n!)) cls += '\\' + n;
          else cls += '\\' + n;
          j += 2;
          continue;
        }
        if (d === '[' || d === '{' || d === '}' || d === '(' || d === ')' || d === '|' || d === '/') {
          cls += '\\' + d;
          j++;
          continue;
        }
        if (caseInsensitiveScope > 0 && /[a-zA-Z]/.test(d)) {
          // Range or single letter: add the other case too.
          if (re[j + 1] === '-' && re[j + 2] !== undefined && re[j + 2] !== ']') {
            const a = d;
            const b = re[j + 2]!;
            cls += `${a}-${b}`;
            if (/[a-z]/.test(a) && /[a-z]/.test(b)) cls += `${a.toUpperCase()}-${b.toUpperCase()}`;
            else if (/[A-Z]/.test(a) && /[A-Z]/.test(b)) cls += `${a.toLowerCase()}-${b.toLowerCase()}`;
            j += 3;
            continue;
          }
          cls += d.toLowerCase() + d.toUpperCase();
          j++;
          continue;
        }
        cls += d;
        j++;
      }
      if (!closed) fail('missing closing ]');
      out += cls + ']';
      i = j;
      continue;
    }
    if (c === '(') {
      if (re[i + 1] === '?') {
        const rest = re.slice(i + 2);
        if (rest.startsWith('P<') || rest.startsWith('<')) {
          const start = rest.startsWith('P<') ? 2 : 1;
          const end = rest.indexOf('>');
          if (end < 0) fail('invalid named capture');
          out += `(?<${rest.slice(start, end)}>`;
          i += 2 + end + 1;
          groupStack.push(0);
          continue;
        }
        if (rest.startsWith('=') || rest.startsWith('!') || rest.startsWith('<=') || rest.startsWith('<!')) {
          fail('invalid or unsupported Perl syntax: `(?' + rest[0] + '`');
        }
        const fm = /^([a-zA-Z-]*)(:|\))/.exec(rest);
        if (!fm) fail('invalid or unsupported Perl syntax: `(?`');
        const fl = fm![1]!;
        const scoped = fm![2] === ':';
        let on = true;
        let wantI = false;
        for (const f of fl) {
          if (f === '-') {
            on = false;
            continue;
          }
          if (f === 'i') wantI = on;
          else if (f === 's') {
            if (!on) fail('the flag (?-s) is not supported: `.` always matches newlines in Prometheus');
          } else if (f === 'm' || f === 'U') fail(`the flag (?${f}) is not supported`);
          else fail(`invalid or unsupported Perl syntax: \`(?${fl}\``);
        }
        i += 2 + fm![0].length;
        if (scoped) {
          out += '(?:';
          groupStack.push(wantI ? 1 : 0);
          if (wantI) caseInsensitiveScope++;
        } else if (wantI) {
          if (out === '' && !flags.includes('i')) flags += 'i';
          else {
            // (?i) mid-pattern: applies to the rest of the enclosing group.
            caseInsensitiveScope++;
            if (groupStack.length > 0) groupStack[groupStack.length - 1]!++;
          }
        }
        continue;
      }
      out += '(';
      groupStack.push(0);
      i++;
      continue;
    }
    if (c === ')') {
      const g = groupStack.pop();
      if (g === undefined) fail('unexpected )');
      caseInsensitiveScope -= g!;
      out += ')';
      i++;
      continue;
    }
    if (c === '{') {
      // RE2 treats '{' literally unless it forms a valid repetition {n}, {n,}, {n,m}.
      const m = /^\{(\d+)(,(\d*))?\}/.exec(re.slice(i));
      if (m && out !== '' && !/[|(]$/.test(out)) {
        const lo = Number(m[1]);
        const hi = m[3] ? Number(m[3]) : lo;
        if (lo > 1000 || hi > 1000) fail(`invalid repeat count: \`${m[0]}\``);
        if (m[3] && hi < lo) fail(`invalid repeat count: \`${m[0]}\``);
        out += m[0];
        i += m[0].length;
        // Lazy/possessive suffixes are copied by the main loop.
        continue;
      }
      out += '\\{';
      i++;
      continue;
    }
    if (c === '}' || c === ']') {
      out += '\\' + c;
      i++;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      const prev = out[out.length - 1];
      if (out === '' || prev === '|' || (prev === '(' && out[out.length - 2] !== '\\')) {
        fail(`missing argument to repetition operator: \`${c}\``);
      }
      if ((re[i + 1] === '*' || re[i + 1] === '+') && c !== '?') fail(`invalid nested repetition operator: \`${c}${re[i + 1]}\``);
      out += c;
      i++;
      continue;
    }
    out += caseInsensitiveScope > 0 && /[a-zA-Z]/.test(c) ? caseFold(c) : c;
    i++;
  }
  if (groupStack.length > 0) fail('missing closing )');
  return { source: out, flags };
}
