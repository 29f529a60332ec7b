// The hand-written SeriesResponse codec against the ts-proto generated one (itself checked by the
// golden byte fixtures in wire.test.ts): what SeriesFrameEncoder writes is byte-identical to
// SeriesResponse.encode of the same message and decodes with the generated decoder to the same
// content; decodeSeriesResponse reads what the generated encoder writes (hints, warnings, batches,
// single series, aggregate chunks, negative and huge int64 times, non-ASCII labels).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeriesResponse } from './gen/store/storepb/rpc.ts';
import type { AggrChunk, Chunk, Series } from './gen/store/storepb/types.ts';
import { chunkHash, msFromInt64, msToInt64 } from './convert.ts';
import { SeriesFrameEncoder, decodeSeriesResponse, encodeWarningFrame, sameEncodedLabels, type FrameChunkSub } from './frames.ts';

interface GenChunk {
  minTime: number;
  maxTime: number;
  /** slot 0 raw, 1..5 count, sum, min, max, counter */
  subs: (FrameChunkSub | null)[];
}
interface GenSeries {
  flat: string[];
  chunks: GenChunk[];
}

const str = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.string({ minLength: 130, maxLength: 300 }));
const labelsArb = fc.uniqueArray(fc.tuple(str.filter((s) => s !== ''), str), { selector: (x) => x[0], maxLength: 6 }).map((ps) => {
  ps.sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  return ps.flat();
});
const timeArb = fc.oneof(fc.integer({ min: -(2 ** 45), max: 2 ** 45 }), fc.constant(0), fc.constant(Number.MAX_SAFE_INTEGER), fc.constant(Number.MIN_SAFE_INTEGER));
const subArb: fc.Arbitrary<FrameChunkSub> = fc.record({ type: fc.constantFrom(0, 1, 2), data: fc.uint8Array({ maxLength: 300 }) });
const chunkArb: fc.Arbitrary<GenChunk> = fc.record({
  minTime: timeArb,
  maxTime: timeArb,
  subs: fc.oneof(
    subArb.map((r) => [r] as (FrameChunkSub | null)[]),
    fc.array(fc.option(subArb, { nil: null }), { minLength: 5, maxLength: 5 }).map((a) => [null, ...a]),
  ),
});
const seriesArb: fc.Arbitrary<GenSeries> = fc.record({ flat: labelsArb, chunks: fc.array(chunkArb, { maxLength: 5 }) });

const FIELDS = ['raw', 'count', 'sum', 'min', 'max', 'counter'] as const;

function toPb(s: GenSeries): Series {
  const labels = [];
  for (let i = 0; i < s.flat.length; i += 2) labels.push({ name: s.flat[i]!, value: s.flat[i + 1]! });
  const chunks: AggrChunk[] = s.chunks.map((c) => {
    const a: AggrChunk = { minTime: msToInt64(c.minTime), maxTime: msToInt64(c.maxTime) };
    c.subs.forEach((sub, k) => {
      if (sub) a[FIELDS[k]!] = { type: sub.type, data: sub.data, hash: chunkHash(sub.data) } satisfies Chunk;
    });
    return a;
  });
  return { labels, chunks };
}

function encode(list: GenSeries[], batch: boolean): Buffer {
  const enc = new SeriesFrameEncoder(batch);
  for (const s of list) {
    enc.beginSeries(s.flat);
    for (const c of s.chunks) {
      if (c.subs[0]) enc.addRaw(c.minTime, c.maxTime, c.subs[0].type, c.subs[0].data);
      else enc.addAggr(c.minTime, c.maxTime, c.subs);
    }
    enc.endSeries();
  }
  return enc.take()!;
}

/** What decodeSeriesResponse found, in the generator's shape. */
function decoded(buf: Uint8Array): { series: GenSeries[]; warning: string | null } {
  const f = decodeSeriesResponse(buf);
  return {
    warning: f.warning,
    series: f.series.map((s) => {
      const t = s.table;
      const chunks: GenChunk[] = [];
      for (let i = s.chunkFrom; i < s.chunkTo; i++) {
        const subs: (FrameChunkSub | null)[] = [];
        let raw = false;
        for (let k = t.subStart(i); k < t.subEnd[i]!; k++) {
          const slot = t.subSlot[k]!;
          if (slot === 0) raw = true;
          while (subs.length <= slot) subs.push(null);
          subs[slot] = { type: t.subType[k]!, data: t.buf.subarray(t.subOff[k]!, t.subOff[k]! + t.subLen[k]!) };
        }
        if (!raw) while (subs.length < 6) subs.push(null);
        chunks.push({ minTime: t.minT[i]!, maxTime: t.maxT[i]!, subs });
      }
      return { flat: [...s.flat], chunks };
    }),
  };
}

const norm = (list: GenSeries[]): unknown =>
  list.map((s) => ({
    flat: s.flat,
    chunks: s.chunks.map((c) => ({
      minTime: msFromInt64(msToInt64(c.minTime)),
      maxTime: msFromInt64(msToInt64(c.maxTime)),
      subs: (c.subs[0] ? [c.subs[0]] : c.subs).map((x) => (x ? { type: x.type, data: Buffer.from(x.data).toString('hex') } : null)),
    })),
  }));

