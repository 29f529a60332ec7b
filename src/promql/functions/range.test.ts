// rate()/increase() skip the per-window counter-reset scan for windows a prefix count proves
// reset-free (range.ts resetFree). The results must be bit-identical to Prometheus' extrapolatedRate
// (promql/functions.go), which scans every window: checked here against a direct transcription of
// that function over random counters with resets, windows walked as the engine walks them (step by
// step per series), and an array reused for another series with different contents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { extrapolatedRate } from './range.ts';

/** Prometheus extrapolatedRate for floats, scanning the window for resets every time. */
function reference(ts: Float64Array, vs: Float64Array, lo: number, hi: number, rangeStart: number, rangeEnd: number, rangeMs: number, isCounter: boolean, isRate: boolean): number | null {
  if (hi - lo < 2) return null;
  const firstT = ts[lo]!;
  const lastT = ts[hi - 1]!;
  let result = vs[hi - 1]! - vs[lo]!;
  if (isCounter) {
    let prevValue = vs[lo]!;
    for (let i = lo; i < hi; i++) {
      const cur = vs[i]!;
      if (cur < prevValue) result += prevValue;
      prevValue = cur;
    }
  }
  let durationToStart = (firstT - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (hi - lo - 1);
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
  if (isCounter) {
    let durationToZero = durationToStart;
    if (result > 0 && vs[lo]! >= 0) durationToZero = sampledInterval * (vs[lo]! / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;
  let factor = 1;
  if (sampledInterval !== 0) factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= rangeMs / 1000;
  return result * factor;
}

const counterArb = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 50 }) },
    { weight: 1, arbitrary: fc.constant(-1) }, // reset
    { weight: 1, arbitrary: fc.double({ min: 0, max: 1e6, noNaN: true }) },
    { weight: 1, arbitrary: fc.constant(Number.NaN) },
  ),
  { minLength: 0, maxLength: 200 },
);

function series(incs: number[]): { ts: Float64Array; vs: Float64Array } {
  const ts = new Float64Array(incs.length);
  const vs = new Float64Array(incs.length);
  let v = 0;
  for (let i = 0; i < incs.length; i++) {
    const d = incs[i]!;
    v = d === -1 ? (i * 7) % 5 : Number.isNaN(d) ? Number.NaN : (Number.isNaN(v) ? 0 : v) + d;
    ts[i] = 1_000_000 + i * 15_000 + ((i * 31) % 7) * 100;
    vs[i] = v;
  }
  return { ts, vs };
}

/** Every window of a range query over the series, as the engine computes them ((mint, maxt]). */
function walk(ts: Float64Array, vs: Float64Array, step: number, range: number, isCounter: boolean, isRate: boolean, check: (got: number | null, want: number | null) => void): void {
  const n = ts.length;
  let lo = 0;
  let hi = 0;
  for (let t = 1_000_000; t <= 1_000_000 + n * 15_000 + range; t += step) {
    const mint = t - range;
    while (lo < n && ts[lo]! <= mint) lo++;
    if (hi < lo) hi = lo;
    while (hi < n && ts[hi]! <= t) hi++;
    if (hi <= lo) continue;
    check(extrapolatedRate(ts, vs, lo, hi, mint, t, range, isCounter, isRate), reference(ts, vs, lo, hi, mint, t, range, isCounter, isRate));
  }
}

const same = (got: number | null, want: number | null): void => {
  assert.ok(Object.is(got, want) || (got !== null && want !== null && Number.isNaN(got) && Number.isNaN(want)), `${got} !== ${want}`);
};

test('property: rate/increase with the reset prefix equal the per-window scan, bit for bit', () => {
  fc.assert(
    fc.property(fc.array(counterArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 20 }), fc.boolean(), (many, stepK, rangeK, isRate) => {
      const step = stepK * 5_000;
      const range = rangeK * 15_000;
      for (const incs of many) {
        const { ts, vs } = series(incs);
        walk(ts, vs, step, range, true, isRate, same);
        // delta (not a counter) never scans.
        walk(ts, vs, step, range, false, false, same);
      }
    }),
    { numRuns: 300 },
  );
});

test('rate over a window with resets after reset-free windows of the same series', () => {
  const ts = Float64Array.from({ length: 40 }, (_, i) => i * 15_000);
  const vs = Float64Array.from({ length: 40 }, (_, i) => (i < 25 ? i * 10 : (i - 25) * 3));
  const got: (number | null)[] = [];
  const want: (number | null)[] = [];
  for (let hi = 5; hi <= 40; hi++) {
    got.push(extrapolatedRate(ts, vs, hi - 5, hi, ts[hi - 5]! - 1, ts[hi - 1]!, 75_000, true, true));
    want.push(reference(ts, vs, hi - 5, hi, ts[hi - 5]! - 1, ts[hi - 1]!, 75_000, true, true));
  }
  assert.deepEqual(got, want);
  // The window [21, 26) holds the reset at 25: 240 before it is added back.
  assert.equal(want[21], reference(ts, vs, 21, 26, ts[21]! - 1, ts[25]!, 75_000, true, true));
  assert.ok((want[21] as number) > 0);
});
