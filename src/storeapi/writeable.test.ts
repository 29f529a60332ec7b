// thanos.WriteableStore/RemoteWrite: the hand-written (de)serialization against the ts-proto code
// generated from Thanos' rpc.proto, and the service over real gRPC into a real Receiver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { Labels } from '../labels/labels.ts';
import { Matcher } from '../labels/matcher.ts';
import { nopLogger } from '../observability/logger.ts';
import { decodeWriteRequest, encodeWriteRequestProto } from '../remotewrite/codec.ts';
import { Receiver } from '../receive/receiver.ts';
import { ValueType } from '../storage/interfaces.ts';
import { isStaleNaN, STALE_NAN } from '../tsdb/stale.ts';
import { WriteRequest } from './gen/store/storepb/rpc.ts';
import { startReceiveGrpc } from './receive.ts';
import { decodeThanosWriteRequest, encodeWriteRequest, timeseriesRanges, WriteableClient } from './writeable.ts';

const seriesArb = fc.array(
  fc.record({
    name: fc.constantFrom('up', 'a_b', 'métric'),
    v: fc.string({ minLength: 1, maxLength: 12 }),
    samples: fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 45 }), fc.double({ noNaN: true })), { maxLength: 4 }),
  }),
  { minLength: 1, maxLength: 12 },
);

test('encodeWriteRequest is a thanos.WriteRequest with the chosen series, tenant and replica (checked with the generated decoder)', () => {
  fc.assert(
    fc.property(seriesArb, fc.string({ maxLength: 10 }), fc.integer({ min: 0, max: 5 }), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), (series, tenant, replica, pick) => {
      const input = series.map((s) => ({ labels: ['__name__', s.name, 'k', s.v], timestamps: s.samples.map((x) => x[0]), values: s.samples.map((x) => x[1]) }));
      const raw = encodeWriteRequestProto({ series: input, metadata: [{ type: 1, metricFamilyName: 'up', help: 'h', unit: '' }] });
      const ranges = timeseriesRanges(raw);
      assert.equal(ranges.length, 2 * series.length);
      const idx = series.map((_, i) => i).filter((i) => pick[i]);
      const buf = encodeWriteRequest(raw, ranges, idx, tenant, replica);
      const got = WriteRequest.decode(buf);
      assert.equal(got.tenant, tenant);
      assert.equal(got.replica, BigInt(replica));
      assert.equal(got.timeseries.length, idx.length);
      got.timeseries.forEach((ts, j) => {
        const s = input[idx[j]!]!;
        assert.deepEqual(ts.labels.flatMap((l) => [l.name, l.value]), s.labels);
        assert.deepEqual(ts.samples.map((x) => [Number(x.timestamp), x.value]), s.timestamps.map((t, k) => [t, s.values[k]]));
      });
      // And back: our decoder splits it into a prometheus.WriteRequest with the same series.
      const back = decodeThanosWriteRequest(buf);
      assert.equal(back.replica, replica);
      assert.equal(back.tenants.length, 1);
      assert.equal(back.tenants[0]!.tenant, tenant);
      const wr = decodeWriteRequest(back.tenants[0]!.request);
      assert.deepEqual(wr.series.map((s) => s.labels), idx.map((i) => input[i]!.labels));
    }),
    { numRuns: 150 },
  );
});

test('decodeThanosWriteRequest reads timeseriesTenantData (several tenants) from the generated encoder', () => {
  const ts = (v: string, t: number) => ({ labels: [{ name: '__name__', value: 'up' }, { name: 'x', value: v }], samples: [{ value: 1.5, timestamp: BigInt(t) }], exemplars: [], histograms: [] });
  const buf = WriteRequest.encode(
    WriteRequest.fromPartial({
      replica: 2n,
      timeseriesTenantData: [
        { tenant: 'a', timeseries: [ts('1', 10), ts('2', 20)] },
        { tenant: 'b', timeseries: [ts('3', 30)] },
      ],
    }),
  ).finish();
  const d = decodeThanosWriteRequest(buf);
  assert.equal(d.replica, 2);
  assert.deepEqual(
    d.tenants.map((t) => [t.tenant, decodeWriteRequest(t.request).series.map((s) => s.labels[3])]),
    [
      ['a', ['1', '2']],
      ['b', ['3']],
    ],
  );
  assert.throws(() => decodeThanosWriteRequest(Uint8Array.from([0x0a, 0x05, 0x01])), /past the end|truncated/);
});

