// Lab smoke test: `npm run lab` (scripts/lab.ts) with real processes — four Debian Prometheus
// servers of three clusters (eu-1 an HA pair), three node exporters, strata receive / store /
// compact / query. The querier must show series from all three clusters, dedup must fold the HA
// pair to one series per target, every Grafana dashboard query must succeed against the lab (and
// return data unless its metric is one Strata does not export yet), and SIGTERM must stop the lab
// with exit 0 and no child left alive.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARDS, PENDING_METRICS, interpolate, labelValuesSelector, panelQueries, variableQueries } from '../deploy/grafana/dashboards/index.ts';
import type { LabInfo } from '../scripts/lab.ts';
import { startS3rver } from '../src/objstore/testutil.ts';
import { REPO, tempDir, waitFor } from './helpers/procs.ts';

const PROMETHEUS = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((p) => existsSync(p));
const NODE_EXPORTER = ['/usr/bin/prometheus-node-exporter', '/usr/local/bin/node_exporter'].find((p) => existsSync(p));
const skip = !PROMETHEUS ? 'prometheus is not installed' : !NODE_EXPORTER ? 'prometheus-node-exporter is not installed' : false;

interface VectorResp {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  warnings?: string[];
}
interface MatrixResp {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
  error?: string;
}

test('npm run lab without prometheus on PATH says exactly what to install and starts nothing', { timeout: 60_000 }, async () => {
  const tmp = await tempDir('lab-prereq');
  cleanups.push(tmp.cleanup);
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'scripts', 'lab.ts'), `--data-dir=${join(tmp.path, 'd')}`], {
    cwd: REPO,
    env: { ...process.env, PATH: tmp.path },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  assert.equal(code, 2, out);
  assert.match(out, /prometheus is not installed/);
  assert.match(out, /prometheus-node-exporter is not installed/);
  assert.ok(out.includes('sudo apt-get install -y prometheus prometheus-node-exporter'), out);
  assert.ok(!existsSync(join(tmp.path, 'd')), 'nothing was created or started');
});

interface Lab {
  proc: ChildProcess;
  out: () => string;
  exit: Promise<number | string>;
  info: LabInfo;
}

const labs: Lab[] = [];
const started: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
let info: LabInfo | null = null;
after(async () => {
  // On a failure, make sure nothing a lab started survives: the lab, then its children by process group.
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  await Promise.all(started.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : null)));
  for (const l of labs) {
    for (const pid of Object.values(l.info.pids)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  for (const c of cleanups) await c();
});