test('SeriesFrameEncoder writes exactly the bytes of the generated SeriesResponse.encode; both decoders agree', () => {
  fc.assert(
    fc.property(fc.array(seriesArb, { minLength: 1, maxLength: 4 }), fc.boolean(), (list, batch) => {
      const input = batch ? list : list.slice(0, 1);
      const mine = encode(input, batch);
      const msg: SeriesResponse = batch ? { batch: { series: input.map(toPb) } } : { series: toPb(input[0]!) };
      const theirs = Buffer.from(SeriesResponse.encode(msg).finish());
      assert.equal(mine.toString('hex'), theirs.toString('hex'));
      // The generated decoder reads our frame back to the same message.
      assert.deepEqual(SeriesResponse.decode(mine), SeriesResponse.decode(theirs));
      // Our decoder reads the content back.
      const d = decoded(mine);
      assert.equal(d.warning, null);
      assert.deepEqual(norm(d.series), norm(input));
    }),
    { numRuns: 300 },
  );
});

test('decodeSeriesResponse reads generated warnings, hints and series; equal label sets compare equal', () => {
  const w = 'store "x": partial – ünïcode';
  assert.equal(encodeWarningFrame(w).toString('hex'), Buffer.from(SeriesResponse.encode({ warning: w }).finish()).toString('hex'));
  assert.equal(decodeSeriesResponse(encodeWarningFrame(w)).warning, w);
  const hints = Buffer.from(SeriesResponse.encode({ hints: { typeUrl: 'type.googleapis.com/hintspb.SeriesResponseHints', value: new Uint8Array([10, 2, 8, 1]) } }).finish());
  assert.deepEqual(decodeSeriesResponse(hints), { series: [], warning: null });
  const s: GenSeries = { flat: ['__name__', 'up', 'job', 'a'], chunks: [{ minTime: 1, maxTime: 2, subs: [{ type: 0, data: new Uint8Array([0, 1, 2]) }] }] };
  const a = decodeSeriesResponse(encode([s], false)).series[0]!;
  const b = decodeSeriesResponse(Buffer.from(SeriesResponse.encode({ batch: { series: [toPb(s), toPb({ ...s, flat: ['__name__', 'up', 'job', 'b'] })] } }).finish())).series;
  assert.ok(sameEncodedLabels(a, b[0]!));
  assert.ok(!sameEncodedLabels(a, b[1]!));
});

test('splitSeries sends one long series over several frames with its labels repeated', () => {
  const enc = new SeriesFrameEncoder(true);
  enc.beginSeries(['a', '1']);
  enc.addRaw(1, 2, 0, new Uint8Array([1]));
  enc.splitSeries();
  const f1 = enc.take()!;
  enc.addRaw(3, 4, 0, new Uint8Array([2]));
  enc.endSeries();
  const f2 = enc.take()!;
  assert.equal(enc.take(), null);
  const d1 = decoded(f1).series;
  const d2 = decoded(f2).series;
  assert.deepEqual(norm([...d1, ...d2]), norm([
    { flat: ['a', '1'], chunks: [{ minTime: 1, maxTime: 2, subs: [{ type: 0, data: new Uint8Array([1]) }] }] },
    { flat: ['a', '1'], chunks: [{ minTime: 3, maxTime: 4, subs: [{ type: 0, data: new Uint8Array([2]) }] }] },
  ]));
});

test('label-set cache: a label set received again is the same Labels; non-canonical field order still decodes', () => {
  const s: GenSeries = { flat: ['__name__', 'up', 'job', 'cache-test'], chunks: [{ minTime: 5, maxTime: 6, subs: [{ type: 0, data: new Uint8Array([9]) }] }] };
  const a = decodeSeriesResponse(encode([s], true)).series[0]!;
  const b = decodeSeriesResponse(encode([s], true)).series[0]!;
  assert.equal(a.labels, b.labels);
  assert.deepEqual(a.labels.flat, ['__name__', 'up', 'job', 'cache-test']);
  // A chunk between two labels (valid protobuf, not what encoders write): labels from both places.
  const pb = Buffer.from(SeriesResponse.encode({ series: toPb(s) }).finish());
  const lab = (n: string, v: string): number[] => {
    const body = [0x0a, n.length, ...Buffer.from(n), 0x12, v.length, ...Buffer.from(v)];
    return [0x0a, body.length, ...body];
  };
  const chunk = [0x12, 0x04, 0x08, 0x05, 0x10, 0x06];
  const series = [...lab('__name__', 'up'), ...chunk, ...lab('job', 'cache-test')];
  const odd = decodeSeriesResponse(new Uint8Array([0x0a, series.length, ...series])).series[0]!;
  assert.deepEqual(odd.labels.flat, ['__name__', 'up', 'job', 'cache-test']);
  assert.equal(odd.chunkTo - odd.chunkFrom, 1);
  assert.ok(pb.length > 0);
});
