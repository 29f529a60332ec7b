// The store gateway against blocks made by a real peer: Prometheus 2.42's `promtool tsdb
// create-blocks-from openmetrics` writes them, `strata tools bucket upload-prometheus` imports them
// into a filesystem bucket like a sidecar, `strata store` runs as its own process, and every answer
// over the StoreAPI (gRPC, our client) is compared sample for sample — value bits included — with the
// OpenMetrics input. Also: Info, label APIs, --min-time sharding, metrics, readiness, SIGTERM, and a
// clear error without object storage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Labels } from '../src/labels/labels.ts';
import { Matcher } from '../src/labels/matcher.ts';
import { ValueType } from '../src/storage/interfaces.ts';
import { StoreClient } from '../src/storeapi/client.ts';
import { valueBits } from '../src/tsdb/block/testutil.ts';
import { freePort, httpOk, startProcess, STRATA_BIN, tempDir, waitFor, type Proc } from './helpers/procs.ts';

const run = promisify(execFile);
const PROMTOOL = '/usr/bin/promtool';

interface Input {
  text: string;
  /** labels string (with the external label) → [t ms, v][] */
  series: Map<string, [number, number][]>;
}

/** OpenMetrics: a counter over 6 instances and a float gauge in 2 rooms, every 30 s for 7 h. */
function openMetrics(t0: number, ext: Record<string, string>): Input {
  const lines = ['# HELP sg_requests_total Requests.', '# TYPE sg_requests_total counter'];
  const series = new Map<string, [number, number][]>();
  const add = (labels: Record<string, string>, t: number, v: number): void => {
    const key = Labels.fromObject({ ...labels, ...ext }).toString();
    let l = series.get(key);
    if (!l) series.set(key, (l = []));
    l.push([t * 1000, v]);
  };
  const N = 7 * 120;
  for (let k = 0; k < N; k++) {
    for (const inst of ['a', 'b', 'c', 'd', 'e', 'f']) {
      const v = k * 7 + inst.charCodeAt(0) * (k % 13);
      lines.push(`sg_requests_total{instance="${inst}",job="api"} ${v} ${t0 + k * 30}`);
      add({ __name__: 'sg_requests_total', instance: inst, job: 'api' }, t0 + k * 30, v);
    }
  }
  lines.push('# HELP sg_temp Temperature.', '# TYPE sg_temp gauge');
  for (let k = 0; k < N; k++) {
    for (const room of ['x', 'y']) {
      const v = 20 + Math.sin(k / 17 + room.length) * 3.123456789 + (room === 'y' ? 0.1 : 0);
      lines.push(`sg_temp{room="${room}"} ${String(v)} ${t0 + k * 30}`);
      add({ __name__: 'sg_temp', room }, t0 + k * 30, v);
    }
  }
  lines.push('# EOF');
  return { text: lines.join('\n') + '\n', series };
}

async function startStore(bucketDir: string, dataDir: string, extra: string[] = []): Promise<{ proc: Proc; grpc: string; http: string }> {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const proc = startProcess(process.execPath, [
    STRATA_BIN,
    'store',
    `--objstore.config=type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`,
    `--data-dir=${dataDir}`,
    `--http-address=127.0.0.1:${httpPort}`,
    `--grpc-address=127.0.0.1:${grpcPort}`,
    '--sync-block-duration=2s',
    '--index-cache-size=8MiB',
    '--log.format=json',
    ...extra,
  ]);
  const http = `http://127.0.0.1:${httpPort}`;
  await waitFor('strata store ready', async () => {
    if (proc.child.exitCode !== null) throw new Error(`strata store exited: ${proc.output()}`);
    return httpOk(`${http}/-/ready`);
  }, 60_000);
  return { proc, grpc: `127.0.0.1:${grpcPort}`, http };
}

async function selectAll(c: StoreClient, mint: number, maxt: number, ms: Matcher[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const q = c.querier(mint, maxt);
  let prev: Labels | null = null;
  for await (const s of q.select({ start: mint, end: maxt }, ms)) {
    if (prev) assert.ok(Labels.compare(prev, s.labels) < 0, 'series sorted');
    prev = s.labels;
    const it = s.iterator();
    const samples: string[] = [];
    while (it.next() !== ValueType.None) samples.push(`${it.t} ${valueBits(it.v)}`);
    assert.equal(it.err(), null);
    out.set(s.labels.toString(), samples);
  }
  return out;
}

function expected(input: Input, mint: number, maxt: number, pred: (labels: string) => boolean): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, samples] of input.series) {
    if (!pred(k)) continue;
    const s = samples.filter(([t]) => t >= mint && t <= maxt).map(([t, v]) => `${t} ${valueBits(v)}`);
    if (s.length > 0) out.set(k, s);
  }
  return out;
}

