import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { Shipper, readShipperMeta, writeShipperMeta, goIndentedJSON, SHIPPER_META_FILENAME } from './shipper.ts';
import { FilesystemBucket } from '../objstore/filesystem.ts';
import type { Bucket, IterOptions, ObjectAttributes, PutBody } from '../objstore/bucket.ts';
import { writeTestBlock } from '../objstore/testutil.ts';

const A = '01JD5Z8Q2V0000000000000001'; // oldest
const B = '01JD5Z8Q2V0000000000000002';
const EMPTY = '01JD5Z8Q2V0000000000000003';
const COMPACTED = '01JD5Z8Q2V0000000000000004';
const H2 = 2 * 3600_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % H2);

const bytes = (s: string) => new TextEncoder().encode(s);
const LABELS = { tenant_id: 'default-tenant', replica: 'r0', cluster: 'eu-1' };

/** Bucket wrapper that records calls and can fail chosen puts. */
class RecordingBucket implements Bucket {
  ops: string[] = [];
  failPut: ((key: string, n: number) => boolean) | null = null;
  private putCount = new Map<string, number>();
  constructor(readonly inner: Bucket) {}
  name() {
    return this.inner.name();
  }
  get(k: string) {
    return this.inner.get(k);
  }
  getRange(k: string, o: number, l: number) {
    return this.inner.getRange(k, o, l);
  }
  exists(k: string) {
    this.ops.push(`exists ${k}`);
    return this.inner.exists(k);
  }
  attributes(k: string): Promise<ObjectAttributes> {
    return this.inner.attributes(k);
  }
  async put(k: string, body: PutBody) {
    const n = (this.putCount.get(k) ?? 0) + 1;
    this.putCount.set(k, n);
    if (this.failPut?.(k, n)) {
      this.ops.push(`put-fail ${k}`);
      throw new Error(`injected failure putting ${k}`);
    }
    this.ops.push(`put ${k}`);
    return this.inner.put(k, body);
  }
  delete(k: string) {
    this.ops.push(`delete ${k}`);
    return this.inner.delete(k);
  }
  iter(p: string, fn: (k: string) => void | Promise<void>, o?: IterOptions) {
    return this.inner.iter(p, fn, o);
  }
  close() {
    return this.inner.close();
  }
  puts() {
    return this.ops.filter((o) => o.startsWith('put ')).map((o) => o.slice(4));
  }
}

let tsdb: string;
let bdir: string;
let fsb: FilesystemBucket;
let bkt: RecordingBucket;

async function listAll(b: Bucket): Promise<string[]> {
  const out: string[] = [];
  await b.iter('', (k) => void out.push(k), { recursive: true });
  return out;
}

async function standardBlocks(): Promise<void> {
  // Written newest first to check that shipping goes by minTime, not by directory order.
  await writeTestBlock(tsdb, { ulid: B, minTime: T0 + H2, maxTime: T0 + 2 * H2, numSamples: 240, chunks: [bytes('chunk-B1-data'), bytes('chunk-B2')], index: bytes('index-of-B'), tombstones: true });
  await writeTestBlock(tsdb, { ulid: A, minTime: T0, maxTime: T0 + H2, numSamples: 120, chunks: [bytes('chunk-A1')], index: bytes('index-of-A!!'), tombstones: true });
  await writeTestBlock(tsdb, { ulid: EMPTY, minTime: T0 + 2 * H2, maxTime: T0 + 3 * H2, numSamples: 0, chunks: [], index: bytes('empty-index') });
  await writeTestBlock(tsdb, { ulid: COMPACTED, minTime: T0 - 4 * H2, maxTime: T0, numSamples: 999, level: 2, chunks: [bytes('c')], index: bytes('i') });
  // Not blocks: a directory without meta.json (being written), a non-ULID directory, a stray file.
  await mkdir(path.join(tsdb, '01JD5Z8Q2V0000000000000009', 'chunks'), { recursive: true });
  await mkdir(path.join(tsdb, 'wal'), { recursive: true });
  await writeFile(path.join(tsdb, 'lock'), '');
}

