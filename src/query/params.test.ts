// max_source_resolution as Thanos' querier reads it (pkg/api/query/v1.go parseDownsamplingParamMillis).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matcher } from '../labels/matcher.ts';
import type { Queryable, SelectHints } from '../storage/interfaces.ts';
import { ApiError } from './http.ts';
import { maxSourceResolutionMs, withMaxResolution } from './params.ts';

const p = (v?: string): URLSearchParams => new URLSearchParams(v === undefined ? {} : { max_source_resolution: v });

test('max_source_resolution: auto = step/5 for range queries, raw for instant ones, durations as given', () => {
  assert.equal(maxSourceResolutionMs(p('auto'), 3_600_000, false), 720_000);
  assert.equal(maxSourceResolutionMs(p('auto'), 7, false), 1); // truncated to ms
  assert.equal(maxSourceResolutionMs(p('auto'), undefined, false), 0);
  assert.equal(maxSourceResolutionMs(p(), 3_600_000, false), 0);
  // --query.auto-downsampling: auto unless the request names a resolution.
  assert.equal(maxSourceResolutionMs(p(), 3_600_000, true), 720_000);
  assert.equal(maxSourceResolutionMs(p('0s'), 3_600_000, true), 0);
  assert.equal(maxSourceResolutionMs(p('1h'), 60_000, false), 3_600_000);
  assert.equal(maxSourceResolutionMs(p('300'), 60_000, false), 300_000);
  assert.throws(() => maxSourceResolutionMs(p('soon'), 60_000, false), (e: unknown) => e instanceof ApiError && /max_source_resolution/.test(e.message));
});

test('withMaxResolution: selects carry the resolution unless the caller set one', () => {
  const seen: SelectHints[] = [];
  const q: Queryable = {
    querier: () => ({
      select: (h) => {
        seen.push(h);
        return { warnings: () => [], async *[Symbol.asyncIterator]() {} };
      },
      labelValues: async () => ({ values: [], warnings: [] }),
      labelNames: async () => ({ values: [], warnings: [] }),
      close() {},
    }),
  };
  const ms = [Matcher.eq('__name__', 'x')];
  withMaxResolution(q, 300_000).querier(0, 10).select({ start: 0, end: 10, func: 'rate' }, ms);
  withMaxResolution(q, 300_000).querier(0, 10).select({ start: 0, end: 10, maxResolution: 0 }, ms);
  assert.equal(withMaxResolution(q, 0), q);
  assert.deepEqual(seen, [
    { start: 0, end: 10, func: 'rate', maxResolution: 300_000 },
    { start: 0, end: 10, maxResolution: 0 },
  ]);
});
