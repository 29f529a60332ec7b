// StoreServer + StoreClient over 127.0.0.1: matchers of every type, time ranges, skip_chunks,
// limits, replica-label removal, warnings, batching, label APIs, streaming of large results with
// backpressure, and errors as gRPC status codes. Expected samples come from the generator
// functions that filled the source, never from our own output.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { Labels } from '../labels/labels.ts';
import { Matcher } from '../labels/matcher.ts';
import { MemoryStorage } from '../storage/memory.ts';
import { ExternalLabelsQueryable } from '../storage/extlabels.ts';
import {
  ValueType,
  type ChunkMeta,
  type LabelResult,
  type Querier,
  type Queryable,
  type SampleIterator,
  type Series,
  type SeriesSet,
} from '../storage/interfaces.ts';
import { XORChunk } from '../tsdb/chunkenc/index.ts';
import { STALE_NAN, isStaleNaN } from '../tsdb/stale.ts';
import { StoreServer, type StoreSource } from './server.ts';
import { StoreClient } from './client.ts';
import { StoreApiError } from './convert.ts';

const STEP = 15_000;
const N = 300; // samples per series: more than two 120-sample chunks
const ext = Labels.fromObject({ replica: 'a', tenant_id: 'default-tenant' });

/** Value of sample i of a series (distinct per series so mix-ups show). */
const valueOf = (seed: number, i: number): number => seed * 1000 + i * 0.5 + (i % 7 === 0 ? -1e-9 : 0);

interface Def {
  labels: Record<string, string>;
  seed: number;
}
const defs: Def[] = [
  ...[0, 1, 2, 3, 4].map((i) => ({ labels: { __name__: 'up', job: 'api', instance: `i${i}` }, seed: i + 1 })),
  { labels: { __name__: 'http_requests_total', job: 'web', code: '200' }, seed: 10 },
  { labels: { __name__: 'http_requests_total', job: 'web', code: '500' }, seed: 11 },
];

function withExt(l: Record<string, string>): string {
  return Labels.fromObject({ ...l, ...ext.toObject() }).key;
}

const mem = new MemoryStorage();
for (const d of defs) for (let i = 0; i < N; i++) mem.add(Labels.fromObject(d.labels), i * STEP, valueOf(d.seed, i));
// One series with a staleness marker in the middle.
const staleLabels = { __name__: 'stale_metric', job: 'x' };
for (let i = 0; i < 10; i++) mem.add(Labels.fromObject(staleLabels), i * STEP, i === 5 ? STALE_NAN : i);

const source: StoreSource = {
  labelSets: () => [ext],
  timeRange: () => ({ minTime: 0, maxTime: (N - 1) * STEP }),
  componentType: 'receive',
  queryable: new ExternalLabelsQueryable(mem, ext),
};

let server: StoreServer;
let client: StoreClient;
before(async () => {
  server = new StoreServer({ store: source, address: '127.0.0.1:0' });
  client = new StoreClient(await server.start(), { timeoutMs: 20_000 });
});
after(async () => {
  client.close();
  await server.stop();
});

interface Got {
  key: string;
  samples: [number, number][];
}

function drain(it: SampleIterator): [number, number][] {
  const out: [number, number][] = [];
  while (it.next() === ValueType.Float) out.push([it.t, it.v]);
  const e = it.err();
  if (e) throw e;
  return out;
}

async function collect(set: SeriesSet): Promise<Got[]> {
  const out: Got[] = [];
  for await (const s of set) out.push({ key: s.labels.key, samples: drain(s.iterator()) });
  return out;
}

function expected(d: Def, mint = -Infinity, maxt = Infinity): Got {
  const samples: [number, number][] = [];
  for (let i = 0; i < N; i++) {
    const t = i * STEP;
    if (t >= mint && t <= maxt) samples.push([t, valueOf(d.seed, i)]);
  }
  return { key: withExt(d.labels), samples };
}

function sortedExpected(ds: Def[], mint?: number, maxt?: number): Got[] {
  return ds.map((d) => expected(d, mint, maxt)).sort((a, b) => Labels.compare(keyLabels(a.key), keyLabels(b.key)));
}

function keyLabels(key: string): Labels {
  const parts = key.split('\xff').slice(0, -1);
  const pairs: [string, string][] = [];
  for (let i = 0; i < parts.length; i += 2) pairs.push([parts[i]!, parts[i + 1]!]);
  return Labels.fromPairs(pairs);
}

