// --min-time/--max-time parsing as Thanos' model.TimeOrDurationValue: RFC3339 (Go layout, fractional
// seconds and offsets) or a Prometheus duration, optionally negative, relative to now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimeOrDuration, parseRFC3339, DEFAULT_MIN_TIME, DEFAULT_MAX_TIME } from './time.ts';

test('RFC3339 values are absolute', () => {
  // 2023-11-14T22:13:20Z is 1700000000 s.
  assert.equal(TimeOrDuration.parse('2023-11-14T22:13:20Z').ms(), 1_700_000_000_000);
  assert.equal(TimeOrDuration.parse('2023-11-14T23:13:20+01:00').ms(), 1_700_000_000_000);
  assert.equal(TimeOrDuration.parse('2023-11-14T20:43:20.5-01:30').ms(), 1_700_000_000_500);
  // Thanos' defaults: year 0 and year 9999 (Go: time.Date(0,1,1,…).UnixMilli() = -62167219200000).
  assert.equal(TimeOrDuration.parse(DEFAULT_MIN_TIME).ms(), -62_167_219_200_000);
  assert.equal(TimeOrDuration.parse(DEFAULT_MAX_TIME).ms(), 253_402_300_799_000);
  assert.equal(parseRFC3339('2023-02-30T00:00:00Z'), null);
  assert.equal(parseRFC3339('2023-11-14 22:13:20Z'), null);
});

test('durations are relative to now, negative with a leading minus', () => {
  const now = 1_700_000_000_000;
  assert.equal(TimeOrDuration.parse('-2w').ms(now), now - 14 * 86_400_000);
  assert.equal(TimeOrDuration.parse('-1d12h').ms(now), now - 36 * 3_600_000);
  assert.equal(TimeOrDuration.parse('30m').ms(now), now + 1_800_000);
  assert.equal(TimeOrDuration.parse('0').ms(now), now);
  assert.throws(() => TimeOrDuration.parse('-2 weeks'), /invalid time or duration/);
  assert.throws(() => TimeOrDuration.parse('yesterday'), /invalid time or duration/);
  assert.throws(() => TimeOrDuration.parse(''), /empty/);
});
