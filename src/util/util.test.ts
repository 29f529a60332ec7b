import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDurationFlag, formatDuration, parseBytesFlag } from './duration.ts';
import { parseLabelFlag } from './labelflag.ts';

test('durations parse as Prometheus model.ParseDuration', () => {
  assert.equal(parseDurationFlag('2h'), 7_200_000);
  assert.equal(parseDurationFlag('1h30m'), 5_400_000);
  assert.equal(parseDurationFlag('10s53ms'), 10_053);
  assert.equal(parseDurationFlag('1d'), 86_400_000);
  assert.equal(parseDurationFlag('1w'), 604_800_000);
  assert.equal(parseDurationFlag('0'), 0);
  assert.equal(parseDurationFlag('0s'), 0);
  assert.throws(() => parseDurationFlag('5'), /not a valid duration/);
  assert.throws(() => parseDurationFlag('30m1h'), /largest to smallest/);
  assert.throws(() => parseDurationFlag('1.5h'), /not a valid duration/);
  assert.equal(formatDuration(5_400_000), '1h30m');
});

test('byte sizes', () => {
  assert.equal(parseBytesFlag('32MiB'), 32 * 1024 * 1024);
  assert.equal(parseBytesFlag('250MB'), 250_000_000);
  assert.equal(parseBytesFlag('1024'), 1024);
  assert.throws(() => parseBytesFlag('lots'), /byte size/);
});

test('label flags take Go-quoted values', () => {
  assert.deepEqual(parseLabelFlag('replica="a"'), ['replica', 'a']);
  assert.deepEqual(parseLabelFlag('cluster="eu-1"'), ['cluster', 'eu-1']);
  assert.throws(() => parseLabelFlag('replica=a'), /must be quoted/);
  assert.throws(() => parseLabelFlag('=x'), /expected name/);
});
