// The receiver's block lifecycle, end to end with a real `strata receive` process:
//  - the head is cut into blockDuration-aligned level-1 blocks once it spans more than 1.5 block
//    durations (Prometheus' Head.compactable rule), and the blocks are shipped to a filesystem bucket
//    with the Thanos meta section (external labels incl. tenant_id, source receive, resolution 0);
//  - /api/v1/query_range returns every sample sent, across local blocks and the head;
//  - SIGTERM flushes the whole head into a block, ships it, exits 0: the bucket then holds exactly
//    the samples sent (read back through the bucket, sample by sample);
//  - a restart replays nothing twice (head empty, same query answers, no new block on the next stop);
//  - kill -9 at arbitrary moments during cutting loses and duplicates nothing;
//  - promtool (Prometheus 2.42) analyzes a shipped block, `strata tools bucket ls/verify` accept the bucket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { RemoteWriteClient } from '../src/remotewrite/client.ts';
import { FilesystemBucket } from '../src/objstore/filesystem.ts';
import type { Bucket } from '../src/objstore/bucket.ts';
import { BucketReadAt } from '../src/objstore/readat.ts';
import { BlockReader, decodeMeta, type BlockMeta } from '../src/tsdb/block/block.ts';
import { ValueType } from '../src/storage/interfaces.ts';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '..');
const BIN = join(REPO, 'bin', 'strata.js');
const BD = 10_000; // --tsdb.block-duration for these tests

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | string>;
  rwURL: string;
  httpURL: string;
}

