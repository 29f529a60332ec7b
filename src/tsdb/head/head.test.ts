import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Labels } from '../../labels/labels.ts';
import { Matcher, matchesAll } from '../../labels/matcher.ts';
import { AppendError, ValueType } from '../../storage/interfaces.ts';
import type { ChunkMeta, Querier, SeriesSet } from '../../storage/interfaces.ts';
import { STALE_NAN, isStaleNaN } from '../stale.ts';
import { XORChunk } from '../chunkenc/xor.ts';
import { Head } from './head.ts';
import { rangeForTimestamp } from './series.ts';

const L = (o: Record<string, string>): Labels => Labels.fromObject(o);

async function collect(set: SeriesSet): Promise<{ labels: string; samples: [number, number][]; chunks: ChunkMeta[] }[]> {
  const out = [];
  for await (const s of set) {
    const it = s.iterator();
    const samples: [number, number][] = [];
    while (it.next() === ValueType.Float) samples.push([it.t, it.v]);
    assert.equal(it.err(), null);
    out.push({ labels: s.labels.toString(), samples, chunks: s.chunks ? s.chunks() : [] });
  }
  return out;
}

function decodeChunk(data: Uint8Array): [number, number][] {
  const it = new XORChunk(data).iterator();
  const out: [number, number][] = [];
  while (it.next() === ValueType.Float) out.push([it.t, it.v]);
  assert.equal(it.err(), null);
  return out;
}

async function selectAll(q: Querier, matchers: Matcher[]): Promise<Awaited<ReturnType<typeof collect>>> {
  return collect(q.select({ start: 0, end: 0 }, matchers));
}

function expectAppendError(fn: () => unknown, kind: string, ...parts: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AppendError, String(e));
    assert.equal(e.kind, kind);
    for (const p of parts) assert.ok(e.message.includes(p), `message ${JSON.stringify(e.message)} should mention ${p}`);
    return true;
  });
}

test('appender: out_of_order, duplicate, out_of_bounds, idempotent resend', async () => {
  const h = new Head();
  const ls = L({ __name__: 'up', job: 'a' });
  let app = h.appender();
  const ref = app.append(0, ls, 1000, 1);
  assert.ok(ref > 0);
  app.append(ref, ls, 2000, 2);
  // Within the same appender: consecutive samples are checked against each other.
  expectAppendError(() => app.append(ref, ls, 1500, 3), 'out_of_order', 'up{job="a"}', '1500', '2000');
  expectAppendError(() => app.append(ref, ls, 2000, 3), 'duplicate', 'up{job="a"}', '2000');
  assert.equal(app.append(ref, ls, 2000, 2), ref); // identical: accepted silently
  // Also when other series' samples come in between.
  app.append(0, L({ __name__: 'other' }), 5, 5);
  expectAppendError(() => app.append(0, ls, 1999, 3), 'out_of_order', '1999', '2000');
  expectAppendError(() => app.append(0, ls, 2000, 7), 'duplicate', '2000');
  // Not visible before commit.
  assert.equal(h.numSeries(), 0);
  assert.deepEqual(await selectAll(h.querier(-Infinity, Infinity), [Matcher.eq('job', 'a')]), []);
  await app.commit();
  assert.equal(h.numSeries(), 2);
  assert.equal(h.stats().numSamples, 3);

  app = h.appender();
  expectAppendError(() => app.append(0, ls, 1999, 1), 'out_of_order', 'up{job="a"}', '1999', '2000');
  expectAppendError(() => app.append(0, ls, 2000, 5), 'duplicate', '2000');
  assert.equal(app.append(0, ls, 2000, 2), ref); // resend of the stored sample
  h.setMinValidTime(10_000);
  expectAppendError(() => app.append(0, L({ __name__: 'x' }), 9_999, 1), 'out_of_bounds', 'x', '9999', '10000');
  app.append(0, L({ __name__: 'x' }), 10_000, 1);
  await app.commit();
  h.setMinValidTime(-Infinity);
  assert.equal(h.stats().numSamples, 4);
  const res = await selectAll(h.querier(-Infinity, Infinity), [Matcher.eq('__name__', 'up')]);
  assert.deepEqual(res[0]!.samples, [
    [1000, 1],
    [2000, 2],
  ]);

  // Staleness markers compare by bits for the duplicate check; NaN != stale NaN.
  app = h.appender();
  app.append(0, ls, 3000, STALE_NAN);
  await app.commit();
  app = h.appender();
  app.append(0, ls, 3000, STALE_NAN);
  expectAppendError(() => app.append(0, ls, 3000, NaN), 'duplicate');
  await app.commit();
  const res2 = await selectAll(h.querier(3000, 3000), [Matcher.eq('__name__', 'up')]);
  assert.equal(res2[0]!.samples.length, 1);
  assert.ok(isStaleNaN(res2[0]!.samples[0]![1]));

  // Invalid label sets.
  expectAppendError(() => h.appender().append(0, Labels.EMPTY, 1, 1), 'invalid_labels');
  expectAppendError(() => h.appender().append(0, Labels.fromSortedFlat(['a', '1', 'a', '2']), 1, 1), 'invalid_labels', '"a"');
});

