// The compactor over S3 (s3rver on loopback) through a fault-injecting proxy (500, 503, connection
// resets): a pass compacts, downsamples and deletes exactly as over the filesystem bucket, every raw
// sample is served once afterwards, and the meta.json of each new block is written after its data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBucket } from '../src/objstore/config.ts';
import { FaultProxy, startS3rver } from '../src/objstore/testutil.ts';
import { Compactor } from '../src/compact/compactor.ts';
import { fetchBucketState } from '../src/compact/syncer.ts';
import { RES_LEVEL1 } from '../src/compact/downsample/aggr.ts';
import { counterSeries, D, decodeXOR, gaugeSeries, H, MIN, putSyntheticBlock, servedSeries, seriesKey, synthSamples } from '../src/compact/testutil.ts';

const T0 = 1400 * 14 * D;

test('compaction over S3 with injected faults: same layout, every sample once, meta.json after data', async () => {
  const s3 = await startS3rver();
  const proxy = await FaultProxy.start(s3.port, s3.bucket, { rate: 0.15, kinds: ['500', '503', 'reset'], seed: 11 });
  const root = await mkdtemp(join(tmpdir(), 'strata-compact-s3-'));
  const yaml = (endpoint: string) =>
    `type: S3\nconfig:\n  bucket: ${s3.bucket}\n  endpoint: ${endpoint}\n  access_key: ${s3.accessKey}\n  secret_key: ${s3.secretKey}\n  insecure: true\n  max_retries: 20\n`;
  const direct = createBucket(yaml(s3.endpoint));
  const faulty = createBucket(yaml(proxy.endpoint), { s3Overrides: { retryBaseDelayMs: 5, retryMaxDelayMs: 50 } });
  try {
    const series = [counterSeries({ __name__: 'c_total' }, 4, 0), gaugeSeries({ __name__: 'g' }, 4 * H)];
    const ext = { cluster: 's3' };
    for (let t = T0; t < T0 + 10 * H; t += 2 * H) await putSyntheticBlock(direct, { mint: t, maxt: t + 2 * H, ext, series, step: MIN });
    await putSyntheticBlock(direct, { mint: T0 + 10 * H, maxt: T0 + 58 * H, ext: { cluster: 's3-b' }, series, step: MIN });

    const c = new Compactor({ bucket: faulty, dataDir: join(root, 'data'), consistencyDelay: 0, deleteDelay: 0 });
    await c.runOnce();
    assert.ok(proxy.log.some((e) => e.fault), 'faults were injected');

    const st = await fetchBucketState(direct);
    const layout = [...st.metas.values()].map((m) => `${m.thanos!.labels.cluster} ${(m.minTime - T0) / H}-${(m.maxTime - T0) / H} L${m.compaction.level} r${m.thanos!.downsample.resolution}`).sort();
    assert.deepEqual(layout, ['s3 0-8 L2 r0', 's3 8-10 L1 r0', 's3-b 10-58 L1 r0', `s3-b 10-58 L1 r${RES_LEVEL1}`]);
    assert.equal(st.deletionMarks.size, 0);
    assert.equal(st.partial.size, 0);

    const served = await servedSeries(direct, 0);
    for (const s of series) {
      for (const [e, mint, maxt] of [[ext, T0, T0 + 10 * H], [{ cluster: 's3-b' }, T0 + 10 * H, T0 + 58 * H]] as const) {
        const want = synthSamples(s, { mint, maxt, step: MIN });
        const got = decodeXOR(served.series.get(seriesKey(e, s.labels))!.chunks);
        assert.deepEqual(got, want);
      }
    }
    // Every new block: its meta.json PUT succeeded after all its other objects.
    for (const m of st.metas.values()) {
      if (m.thanos!.source !== 'compactor') continue;
      const metaPut = proxy.succeeded('PUT', (k) => k === `${m.ulid}/meta.json`);
      assert.equal(metaPut.length, 1, `${m.ulid}: one meta.json PUT`);
      const data = proxy.log.filter((e) => e.forwarded && e.key.startsWith(`${m.ulid}/`) && e.key !== `${m.ulid}/meta.json` && (e.method === 'PUT' || e.method === 'POST'));
      assert.ok(data.length >= 2);
      for (const e of data) assert.ok(e.seq < metaPut[0]!.seq, `${m.ulid}: ${e.key} written after meta.json`);
    }
  } finally {
    await faulty.close();
    await direct.close();
    await proxy.close();
    await s3.close();
    await rm(root, { recursive: true, force: true });
  }
});
