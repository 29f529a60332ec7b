// S3 bucket contract under injected faults, split from bucket.test.ts so the slow s3rver-backed
// suites run in parallel.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { bucketContract } from './contract.ts';
import { createBucket } from './config.ts';
import { startS3rver, FaultProxy, type S3rverHandle } from './testutil.ts';
import type { Bucket } from './bucket.ts';

const PART = 5 * 1024 * 1024;

function s3yaml(endpoint: string, h: S3rverHandle, extra = ''): string {
  return `type: s3
config:
  bucket: ${h.bucket}
  endpoint: ${endpoint}
  access_key: ${h.accessKey}
  secret_key: ${h.secretKey}
  insecure: true
  part_size: ${PART}
${extra}`;
}

const fastRetry = { retryBaseDelayMs: 5, retryMaxDelayMs: 200 };

function multipartChecker(proxy: FaultProxy) {
  return (key: string, minParts: number) => {
    const parts = new Set(
      proxy
        .succeeded('PUT', (k) => k === key)
        .map((e) => /(?:^|&)partNumber=(\d+)/.exec(e.query)?.[1])
        .filter((x): x is string => x !== undefined),
    );
    assert.ok(parts.size >= minParts, `${key}: expected ≥${minParts} uploaded parts, saw ${parts.size}`);
    const completes = proxy.succeeded('POST', (k) => k === key).filter((e) => /uploadId=/.test(e.query));
    assert.ok(completes.length >= 1, `${key}: no CompleteMultipartUpload`);
  };
}

let faultProxy: FaultProxy | undefined;
bucketContract('s3 behind a fault-injecting proxy (500, 503, resets, delays, truncated responses)', async () => {
  const h = await startS3rver();
  const proxy = await FaultProxy.start(h.port, h.bucket, { rate: 0.25, kinds: ['500', '503', 'reset', 'delay', 'truncate'], delayMs: 1500, seed: 42 });
  faultProxy = proxy;
  const bucket = createBucket(
    s3yaml(proxy.endpoint, h, '  http_config:\n    response_header_timeout: 1s\n  max_retries: 12\n'),
    { s3Overrides: fastRetry },
  );
  return {
    bucket,
    partSize: PART,
    assertMultipart: multipartChecker(proxy),
    async cleanup() {
      await bucket.close();
      await proxy.close();
      await h.close();
    },
  };
});

test('the fault proxy really injected every kind of fault and the client retried through them', () => {
  const p = faultProxy;
  assert.ok(p, 'fault proxy contract did not run');
  const kinds = new Map<string, number>();
  for (const e of p.log) if (e.fault) kinds.set(e.fault, (kinds.get(e.fault) ?? 0) + 1);
  for (const k of ['500', '503', 'reset', 'delay', 'truncate']) assert.ok((kinds.get(k) ?? 0) > 0, `no ${k} faults injected: ${JSON.stringify([...kinds])}`);
  // Delayed requests hit the 1s response timeout, so the client gave up on them and retried.
  assert.ok(p.log.some((e) => e.fault === 'delay' && !e.forwarded), 'no delayed request was abandoned by the client');
});

test('s3: a request that keeps failing gives up after max_retries with the server error', async () => {
  const h = await startS3rver();
  const proxy = await FaultProxy.start(h.port, h.bucket, { rate: 1, kinds: ['503'] });
  const bucket: Bucket = createBucket(s3yaml(proxy.endpoint, h, '  max_retries: 3\n'), { s3Overrides: fastRetry });
  try {
    await assert.rejects(bucket.get('x'), (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 503);
    assert.equal(proxy.log.length, 4); // first attempt + 3 retries
    // Client errors are not retried.
    proxy.setFaults(null);
    const before = proxy.log.length;
    await assert.rejects(bucket.get('missing'), /object not found/);
    assert.equal(proxy.log.length, before + 1);
  } finally {
    await bucket.close();
    await proxy.close();
    await h.close();
  }
});

after(() => {
  faultProxy = undefined;
});
