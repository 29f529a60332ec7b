// `strata tools bucket` against blocks made by a real peer: Prometheus 2.42's
// `promtool tsdb create-blocks-from openmetrics` writes the blocks, `upload-prometheus` imports them
// like a sidecar, `ls`/`inspect` list them (durations compared with promtool's own `tsdb list`),
// `verify` accepts them and pinpoints corruption we inject afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { FilesystemBucket } from '../src/objstore/filesystem.ts';
import type { Bucket, PutBody } from '../src/objstore/bucket.ts';
import { BucketReadAt } from '../src/objstore/readat.ts';
import { goDuration, rfc3339, uploadPrometheusBlocks, verifyBlock } from '../src/cli/tools-bucket.ts';
import { decodeMeta, type BlockMeta } from '../src/tsdb/block/meta.ts';
import { writeBlock } from '../src/tsdb/block/writer.ts';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '..');
const BIN = join(REPO, 'bin', 'strata.js');
const PROMTOOL = '/usr/bin/promtool';

/** OpenMetrics text: 4 series, one sample per minute for 7 h from t0 (seconds). */
function openMetrics(t0: number): { text: string; samples: number } {
  const lines = ['# HELP tb_requests_total Requests.', '# TYPE tb_requests_total counter'];
  let n = 0;
  for (let k = 0; k < 420; k++) {
    for (const inst of ['a', 'b', 'c', 'd']) {
      lines.push(`tb_requests_total{instance="${inst}",job="tb"} ${k * 3 + inst.charCodeAt(0)} ${t0 + k * 60}`);
      n++;
    }
  }
  lines.push('# EOF');
  return { text: lines.join('\n') + '\n', samples: n };
}

async function strata(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [BIN, 'tools', 'bucket', ...args], { cwd: REPO });
    return { ...r, code: 0 };
  } catch (e) {
    const x = e as { stdout: string; stderr: string; code: number };
    return { stdout: x.stdout, stderr: x.stderr, code: x.code };
  }
}

async function metaOf(bkt: Bucket, ulid: string): Promise<BlockMeta> {
  return decodeMeta(new TextDecoder().decode(await bkt.get(`${ulid}/meta.json`)));
}