const full = (): Querier => client.querier(0, N * STEP);
const sel = (q: Querier, ...ms: Matcher[]): SeriesSet => q.select({ start: 0, end: N * STEP }, ms);

test('Info: label sets, component type, time range, capabilities', async () => {
  const info = await client.info();
  assert.equal(info.componentType, 'receive');
  assert.deepEqual(info.labelSets.map((l) => l.key), [ext.key]);
  assert.equal(info.minTime, 0);
  assert.equal(info.maxTime, (N - 1) * STEP);
  assert.equal(info.supportsWithoutReplicaLabels, true);
});

test('Series: = matcher returns the series sorted by labels with every sample exact', async () => {
  const got = await collect(sel(full(), Matcher.eq('job', 'api')));
  assert.deepEqual(got, sortedExpected(defs.filter((d) => d.labels.job === 'api')));
});

test('Series: != matcher', async () => {
  const got = await collect(sel(full(), new Matcher('!=', 'job', 'api'), new Matcher('!=', 'job', 'x')));
  assert.deepEqual(got, sortedExpected(defs.filter((d) => d.labels.job !== 'api')));
});

test('Series: =~ matcher (anchored)', async () => {
  const got = await collect(sel(full(), new Matcher('=~', 'instance', 'i1|i3')));
  assert.deepEqual(got, sortedExpected(defs.filter((d) => d.labels.instance === 'i1' || d.labels.instance === 'i3')));
  // Anchoring: "i" alone matches nothing.
  assert.deepEqual(await collect(sel(full(), new Matcher('=~', 'instance', 'i'))), []);
});

test('Series: !~ matcher', async () => {
  const got = await collect(sel(full(), new Matcher('!~', '__name__', 'up|stale_.*')));
  assert.deepEqual(got, sortedExpected(defs.filter((d) => d.labels.__name__ === 'http_requests_total')));
});

test('Series: matchers on external labels are answered by the source', async () => {
  assert.equal((await collect(sel(full(), Matcher.eq('replica', 'a'), Matcher.eq('job', 'web')))).length, 2);
  assert.deepEqual(await collect(sel(full(), Matcher.eq('replica', 'b'), Matcher.eq('job', 'web'))), []);
});

test('Series: time range trims samples inside chunks and drops series without samples', async () => {
  const mint = 10 * STEP + 1;
  const maxt = 130 * STEP; // crosses the 120-sample chunk boundary
  const q = client.querier(mint, maxt);
  const got = await collect(q.select({ start: mint, end: maxt }, [Matcher.eq('job', 'api')]));
  assert.deepEqual(got, sortedExpected(defs.filter((d) => d.labels.job === 'api'), mint, maxt));
  assert.equal(got[0]!.samples.length, 120); // 11..130
  // Seek on the client iterator.
  const set = q.select({ start: mint, end: maxt }, [Matcher.eq('instance', 'i0')]);
  for await (const s of set) {
    const it = s.iterator();
    assert.equal(it.seek(125 * STEP), ValueType.Float);
    assert.equal(it.t, 125 * STEP);
    assert.equal(it.v, valueOf(1, 125));
    assert.equal(it.seek(3 * STEP), ValueType.Float); // never backwards
    assert.equal(it.t, 125 * STEP);
    assert.equal(it.seek(131 * STEP), ValueType.None);
  }
  // Nothing after the data.
  const late = client.querier(N * STEP + 1, N * STEP + 1000);
  assert.deepEqual(await collect(late.select({ start: N * STEP + 1, end: N * STEP + 1000 }, [Matcher.eq('job', 'api')])), []);
});

test('Series: staleness markers keep their exact NaN bits over the wire', async () => {
  const got: number[] = [];
  for await (const s of sel(full(), Matcher.eq('__name__', 'stale_metric'))) {
    const it = s.iterator();
    while (it.next() === ValueType.Float) got.push(it.v);
  }
  assert.equal(got.length, 10);
  assert.ok(isStaleNaN(got[5]!));
  assert.deepEqual(got.filter((_, i) => i !== 5), [0, 1, 2, 3, 4, 6, 7, 8, 9]);
});