test('appender: rollback discards new series; refs are stable; committed appender is finished', async () => {
  const h = new Head();
  const a = h.appender();
  const r1 = a.append(0, L({ __name__: 'm', i: '1' }), 1, 1);
  a.rollback();
  assert.equal(h.numSeries(), 0);
  const b = h.appender();
  const r2 = b.append(0, L({ __name__: 'm', i: '1' }), 1, 1);
  assert.notEqual(r2, r1); // the rolled back series was dropped
  await b.commit();
  await assert.rejects(b.commit());
  assert.throws(() => b.append(r2, L({ __name__: 'm', i: '1' }), 2, 2));
  const c = h.appender();
  assert.equal(c.append(0, L({ __name__: 'm', i: '1' }), 2, 2), r2);
  assert.equal(c.append(r2, L({ __name__: 'm', i: '1' }), 3, 2), r2);
  await c.commit();
  assert.equal(h.stats().numSamples, 3);
});

test('concurrent appenders: shared new series, re-check at apply time drops and counts', async () => {
  const h = new Head();
  const ls = L({ __name__: 'c' });
  const a = h.appender();
  const b = h.appender();
  const ra = a.append(0, ls, 100, 1);
  const rb = b.append(0, ls, 50, 2); // passes: nothing committed yet
  assert.equal(ra, rb);
  await a.commit();
  assert.equal(h.numSeries(), 1);
  await b.commit(); // 50 < 100 now: dropped at apply time
  assert.equal(h.droppedOnCommit, 1);
  const res = await selectAll(h.querier(-Infinity, Infinity), []);
  assert.deepEqual(res[0]!.samples, [[100, 1]]);
  // Both commit in parallel.
  const c = h.appender();
  const d = h.appender();
  c.append(0, L({ __name__: 'p', i: '1' }), 1, 1);
  d.append(0, L({ __name__: 'p', i: '1' }), 2, 2);
  d.append(0, L({ __name__: 'p', i: '2' }), 2, 2);
  await Promise.all([c.commit(), d.commit()]);
  assert.equal(h.numSeries(), 3);
  const res2 = await selectAll(h.querier(-Infinity, Infinity), [Matcher.eq('__name__', 'p')]);
  assert.deepEqual(
    res2.map((r) => [r.labels, r.samples]),
    [
      ['p{i="1"}', [[1, 1], [2, 2]]],
      ['p{i="2"}', [[2, 2]]],
    ],
  );
});

