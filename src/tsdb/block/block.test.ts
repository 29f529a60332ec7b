// Block round trips: random series → writeBlock → BlockReader (local files and openWith over
// in-memory ReadAt) → same labels and sample bits; querier semantics (matchers, time trimming,
// label names/values, seek) checked against brute force over the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Labels, compareStrings } from '../../labels/labels.ts';
import { Matcher, matchesAll } from '../../labels/matcher.ts';
import { ValueType } from '../../storage/interfaces.ts';
import { STALE_NAN } from '../stale.ts';
import { BlockReader, BytesReadAt, readMeta, readTombstones, writeBlock } from './block.ts';
import { chunksFromSamples, collect, valueBits } from './testutil.ts';
import type { Sample } from './testutil.ts';

const MINT = 1_700_000_000_000;
const MAXT = MINT + 7_200_000;

const labelsArb = fc
  .dictionary(fc.constantFrom('__name__', 'job', 'instance', 'ü', 'le'), fc.constantFrom('a', 'b', 'c', 'é', '\u{1F600}', 'x y', '0.5'), {
    minKeys: 1,
    maxKeys: 4,
  })
  .map((o) => Labels.fromObject(o));

const valueArb = fc.oneof(
  fc.double(),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.constant(STALE_NAN),
  fc.constant(NaN),
);

const seriesArb = fc.array(
  fc.record({
    labels: labelsArb,
    // Sample timestamps: strictly increasing offsets inside the block.
    samples: fc
      .uniqueArray(fc.integer({ min: 0, max: 7_199_999 }), { minLength: 1, maxLength: 300 })
      .chain((ts) => fc.tuple(fc.constant(ts.sort((a, b) => a - b)), fc.array(valueArb, { minLength: ts.length, maxLength: ts.length }))),
  }),
  { minLength: 1, maxLength: 25 },
);

function dedupeSorted(arr: { labels: Labels; samples: Sample[] }[]): { labels: Labels; samples: Sample[] }[] {
  const m = new Map(arr.map((s) => [s.labels.key, s]));
  return [...m.values()].sort((a, b) => Labels.compare(a.labels, b.labels));
}

