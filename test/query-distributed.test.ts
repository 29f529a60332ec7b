// The distributed querier end to end with separate processes on 127.0.0.1: a real Prometheus
// (Debian 2.42) scrapes itself and a fixture every second and remote-writes to TWO `strata receive`
// replicas (--label replica="a" / "b", 20s blocks shipped to one filesystem bucket); a `strata store`
// serves that bucket (when the store command exists); `strata query` points at all of them
// (--endpoint-strict) with --query.replica-label=replica. Range queries spanning shipped blocks and
// heads must return exactly one deduplicated series per input series, equal to what Prometheus
// itself answers; killing one receiver leaves answers intact with a warning naming it (partial
// response) or fails the query when partial response is disabled.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  STRATA_BIN,
  freePort,
  getJSON,
  httpOk,
  startPrometheus,
  startProcess,
  stopAll,
  tempDir,
  waitFor,
  type PrometheusServer,
  type Proc,
  startQuery as startStrataQuery,
} from './helpers/procs.ts';

interface MatrixResp {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
  warnings?: string[];
}
interface VectorResp {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  warnings?: string[];
}
interface RawMatrixResp {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
  warnings?: string[];
}
interface StoresResp {
  status: string;
  data: Record<string, { name: string; lastError: string | null; labelSets: Record<string, string>[]; minTime: number; maxTime: number }[]>;
}

const BLOCK = 20_000;

/** A scrape target with counters, a gauge and a classic histogram. */
function startFixture(): Promise<http.Server> {
  let n = 0;
  const srv = http.createServer((_req, res) => {
    n++;
    const body = [
      '# TYPE dq_requests_total counter',
      `dq_requests_total{code="200"} ${n * 7}`,
      `dq_requests_total{code="500"} ${Math.floor(n / 3)}`,
      '# TYPE dq_temperature gauge',
      `dq_temperature ${((n * 37) % 11) - 4.5}`,
      '# TYPE dq_latency_seconds histogram',
      `dq_latency_seconds_bucket{le="0.5"} ${n}`,
      `dq_latency_seconds_bucket{le="+Inf"} ${n * 2}`,
      `dq_latency_seconds_sum ${n * 0.25}`,
      `dq_latency_seconds_count ${n * 2}`,
      '',
    ].join('\n');
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(body);
  });
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv)));
}

interface Node {
  proc: Proc;
  httpURL: string;
  grpc: string;
  rwURL?: string;
}

async function startReceiver(dataDir: string, replica: string, objstore: string): Promise<Node> {
  const rw = await freePort();
  const hp = await freePort();
  const gp = await freePort();
  const args = [
    'receive',
    `--tsdb.path=${dataDir}`,
    `--remote-write.address=127.0.0.1:${rw}`,
    `--http-address=127.0.0.1:${hp}`,
    `--grpc-address=127.0.0.1:${gp}`,
    `--label=replica="${replica}"`,
    `--tsdb.block-duration=${BLOCK / 1000}s`,
    `--objstore.config=${objstore}`,
    '--log.format=json',
  ];
  const proc = startProcess(process.execPath, [STRATA_BIN, ...args]);
  const httpURL = `http://127.0.0.1:${hp}`;
  await waitFor(`receiver ${replica} ready`, async () => {
    if (proc.child.exitCode !== null) throw new Error(`receive exited: ${proc.output()}`);
    return httpOk(`${httpURL}/-/ready`);
  }, 60_000);
  return { proc, httpURL, grpc: `127.0.0.1:${gp}`, rwURL: `http://127.0.0.1:${rw}/api/v1/receive` };
}

async function startStore(dataDir: string, objstore: string): Promise<Node> {
  const hp = await freePort();
  const gp = await freePort();
  const proc = startProcess(process.execPath, [
    STRATA_BIN,
    'store',
    `--data-dir=${dataDir}`,
    `--objstore.config=${objstore}`,
    `--http-address=127.0.0.1:${hp}`,
    `--grpc-address=127.0.0.1:${gp}`,
    '--sync-block-duration=2s',
    '--log.format=json',
  ]);
  const httpURL = `http://127.0.0.1:${hp}`;
  await waitFor('store ready', async () => {
    if (proc.child.exitCode !== null) throw new Error(`store exited: ${proc.output()}`);
    return httpOk(`${httpURL}/-/ready`);
  }, 60_000);
  return { proc, httpURL, grpc: `127.0.0.1:${gp}` };
}

