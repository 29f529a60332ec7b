// The manifests run: the generated StatefulSets and Deployments of deploy/generated/strata are
// started as local processes with each container's exact args (only listen addresses, volume paths
// and the S3 endpoint/credentials rewritten; $(POD_NAME) expanded as the kubelet does; cluster DNS
// answered by a loopback DNS server publishing the Services' SRV records). Then: remote write
// through the remote-write Service with the tenant header the Prometheus config sends, query
// through the querier Service (port 9090) which found receive and store by DNS SRV, ship the head
// to the bucket on SIGTERM, and read it back through the store gateway; the compactor runs its
// passes over the same bucket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYAML, stringify } from 'yaml';
import { loadGenerated, find, probePort } from '../deploy/testing.ts';
import { LocalCluster, type LocalPod } from '../deploy/localrun.ts';
import { startS3rver, type S3rverHandle } from '../src/objstore/testutil.ts';
import { bucketFromFlags } from '../src/objstore/config.ts';
import { RemoteWriteClient } from '../src/remotewrite/client.ts';
import { STRATA_BIN, startProcess, waitFor, type Proc } from './helpers/procs.ts';

interface PromResult {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  warnings?: string[];
}

test('generated Strata manifests run as local processes: remote write → receive → S3 → store → query', { timeout: 300_000 }, async (t) => {
  const objs = loadGenerated(['strata', 'prometheus']);
  const tmp = await mkdtemp(join(tmpdir(), 'strata-deploy-run-'));
  const procs: Proc[] = [];
  let s3: S3rverHandle | null = null;
  let cluster: LocalCluster | null = null;
  t.after(async () => {
    await Promise.all(procs.map((p) => p.stop(5000)));
    await cluster?.dns?.close();
    await s3?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  // The loopback S3 server stands in for MinIO: same bucket, its own endpoint and credentials.
  const secret = find(objs, 'Secret', 'strata-objstore', 'monitoring');
  const objstore = parseYAML(secret.stringData!['objstore.yml']!) as { type: string; config: Record<string, unknown> };
  s3 = await startS3rver(String(objstore.config.bucket));
  const s3h = s3;
  cluster = await LocalCluster.plan(objs, 'strata:', {
    dir: tmp,
    rewriteSecret: (name, key, text) => {
      if (name !== 'strata-objstore' || key !== 'objstore.yml') return text;
      const c = parseYAML(text) as { config: Record<string, unknown> };
      c.config.endpoint = s3h.endpoint;
      c.config.access_key = s3h.accessKey;
      c.config.secret_key = s3h.secretKey;
      return stringify(c);
    },
  });
  const lc = cluster;
  assert.deepEqual(lc.pods.map((p) => p.workload.metadata.name).sort(), ['strata-compact', 'strata-query', 'strata-receive', 'strata-store']);
  const dns = await lc.startDns();
  const preload = await lc.dnsPreload();

  // What was rewritten is only addresses and paths: everything else is the manifest's text.
  for (const p of lc.pods) {
    assert.equal(p.args.length, p.manifestArgs.length);
    p.args.forEach((a, i) => {
      if (a !== p.manifestArgs[i]) assert.match(p.manifestArgs[i]!, /^--[a-z.-]+=(0\.0\.0\.0:\d+|\/.*)$/, `${p.pod}: ${p.manifestArgs[i]} was rewritten`);
    });
  }
  const recv = lc.pod('strata-receive');
  assert.ok(recv.args.includes('--label=replica="strata-receive-0"'), recv.args.join(' '));

  const start = (p: LocalPod): Proc => {
    const proc = startProcess(process.execPath, [STRATA_BIN, ...p.args], { env: { NODE_OPTIONS: `--import=${preload}` } });
    procs.push(proc);
    return proc;
  };
  const ready = async (p: LocalPod, proc: Proc): Promise<void> => {
    const probe = p.container.readinessProbe!.httpGet!;
    const port = p.ports.get(probePort(p.container, p.container.readinessProbe!)!)!;
    await waitFor(`${p.pod} ${probe.path}`, async () => {
      if (proc.child.exitCode !== null) throw new Error(`${p.pod} exited ${proc.child.exitCode}: ${proc.output()}`);
      const r = await fetch(`http://127.0.0.1:${port}${probe.path}`).catch(() => null);
      return r?.status === 200;
    }, 90_000);
    // Liveness answers too.
    const live = p.container.livenessProbe!.httpGet!;
    const lr = await fetch(`http://127.0.0.1:${p.ports.get(probePort(p.container, p.container.livenessProbe!)!)}${live.path}`);
    assert.equal(lr.status, 200, `${p.pod} ${live.path}`);
  };

  const running = new Map<string, Proc>();
  for (const name of ['strata-receive', 'strata-store', 'strata-compact', 'strata-query']) running.set(name, start(lc.pod(name)));
  for (const [name, proc] of running) await ready(lc.pod(name), proc);

  // Remote write exactly where and how the lab Prometheus sends it.
  const prom = parseYAML(find(objs, 'ConfigMap', 'prometheus-config').data!['prometheus.yml']!) as {
    global: { external_labels: Record<string, string> };
    remote_write: { url: string; headers: Record<string, string> }[];
  };
  const rwCfg = prom.remote_write[0]!;
  const rwURL = new URL(rwCfg.url);
  const [svc, ns] = rwURL.hostname.split('.');
  const rwAddr = lc.serviceAddress(svc!, ns!, Number(rwURL.port));
  const client = new RemoteWriteClient({ url: `http://${rwAddr}${rwURL.pathname}`, headers: rwCfg.headers });
  const now = Date.now();
  const ts = [now - 90_000, now - 60_000, now - 30_000, now - 1000];
  const vals = [1, 2, 3, 42];
  const cluster1 = prom.global.external_labels.cluster!;
  const w = await client.write({ series: [{ labels: ['__name__', 'lab_requests_total', 'cluster', cluster1, 'instance', 'app-0:8080', 'job', 'app'], timestamps: ts, values: vals }] });
  assert.ok(w.status >= 200 && w.status < 300, `remote write: ${w.status} ${w.body}`);

  // Query through the querier's Service port (9090), the datasource URL Grafana uses.
  const qAddr = lc.serviceAddress('strata-query', 'monitoring', 9090);
  const instant = async (q: string): Promise<PromResult> => {
    const r = await fetch(`http://${qAddr}/api/v1/query?query=${encodeURIComponent(q)}&time=${(now / 1000).toFixed(3)}`);
    const body = await r.text();
    assert.equal(r.status, 200, body);
    return JSON.parse(body) as PromResult;
  };
  const tenant = rwCfg.headers['THANOS-TENANT']!;
  const expectSeries = async (what: string) => {
    let last: unknown = null;
    const res = await waitFor(`querier to answer from ${what}`, async () => {
      const r = await instant('lab_requests_total');
      last = r;
      return r.data.result.length === 1 ? r : null;
    }, 60_000).catch(async (e: Error) => {
      const st = await (await fetch(`http://${qAddr}/api/v1/stores`)).text();
      throw new Error(`${e.message}; last answer ${JSON.stringify(last)}; stores ${st}; querier log:\n${running.get('strata-query')!.output().slice(-3000)}`);
    });
    const s = res.data.result[0]!;
    assert.equal(s.value[1], '42');
    // tenant_id from the THANOS-TENANT header; the replica label is deduplicated away
    // (--query.replica-label=replica) as Thanos does.
    assert.deepEqual(s.metric, { __name__: 'lab_requests_total', cluster: cluster1, instance: 'app-0:8080', job: 'app', tenant_id: tenant });
    return res;
  };
  await expectSeries('the receiver');

  // The querier found both StoreAPIs through the SRV records of the headless Services.
  const q = dns.queries.filter((x) => x.endsWith('/33')).map((x) => x.slice(0, -3));
  assert.ok(q.includes('_grpc._tcp.strata-receive.monitoring.svc.cluster.local'), q.join(' '));
  assert.ok(q.includes('_grpc._tcp.strata-store.monitoring.svc.cluster.local'), q.join(' '));
  // Discovered endpoints are members only once a health check succeeded (Thanos): poll for the store.
  const wantNames = [`127.0.0.1:${recv.ports.get(10901)}`, `127.0.0.1:${lc.pod('strata-store').ports.get(10901)}`].sort();
  let names: string[] = [];
  await waitFor('both StoreAPIs in /api/v1/stores', async () => {
    const stores = (await (await fetch(`http://${qAddr}/api/v1/stores`)).json()) as { data: Record<string, { name: string; lastError: string | null }[]> };
    names = Object.values(stores.data).flat().map((s) => s.name).sort();
    return names.join() === wantNames.join();
  }, 30_000).catch(() => undefined);
  assert.deepEqual(names, wantNames);

  // SIGTERM the receiver: it cuts the head into a block and ships it to the bucket.
  const rproc = running.get('strata-receive')!;
  assert.equal(await rproc.stop(60_000), 0, rproc.output());
  // The block is in the bucket with the receiver's external labels (replica from $(POD_NAME), tenant).
  const objstoreFile = recv.args.find((a) => a.startsWith('--objstore.config-file='))!.split('=')[1]!;
  const bucket = bucketFromFlags({ configFile: objstoreFile });
  const metas: { thanos: { labels: Record<string, string> }; minTime: number; maxTime: number }[] = [];
  await bucket.iter('', async (k) => {
    if (!k.endsWith('/')) return;
    const r = await bucket.get(`${k}meta.json`).catch(() => null);
    if (r) metas.push(JSON.parse(Buffer.from(r).toString('utf8')) as (typeof metas)[number]);
  });
  await bucket.close();
  assert.equal(metas.length, 1, JSON.stringify(metas));
  assert.deepEqual(metas[0]!.thanos.labels, { replica: 'strata-receive-0', tenant_id: tenant });
  assert.ok(metas[0]!.minTime <= ts[0]! && metas[0]!.maxTime > ts[3]!);
  // The store gateway pod restarts (its periodic sync is minutes apart) and loads the block.
  const sproc = running.get('strata-store')!;
  assert.equal(await sproc.stop(20_000), 0, sproc.output());
  const s2 = start(lc.pod('strata-store'));
  await ready(lc.pod('strata-store'), s2);
  await expectSeries('the store gateway (receiver stopped)');

  // The compactor (singleton, --wait) keeps running passes over the same bucket and stays healthy.
  const cp = lc.pod('strata-compact');
  const metrics = await waitFor('a compaction pass', async () => {
    const m = await (await fetch(`http://127.0.0.1:${cp.ports.get(10902)}/metrics`)).text();
    return /^thanos_compact_iterations_total\S* [1-9]/m.test(m) ? m : null;
  }, 60_000);
  assert.match(metrics, /^thanos_compact_halted\S* 0$/m);
  const cproc = running.get('strata-compact')!;
  assert.equal(cproc.child.exitCode, null, cproc.output());
});