test('chunks: cut at chunkRange boundaries and ~120 samples (Prometheus head_append.go)', async () => {
  const range = 2 * 3600_000;
  const h = new Head({ chunkRange: range });
  const app = h.appender();
  // 15s scrapes over 5h starting off-boundary.
  const start = 1_000_000_000_000 + 600_000;
  const n = (5 * 3600_000) / 15_000;
  for (let i = 0; i < n; i++) app.append(0, L({ __name__: 'x' }), start + i * 15_000, i);
  await app.commit();
  const [s] = await selectAll(h.querier(-Infinity, Infinity), []);
  assert.equal(s!.samples.length, n);
  let total = 0;
  for (const c of s!.chunks) {
    // No chunk spans a multiple of the range.
    assert.equal(rangeForTimestamp(c.minTime, range), rangeForTimestamp(c.maxTime, range), `chunk ${c.minTime}..${c.maxTime}`);
    const samples = decodeChunk(c.data);
    assert.equal(samples[0]![0], c.minTime);
    assert.equal(samples[samples.length - 1]![0], c.maxTime);
    assert.ok(samples.length <= 120, `chunk has ${samples.length} samples`);
    total += samples.length;
  }
  assert.equal(total, n);
  // A full 2h window at 15s = 480 samples → exactly 4 chunks of 120.
  const full = s!.chunks.filter((c) => c.minTime >= rangeForTimestamp(start, range) && c.maxTime < rangeForTimestamp(start, range) + range);
  assert.deepEqual(
    full.map((c) => decodeChunk(c.data).length),
    [120, 120, 120, 120],
  );
  assert.equal(h.stats().numChunks, s!.chunks.length);
  // Without a prediction (irregular fast samples) chunks are cut at 240 at the latest.
  const h2 = new Head({ chunkRange: range });
  const a2 = h2.appender();
  for (let i = 0; i < 1000; i++) a2.append(0, L({ __name__: 'y' }), i < 31 ? i * 1000 : 31_000 + i, i);
  await a2.commit();
  const [s2] = await selectAll(h2.querier(-Infinity, Infinity), []);
  assert.ok(s2!.chunks.every((c) => decodeChunk(c.data).length <= 240));
});

test('postings: Prometheus matcher semantics incl. empty-matching matchers', async () => {
  const h = new Head();
  const app = h.appender();
  const sets: Record<string, string>[] = [
    { __name__: 'm', a: 'x' },
    { __name__: 'm', a: 'y' },
    { __name__: 'm', a: '' }, // no "a" label
    { __name__: 'm', b: 'x' },
    { __name__: 'n', a: 'x', b: 'z' },
  ];
  for (const s of sets) app.append(0, L(s), 1, 1);
  await app.commit();
  const q = h.querier(-Infinity, Infinity);
  const names = async (...ms: Matcher[]): Promise<string[]> => (await selectAll(q, ms)).map((r) => r.labels);
  assert.deepEqual(await names(new Matcher('=~', 'a', '')), ['m', 'm{b="x"}']);
  assert.deepEqual(await names(new Matcher('=', 'a', '')), ['m', 'm{b="x"}']);
  assert.deepEqual(await names(new Matcher('!=', 'a', '')), ['m{a="x"}', 'm{a="y"}', 'n{a="x", b="z"}']);
  assert.deepEqual(await names(new Matcher('!~', 'a', 'x|')), ['m{a="y"}']);
  assert.deepEqual(await names(new Matcher('!~', 'a', 'x')), ['m', 'm{a="y"}', 'm{b="x"}']);
  assert.deepEqual(await names(new Matcher('!=', 'a', 'x'), Matcher.eq('__name__', 'm')), ['m', 'm{a="y"}', 'm{b="x"}']);
  assert.deepEqual(await names(new Matcher('=~', 'a', 'x|')), ['m', 'm{a="x"}', 'm{b="x"}', 'n{a="x", b="z"}']);
  assert.deepEqual(await names(new Matcher('=~', 'a', '.+')), ['m{a="x"}', 'm{a="y"}', 'n{a="x", b="z"}']);
  assert.deepEqual(await names(new Matcher('=~', 'a', '.*')), ['m', 'm{a="x"}', 'm{a="y"}', 'm{b="x"}', 'n{a="x", b="z"}']);
  assert.deepEqual(await names(new Matcher('=~', 'b', 'x|z'), new Matcher('=~', 'a', '[xy]')), ['n{a="x", b="z"}']);
  assert.deepEqual(await names(Matcher.eq('nope', 'x')), []);
  assert.deepEqual(await names(new Matcher('!=', 'nope', 'x')), ['m', 'm{a="x"}', 'm{a="y"}', 'm{b="x"}', 'n{a="x", b="z"}']);
  assert.deepEqual((await q.labelValues('a', [])).values, ['x', 'y']);
  assert.deepEqual((await q.labelValues('a', [Matcher.eq('__name__', 'm')])).values, ['x', 'y']);
  assert.deepEqual((await q.labelValues('b', [new Matcher('=~', 'a', '')])).values, ['x']);
  assert.deepEqual((await q.labelNames([])).values, ['__name__', 'a', 'b']);
  assert.deepEqual((await q.labelNames([Matcher.eq('a', 'y')])).values, ['__name__', 'a']);
  assert.deepEqual((await q.labelValues('a', [], { limit: 1 })).values, ['x']);
});

