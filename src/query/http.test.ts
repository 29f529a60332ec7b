// Wire helpers: expected strings are what Go's strconv / Prometheus's jsonutil produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatFloat, formatTimestamp, goParseFloat, jsonString, parseDurationParam, parseLimit, parseTime, unescapeLabelName, ApiError } from './http.ts';

test('formatFloat = strconv.AppendFloat(f, f or e, -1, 64) as jsonutil.MarshalFloat picks it', () => {
  const cases: [number, string][] = [
    [0, '0'], [-0, '-0'], [1, '1'], [0.1, '0.1'], [100, '100'], [-2.5, '-2.5'], [123456.789, '123456.789'],
    [0.30000000000000004, '0.30000000000000004'], [1e-6, '0.000001'], [1.5e-6, '0.0000015'],
    [1e20, '100000000000000000000'], [123456789012345680000, '123456789012345680000'],
    [1e-7, '1e-07'], [-1e-7, '-1e-07'], [1.2345e-10, '1.2345e-10'], [1e21, '1e+21'], [1.5e300, '1.5e+300'],
    [1.7976931348623157e308, '1.7976931348623157e+308'], [5e-324, '5e-324'],
    [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'],
  ];
  for (const [v, s] of cases) assert.equal(formatFloat(v), s, String(v));
});

test('formatFloat round-trips every finite double', () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
      const s = formatFloat(v);
      assert.ok(Object.is(Number(s), v) || (v === 0 && Number(s) === 0), s);
      assert.ok(!/e[+-]\d(?!\d)/.test(s), `exponent must have two digits: ${s}`);
    }),
  );
});

test('formatTimestamp = jsonutil.MarshalTimestamp', () => {
  const cases: [number, string][] = [
    [1435781451781, '1435781451.781'], [4000, '4'], [0, '0'], [1500, '1.500'], [1050, '1.050'], [1005, '1.005'],
    [-1500, '-1.500'], [-5, '-0.005'], [1600096945479, '1600096945.479'],
  ];
  for (const [t, s] of cases) assert.equal(formatTimestamp(t), s);
});

test('parseTime: float seconds and RFC3339Nano', () => {
  assert.equal(parseTime('1435781451.781'), 1435781451781);
  assert.equal(parseTime('2015-07-01T20:10:51.781Z'), 1435781451781);
  assert.equal(parseTime('2015-07-01T22:10:51.781+02:00'), 1435781451781);
  assert.equal(parseTime('2015-07-01T20:10:51.781999999Z'), 1435781451781);
  assert.equal(parseTime('2015-07-01T20:10:51Z'), 1435781451000);
  assert.equal(parseTime('4'), 4000);
  assert.equal(parseTime('-1.5'), -1500);
  assert.equal(parseTime('1e3'), 1000000);
  assert.equal(parseTime('1.0004'), 1000);
  assert.equal(parseTime('-292273086-05-16T16:47:06Z'), -9223309901257974000);
  assert.throws(() => parseTime('abc'), (e: unknown) => e instanceof ApiError && e.message === 'cannot parse "abc" to a valid timestamp');
  assert.throws(() => parseTime(''), ApiError);
  assert.throws(() => parseTime('2015-13-01T00:00:00Z'), ApiError);
  assert.throws(() => parseTime('2015-02-30T00:00:00Z'), ApiError);
});

test('parseDurationParam: float seconds or Prometheus durations', () => {
  assert.equal(parseDurationParam('15s'), 15000);
  assert.equal(parseDurationParam('15'), 15000);
  assert.equal(parseDurationParam('0.5'), 500);
  assert.equal(parseDurationParam('1h30m'), 5400000);
  assert.equal(parseDurationParam('1d'), 86400000);
  assert.throws(() => parseDurationParam(''), (e: unknown) => e instanceof ApiError && e.message === 'cannot parse "" to a valid duration');
  assert.throws(() => parseDurationParam('1e300'), /overflows int64/);
});

test('parseLimit and Go number parsing', () => {
  assert.equal(parseLimit(''), 0);
  assert.equal(parseLimit('5'), 5);
  assert.throws(() => parseLimit('x'), /strconv.Atoi: parsing "x": invalid syntax/);
  assert.throws(() => parseLimit('-1'), /limit must be non-negative/);
  assert.equal(goParseFloat('0x1p-2'), 0.25);
  assert.equal(goParseFloat('+Inf'), Infinity);
  assert.equal(goParseFloat('1_0'), null);
});

test('U__ label-name unescaping (model.UnescapeName, value encoding)', () => {
  assert.equal(unescapeLabelName('U__http_2e_status__code'), 'http.status_code');
  assert.equal(unescapeLabelName('U__a_20_b'), 'a b');
  assert.equal(unescapeLabelName('U___1f600_'), '😀');
  assert.equal(unescapeLabelName('plain'), 'plain');
  assert.equal(unescapeLabelName('U__bad_zz_'), 'U__bad_zz_'); // invalid: kept as given
  assert.equal(unescapeLabelName('U__x_'), 'U__x_');
  assert.equal(unescapeLabelName('U__x_1234567_'), 'U__x_1234567_'); // more than 6 hex digits
  assert.equal(unescapeLabelName('U__x_d800_'), 'U__x_d800_'); // surrogate is not a valid rune
});

test('jsonString escapes like Go (HTML-safe, \\u0008 and \\u000c)', () => {
  assert.equal(jsonString('a<b>&c'), '"a\\u003cb\\u003e\\u0026c"');
  assert.equal(jsonString('\b\f\n\t\\b'), '"\\u0008\\u000c\\n\\t\\\\b"');
  assert.equal(jsonString('\u2028'), '"\\u2028"');
  assert.equal(jsonString('x\ud800y'), '"x\ufffdy"');
});
