// Unit tests of the test-script parser; expectations come from the language definition in
// /work/shared/promql-testdata/README.md and promqltest/test.go, not from our output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStaleNaN } from '../../src/tsdb/stale.ts';
import {
  addHistogram, expandSTItem, getLines, parseDuration, parseHistogramLiteral, parseNumber, parseScript,
  parseSeriesDesc, parseSequence, ScriptError, type EvalCmd, type LoadCmd, type SequenceValue,
} from './script.ts';

const floats = (vs: SequenceValue[]): (number | '_')[] => vs.map((v) => (v.omitted ? '_' : v.value));

test('durations (model.ParseDuration)', () => {
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('30s'), 30000);
  assert.equal(parseDuration('1h30m'), 5400000);
  assert.equal(parseDuration('10s53ms'), 10053);
  assert.equal(parseDuration('1d'), 86400000);
  assert.equal(parseDuration('1w'), 7 * 86400000);
  assert.equal(parseDuration('1y'), 365 * 86400000);
  assert.throws(() => parseDuration('1.5m'), ScriptError);
  assert.throws(() => parseDuration('30m1h'), ScriptError);
  assert.throws(() => parseDuration(''), ScriptError);
});

test('Go number syntax (ParseInt base 0, then ParseFloat)', () => {
  assert.equal(parseNumber('10'), 10);
  assert.equal(parseNumber('-7'), -7);
  assert.equal(parseNumber('0x1F'), 31);
  assert.equal(parseNumber('010'), 8); // base 0: leading zero is octal
  assert.equal(parseNumber('1_000'), 1000);
  assert.equal(parseNumber('1e3'), 1000);
  assert.equal(parseNumber('.5'), 0.5);
  assert.equal(parseNumber('Inf'), Infinity);
  assert.equal(parseNumber('+Inf'), Infinity);
  assert.equal(parseNumber('-Inf'), -Infinity);
  assert.ok(Number.isNaN(parseNumber('NaN')));
  assert.equal(parseNumber('9223372036854775808'), 9223372036854775808); // int64 overflow -> float
  assert.throws(() => parseNumber('foo'), ScriptError);
  assert.throws(() => parseNumber('metric{a="b"} 1'), ScriptError);
});

test('series value expansion', () => {
  assert.deepEqual(floats(parseSequence('0+10x3')), [0, 10, 20, 30]); // A+BxK gives K+1 values
  assert.deepEqual(floats(parseSequence('1x2')), [1, 1, 1]);
  assert.deepEqual(floats(parseSequence('5-2x2')), [5, 3, 1]);
  assert.deepEqual(floats(parseSequence('-1+1x1')), [-1, 0]);
  assert.deepEqual(floats(parseSequence('_x3 1')), ['_', '_', '_', 1]); // _xK gives exactly K
  assert.deepEqual(floats(parseSequence('1 _ 3')), [1, '_', 3]);
  assert.deepEqual(floats(parseSequence('Inf -Inf')), [Infinity, -Infinity]);
  assert.deepEqual(floats(parseSequence('1e2+1e1x1')), [100, 110]);
  const st = parseSequence('1 stale NaN');
  assert.ok(isStaleNaN(st[1]!.value));
  assert.ok(Number.isNaN(st[2]!.value) && !isStaleNaN(st[2]!.value));
  // Repeated float addition, not multiplication: ten additions of 0.1 give 0.9999999999999999.
  const seq = floats(parseSequence('0+0.1x10'));
  assert.equal(seq.length, 11);
  assert.equal(seq[10], 0.9999999999999999);
  assert.equal(seq[3], 0.30000000000000004);
  assert.equal(parseSequence('').length, 0);
  assert.throws(() => parseSequence('1+2'), ScriptError);
  assert.throws(() => parseSequence('abc'), ScriptError);
});

test('series descriptions: metric names, quoted UTF-8 names, escapes', () => {
  let d = parseSeriesDesc('http_requests{job="api", instance="0"}  0+10x2');
  assert.equal(d.labels.toString(), 'http_requests{instance="0", job="api"}');
  assert.deepEqual(floats(d.values), [0, 10, 20]);
  d = parseSeriesDesc('{__name__="x", a="b"} 1');
  assert.deepEqual(d.labels.toObject(), { __name__: 'x', a: 'b' });
  d = parseSeriesDesc('{"my.metric", "a.b"="c"} 1');
  assert.deepEqual(d.labels.toObject(), { __name__: 'my.metric', 'a.b': 'c' });
  d = parseSeriesDesc(`x{a="\\u00e9\\n", b='q', c=\`r\\n\`} 2`);
  assert.deepEqual(d.labels.toObject(), { __name__: 'x', a: 'é\n', b: 'q', c: 'r\\n' });
  d = parseSeriesDesc('{} 3');
  assert.ok(d.labels.isEmpty());
  d = parseSeriesDesc('up 1');
  assert.deepEqual(d.labels.toObject(), { __name__: 'up' });
  assert.throws(() => parseSeriesDesc('x{a=b} 1'), ScriptError);
});

