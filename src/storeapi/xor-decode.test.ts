// decodeXORInto must read exactly what the reference iterator (tsdb/chunkenc XORIterator, itself
// checked against promtool-written chunks) reads: random chunks with timestamps of every
// delta-of-delta bucket and values of every XOR case, embedded at an offset in a larger buffer,
// read whole and by [from, to] windows; truncated chunks are errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { XORChunk, XORIterator } from '../tsdb/chunkenc/index.ts';
import { ValueType } from '../storage/interfaces.ts';
import { decodeXORInto, xorSampleCount } from './xor-decode.ts';

const f64 = new Float64Array(1);
const u8 = new Uint8Array(f64.buffer);
const bitsOf = (v: number): string => {
  f64[0] = v;
  return Buffer.from(u8).toString('hex');
};

const sampleArb = fc.array(
  fc.record({
    dt: fc.oneof(fc.constant(15000), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 1 << 22 }), fc.integer({ min: 1, max: 2 ** 40 })),
    v: fc.oneof(fc.double(), fc.constant(1), fc.integer({ min: -1000, max: 1000 }).map((x) => x / 8), fc.constant(Number.NaN)),
  }),
  { minLength: 1, maxLength: 300 },
);

function build(start: number, xs: { dt: number; v: number }[]): { data: Uint8Array; ts: number[]; vs: number[] } {
  const c = new XORChunk();
  const app = c.appender();
  let t = start;
  const ts: number[] = [];
  const vs: number[] = [];
  for (const x of xs) {
    app.append(t, x.v);
    ts.push(t);
    vs.push(x.v);
    t += x.dt;
  }
  return { data: c.bytes().slice(), ts, vs };
}

function reference(data: Uint8Array, from: number, to: number): { t: number[]; v: string[] } {
  const it = new XORIterator(data);
  const t: number[] = [];
  const v: string[] = [];
  while (it.next() === ValueType.Float) {
    if (it.t > to) break;
    if (it.t < from) continue;
    t.push(it.t);
    v.push(bitsOf(it.v));
  }
  assert.equal(it.err(), null);
  return { t, v };
}

test('decodeXORInto equals XORIterator for random chunks, windows and buffer offsets', () => {
  fc.assert(
    fc.property(sampleArb, fc.integer({ min: -(2 ** 41), max: 2 ** 41 }), fc.nat(40), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (xs, start, pad, a, b) => {
      const { data, ts } = build(start, xs);
      const buf = new Uint8Array(pad + data.length + (pad % 3));
      buf.fill(0xa5);
      buf.set(data, pad);
      assert.equal(xorSampleCount(buf, pad, data.length), xs.length);
      const lo = ts[0]!;
      const hi = ts[ts.length - 1]!;
      const windows: [number, number][] = [
        [-Infinity, Infinity],
        [lo + Math.floor((hi - lo) * Math.min(a, b)), lo + Math.floor((hi - lo) * Math.max(a, b))],
      ];
      for (const [from, to] of windows) {
        const want = reference(data, from, to);
        const outT = new Float64Array(xs.length + 2);
        const outV = new Float64Array(xs.length + 2);
        const o = decodeXORInto(buf, pad, data.length, from, to, outT, outV, 1);
        assert.equal(o, 1 + want.t.length);
        assert.deepEqual(Array.from(outT.subarray(1, o)), want.t);
        assert.deepEqual(Array.from(outV.subarray(1, o), bitsOf), want.v);
      }
    }),
    { numRuns: 400 },
  );
});

test('decodeXORInto keeps the stale-marker NaN payload and reports truncated chunks', () => {
  const stale = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0]!;
  const { data } = build(1000, [{ dt: 15000, v: 1 }, { dt: 15000, v: stale }, { dt: 15000, v: 2 }]);
  const ts = new Float64Array(3);
  const vs = new Float64Array(3);
  assert.equal(decodeXORInto(data, 0, data.length, -Infinity, Infinity, ts, vs, 0), 3);
  assert.equal(new BigUint64Array(vs.buffer)[1], 0x7ff0000000000002n);
  assert.deepEqual(Array.from(ts), [1000, 16000, 31000]);
  for (let cut = 0; cut < data.length - 1; cut++) {
    const r = decodeXORInto(data.subarray(0, cut), 0, cut, -Infinity, Infinity, ts, vs, 0);
    if (cut < 2) assert.equal(r, -1);
    else assert.ok(r === -1 || r < 3, `cut ${cut}: ${r}`);
  }
});