test('Series: skip_chunks returns labels only', async () => {
  const set = full().select({ start: 0, end: N * STEP, skipChunks: true, func: 'series' }, [Matcher.eq('job', 'web')]);
  const got = await collect(set);
  assert.deepEqual(
    got.map((g) => g.key),
    sortedExpected(defs.filter((d) => d.labels.job === 'web')).map((g) => g.key),
  );
  for (const g of got) assert.deepEqual(g.samples, []);
});

test('Series: limit', async () => {
  const got = await collect(full().select({ start: 0, end: N * STEP, limit: 2 }, [Matcher.eq('job', 'api')]));
  assert.deepEqual(got, sortedExpected(defs.filter((d) => d.labels.job === 'api')).slice(0, 2));
});

test('Series: response_batch_size batches frames without changing the result', async () => {
  const batching = new StoreClient(client.address, { responseBatchSize: 3 });
  try {
    const got = await collect(batching.querier(0, N * STEP).select({ start: 0, end: N * STEP }, [new Matcher('=~', 'job', 'api|web')]));
    assert.deepEqual(got, sortedExpected(defs));
  } finally {
    batching.close();
  }
});

test('LabelNames / LabelValues with matchers, time range and limit', async () => {
  const q = full();
  assert.deepEqual((await q.labelNames([Matcher.eq('job', 'web')])).values, ['__name__', 'code', 'job', 'replica', 'tenant_id']);
  assert.deepEqual((await q.labelNames([], { limit: 2 })).values, ['__name__', 'code']);
  assert.deepEqual((await q.labelValues('instance', [Matcher.eq('job', 'api')])).values, ['i0', 'i1', 'i2', 'i3', 'i4']);
  assert.deepEqual((await q.labelValues('instance', [new Matcher('=~', 'instance', 'i[34]')])).values, ['i3', 'i4']);
  assert.deepEqual((await q.labelValues('job', [], { limit: 1 })).values, ['api']);
  assert.deepEqual((await q.labelValues('replica', [Matcher.eq('job', 'web')])).values, ['a']);
  // Replica labels are dropped when asked.
  const noReplica = new StoreClient(client.address, { withoutReplicaLabels: ['replica'] });
  try {
    const q2 = noReplica.querier(0, N * STEP);
    assert.deepEqual((await q2.labelNames([Matcher.eq('job', 'web')])).values, ['__name__', 'code', 'job', 'tenant_id']);
    assert.deepEqual((await q2.labelValues('replica', [])).values, []);
  } finally {
    noReplica.close();
  }
});

/** A Queryable over explicitly given series (for chunk-level, warning and laziness tests). */
class ListQueryable implements Queryable {
  produced = 0;
  closed = 0;
  constructor(
    private readonly make: (i: number) => Series | null,
    private readonly warns: string[] = [],
    private readonly failAfter = -1,
  ) {}
  querier(): Querier {
    const self = this;
    return {
      select(): SeriesSet {
        return {
          warnings: () => self.warns,
          async *[Symbol.asyncIterator]() {
            for (let i = 0; ; i++) {
              if (i === self.failAfter) throw new Error('disk on fire');
              const s = self.make(i);
              if (s === null) return;
              self.produced++;
              yield s;
            }
          },
        };
      },
      labelNames: async (): Promise<LabelResult> => ({ values: [], warnings: [] }),
      labelValues: async (): Promise<LabelResult> => {
        throw new Error('index unreadable');
      },
      close: () => {
        self.closed++;
      },
    };
  }
}

function xorChunk(samples: [number, number][]): ChunkMeta {
  const c = new XORChunk();
  const app = c.appender();
  for (const [t, v] of samples) app.append(t, v);
  return { minTime: samples[0]![0], maxTime: samples[samples.length - 1]![0], encoding: 1, data: c.bytes().slice() };
}

function chunkSeries(labels: Labels, chunks: ChunkMeta[]): Series {
  return {
    labels,
    chunks: () => chunks,
    iterator: () => {
      throw new Error('server must use chunks()');
    },
  };
}

class ArrayIterator implements SampleIterator {
  t = 0;
  v = 0;
  private k = -1;
  constructor(
    private readonly ts: number[],
    private readonly vs: number[],
  ) {}
  next(): ValueType {
    if (++this.k >= this.ts.length) return ValueType.None;
    this.t = this.ts[this.k]!;
    this.v = this.vs[this.k]!;
    return ValueType.Float;
  }
  seek(t: number): ValueType {
    while (this.k < 0 || this.t < t) if (this.next() === ValueType.None) return ValueType.None;
    return ValueType.Float;
  }
  err(): Error | null {
    return null;
  }
}

