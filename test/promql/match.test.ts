// Matching rules of the script runner; expectations from util/almost.Equal and promqltest/test.go
// as described in /work/shared/promql-testdata/README.md ("How results are matched").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Labels } from '../../src/labels/labels.ts';
import { STALE_NAN } from '../../src/tsdb/stale.ts';
import { almostEqual, checkAnnotations, checkExpectedFailure, compareResult, middleStep, MatchError } from './match.ts';
import { parseScript, type EvalCmd } from './script.ts';

const ev = (src: string): EvalCmd => parseScript(src)[0] as EvalCmd;
const L = (o: Record<string, string>): Labels => Labels.fromObject(o);

test('almost.Equal', () => {
  assert.ok(almostEqual(1, 1));
  assert.ok(almostEqual(1, 1 + 1e-7)); // |a-b|/(|a|+|b|) ~ 5e-8
  assert.ok(!almostEqual(1, 1.00001));
  assert.ok(almostEqual(1e6, 1e6 + 1.9)); // relative to the sum: 1.9/2e6 < 1e-6
  assert.ok(!almostEqual(1e6, 1e6 + 2.1));
  assert.ok(!almostEqual(0, 1e-300)); // zero needs |diff| < 1e-6 * smallest normal
  assert.ok(almostEqual(0, 1e-320));
  assert.ok(almostEqual(NaN, NaN));
  assert.ok(almostEqual(STALE_NAN, STALE_NAN));
  assert.ok(!almostEqual(STALE_NAN, NaN));
  assert.ok(!almostEqual(NaN, STALE_NAN));
  assert.ok(!almostEqual(NaN, 1));
  assert.ok(almostEqual(Infinity, Infinity));
  assert.ok(!almostEqual(Infinity, -Infinity));
  assert.ok(!almostEqual(Infinity, 1.7976931348623157e308));
});

test('vector matching: exact label sets, missing/extra, ordered positions', () => {
  const e = ev('eval instant at 0 x\n  x{a="1"} 1\n  x{a="2"} 2\n');
  const a = { metric: L({ __name__: 'x', a: '1' }), t: 0, v: 1 };
  const b = { metric: L({ __name__: 'x', a: '2' }), t: 0, v: 2 };
  compareResult(e, { resultType: 'vector', samples: [b, a] }); // order ignored
  assert.throws(() => compareResult(e, { resultType: 'vector', samples: [a] }), MatchError);
  assert.throws(() => compareResult(e, { resultType: 'vector', samples: [a, b, { ...a, metric: L({ a: '1' }) }] }), MatchError);
  assert.throws(() => compareResult(e, { resultType: 'vector', samples: [a, { ...b, v: 2.1 }] }), MatchError);
  assert.throws(() => compareResult(e, { resultType: 'scalar', t: 0, v: 1 }), MatchError);
  const o = ev('eval instant at 0 x\n  expect ordered\n  x{a="1"} 1\n  x{a="2"} 2\n');
  compareResult(o, { resultType: 'vector', samples: [a, b] });
  assert.throws(() => compareResult(o, { resultType: 'vector', samples: [b, a] }), MatchError);
  const empty = ev('eval instant at 0 x\n');
  compareResult(empty, { resultType: 'vector', samples: [] });
  assert.throws(() => compareResult(empty, { resultType: 'vector', samples: [a] }), MatchError);
  const stale = ev('eval instant at 0 x\n  x stale\n');
  compareResult(stale, { resultType: 'vector', samples: [{ metric: L({ __name__: 'x' }), t: 0, v: STALE_NAN }] });
  assert.throws(() => compareResult(stale, { resultType: 'vector', samples: [{ metric: L({ __name__: 'x' }), t: 0, v: NaN }] }), MatchError);
});

test('scalar and string', () => {
  const s = ev('eval instant at 0 1\n  1\n');
  compareResult(s, { resultType: 'scalar', t: 0, v: 1.0000001 });
  assert.throws(() => compareResult(s, { resultType: 'scalar', t: 0, v: 2 }), MatchError);
  assert.throws(() => compareResult(s, { resultType: 'vector', samples: [] }), MatchError);
  const str = ev('eval instant at 0 "a"\n  expect string "a"\n');
  compareResult(str, { resultType: 'string', t: 0, v: 'a' });
  assert.throws(() => compareResult(str, { resultType: 'string', t: 0, v: 'b' }), MatchError);
});