/** Starts `strata receive` on ephemeral ports; resolves once it logged "receiver ready". */
async function startReceive(args: string[], cmd = 'receive'): Promise<Proc> {
  const child = spawn(process.execPath, [BIN, cmd, '--remote-write.address=127.0.0.1:0', '--http-address=127.0.0.1:0', '--log.format=json', ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | string>((res) => child.on('exit', (code, sig) => res(code ?? sig ?? -1)));
  let rw = '';
  let http = '';
  const ready = new Promise<void>((res, rej) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        let o: { msg?: string; address?: string };
        try {
          o = JSON.parse(line) as typeof o;
        } catch {
          continue;
        }
        if (o.msg === 'listening for remote write') rw = o.address!;
        if (o.msg === 'listening for HTTP') http = o.address!;
        if (o.msg === 'receiver ready') res();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((c) => rej(new Error(`strata receive exited (${c}) before ready:\n${out}`)));
  });
  const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await ready.finally(() => clearTimeout(t));
  return { child, out: () => out, exited, rwURL: `http://${rw}/api/v1/receive`, httpURL: `http://${http}` };
}

async function stop(p: Proc, sig: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(sig);
  const t = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
  const r = await p.exited;
  clearTimeout(t);
  return r;
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function bucketMetas(bkt: Bucket): Promise<BlockMeta[]> {
  const out: BlockMeta[] = [];
  const dirs: string[] = [];
  await bkt.iter('', (k) => void dirs.push(k));
  for (const d of dirs) {
    if (!d.endsWith('/')) continue;
    if (!(await bkt.exists(`${d}meta.json`))) continue;
    out.push(decodeMeta(new TextDecoder().decode(await bkt.get(`${d}meta.json`))));
  }
  return out.sort((a, b) => a.minTime - b.minTime);
}

type SampleMap = Map<string, [number, number][]>;

/** Every sample of every block in the bucket, read through ranged GETs, keyed by series labels + block external labels. */
async function bucketSamples(bkt: Bucket): Promise<{ samples: SampleMap; perBlock: Map<string, number> }> {
  const samples: SampleMap = new Map();
  const perBlock = new Map<string, number>();
  for (const meta of await bucketMetas(bkt)) {
    const index = await BucketReadAt.open(bkt, `${meta.ulid}/index`);
    const br = await BlockReader.openWith({
      index,
      meta,
      chunk: (i) => BucketReadAt.open(bkt, `${meta.ulid}/chunks/${String(i + 1).padStart(6, '0')}`),
    });
    let n = 0;
    const q = br.querier(meta.minTime, meta.maxTime - 1);
    for await (const s of q.select({ start: meta.minTime, end: meta.maxTime - 1 }, [])) {
      const key = `${meta.thanos!.labels.tenant_id}|${s.labels.toString()}`;
      let l = samples.get(key);
      if (!l) samples.set(key, (l = []));
      const it = s.iterator();
      while (it.next() === ValueType.Float) {
        assert.ok(it.t >= meta.minTime && it.t < meta.maxTime, `sample at ${it.t} outside block ${meta.ulid} [${meta.minTime}, ${meta.maxTime})`);
        l.push([it.t, it.v]);
        n++;
      }
      assert.equal(it.err(), null);
    }
    q.close();
    await br.close();
    perBlock.set(meta.ulid, n);
    assert.equal(n, meta.stats.numSamples, `meta stats of ${meta.ulid} match its chunks`);
  }
  for (const l of samples.values()) l.sort((a, b) => a[0] - b[0]);
  return { samples, perBlock };
}

interface Sent {
  tenant: string;
  labels: string[];
  ts: number[];
  vs: number[];
}

/** Series of two tenants, one sample per second from base for n seconds; value = series*10000 + k. */
function makeData(base: number, n: number): Sent[] {
  const out: Sent[] = [];
  for (const tenant of ['default-tenant', 'team-a']) {
    for (let i = 0; i < 6; i++) {
      const ts: number[] = [];
      const vs: number[] = [];
      for (let k = 0; k < n; k++) {
        ts.push(base + k * 1000);
        vs.push(i * 10000 + k + (tenant === 'team-a' ? 0.5 : 0));
      }
      out.push({ tenant, labels: ['__name__', 'lifecycle_metric', 'instance', `host-${i}`, 'job', 'test'], ts, vs });
    }
  }
  return out;
}

/** Sends the data in time order, `stepSec` seconds of samples per request and tenant. */
async function send(rwURL: string, data: Sent[], from: number, to: number, stepSec = 5): Promise<void> {
  const c = new RemoteWriteClient({ url: rwURL });
  try {
    for (let k = from; k < to; k += stepSec) {
      for (const tenant of ['default-tenant', 'team-a']) {
        const series = data
          .filter((d) => d.tenant === tenant)
          .map((d) => ({ labels: d.labels, timestamps: d.ts.slice(k, Math.min(k + stepSec, to)), values: d.vs.slice(k, Math.min(k + stepSec, to)) }));
        const r = await c.write({ series }, tenant === 'default-tenant' ? undefined : tenant);
        assert.equal(r.status, 200, `remote write: ${r.status} ${r.body}`);
      }
    }
  } finally {
    c.close();
  }
}

function expectedSamples(data: Sent[], upto: number): SampleMap {
  const m: SampleMap = new Map();
  for (const d of data) {
    // Labels.toString() format: name{label="value", …} (labels here are sorted already).
    const key = `${d.tenant}|${d.labels[1]}{instance="${d.labels[3]}", job="${d.labels[5]}"}`;
    m.set(key, d.ts.slice(0, upto).map((t, k) => [t, d.vs[k]!] as [number, number]));
  }
  return m;
}

/** The aligned windows Prometheus' rule cuts from a head holding samples at `times` (sorted). */
function expectedWindows(times: number[]): number[] {
  const maxT = times[times.length - 1]!;
  let minT = times[0]!;
  const out: number[] = [];
  while (maxT - minT > (BD / 2) * 3) {
    const ws = Math.floor(minT / BD) * BD;
    out.push(ws);
    minT = times.find((t) => t >= ws + BD)!;
  }
  return out;
}

interface QueryRangeResult {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
}

async function queryRange(httpURL: string, q: string, start: number, end: number, step: number): Promise<QueryRangeResult> {
  const u = `${httpURL}/api/v1/query_range?query=${encodeURIComponent(q)}&start=${start / 1000}&end=${end / 1000}&step=${step / 1000}`;
  const r = await fetch(u);
  const body = await r.text();
  assert.equal(r.status, 200, body);
  return JSON.parse(body) as QueryRangeResult;
}

/** query_range with step = sample spacing, starting at the first sample: every step returns exactly one sample. */
async function assertQueryReturnsAll(httpURL: string, data: Sent[], n: number): Promise<void> {
  const start = data[0]!.ts[0]!;
  const end = data[0]!.ts[n - 1]!;
  const res = await queryRange(httpURL, 'lifecycle_metric', start, end, 1000);
  assert.equal(res.status, 'success');
  const got = new Map<string, [number, string][]>();
  for (const r of res.data.result) got.set(`${r.metric.tenant_id}|${r.metric.instance}|${r.metric.replica}`, r.values);
  assert.equal(got.size, data.length);
  for (const d of data) {
    const vals = got.get(`${d.tenant}|${d.labels[3]}|r1`);
    assert.ok(vals, `series ${d.tenant} ${d.labels[3]} returned`);
    assert.deepEqual(
      vals,
      d.ts.slice(0, n).map((t, k) => [t / 1000, String(d.vs[k])]),
    );
  }
}

async function headSeries(httpURL: string): Promise<number> {
  const text = await (await fetch(`${httpURL}/metrics`)).text();
  const m = /^prometheus_tsdb_head_series(?:\{[^}]*\})? (\S+)$/m.exec(text);
  assert.ok(m, 'prometheus_tsdb_head_series exported');
  return Number(m[1]);
}

test('receive: cuts aligned blocks, ships them, queries blocks+head, flushes on SIGTERM, restarts without duplicates', { timeout: 180_000 }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'strata-recv-blocks-'));
  const bucketDir = join(tmp, 'bucket');
  const tsdb = join(tmp, 'tsdb');
  const bkt = new FilesystemBucket(bucketDir);
  const args = [`--tsdb.path=${tsdb}`, `--tsdb.block-duration=${BD / 1000}s`, '--label=replica="r1"', `--objstore.config=type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`];
  let p: Proc | null = null;
  try {
    // Timestamps in the past (the head is empty), not aligned to the block duration.
    const base = Math.floor((Date.now() - 30 * 60_000) / BD) * BD + 1234;
    const N = 65;
    const data = makeData(base, N);
    p = await startReceive(args);
    await send(p.rwURL, data, 0, N);

    // Blocks for the windows Prometheus' rule cuts appear in the bucket (periodic check every 2.5 s).
    const windows = expectedWindows(data[0]!.ts);
    assert.ok(windows.length >= 4, `test data spans several windows (${windows.length})`);
    const metas = await waitFor('blocks in the bucket', async () => {
      const m = await bucketMetas(bkt);
      return m.length >= windows.length * 2 ? m : null;
    });
    assert.equal(metas.length, windows.length * 2, 'one block per window and tenant, nothing more');
    for (const tenant of ['default-tenant', 'team-a']) {
      const mine = metas.filter((m) => m.thanos?.labels.tenant_id === tenant);
      assert.deepEqual(
        mine.map((m) => [m.minTime, m.maxTime]),
        windows.map((w) => [w, w + BD]),
      );
      for (const m of mine) {
        assert.equal(m.compaction.level, 1);
        assert.deepEqual(m.compaction.sources, [m.ulid]);
        assert.deepEqual(m.thanos!.labels, { replica: 'r1', tenant_id: tenant });
        assert.equal(m.thanos!.source, 'receive');
        assert.equal(m.thanos!.downsample.resolution, 0);
        assert.equal(m.stats.numSeries, 6);
        // Local copy exists beside the tenant's WAL and the shipper recorded it.
        const shipped = JSON.parse(await readFile(join(tsdb, tenant, 'thanos.shipper.json'), 'utf8')) as { uploaded: string[] };
        assert.ok(shipped.uploaded.includes(m.ulid));
      }
    }

    // Every sample, across blocks and head, through the HTTP API.
    await assertQueryReturnsAll(p.httpURL, data, N);
    // A sample inside an already cut window is rejected (the head's minimum valid time moved).
    {
      const c = new RemoteWriteClient({ url: p.rwURL });
      const r = await c.write({ series: [{ labels: ['__name__', 'lifecycle_late', 'job', 'test'], timestamps: [base + 1000], values: [1] }] });
      c.close();
      assert.equal(r.status, 409, `late sample: ${r.status} ${r.body}`);
      assert.match(r.body, /out of bounds/);
    }

    // SIGTERM: the whole head is flushed into one block per tenant and shipped, then exit 0.
    assert.equal(await stop(p), 0, p.out());
    p = null;
    const after = await bucketMetas(bkt);
    assert.equal(after.length, windows.length * 2 + 2);
    const lastSample = data[0]!.ts[N - 1]!;
    for (const tenant of ['default-tenant', 'team-a']) {
      const flushed = after.filter((m) => m.thanos?.labels.tenant_id === tenant).at(-1)!;
      assert.equal(flushed.minTime, data[0]!.ts.find((t) => t >= windows.at(-1)! + BD));
      assert.equal(flushed.maxTime, lastSample + 1);
      assert.equal(flushed.thanos!.source, 'receive');
    }
    const { samples } = await bucketSamples(bkt);
    assert.deepEqual(samples, expectedSamples(data, N), 'the bucket holds exactly the samples sent');

    // Restart: nothing is replayed into the head again; queries see every sample exactly once.
    p = await startReceive(args);
    assert.equal(await headSeries(p.httpURL), 0);
    await assertQueryReturnsAll(p.httpURL, data, N);
    const cnt = await queryRange(p.httpURL, 'count_over_time(lifecycle_metric[10m])', lastSample, lastSample, 1000);
    for (const r of cnt.data.result) assert.equal(r.values[0]![1], String(N));
    assert.equal(await stop(p), 0, p.out());
    p = null;
    assert.equal((await bucketMetas(bkt)).length, windows.length * 2 + 2, 'an empty head flushes no block');

    // A real Prometheus tool reads a shipped block.
    const ulid = after[0]!.ulid;
    const { stdout } = await run('/usr/bin/promtool', ['tsdb', 'analyze', bucketDir, ulid]);
    assert.match(stdout, new RegExp(`Block ID: ${ulid}`));
    assert.match(stdout, /Series: 6/);

    // strata tools bucket ls / verify on the receiver's bucket.
    const cfg = `--objstore.config=type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`;
    const ls = await run(process.execPath, [BIN, 'tools', 'bucket', 'ls', cfg, '-o', 'json'], { cwd: REPO });
    const listed = ls.stdout.trim().split('\n').map((l) => JSON.parse(l) as BlockMeta);
    assert.deepEqual(listed.map((m) => m.ulid).sort(), after.map((m) => m.ulid).sort());
    const verify = await run(process.execPath, [BIN, 'tools', 'bucket', 'verify', cfg], { cwd: REPO });
    assert.match(verify.stderr, new RegExp(`verified ${after.length} blocks, 0 issues`));
  } finally {
    if (p) await stop(p, 'SIGKILL');
    await bkt.close();
    await rm(tmp, { recursive: true, force: true });
  }
});