async function withServer<T>(
  q: Queryable,
  fn: (c: StoreClient) => Promise<T>,
  opts: { maxBytesPerFrame?: number; labelSets?: Labels[]; client?: ConstructorParameters<typeof StoreClient>[1] } = {},
): Promise<T> {
  const s = new StoreServer({
    store: { labelSets: () => opts.labelSets ?? [], timeRange: () => ({ minTime: 0, maxTime: 1 }), componentType: 'store', queryable: q },
    address: '127.0.0.1:0',
    maxBytesPerFrame: opts.maxBytesPerFrame,
  });
  const c = new StoreClient(await s.start(), opts.client);
  try {
    return await fn(c);
  } finally {
    c.close();
    await s.stop();
  }
}

test('Series: raw chunks from Series.chunks(); overlapping chunks of one series are merged by timestamp', async () => {
  // Two replicas' chunks overlap in [50, 100]; equal timestamps carry equal values (as duplicates do).
  const a = xorChunk([...Array(11).keys()].map((i) => [i * 10, i] as [number, number])); // 0..100
  const b = xorChunk([...Array(11).keys()].map((i) => [50 + i * 10, 5 + i] as [number, number])); // 50..150
  const c = xorChunk([[155, 99], [200, 100]]);
  const lbl = Labels.fromObject({ __name__: 'm' });
  const q = new ListQueryable((i) => (i === 0 ? chunkSeries(lbl, [c, b, a]) : null));
  await withServer(q, async (cl) => {
    const got = await collect(cl.querier(0, 1000).select({ start: 0, end: 1000 }, [Matcher.eq('__name__', 'm')]));
    const want: [number, number][] = [];
    for (let t = 0; t <= 150; t += 10) want.push([t, t / 10]);
    want.push([155, 99], [200, 100]);
    assert.deepEqual(got, [{ key: lbl.key, samples: want }]);
    // Trimmed to a window inside the overlap, with seek.
    const got2 = await collect(cl.querier(60, 155).select({ start: 60, end: 155 }, [Matcher.eq('__name__', 'm')]));
    assert.deepEqual(got2[0]!.samples, want.filter(([t]) => t >= 60 && t <= 155));
    // Raw chunks are exposed with chunkenc numbering.
    for await (const s of cl.querier(0, 1000).select({ start: 0, end: 1000 }, [Matcher.eq('__name__', 'm')])) {
      const chunks = s.chunks!();
      assert.equal(chunks.length, 3);
      assert.ok(chunks.every((ch) => ch.encoding === 1));
      assert.deepEqual(chunks.map((ch) => [ch.minTime, ch.maxTime]), [[155, 200], [50, 150], [0, 100]]);
    }
  });
});

test('Series: a series split over several frames (small frame budget) is joined by the client', async () => {
  const lbl = Labels.fromObject({ __name__: 'long', job: 'j' });
  const samples: [number, number][] = [];
  for (let i = 0; i < 1000; i++) samples.push([i * 1000, Math.sin(i)]);
  const chunks: ChunkMeta[] = [];
  for (let i = 0; i < samples.length; i += 120) chunks.push(xorChunk(samples.slice(i, i + 120)));
  const next = Labels.fromObject({ __name__: 'long', job: 'k' });
  const q = new ListQueryable((i) => (i === 0 ? chunkSeries(lbl, chunks) : i === 1 ? chunkSeries(next, [xorChunk([[5, 5]])]) : null));
  await withServer(
    q,
    async (cl) => {
      const got = await collect(cl.querier(0, 1e9).select({ start: 0, end: 1e9 }, [Matcher.eq('__name__', 'long')]));
      assert.deepEqual(got, [
        { key: lbl.key, samples },
        { key: next.key, samples: [[5, 5]] },
      ]);
    },
    { maxBytesPerFrame: 2000 },
  );
});