/** Starts scripts/lab.ts with fast settings and random ports; resolves at LAB_READY. */
async function startLab(dataDir: string, extra: string[] = []): Promise<Lab> {
  const proc = spawn(
    process.execPath,
    [
      '--import', 'tsx', join(REPO, 'scripts', 'lab.ts'),
      `--data-dir=${dataDir}`,
      '--ports-base=0',
      '--scrape-interval=1s',
      '--block-duration=20s',
      '--store.sync-interval=3s',
      '--compact.interval=20s',
      ...extra,
    ],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  started.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | string>((res) => proc.on('exit', (code, sig) => res(code ?? sig ?? -1)));
  const info = await waitFor('the lab to report LAB_READY', async () => {
    if (proc.exitCode !== null) throw new Error(`lab exited ${proc.exitCode}:\n${out}`);
    const m = /^LAB_READY (.*)$/m.exec(out);
    return m ? (JSON.parse(m[1]!) as LabInfo) : null;
  }, 150_000, 250);
  const lab = { proc, out: () => out, exit, info };
  labs.push(lab);
  return lab;
}

/** SIGTERM: the lab stops every child and exits 0; no PID it started is alive afterwards. */
async function stopLab(lab: Lab): Promise<void> {
  lab.proc.kill('SIGTERM');
  const code = await lab.exit;
  assert.equal(code, 0, lab.out().slice(-3000));
  assert.match(lab.out(), /all 11 processes stopped/);
  for (const [name, pid] of Object.entries(lab.info.pids)) assert.ok(!alive(pid), `${name} (pid ${pid}) is still alive`);
}

async function storeBlocksLoaded(storeURL: string): Promise<number> {
  const r = await fetch(`${storeURL}/metrics`);
  const m = /^thanos_bucket_store_blocks_loaded (\S+)$/m.exec(await r.text());
  return m ? Number(m[1]) : 0;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A POST like Grafana's datasource (httpMethod POST + customQueryParameters). */
async function post<T>(url: string, path: string, params: Record<string, string>): Promise<T> {
  const r = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await r.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${path} ${r.status}: ${text.slice(0, 300)}`);
  }
}

async function instant(q: string, dedup: boolean): Promise<VectorResp['data']['result']> {
  const r = await post<VectorResp>(info!.queryURL, '/api/v1/query', { query: q, dedup: String(dedup), partial_response: 'true' });
  assert.equal(r.status, 'success', `${q}: ${JSON.stringify(r)}`);
  return r.data.result;
}

test('npm run lab: three clusters through strata, HA pair deduplicated, dashboards answer, clean shutdown', { timeout: 240_000 }, async () => {
  assert.ok(!skip, `${skip}: install Debian's prometheus, promtool and prometheus-node-exporter (.ci/run does: apt-get install -y prometheus prometheus-node-exporter)`);
  const tmp = await tempDir('lab');
  cleanups.push(tmp.cleanup);
  const lab = await startLab(join(tmp.path, 'lab-data'));
  const out = lab.out();
  info = lab.info;
  assert.ok(out.includes(`Strata UI (open this)`) && out.includes(`${info.queryURL}/`), 'the UI URL is printed');
  // 4 Prometheus + 3 node exporters + receive, store, compact, query.
  assert.equal(Object.keys(info.pids).length, 11, `children: ${JSON.stringify(info.pids)}`);
  for (const pid of Object.values(info.pids)) assert.ok(alive(pid), `pid ${pid} runs`);
  if (info.missing.length > 0) console.log(`# lab notes: ${info.missing.join('; ')}`);

  // All three clusters through Prometheus → remote write → receive → query.
  await waitFor('all three clusters in the querier', async () => {
    const r = await instant('count by (cluster) (up)', true);
    return ['ap-1', 'eu-1', 'us-1'].every((c) => r.some((s) => s.metric.cluster === c));
  }, 60_000, 500);

  // Dedup folds the eu-1 HA pair (replica a/b) to one series per target; single servers are unchanged.
  await waitFor('both eu-1 replicas reporting every target', async () => {
    const raw = await instant('count by (cluster, job, instance) (up{cluster="eu-1"})', false);
    return raw.length >= 6 && raw.every((s) => s.value[1] === '2');
  }, 30_000, 500);
  const deduped = await instant('count by (cluster) (up)', true);
  const raw = await instant('count by (cluster) (up)', false);
  const by = (r: VectorResp['data']['result']): Record<string, number> => Object.fromEntries(r.map((s) => [s.metric.cluster!, Number(s.value[1])]));
  const d = by(deduped);
  const n = by(raw);
  assert.equal(n['eu-1'], 2 * d['eu-1']!, `eu-1: ${n['eu-1']} raw vs ${d['eu-1']} deduplicated`);
  assert.equal(n['us-1'], d['us-1']);
  assert.equal(n['ap-1'], d['ap-1']);
  // node, prometheus ×2 (eu-1 scrapes both of its servers), strata receive/store/compact/query.
  assert.equal(d['eu-1'], 7);
  assert.equal(d['us-1'], 6);
  assert.deepEqual(await instant('count by (cluster, job, instance) (up) > 1', true), [], 'one series per target with dedup');
  const dupes = await instant('count by (cluster, job, instance) (up) > 1', false);
  assert.ok(dupes.length >= 7 && dupes.every((s) => s.metric.cluster === 'eu-1'), 'without dedup the HA pair doubles eu-1 targets only');
  const series = await instant('up{cluster="eu-1", job="node"}', true);
  assert.equal(series.length, 1);
  assert.equal(series[0]!.metric.replica, undefined, 'the replica label is removed by dedup');

  // Let the receiver ship a block and the store gateway load it, so the store metrics exist.
  await waitFor('a block in the store gateway', async () => (await storeBlocksLoaded(info!.storeURL!)) >= 1, 90_000, 1000);
  // A query over the shipped range goes through the store gateway (its index cache counters appear).
  const end = Date.now() / 1000;
  const through = await post<MatrixResp>(info.queryURL, '/api/v1/query_range', { query: 'up{job="node"}', start: String(end - 120), end: String(end), step: '5', dedup: 'true' });
  assert.equal(through.status, 'success');
  assert.equal(through.data.result.length, 3, 'one node target per cluster');

  // Every dashboard variable lists the clusters.
  for (const dash of DASHBOARDS) {
    for (const v of variableQueries(dash.build())) {
      const lv = labelValuesSelector(v.query)!;
      // Label values is GET-only in the Prometheus API (Grafana sends GET for label_values()).
      const qs = new URLSearchParams({ 'match[]': lv.selector!, dedup: 'true' }).toString();
      const res = await fetch(`${info.queryURL}/api/v1/label/${lv.label}/values?${qs}`);
      const values = (await res.json()) as { status: string; data: string[] };
      assert.equal(values.status, 'success');
      assert.deepEqual(values.data.sort(), ['ap-1', 'eu-1', 'us-1'], `${dash.file} variable ${v.name}`);
    }
  }

  // Every panel query, as Grafana sends it (POST, dedup=true&partial_response=true, $__rate_interval
  // for a 1s scrape interval), succeeds and returns data — except the panels of metrics Strata does
  // not export yet (PENDING_METRICS), which must still succeed.
  const queries = DASHBOARDS.flatMap((dash) => panelQueries(dash.build()).map((q) => ({ ...q, expr: interpolate(q.expr, { cluster: dash.file === 'strata.json' ? 'eu-1' : '.+' }, { rateInterval: '30s', interval: '5s', range: '2m' }) })));
  const pending = (expr: string): boolean => Object.keys(PENDING_METRICS).some((m) => expr.includes(m));
  let empty: string[] = [];
  await waitFor('every dashboard query to return data', async () => {
    empty = [];
    const now = Date.now() / 1000;
    for (const q of queries) {
      const r = await post<MatrixResp>(info!.queryURL, '/api/v1/query_range', {
        query: q.expr, start: String(now - 120), end: String(now), step: '5', dedup: 'true', partial_response: 'true',
      });
      assert.equal(r.status, 'success', `${q.dashboard} / ${q.panel}: ${q.expr}: ${r.error}`);
      const points = r.data.result.reduce((k, s) => k + s.values.length, 0);
      if (points === 0 && !pending(q.expr)) empty.push(`${q.dashboard} / ${q.panel} ${q.refId}: ${q.expr}`);
    }
    return empty.length === 0;
  }, 60_000, 2000).catch((e: Error) => {
    throw new Error(`${e.message}; empty:\n  ${empty.join('\n  ')}`);
  });
  assert.ok(queries.length > 40);

  // SIGTERM stops every child, the lab exits 0 and no PID is left.
  await stopLab(lab);
});

test('npm run lab --objstore.config-file: blocks go to an S3 bucket and come back through strata store', { timeout: 180_000 }, async () => {
  assert.ok(!skip, `${skip}: install Debian's prometheus, promtool and prometheus-node-exporter (.ci/run does: apt-get install -y prometheus prometheus-node-exporter)`);
  const tmp = await tempDir('lab-s3');
  cleanups.push(tmp.cleanup);
  const s3 = await startS3rver('thanos');
  cleanups.push(() => s3.close());
  const cfg = join(tmp.path, 'objstore.yml');
  writeFileSync(cfg, `type: S3\nconfig:\n  bucket: ${s3.bucket}\n  endpoint: ${s3.endpoint}\n  access_key: ${s3.accessKey}\n  secret_key: ${s3.secretKey}\n  insecure: true\n`);
  const lab = await startLab(join(tmp.path, 'lab-data'), [`--objstore.config-file=${cfg}`]);
  info = lab.info;
  assert.match(lab.info.bucket, /objstore config/);
  assert.ok(!existsSync(join(tmp.path, 'lab-data', 'bucket')), 'no filesystem bucket with an objstore file');
  await waitFor('a block shipped to S3 and loaded by the store gateway', async () => (await storeBlocksLoaded(lab.info.storeURL!)) >= 1, 120_000, 1000);
  const listed = await fetch(`http://${s3.endpoint}/${s3.bucket}?list-type=2`);
  assert.match(await listed.text(), /<Key>[0-9A-HJKMNP-TV-Z]{26}\/meta\.json<\/Key>/, 'meta.json of a block in the S3 bucket');
  await stopLab(lab);
});