test('receive: kill -9 while blocks are being cut loses and duplicates nothing', { timeout: 240_000 }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'strata-recv-kill-'));
  const bucketDir = join(tmp, 'bucket');
  const tsdb = join(tmp, 'tsdb');
  const bkt = new FilesystemBucket(bucketDir);
  const args = [`--tsdb.path=${tsdb}`, `--tsdb.block-duration=${BD / 1000}s`, '--label=replica="r1"', `--objstore.config=type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`];
  let p: Proc | null = null;
  try {
    const base = Math.floor((Date.now() - 40 * 60_000) / BD) * BD + 500;
    const N = 120;
    const data = makeData(base, N);
    let sent = 0;
    // Several rounds: send a slice, let the periodic cut start, SIGKILL at an arbitrary moment.
    for (let round = 0; round < 4; round++) {
      p = await startReceive(args);
      const to = Math.min(N, sent + 30);
      await send(p.rwURL, data, sent, to, 3);
      sent = to;
      await new Promise((r) => setTimeout(r, 1500 + round * 700));
      assert.equal(await stop(p, 'SIGKILL'), 'SIGKILL');
      p = null;
    }
    p = await startReceive(args);
    await assertQueryReturnsAll(p.httpURL, data, sent);
    assert.equal(await stop(p), 0, p.out());
    p = null;
    // Every sample exactly once across all shipped blocks, and local blocks never overlap.
    const { samples } = await bucketSamples(bkt);
    assert.deepEqual(samples, expectedSamples(data, sent));
    for (const tenant of ['default-tenant', 'team-a']) {
      const mine = (await bucketMetas(bkt)).filter((m) => m.thanos?.labels.tenant_id === tenant);
      for (let i = 1; i < mine.length; i++) assert.ok(mine[i]!.minTime >= mine[i - 1]!.maxTime, 'blocks of a tenant do not overlap');
      const local = (await readdir(join(tsdb, tenant))).filter((n) => /^[0-9A-Z]{26}$/.test(n));
      assert.equal(local.length, mine.length, 'every local block was shipped');
    }
  } finally {
    if (p) await stop(p, 'SIGKILL');
    await bkt.close();
    await rm(tmp, { recursive: true, force: true });
  }
});