test('histogram literals parse into a full structure', () => {
  const { h, hintSet } = parseHistogramLiteral(
    '{{schema:1 sum:5 count:4 z_bucket:1 z_bucket_w:0.001 buckets:[1 2] offset:-1 n_buckets:[3] n_offset:2 counter_reset_hint:gauge}}',
  );
  assert.equal(hintSet, true);
  assert.deepEqual(h, {
    schema: 1, count: 4, sum: 5, zeroCount: 1, zeroThreshold: 0.001,
    positiveSpans: [{ offset: -1, length: 2 }], positiveBuckets: [1, 2],
    negativeSpans: [{ offset: 2, length: 1 }], negativeBuckets: [3],
    customValues: [], counterResetHint: 'gauge',
  });
  const c = parseHistogramLiteral('{{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[0 1]}}');
  assert.equal(c.hintSet, false);
  assert.deepEqual(c.h.customValues, [5, 10]);
  assert.equal(c.h.schema, -53);
  const e = parseHistogramLiteral('{{}}');
  assert.equal(e.h.count, 0);
  assert.deepEqual(e.h.positiveSpans, []);
  assert.throws(() => parseHistogramLiteral('{{foo:1}}'), ScriptError);
});

test('histogram sequences: copies and repeated add/sub', () => {
  const d = parseSeriesDesc('h {{schema:0 sum:1 count:1 buckets:[1]}}x2 _ {{schema:0 sum:2 count:2 buckets:[1 1]}}+{{schema:0 sum:1 count:1 buckets:[0 0 1]}}x2');
  assert.equal(d.values.length, 7);
  assert.ok(d.values[3]!.omitted);
  const last = d.values[6]!.histogram!;
  assert.equal(last.count, 4);
  assert.equal(last.sum, 4);
  assert.deepEqual(last.positiveSpans, [{ offset: 0, length: 3 }]);
  assert.deepEqual(last.positiveBuckets, [1, 1, 2]);
  const sub = parseSequence('{{schema:0 sum:10 count:10 buckets:[5 5]}}-{{schema:0 sum:1 count:1 buckets:[1]}}x1');
  assert.deepEqual(sub[1]!.histogram!.positiveBuckets, [4, 5]);
  // A finer increment is reduced to the base schema: schema-1 indices 1,2 map to schema-0 index 1.
  const r = addHistogram(parseHistogramLiteral('{{schema:0 buckets:[1] offset:1}}').h, parseHistogramLiteral('{{schema:1 buckets:[1 1] offset:1}}').h, 1);
  assert.deepEqual(r.positiveSpans, [{ offset: 1, length: 1 }]);
  assert.deepEqual(r.positiveBuckets, [3]);
  // An increment with a coarser schema than the base is an error.
  assert.throws(() => parseSequence('{{schema:1 buckets:[1]}}+{{schema:0 buckets:[1]}}x1'), ScriptError);
});

test('@st items', () => {
  assert.deepEqual(floats(expandSTItem('-1mx2')), [-60000, -60000, -60000]);
  assert.deepEqual(floats(expandSTItem('-30s-1mx2')), [-30000, -90000, -150000]);
  assert.deepEqual(floats(expandSTItem('-59999msx1')), [-59999, -59999]);
  assert.deepEqual(floats(expandSTItem('_x2')), ['_', '_']);
  assert.throws(() => expandSTItem('_x0'), ScriptError);
});

test('lines: trimmed, comments blank, blank lines end blocks', () => {
  assert.deepEqual(getLines('  a  \n # c\nb'), ['a', '', 'b']);
  const cmds = parseScript(`
load 5m
  a{x="1"} 0+1x2
  # a comment ends the block
eval instant at 5m a
  a{x="1"} 1
`);
  assert.equal(cmds.length, 2);
  assert.equal(cmds[0]!.type, 'load');
  assert.equal((cmds[0] as LoadCmd).interval, 300000);
});

