// Equivalence of the two PromQL front ends: the Lezer path (lezer-ast.ts, Prometheus' own UI
// grammar) must accept every valid query of our corpora and give an AST deep-equal to the port of
// Prometheus' yacc parser (parseExprPort), whose ASTs, positions and error texts are checked against
// Prometheus' parse_test.go in parser.test.ts. Corpora: the valid cases of parser.test.ts, every
// `eval` of Prometheus' promqltest scripts, the queries of the differential test and of the
// dashboard benchmark. Random expressions must give the same AST or the same error from parseExpr
// as from the port alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { lezerParseExpr } from './lezer-ast.ts';
import { ParseError, parseExpr, parseExprPort, resolveOptions } from './parser.ts';
import type { ParseOptions } from './parser.ts';
import type { Expr } from './ast.ts';
import { Matcher } from '../labels/matcher.ts';
import { parseScript } from '../../test/promql/script.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const TESTDATA = '/work/shared/promql-testdata';

interface Case {
  source: string;
  query: string;
  opts: ParseOptions;
}

/** The query tables of parser.test.ts (extracted from Prometheus' parse_test.go / printer_test.go / prettier_test.go). */
function parserTestCases(): Case[] {
  const src = readFileSync(join(ROOT, 'src/promql/parser.test.ts'), 'utf8');
  const table = (name: string): unknown[] => {
    const start = src.indexOf(`const ${name}`);
    assert.ok(start >= 0, name);
    const open = src.indexOf('[\n', start);
    const close = src.indexOf('\n];', open);
    const body = src.slice(open + 1, close).replace(/,\s*$/, '');
    return JSON.parse(`[${body}]`) as unknown[];
  };
  // parse_test.go's options (TestParseExpressions), as in parser.test.ts.
  const testOpts: ParseOptions = { experimentalFunctions: true, durationExpr: true, extendedRangeSelectors: true, fillModifiers: false };
  const out: Case[] = [];
  for (const c of table('PROM_CASES') as { input: string; fail: boolean }[]) {
    out.push({ source: 'parse_test.go', query: c.input, opts: testOpts });
    out.push({ source: 'parse_test.go (all features)', query: c.input, opts: { experimental: true } });
  }
  for (const c of table('PRINTER_CASES') as [string, string][]) {
    out.push({ source: 'printer_test.go in', query: c[0], opts: { experimental: true } });
    out.push({ source: 'printer_test.go out', query: c[1], opts: { experimental: true } });
  }
  for (const c of table('PRETTY_CASES') as [string, number, string, string][]) {
    out.push({ source: 'prettier_test.go in', query: c[2], opts: { experimental: true } });
    out.push({ source: 'prettier_test.go out', query: c[3], opts: { experimental: true } });
  }
  return out;
}

/** Every `eval` query of Prometheus' promqltest scripts (options as our script runner uses them). */
function scriptCases(): Case[] {
  const out: Case[] = [];
  for (const f of readdirSync(TESTDATA).filter((n) => n.endsWith('.test')).sort()) {
    for (const cmd of parseScript(readFileSync(join(TESTDATA, f), 'utf8'))) {
      if (cmd.type === 'eval') out.push({ source: `${f}:${cmd.line}`, query: cmd.expr, opts: { experimental: true } });
    }
  }
  return out;
}

/** The `Q` table of test/promql-differential.test.ts (both queries of each [ours, 2.42, why] entry). */
function differentialCases(): Case[] {
  const src = readFileSync(join(ROOT, 'test/promql-differential.test.ts'), 'utf8');
  const start = src.indexOf('const Q:');
  const open = src.indexOf('= [', start) + 2;
  const close = src.indexOf('\n];', open);
  const q = new Function(`return ${src.slice(open, close + 2)}`)() as (string | [string, string, string])[];
  const out: Case[] = [];
  for (const e of q) {
    if (typeof e === 'string') out.push({ source: 'differential', query: e, opts: {} });
    else {
      out.push({ source: 'differential', query: e[0], opts: {} });
      out.push({ source: 'differential (2.42 form)', query: e[1], opts: {} });
    }
  }
  return out;
}

