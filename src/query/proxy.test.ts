import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Labels } from '../labels/labels.ts';
import { Matcher } from '../labels/matcher.ts';
import { MemoryStorage } from '../storage/memory.ts';
import { PromQLError } from '../promql/value.ts';
import { Engine } from '../promql/engine.ts';
import { ValueType, type Querier, type Queryable, type SeriesSet } from '../storage/interfaces.ts';
import { NO_STORES_AVAILABLE, ProxyQueryable, labelSetsMatch, matchingEndpoints, type ProxyEndpoint } from './proxy.ts';
import { queryableFromParams } from './params.ts';
import { ApiError } from './http.ts';

const L = (o: Record<string, string>) => Labels.fromObject(o);
const name = (n: string) => new Matcher('=', '__name__', n);

/** Counts querier/select calls of a wrapped Queryable. */
function counting(q: Queryable): Queryable & { selects: number } {
  const w = {
    selects: 0,
    querier(mint: number, maxt: number): Querier {
      const inner = q.querier(mint, maxt);
      return {
        select: (h, ms) => {
          w.selects++;
          return inner.select(h, ms);
        },
        labelNames: (ms, h) => inner.labelNames(ms, h),
        labelValues: (n, ms, h) => inner.labelValues(n, ms, h),
        close: () => inner.close(),
      };
    },
  };
  return w;
}

function failing(msg: string, delayMs = 0): Queryable {
  const err = async (): Promise<never> => {
    await new Promise((r) => setTimeout(r, delayMs));
    throw new Error(msg);
  };
  return {
    querier: () => ({
      select: (): SeriesSet => ({
        warnings: () => [],
        async *[Symbol.asyncIterator]() {
          await err();
        },
      }),
      labelNames: err,
      labelValues: err,
      close() {},
    }),
  };
}

function hanging(): Queryable {
  const never = () => new Promise<never>(() => {});
  return {
    querier: () => ({
      select: (): SeriesSet => ({
        warnings: () => [],
        async *[Symbol.asyncIterator]() {
          await never();
        },
      }),
      labelNames: never,
      labelValues: never,
      close() {},
    }),
  };
}

function ep(n: string, queryable: Queryable, labelSets: Labels[] = [], minTime = -Infinity, maxTime = Infinity): ProxyEndpoint {
  return { name: n, queryable, labelSets, minTime, maxTime };
}

async function collect(set: SeriesSet): Promise<{ labels: string; samples: [number, number][] }[]> {
  const out: { labels: string; samples: [number, number][] }[] = [];
  for await (const s of set) {
    const it = s.iterator();
    const samples: [number, number][] = [];
    while (it.next() !== ValueType.None) samples.push([it.t, it.v]);
    out.push({ labels: s.labels.toString(), samples });
  }
  return out;
}

test('labelSetsMatch follows Thanos LabelSetsMatch', () => {
  const sets = [L({ cluster: 'eu', replica: 'a' }), L({ cluster: 'us', replica: 'a' })];
  assert.ok(labelSetsMatch([new Matcher('=', 'cluster', 'us')], sets));
  assert.ok(!labelSetsMatch([new Matcher('=', 'cluster', 'ap')], sets));
  assert.ok(labelSetsMatch([new Matcher('=~', 'cluster', 'e.*')], sets));
  // A matcher on a label the sets do not have cannot exclude them.
  assert.ok(labelSetsMatch([new Matcher('=', 'job', 'x')], sets));
  assert.ok(!labelSetsMatch([new Matcher('=', 'cluster', 'eu'), new Matcher('!=', 'replica', 'a')], sets));
  assert.ok(labelSetsMatch([new Matcher('=', 'cluster', 'ap')], []));
});