test('matrix: sorted, point counts, timestamps start+slot*step, too many slots', () => {
  const e = ev('eval range from 0 to 2m step 1m x\n  x{a="1"} 1 _ 3\n  x{a="2"} 1x2\n');
  const s1 = { metric: L({ __name__: 'x', a: '1' }), ts: [0, 120000], vs: [1, 3] };
  const s2 = { metric: L({ __name__: 'x', a: '2' }), ts: [0, 60000, 120000], vs: [1, 1, 1] };
  compareResult(e, { resultType: 'matrix', series: [s1, s2] });
  assert.throws(() => compareResult(e, { resultType: 'matrix', series: [s2, s1] }), /sorted/);
  assert.throws(() => compareResult(e, { resultType: 'matrix', series: [{ ...s1, ts: [0, 60000], vs: [1, 3] }, s2] }), /timestamp/);
  assert.throws(() => compareResult(e, { resultType: 'matrix', series: [{ ...s1, ts: [0, 60000, 120000], vs: [1, 2, 3] }, s2] }), /float points/);
  assert.throws(() => compareResult(e, { resultType: 'matrix', series: [s1] }), /not found/);
  // Slots after the end of the list count as absent; listing more slots than steps is an error.
  const short = ev('eval range from 0 to 2m step 1m x\n  x 1\n');
  compareResult(short, { resultType: 'matrix', series: [{ metric: L({ __name__: 'x' }), ts: [0], vs: [1] }] });
  const long = ev('eval range from 0 to 1m step 1m x\n  x 1 2 3\n');
  assert.throws(() => compareResult(long, { resultType: 'matrix', series: [{ metric: L({ __name__: 'x' }), ts: [0, 60000], vs: [1, 2] }] }), /cannot return this many/);
  const ordered = ev('eval instant at 0 x\n  expect ordered\n');
  assert.throws(() => compareResult(ordered, { resultType: 'matrix', series: [] }), /ordered/);
});

test('annotations: msg exact, regex unanchored, both directions, no_warn/no_info, unchecked otherwise', () => {
  const e = ev('eval instant at 0 x\n  expect warn msg: PromQL warning: a (1:1)\n  expect warn regex: b\n');
  checkAnnotations(e, 'x', ['PromQL warning: a (1:1)', 'PromQL warning: xbx (1:3)'], ['anything']);
  assert.throws(() => checkAnnotations(e, 'x', ['PromQL warning: a (1:1)'], []), MatchError); // regex line unmatched
  assert.throws(() => checkAnnotations(e, 'x', ['PromQL warning: a (1:1)', 'b', 'c'], []), MatchError); // extra warning
  assert.throws(() => checkAnnotations(e, 'x', [], []), MatchError);
  const nw = ev('eval instant at 0 x\n  expect no_warn\n  expect no_info\n');
  checkAnnotations(nw, 'x', [], []);
  assert.throws(() => checkAnnotations(nw, 'x', ['w'], []), MatchError);
  assert.throws(() => checkAnnotations(nw, 'x', [], ['i']), MatchError);
  const none = ev('eval instant at 0 x\n');
  checkAnnotations(none, 'x', ['w'], ['i']);
  const legacy = ev('eval_warn instant at 0 x\n');
  assert.throws(() => checkAnnotations(legacy, 'x', [], []), MatchError);
  checkAnnotations(legacy, 'x', ['anything'], []);
});

test('expected failures: msg exact, regex search, legacy forms', () => {
  checkExpectedFailure(ev('eval instant at 0 x\n  expect fail\n'), 'whatever');
  checkExpectedFailure(ev('eval instant at 0 x\n  expect fail msg: boom\n'), 'boom');
  assert.throws(() => checkExpectedFailure(ev('eval instant at 0 x\n  expect fail msg: boom\n'), 'boom!'), MatchError);
  checkExpectedFailure(ev('eval instant at 0 x\n  expect fail regex: o+m\n'), 'a boom b');
  assert.throws(() => checkExpectedFailure(ev('eval instant at 0 x\n  expect fail regex: ^x\n'), 'a boom b'), MatchError);
  checkExpectedFailure(ev('eval_fail instant at 0 x\n  expected_fail_message boom\n'), 'boom');
  assert.throws(() => checkExpectedFailure(ev('eval_fail instant at 0 x\n  expected_fail_regexp ^z\n'), 'boom'), MatchError);
});

test('range-mode middle step', () => {
  const v = middleStep({ resultType: 'matrix', series: [
    { metric: L({ a: '1' }), ts: [0, 60000, 120000], vs: [1, 2, 3] },
    { metric: L({ a: '2' }), ts: [0], vs: [9] },
  ] }, 60000);
  assert.deepEqual(v.samples.map((s) => [s.metric.get('a'), s.v]), [['1', 2]]);
  assert.throws(() => middleStep({ resultType: 'matrix', series: [{ metric: L({ a: '2' }), ts: [], vs: [] }, { metric: L({ a: '1' }), ts: [], vs: [] }] }, 0), /sorted/);
});
