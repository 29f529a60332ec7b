import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bucketContract } from './contract.ts';
import { FilesystemBucket } from './filesystem.ts';
import { createBucket } from './config.ts';
import { PrefixedBucket } from './prefixed.ts';
import { startS3rver, type S3rverHandle } from './testutil.ts';

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

bucketContract('filesystem', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'strata-fsbucket-'));
  const bucket = createBucket(`type: FILESYSTEM\nconfig:\n  directory: ${dir}\n`);
  assert.ok(bucket instanceof FilesystemBucket);
  return {
    bucket,
    async cleanup() {
      // No temporary upload files may be left behind.
      const left: string[] = [];
      const walk = async (d: string): Promise<void> => {
        for (const e of await readdir(d, { withFileTypes: true })) {
          if (e.isDirectory()) await walk(path.join(d, e.name));
          else left.push(path.join(d, e.name));
        }
      };
      await walk(dir);
      assert.deepEqual(left.filter((f) => f.includes('.strata-tmp-')), []);
      await rm(dir, { recursive: true, force: true });
    },
  };
});

bucketContract('filesystem with prefix', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'strata-fsbucket-'));
  const bucket = createBucket(`type: filesystem\nconfig:\n  directory: ${dir}\nprefix: /tenant-a/x/\n`);
  assert.ok(bucket instanceof PrefixedBucket);
  return {
    bucket,
    async cleanup() {
      // Everything landed under the prefix.
      assert.deepEqual(await readdir(dir), ['tenant-a']);
      await rm(dir, { recursive: true, force: true });
    },
  };
});

bucketContract('s3 (s3rver, path-style, AWS SDK v3)', async () => {
  const h = await startS3rver();
  const bucket = createBucket(s3yaml(h.endpoint, h), { s3Overrides: fastRetry });
  return {
    bucket,
    partSize: PART,
    async cleanup() {
      await bucket.close();
      await h.close();
    },
  };
});

bucketContract('s3, ListObjects v1', async () => {
  const h = await startS3rver();
  const bucket = createBucket(s3yaml(h.endpoint, h, '  list_objects_version: v1\n'), { s3Overrides: fastRetry });
  return {
    bucket,
    partSize: PART,
    async cleanup() {
      await bucket.close();
      await h.close();
    },
  };
});