test('pruning by time range and external labels: pruned endpoints are not asked', async () => {
  const mk = (ext: Record<string, string>, t: number) => {
    const m = new MemoryStorage();
    m.add(L({ __name__: 'up', ...ext }), t, 1);
    return counting(m);
  };
  const old = mk({ cluster: 'eu' }, 1000);
  const recent = mk({ cluster: 'eu' }, 50_000);
  const us = mk({ cluster: 'us' }, 50_000);
  const eps = [
    ep('old', old, [L({ cluster: 'eu' })], 0, 10_000),
    ep('recent', recent, [L({ cluster: 'eu' })], 40_000, 60_000),
    ep('us', us, [L({ cluster: 'us' })], 40_000, 60_000),
  ];
  assert.deepEqual(matchingEndpoints(eps, 45_000, 55_000, [name('up')]).map((e) => e.name), ['recent', 'us']);
  const p = new ProxyQueryable({ endpoints: () => eps });
  const q = p.querier(45_000, 55_000);
  const got = await collect(q.select({ start: 45_000, end: 55_000 }, [name('up'), new Matcher('=', 'cluster', 'eu')]));
  assert.deepEqual(got, [{ labels: 'up{cluster="eu"}', samples: [[50_000, 1]] }]);
  assert.equal(old.selects, 0);
  assert.equal(us.selects, 0);
  assert.equal(recent.selects, 1);
});

test('k-way merge of sorted series from many endpoints; identical label sets merged', async () => {
  const stores = [0, 1, 2].map(() => new MemoryStorage());
  stores[0]!.add(L({ __name__: 'a', i: '1' }), 1000, 1);
  stores[1]!.add(L({ __name__: 'a', i: '0' }), 1000, 2);
  stores[2]!.add(L({ __name__: 'a', i: '2' }), 1000, 3);
  stores[0]!.add(L({ __name__: 'a', i: '3' }), 1000, 4);
  // The same series in two endpoints (e.g. a receiver head and a store with its uploaded block).
  stores[1]!.add(L({ __name__: 'a', i: '9' }), 1000, 5);
  stores[2]!.add(L({ __name__: 'a', i: '9' }), 2000, 6);
  stores[2]!.add(L({ __name__: 'a', i: '9' }), 1000, 5);
  const p = new ProxyQueryable({ endpoints: () => stores.map((s, i) => ep(`s${i}`, s)) });
  const got = await collect(p.querier(0, 10_000).select({ start: 0, end: 10_000 }, [name('a')]));
  assert.deepEqual(got, [
    { labels: 'a{i="0"}', samples: [[1000, 2]] },
    { labels: 'a{i="1"}', samples: [[1000, 1]] },
    { labels: 'a{i="2"}', samples: [[1000, 3]] },
    { labels: 'a{i="3"}', samples: [[1000, 4]] },
    { labels: 'a{i="9"}', samples: [[1000, 5], [2000, 6]] },
  ]);
});