beforeEach(async () => {
  tsdb = await mkdtemp(path.join(tmpdir(), 'strata-shipper-tsdb-'));
  bdir = await mkdtemp(path.join(tmpdir(), 'strata-shipper-bkt-'));
  fsb = new FilesystemBucket(bdir);
  bkt = new RecordingBucket(fsb);
});
afterEach(async () => {
  await rm(tsdb, { recursive: true, force: true });
  await rm(bdir, { recursive: true, force: true });
});

function shipper(extra: Partial<ConstructorParameters<typeof Shipper>[0]> = {}) {
  return new Shipper({ dir: tsdb, bucket: bkt, labels: () => LABELS, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, ...extra });
}

test('ships level-1 blocks with samples, oldest first, meta.json last; records them in thanos.shipper.json', async () => {
  await standardBlocks();
  const localMetaA = await readFile(path.join(tsdb, A, 'meta.json'));
  const reg = new Registry();
  const s = shipper({ registry: reg });
  assert.equal(await s.sync(), 2);

  // Upload order (pkg/block/block.go Upload): chunks, index, then meta.json; A (older) before B.
  assert.deepEqual(bkt.puts(), [
    `${A}/chunks/000001`,
    `${A}/index`,
    `${A}/meta.json`,
    `${B}/chunks/000001`,
    `${B}/chunks/000002`,
    `${B}/index`,
    `${B}/meta.json`,
  ]);
  // Exactly the block files: no tombstones, nothing for the empty, compacted or unfinished blocks.
  assert.deepEqual(await listAll(fsb), [
    `${A}/chunks/000001`,
    `${A}/index`,
    `${A}/meta.json`,
    `${B}/chunks/000001`,
    `${B}/chunks/000002`,
    `${B}/index`,
    `${B}/meta.json`,
  ]);
  assert.equal(new TextDecoder().decode(await fsb.get(`${B}/chunks/000001`)), 'chunk-B1-data');
  assert.equal(new TextDecoder().decode(await fsb.get(`${A}/index`)), 'index-of-A!!');

  // thanos.shipper.json: Go json.Encoder with SetIndent("", "\t") of {version, uploaded}.
  assert.equal(await readFile(path.join(tsdb, SHIPPER_META_FILENAME), 'utf8'), `{\n\t"version": 1,\n\t"uploaded": [\n\t\t"${A}",\n\t\t"${B}"\n\t]\n}\n`);
  assert.deepEqual([...(await s.uploaded())], [A, B]);

  // The local meta.json is untouched.
  assert.deepEqual(await readFile(path.join(tsdb, A, 'meta.json')), localMetaA);
  // No upload staging left behind.
  assert.deepEqual(await readdir(path.join(tsdb, 'thanos', 'upload')).catch(() => []), []);

  // Metrics.
  const text = await reg.metrics();
  assert.match(text, /^thanos_shipper_uploads_total 2$/m);
  assert.match(text, /^thanos_shipper_upload_failures_total 0$/m);
  assert.match(text, /^thanos_shipper_dir_syncs_total 1$/m);

  // Nothing more to do.
  bkt.ops = [];
  assert.equal(await s.sync(), 0);
  assert.deepEqual(bkt.puts(), []);
  assert.match(await reg.metrics(), /^thanos_shipper_uploads_total 2$/m);
});