// --- property test against a naive model ---

interface ModelSeries {
  labels: Labels;
  samples: [number, number][];
}

const labelSetArb = fc.record({
  __name__: fc.constantFrom('a', 'b'),
  x: fc.constantFrom('', '1', '2', '3'),
  y: fc.constantFrom('', 'p', 'q'),
});
const matcherArb = fc.tuple(
  fc.constantFrom('=', '!=', '=~', '!~'),
  fc.constantFrom('__name__', 'x', 'y', 'z'),
  fc.constantFrom('', '1', '2', 'p', 'a', '1|2', '1|', '.*', '.+', 'p|q|'),
).map(([t, n, v]) => new Matcher(t as '=' | '!=' | '=~' | '!~', n, v));

test('property: head querier equals a naive model (select, chunks, labels, seek)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(labelSetArb, fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.double()), { maxLength: 60 })), { maxLength: 12 }),
      fc.array(matcherArb, { maxLength: 3 }),
      fc.integer({ min: -100, max: 1500 }),
      fc.integer({ min: 0, max: 1500 }),
      fc.integer({ min: 50, max: 500 }),
      async (input, matchers, mint, span, chunkRange) => {
        const h = new Head({ chunkRange });
        const model = new Map<string, ModelSeries>();
        // Several commits; timestamps strictly increase per series in the model.
        for (let round = 0; round < 2; round++) {
          const app = h.appender();
          for (const [obj, samples] of input) {
            const ls = L(obj);
            if (ls.isEmpty()) continue;
            let m = model.get(ls.key);
            if (!m) {
              m = { labels: ls, samples: [] };
              model.set(ls.key, m);
            }
            for (const [dt, v] of samples) {
              const t = (m.samples.length ? m.samples[m.samples.length - 1]![0] : 0) + dt + 1;
              app.append(0, ls, t + round, v);
              m.samples.push([t + round, v]);
            }
          }
          await app.commit();
        }
        const maxt = mint + span;
        const want = [...model.values()]
          .filter((s) => matchesAll(matchers, (n) => s.labels.get(n)))
          .map((s) => ({ labels: s.labels, samples: s.samples.filter(([t]) => t >= mint && t <= maxt) }))
          .filter((s) => s.samples.length > 0)
          .sort((a, b) => Labels.compare(a.labels, b.labels));
        const q = h.querier(mint, maxt);
        const got = await selectAll(q, matchers);
        assert.deepEqual(
          got.map((g) => g.labels),
          want.map((w) => w.labels.toString()),
        );
        for (let i = 0; i < want.length; i++) {
          const g = got[i]!;
          assert.equal(g.samples.length, want[i]!.samples.length);
          g.samples.forEach(([t, v], j) => {
            assert.equal(t, want[i]!.samples[j]![0]);
            assert.ok(Object.is(v, want[i]!.samples[j]![1]) || (Number.isNaN(v) && Number.isNaN(want[i]!.samples[j]![1])));
          });
          // Raw chunks cover the range: decoded and clipped they give the same samples.
          const fromChunks = g.chunks.flatMap((c) => decodeChunk(c.data)).filter(([t]) => t >= mint && t <= maxt);
          assert.deepEqual(
            fromChunks.map(([t]) => t),
            g.samples.map(([t]) => t),
          );
          for (const c of g.chunks) assert.ok(c.maxTime >= mint && c.minTime <= maxt);
        }
        // Seek: to a random point inside the range lands on the first sample >= it.
        for await (const s of q.select({ start: mint, end: maxt }, matchers)) {
          const w = want.find((x) => x.labels.equals(s.labels))!;
          const target = mint + Math.floor(span / 2);
          const it = s.iterator();
          const first = w.samples.find(([t]) => t >= target);
          assert.equal(it.seek(target), first ? ValueType.Float : ValueType.None);
          if (first) {
            assert.equal(it.t, first[0]);
            assert.equal(it.seek(target - 1000), ValueType.Float); // no-op backwards
            assert.equal(it.t, first[0]);
          }
        }
        // Label names/values among matching series with samples in range.
        const wantNames = [...new Set(want.flatMap((w) => w.labels.names()))].sort();
        assert.deepEqual((await q.labelNames(matchers)).values, wantNames);
        const wantX = [...new Set(want.map((w) => w.labels.get('x')).filter((v) => v !== ''))].sort();
        assert.deepEqual((await q.labelValues('x', matchers)).values, wantX);
      },
    ),
    { numRuns: 150 },
  );
});