test('tools bucket: upload-prometheus imports promtool blocks like a sidecar; ls/inspect/verify', { timeout: 120_000 }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'strata-tools-bucket-'));
  const promDir = join(tmp, 'prom');
  const bucketDir = join(tmp, 'bucket');
  const cfg = `--objstore.config=type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`;
  const bkt = new FilesystemBucket(bucketDir);
  try {
    const t0 = 1_700_000_000 - (1_700_000_000 % 7200) + 1800;
    const om = openMetrics(t0);
    await writeFile(join(tmp, 'in.om'), om.text);
    await run(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', join(tmp, 'in.om'), promDir]);
    const ulids = (await readdir(promDir)).filter((n) => /^[0-9A-Z]{26}$/.test(n)).sort();
    assert.ok(ulids.length >= 4, `promtool wrote several 2h blocks (${ulids.length})`);

    // Import.
    const up = await strata(['upload-prometheus', promDir, '--label', 'cluster="eu-1"', '--label', 'replica="p0"', cfg]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, new RegExp(`uploaded ${ulids.length} blocks, skipped 0`));
    let total = 0;
    for (const id of ulids) {
      const local = JSON.parse(await readFile(join(promDir, id, 'meta.json'), 'utf8')) as { minTime: number; maxTime: number; stats: { numSamples: number; numSeries: number }; compaction: { level: number } };
      const m = await metaOf(bkt, id);
      assert.equal(m.minTime, local.minTime);
      assert.equal(m.maxTime, local.maxTime);
      assert.equal(m.stats.numSamples, local.stats.numSamples);
      assert.equal(m.compaction.level, local.compaction.level);
      assert.deepEqual(m.thanos!.labels, { cluster: 'eu-1', replica: 'p0' });
      assert.equal(m.thanos!.source, 'sidecar');
      assert.equal(m.thanos!.downsample.resolution, 0);
      // Objects are the promtool files byte for byte, and meta.json lists them with their sizes.
      const idx = await readFile(join(promDir, id, 'index'));
      assert.deepEqual(Buffer.from(await bkt.get(`${id}/index`)), idx);
      const chunk = await readFile(join(promDir, id, 'chunks', '000001'));
      assert.deepEqual(Buffer.from(await bkt.get(`${id}/chunks/000001`)), chunk);
      assert.deepEqual(m.thanos!.files, [
        { rel_path: 'chunks/000001', size_bytes: chunk.length },
        { rel_path: 'index', size_bytes: idx.length },
        { rel_path: 'meta.json' },
      ]);
      assert.deepEqual(m.thanos!.segment_files, ['000001']);
      total += m.stats.numSamples!;
    }
    assert.equal(total, om.samples, 'every OpenMetrics sample is in the bucket');

    // Idempotent: a second run skips what is there.
    const again = await strata(['upload-prometheus', promDir, '--label', 'cluster="eu-1"', cfg]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`uploaded 0 blocks, skipped ${ulids.length}`));
    // Without external labels the import is refused.
    const nolabel = await strata(['upload-prometheus', promDir, cfg]);
    assert.notEqual(nolabel.code, 0);
    assert.match(nolabel.stderr, /external label/);

    // ls: JSON lines equal the bucket metas; table ranges formatted as Go durations, compared with promtool's `tsdb list`.
    const lsJson = await strata(['ls', cfg, '-o', 'json']);
    assert.equal(lsJson.code, 0, lsJson.stderr);
    const listed = lsJson.stdout.trim().split('\n').map((l) => JSON.parse(l) as BlockMeta);
    assert.deepEqual(listed.map((m) => m.ulid).sort(), ulids);
    const plist = await run(PROMTOOL, ['tsdb', 'list', promDir]);
    const promRanges = new Map<string, string>();
    for (const line of plist.stdout.trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      promRanges.set(f[0]!, f[3]!); // BLOCK ULID, MIN TIME, MAX TIME, DURATION, …
    }
    const ls = await strata(['ls', cfg]);
    assert.equal(ls.code, 0, ls.stderr);
    const rows = ls.stdout.trim().split('\n');
    assert.match(rows[0]!, /^ULID\s+FROM\s+UNTIL\s+RANGE\s+LEVEL\s+RESOLUTION\s+#SERIES\s+#SAMPLES\s+SOURCE\s+LABELS$/);
    assert.equal(rows.length, ulids.length + 1);
    for (const r of rows.slice(1)) {
      const f = r.split(/\s+/);
      const m = listed.find((x) => x.ulid === f[0])!;
      assert.equal(f[3], promRanges.get(f[0]!), `RANGE of ${f[0]} as Go prints it`);
      assert.equal(new Date(f[1]!).getTime(), m.minTime);
      assert.equal(new Date(f[2]!).getTime(), m.maxTime);
      assert.deepEqual(f.slice(4), ['1', '0s', '4', String(m.stats.numSamples), 'sidecar', 'cluster="eu-1",replica="p0"']);
    }
    const insp = await strata(['inspect', cfg]);
    assert.equal(insp.code, 0, insp.stderr);
    assert.match(insp.stdout.split('\n')[0]!, /^ULID\s+FROM\s+UNTIL\s+RANGE\s+UNTIL-DOWN\s+#SERIES\s+#SAMPLES\s+#CHUNKS\s+COMP-LEVEL/);
    assert.equal(insp.stdout.trim().split('\n').length, ulids.length + 1);

    // verify accepts promtool's blocks.
    const ok = await strata(['verify', cfg]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stderr, new RegExp(`verified ${ulids.length} blocks, 0 issues`));

    // Corruptions are found: a flipped chunk byte (CRC), wrong meta stats, a range that excludes chunks.
    const [a, b, c] = ulids as [string, string, string];
    const seg = Buffer.from(await bkt.get(`${a}/chunks/000001`));
    seg[seg.length - 10] ^= 0xff;
    await bkt.put(`${a}/chunks/000001`, seg);
    const mb = await metaOf(bkt, b);
    mb.stats.numSamples = mb.stats.numSamples! + 1;
    await bkt.put(`${b}/meta.json`, new TextEncoder().encode(JSON.stringify(mb)));
    const mc = await metaOf(bkt, c);
    mc.maxTime = mc.minTime + 60_000;
    await bkt.put(`${c}/meta.json`, new TextEncoder().encode(JSON.stringify(mc)));
    // A copy of block d under another ULID overlaps d.
    const d = ulids[3]!;
    const dup = '01' + d.slice(2, 25) + (d[25] === 'Z' ? 'Y' : 'Z');
    for (const k of ['chunks/000001', 'index']) await bkt.put(`${dup}/${k}`, await bkt.get(`${d}/${k}`));
    await bkt.put(`${dup}/meta.json`, new TextEncoder().encode(JSON.stringify({ ...(await metaOf(bkt, d)), ulid: dup })));
    const bad = await strata(['verify', cfg]);
    assert.equal(bad.code, 1);
    const lines = bad.stdout.trim().split('\n');
    assert.ok(lines.some((l) => l.startsWith(`${a}: `) && /checksum mismatch/.test(l)), bad.stdout);
    assert.ok(lines.some((l) => l.startsWith(`${b}: `) && /numSamples/.test(l)), bad.stdout);
    assert.ok(lines.some((l) => l.startsWith(`${c}: `) && /outside block range/.test(l)), bad.stdout);
    assert.ok(lines.some((l) => (l.startsWith(`${dup}: overlaps ${d}`) || l.startsWith(`${d}: overlaps ${dup}`))), bad.stdout);
    assert.ok(!lines.some((l) => ulids.slice(4).some((u) => l.startsWith(u))), 'healthy blocks report nothing');
  } finally {
    await bkt.close();
    await rm(tmp, { recursive: true, force: true });
  }
});

