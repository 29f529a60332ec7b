// Crash safety: a shipper process is killed with SIGKILL after it uploaded a block's chunks and
// index but before meta.json (the proxy in front of S3 holds the meta.json PUT, then we kill -9 the
// child). The bucket then holds a partial block without meta.json, which readers ignore. A restarted
// shipper uploads the whole block again and records it once; meta.json is never written before the
// index.
//
// This file is also the child program: with STRATA_SHIPPER_CHILD set it runs one sync and exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Shipper, readShipperMeta, SHIPPER_META_FILENAME } from '../src/receive/shipper.ts';
import { createBucket } from '../src/objstore/config.ts';
import { startS3rver, FaultProxy, writeTestBlock } from '../src/objstore/testutil.ts';

const ID = '01JD7000000000000000000C01';
const LABELS = { tenant_id: 'default-tenant', receive_replica: 'r0' };
const yamlFor = (endpoint: string) =>
  `type: S3\nconfig:\n  bucket: thanos\n  endpoint: ${endpoint}\n  access_key: S3RVER\n  secret_key: S3RVER\n  insecure: true\n`;

if (process.env.STRATA_SHIPPER_CHILD) {
  // Child: one sync against the given endpoint.
  const { dir, endpoint } = JSON.parse(process.env.STRATA_SHIPPER_CHILD) as { dir: string; endpoint: string };
  const bucket = createBucket(yamlFor(endpoint));
  const n = await new Shipper({ dir, bucket, labels: () => LABELS }).sync();
  process.stdout.write(`uploaded ${n}\n`);
  await bucket.close();
} else {
  test('kill -9 between index and meta.json; restart ships the block completely, once', async () => {
    const s3 = await startS3rver('thanos');
    const proxy = await FaultProxy.start(s3.port, s3.bucket);
    const tsdb = await mkdtemp(path.join(tmpdir(), 'strata-shipper-crash-'));
    const direct = createBucket(yamlFor(s3.endpoint));
    const self = fileURLToPath(import.meta.url);
    const runChild = (holdMeta: boolean) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', self], {
          env: { ...process.env, STRATA_SHIPPER_CHILD: JSON.stringify({ dir: tsdb, endpoint: proxy.endpoint }) },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        const onHeld = () => {
          // The child has uploaded everything but meta.json and is waiting for the answer: kill it.
          assert.ok(child.pid);
          process.kill(child.pid, 'SIGKILL');
        };
        if (holdMeta) {
          proxy.hold((e) => e.method === 'PUT' && e.key === `${ID}/meta.json`);
          proxy.once('held', onHeld);
        }
        const timer = setTimeout(() => {
          if (child.pid) process.kill(child.pid, 'SIGKILL');
          reject(new Error(`child timed out; output:\n${out}`));
        }, 60_000);
        child.on('exit', (code, signal) => {
          clearTimeout(timer);
          proxy.off('held', onHeld);
          proxy.hold(null);
          resolve({ code, signal, out });
        });
      });
    try {
      const chunk = randomBytes(64 * 1024);
      const index = randomBytes(4096);
      await writeTestBlock(tsdb, { ulid: ID, minTime: 0, maxTime: 7_200_000, numSamples: 500, chunks: [chunk], index });

      const first = await runChild(true);
      assert.equal(first.signal, 'SIGKILL', `child was not killed: ${first.code} ${first.out}`);
      // Partial block: chunks and index present, no meta.json; nothing recorded locally.
      assert.equal(await direct.exists(`${ID}/index`), true);
      assert.equal(await direct.exists(`${ID}/chunks/000001`), true);
      assert.equal(await direct.exists(`${ID}/meta.json`), false);
      await assert.rejects(readFile(path.join(tsdb, SHIPPER_META_FILENAME)), { code: 'ENOENT' });
      const killedAt = proxy.log.length;

      // Restart.
      const second = await runChild(false);
      assert.equal(second.code, 0, second.out);
      assert.match(second.out, /uploaded 1/);

      // The whole block was uploaded again: chunks, index, then meta.json.
      const writes = proxy.log.slice(killedAt).filter((e) => e.method === 'PUT' && e.forwarded && e.status === 200).map((e) => e.key);
      assert.deepEqual(writes, [`${ID}/chunks/000001`, `${ID}/index`, `${ID}/meta.json`]);
      // Across both runs meta.json was written exactly once, and only after an index upload.
      const metaPuts = proxy.succeeded('PUT', (k) => k === `${ID}/meta.json`);
      assert.equal(metaPuts.length, 1);
      const firstIndex = proxy.succeeded('PUT', (k) => k === `${ID}/index`)[0]!;
      assert.ok(firstIndex.seq < metaPuts[0]!.seq);

      // Exactly one complete block in the bucket.
      const all: string[] = [];
      await direct.iter('', (k) => void all.push(k), { recursive: true });
      assert.deepEqual(all, [`${ID}/chunks/000001`, `${ID}/index`, `${ID}/meta.json`]);
      assert.ok(Buffer.from(await direct.get(`${ID}/chunks/000001`)).equals(chunk));
      assert.ok(Buffer.from(await direct.get(`${ID}/index`)).equals(index));
      assert.deepEqual((await readShipperMeta(tsdb)).uploaded, [ID]);

      // A further sync (in-process) has nothing to do.
      const again = await new Shipper({ dir: tsdb, bucket: direct, labels: () => LABELS }).sync();
      assert.equal(again, 0);
      assert.deepEqual((await readShipperMeta(tsdb)).uploaded, [ID]);
    } finally {
      await direct.close();
      await proxy.close();
      await s3.close();
      await rm(tsdb, { recursive: true, force: true });
    }
  });
}