test('RemoteWrite over gRPC into a real receiver: stored locally (stale markers intact), conflicts → ALREADY_EXISTS, bad input → INVALID_ARGUMENT, not ready → UNAVAILABLE', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-writeable-'));
  const receiver = new Receiver({
    tsdbPath: dir,
    remoteWriteAddress: '127.0.0.1:0',
    httpAddress: null,
    externalLabels: Labels.fromObject({ replica: 'r1' }),
    tenantHeader: 'THANOS-TENANT',
    defaultTenant: 'default-tenant',
    tenantLabelName: 'tenant_id',
    maxRequestBytes: 1 << 20,
    walFsync: false,
    blockDuration: 2 * 3600_000,
    logger: nopLogger,
    registry: new Registry(),
  });
  const srv = await startReceiveGrpc(receiver, '127.0.0.1:0', nopLogger);
  const client = new WriteableClient(srv.address);
  try {
    const t0 = 1_700_000_000_000;
    const raw = encodeWriteRequestProto({
      series: [
        { labels: ['__name__', 'up', 'job', 'a'], timestamps: [t0, t0 + 1000], values: [1, STALE_NAN] },
        { labels: ['__name__', 'up', 'job', 'b'], timestamps: [t0], values: [0] },
      ],
    });
    const req = encodeWriteRequest(raw, timeseriesRanges(raw), [0, 1], 'team-x', 1);
    // Not started yet: not ready.
    let st = await client.remoteWrite(req, 2000);
    assert.equal(st?.code, grpc.status.UNAVAILABLE);
    await receiver.start();
    st = await client.remoteWrite(req, 2000);
    assert.equal(st, null);
    const q = receiver.queryable().querier(0, t0 + 10_000);
    const got: [string, number, number][] = [];
    for await (const s of q.select({ start: 0, end: t0 + 10_000 }, [Matcher.eq('__name__', 'up')])) {
      const it = s.iterator();
      while (it.next() !== ValueType.None) got.push([s.labels.get('job'), it.t, it.v]);
    }
    q.close();
    assert.equal(got.length, 3);
    assert.deepEqual(got.slice(0, 1), [['a', t0, 1]]);
    assert.ok(isStaleNaN(got[1]![2]), 'stale marker payload survives forwarding');
    const tenant = receiver.tsdb.all().find((t) => t.id === 'team-x');
    assert.ok(tenant, 'written into the tenant of the request');

    // Same timestamp, different value: a conflict.
    const raw2 = encodeWriteRequestProto({ series: [{ labels: ['__name__', 'up', 'job', 'b'], timestamps: [t0], values: [5] }] });
    st = await client.remoteWrite(encodeWriteRequest(raw2, timeseriesRanges(raw2), [0], 'team-x', 1), 2000);
    assert.equal(st?.code, grpc.status.ALREADY_EXISTS);
    assert.match(st!.details, /duplicate/);

    st = await client.remoteWrite(Buffer.from([0x0a, 0x7f, 0x00]), 2000);
    assert.equal(st?.code, grpc.status.INVALID_ARGUMENT);
    st = await client.remoteWrite(encodeWriteRequest(raw2, timeseriesRanges(raw2), [0], '../etc', 1), 2000);
    assert.equal(st?.code, grpc.status.INVALID_ARGUMENT);
  } finally {
    client.close();
    await srv.stop();
    await receiver.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
