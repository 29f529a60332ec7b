// AggrChunk layout (specs §7) and Thanos' downsampling semantics, with expected values worked out
// by hand from the definitions in pkg/compact/downsample/downsample.go (window end
// t - t%res + res - 1, clamped to the batch's last sample; counter entry = first raw sample,
// reset-adjusted running totals, last raw value repeated at the last timestamp).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ValueType } from '../../storage/interfaces.ts';
import type { ChunkMeta } from '../../storage/interfaces.ts';
import { XORChunk } from '../../tsdb/chunkenc/xor.ts';
import { STALE_NAN } from '../../tsdb/stale.ts';
import {
  AggrChunk,
  AggrType,
  ApplyCounterResetsIterator,
  averageIterator,
  counterIterator,
  decodeAggregate,
  encodeAggrChunk,
} from './aggr.ts';
import { XORIterator } from '../../tsdb/chunkenc/xor.ts';
import { currentWindow, downsampleAggr, downsampleRaw, downsampleSeries, targetChunkCount } from './downsample.ts';

const M5 = 5 * 60 * 1000;
const H1 = 60 * 60 * 1000;

function xor(samples: [number, number][]): Uint8Array {
  const c = new XORChunk();
  const a = c.appender();
  for (const [t, v] of samples) a.append(t, v);
  return c.bytes().slice();
}
function pairs(d: { t: number[]; v: number[] }): [number, number][] {
  return d.t.map((t, i) => [t, d.v[i]!]);
}

test('AggrChunk bytes: uvarint(len) | encoding | data per entry, 0x00 for a missing one', () => {
  const count = xor([[1000, 3]]);
  const bytes = encodeAggrChunk([{ encoding: 1, data: count }, null, null, null, null]);
  assert.deepEqual([...bytes], [count.length, 0x01, ...count, 0, 0, 0, 0]);
  const ac = new AggrChunk(bytes);
  assert.deepEqual(ac.get(AggrType.Count)!.data, count);
  assert.equal(ac.get(AggrType.Sum), null);
  assert.equal(ac.numSamples(), 1);
});

test('AggrChunk: a sub-chunk of 200 bytes gets a two-byte uvarint length', () => {
  const data = new Uint8Array(200).fill(7);
  const bytes = encodeAggrChunk([null, { encoding: 1, data }, null, null, null]);
  assert.deepEqual([...bytes.subarray(0, 4)], [0x00, 0xc8, 0x01, 0x01]);
  assert.equal(bytes.length, 1 + 2 + 1 + 200 + 3);
});

test('AggrChunk encode/decode round trip (property)', () => {
  const sub = fc.option(fc.record({ encoding: fc.integer({ min: 1, max: 3 }), data: fc.uint8Array({ minLength: 1, maxLength: 300 }) }), { nil: null });
  fc.assert(
    fc.property(fc.tuple(sub, sub, sub, sub, sub), (subs) => {
      const ac = new AggrChunk(encodeAggrChunk(subs));
      for (let i = 0; i < 5; i++) {
        const got = ac.get(i as AggrType);
        const want = subs[i];
        if (!want) assert.equal(got, null);
        else {
          assert.equal(got!.encoding, want.encoding);
          assert.deepEqual([...got!.data], [...want.data]);
        }
      }
    }),
  );
});

test('AggrChunk rejects truncated bytes', () => {
  const bytes = encodeAggrChunk([{ encoding: 1, data: xor([[0, 1]]) }, null, null, null, null]);
  assert.throws(() => new AggrChunk(bytes.subarray(0, 4)));
});

test('currentWindow and targetChunkCount', () => {
  assert.equal(currentWindow(0, M5), M5 - 1);
  assert.equal(currentWindow(M5 - 1, M5), M5 - 1);
  assert.equal(currentWindow(M5, M5), 2 * M5 - 1);
  // 2 days of 15s raw samples to 5m: 576 windows → ⌈577/140⌉… the loop stops at x with 577/x ≤ 140 → 5.
  assert.equal(targetChunkCount(0, 2 * 24 * H1, 60_000, M5, 11520), 5);
  assert.equal(targetChunkCount(0, H1, 60_000, M5, 60), 1);
});

test('downsampleRaw: windows, aggregates and the counter entry (hand-computed)', () => {
  // t(ms): value — two counter resets (3→2 and 5→1).
  const data: [number, number][] = [
    [0, 1], [100_000, 3], [200_000, 2], // window [0, 300000): end 299999
    [300_000, 5], [400_000, 1], [500_000, 4], // window end 599999
    [600_000, 6], // window end 899999 clamped to the last sample 600000
  ];
  const chunks = downsampleRaw(data.map((d) => d[0]), data.map((d) => d[1]), data.length, M5);
  assert.equal(chunks.length, 1);
  const c = chunks[0]!;
  assert.equal(c.encoding, 0xff);
  assert.equal(c.minTime, 299_999);
  assert.equal(c.maxTime, 600_000);
  assert.deepEqual(pairs(decodeAggregate(chunks, AggrType.Count)), [[299_999, 3], [599_999, 3], [600_000, 1]]);
  assert.deepEqual(pairs(decodeAggregate(chunks, AggrType.Sum)), [[299_999, 6], [599_999, 10], [600_000, 6]]);
  assert.deepEqual(pairs(decodeAggregate(chunks, AggrType.Min)), [[299_999, 1], [599_999, 1], [600_000, 6]]);
  assert.deepEqual(pairs(decodeAggregate(chunks, AggrType.Max)), [[299_999, 3], [599_999, 5], [600_000, 6]]);
  // Raw counter sub-chunk: first raw sample, running totals 1+2+2=5, 5+3+1+3=12, 12+2=14, last raw value 6.
  const sub = new AggrChunk(c.data).get(AggrType.Counter)!;
  const it = new XORIterator(sub.data);
  const raw: [number, number][] = [];
  while (it.next() !== ValueType.None) raw.push([it.t, it.v]);
  assert.deepEqual(raw, [[0, 1], [299_999, 5], [599_999, 12], [600_000, 14], [600_000, 6]]);
  // The reset-applied series: the trailing raw value is not emitted.
  const ci = counterIterator(chunks);
  const got: [number, number][] = [];
  while (ci.next() !== ValueType.None) got.push([ci.t, ci.v]);
  assert.deepEqual(got, [[0, 1], [299_999, 5], [599_999, 12], [600_000, 14]]);
  const avg = averageIterator(chunks);
  const av: number[] = [];
  while (avg.next() !== ValueType.None) av.push(avg.v);
  assert.deepEqual(av, [2, 10 / 3, 6]);
});