test('upload-prometheus uploads meta.json last and skips empty blocks', { timeout: 60_000 }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'strata-tools-order-'));
  const promDir = join(tmp, 'prom');
  const inner = new FilesystemBucket(join(tmp, 'bucket'));
  const puts: string[] = [];
  const rec: Bucket = Object.assign(Object.create(inner) as Bucket, {
    put: (k: string, body: PutBody) => {
      puts.push(k);
      return inner.put(k, body);
    },
  });
  try {
    await writeFile(join(tmp, 'in.om'), openMetrics(1_699_999_200).text);
    await run(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', join(tmp, 'in.om'), promDir]);
    const empty = await writeBlock([], { dir: promDir, mint: 0, maxt: 7_200_000 });
    const r = await uploadPrometheusBlocks(rec, promDir, { cluster: 'x' }, () => {});
    assert.ok(r.uploaded.length >= 3);
    assert.deepEqual(r.skipped, [empty.ulid], 'the empty block is not uploaded');
    assert.ok(!puts.some((k) => k.startsWith(empty.ulid)));
    for (const id of r.uploaded) {
      const mine = puts.filter((k) => k.startsWith(id + '/'));
      assert.equal(mine.at(-1), `${id}/meta.json`);
      assert.deepEqual(mine.slice(0, -1).sort(), [`${id}/chunks/000001`, `${id}/index`]);
      // verifyBlock through ranged reads finds nothing wrong.
      const v = await verifyBlock(inner, await metaOf(inner, id));
      assert.deepEqual(v.issues, []);
      assert.ok(v.samples > 0);
    }
    // BucketReadAt reads exact ranges.
    const id = r.uploaded[0]!;
    const ra = await BucketReadAt.open(inner, `${id}/index`);
    const whole = await inner.get(`${id}/index`);
    assert.equal(await ra.size(), whole.length);
    assert.deepEqual(await ra.read(3, 10), whole.subarray(3, 13));
    assert.deepEqual(await ra.read(whole.length - 2, 10), whole.subarray(whole.length - 2));
    assert.equal((await ra.read(whole.length, 4)).length, 0);
  } finally {
    await inner.close();
    await rm(tmp, { recursive: true, force: true });
  }
});

test('goDuration matches Go time.Duration.String(); rfc3339 is UTC', () => {
  // Outputs of Go's (time.Duration).String() for these durations.
  const cases: [number, string][] = [
    [0, '0s'],
    [1, '1ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [61_001, '1m1.001s'],
    [7_200_000, '2h0m0s'],
    [7_199_999, '1h59m59.999s'],
    [72 * 3_600_000 + 3 * 60_000 + 500, '72h3m0.5s'],
    [-30_000, '-30s'],
  ];
  for (const [ms, s] of cases) assert.equal(goDuration(ms), s, `${ms}`);
  assert.equal(rfc3339(1_700_000_000_000), '2023-11-14T22:13:20Z');
  assert.equal(rfc3339(1_700_000_000_123), '2023-11-14T22:13:20.123Z');
});