test('Series: without_replica_labels strips external replica labels and keeps the stream sorted', async () => {
  const replica = Labels.fromObject({ replica: 'r1' });
  // Sorted with the replica label: {__name__=a, b=1, replica=r1} < {__name__=a, replica=r1};
  // without it the order flips: {__name__=a} < {__name__=a, b=1}.
  const x = Labels.fromObject({ __name__: 'a', b: '1', replica: 'r1' });
  const y = Labels.fromObject({ __name__: 'a', replica: 'r1' });
  const q = new ListQueryable((i) => (i < 2 ? chunkSeries([x, y][i]!, [xorChunk([[i, i]])]) : null));
  await withServer(
    q,
    async (cl) => {
      const got = await collect(cl.querier(0, 10).select({ start: 0, end: 10 }, [Matcher.eq('__name__', 'a')]));
      assert.deepEqual(got, [
        { key: Labels.fromObject({ __name__: 'a' }).key, samples: [[1, 1]] },
        { key: Labels.fromObject({ __name__: 'a', b: '1' }).key, samples: [[0, 0]] },
      ]);
    },
    { labelSets: [replica], client: { withoutReplicaLabels: ['replica', 'b'] } }, // b is no external label: kept
  );
});

test('Series: source warnings arrive as warning frames', async () => {
  const lbl = Labels.fromObject({ __name__: 'w' });
  const q = new ListQueryable((i) => (i === 0 ? chunkSeries(lbl, [xorChunk([[1, 1]])]) : null), ['block 01X unreadable', 'second']);
  await withServer(q, async (cl) => {
    const set = cl.querier(0, 10).select({ start: 0, end: 10 }, [Matcher.eq('__name__', 'w')]);
    assert.equal((await collect(set)).length, 1);
    assert.deepEqual(set.warnings(), ['block 01X unreadable', 'second']);
  });
});

test('Series: 20k series stream lazily — the server does not run ahead of a slow reader', async () => {
  const total = 20_000;
  const labelsAt = (i: number): Labels => Labels.fromObject({ __name__: 'big', idx: String(i).padStart(6, '0') });
  // Re-encoding path: series without chunks(), 3 samples each.
  const q = new ListQueryable((i) => {
    if (i >= total) return null;
    const ts = [0, 1000, 2000];
    return {
      labels: labelsAt(i),
      iterator: (): SampleIterator => new ArrayIterator(ts, ts.map((_, k) => i + k)),
    };
  });
  await withServer(q, async (cl) => {
    let n = 0;
    let aheadWhilePaused = 0;
    const t0 = Date.now();
    for await (const s of cl.querier(0, 5000).select({ start: 0, end: 5000 }, [Matcher.eq('__name__', 'big')])) {
      assert.equal(s.labels.key, labelsAt(n).key);
      const smp = drain(s.iterator());
      assert.deepEqual(smp, [[0, n], [1000, n + 1], [2000, n + 2]]);
      n++;
      if (n === 100) {
        // Pause: the server may only fill the transport buffers, not produce the whole result.
        await new Promise((r) => setTimeout(r, 300));
        aheadWhilePaused = q.produced - n;
      }
    }
    assert.equal(n, total);
    console.log(`# ahead while paused: ${aheadWhilePaused}, total ${Date.now() - t0} ms`);
    // Each frame is ~60 bytes; HTTP/2 flow-control windows and the stream buffers hold at most a
    // few thousand of them, far from the 19 900 remaining series.
    assert.ok(aheadWhilePaused < 8000, `server produced ${aheadWhilePaused} series ahead of the reader`);
    assert.ok(aheadWhilePaused > 0);
    // grpc's default 64 KiB window, so the transport holds few frames and laziness shows.
  }, { client: { flowControlWindow: 65_535 } });
});

test('Series: a client that stops reading cancels the stream and the server closes its querier', async () => {
  const q = new ListQueryable((i) => chunkSeries(Labels.fromObject({ __name__: 'inf', i: String(i).padStart(9, '0') }), [xorChunk([[1, i]])]));
  // One series per message here, so the server's per-message backpressure is what stops it.
  await withServer(q, async (cl) => {
    let n = 0;
    for await (const _ of cl.querier(0, 10).select({ start: 0, end: 10 }, [Matcher.eq('__name__', 'inf')])) {
      if (++n === 50) break;
    }
    for (let i = 0; i < 100 && q.closed === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(q.closed, 1);
    const produced = q.produced;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(q.produced, produced);
    assert.ok(produced < 5000, `produced ${produced} of an endless set`);
  }, { client: { responseBatchSize: 1 } });
});

async function codeOf(p: Promise<unknown>): Promise<[number, string]> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StoreApiError, `expected StoreApiError, got ${String(e)}`);
    return [e.code, e.message];
  }
  assert.fail('expected an error');
}

