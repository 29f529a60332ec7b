// Shipper → S3 (s3rver on 127.0.0.1) through a proxy that fails a fraction of the requests with
// 500 / 503, resets connections or delays them. Every block must end up in the bucket exactly once,
// complete, with meta.json as the last object written for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { Shipper, readShipperMeta } from '../src/receive/shipper.ts';
import { createBucket } from '../src/objstore/config.ts';
import { startS3rver, FaultProxy, writeTestBlock } from '../src/objstore/testutil.ts';

const H2 = 2 * 3600_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % H2);

test('shipping to S3 through injected faults uploads each block exactly once, meta.json last', async () => {
  const s3 = await startS3rver();
  const proxy = await FaultProxy.start(s3.port, s3.bucket, { rate: 0.3, kinds: ['500', '503', 'reset', 'delay'], delayMs: 200, seed: 7 });
  const tsdb = await mkdtemp(path.join(tmpdir(), 'strata-shipper-s3-'));
  const yaml = (endpoint: string) =>
    `type: S3\nconfig:\n  bucket: ${s3.bucket}\n  endpoint: ${endpoint}\n  access_key: ${s3.accessKey}\n  secret_key: ${s3.secretKey}\n  insecure: true\n  part_size: 5242880\n  max_retries: 15\n`;
  const bucket = createBucket(yaml(proxy.endpoint), { s3Overrides: { retryBaseDelayMs: 5, retryMaxDelayMs: 100 } });
  const direct = createBucket(yaml(s3.endpoint));
  try {
    const ids = ['01JD60000000000000000000A1', '01JD60000000000000000000A2', '01JD60000000000000000000A3', '01JD60000000000000000000A4', '01JD60000000000000000000A5'];
    for (let i = 0; i < ids.length; i++) {
      // Block 3 has a chunk segment above the part size, so it goes up as a multipart upload.
      const chunks = i === 2 ? [randomBytes(6 * 1024 * 1024), randomBytes(1000)] : [randomBytes(2000 + i)];
      await writeTestBlock(tsdb, { ulid: ids[i]!, minTime: T0 + i * H2, maxTime: T0 + (i + 1) * H2, numSamples: 100 + i, chunks, index: randomBytes(500 + i), tombstones: true });
    }
    const reg = new Registry();
    const shipper = new Shipper({
      dir: tsdb,
      bucket,
      labels: () => ({ tenant_id: 'default-tenant', receive_replica: 'r0' }),
      registry: reg,
      retry: { attempts: 5, baseDelayMs: 10, maxDelayMs: 100 },
    });
    assert.equal(await shipper.sync(), ids.length);

    const faults = proxy.log.filter((e) => e.fault);
    assert.ok(faults.length >= 10, `expected many injected faults, got ${faults.length}`);
    for (const k of ['500', '503', 'reset', 'delay']) assert.ok(faults.some((e) => e.fault === k), `no ${k} fault injected`);

    for (const id of ids) {
      // Exactly one meta.json PUT reached the server and succeeded.
      const metaPuts = proxy.succeeded('PUT', (k) => k === `${id}/meta.json`);
      assert.equal(metaPuts.length, 1, `${id}: meta.json PUTs ${metaPuts.length}`);
      // Every other successful write of the block happened before it.
      const others = proxy.log.filter((e) => e.forwarded && e.key.startsWith(`${id}/`) && e.key !== `${id}/meta.json` && (e.method === 'PUT' || e.method === 'POST'));
      assert.ok(others.length >= 2);
      for (const e of others) assert.ok(e.seq < metaPuts[0]!.seq, `${id}: ${e.method} ${e.key} after meta.json`);

      // The stored objects are the local files, byte for byte; tombstones are not uploaded.
      const keys: string[] = [];
      await direct.iter(`${id}/`, (k) => void keys.push(k), { recursive: true });
      const local = path.join(tsdb, id);
      const expected = id === ids[2] ? ['chunks/000001', 'chunks/000002', 'index', 'meta.json'] : ['chunks/000001', 'index', 'meta.json'];
      assert.deepEqual(keys, expected.map((k) => `${id}/${k}`));
      for (const k of expected.filter((x) => x !== 'meta.json')) {
        assert.ok(Buffer.from(await direct.get(`${id}/${k}`)).equals(await readFile(path.join(local, k))), `${id}/${k} differs`);
      }
      const meta = JSON.parse(new TextDecoder().decode(await direct.get(`${id}/meta.json`))) as { ulid: string; thanos: { labels: Record<string, string>; source: string } };
      assert.equal(meta.ulid, id);
      assert.deepEqual(meta.thanos.labels, { receive_replica: 'r0', tenant_id: 'default-tenant' });
      assert.equal(meta.thanos.source, 'receive');
    }
    // The big segment really went up in parts.
    const parts = proxy.succeeded('PUT', (k) => k === `${ids[2]}/chunks/000001`).filter((e) => /partNumber=/.test(e.query));
    assert.ok(new Set(parts.map((e) => /partNumber=(\d+)/.exec(e.query)![1])).size >= 2);

    assert.deepEqual((await readShipperMeta(tsdb)).uploaded, ids);
    assert.match(await reg.metrics(), new RegExp(`^thanos_shipper_uploads_total ${ids.length}$`, 'm'));

    // A second sync finds nothing to do and writes nothing.
    const before = proxy.log.length;
    assert.equal(await shipper.sync(), 0);
    assert.equal(proxy.log.slice(before).filter((e) => e.method === 'PUT' || e.method === 'POST').length, 0);
  } finally {
    await bucket.close();
    await direct.close();
    await proxy.close();
    await s3.close();
    await rm(tsdb, { recursive: true, force: true });
  }
});