/** The dashboard queries of bench/query.ts (read from its source: importing it would run it). */
function benchQueries(): string[] {
  const src = readFileSync(join(ROOT, 'bench/query.ts'), 'utf8');
  return [...new Set([...src.matchAll(/^\s+[qr]\('[^']*', '([^']*)'/gm)].map((m) => m[1]!))];
}

type Outcome = { ast: Expr } | { error: string };

/** The AST as plain data: matchers by (type, name, value) — their compiled `test` closures differ per parse. */
function plain(v: unknown): unknown {
  if (v instanceof Matcher) return { matcher: [v.type, v.name, v.value] };
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (typeof x !== 'function') o[k] = plain(x);
    return o;
  }
  return v;
}

function sameAst(a: Expr, b: Expr): void {
  assert.deepStrictEqual(plain(a), plain(b));
}

function port(q: string, opts: ParseOptions): Outcome {
  try {
    return { ast: parseExprPort(q, opts) };
  } catch (e) {
    if (e instanceof ParseError) return { error: e.message };
    throw e;
  }
}

function viaParseExpr(q: string, opts: ParseOptions): Outcome {
  try {
    return { ast: parseExpr(q, opts) };
  } catch (e) {
    if (e instanceof ParseError) return { error: e.message };
    throw e;
  }
}

/**
 * Checks one corpus: each query the port accepts must convert on the Lezer path to a deep-equal
 * AST; queries the port rejects must not be accepted by the Lezer path. Returns counts.
 */
function checkCorpus(cases: Case[]): { valid: number; invalid: number; fallbacks: string[]; mismatches: string[] } {
  let valid = 0;
  let invalid = 0;
  const fallbacks: string[] = [];
  const mismatches: string[] = [];
  const seen = new Set<string>();
  for (const c of cases) {
    const key = `${JSON.stringify(c.opts)}\u0000${c.query}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const want = port(c.query, c.opts);
    const got = lezerParseExpr(c.query, resolveOptions(c.opts));
    if ('error' in want) {
      invalid++;
      if (got.ok) mismatches.push(`${c.source}: ${JSON.stringify(c.query)}: port rejects (${want.error}) but the Lezer path accepts`);
      continue;
    }
    valid++;
    if (!got.ok) {
      fallbacks.push(`${c.source}: ${JSON.stringify(c.query)}: ${got.reason}`);
      continue;
    }
    try {
      sameAst(got.expr, want.ast);
    } catch (e) {
      mismatches.push(`${c.source}: ${JSON.stringify(c.query)}: ASTs differ: ${(e as Error).message.slice(0, 600)}`);
    }
  }
  return { valid, invalid, fallbacks, mismatches };
}

function report(name: string, r: ReturnType<typeof checkCorpus>): void {
  console.log(`# ${name}: ${r.valid} valid queries, ${r.valid - r.fallbacks.length} converted by the Lezer path with equal ASTs, ${r.fallbacks.length} fall back; ${r.invalid} rejected by the port`);
  for (const f of r.fallbacks) console.log(`#   fallback: ${f}`);
}

test('parser.test.ts tables: the Lezer path gives the port\'s AST for every valid query', () => {
  const r = checkCorpus(parserTestCases());
  report('parser.test.ts tables', r);
  assert.deepEqual(r.mismatches, []);
  assert.ok(r.valid > 500, `${r.valid}`);
  assert.deepEqual(r.fallbacks, []);
});

test('promqltest scripts: every eval query converts through Lezer to the port\'s AST', () => {
  assert.ok(existsSync(TESTDATA), `${TESTDATA} missing (the shared test data sits beside the repository)`);
  const r = checkCorpus(scriptCases());
  report('promqltest eval queries', r);
  assert.deepEqual(r.mismatches, []);
  assert.ok(r.valid > 1800, `${r.valid}`);
  assert.deepEqual(r.fallbacks, []);
});

test('differential and benchmark queries convert through Lezer to the port\'s AST', () => {
  const diff = differentialCases();
  assert.ok(diff.length >= 100, `${diff.length}`);
  const bench = benchQueries();
  assert.ok(bench.length >= 4, `${bench.length}`);
  const r = checkCorpus([...diff, ...bench.map((q) => ({ source: 'bench/query.ts', query: q, opts: {} }))]);
  report('differential + bench queries', r);
  assert.deepEqual(r.mismatches, []);
  assert.deepEqual(r.fallbacks, []);
});

test('Go precedences the Lezer grammar does not have: postfix modifiers, signed literals under ^', () => {
  const opts = resolveOptions({ experimental: true });
  for (const q of [
    'a + b offset 5m', // offset binds to b
    'x - x offset 1d',
    '-x offset 5m', // -(x offset 5m)
    'a * b @ 100 / c offset 1m ^ d', // a * (((b @ 100) / (c offset 1m)) ^ d) … as Go associates
    'a / rate(b[5m] @ end())',
    'a + b offset 1m @ 5 - c',
    '{a="v"} + (foo{}) + foo{} offset 1m / 0', // found by fast-check: (… + foo offset 1m) / 0 is wrong
    'a or b offset 1m and c unless d',
    'max_over_time(x[5m:1m] offset 1m) * on(a) group_left -y offset 1m ^ 2',
    // respelled for the Lezer grammar (same length): 5. → 50, STEP( → step(, min_of( → vector(
    '1./6. * x offset 5.',
    'x[STEP() * 2] offset Range()',
    'min_of(3, 5) + max_over_time(vector(max_of(1, 2))[1m:MIN_OF(1m, 30s)])',
    'offset{step="1s"}[5m]',
    '-2 ^ 2', // -(2^2)
    '2 ^ -3 ^ 2',
    '1 == bool -2 ^ 2',
    '- 1 * 2', // (-1) * 2, the sign folds into the literal
    '1 +-+-1',
    'a offset -(1m)',
    'sum by (job) (x) - on(job) group_left sum(y offset 1h)',
  ]) {
    const got = lezerParseExpr(q, opts);
    assert.ok(got.ok, `${q}: ${got.ok ? '' : got.reason}`);
    sameAst(got.expr, parseExprPort(q, { experimental: true }));
  }
});

test('byte positions for non-ASCII input match the port', () => {
  const opts = resolveOptions({ experimental: true });
  for (const q of ['{"ä.b"="ü"} + bar{x="😀"} offset 5m', 'sum by ("ö") (x{a="☃"}) / 2 # «comment»\n + 1', 'label_replace(x, "dst", "€$1", "src", "(.*)")']) {
    const got = lezerParseExpr(q, opts);
    assert.ok(got.ok, `${q}: ${got.ok ? '' : got.reason}`);
    sameAst(got.expr, parseExprPort(q, { experimental: true }));
  }
});

test('inputs Lezer accepts but Go rejects fall back to the port\'s error', () => {
  const opts = resolveOptions({ experimental: true });
  for (const q of ['sum by (inf) (x)', 'atan2', '"unterminated', 'foo\u00a0+ 1', 'x\f', 'rate(x[5m]) offset 1m', '-1 offset 5m', 'x @ 1 @ 2']) {
    const got = lezerParseExpr(q, opts);
    assert.equal(got.ok, false, q);
    const a = viaParseExpr(q, { experimental: true });
    assert.ok('error' in a, q);
    assert.deepEqual(a, port(q, { experimental: true }), q);
  }
  // Go continues a parenthesised offset duration with operators (offset 2m); Lezer would not.
  const q = 'x offset (1m) * 2';
  assert.equal(lezerParseExpr(q, opts).ok, false);
  const a = viaParseExpr(q, { experimental: true });
  const b = port(q, { experimental: true });
  assert.ok('ast' in a && 'ast' in b);
  sameAst(a.ast, b.ast);
});

test('fast-check: parseExpr (Lezer first) and the port alone agree on random expressions', () => {
  const ident = fc.constantFrom('foo', 'bar', 'x:y', 'sum', 'rate', 'start', 'offset', 'by', 'atan2', 'inf', 'on');
  const label = fc.constantFrom('a', 'job', 'le', '"a.b"', 'on', 'inf', 'bool', 'sum');
  const str = fc.constantFrom('"v"', "'v'", '`v`', '"a.*"', '"("', '"\\xff"', '"ä"');
  const num = fc.constantFrom('1', '0x1f', '1e3', '.5', '5.', 'Inf', 'NaN', '1_000', '-2', '+3', '5m', '1h30m', '0');
  const dur = fc.constantFrom('5m', '1m', '30s', '0s', '1', '-1m', 'step()', 'range()', '(1m+30s)', '2m*2', 'min_of(1m, 2m)', '1m/0', '-(1m)', 'STEP()', 'MAX_of(1m, 1)');
  const arb = fc.letrec((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      tie('atom'),
      tie('atom'),
      fc.tuple(tie('expr'), fc.constantFrom('+', '-', '*', '/', '%', '^', '==', '!=', '>', '<=', 'and', 'or', 'unless', 'atan2', '</', '>/'), fc.constantFrom('', ' bool', ' on(a)', ' ignoring(job) group_left(le)', ' on() group_right', ' fill(0)', ' fill_left(1) fill_right(-1)'), tie('expr')).map(([l, op, m, r]) => `${l} ${op}${m} ${r}`),
      fc.tuple(fc.constantFrom('-', '+', '- '), tie('expr')).map(([s, e]) => `${s}${e}`),
      tie('expr').map((e) => `(${e as string})`),
      fc.tuple(tie('expr'), fc.constantFrom(`[5m]`, '[5m:]', '[10m:1m]', ' offset 5m', ' offset -1m', ' @ 100', ' @ start()', ' anchored', ' smoothed', '[%d]')).map(([e, p]) => `${e}${p}`),
      fc.tuple(tie('expr'), dur).map(([e, d]) => `${e}[${d}]`),
      fc.tuple(tie('expr'), dur).map(([e, d]) => `${e} offset ${d}`),
      fc.tuple(fc.constantFrom('sum', 'avg', 'topk', 'count_values', 'quantile', 'limitk', 'SUM'), fc.constantFrom('', ' by (a)', ' without (job, "a.b")', ' by ()'), fc.array(tie('expr'), { maxLength: 2 })).map(([a, g, args]) => `${a}${g}(${args.join(', ')})`),
      fc.tuple(fc.constantFrom('rate', 'abs', 'histogram_quantile', 'label_replace', 'info', 'time', 'vector', 'scalar', 'round', 'nope', 'step', 'min_of', 'MIN_OF'), fc.array(tie('expr'), { maxLength: 3 })).map(([f, args]) => `${f}(${args.join(', ')})`),
    ),
    atom: fc.oneof(
      num,
      str,
      ident,
      fc.tuple(ident, fc.array(fc.tuple(label, fc.constantFrom('=', '!=', '=~', '!~'), str), { maxLength: 2 })).map(([n, ms]) => `${n}{${ms.map(([l, o, v]) => `${l}${o}${v}`).join(', ')}}`),
      fc.array(fc.tuple(label, fc.constantFrom('=', '=~'), str), { minLength: 1, maxLength: 2 }).map((ms) => `{${ms.map(([l, o, v]) => `${l}${o}${v}`).join(',')}}`),
    ),
  }));
  const expr = arb.expr.map((e) => (e as string).replace('%d', '1m'));
  fc.assert(
    fc.property(expr, fc.boolean(), (q, exp) => {
      const opts: ParseOptions = { experimental: exp };
      const a = viaParseExpr(q, opts);
      const b = port(q, opts);
      if ('ast' in a && 'ast' in b) sameAst(a.ast, b.ast);
      else assert.deepStrictEqual(a, b, q);
    }),
    { numRuns: Number(process.env['LEZER_FUZZ_RUNS'] ?? 3000) },
  );
});