test('uploaded meta.json carries the Thanos section (specs §6) and keeps the Prometheus part', async () => {
  await standardBlocks();
  await shipper().sync();
  const text = new TextDecoder().decode(await fsb.get(`${B}/meta.json`));
  assert.ok(text.startsWith(`{\n\t"ulid": "${B}",\n\t"minTime": ${T0 + H2},`), text.slice(0, 80));
  assert.ok(text.endsWith('\n}\n'));
  const m = JSON.parse(text) as Record<string, unknown>;
  assert.deepEqual(m, {
    ulid: B,
    minTime: T0 + H2,
    maxTime: T0 + 2 * H2,
    stats: { numSamples: 240, numSeries: 1, numChunks: 2 },
    compaction: { level: 1, sources: [B] },
    version: 1,
    thanos: {
      labels: { cluster: 'eu-1', replica: 'r0', tenant_id: 'default-tenant' },
      downsample: { resolution: 0 },
      source: 'receive',
      segment_files: ['000001', '000002'],
      files: [
        { rel_path: 'chunks/000001', size_bytes: 'chunk-B1-data'.length },
        { rel_path: 'chunks/000002', size_bytes: 'chunk-B2'.length },
        { rel_path: 'index', size_bytes: 'index-of-B'.length },
        { rel_path: 'meta.json' },
      ],
    },
  });
  // Go marshals map keys sorted: labels appear in byte order.
  assert.ok(text.indexOf('"cluster"') < text.indexOf('"replica"') && text.indexOf('"replica"') < text.indexOf('"tenant_id"'));
});

test('uploadCompacted ships level > 1 blocks too; custom source', async () => {
  await standardBlocks();
  assert.equal(await shipper({ uploadCompacted: true, source: 'sidecar' }).sync(), 3);
  const m = JSON.parse(new TextDecoder().decode(await fsb.get(`${COMPACTED}/meta.json`))) as { thanos: { source: string } };
  assert.equal(m.thanos.source, 'sidecar');
  assert.equal(bkt.puts()[0], `${COMPACTED}/chunks/000001`); // oldest minTime first
  assert.equal(await fsb.exists(`${EMPTY}/meta.json`), false);
});

test('no blocks: "uploaded" is null, as Go encodes a nil slice', async () => {
  assert.equal(await shipper().sync(), 0);
  assert.equal(await readFile(path.join(tsdb, SHIPPER_META_FILENAME), 'utf8'), '{\n\t"version": 1,\n\t"uploaded": null\n}\n');
  assert.deepEqual(await readShipperMeta(tsdb), { version: 1, uploaded: null });
});

test('lost or corrupt state file: blocks already in the bucket are recorded, not re-uploaded', async () => {
  await standardBlocks();
  await shipper().sync();
  await writeFile(path.join(tsdb, SHIPPER_META_FILENAME), '{"version": 2, "uploaded": []}');
  await assert.rejects(readShipperMeta(tsdb), /unexpected meta file version 2/);
  bkt.ops = [];
  assert.equal(await shipper().sync(), 0);
  assert.deepEqual(bkt.puts(), []);
  assert.deepEqual((await readShipperMeta(tsdb)).uploaded, [A, B]);
  await rm(path.join(tsdb, SHIPPER_META_FILENAME));
  assert.equal(await shipper().sync(), 0);
  assert.deepEqual(bkt.puts(), []);
  assert.deepEqual((await readShipperMeta(tsdb)).uploaded, [A, B]);
});

test('state file written by Thanos is read; entries for blocks gone locally are dropped', async () => {
  await standardBlocks();
  const gone = '01JD5Z8Q2V00000000000000ZZ';
  await writeFile(path.join(tsdb, SHIPPER_META_FILENAME), `{\n\t"version": 1,\n\t"uploaded": [\n\t\t"${A}",\n\t\t"${gone}"\n\t]\n}\n`);
  assert.equal(await shipper().sync(), 1); // only B
  assert.deepEqual(bkt.puts()[0], `${B}/chunks/000001`);
  assert.deepEqual((await readShipperMeta(tsdb)).uploaded, [A, B]);
});