test('block round trip (fast-check): writeBlock → BlockReader gives the same labels and sample bits', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-block-'));
  try {
    await fc.assert(
      fc.asyncProperty(seriesArb, fc.integer({ min: 0, max: 7_199_999 }), fc.integer({ min: 0, max: 7_199_999 }), async (raw, a, b) => {
        const input = dedupeSorted(
          raw.map((r) => ({ labels: r.labels, samples: r.samples[0].map((t, i) => ({ t: MINT + t, v: r.samples[1][i]! })) })),
        );
        const meta = await writeBlock(
          input.map((s) => ({ labels: s.labels, chunks: chunksFromSamples(s.samples) })),
          { dir, mint: MINT, maxt: MAXT },
        );
        const bdir = join(dir, meta.ulid);
        assert.deepEqual(await readMeta(bdir), {
          ...meta,
          stats: { numSamples: meta.stats.numSamples, numFloatSamples: meta.stats.numFloatSamples, numSeries: meta.stats.numSeries, numChunks: meta.stats.numChunks },
        });
        assert.equal(meta.stats.numSamples, input.reduce((n, s) => n + s.samples.length, 0));
        const br = await BlockReader.open(bdir);
        try {
          // Full range: identical data.
          const all = await collect(br.querier(MINT, MAXT - 1).select({ start: MINT, end: MAXT - 1 }, []));
          assert.deepEqual([...all.keys()], input.map((s) => s.labels.toString()));
          for (const s of input) {
            assert.deepEqual(all.get(s.labels.toString())!.map((x) => `${x.t}:${valueBits(x.v)}`), s.samples.map((x) => `${x.t}:${valueBits(x.v)}`));
          }
          // Sub-range: samples trimmed to [lo, hi]; series without samples there are dropped.
          const lo = MINT + Math.min(a, b);
          const hi = MINT + Math.max(a, b);
          const part = await collect(br.querier(lo, hi).select({ start: lo, end: hi }, []));
          for (const s of input) {
            const want = s.samples.filter((x) => x.t >= lo && x.t <= hi);
            const got = part.get(s.labels.toString());
            // A series is returned when a chunk overlaps; it may then have zero samples in range.
            assert.deepEqual((got ?? []).map((x) => x.t), want.map((x) => x.t));
          }
          // Matchers equal brute force.
          const ms = [new Matcher('=~', 'job', 'a|é'), new Matcher('!=', 'instance', 'b')];
          const sel = await collect(br.querier(MINT, MAXT).select({ start: MINT, end: MAXT }, ms));
          const want = input.filter((s) => matchesAll(ms, (n) => s.labels.get(n))).map((s) => s.labels.toString());
          assert.deepEqual([...sel.keys()], want);
          // Label names/values (with and without matchers).
          const q = br.querier(MINT, MAXT);
          const names = [...new Set(input.flatMap((s) => s.labels.names()))].sort(compareStrings);
          assert.deepEqual((await q.labelNames([])).values, names);
          const jobs = [...new Set(input.map((s) => s.labels.get('job')).filter((v) => v !== ''))].sort(compareStrings);
          assert.deepEqual((await q.labelValues('job', [])).values, jobs);
          const m2 = [new Matcher('=', 'ü', 'a')];
          const sub = input.filter((s) => s.labels.get('ü') === 'a');
          assert.deepEqual(
            (await q.labelValues('job', m2)).values,
            [...new Set(sub.map((s) => s.labels.get('job')).filter((v) => v !== ''))].sort(compareStrings),
          );
          assert.deepEqual((await q.labelNames(m2)).values, [...new Set(sub.flatMap((s) => s.labels.names()))].sort(compareStrings));
        } finally {
          await br.close();
        }
        await rm(bdir, { recursive: true });
      }),
      { numRuns: 40 },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('block layout: files, tombstones, Thanos meta section, atomic rename, openWith over ReadAt', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-block-'));
  try {
    const input = [
      { labels: Labels.fromObject({ __name__: 'a', x: '1' }), samples: Array.from({ length: 500 }, (_, i) => ({ t: MINT + i * 1000, v: i })) },
      { labels: Labels.fromObject({ __name__: 'b' }), samples: [{ t: MINT, v: 1 }] },
      { labels: Labels.fromObject({ __name__: 'c' }), samples: [] as Sample[] },
    ];
    const meta = await writeBlock(
      input.map((s) => ({ labels: s.labels, chunks: s.samples.length ? chunksFromSamples(s.samples) : [] })),
      { dir, mint: MINT, maxt: MAXT, thanos: { labels: { tenant: 't1' }, source: 'receive' }, level: 2, sources: ['01HQ8Z2Y4M3T2WJ1ZB6G7C8D9A'] },
    );
    assert.deepEqual((await readdir(dir)).sort(), [meta.ulid]);
    const bdir = join(dir, meta.ulid);
    assert.deepEqual((await readdir(bdir)).sort(), ['chunks', 'index', 'meta.json', 'tombstones']);
    assert.deepEqual(await readdir(join(bdir, 'chunks')), ['000001']);
    assert.deepEqual(await readTombstones(bdir), []);
    const m = JSON.parse(await readFile(join(bdir, 'meta.json'), 'utf8'));
    assert.equal(m.stats.numSeries, 2); // the series without chunks is not written
    assert.equal(m.stats.numChunks, 6);
    assert.equal(m.compaction.level, 2);
    assert.deepEqual(m.compaction.sources, ['01HQ8Z2Y4M3T2WJ1ZB6G7C8D9A']);
    assert.deepEqual(m.thanos.labels, { tenant: 't1' });
    assert.deepEqual(m.thanos.downsample, { resolution: 0 });
    assert.equal(m.thanos.source, 'receive');
    assert.deepEqual(m.thanos.files, [
      { rel_path: 'chunks/000001', size_bytes: (await stat(join(bdir, 'chunks', '000001'))).size },
      { rel_path: 'index', size_bytes: (await stat(join(bdir, 'index'))).size },
      { rel_path: 'meta.json' },
    ]);

    const br = await BlockReader.openWith({
      index: new BytesReadAt(await readFile(join(bdir, 'index'))),
      chunk: async (i) => new BytesReadAt(await readFile(join(bdir, 'chunks', String(i + 1).padStart(6, '0')))),
      meta,
    });
    const set = br.querier(MINT, MAXT).select({ start: MINT, end: MAXT }, [Matcher.eq('__name__', 'a')]);
    const series = [];
    for await (const s of set) series.push(s);
    assert.equal(series.length, 1);
    assert.equal(series[0]!.chunks!().length, 5);
    // seek semantics: forward only, lands on the first sample >= t.
    const it = series[0]!.iterator();
    assert.equal(it.seek(MINT + 250_500), ValueType.Float);
    assert.equal(it.t, MINT + 251_000);
    assert.equal(it.seek(MINT + 1000), ValueType.Float);
    assert.equal(it.t, MINT + 251_000);
    assert.equal(it.next(), ValueType.Float);
    assert.equal(it.v, 252);
    assert.equal(it.seek(MINT + 10_000_000), ValueType.None);
    // Limit and skipChunks hints.
    const lim = [];
    for await (const s of br.querier(MINT, MAXT).select({ start: MINT, end: MAXT, limit: 1, func: 'series' }, [])) lim.push(s);
    assert.equal(lim.length, 1);
    assert.deepEqual(lim[0]!.chunks!(), []);
    await br.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeBlock rejects unsorted series and chunks outside [mint, maxt); leaves no directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-block-'));
  try {
    const c = chunksFromSamples([{ t: MINT, v: 1 }]);
    await assert.rejects(
      writeBlock(
        [
          { labels: Labels.fromObject({ __name__: 'b' }), chunks: c },
          { labels: Labels.fromObject({ __name__: 'a' }), chunks: c },
        ],
        { dir, mint: MINT, maxt: MAXT },
      ),
      /out of order/,
    );
    await assert.rejects(
      writeBlock([{ labels: Labels.fromObject({ __name__: 'a' }), chunks: chunksFromSamples([{ t: MAXT, v: 1 }]) }], { dir, mint: MINT, maxt: MAXT }),
      /outside block range/,
    );
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