test('chunkSeries: sorted series, chunks clipped to [mint, maxt), inner chunks passed through', async () => {
  const h = new Head({ chunkRange: 1000 });
  const app = h.appender();
  const samples: Record<string, [number, number][]> = { b: [], a: [], c: [] };
  for (let t = 0; t < 3000; t += 10) {
    samples.b!.push([t, t / 10]);
    app.append(0, L({ __name__: 'b' }), t, t / 10);
    if (t >= 1500) {
      samples.a!.push([t, -t]);
      app.append(0, L({ __name__: 'a' }), t, -t);
    }
    if (t < 900) {
      samples.c!.push([t, 1]);
      app.append(0, L({ __name__: 'c' }), t, 1);
    }
  }
  await app.commit();
  const mint = 1000;
  const maxt = 2000;
  const out = [...h.chunkSeries(mint, maxt)];
  assert.deepEqual(
    out.map((s) => s.labels.toString()),
    ['a', 'b'], // c has nothing in range; sorted by labels
  );
  for (const s of out) {
    const name = s.labels.get('__name__');
    const got = s.chunks.flatMap((c) => {
      const d = decodeChunk(c.data);
      assert.equal(d[0]![0], c.minTime);
      assert.equal(d[d.length - 1]![0], c.maxTime);
      assert.ok(c.minTime >= mint && c.maxTime < maxt);
      return d;
    });
    assert.deepEqual(
      got,
      samples[name]!.filter(([t]) => t >= mint && t < maxt),
    );
  }
  // Chunks cut on a 1000ms range: b's chunks inside [1000, 2000) are the head's own chunk bytes.
  const [, b] = out;
  const q = await selectAll(h.querier(1000, 1999), [Matcher.eq('__name__', 'b')]);
  assert.deepEqual(
    b!.chunks.map((c) => Buffer.from(c.data).toString('hex')),
    q[0]!.chunks.filter((c) => c.minTime >= 1000 && c.maxTime < 2000).map((c) => Buffer.from(c.data).toString('hex')),
  );
  // A range cutting through chunks re-encodes them.
  const cut = [...h.chunkSeries(1234, 1777)];
  for (const s of cut) for (const c of s.chunks) for (const [t] of decodeChunk(c.data)) assert.ok(t >= 1234 && t < 1777);
});

test('truncate drops old chunks and empty series, updates postings and stats', async () => {
  const h = new Head({ chunkRange: 1000 });
  const app = h.appender();
  for (let t = 0; t < 3000; t += 10) {
    app.append(0, L({ __name__: 'long', k: 'v' }), t, t);
    if (t < 1500) app.append(0, L({ __name__: 'short', k: 'w' }), t, t);
  }
  await app.commit();
  const shortRef = h.appender().append(0, L({ __name__: 'short', k: 'w' }), 5000, 1);
  assert.equal(h.stats().numSamples, 300 + 150);
  const removed = h.truncate(2000);
  assert.deepEqual(removed, [shortRef]);
  assert.equal(h.numSeries(), 1);
  assert.equal(h.minTime(), 2000);
  assert.equal(h.stats().numSamples, 100);
  assert.equal(h.stats().numChunks, 1);
  const q = h.querier(-Infinity, Infinity);
  assert.deepEqual((await q.labelValues('k', [])).values, ['v']);
  assert.deepEqual((await q.labelValues('__name__', [])).values, ['long']);
  const res = await selectAll(q, [new Matcher('=~', 'k', '.+')]);
  assert.equal(res.length, 1);
  assert.equal(res[0]!.samples[0]![0], 2000);
  // The removed series gets a new ref when it comes back.
  const a2 = h.appender();
  const r = a2.append(0, L({ __name__: 'short', k: 'w' }), 6000, 1);
  assert.ok(r > shortRef);
  await a2.commit();
  assert.equal(h.numSeries(), 2);
});

