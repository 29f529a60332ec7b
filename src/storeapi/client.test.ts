// StoreClient against a scripted StoreAPI server (answers built by hand, as another implementation
// such as a Thanos store gateway could send them): downsampled aggregate chunks, chunk types we
// cannot decode, warnings between series, the request fields the client sends, and stream errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { Matcher } from '../labels/matcher.ts';
import { ValueType, type SampleIterator } from '../storage/interfaces.ts';
import { XORChunk } from '../tsdb/chunkenc/index.ts';
import { StoreClient, aggrsFromFunc } from './client.ts';
import { AggrChunk as AggrChunkView, AggrType } from '../compact/downsample/aggr.ts';
import { StoreApiError } from './convert.ts';
import { Aggr, StoreService, type SeriesRequest, type SeriesResponse } from './gen/store/storepb/rpc.ts';
import { Chunk_Encoding, type Chunk } from './gen/store/storepb/types.ts';

function xor(samples: [number, number][]): Chunk {
  const c = new XORChunk();
  const app = c.appender();
  for (const [t, v] of samples) app.append(t, v);
  return { type: Chunk_Encoding.XOR, data: c.bytes().slice(), hash: 0n };
}

async function scripted(
  frames: (req: SeriesRequest) => SeriesResponse[] | Error,
  fn: (c: StoreClient, seen: SeriesRequest[]) => Promise<void>,
): Promise<void> {
  const seen: SeriesRequest[] = [];
  const server = new grpc.Server();
  const series: grpc.handleServerStreamingCall<SeriesRequest, SeriesResponse> = (call) => {
    seen.push(call.request);
    const out = frames(call.request);
    if (out instanceof Error) {
      call.write({ warning: 'before the failure' });
      call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: out.message });
      return;
    }
    for (const f of out) call.write(f);
    call.end();
  };
  const unimpl = (_c: unknown, cb: grpc.sendUnaryData<never>): void => cb({ code: grpc.status.UNIMPLEMENTED, details: 'no' });
  server.addService(StoreService, { series, labelNames: unimpl, labelValues: unimpl });
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
  );
  const client = new StoreClient(`127.0.0.1:${port}`, { partialResponse: true, withoutReplicaLabels: ['replica'] });
  try {
    await fn(client, seen);
  } finally {
    client.close();
    server.forceShutdown();
  }
}

function drain(it: SampleIterator): [number, number][] {
  const out: [number, number][] = [];
  while (it.next() === ValueType.Float) out.push([it.t, it.v]);
  return out;
}

const lbls = [{ name: '__name__', value: 'm' }];

test('aggrsFromFunc follows the Thanos querier mapping', () => {
  assert.deepEqual(aggrsFromFunc('min_over_time'), [Aggr.MIN]);
  assert.deepEqual(aggrsFromFunc('max'), [Aggr.MAX]);
  assert.deepEqual(aggrsFromFunc('count_over_time'), [Aggr.COUNT]);
  assert.deepEqual(aggrsFromFunc('sum_over_time'), [Aggr.SUM]);
  assert.deepEqual(aggrsFromFunc('rate'), [Aggr.COUNTER]);
  assert.deepEqual(aggrsFromFunc('sum'), [Aggr.COUNT, Aggr.SUM]);
  assert.deepEqual(aggrsFromFunc(undefined), [Aggr.COUNT, Aggr.SUM]);
});

test('request fields: time range, matchers, hints, partial response, replica labels, batch size', async () => {
  await scripted(
    () => [],
    async (c, seen) => {
      const set = c.querier(0, 100).select(
        { start: 10, end: 90, step: 15, range: 60, func: 'rate', grouping: ['job'], by: true, limit: 7, maxResolution: 300000 },
        [new Matcher('!~', 'job', 'a.*')],
      );
      for await (const _ of set) assert.fail('no series expected');
      const r = seen[0]!;
      assert.equal(r.minTime, 10n);
      assert.equal(r.maxTime, 90n);
      assert.deepEqual(r.matchers, [{ type: 3, name: 'job', value: 'a.*' }]);
      assert.deepEqual(r.aggregates, [Aggr.COUNTER]);
      assert.equal(r.maxResolutionWindow, 300000n);
      assert.equal(r.partialResponseStrategy, 0); // WARN
      assert.equal(r.partialResponseDisabled, false);
      assert.equal(r.step, 15n);
      assert.equal(r.range, 60n);
      assert.equal(r.queryHints?.stepMillis, 15n);
      assert.equal(r.queryHints?.func?.name, 'rate');
      assert.deepEqual(r.queryHints?.grouping, { by: true, labels: ['job'] });
      assert.equal(r.queryHints?.range?.millis, 60n);
      assert.deepEqual(r.withoutReplicaLabels, ['replica']);
      assert.equal(r.limit, 7n);
      assert.equal(r.responseBatchSize, 64n);
      assert.equal(r.skipChunks, false);
    },
  );
});