test('a failed chunk/index upload is cleaned up and retried with backoff; meta.json never precedes index', async () => {
  await standardBlocks();
  bkt.failPut = (k, n) => k === `${A}/index` && n === 1;
  const reg = new Registry();
  assert.equal(await shipper({ registry: reg }).sync(), 2);
  const ops = bkt.ops.filter((o) => o.startsWith('put') || o.startsWith('delete'));
  assert.deepEqual(ops.slice(0, 7), [
    `put ${A}/chunks/000001`,
    `put-fail ${A}/index`,
    `delete ${A}/chunks/000001`, // partial block removed before retrying
    `put ${A}/chunks/000001`,
    `put ${A}/index`,
    `put ${A}/meta.json`,
    `put ${B}/chunks/000001`,
  ]);
  assert.match(await reg.metrics(), /^thanos_shipper_upload_failures_total 0$/m);
  assert.deepEqual((await readShipperMeta(tsdb)).uploaded, [A, B]);
});

test('a block that keeps failing: sync rejects, later blocks wait, the next sync ships both', async () => {
  await standardBlocks();
  bkt.failPut = (k) => k === `${A}/meta.json`;
  const reg = new Registry();
  const s = shipper({ registry: reg });
  await assert.rejects(s.sync(), new RegExp(`upload ${A}: injected failure putting ${A}/meta.json`));
  assert.equal(bkt.ops.filter((o) => o === `put-fail ${A}/meta.json`).length, 3); // 3 attempts
  assert.equal(await fsb.exists(`${A}/meta.json`), false);
  assert.equal(await fsb.exists(`${B}/index`), false); // B is newer: not shipped before A
  assert.deepEqual((await readShipperMeta(tsdb)).uploaded, null);
  let text = await reg.metrics();
  assert.match(text, /^thanos_shipper_upload_failures_total 1$/m);
  assert.match(text, /^thanos_shipper_dir_sync_failures_total 1$/m);
  assert.match(text, /^thanos_shipper_uploads_total 0$/m);

  bkt.failPut = null;
  assert.equal(await s.sync(), 2);
  assert.deepEqual((await readShipperMeta(tsdb)).uploaded, [A, B]);
  text = await reg.metrics();
  assert.match(text, /^thanos_shipper_uploads_total 2$/m);
  assert.match(text, /^thanos_shipper_upload_failures_total 1$/m);
});

test('empty external labels are refused, as Thanos block.Upload does', async () => {
  await standardBlocks();
  await assert.rejects(shipper({ labels: () => ({}), retry: { attempts: 1 } }).sync(), /empty external labels are not allowed for Thanos block/);
  assert.deepEqual(await listAll(fsb), []);
});

test('concurrent sync calls are serialised and upload each block once', async () => {
  await standardBlocks();
  const s = shipper();
  const [x, y] = await Promise.all([s.sync(), s.sync()]);
  assert.equal(x + y, 2);
  assert.equal(bkt.puts().filter((k) => k.endsWith('/meta.json')).length, 2);
});

test('two shippers on one registry share the metrics instead of failing to register', async () => {
  const reg = new Registry();
  const a = shipper({ registry: reg });
  const b = shipper({ registry: reg });
  assert.equal(a.metrics.uploads, b.metrics.uploads);
});

test('goIndentedJSON escapes like Go encoding/json', () => {
  assert.equal(goIndentedJSON({ a: '<&>\u2028' }), '{\n\t"a": "\\u003c\\u0026\\u003e\\u2028"\n}\n');
  assert.equal(goIndentedJSON({ version: 1, uploaded: null }), '{\n\t"version": 1,\n\t"uploaded": null\n}\n');
});

test('writeShipperMeta writes null for an empty list and replaces the file atomically', async () => {
  await writeShipperMeta(tsdb, { version: 1, uploaded: [] });
  assert.equal(await readFile(path.join(tsdb, SHIPPER_META_FILENAME), 'utf8'), '{\n\t"version": 1,\n\t"uploaded": null\n}\n');
  assert.deepEqual((await readdir(tsdb)).sort(), [SHIPPER_META_FILENAME]);
});