test('exemplars and metadata are kept in memory', async () => {
  const h = new Head();
  const ls = L({ __name__: 'req_total', job: 'j' });
  const app = h.appender();
  const ref = app.append(0, ls, 1000, 1);
  app.appendExemplar!(ref, ls, { labels: L({ trace_id: 'abc' }), value: 1, ts: 1000 });
  app.appendExemplar!(ref, ls, { labels: L({ trace_id: 'abc' }), value: 1, ts: 1000 }); // duplicate: ignored
  assert.throws(() => app.appendExemplar!(ref, ls, { labels: L({ trace_id: 'x'.repeat(200) }), value: 1, ts: 1001 }), AppendError);
  await app.commit();
  const a2 = h.appender();
  assert.throws(() => a2.appendExemplar!(ref, ls, { labels: L({ trace_id: 'old' }), value: 1, ts: 999 }), (e: unknown) => e instanceof AppendError && e.kind === 'out_of_order');
  a2.appendExemplar!(ref, ls, { labels: L({ trace_id: 'def' }), value: 2, ts: 2000 });
  await a2.commit();
  const ex = h.exemplars(0, 5000, [[Matcher.eq('job', 'j')]]);
  assert.equal(ex.length, 1);
  assert.equal(ex[0]!.seriesLabels.toString(), 'req_total{job="j"}');
  assert.deepEqual(
    ex[0]!.exemplars.map((e) => [e.labels.toString(), e.value, e.ts]),
    [
      ['{trace_id="abc"}', 1, 1000],
      ['{trace_id="def"}', 2, 2000],
    ],
  );
  assert.deepEqual(h.exemplars(1500, 5000, [[Matcher.eq('job', 'j')]])[0]!.exemplars.length, 1);
  assert.deepEqual(h.exemplars(0, 5000, [[Matcher.eq('job', 'nope')]]), []);
  h.setMetadata('req_total', { type: 'counter', help: 'Requests.', unit: '' });
  h.setMetadata('req_total', { type: 'counter', help: 'Requests.', unit: '' });
  assert.deepEqual([...h.metadata()], [['req_total', [{ type: 'counter', help: 'Requests.', unit: '' }]]]);
});

