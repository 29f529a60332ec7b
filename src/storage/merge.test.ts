// chainIterators: one input passes through untouched; inputs that bulk-read merge by bulk read with
// exactly the samples ChainSampleIterator's next() yields (first input wins on equal timestamps).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ValueType, type SampleIterator } from './interfaces.ts';
import { BulkChainSampleIterator, ChainSampleIterator, chainIterators } from './merge.ts';

/** An iterator over sorted samples with the bulk-read methods. */
class ArrayIterator implements SampleIterator {
  t = 0;
  v = 0;
  private i = -1;
  constructor(private readonly ts: number[], private readonly vs: number[]) {}
  next(): ValueType {
    if (++this.i >= this.ts.length) return ValueType.None;
    this.t = this.ts[this.i]!;
    this.v = this.vs[this.i]!;
    return ValueType.Float;
  }
  seek(t: number): ValueType {
    if (this.i >= 0 && this.i < this.ts.length && this.t >= t) return ValueType.Float;
    for (;;) {
      const vt = this.next();
      if (vt === ValueType.None || this.t >= t) return vt;
    }
  }
  err(): Error | null {
    return null;
  }
  sampleCountUpperBound(): number {
    return this.ts.length;
  }
  readRange(from: number, to: number, ts: Float64Array, vs: Float64Array, off: number): number {
    let o = off;
    for (let k = 0; k < this.ts.length; k++) {
      const t = this.ts[k]!;
      if (t < from) continue;
      if (t > to) break;
      ts[o] = t;
      vs[o++] = this.vs[k]!;
    }
    return o - off;
  }
}

const seriesArb = fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 40 }).map((a) => a.sort((x, y) => x - y));

test('chainIterators: single input passes through; bulk merge equals ChainSampleIterator', () => {
  const one = new ArrayIterator([1], [1]);
  assert.equal(chainIterators([one]), one);
  fc.assert(
    fc.property(fc.array(seriesArb, { minLength: 2, maxLength: 4 }), fc.integer({ min: -10, max: 210 }), fc.integer({ min: 0, max: 220 }), (lists, from, width) => {
      const mk = (): ArrayIterator[] => lists.map((l, j) => new ArrayIterator(l, l.map((t) => t * 10 + j)));
      const bulk = chainIterators(mk());
      assert.ok(bulk instanceof BulkChainSampleIterator);
      const to = from + width;
      const ref = new ChainSampleIterator(mk());
      const want: [number, number][] = [];
      for (let vt = ref.seek(from); vt !== ValueType.None && ref.t <= to; vt = ref.next()) want.push([ref.t, ref.v]);
      const cap = bulk.sampleCountUpperBound();
      const ts = new Float64Array(cap + 2);
      const vs = new Float64Array(cap + 2);
      const n = bulk.readRange(from, to, ts, vs, 2);
      const got: [number, number][] = [];
      for (let k = 0; k < n; k++) got.push([ts[2 + k]!, vs[2 + k]!]);
      assert.deepEqual(got, want);
    }),
    { numRuns: 300 },
  );
});
