// A querier's own StoreAPI (what `strata query --grpc-address` serves): the proxy without
// deduplication behind a gRPC StoreServer with component type "query", read by a StoreClient and
// deduplicated by a second (upper) querier — Thanos' stacked-querier topology, over 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Labels } from '../labels/labels.ts';
import { Matcher } from '../labels/matcher.ts';
import { MemoryStorage } from '../storage/memory.ts';
import { ValueType } from '../storage/interfaces.ts';
import { StoreClient } from '../storeapi/client.ts';
import { StoreServer } from '../storeapi/server.ts';
import { ProxyQueryable, type ProxyEndpoint } from './proxy.ts';

test('stacked queriers: lower proxy served over gRPC, upper proxy deduplicates, failures travel as warnings', async () => {
  const a = new MemoryStorage();
  const b = new MemoryStorage();
  for (let t = 0; t < 60_000; t += 10_000) {
    a.add(Labels.fromObject({ __name__: 'up', job: 'j', replica: 'a' }), t, 1);
    b.add(Labels.fromObject({ __name__: 'up', job: 'j', replica: 'b' }), t + 100, 2);
  }
  const broken: ProxyEndpoint = {
    name: 'down:1',
    labelSets: [],
    minTime: -Infinity,
    maxTime: Infinity,
    queryable: {
      querier: () => ({
        select: () => ({
          warnings: () => [],
          async *[Symbol.asyncIterator]() {
            throw new Error('connection refused');
          },
        }),
        labelNames: () => Promise.reject(new Error('connection refused')),
        labelValues: () => Promise.reject(new Error('connection refused')),
        close() {},
      }),
    },
  };
  const eps: ProxyEndpoint[] = [
    { name: 'a', queryable: a, labelSets: [Labels.fromObject({ replica: 'a' })], minTime: 0, maxTime: 50_000 },
    { name: 'b', queryable: b, labelSets: [Labels.fromObject({ replica: 'b' })], minTime: 100, maxTime: 50_100 },
    broken,
  ];
  const lower = new ProxyQueryable({ endpoints: () => eps, dedup: false, partialResponse: true });
  const server = new StoreServer({
    address: '127.0.0.1:0',
    store: {
      componentType: 'query',
      queryable: lower,
      labelSets: () => [Labels.fromObject({ replica: 'a' }), Labels.fromObject({ replica: 'b' })],
      timeRange: () => ({ minTime: 0, maxTime: 50_100 }),
    },
  });
  const addr = await server.start();
  const client = new StoreClient(addr, { partialResponse: true, timeoutMs: 10_000 });
  try {
    const info = await client.info();
    assert.equal(info.componentType, 'query');
    assert.deepEqual(info.labelSets.map((l) => l.toString()), ['{replica="a"}', '{replica="b"}']);
    assert.deepEqual([info.minTime, info.maxTime], [0, 50_100]);
    const upper = new ProxyQueryable({
      endpoints: () => [{ name: addr, queryable: client, labelSets: info.labelSets, minTime: info.minTime, maxTime: info.maxTime }],
      replicaLabels: ['replica'],
    });
    const set = upper.querier(0, 60_000).select({ start: 0, end: 60_000 }, [new Matcher('=', '__name__', 'up')]);
    const got: [string, [number, number][]][] = [];
    for await (const s of set) {
      const it = s.iterator();
      const xs: [number, number][] = [];
      while (it.next() !== ValueType.None) xs.push([it.t, it.v]);
      got.push([s.labels.toString(), xs]);
    }
    // Replica a is complete and earlier, so the penalty algorithm stays on it.
    assert.deepEqual(got, [['up{job="j"}', [[0, 1], [10_000, 1], [20_000, 1], [30_000, 1], [40_000, 1], [50_000, 1]]]]);
    // The lower querier's failed endpoint arrives as a warning frame.
    assert.deepEqual(set.warnings(), ['down:1: connection refused']);
  } finally {
    client.close();
    await server.stop(100);
  }
});