test('WAL replay rebuilds the head exactly (real WAL, close, reopen)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-head-wal-'));
  try {
    const h = await Head.open({ walDir: join(dir, 'wal'), chunkRange: 3600_000 });
    const rnd = fc.sample(fc.double(), { numRuns: 2000, seed: 42 });
    let k = 0;
    for (let round = 0; round < 20; round++) {
      const app = h.appender();
      for (let i = 0; i < 30; i++) {
        const ls = L({ __name__: i % 3 === 0 ? 'lat_bucket' : 'req_total', inst: `i${i}`, le: i % 3 === 0 ? '0.5' : '' });
        const t = 1_700_000_000_000 + round * 60_000 + (i % 7);
        app.append(0, ls, t, round === 10 && i === 4 ? STALE_NAN : rnd[k++ % rnd.length]!);
        if (round === 5 && i < 3) app.appendExemplar!(0, ls, { labels: L({ trace_id: `t${i}` }), value: i, ts: t });
      }
      await app.commit();
    }
    // A rolled back appender leaves nothing behind.
    const rb = h.appender();
    rb.append(0, L({ __name__: 'ghost' }), 1, 1);
    rb.rollback();
    // Concurrent commits with a sample dropped at apply time (replay must drop it the same way).
    const a = h.appender();
    const b = h.appender();
    a.append(0, L({ __name__: 'race' }), 2_000_000_000_000, 1);
    b.append(0, L({ __name__: 'race' }), 1_999_999_999_999, 2);
    await a.commit();
    await b.commit();
    assert.equal(h.droppedOnCommit, 1);
    h.setMetadata('lat', { type: 'histogram', help: 'Latency.', unit: 'seconds' });
    h.setMetadata('req_total', { type: 'counter', help: 'Requests.', unit: '' });
    const before = await snapshot(h);
    const statsBefore = h.stats();
    const exBefore = h.exemplars(-Infinity, Infinity, [[new Matcher('=~', '__name__', '.+')]]);
    const metaBefore = [...h.metadata()].sort();
    await h.close();

    const h2 = await Head.open({ walDir: join(dir, 'wal'), chunkRange: 3600_000 });
    assert.equal(h2.replayStats.corrupted, false);
    assert.deepEqual(h2.stats(), statsBefore);
    assert.equal(h2.minTime(), h.minTime());
    assert.equal(h2.maxTime(), h.maxTime());
    const after = await snapshot(h2);
    assert.deepEqual(after, before);
    assert.deepEqual(h2.exemplars(-Infinity, Infinity, [[new Matcher('=~', '__name__', '.+')]]), exBefore);
    assert.deepEqual([...h2.metadata()].sort(), metaBefore);
    // Stale markers survive.
    const stale = await selectAll(h2.querier(-Infinity, Infinity), [Matcher.eq('inst', 'i4'), Matcher.eq('__name__', 'req_total')]);
    assert.ok(stale[0]!.samples.some(([, v]) => isStaleNaN(v)));
    // New series continue after the highest replayed ref, and appends continue the chunks.
    const app = h2.appender();
    const newRef = app.append(0, L({ __name__: 'fresh' }), 1, 1);
    const oldRef = app.append(0, L({ __name__: 'req_total', inst: 'i1' }), 1_800_000_000_000, 5);
    assert.ok(newRef > oldRef);
    assert.ok(newRef > 30);
    await app.commit();
    await h2.close();
    const h3 = await Head.open({ walDir: join(dir, 'wal'), chunkRange: 3600_000 });
    assert.equal(h3.numSeries(), h2.numSeries());
    assert.deepEqual(await snapshot(h3), await snapshot(h2));
    await h3.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

async function snapshot(h: Head): Promise<unknown> {
  const res = await selectAll(h.querier(-Infinity, Infinity), []);
  return res.map((r) => ({
    labels: r.labels,
    samples: r.samples.map(([t, v]) => [t, isStaleNaN(v) ? 'stale' : Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v]),
    chunks: r.chunks.map((c) => [c.minTime, c.maxTime, Buffer.from(c.data).toString('hex')]),
  }));
}

test('select snapshots the head chunk: later appends are not seen by iterators or chunks()', async () => {
  const h = new Head();
  const ls = L({ __name__: 's' });
  let app = h.appender();
  for (let t = 1; t <= 10; t++) app.append(0, ls, t, t * 1.5);
  await app.commit();
  const q = h.querier(-Infinity, Infinity);
  const series = [];
  for await (const s of q.select({ start: 0, end: 100 }, [])) series.push(s);
  app = h.appender();
  for (let t = 11; t <= 20; t++) app.append(0, ls, t, t * 1.5);
  await app.commit();
  const [s] = series;
  const it = s!.iterator();
  const ts: number[] = [];
  while (it.next() === ValueType.Float) ts.push(it.t);
  assert.deepEqual(ts, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const chunks = s!.chunks!();
  assert.equal(chunks.length, 1);
  assert.equal(chunks[0]!.maxTime, 10);
  assert.deepEqual(
    decodeChunk(chunks[0]!.data),
    ts.map((t) => [t, t * 1.5]),
  );
  // A fresh select sees everything; its chunk is a standalone copy.
  const [now] = await selectAll(h.querier(-Infinity, Infinity), []);
  assert.equal(now!.samples.length, 20);
  const copy = now!.chunks[0]!.data;
  app = h.appender();
  app.append(0, ls, 21, 0);
  await app.commit();
  assert.equal(decodeChunk(copy).length, 20);
});

test('a sample committed while truncate() removed its series is re-appended, not lost', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-head-trunc-'));
  try {
    const h = await Head.open({ walDir: dir, chunkRange: 1000 });
    const ls = L({ __name__: 'idle' });
    let app = h.appender();
    const oldRef = app.append(0, ls, 100, 1);
    await app.commit();
    app = h.appender();
    app.append(0, ls, 2500, 2);
    const pending = app.commit(); // waits for the WAL write
    assert.deepEqual(h.truncate(2000), [oldRef]); // the series had nothing at or after 2000
    await pending;
    const [s] = await selectAll(h.querier(-Infinity, Infinity), [Matcher.eq('__name__', 'idle')]);
    assert.deepEqual(s!.samples, [[2500, 2]]);
    assert.equal(h.droppedOnCommit, 0);
    await h.close();
    const h2 = await Head.open({ walDir: dir, chunkRange: 1000 });
    const [r] = await selectAll(h2.querier(2000, Infinity), [Matcher.eq('__name__', 'idle')]);
    assert.deepEqual(r!.samples, [[2500, 2]]);
    await h2.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an exact resend of older stored samples is accepted; a different older value is a duplicate', async () => {
  const head = await Head.open({});
  const l = Labels.fromObject({ __name__: 'resend', job: 'x' });
  const app = head.appender();
  for (let i = 0; i < 300; i++) app.append(0, l, 1000 * i, i * 1.5);
  await app.commit();
  // A retried request covering samples 100..299 (older than the newest, spread over chunks).
  const again = head.appender();
  for (let i = 100; i < 300; i++) again.append(0, l, 1000 * i, i * 1.5);
  await again.commit();
  assert.equal(head.stats().numSamples, 300);
  const bad = head.appender();
  assert.throws(() => bad.append(0, l, 1000 * 50, 7), (e: unknown) => e instanceof AppendError && e.kind === 'duplicate');
  assert.throws(() => bad.append(0, l, 1000 * 50 + 1, 7), (e: unknown) => e instanceof AppendError && e.kind === 'out_of_order');
  bad.rollback();
  await head.close();
});

test('select: readRange bulk reads equal seek+next; series come back sorted by labels (cached order invalidated by new series)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 400 })), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: -50_000, max: 9_000_000 }),
      fc.integer({ min: 0, max: 9_000_000 }),
      async (specs, from, width) => {
        const head = new Head({ chunkRange: 2 * 3600 * 1000 });
        for (let round = 0; round < 2; round++) {
          // Round 2 adds series after a query has cached the label order.
          const app = head.appender();
          for (let j = 0; j < specs.length; j++) {
            const [k, count] = specs[j]!;
            const l = Labels.fromPairs([['__name__', 'm'], ['k', String(j * 10 + k)], ['round', String(round)]]);
            for (let i = 0; i < count; i++) app.append(0, l, i * 15_000 + k, i % 7 === 0 ? NaN : i * 1.5 + k);
          }
          await app.commit();
          const q = head.querier(from, from + width);
          const got: string[] = [];
          for await (const s of q.select({ start: from, end: from + width }, [new Matcher('=', '__name__', 'm')])) {
            got.push(s.labels.toString());
            const a = s.iterator() as ReturnType<typeof s.iterator> & { readRange(f: number, t: number, ts: Float64Array, vs: Float64Array, off: number): number; sampleCountUpperBound(): number };
            const ts = new Float64Array(a.sampleCountUpperBound() + 3);
            const vs = new Float64Array(ts.length);
            const n = a.readRange(from, from + width, ts, vs, 3);
            assert.equal(a.err(), null);
            const want: [number, number][] = [];
            const b = s.iterator();
            for (let vt = b.seek(from); vt === ValueType.Float && b.t <= from + width; vt = b.next()) want.push([b.t, b.v]);
            assert.deepEqual(Array.from({ length: n }, (_, i) => [ts[3 + i]!, vs[3 + i]!]), want);
          }
          const sorted = [...got].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
          assert.deepEqual(got, sorted);
        }
      },
    ),
    { numRuns: 60 },
  );
});
