// Bucket contract suite, run against every implementation (filesystem, S3 on s3rver, S3 through a
// fault-injecting proxy). The iteration expectations follow thanos-io/objstore's AcceptanceTest
// (objstore.go testing helpers), so our buckets list exactly what a Thanos bucket lists.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { type Bucket, NotFoundError, isNotFound, readAll } from './bucket.ts';

export interface ContractTarget {
  bucket: Bucket;
  cleanup(): Promise<void>;
  /** Part size the bucket uses for multipart uploads (S3), to size the large-object case. */
  partSize?: number;
  /** Called after the large upload of `key`; S3 targets assert that it went multipart. */
  assertMultipart?(key: string, minParts: number): void;
}

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

async function list(b: Bucket, dir: string, recursive = false): Promise<string[]> {
  const out: string[] = [];
  await b.iter(dir, (k) => void out.push(k), { recursive });
  return out;
}

async function rejectsNotFound(p: Promise<unknown>, key: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isNotFound(err), `expected NotFoundError for ${key}, got ${String(err)}`);
    assert.ok(err instanceof NotFoundError);
    assert.equal(err.key, key);
    return true;
  });
}

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Registers the contract tests for the bucket that `setup` creates. */
export function bucketContract(name: string, setup: () => Promise<ContractTarget>): void {
  describe(`bucket contract: ${name}`, () => {
    let t: ContractTarget;
    let b: Bucket;
    let scratch: string;
    before(async () => {
      t = await setup();
      b = t.bucket;
      scratch = await mkdtemp(path.join(tmpdir(), 'strata-contract-'));
    });
    after(async () => {
      await t?.cleanup();
      await rm(scratch, { recursive: true, force: true });
    });

    test('missing objects: NotFoundError, exists false, empty key is a user error', async () => {
      await rejectsNotFound(b.get('id1/obj_1.some'), 'id1/obj_1.some');
      await rejectsNotFound(b.getRange('id1/obj_1.some', 1, 3), 'id1/obj_1.some');
      await rejectsNotFound(b.attributes('id1/obj_1.some'), 'id1/obj_1.some');
      if (b.getStream) await rejectsNotFound(b.getStream('id1/obj_1.some'), 'id1/obj_1.some');
      assert.equal(await b.exists('id1/obj_1.some'), false);
      await assert.rejects(b.get(''), (err: unknown) => !isNotFound(err));
      // Iterating a directory that does not exist lists nothing.
      assert.deepEqual(await list(b, 'id0'), []);
      assert.deepEqual(await list(b, 'id0', true), []);
    });

    test('put, get, attributes, exists; put replaces', async () => {
      const before = Date.now();
      await b.put('id1/obj_1.some', text('@test-data@'));
      assert.equal(str(await b.get('id1/obj_1.some')), '@test-data@');
      const a = await b.attributes('id1/obj_1.some');
      assert.equal(a.size, 11);
      assert.ok(a.lastModified instanceof Date);
      // S3 reports whole seconds; allow clock granularity and skew of a minute.
      assert.ok(Math.abs(a.lastModified.getTime() - before) < 60_000, `lastModified ${a.lastModified.toISOString()}`);
      assert.equal(await b.exists('id1/obj_1.some'), true);
      // A "directory" is not an object.
      assert.equal(await b.exists('id1'), false);
      await b.put('tmp/replace', text('first version, longer'));
      await b.put('tmp/replace', text('second'));
      assert.equal(str(await b.get('tmp/replace')), 'second');
      assert.equal((await b.attributes('tmp/replace')).size, 6);
      await b.delete('tmp/replace');
      // Empty object.
      await b.put('tmp/empty', new Uint8Array(0));
      assert.equal((await b.get('tmp/empty')).length, 0);
      assert.equal((await b.attributes('tmp/empty')).size, 0);
      // (A range read of an empty object is not exercised: AWS and MinIO answer 416, which we map to
      // an empty result, but s3rver never answers it.)
      await b.delete('tmp/empty');
    });

    test('getRange: start, middle, end, past the end, open-ended', async () => {
      const k = 'id1/obj_1.some'; // "@test-data@"
      assert.equal(str(await b.getRange(k, 0, 3)), '@te');
      assert.equal(str(await b.getRange(k, 1, 3)), 'tes'); // Thanos acceptance test
      assert.equal(str(await b.getRange(k, 8, 3)), 'ta@');
      assert.equal(str(await b.getRange(k, 10, 1)), '@');
      assert.equal(str(await b.getRange(k, 3, 9999)), 'st-data@'); // Thanos: out of band length reads to the end
      assert.equal(str(await b.getRange(k, 1, -1)), 'test-data@'); // Thanos: unspecified length
      assert.equal((await b.getRange(k, 11, 5)).length, 0); // offset at the end
      assert.equal((await b.getRange(k, 124141, 3)).length, 0); // far past the end
      assert.equal((await b.getRange(k, 4, 0)).length, 0);
      await assert.rejects(b.getRange(k, -1, 2), RangeError);
    });

    test('iter: non-recursive and recursive, with and without trailing slash (Thanos acceptance)', async () => {
      await b.put('id1/obj_2.some', text('@test-data2@'));
      await b.put('id1/obj_2.some', text('@test-data2@')); // upload is idempotent
      await b.put('id1/obj_3.some', text('@test-data3@'));
      await b.put('id1/sub/subobj_1.some', text('@test-data4@'));
      await b.put('id1/sub/subobj_2.some', text('@test-data5@'));
      await b.put('id2/obj_4.some', text('@test-data6@'));
      await b.put('obj_5.some', text('@test-data7@'));

      assert.deepEqual(await list(b, ''), ['id1/', 'id2/', 'obj_5.some']);
      assert.deepEqual(await list(b, '', true), [
        'id1/obj_1.some',
        'id1/obj_2.some',
        'id1/obj_3.some',
        'id1/sub/subobj_1.some',
        'id1/sub/subobj_2.some',
        'id2/obj_4.some',
        'obj_5.some',
      ]);
      const id1 = ['id1/obj_1.some', 'id1/obj_2.some', 'id1/obj_3.some', 'id1/sub/'];
      const id1r = ['id1/obj_1.some', 'id1/obj_2.some', 'id1/obj_3.some', 'id1/sub/subobj_1.some', 'id1/sub/subobj_2.some'];
      assert.deepEqual(await list(b, 'id1/'), id1);
      assert.deepEqual(await list(b, 'id1/', true), id1r);
      assert.deepEqual(await list(b, 'id1'), id1);
      assert.deepEqual(await list(b, 'id1', true), id1r);
      assert.deepEqual(await list(b, 'id1/sub'), ['id1/sub/subobj_1.some', 'id1/sub/subobj_2.some']);

      // An async callback is awaited in order; an error from it stops the iteration.
      const seen: string[] = [];
      await assert.rejects(
        b.iter('id1/', async (k) => {
          await new Promise((r) => setTimeout(r, 1));
          seen.push(k);
          if (seen.length === 2) throw new Error('stop');
        }),
        /stop/,
      );
      assert.deepEqual(seen, id1.slice(0, 2));

      await b.delete('id1/obj_2.some');
      await b.delete('id1/obj_2.some'); // deleting a missing object is not an error
      assert.deepEqual(await list(b, 'id1/'), ['id1/obj_1.some', 'id1/obj_3.some', 'id1/sub/']);
      await b.delete('id2/obj_4.some');
      assert.deepEqual(await list(b, ''), ['id1/', 'obj_5.some']);
      assert.equal(await b.exists('id2/obj_4.some'), false);
    });

    test('iter: deeply nested prefixes and similar names', async () => {
      const keys = ['n/a/b/c/d.txt', 'n/a/b/e.txt', 'n/a/b.txt', 'n/a.b/x', 'n/ab/y', 'n/a/f'];
      for (const k of keys) await b.put(k, text(k));
      assert.deepEqual(await list(b, 'n'), ['n/a.b/', 'n/a/', 'n/ab/']);
      assert.deepEqual(await list(b, 'n/a'), ['n/a/b.txt', 'n/a/b/', 'n/a/f']);
      assert.deepEqual(await list(b, 'n/a/b/'), ['n/a/b/c/', 'n/a/b/e.txt']);
      assert.deepEqual(await list(b, 'n', true), [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
      for (const k of keys) await b.delete(k);
      assert.deepEqual(await list(b, 'n'), []);
      assert.deepEqual(await list(b, '', false).then((l) => l.filter((k) => k.startsWith('n/'))), []);
    });

    test('keys with special characters', async () => {
      const keys = [
        'special/with space/obj+plus=eq.some',
        'special/percent%25 and %/x',
        'special/ümlaut-日本語-😀/file',
        "special/punct !$&'()*,;:@~/y",
        'special/xml<&>"quote',
      ];
      for (const k of keys) {
        await b.put(k, text(`content of ${k}`));
        assert.equal(await b.exists(k), true, k);
        assert.equal(str(await b.get(k)), `content of ${k}`);
        assert.equal(str(await b.getRange(k, 11, 7)), k.slice(0, 7));
      }
      const all = await list(b, 'special', true);
      assert.deepEqual(all, [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
      assert.deepEqual(await list(b, 'special/ümlaut-日本語-😀'), ['special/ümlaut-日本語-😀/file']);
      for (const k of keys) await b.delete(k);
      assert.deepEqual(await list(b, 'special', true), []);
    });

    test('put from a stream and from a file; getStream', async () => {
      const data = randomBytes(300_000);
      await b.put('src/stream', Readable.from([data.subarray(0, 1000), data.subarray(1000, 200_000), data.subarray(200_000)]));
      assert.equal(sha(await b.get('src/stream')), sha(data));
      const f = path.join(scratch, 'file.bin');
      await writeFile(f, data);
      await b.put('src/file', { path: f });
      assert.equal(sha(await b.get('src/file')), sha(data));
      if (b.getStream) assert.equal(sha(await readAll(await b.getStream('src/file'))), sha(data));
      await b.delete('src/stream');
      await b.delete('src/file');
    });

    test('large object: multipart upload (12 MiB), ranges across part boundaries', async () => {
      const size = 12 * 1024 * 1024;
      const data = randomBytes(size);
      const ps = t.partSize ?? 5 * 1024 * 1024;
      await b.put('large/bytes', data);
      t.assertMultipart?.('large/bytes', Math.ceil(size / ps));
      assert.equal((await b.attributes('large/bytes')).size, size);
      assert.equal(sha(await b.get('large/bytes')), sha(data));
      for (const off of [ps - 10, 2 * ps - 1, size - 5]) {
        assert.deepEqual(Buffer.from(await b.getRange('large/bytes', off, 20)), data.subarray(off, off + 20));
      }
      const f = path.join(scratch, 'large.bin');
      await writeFile(f, data);
      await b.put('large/file', { path: f });
      t.assertMultipart?.('large/file', Math.ceil(size / ps));
      assert.equal(sha(await b.get('large/file')), sha(data));
      // A stream of unknown length, in odd-sized chunks.
      const chunks: Buffer[] = [];
      for (let o = 0; o < size; o += 777_777) chunks.push(data.subarray(o, Math.min(size, o + 777_777)));
      await b.put('large/stream', Readable.from(chunks));
      t.assertMultipart?.('large/stream', Math.ceil(size / ps));
      assert.equal(sha(await b.get('large/stream')), sha(data));
      for (const k of ['large/bytes', 'large/file', 'large/stream']) await b.delete(k);
    });

    test('concurrent puts and gets of distinct keys', async () => {
      const keys = Array.from({ length: 20 }, (_, i) => `conc/${String(i).padStart(2, '0')}`);
      await Promise.all(keys.map((k) => b.put(k, text(k.repeat(100)))));
      const got = await Promise.all(keys.map((k) => b.get(k)));
      got.forEach((g, i) => assert.equal(str(g), keys[i]!.repeat(100)));
      assert.deepEqual(await list(b, 'conc'), keys);
      await Promise.all(keys.map((k) => b.delete(k)));
      assert.deepEqual(await list(b, 'conc'), []);
    });

    test('invalid keys are refused', async () => {
      await assert.rejects(b.put('../escape', text('x')), /invalid object key/);
      await assert.rejects(b.put('/abs', text('x')), /invalid object key/);
      await assert.rejects(b.put('a//b', text('x')), /invalid object key/);
      await assert.rejects(b.put('dir/', text('x')), /invalid object key/);
    });
  });
}