test('partial response: a failing endpoint becomes a warning naming it; disabled: an error naming it', async () => {
  const good = new MemoryStorage();
  good.add(L({ __name__: 'up', job: 'a' }), 1000, 1);
  const eps = [ep('good:1', good), ep('bad:2', failing('connection refused'))];
  const partial = new ProxyQueryable({ endpoints: () => eps, partialResponse: true });
  const set = partial.querier(0, 5000).select({ start: 0, end: 5000 }, [name('up')]);
  assert.deepEqual(await collect(set), [{ labels: 'up{job="a"}', samples: [[1000, 1]] }]);
  assert.deepEqual(set.warnings(), ['bad:2: connection refused']);

  const strict = partial.with({ partialResponse: false });
  await assert.rejects(collect(strict.querier(0, 5000).select({ start: 0, end: 5000 }, [name('up')])), (e: unknown) => {
    assert.ok(e instanceof PromQLError);
    assert.equal(e.errorType, 'execution');
    assert.equal(e.message, 'bad:2: connection refused');
    return true;
  });
  // Label APIs behave the same.
  const ln = await partial.querier(0, 5000).labelNames([]);
  assert.deepEqual(ln, { values: ['__name__', 'job'], warnings: ['bad:2: connection refused'] });
  await assert.rejects(strict.querier(0, 5000).labelValues('job', []), /bad:2: connection refused/);
  // An error that already names the endpoint is not prefixed twice.
  const named = new ProxyQueryable({ endpoints: () => [ep('h:9', failing('h:9: unavailable'))] });
  const s2 = named.querier(0, 1).select({ start: 0, end: 1 }, [name('up')]);
  await collect(s2);
  assert.deepEqual(s2.warnings(), ['h:9: unavailable']);
  // Warnings an endpoint itself reports (e.g. a stacked querier's failed store) abort without partial response.
  const warnSet: Queryable = {
    querier: () => ({
      select: (): SeriesSet => ({ warnings: () => ['inner:3: timeout'], async *[Symbol.asyncIterator]() {} }),
      labelNames: async () => ({ values: ['a'], warnings: ['inner:3: timeout'] }),
      labelValues: async () => ({ values: [], warnings: [] }),
      close() {},
    }),
  };
  const wp = new ProxyQueryable({ endpoints: () => [ep('q:4', warnSet)] });
  const ws = wp.querier(0, 1).select({ start: 0, end: 1 }, [name('up')]);
  await collect(ws);
  assert.deepEqual(ws.warnings(), ['inner:3: timeout']);
  await assert.rejects(collect(wp.with({ partialResponse: false }).querier(0, 1).select({ start: 0, end: 1 }, [name('up')])), /^PromQLError: q:4: inner:3: timeout$/);
  await assert.rejects(wp.with({ partialResponse: false }).querier(0, 1).labelNames([]), /q:4: inner:3: timeout/);
  // No endpoints at all: empty with partial response, an error without (Thanos ErrorNoStoresAvailable).
  assert.deepEqual(await collect(new ProxyQueryable({ endpoints: () => [] }).querier(0, 1).select({ start: 0, end: 1 }, [name('up')])), []);
  await assert.rejects(
    collect(new ProxyQueryable({ endpoints: () => [], partialResponse: false }).querier(0, 1).select({ start: 0, end: 1 }, [name('up')])),
    new RegExp(NO_STORES_AVAILABLE),
  );
});

test('per-endpoint timeout: a hanging endpoint does not hold the others', async () => {
  const good = new MemoryStorage();
  good.add(L({ __name__: 'up' }), 1000, 7);
  const p = new ProxyQueryable({ endpoints: () => [ep('fast', good), ep('slow:1', hanging())], timeoutMs: 150 });
  const t0 = Date.now();
  const set = p.querier(0, 5000).select({ start: 0, end: 5000 }, [name('up')]);
  assert.deepEqual(await collect(set), [{ labels: 'up', samples: [[1000, 7]] }]);
  const took = Date.now() - t0;
  assert.ok(took >= 140 && took < 2000, `took ${took}ms`);
  assert.equal(set.warnings().length, 1);
  assert.match(set.warnings()[0]!, /^slow:1: .*150ms/);
  await assert.rejects(p.querier(0, 5000).labelNames([]).then((r) => (r.warnings.length ? Promise.reject(new Error(r.warnings[0])) : r)), /^Error: slow:1:/);
  await assert.rejects(collect(p.with({ partialResponse: false }).querier(0, 5000).select({ start: 0, end: 5000 }, [name('up')])), /slow:1/);
});