async function startQuery(endpoints: string[]): Promise<Node> {
  // Strict, so that a killed receiver stays in the fan-out and shows as a partial-response
  // warning (a plain --endpoint leaves it at the next health check: test/query-endpoints.test.ts).
  return startStrataQuery([...endpoints.map((e) => `--endpoint-strict=${e}`), '--query.replica-label=replica']);
}

async function get(url: string): Promise<{ status: number; body: unknown }> {
  const r = await fetch(url);
  return { status: r.status, body: JSON.parse(await r.text()) as unknown };
}

const procs: Proc[] = [];
const cleanups: (() => Promise<void>)[] = [];
let fixture: http.Server | undefined;
after(async () => {
  await stopAll(...procs);
  fixture?.close();
  for (const c of cleanups) await c();
});

/** Series key without the receivers' tenant label (Prometheus itself has no external labels). */
function key(m: Record<string, string>): string {
  const o = { ...m };
  delete o.tenant_id;
  return JSON.stringify(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const SELECTOR = '{__name__=~"dq_.*|up|scrape_samples_scraped|prometheus_tsdb_head_series|prometheus_http_requests_total"}';

test('two receivers + store + query: deduplicated answers equal Prometheus; partial response on a dead receiver', { timeout: 300_000 }, async () => {
  const tmp = await tempDir('query-dist');
  cleanups.push(tmp.cleanup);
  const bucketDir = join(tmp.path, 'bucket');
  const objstore = `type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`;

  const ra = await startReceiver(join(tmp.path, 'ra'), 'a', objstore);
  procs.push(ra.proc);
  const rb = await startReceiver(join(tmp.path, 'rb'), 'b', objstore);
  procs.push(rb.proc);
  fixture = await startFixture();
  const fport = (fixture.address() as import('node:net').AddressInfo).port;

  const prom: PrometheusServer = await startPrometheus(
    tmp.path,
    `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ['PROMSELF']}]
  - job_name: fixture
    static_configs: [{targets: ['127.0.0.1:${fport}']}]
remote_write:
  - url: ${ra.rwURL}
    queue_config: {batch_send_deadline: 1s, max_samples_per_send: 2000}
  - url: ${rb.rwURL}
    queue_config: {batch_send_deadline: 1s, max_samples_per_send: 2000}
`.replace('PROMSELF', '127.0.0.1:0'),
  );
  procs.push(prom.proc);
  // Point the self-scrape at Prometheus' real port (known only after start) and reload.
  const port = new URL(prom.url).port;
  const cfgPath = join(tmp.path, 'prometheus.yml');
  await writeFile(cfgPath, (await readFile(cfgPath, 'utf8')).replace('127.0.0.1:0', `127.0.0.1:${port}`));
  prom.proc.child.kill('SIGHUP');

  const store = await startStore(join(tmp.path, 'store'), objstore);
  procs.push(store.proc);
  const endpoints = [ra.grpc, rb.grpc, store.grpc];
  const q = await startQuery(endpoints);
  procs.push(q.proc);

  // Let data accumulate until both receivers shipped at least two blocks each (the oldest data is
  // then in the bucket, and for the receivers in local blocks, the newest in their heads).
  const shipped = async (): Promise<Map<string, number>> => {
    const per = new Map<string, number>();
    let entries: string[] = [];
    try {
      entries = await readdir(bucketDir);
    } catch {
      return per;
    }
    for (const e of entries) {
      try {
        const meta = JSON.parse(await readFile(join(bucketDir, e, 'meta.json'), 'utf8')) as { thanos?: { labels?: Record<string, string> } };
        const r = meta.thanos?.labels?.replica ?? '?';
        per.set(r, (per.get(r) ?? 0) + 1);
      } catch {
        // not a block or not complete yet
      }
    }
    return per;
  };
  await waitFor('two shipped blocks per replica', async () => {
    const per = await shipped();
    return (per.get('a') ?? 0) >= 2 && (per.get('b') ?? 0) >= 2;
  }, 180_000, 1000);

  // The first sample of the fixture in Prometheus, and the sample time offset within a second.
  const raw = await getJSON<RawMatrixResp>(`${prom.url}/api/v1/query?query=${encodeURIComponent('up{job="fixture"}[10m]')}`);
  const ups = raw.data.result[0]!.values;
  const firstT = Math.round(ups[0]![0] * 1000);
  const offset = Math.round(ups[ups.length - 1]![0] * 1000) % 1000;
  // Query times sit half a second away from the scrape timestamps, so no sample is on a window edge.
  const at = (ms: number) => Math.floor(ms / 1000) * 1000 + ((offset + 500) % 1000);
  const start = at(firstT + 20_000);
  // Cover at least two block lengths past the start, and stay a few seconds behind remote write.
  while (Date.now() - 8_000 - start < 2 * BLOCK + 5_000) await new Promise((r) => setTimeout(r, 1000));
  const end = at(Date.now() - 8_000);
  assert.ok(end - start >= 2 * BLOCK, `range ${start}..${end} spans blocks`);

  // Both receivers must have everything up to `end` (remote write lags a little).
  await waitFor('receivers caught up', async () => {
    const r = await getJSON<VectorResp>(`${q.httpURL}/api/v1/query?dedup=false&query=${encodeURIComponent('timestamp(up{job="fixture"})')}&time=${(end + 3000) / 1000}`);
    return r.data.result.length === 2 && r.data.result.every((s) => Number(s.value[1]) * 1000 >= end);
  }, 30_000, 500);
  await new Promise((r) => setTimeout(r, 2000)); // other remote-write shards

  // The store serves shipped blocks: its Info time range starts at the data's start.
  const stores = await waitFor('endpoints healthy in /api/v1/stores', async () => {
    const s = await getJSON<StoresResp>(`${q.httpURL}/api/v1/stores`);
    const all = Object.values(s.data).flat();
    return all.length === endpoints.length && all.every((e) => e.lastError === null) && (s.data.store?.[0]?.minTime ?? Infinity) <= start ? s : null;
  }, 30_000, 500);
  assert.deepEqual(
    stores.data.receive!.map((e) => e.labelSets).sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1)),
    [[{ replica: 'a', tenant_id: 'default-tenant' }], [{ replica: 'b', tenant_id: 'default-tenant' }]],
  );
  // The store gateway serves both replicas' shipped blocks from the bucket.
  const sets = stores.data.store![0]!.labelSets.map((l) => l.replica).sort();
  assert.deepEqual(sets, ['a', 'b']);

  const compareRange = async (query: string, extra = ''): Promise<number> => {
    const qs = `query=${encodeURIComponent(query)}&start=${start / 1000}&end=${end / 1000}&step=1`;
    const want = await getJSON<MatrixResp>(`${prom.url}/api/v1/query_range?${qs}`);
    const got = await getJSON<MatrixResp>(`${q.httpURL}/api/v1/query_range?${qs}${extra}`);
    assert.equal(got.status, 'success');
    assert.equal(got.warnings, undefined, `no warnings for ${query}`);
    const wantMap = new Map(want.data.result.map((s) => [key(s.metric), s.values]));
    const seen = new Set<string>();
    for (const s of got.data.result) {
      const k = key(s.metric);
      assert.ok(!seen.has(k), `one series per input series: ${k} appears twice in ${query}`);
      seen.add(k);
      assert.equal(s.metric.replica, undefined, 'the replica label is removed');
      assert.ok(wantMap.has(k), `Prometheus has ${k} for ${query}`);
      assert.deepEqual(s.values, wantMap.get(k), `${query}: values of ${k}`);
    }
    assert.equal(seen.size, wantMap.size, `${query}: series count`);
    return seen.size;
  };

  // Raw selectors, counters' rates and an aggregation, over blocks (bucket / local) and heads.
  const n = await compareRange(SELECTOR);
  assert.ok(n >= 8, `compared ${n} series`);
  await compareRange('rate(dq_requests_total[10s])');
  await compareRange('sum by (job) (rate(prometheus_http_requests_total[15s]))');
  await compareRange('dq_latency_seconds_sum / dq_latency_seconds_count');
  await compareRange('histogram_quantile(0.9, rate(dq_latency_seconds_bucket[10s]))');
  // The raw samples themselves: one deduplicated series with exactly Prometheus' samples.
  const rawQ = `query=${encodeURIComponent('dq_requests_total[30s]')}&time=${end / 1000}`;
  const wantRaw = await getJSON<RawMatrixResp>(`${prom.url}/api/v1/query?${rawQ}`);
  const gotRaw = await getJSON<RawMatrixResp>(`${q.httpURL}/api/v1/query?${rawQ}`);
  assert.deepEqual(
    gotRaw.data.result.map((s) => [key(s.metric), s.values]),
    wantRaw.data.result.map((s) => [key(s.metric), s.values]),
  );
  // dedup=false shows both replicas; replicaLabels[] can name another label (nothing to merge then).
  const both = await getJSON<VectorResp>(`${q.httpURL}/api/v1/query?dedup=false&query=${encodeURIComponent('up{job="fixture"}')}&time=${end / 1000}`);
  assert.deepEqual(both.data.result.map((s) => s.metric.replica).sort(), ['a', 'b']);
  const other = await getJSON<VectorResp>(`${q.httpURL}/api/v1/query?replicaLabels[]=nonexistent&query=${encodeURIComponent('up{job="fixture"}')}&time=${end / 1000}`);
  assert.equal(other.data.result.length, 2);
  // Label APIs hide the replica label when deduplicating.
  const names = await getJSON<{ data: string[] }>(`${q.httpURL}/api/v1/labels`);
  assert.ok(!names.data.includes('replica') && names.data.includes('tenant_id'));

  // Kill receiver b: answers stay complete (a and the store hold everything), with a warning naming b.
  await rb.proc.kill9();
  const qs = `query=${encodeURIComponent(SELECTOR)}&start=${start / 1000}&end=${end / 1000}&step=1`;
  const partial = await get(`${q.httpURL}/api/v1/query_range?${qs}`);
  assert.equal(partial.status, 200);
  const pb = partial.body as MatrixResp;
  assert.equal(pb.status, 'success');
  assert.ok(pb.warnings && pb.warnings.some((w) => w.startsWith(`${rb.grpc}: `)), `warning names ${rb.grpc}: ${JSON.stringify(pb.warnings)}`);
  const want = await getJSON<MatrixResp>(`${prom.url}/api/v1/query_range?${qs}`);
  const wantMap = new Map(want.data.result.map((s) => [key(s.metric), s.values]));
  assert.equal(pb.data.result.length, wantMap.size);
  for (const s of pb.data.result) assert.deepEqual(s.values, wantMap.get(key(s.metric)));
  // Without partial response the query fails and names the dead endpoint.
  const strict = await get(`${q.httpURL}/api/v1/query_range?${qs}&partial_response=false`);
  assert.equal(strict.status, 422);
  const sb = strict.body as { status: string; errorType: string; error: string };
  assert.equal(sb.status, 'error');
  assert.equal(sb.errorType, 'execution');
  assert.ok(sb.error.includes(rb.grpc), sb.error);
  // /api/v1/stores reports it unhealthy after the next Info round.
  await waitFor('b unhealthy in /api/v1/stores', async () => {
    const s = await getJSON<StoresResp>(`${q.httpURL}/api/v1/stores`);
    return Object.values(s.data).flat().find((e) => e.name === rb.grpc)?.lastError ? true : null;
  }, 20_000, 500);
  // Graceful SIGTERM.
  assert.equal(await q.proc.stop(), 0);
});
