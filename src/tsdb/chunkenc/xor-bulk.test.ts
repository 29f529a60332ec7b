// decodeXORRange must decode exactly what XORIterator.next() decodes (the reference, itself checked
// against Prometheus-written chunks): random chunks with every delta-of-delta bucket, 64-bit
// deltas, timestamps up to and beyond 2^53 and every XOR value case; read whole, by windows, from
// an offset inside a larger buffer followed by other bytes, capped at a sample count (a snapshot of
// a chunk that was appended to afterwards), with and without stale markers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { XORChunk, XORIterator } from './xor.ts';
import { decodeXORRange, xorBulkError, xorChunkSampleCount, XOR_BULK_CORRUPT, XOR_BULK_INEXACT } from './xor-bulk.ts';
import { ValueType } from '../../storage/interfaces.ts';
import { isStaleNaN, STALE_NAN } from '../stale.ts';

const f64 = new Float64Array(1);
const u8 = new Uint8Array(f64.buffer);
const bitsOf = (v: number): string => {
  f64[0] = v;
  return Buffer.from(u8).toString('hex');
};

const STALE_BITS = Buffer.from(new BigUint64Array([0x7ff0000000000002n]).buffer).toString('hex');

const valueArb = fc.oneof(
  { weight: 4, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(STALE_NAN, NaN, Infinity, -Infinity, -0, 0, 1, 5e-324) },
  { weight: 3, arbitrary: fc.integer({ min: -1000, max: 1000 }).map((x) => x / 8) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 2 ** 40 }) },
);
const dtArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(30_000) },
  { weight: 4, arbitrary: fc.integer({ min: 29_000, max: 31_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 1 << 21 }) },
  { weight: 1, arbitrary: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }) },
);
const seriesArb = fc.record({
  start: fc.oneof(fc.integer({ min: -(2 ** 41), max: 2 ** 41 }), fc.constant(1_700_000_000_000), fc.integer({ min: 2 ** 53 - 2 ** 30, max: 2 ** 53 - 1 })),
  xs: fc.array(fc.tuple(dtArb, valueArb), { minLength: 0, maxLength: 300 }),
});

/** The chunk's samples via next(), optionally capped, and its error. */
function reference(data: Uint8Array, cap: number): { t: number[]; v: number[]; err: string } {
  const it = new XORIterator(new Uint8Array(2));
  it.reset(data, cap);
  const t: number[] = [];
  const v: number[] = [];
  while (it.next() === ValueType.Float) {
    t.push(it.t);
    v.push(it.v);
  }
  return { t, v, err: it.err()?.message ?? '' };
}

function build(start: number, xs: [number, number][]): Uint8Array {
  const c = new XORChunk();
  const app = c.appender();
  let t = start;
  for (const [dt, v] of xs) {
    if (!Number.isSafeInteger(t)) break;
    app.append(t, v);
    t += dt;
  }
  return c.bytes().slice();
}