test('store gateway serves promtool-made blocks uploaded with upload-prometheus, sample for sample', { timeout: 180_000 }, async () => {
  const tmp = await tempDir('store-gw');
  const procs: Proc[] = [];
  const clients: StoreClient[] = [];
  try {
    const t0 = 1_700_000_000 - (1_700_000_000 % 7200) + 1234;
    const ext = { cluster: 'eu-1' };
    const input = openMetrics(t0, ext);
    const promDir = join(tmp.path, 'prom');
    const bucketDir = join(tmp.path, 'bucket');
    await writeFile(join(tmp.path, 'in.om'), input.text);
    await run(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', join(tmp.path, 'in.om'), promDir]);
    const ulids = (await readdir(promDir)).filter((n) => /^[0-9A-Z]{26}$/.test(n)).sort();
    assert.ok(ulids.length >= 4, `promtool wrote ${ulids.length} blocks`);
    const metas = await Promise.all(ulids.map(async (u) => JSON.parse(await readFile(join(promDir, u, 'meta.json'), 'utf8')) as { minTime: number; maxTime: number }));
    metas.sort((a, b) => a.minTime - b.minTime);
    const up = await run(process.execPath, [STRATA_BIN, 'tools', 'bucket', 'upload-prometheus', promDir, '--label', 'cluster="eu-1"', `--objstore.config=type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`]);
    assert.match(up.stderr, new RegExp(`uploaded ${ulids.length} blocks`));

    const st = await startStore(bucketDir, join(tmp.path, 'store-data'));
    procs.push(st.proc);
    const c = new StoreClient(st.grpc, { timeoutMs: 60_000 });
    clients.push(c);

    const info = await c.info();
    assert.deepEqual(info.labelSets.map(String), ['{cluster="eu-1"}']);
    assert.equal(info.componentType, 'store');
    assert.equal(info.minTime, metas[0]!.minTime);
    assert.equal(info.maxTime, metas[metas.length - 1]!.maxTime);

    const first = t0 * 1000;
    const last = (t0 + (7 * 120 - 1) * 30) * 1000;
    // Everything, over the whole range.
    const all = await selectAll(c, first - 1, last + 1, [new Matcher('=~', '__name__', 'sg_.*')]);
    assert.equal(all.size, 8);
    assert.deepEqual(all, expected(input, -Infinity, Infinity, () => true));
    // A sub-range cutting through blocks, with a regex and an external-label matcher.
    const mint = first + 3_600_000 + 17_000;
    const maxt = first + 4 * 3_600_000 + 1;
    const part = await selectAll(c, mint, maxt, [Matcher.eq('__name__', 'sg_requests_total'), new Matcher('=~', 'instance', 'a|c|f'), Matcher.eq('cluster', 'eu-1')]);
    assert.deepEqual(part, expected(input, mint, maxt, (k) => k.startsWith('sg_requests_total{') && /instance="[acf]"/.test(k)));
    assert.equal(part.size, 3);
    // Again (served partly from the index cache), and a negative matcher.
    const neg = await selectAll(c, mint, maxt, [Matcher.eq('__name__', 'sg_requests_total'), new Matcher('!~', 'instance', 'a|c|f')]);
    assert.deepEqual(neg, expected(input, mint, maxt, (k) => k.startsWith('sg_requests_total{') && !/instance="[acf]"/.test(k)));
    assert.equal((await selectAll(c, first, last, [Matcher.eq('cluster', 'us-2'), Matcher.eq('__name__', 'sg_temp')])).size, 0);

    // Label APIs.
    const q = c.querier(first, last);
    assert.deepEqual((await q.labelValues('instance', [])).values, ['a', 'b', 'c', 'd', 'e', 'f']);
    assert.deepEqual((await q.labelValues('__name__', [])).values, ['sg_requests_total', 'sg_temp']);
    assert.deepEqual((await q.labelNames([Matcher.eq('__name__', 'sg_temp')])).values, ['__name__', 'cluster', 'room']);

    // Metrics.
    const metrics = await (await fetch(`${st.http}/metrics`)).text();
    assert.match(metrics, new RegExp(`^thanos_bucket_store_blocks_loaded ${ulids.length}$`, 'm'));
    assert.match(metrics, /^thanos_blocks_meta_syncs_total [1-9]\d*$/m);
    assert.match(metrics, /^thanos_store_index_cache_hits_total\{item_type="Series"\} [1-9]\d*$/m);
    assert.match(metrics, /^thanos_store_index_cache_requests_total\{item_type="Postings"\} [1-9]\d*$/m);

    // A second gateway sharded by time: --min-time at the second block's start.
    const shardMin = metas[1]!.minTime;
    const st2 = await startStore(bucketDir, join(tmp.path, 'store-data-2'), [`--min-time=${new Date(shardMin).toISOString().replace('.000Z', 'Z')}`, '--max-time=9999-12-31T23:59:59Z']);
    procs.push(st2.proc);
    const c2 = new StoreClient(st2.grpc, { timeoutMs: 60_000 });
    clients.push(c2);
    const info2 = await c2.info();
    assert.equal(info2.minTime, shardMin);
    const sharded = await selectAll(c2, first - 1, last + 1, [Matcher.eq('__name__', 'sg_temp')]);
    assert.deepEqual(sharded, expected(input, shardMin, Infinity, (k) => k.startsWith('sg_temp{')));

    // SIGTERM stops cleanly.
    assert.equal(await st2.proc.stop(), 0);
    assert.equal(await st.proc.stop(), 0);
  } finally {
    for (const c of clients) c.close();
    for (const p of procs) await p.stop();
    await tmp.cleanup();
  }
});

test('strata store without object storage fails with a clear message', { timeout: 60_000 }, async () => {
  const tmp = await tempDir('store-noobj');
  try {
    const r = await run(process.execPath, [STRATA_BIN, 'store', `--data-dir=${tmp.path}`]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /object storage is required/);
    const bad = await run(process.execPath, [STRATA_BIN, 'store', `--data-dir=${tmp.path}`, '--objstore.config=type: FILESYSTEM\nconfig:\n  directory: /tmp/x\n', '--min-time=last tuesday']).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--min-time: invalid time or duration/);
  } finally {
    await tmp.cleanup();
  }
});