test('dedup through the proxy: replicas in different endpoints become one series; labels APIs drop replica labels', async () => {
  const a = new MemoryStorage();
  const b = new MemoryStorage();
  for (let t = 0; t <= 60_000; t += 15_000) {
    a.add(L({ __name__: 'up', job: 'x', replica: 'a' }), t, 1);
    if (t !== 30_000) b.add(L({ __name__: 'up', job: 'x', replica: 'b' }), t + 500, 2);
  }
  const p = new ProxyQueryable({
    endpoints: () => [ep('a', a, [L({ replica: 'a' })]), ep('b', b, [L({ replica: 'b' })])],
    replicaLabels: ['replica'],
  });
  const got = await collect(p.querier(0, 100_000).select({ start: 0, end: 100_000 }, [name('up')]));
  // Replica a is complete and its samples come first, so it is followed throughout.
  assert.deepEqual(got, [{ labels: 'up{job="x"}', samples: [[0, 1], [15000, 1], [30000, 1], [45000, 1], [60000, 1]] }]);
  const raw = await collect(p.with({ dedup: false }).querier(0, 100_000).select({ start: 0, end: 100_000 }, [name('up')]));
  assert.deepEqual(raw.map((s) => s.labels), ['up{job="x", replica="a"}', 'up{job="x", replica="b"}']);
  assert.deepEqual((await p.querier(0, 100_000).labelNames([])).values, ['__name__', 'job']);
  assert.deepEqual((await p.querier(0, 100_000).labelValues('replica', [])).values, []);
  assert.deepEqual((await p.with({ dedup: false }).querier(0, 100_000).labelValues('replica', [])).values, ['a', 'b']);
  // Limit applies to the deduplicated output.
  const lim = await collect(p.querier(0, 100_000).select({ start: 0, end: 100_000, limit: 1 }, [name('up')]));
  assert.equal(lim.length, 1);

  // PromQL over the deduplicated proxy.
  const engine = new Engine({});
  const r = await engine.instantQuery(p, 'count(up)', 60_000);
  assert.equal(r.value.resultType, 'vector');
  if (r.value.resultType === 'vector') assert.equal(r.value.samples[0]!.v, 1);
});

test('API parameters: dedup, replicaLabels[], partial_response, max_source_resolution', () => {
  const base = new ProxyQueryable({ endpoints: () => [], replicaLabels: ['replica'], partialResponse: true });
  const d = { replicaLabels: ['replica'], partialResponse: true, autoDownsampling: false };
  const q = (s: string, step?: number) => queryableFromParams(base, d, new URLSearchParams(s), step).opts;
  assert.equal(q('').dedup, true);
  assert.equal(q('dedup=false').dedup, false);
  assert.equal(q('dedup=0').dedup, false);
  assert.deepEqual(q('').replicaLabels, ['replica']);
  assert.deepEqual(q('replicaLabels[]=r1&replicaLabels[]=r2').replicaLabels, ['r1', 'r2']);
  assert.equal(q('').partialResponse, true);
  assert.equal(q('partial_response=false').partialResponse, false);
  assert.equal(queryableFromParams(base, { ...d, partialResponse: false }, new URLSearchParams('partial_response=true')).opts.partialResponse, true);
  assert.equal(q('max_source_resolution=5m').maxResolutionMs, 300_000);
  assert.equal(q('max_source_resolution=auto', 60_000).maxResolutionMs, 12_000);
  assert.equal(q('').maxResolutionMs, 0);
  assert.throws(() => q('dedup=yes'), (e: unknown) => e instanceof ApiError && e.errorType === 'bad_data' && e.message === `'dedup' parameter: strconv.ParseBool: parsing "yes": invalid syntax`);
  assert.throws(() => q('partial_response=x'), /'partial_response' parameter/);
  assert.throws(() => q('max_source_resolution=abc'), /'max_source_resolution' parameter/);
});

test('dynamicLookbackDelta follows Thanos LookbackDeltaFactory', async () => {
  const { dynamicLookbackDelta } = await import('./params.ts');
  const m = 60_000;
  assert.equal(dynamicLookbackDelta(5 * m, 0), 5 * m, 'raw');
  assert.equal(dynamicLookbackDelta(5 * m, 12_000), 5 * m, 'auto at 60s step');
  assert.equal(dynamicLookbackDelta(5 * m, 5 * m), 5 * m, '5m resolution with a 5m lookback');
  assert.equal(dynamicLookbackDelta(5 * m, 60 * m), 60 * m, '1h resolution');
  assert.equal(dynamicLookbackDelta(m, 5 * m), 5 * m, 'a 1m lookback grows to 5m when 5m data may be read');
  assert.equal(dynamicLookbackDelta(m, 5 * m + 1), 60 * m, 'above 5m the next level (1h) applies, as in Thanos');
  assert.equal(dynamicLookbackDelta(2 * 60 * m, 60 * m), 2 * 60 * m, 'a 2h lookback stays');
});