test('property: decodeXORRange equals XORIterator.next() (windows, offsets, caps, stale markers)', () => {
  fc.assert(
    fc.property(seriesArb, fc.nat(40), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(400), fc.boolean(), ({ start, xs }, pad, a, b, capArg, dropStale) => {
      const data = build(start, xs);
      const total = xorChunkSampleCount(data, 0, data.length);
      const buf = new Uint8Array(pad + data.length + (pad % 7));
      buf.fill(0xa5);
      buf.set(data, pad);
      const cap = capArg % (total + 2);
      for (const maxSamples of [0xffff, cap]) {
        const ref = reference(data, maxSamples);
        assert.equal(ref.err, '');
        const lo = ref.t.length ? ref.t[0]! : 0;
        const hi = ref.t.length ? ref.t[ref.t.length - 1]! : 0;
        const windows: [number, number][] = [
          [-Infinity, Infinity],
          [lo + Math.floor((hi - lo) * Math.min(a, b)), lo + Math.floor((hi - lo) * Math.max(a, b))],
        ];
        for (const [from, to] of windows) {
          const outT = new Float64Array(total + 3);
          const outV = new Float64Array(total + 3);
          const o = decodeXORRange(buf, pad, data.length, maxSamples, from, to, outT, outV, 2, dropStale);
          if (o === XOR_BULK_INEXACT) {
            // Only when a timestamp or delta leaves the safe-integer range somewhere in the chunk.
            // Here (all timestamps safe, deltas ≤ 2^41) only a negative first delta does that: its
            // uvarint is the 64-bit two's complement.
            assert.ok(ref.t.length >= 2 && ref.t[1]! < ref.t[0]!);
            continue;
          }
          const wantT: number[] = [];
          const wantV: string[] = [];
          for (let i = 0; i < ref.t.length; i++) {
            if (ref.t[i]! > to) break;
            if (ref.t[i]! < from) continue;
            if (dropStale && isStaleNaN(ref.v[i]!)) continue;
            wantT.push(ref.t[i]!);
            // next() hands out a quieted marker (it passes through a JS number); the bulk decoder
            // writes the chunk's bits, which are the canonical marker.
            wantV.push(isStaleNaN(ref.v[i]!) ? STALE_BITS : bitsOf(ref.v[i]!));
          }
          assert.equal(o, 2 + wantT.length);
          assert.deepEqual(Array.from(outT.subarray(2, o)), wantT);
          assert.deepEqual(Array.from(outV.subarray(2, o), bitsOf), wantV);
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('decodeXORRange reads a snapshot of a chunk that was appended to afterwards', () => {
  const c = new XORChunk();
  const app = c.appender();
  for (let i = 0; i < 50; i++) app.append(1_700_000_000_000 + i * 15_000 + (i % 3), i * 1.5 + (i % 4 === 0 ? 0.1 : 0));
  const n = c.numSamples();
  const view = c.bytes();
  const len = view.length;
  const want = reference(view.slice(), n);
  for (let i = 50; i < 60; i++) app.append(1_700_000_000_000 + i * 15_000, i * 7.25);
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  // The appender may have written into the snapshot's last byte and moved the header count on.
  assert.equal(decodeXORRange(view.subarray(0, len), 0, len, n, -Infinity, Infinity, ts, vs, 0, false), n);
  assert.deepEqual(Array.from(ts), want.t);
  assert.deepEqual(Array.from(vs), want.v);
});

test('decodeXORRange reports truncated and corrupt chunks; samples before the error are written', () => {
  const c = new XORChunk();
  const app = c.appender();
  for (let i = 0; i < 40; i++) app.append(1000 + i * 15_000 + (i % 5) * 1000, Math.sin(i) * 1e6);
  const data = c.bytes().slice();
  const ref = reference(data, 0xffff);
  const ts = new Float64Array(40);
  const vs = new Float64Array(40);
  for (let cut = 0; cut < data.length; cut++) {
    ts.fill(NaN);
    vs.fill(NaN);
    const r = decodeXORRange(data.subarray(0, cut), 0, cut, 0xffff, -Infinity, Infinity, ts, vs, 0, false);
    assert.equal(r, XOR_BULK_CORRUPT, `cut ${cut}`);
    assert.match(xorBulkError, /XOR chunk (too short|truncated)/);
    // Whatever was decoded before the error is what next() returns for the truncated chunk.
    const partial = reference(data.subarray(0, cut), 0xffff);
    assert.notEqual(partial.err, '');
    for (let i = 0; i < partial.t.length; i++) {
      assert.equal(ts[i], ref.t[i]);
      assert.equal(bitsOf(vs[i]!), bitsOf(ref.v[i]!));
    }
  }
  // '11' + leading 31 + 63 significant bits: 94 > 64.
  const bad = new XORChunk();
  const b = bad.appender();
  b.append(0, 1);
  b.append(15_000, 2);
  const bytes = bad.bytes().slice();
  const withBad = new Uint8Array(bytes.length + 16);
  withBad.set(bytes);
  withBad[1] = 3; // claim a third sample
  // Third sample at the bits after the second: '0' (same delta), then '11' 11111 111111.
  const bitPos = (() => {
    const it = new XORIterator(bytes);
    it.next();
    it.next();
    return it.bitPos;
  })();
  const bits = [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
  for (let k = 0; k < bits.length; k++) {
    const p = bitPos + k;
    if (bits[k]) withBad[p >>> 3]! |= 0x80 >>> (p & 7);
    else withBad[p >>> 3]! &= ~(0x80 >>> (p & 7));
  }
  assert.equal(decodeXORRange(withBad, 0, withBad.length, 0xffff, -Infinity, Infinity, ts, vs, 0, false), XOR_BULK_CORRUPT);
  assert.match(xorBulkError, /corrupt/);
  assert.equal(reference(withBad, 0xffff).err !== '', true);
});

test('decodeXORRange leaves timestamps beyond 2^53 to XORIterator', () => {
  const c = new XORChunk();
  const app = c.appender();
  const big = 2 ** 53 - 20_000;
  app.append(big, 1);
  app.append(big + 15_000, 2);
  app.append(big + 30_000, 3);
  const data = c.bytes().slice();
  const ts = new Float64Array(3);
  const vs = new Float64Array(3);
  // The third timestamp lies beyond 2^53 − 1 (a double, but not a safe integer); next() has it.
  assert.deepEqual(reference(data, 0xffff).t, [big, big + 15_000, big + 30_000]);
  assert.equal(decodeXORRange(data, 0, data.length, 0xffff, -Infinity, Infinity, ts, vs, 0, false), XOR_BULK_INEXACT);
});