test('strata all: SIGTERM flushes the head into <data-dir>/bucket (the default filesystem bucket) and exits 0', { timeout: 120_000 }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'strata-all-flush-'));
  const bkt = new FilesystemBucket(join(tmp, 'bucket'));
  let p: Proc | null = null;
  try {
    const base = Date.now() - 5 * 60_000;
    const data = makeData(base, 20);
    p = await startReceive([`--data-dir=${tmp}`, '--grpc-address=127.0.0.1:0', '--label=replica="r1"'], 'all');
    await send(p.rwURL, data, 0, 20);
    await assertQueryReturnsAll(p.httpURL, data, 20);
    assert.equal(await stop(p), 0, p.out());
    p = null;
    const metas = await bucketMetas(bkt);
    assert.equal(metas.length, 2, 'one flushed block per tenant');
    for (const m of metas) {
      assert.equal(m.minTime, base);
      assert.equal(m.maxTime, base + 19_000 + 1);
      assert.equal(m.thanos!.source, 'receive');
    }
    const { samples } = await bucketSamples(bkt);
    assert.deepEqual(samples, expectedSamples(data, 20));
  } finally {
    if (p) await stop(p, 'SIGKILL');
    await bkt.close();
    await rm(tmp, { recursive: true, force: true });
  }
});
