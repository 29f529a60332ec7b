// RawXORIterator (the querier's iterator over received raw XOR chunks) against the reference
// XORIterator: the same samples in [mint, maxt] via next(), via seek() at random points and via
// the engine's bulk read (sampleCountUpperBound + readRange), for series split over several frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { XORChunk, XORIterator } from '../tsdb/chunkenc/index.ts';
import { ValueType } from '../storage/interfaces.ts';
import { RawXORIterator } from './client.ts';
import { SeriesFrameEncoder, decodeSeriesResponse, type DecodedSeries } from './frames.ts';

function chunk(ts: number[]): Uint8Array {
  const c = new XORChunk();
  const app = c.appender();
  for (const t of ts) app.append(t, t / 7);
  return c.bytes().slice();
}

const chunksArb = fc
  .array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 })
  .map((sizes) => {
    let t = 1000;
    return sizes.map((n) => {
      const ts: number[] = [];
      for (let i = 0; i < n; i++) ts.push((t += 1000 + (i % 3)));
      t += 5000;
      return ts;
    });
  });

function parts(chunks: number[][], splitEvery: number): DecodedSeries[] {
  const out: DecodedSeries[] = [];
  const enc = new SeriesFrameEncoder(true);
  enc.beginSeries(['__name__', 'x']);
  chunks.forEach((ts, i) => {
    if (i > 0 && i % splitEvery === 0) {
      enc.splitSeries();
      out.push(...decodeSeriesResponse(enc.take()!).series);
    }
    enc.addRaw(ts[0]!, ts[ts.length - 1]!, 0, chunk(ts));
  });
  enc.endSeries();
  out.push(...decodeSeriesResponse(enc.take()!).series);
  return out;
}

test('RawXORIterator: next, seek and readRange read the samples of [mint, maxt]', () => {
  fc.assert(
    fc.property(chunksArb, fc.integer({ min: 1, max: 3 }), fc.nat(300_000), fc.nat(300_000), fc.array(fc.nat(300_000), { maxLength: 5 }), (chunks, split, a, b, seeks) => {
      const mint = Math.min(a, b);
      const maxt = Math.max(a, b);
      const all = chunks.flat().filter((t) => t >= mint && t <= maxt);
      for (const ts of chunks) {
        const it = new XORIterator(chunk(ts));
        const got: number[] = [];
        while (it.next() === ValueType.Float) got.push(it.t);
        assert.deepEqual(got, ts);
      }
      const ps = parts(chunks, split);
      const it = RawXORIterator.of(ps, mint, maxt)!;
      assert.ok(it);
      const got: number[] = [];
      while (it.next() === ValueType.Float) {
        assert.equal(it.v, it.t / 7);
        got.push(it.t);
      }
      assert.equal(it.err(), null);
      assert.deepEqual(got, all);
      // Bulk read of [from, to] within [mint, maxt].
      const bulk = RawXORIterator.of(ps, mint, maxt)!;
      const cap = bulk.sampleCountUpperBound();
      const ts = new Float64Array(cap + 1);
      const vs = new Float64Array(cap + 1);
      const n = bulk.readRange(mint + 500, maxt, ts, vs, 1);
      assert.deepEqual(Array.from(ts.subarray(1, 1 + n)), all.filter((t) => t >= mint + 500));
      // seek at ascending points, each followed by one next().
      const sk = RawXORIterator.of(ps, mint, maxt)!;
      let last = -Infinity;
      for (const s of [...seeks].sort((x, y) => x - y)) {
        const vt = sk.seek(s);
        const want = all.find((t) => t >= Math.max(s, last));
        if (want === undefined) {
          assert.equal(vt, ValueType.None);
          break;
        }
        assert.equal(vt, ValueType.Float);
        assert.equal(sk.t, want);
        last = sk.t;
      }
    }),
    { numRuns: 300 },
  );
});
