// Chunk merging of the compactor: non-overlapping chunks are copied byte for byte, 1:1 duplicate
// chunks are dropped, overlapping runs are merged (chain: every timestamp once, the first source's
// value wins; penalty: Thanos' dedup algorithm) and re-encoded at 120 samples per chunk; overlapping
// aggregate chunks are merged per aggregate (count chunk boundaries, counter keeps its trailing
// raw value). As in Prometheus' chain merge, which sample wins among equal timestamps with
// different values is not specified (the TSDB treats them as duplicates).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Labels } from '../labels/labels.ts';
import { ValueType } from '../storage/interfaces.ts';
import type { ChunkMeta } from '../storage/interfaces.ts';
import { XORIterator } from '../tsdb/chunkenc/xor.ts';
import { AggrChunk, AggrType, decodeAggregate } from './downsample/aggr.ts';
import { downsampleRaw } from './downsample/downsample.ts';
import { mergeBlockSeries, mergeChunks } from './merge.ts';
import { decodeXOR, xorChunks } from './testutil.ts';

function samples(from: number, to: number, step: number, f: (t: number) => number): { t: number; v: number }[] {
  const out: { t: number; v: number }[] = [];
  for (let t = from; t < to; t += step) out.push({ t, v: f(t) });
  return out;
}

test('non-overlapping chunks are copied unchanged; identical chunks kept once', () => {
  const a = xorChunks(samples(0, 120_000, 1000, (t) => t));
  const b = xorChunks(samples(120_000, 240_000, 1000, (t) => t));
  const out = mergeChunks([a, b, a], 'chain');
  assert.equal(out.length, 2);
  assert.equal(out[0]!.data, a[0]!.data, 'same bytes object: not re-encoded');
  assert.equal(out[1]!.data, b[0]!.data);
});

test('chain merge of overlapping chunks: union of timestamps, each once, 120 per chunk', () => {
  const a = xorChunks(samples(0, 200_000, 2000, () => 1), 1000); // even seconds, value 1
  const b = xorChunks(samples(1000, 201_000, 2000, () => 2), 1000); // odd seconds, value 2
  const c = xorChunks(samples(0, 10_000, 1000, (t) => ((t / 1000) % 2 === 0 ? 1 : 2)), 1000); // duplicates of both
  const out = mergeChunks([a, b, c], 'chain');
  const got = decodeXOR(out);
  assert.equal(got.length, 200);
  for (let i = 0; i < got.length; i++) assert.equal(got[i]!.t, i * 1000);
  for (const s of got) assert.equal(s.v, (s.t / 1000) % 2 === 0 ? 1 : 2);
  assert.deepEqual(out.map((x) => [x.minTime, x.maxTime]), [[0, 119_000], [120_000, 199_000]]);
});

test('penalty merge follows one replica and fills its gap from the other', () => {
  // Replica a every 10s with a gap [100s, 200s); replica b every 10s offset by 3s.
  const a = xorChunks(samples(0, 300_000, 10_000, (t) => t).filter((s) => s.t < 100_000 || s.t >= 200_000), 1000);
  const b = xorChunks(samples(3000, 300_000, 10_000, (t) => t), 1000);
  const got = decodeXOR(mergeChunks([a, b], 'penalty'));
  for (let i = 1; i < got.length; i++) assert.ok(got[i]!.t > got[i - 1]!.t);
  // Worked through Thanos' dedupSeriesIterator: a is followed until its gap; at lastT = 90s a's next
  // sample (200s) loses to b's first sample past lastT + 1 + penalty (2·10s) = 113s; from then on a
  // carries a penalty of 2·10s and never catches up with b, which is followed to the end.
  const want = [...samples(0, 100_000, 10_000, (t) => t), ...samples(113_000, 300_000, 10_000, (t) => t)];
  assert.deepEqual(got, want);
});

test('chain merge equals a sorted union (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 4 }),
      (parts) => {
        const lists = parts.map((ts, k) => xorChunks([...ts].sort((x, y) => x - y).map((t) => ({ t, v: k * 10_000 + t })), 50));
        const got = decodeXOR(mergeChunks(lists, 'chain'));
        const want = new Map<number, Set<number>>();
        parts.forEach((ts, k) => ts.forEach((t) => (want.get(t) ?? want.set(t, new Set()).get(t)!).add(k * 10_000 + t)));
        assert.deepEqual(got.map((s) => s.t), [...want.keys()].sort((x, y) => x - y));
        for (const s of got) assert.ok(want.get(s.t)!.has(s.v));
      },
    ),
    { numRuns: 200 },
  );
});

test('overlapping aggregate chunks merge per aggregate', () => {
  const raw = samples(0, 3_600_000, 15_000, (t) => t / 1000);
  const ts = raw.map((s) => s.t);
  const vs = raw.map((s) => s.v);
  const x = downsampleRaw(ts, vs, ts.length, 300_000);
  const y = downsampleRaw(ts, vs, ts.length, 300_000); // a replica with the same data
  y[0] = { ...y[0]!, data: y[0]!.data.slice() };
  y[0]!.data[y[0]!.data.length - 1] ^= 0; // same bytes: skipped as 1:1 duplicate
  assert.deepEqual(mergeChunks([x, y], 'penalty'), x);
  // A shifted replica: overlapping, different bytes → merged by aggregate.
  const z = downsampleRaw(ts.map((t) => t + 1000), vs, ts.length, 300_000);
  const merged = mergeChunks([x, z], 'chain');
  for (const c of merged) {
    assert.equal(c.encoding, 0xff);
    const ac = new AggrChunk(c.data);
    for (const at of [AggrType.Count, AggrType.Sum, AggrType.Min, AggrType.Max, AggrType.Counter]) assert.ok(ac.get(at), `aggregate ${at} present`);
    // Counter sub-chunk ends with its last sample repeated.
    const it = new XORIterator(ac.get(AggrType.Counter)!.data);
    const cs: [number, number][] = [];
    while (it.next() !== ValueType.None) cs.push([it.t, it.v]);
    assert.deepEqual(cs[cs.length - 1], cs[cs.length - 2]);
  }
  const counts = decodeAggregate(merged, AggrType.Count);
  for (let i = 1; i < counts.t.length; i++) assert.ok(counts.t[i]! > counts.t[i - 1]!);
});

test('mergeBlockSeries merges sorted streams and chains equal label sets', async () => {
  const l = (n: string): Labels => Labels.fromObject({ __name__: n });
  async function* src(items: { labels: Labels; chunks: ChunkMeta[] }[]) {
    yield* items;
  }
  const c1 = xorChunks(samples(0, 10_000, 1000, () => 1));
  const c2 = xorChunks(samples(10_000, 20_000, 1000, () => 2));
  const out: string[] = [];
  for await (const s of mergeBlockSeries([src([{ labels: l('a'), chunks: c1 }, { labels: l('c'), chunks: c1 }]), src([{ labels: l('a'), chunks: c2 }, { labels: l('b'), chunks: c2 }])], 'chain')) {
    out.push(`${s.labels.toString()}:${s.chunks.length}`);
  }
  assert.deepEqual(out, ['a:2', 'b:1', 'c:1']);
});