test('filesystem: leftovers of an interrupted put are never listed', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'strata-fsbucket-'));
  try {
    const b = new FilesystemBucket(dir);
    const { mkdir, writeFile } = await import('node:fs/promises');
    // What a crash between creating the temp file and the rename leaves behind.
    await mkdir(path.join(dir, 'blk', 'chunks'), { recursive: true });
    await writeFile(path.join(dir, 'blk', 'chunks', '.000001.strata-tmp-0123456789ab'), 'partial');
    await b.put('other/obj', new Uint8Array([1]));
    const all: string[] = [];
    await b.iter('', (k) => void all.push(k));
    assert.deepEqual(all, ['other/']);
    const rec: string[] = [];
    await b.iter('', (k) => void rec.push(k), { recursive: true });
    assert.deepEqual(rec, ['other/obj']);
    assert.equal(await b.exists('blk/chunks/000001'), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('s3: the seed MinIO config is accepted unchanged and addresses the bucket path-style over http', async () => {
  const b = createBucket(`type: s3
config:
  bucket: thanos
  endpoint: minio.minio-tenant.svc.cluster.local:80
  access_key: minio
  secret_key: minio123
  insecure: true
`);
  try {
    assert.equal(b.name(), 'thanos');
    const { S3Bucket } = await import('./s3.ts');
    assert.ok(b instanceof S3Bucket);
    const ep = await b.client.config.endpoint!();
    assert.equal(ep.protocol, 'http:');
    assert.equal(ep.hostname, 'minio.minio-tenant.svc.cluster.local');
    assert.ok(ep.port === 80 || ep.port === undefined, `port ${ep.port}`);
    assert.equal(b.client.config.forcePathStyle, true);
  } finally {
    await b.close();
  }
});

/**
 * Pagination. s3rver cannot page correctly (it walks its directory tree rather than key order, does
 * not count common prefixes towards max-keys, and its continuation tokens use DES, which Node 20's
 * OpenSSL rejects), so this drives S3Bucket against a model of the S3 list API instead: keys in
 * UTF-8 byte order, contents and common prefixes both count towards MaxKeys, v1 returns NextMarker
 * only when a delimiter is given (otherwise the client continues from the last key), v2 returns an
 * opaque NextContinuationToken.
 */
test('s3: iter follows list pagination (ListObjects v1 markers, ListObjectsV2 continuation tokens)', async () => {
  const { S3Bucket } = await import('./s3.ts');
  const { ListObjectsCommand, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const keys = ['a/1', 'a/2', 'a/sub/x', 'a/sub/y', 'a/sub2/z', 'a/3', 'a.b', 'b/c/d', 'top', 'zz/1'].sort((x, y) =>
    Buffer.compare(Buffer.from(x), Buffer.from(y)),
  );
  function page(prefix: string, delimiter: string | undefined, after: string, max: number) {
    const items: { key: string; prefix: boolean }[] = [];
    for (const k of keys) {
      if (!k.startsWith(prefix)) continue;
      let item = { key: k, prefix: false };
      if (delimiter) {
        const i = k.indexOf(delimiter, prefix.length);
        if (i >= 0) item = { key: k.slice(0, i + 1), prefix: true };
      }
      if (Buffer.compare(Buffer.from(item.key), Buffer.from(after)) <= 0) continue;
      if (items.length && items[items.length - 1]!.key === item.key) continue;
      items.push(item);
    }
    const out = items.slice(0, max);
    return { out, truncated: items.length > max, last: out[out.length - 1]?.key ?? '' };
  }
  for (const v1 of [true, false]) {
    const b = new S3Bucket({ bucket: 'b', endpoint: '127.0.0.1:1', insecure: true, listObjectsVersion: v1 ? 'v1' : 'v2', listMaxKeys: 2, accessKey: 'a', secretKey: 's' });
    let calls = 0;
    Object.assign(b.client, {
      send: async (cmd: unknown) => {
        calls++;
        if (cmd instanceof ListObjectsCommand) {
          const i = cmd.input;
          const p = page(i.Prefix ?? '', i.Delimiter, i.Marker ?? '', i.MaxKeys ?? 1000);
          return {
            IsTruncated: p.truncated,
            ...(p.truncated && i.Delimiter ? { NextMarker: p.last } : {}),
            Contents: p.out.filter((x) => !x.prefix).map((x) => ({ Key: x.key })),
            CommonPrefixes: p.out.filter((x) => x.prefix).map((x) => ({ Prefix: x.key })),
          };
        }
        if (cmd instanceof ListObjectsV2Command) {
          const i = cmd.input;
          const after = i.ContinuationToken ? Buffer.from(i.ContinuationToken, 'base64').toString() : '';
          const p = page(i.Prefix ?? '', i.Delimiter, after, i.MaxKeys ?? 1000);
          return {
            IsTruncated: p.truncated,
            ...(p.truncated ? { NextContinuationToken: Buffer.from(p.last).toString('base64') } : {}),
            Contents: p.out.filter((x) => !x.prefix).map((x) => ({ Key: x.key })),
            CommonPrefixes: p.out.filter((x) => x.prefix).map((x) => ({ Prefix: x.key })),
          };
        }
        throw new Error('unexpected command');
      },
    });
    const ls = async (dir: string, recursive: boolean) => {
      const out: string[] = [];
      await b.iter(dir, (k) => void out.push(k), { recursive });
      return out;
    };
    const name = v1 ? 'v1' : 'v2';
    assert.deepEqual(await ls('', false), ['a.b', 'a/', 'b/', 'top', 'zz/'], name);
    assert.deepEqual(await ls('', true), keys, name);
    assert.deepEqual(await ls('a', false), ['a/1', 'a/2', 'a/3', 'a/sub/', 'a/sub2/'], name);
    assert.deepEqual(await ls('a/', true), ['a/1', 'a/2', 'a/3', 'a/sub/x', 'a/sub/y', 'a/sub2/z'], name);
    assert.ok(calls >= 10, `${name}: expected several pages, got ${calls} requests`);
    await b.close();
  }
});