test('load blocks: nhcb flag, later duplicate line wins, @st pairing', () => {
  const cmds = parseScript(`load_with_nhcb 1m
  a_bucket{le="1"} 1 2
  a 1
  a 2 3
  b{x="y"}@st -1s _
  b{x="y"} 1 2
`);
  const l = cmds[0] as LoadCmd;
  assert.equal(l.withNHCB, true);
  assert.equal(l.interval, 60000);
  assert.equal(l.series.length, 3);
  assert.deepEqual(floats(l.series[1]!.values), [2, 3]);
  assert.deepEqual(floats(l.series[2]!.st!), [-1000, '_']);
  assert.throws(() => parseScript('load 1m\n  b@st -1s\n  c 1\n'), ScriptError);
  assert.throws(() => parseScript('load 1m\n  b@st -1s -1s\n  b 1\n'), ScriptError);
  assert.throws(() => parseScript('load 1m\n  b@st -1s\n'), ScriptError);
});

test('eval commands and expect lines', () => {
  const cmds = parseScript(`
eval instant at 1m sum(x)
  expect warn msg: PromQL warning: something (1:1)
  expect info regex: bucket.*
  expect no_warn_ignored_never
`.replace('  expect no_warn_ignored_never\n', '') + `
eval range from 0 to 10m step 5m rate(x[5m])
  expect no_info
  expect ordered
  {a="b"} 1 _ 3

eval instant at 0 1
  1

eval instant at 0 "Foo"
  expect string \`Foo\`

eval instant at 30s x[1m]
  expect range vector from 0 to 30s step 10s
  x 1 2 3 _

eval_fail instant at 0 foo
  expected_fail_message some message

eval instant at 0 foo
  expect fail regex: a.c
`);
  const ev = cmds as EvalCmd[];
  assert.equal(ev.length, 7);
  assert.equal(ev[0]!.evalTime, 60000);
  assert.equal(ev[0]!.expectWarn[0]!.message, 'PromQL warning: something (1:1)');
  assert.ok(ev[0]!.expectInfo[0]!.regex!.test('some bucket stuff'));
  assert.equal(ev[0]!.expected.size, 0);
  assert.equal(ev[1]!.isRange, true);
  assert.deepEqual([ev[1]!.start, ev[1]!.end, ev[1]!.step], [0, 600000, 300000]);
  assert.equal(ev[1]!.noInfo, true);
  assert.equal(ev[1]!.expectOrdered, true);
  assert.deepEqual(floats([...ev[1]!.expected.values()][0]!.values), [1, '_', 3]);
  assert.equal(ev[2]!.expectScalar, true);
  assert.equal(ev[2]!.expected.get('')!.values[0]!.value, 1);
  assert.equal(ev[3]!.expectedString, 'Foo');
  assert.equal(ev[3]!.excludeFromRangeQuery, true);
  assert.equal(ev[4]!.expectRangeVector, true);
  assert.deepEqual([ev[4]!.start, ev[4]!.end, ev[4]!.step, ev[4]!.evalTime], [0, 30000, 10000, 30000]);
  assert.equal(ev[4]!.excludeFromRangeQuery, true);
  assert.equal(ev[5]!.fail, true);
  assert.equal(ev[5]!.expectedFailMessage, 'some message');
  assert.ok(ev[5]!.expected.size === 0);
  assert.equal(ev[6]!.fail, false);
  assert.ok(ev[6]!.expectFail[0]!.regex!.test('xxabcxx')); // unanchored search
});

test('eval parse errors follow test.go', () => {
  const bad = [
    'eval range from 10m to 0 step 1m x\n', // end before start
    'eval instant at 0 x\n  expect warn\n  expect no_warn\n',
    'eval instant at 0 x\n  expect info\n  expect no_info\n',
    'eval instant at 0 x\n  expect fail\n  expect fail\n',
    'eval instant at 0 x\n  x 1 2\n', // multiple values in an instant eval
    'eval instant at 0 x\n  expect string\n',
    'eval instant at 0 x\n  expect string Foo\n',
    'eval instant at 0 x\n  expect bogus\n',
    'frobnicate\n',
  ];
  for (const b of bad) assert.throws(() => parseScript(b), ScriptError, b);
  // Instant evals have Go's zero time as end (no multi-point expectation possible).
  const ev = parseScript('eval_ordered instant at 1m x\n  x 1\n')[0] as EvalCmd;
  assert.equal(ev.ordered, true);
  assert.ok(ev.end < 0);
});