test('downsampled chunks: a single requested aggregate, or sum/count averages', async () => {
  const count = xor([[100, 2], [200, 4]]);
  const sum = xor([[100, 10], [200, 2]]);
  const min = xor([[100, -1], [200, -2]]);
  await scripted(
    () => [{ series: { labels: lbls, chunks: [{ minTime: 100n, maxTime: 200n, count, sum, min }] } }],
    async (c) => {
      const q = c.querier(0, 1000);
      for await (const s of q.select({ start: 0, end: 1000, func: 'avg_over_time' }, [Matcher.eq('__name__', 'm')])) {
        assert.deepEqual(drain(s.iterator()), [[100, 5], [200, 0.5]]);
        // No raw chunk: the aggregates received are exposed as one Thanos aggregate chunk (0xFF).
        const cs = s.chunks!();
        assert.equal(cs.length, 1);
        assert.deepEqual([cs[0]!.minTime, cs[0]!.maxTime, cs[0]!.encoding], [100, 200, 0xff]);
        const v = new AggrChunkView(cs[0]!.data);
        assert.deepEqual(v.get(AggrType.Count)?.data, count.data);
        assert.deepEqual(v.get(AggrType.Sum)?.data, sum.data);
        assert.deepEqual(v.get(AggrType.Min)?.data, min.data);
        assert.equal(v.get(AggrType.Max), null);
        assert.equal(v.get(AggrType.Counter), null);
      }
      for await (const s of q.select({ start: 0, end: 1000, func: 'min_over_time' }, [Matcher.eq('__name__', 'm')])) {
        assert.deepEqual(drain(s.iterator()), [[100, -1], [200, -2]]);
      }
    },
  );
});

test('counter aggregate: resets carried across chunk boundaries (Thanos ApplyCounterResetsIterator), raw chunks included', async () => {
  // Counter entries as Thanos' downsampler writes them (specs §7): first raw sample, reset-adjusted
  // window totals, and the last raw value repeated at the last timestamp. Chunk 1 saw raw 10, 20,
  // (reset) 3, 8: total at its window end 20 + 8 = 28, last raw 8. Chunk 2 starts at raw 12 (no
  // reset against 8: +4) and ends at raw 20 (+8). Chunk 3 is a raw chunk from a raw block filling a
  // gap: 5 (a reset against 20: +5), 9 (+4).
  const c1 = xor([[0, 10], [299, 28], [299, 8]]);
  const c2 = xor([[300, 12], [599, 20], [599, 20]]);
  const raw = xor([[600, 5], [700, 9]]);
  await scripted(
    () => [
      { series: { labels: lbls, chunks: [{ minTime: 0n, maxTime: 299n, counter: c1 }] } },
      { series: { labels: lbls, chunks: [{ minTime: 300n, maxTime: 599n, counter: c2 }, { minTime: 600n, maxTime: 700n, raw }] } },
    ],
    async (c, seen) => {
      const q = c.querier(0, 1000);
      for await (const s of q.select({ start: 0, end: 1000, func: 'rate' }, [Matcher.eq('__name__', 'm')])) {
        assert.deepEqual(drain(s.iterator()), [[0, 10], [299, 28], [300, 32], [599, 40], [600, 45], [700, 49]]);
      }
      assert.deepEqual(seen[0]!.aggregates, [Aggr.COUNTER]);
      // Trimmed to the selected range after the resets are applied (totals depend on what came before).
      const q2 = c.querier(350, 650);
      for await (const s of q2.select({ start: 350, end: 650, func: 'increase' }, [Matcher.eq('__name__', 'm')])) {
        assert.deepEqual(drain(s.iterator()), [[599, 40], [600, 45]]);
      }
    },
  );
});

test('undecodable chunk types surface as iterator errors; warnings between frames are kept', async () => {
  await scripted(
    () => [
      { series: { labels: lbls, chunks: [{ minTime: 0n, maxTime: 10n, raw: { type: Chunk_Encoding.HISTOGRAM, data: new Uint8Array([0, 0]), hash: 0n } }] } },
      { warning: 'store 2 unavailable' },
      { series: { labels: [{ name: '__name__', value: 'n' }], chunks: [{ minTime: 0n, maxTime: 10n, raw: xor([[5, 1]]) }] } },
    ],
    async (c) => {
      const set = c.querier(0, 10).select({ start: 0, end: 10 }, [Matcher.eq('__name__', 'm')]);
      const res: [string, string | null][] = [];
      for await (const s of set) {
        const it = s.iterator();
        while (it.next() !== ValueType.None);
        res.push([s.labels.get('__name__'), it.err()?.message ?? null]);
      }
      assert.deepEqual(res.map((r) => r[0]), ['m', 'n']);
      assert.match(res[0]![1]!, /unsupported chunk encoding 2/);
      assert.equal(res[1]![1], null);
      assert.deepEqual(set.warnings(), ['store 2 unavailable']);
    },
  );
});

test('a stream that fails mid-way rejects the iteration with the gRPC code', async () => {
  await scripted(
    () => new Error('too many samples'),
    async (c) => {
      const set = c.querier(0, 10).select({ start: 0, end: 10 }, [Matcher.eq('__name__', 'm')]);
      await assert.rejects(
        (async () => {
          for await (const _ of set);
        })(),
        (e: unknown) => e instanceof StoreApiError && e.code === grpc.status.RESOURCE_EXHAUSTED && /too many samples/.test(e.message),
      );
      assert.deepEqual(set.warnings(), ['before the failure']);
      await assert.rejects(c.querier(0, 1).labelNames([]), (e: unknown) => e instanceof StoreApiError && e.code === grpc.status.UNIMPLEMENTED);
    },
  );
});