test('errors: gRPC status codes with messages', async () => {
  const q = full();
  // Bad regex → INVALID_ARGUMENT.
  const [c1, m1] = await codeOf(collect(sel(q, new Matcher('=~', 'job', 'api'), { type: '=~', name: 'x', value: '(', matches: () => true } as unknown as Matcher)));
  assert.equal(c1, status.INVALID_ARGUMENT);
  assert.match(m1, /invalid matcher x=~"\("/);
  // Only external-label matchers → INVALID_ARGUMENT (Thanos: "no matchers specified (excluding external labels)").
  const [c2, m2] = await codeOf(collect(sel(q, Matcher.eq('replica', 'a'))));
  assert.equal(c2, status.INVALID_ARGUMENT);
  assert.match(m2, /no matchers specified/);
  // …unless they exclude this source: then the answer is simply empty.
  assert.deepEqual(await collect(sel(q, Matcher.eq('replica', 'zzz'))), []);
  // Empty label name → INVALID_ARGUMENT.
  const [c3, m3] = await codeOf(q.labelValues('', []));
  assert.equal(c3, status.INVALID_ARGUMENT);
  assert.match(m3, /label name parameter cannot be empty/);
  // Bad regex in label requests.
  const bad = { type: '!~', name: 'x', value: '[', matches: () => true } as unknown as Matcher;
  assert.equal((await codeOf(q.labelNames([bad])))[0], status.INVALID_ARGUMENT);
  // Source failures → INTERNAL with the source's message.
  const failing = new ListQueryable((i) => chunkSeries(Labels.fromObject({ __name__: 'f', i: String(i) }), [xorChunk([[1, 1]])]), [], 3);
  await withServer(failing, async (cl) => {
    const [c4, m4] = await codeOf(collect(cl.querier(0, 10).select({ start: 0, end: 10 }, [Matcher.eq('__name__', 'f')])));
    assert.equal(c4, status.INTERNAL);
    assert.match(m4, /disk on fire/);
    const [c5, m5] = await codeOf(cl.querier(0, 10).labelValues('a', []));
    assert.equal(c5, status.INTERNAL);
    assert.match(m5, /index unreadable/);
  });
  // Unreachable endpoint → UNAVAILABLE.
  const dead = new StoreClient('127.0.0.1:1', { timeoutMs: 2000 });
  try {
    const [c6] = await codeOf(dead.info());
    assert.ok(c6 === status.UNAVAILABLE || c6 === status.DEADLINE_EXCEEDED);
  } finally {
    dead.close();
  }
});

test('server passes the request time range, matchers and query hints to the source', async () => {
  const calls: { mint: number; maxt: number; hints: unknown; matchers: string[] }[] = [];
  const q: Queryable = {
    querier(mint: number, maxt: number): Querier {
      return {
        select(hints, matchers): SeriesSet {
          calls.push({ mint, maxt, hints: { ...hints }, matchers: matchers.map((m) => m.toString()) });
          return { warnings: () => [], async *[Symbol.asyncIterator]() {} };
        },
        labelNames: async () => ({ values: [], warnings: [] }),
        labelValues: async () => ({ values: [], warnings: [] }),
        close: () => {},
      };
    },
  };
  await withServer(q, async (cl) => {
    const set = cl.querier(0, 1).select(
      { start: -5, end: 9_000, step: 30, range: 300, func: 'rate', grouping: ['job'], by: false, limit: 3, maxResolution: 3_600_000 },
      [new Matcher('=~', 'a', 'x|y'), new Matcher('!=', 'b', '')],
    );
    for await (const _ of set);
    await collect(cl.querier(0, 1).select({ start: 1, end: 2, skipChunks: true }, [Matcher.eq('a', 'b')]));
  });
  assert.deepEqual(calls, [
    {
      mint: -5,
      maxt: 9000,
      hints: { start: -5, end: 9000, limit: 3, skipChunks: false, func: 'rate', step: 30, range: 300, grouping: ['job'], by: false, maxResolution: 3_600_000 },
      matchers: ['a=~"x|y"', 'b!=""'],
    },
    { mint: 1, maxt: 2, hints: { start: 1, end: 2, limit: 0, skipChunks: true, func: 'series' }, matchers: ['a="b"'] },
  ]);
});
