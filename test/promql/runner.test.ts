// The runner must enforce the reference runner's extra checks; a deliberately broken engine
// (wrapping the real one) shows each check catches what it is meant to catch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { atModifierTestCases, newTestEngine, runScript } from './runner.ts';
import type { QueryEngine, QueryResult } from '../../src/promql/value.ts';

const SCRIPT = `
load 1m
  m{a="1"} 0+1x10
  m{a="2"} 0+2x10

eval instant at 2m m
  m{a="1"} 2
  m{a="2"} 4

eval range from 0 to 2m step 1m m
  m{a="1"} 0 1 2
  m{a="2"} 0 2 4

eval instant at 1m label_replace(m, "a", "x", "a", ".*")
  expect fail regex: same labelset
`;

function wrap(real: QueryEngine, patch: Partial<QueryEngine>): QueryEngine {
  return {
    instantQuery: patch.instantQuery ?? ((q, s, t, o) => real.instantQuery(q, s, t, o)),
    rangeQuery: patch.rangeQuery ?? ((q, s, a, b, st, o) => real.rangeQuery(q, s, a, b, st, o)),
  };
}

test('a correct engine passes all evals', async () => {
  const r = await runScript('t.test', SCRIPT);
  assert.equal(r.error, undefined);
  assert.deepEqual([r.evals, r.passed, r.failed], [3, 3, 0], JSON.stringify(r.outcomes));
});

test('@-pinned re-runs at other times are checked', async () => {
  const real = newTestEngine();
  let times: number[] = [];
  const eng = wrap(real, {
    async instantQuery(q, s, t, o): Promise<QueryResult> {
      times.push(t);
      const r = await real.instantQuery(q, s, t, o);
      if (t !== 120000 && r.value.resultType === 'vector') return { ...r, value: { resultType: 'vector', samples: [] } };
      return r;
    },
  });
  const r = await runScript('t.test', SCRIPT, eng);
  const o = r.outcomes.find((x) => x.line === 6)!;
  assert.equal(o.status, 'failed');
  assert.match(o.detail!, /@-pinned re-run/);
  times = [];
  await runScript('t.test', 'load 1m\n  m 1\n\neval instant at 0 m\n  m 1\n', wrap(real, { instantQuery: async (q, s, t, o2) => (times.push(t), real.instantQuery(q, s, t, o2)) }));
  assert.deepEqual(times, [0, -1000, 0, 1000]); // t = 0: -1s, 0, +1s
});

test('range-mode middle step is checked', async () => {
  const real = newTestEngine();
  const eng = wrap(real, {
    async rangeQuery(q, s, a, b, st, o): Promise<QueryResult> {
      const r = await real.rangeQuery(q, s, a, b, st, o);
      if (st === 60000 && b - a === 120000 && r.value.resultType === 'matrix') {
        return { ...r, value: { resultType: 'matrix', series: r.value.series.map((x) => ({ ...x, vs: x.vs.map((v) => v + 1) })) } };
      }
      return r;
    },
  });
  const r = await runScript('t.test', SCRIPT, eng);
  const o = r.outcomes.find((x) => x.line === 6)!;
  assert.equal(o.status, 'failed');
  assert.match(o.detail!, /range mode/);
});

test('unsorted matrices fail even with the right values', async () => {
  const real = newTestEngine();
  const eng = wrap(real, {
    async rangeQuery(q, s, a, b, st, o): Promise<QueryResult> {
      const r = await real.rangeQuery(q, s, a, b, st, o);
      if (r.value.resultType === 'matrix') return { ...r, value: { resultType: 'matrix', series: [...r.value.series].reverse() } };
      return r;
    },
  });
  const r = await runScript('t.test', SCRIPT, eng);
  const o = r.outcomes.find((x) => x.line === 10)!;
  assert.equal(o.status, 'failed');
  assert.match(o.detail!, /sorted/);
});

test('a query that errors where a result is expected fails; an unexpected success of expect fail fails', async () => {
  const real = newTestEngine();
  const eng = wrap(real, {
    async instantQuery(q, s, t, o): Promise<QueryResult> {
      if (s.includes('label_replace')) return { value: { resultType: 'vector', samples: [] }, warnings: [], infos: [] };
      return real.instantQuery(q, s, t, o);
    },
  });
  const r = await runScript('t.test', SCRIPT, eng);
  const o = r.outcomes.find((x) => x.line === 14)!;
  assert.equal(o.status, 'failed');
  assert.match(o.detail!, /expected error .* but got none/);
  // A query that does not parse is a broken script for the reference runner, never a pass.
  const p = await runScript('t.test', 'eval instant at 0 nosuchfunc(1)\n  expect fail\n');
  assert.equal(p.outcomes[0]!.status, 'failed');
  assert.match(p.outcomes[0]!.detail!, /does not parse/);
});

test('native-histogram evals are classified, not run', async () => {
  const r = await runScript('t.test', `
load 1m
  h {{schema:0 sum:1 count:1 buckets:[1]}}x2
  f 1 2 3

eval instant at 1m h
  h {{schema:0 sum:1 count:1 buckets:[1]}}

eval instant at 1m f
  f 2

eval instant at 1m histogram_count(f)

eval instant at 1m {__name__=~"f|g"}
  f 2

clear

load_with_nhcb 1m
  c_bucket{le="1"} 1
  c_bucket{le="+Inf"} 2

eval instant at 0 c
  c {{schema:-53 sum:0 count:2 custom_values:[1] buckets:[1 1]}}

eval instant at 0 c_bucket{le="1"}
  c_bucket{le="1"} 1
`);
  assert.deepEqual(
    r.outcomes.map((o) => [o.line, o.status]),
    [[6, 'needs_native_histograms'], [9, 'passed'], [12, 'needs_native_histograms'], [14, 'needs_native_histograms'], [23, 'needs_native_histograms'], [26, 'passed']],
  );
});

test('atModifierTestCases pins selectors and subqueries, not what is inside subqueries', () => {
  const c = atModifierTestCases('sum(rate(m[5m])) + max_over_time(m[10m:1m]) + m @ 50', 100000);
  assert.equal(c.length, 5);
  assert.deepEqual(c.map((x) => x.time), [-1000000, 0, 20000, 100000, 1000000]);
  const e = c[0]!.expr;
  assert.match(e, /m\[5m\] @ 100\.000/);
  assert.match(e, /\[10m:1m\] @ 100\.000/);
  assert.match(e, /m @ 50\.000/);
  assert.ok(!/m @ 100\.000\[10m:1m\]/.test(e));
  assert.deepEqual(atModifierTestCases('time() + m', 60000), []);
  assert.deepEqual(atModifierTestCases('timestamp(m)', 60000), []);
  // An unsafe function inside a subquery is not looked at (as the reference runner's walk).
  assert.equal(atModifierTestCases('max_over_time(vector(time())[5m:1m])', 60000).length, 5);
});