test('downsampleRaw drops NaN and stale markers before aggregating', () => {
  const data: [number, number][] = [[0, 1], [60_000, NaN], [120_000, STALE_NAN], [180_000, 4]];
  const chunks = downsampleSeries([{ minTime: 0, maxTime: 180_000, encoding: 1, data: xor(data) }], 0, M5);
  assert.deepEqual(pairs(decodeAggregate(chunks, AggrType.Count)), [[180_000, 2]]);
  assert.deepEqual(pairs(decodeAggregate(chunks, AggrType.Sum)), [[180_000, 5]]);
});

test('ApplyCounterResetsIterator detects a reset between chunks from the last raw value', () => {
  // Chunk A: raw 10 … 20 (true last raw value 20). Chunk B starts with raw 3 < 20: a reset.
  const a = xor([[0, 10], [299_999, 20], [299_999, 20]]);
  const b = xor([[300_000, 3], [599_999, 7], [599_999, 7]]);
  const it = new ApplyCounterResetsIterator([new XORIterator(a), new XORIterator(b)]);
  const got: [number, number][] = [];
  while (it.next() !== ValueType.None) got.push([it.t, it.v]);
  assert.deepEqual(got, [[0, 10], [299_999, 20], [300_000, 23], [599_999, 27]]);
  // Without a reset (B starts at 25 ≥ 20) the increase is added.
  const b2 = xor([[300_000, 25], [599_999, 30], [599_999, 30]]);
  const it2 = new ApplyCounterResetsIterator([new XORIterator(a), new XORIterator(b2)]);
  const got2: number[] = [];
  while (it2.next() !== ValueType.None) got2.push(it2.v);
  assert.deepEqual(got2, [10, 20, 25, 30]);
});

/** Builds a raw series: 30s scrapes over `hours` with a counter reset every 7h. */
function rawSeries(hours: number): [number, number][] {
  const out: [number, number][] = [];
  let v = 0;
  for (let t = 0; t < hours * H1; t += 30_000) {
    if (t > 0 && t % (7 * H1) === 0) v = 0;
    v += (t / 30_000) % 5;
    out.push([t, v]);
  }
  return out;
}
function rawChunks(data: [number, number][]): ChunkMeta[] {
  const out: ChunkMeta[] = [];
  for (let i = 0; i < data.length; i += 120) {
    const part = data.slice(i, i + 120);
    out.push({ minTime: part[0]![0], maxTime: part[part.length - 1]![0], encoding: 1, data: xor(part) });
  }
  return out;
}

test('5m → 1h equals raw → 1h for count, sum, min, max (windows nest) and counter totals agree', () => {
  const data = rawSeries(60);
  const chunks = rawChunks(data);
  const m5 = downsampleSeries(chunks, 0, M5);
  const h1 = downsampleSeries(m5, M5, H1);
  const direct = downsampleSeries(chunks, 0, H1);
  for (const at of [AggrType.Count, AggrType.Sum, AggrType.Min, AggrType.Max]) {
    const a = decodeAggregate(h1, at);
    const b = decodeAggregate(direct, at);
    // Window ends may differ only by clamping to a chunk's last sample; compare by window.
    const byWin = (d: { t: number[]; v: number[] }): Map<number, number> => {
      const m = new Map<number, number>();
      d.t.forEach((t, i) => {
        const w = currentWindow(t, H1);
        const prev = m.get(w);
        m.set(w, prev === undefined ? d.v[i]! : at === AggrType.Min ? Math.min(prev, d.v[i]!) : at === AggrType.Max ? Math.max(prev, d.v[i]!) : prev + d.v[i]!);
      });
      return m;
    };
    assert.deepEqual(byWin(a), byWin(b), `aggregate ${at}`);
  }
  // Total counter increase over the whole range equals the raw increase with resets applied.
  let rawInc = 0;
  for (let i = 1; i < data.length; i++) rawInc += data[i]![1] >= data[i - 1]![1] ? data[i]![1] - data[i - 1]![1] : data[i]![1];
  for (const cs of [m5, h1, direct]) {
    const it = counterIterator(cs);
    let first = NaN;
    let last = NaN;
    while (it.next() !== ValueType.None) {
      if (first !== first) first = it.v;
      last = it.v;
    }
    assert.equal(last - first, rawInc);
  }
  // Sample count over all windows equals the raw count.
  const total = decodeAggregate(h1, AggrType.Count).v.reduce((a, b) => a + b, 0);
  assert.equal(total, data.length);
});

test('downsampleAggr keeps chunk boundaries and needs aggregate chunks', () => {
  const m5 = downsampleSeries(rawChunks(rawSeries(30)), 0, M5);
  assert.ok(m5.length >= 1);
  const h1 = downsampleAggr(m5, M5, H1);
  for (const c of h1) assert.equal(c.encoding, 0xff);
  assert.throws(() => downsampleAggr(rawChunks(rawSeries(1)), M5, H1));
});
