// startStoreApi over a real Receiver (temp dir, per-tenant heads): Info advertises one label set per
// tenant, component "receive", the oldest sample as min time and an unbounded max time; Series
// returns the tenants' samples with their external labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Labels } from '../labels/labels.ts';
import { Matcher } from '../labels/matcher.ts';
import { nopLogger } from '../observability/logger.ts';
import { Receiver } from '../receive/receiver.ts';
import { ValueType } from '../storage/interfaces.ts';
import { StoreClient } from './client.ts';
import { startStoreApi } from './receive.ts';

test('startStoreApi serves the receiver tenants with their external labels', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-storeapi-recv-'));
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
  await receiver.start();
  const { server, address } = await startStoreApi(receiver, '127.0.0.1:0', nopLogger);
  const client = new StoreClient(address);
  try {
    // No data yet: nothing advertised.
    let info = await client.info();
    assert.equal(info.componentType, 'receive');
    assert.deepEqual(info.labelSets, []);
    // As Thanos (empty head: MinTime = math.MaxInt64): min time at +∞, so queriers skip us for now.
    assert.equal(info.minTime, Number.MAX_SAFE_INTEGER);

    const base = 1_700_000_000_000;
    for (const [tenant, v] of [['team-a', 1], ['team-b', 2]] as const) {
      const app = receiver.tsdb.appender(tenant);
      for (let i = 0; i < 5; i++) app.append(0, Labels.fromObject({ __name__: 'up', job: 'node' }), base + (tenant === 'team-a' ? 0 : 1000) + i * 15_000, v);
      await app.commit();
    }

    info = await client.info();
    assert.deepEqual(
      info.labelSets.map((l) => l.toObject()).sort((a, b) => (a.tenant_id! < b.tenant_id! ? -1 : 1)),
      [
        { replica: 'r1', tenant_id: 'team-a' },
        { replica: 'r1', tenant_id: 'team-b' },
      ],
    );
    assert.equal(info.minTime, base);
    assert.equal(info.maxTime, Number.MAX_SAFE_INTEGER); // math.MaxInt64 on the wire
    assert.deepEqual(
      info.tsdbInfos.map((t) => [t.labels.get('tenant_id'), t.minTime, t.maxTime]).sort(),
      [
        ['team-a', base, Number.MAX_SAFE_INTEGER],
        ['team-b', base + 1000, Number.MAX_SAFE_INTEGER],
      ],
    );

    const got: [Record<string, string>, number[]][] = [];
    for await (const s of client.querier(base, base + 3_600_000).select({ start: base, end: base + 3_600_000 }, [Matcher.eq('__name__', 'up')])) {
      const it = s.iterator();
      const vs: number[] = [];
      while (it.next() === ValueType.Float) vs.push(it.v);
      got.push([s.labels.toObject(), vs]);
    }
    assert.deepEqual(got, [
      [{ __name__: 'up', job: 'node', replica: 'r1', tenant_id: 'team-a' }, [1, 1, 1, 1, 1]],
      [{ __name__: 'up', job: 'node', replica: 'r1', tenant_id: 'team-b' }, [2, 2, 2, 2, 2]],
    ]);
    const vals = await client.querier(base, base + 3_600_000).labelValues('tenant_id', [Matcher.eq('job', 'node')]);
    assert.deepEqual(vals.values, ['team-a', 'team-b']);
  } finally {
    client.close();
    await server.stop();
    await receiver.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
