// Three real `strata receive` processes share one hashring file (each names itself with
// --receive.local-endpoint = its --grpc-address and carries its own --label replica="…", as Thanos
// receive deployments do). A real Debian Prometheus remote-writes to one of them; `strata query`
// reads all three over the StoreAPI.
//   RF=1: every series lands on exactly one node — the one Thanos' hashmod picks — and the querier
//         returns each series once with Prometheus' own values.
//   RF=3: every series is on all three nodes; after one node is killed, writes keep succeeding
//         (quorum 2 of 3) and the querier deduplicates the replicas to Prometheus' values.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Labels } from '../src/labels/labels.ts';
import { HashmodHashring } from '../src/receive/hashring.ts';
import {
  freePort,
  getJSON,
  startPrometheus,
  startReceive,
  stopAll,
  sumMetric,
  tempDir,
  waitFor,
  type PrometheusServer,
  type Proc,
  type StrataReceive,
  startQuery as startStrataQuery,
} from './helpers/procs.ts';

interface SeriesResp {
  data: Record<string, string>[];
}
interface MatrixResp {
  status: string;
  warnings?: string[];
  data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
}

const SERIES = 24;

/** A target exposing SERIES gauges whose values change with every scrape. */
function startFixture(): Promise<http.Server> {
  let scrapes = 0;
  const srv = http.createServer((_req, res) => {
    scrapes++;
    const lines = ['# TYPE hr_metric gauge'];
    for (let i = 0; i < SERIES; i++) lines.push(`hr_metric{idx="${i}"} ${scrapes * (i + 1) + i / 8}`);
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(lines.join('\n') + '\n');
  });
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv)));
}

interface RingNode extends StrataReceive {
  grpc: string;
  replica: string;
}

const procs: (Proc | undefined)[] = [];
const cleanups: (() => Promise<void>)[] = [];
let fixture: http.Server | undefined;
after(async () => {
  await stopAll(...procs);
  fixture?.close();
  for (const c of cleanups) await c();
});

async function startRing(dir: string, rf: number): Promise<RingNode[]> {
  const grpcs = [];
  for (let i = 0; i < 3; i++) grpcs.push(`127.0.0.1:${await freePort()}`);
  const file = join(dir, 'hashrings.json');
  await writeFile(file, JSON.stringify([{ hashring: 'default', endpoints: grpcs }], null, 2));
  return Promise.all(
    grpcs.map(async (g, i) => {
      const replica = `r${i + 1}`;
      const r = await startReceive(join(dir, `node${i + 1}`), [
        `--grpc-address=${g}`,
        `--receive.hashrings-file=${file}`,
        `--receive.local-endpoint=${g}`,
        `--receive.replication-factor=${rf}`,
        `--label=replica="${replica}"`,
      ]);
      procs.push(r.proc);
      return { ...r, grpc: g, replica };
    }),
  );
}

async function startQuery(endpoints: string[]): Promise<{ proc: Proc; url: string }> {
  const q = await startStrataQuery([...endpoints.map((e) => `--endpoint=${e}`), '--query.replica-label=replica']);
  procs.push(q.proc);
  return { proc: q.proc, url: q.httpURL };
}

function prometheusConfig(fport: number, rwURL: string): string {
  return `global:
  scrape_interval: 1s
  scrape_timeout: 500ms
scrape_configs:
  - job_name: fixture
    static_configs:
      - targets: ['127.0.0.1:${fport}']
remote_write:
  - url: ${rwURL}
    queue_config:
      batch_send_deadline: 500ms
      min_backoff: 50ms
      max_backoff: 1s
`;
}

/** A series as Prometheus sent it: the stored labels without the receiver's external labels. */
function sent(m: Record<string, string>): Labels {
  const o = { ...m };
  delete o['tenant_id'];
  delete o['replica'];
  return Labels.fromObject(o);
}

/** Each node's fixture series (as sent by Prometheus, keyed by their text). */
async function seriesPerNode(nodes: RingNode[]): Promise<Map<string, Labels>[]> {
  return Promise.all(
    nodes.map(async (n) => {
      const r = await getJSON<SeriesResp>(`${n.httpURL}/api/v1/series?match[]=${encodeURIComponent('{job="fixture"}')}`);
      return new Map(r.data.map((m) => [sent(m).toString(), sent(m)]));
    }),
  );
}

async function prometheusSeries(prom: PrometheusServer): Promise<Set<string>> {
  const r = await getJSON<SeriesResp>(`${prom.url}/api/v1/series?match[]=${encodeURIComponent('{job="fixture"}')}`);
  return new Set(r.data.map((m) => Labels.fromObject(m).toString()));
}

/** Range query results keyed by series (tenant_id dropped: Prometheus has no external labels). */
function norm(m: MatrixResp): [string, [number, string][]][] {
  return m.data.result
    .map((s): [string, [number, string][]] => {
      const metric = { ...s.metric };
      delete metric['tenant_id'];
      return [Labels.fromObject(metric).toString(), s.values];
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

async function compareWithPrometheus(prom: PrometheusServer, queryURL: string, start: number, end: number): Promise<void> {
  const qs = `query=${encodeURIComponent('hr_metric')}&start=${start}&end=${end}&step=1`;
  const [a, b] = await Promise.all([getJSON<MatrixResp>(`${prom.url}/api/v1/query_range?${qs}`), getJSON<MatrixResp>(`${queryURL}/api/v1/query_range?${qs}`)]);
  const pa = norm(a);
  const pb = norm(b);
  assert.equal(pa.length, SERIES);
  for (const [, vals] of pb) assert.ok(vals.length > 0);
  // Each series exactly once (no replica label left, no duplicates) with Prometheus' values.
  assert.equal(new Set(pb.map((x) => x[0])).size, pb.length, 'each series once');
  assert.deepEqual(pb, pa);
}

async function promMetrics(prom: PrometheusServer): Promise<string> {
  return (await fetch(`${prom.url}/metrics`)).text();
}

test('RF=1: each series is stored on exactly the node hashmod picks; the querier returns Prometheus values once', { timeout: 240_000 }, async () => {
  const dir = await tempDir('hashring-rf1');
  cleanups.push(dir.cleanup);
  fixture ??= await startFixture();
  const fport = (fixture.address() as AddressInfo).port;
  const nodes = await startRing(dir.path, 1);
  const prom = await startPrometheus(dir.path, prometheusConfig(fport, nodes[0]!.rwURL));
  procs.push(prom.proc);

  const want = await waitFor('fixture series in Prometheus', async () => {
    const s = await prometheusSeries(prom);
    return s.size >= SERIES + 5 ? s : null;
  });
  // Every series Prometheus has arrives, on exactly one node: the one Thanos' hashmod picks.
  const ring = new HashmodHashring(nodes.map((n) => ({ address: n.grpc, az: '' })));
  let per: Map<string, Labels>[] = [];
  await waitFor(
    'every series on the ring',
    async () => {
      per = await seriesPerNode(nodes);
      const all = new Set(per.flatMap((m) => [...m.keys()]));
      return [...want].every((k) => all.has(k));
    },
    60_000,
  );
  for (const key of want) {
    const holders = nodes.filter((_, i) => per[i]!.has(key));
    assert.equal(holders.length, 1, `${key} on ${holders.map((h) => h.replica).join(',')}`);
    const lset = per[nodes.indexOf(holders[0]!)]!.get(key)!;
    assert.equal(holders[0]!.grpc, ring.getN('default-tenant', lset, 0), key);
  }
  for (const [i, m] of per.entries()) assert.ok(m.size > 0, `node ${i + 1} got series`);

  // The querier over all three returns each series once, with Prometheus' values.
  const q = await startQuery(nodes.map((n) => n.grpc));
  const start = Math.floor(Date.now() / 1000) - 2;
  const end = start + 5;
  await waitFor('data past the range', async () => Date.now() / 1000 > end + 4, 30_000, 250);
  await waitFor('querier sees all three receivers', async () => {
    const r = await getJSON<MatrixResp>(`${q.url}/api/v1/query?query=${encodeURIComponent('count(hr_metric)')}`);
    return Number((r.data.result[0] as unknown as { value: [number, string] } | undefined)?.value[1]) === SERIES;
  });
  await compareWithPrometheus(prom, q.url, start, end);
  const pm = await promMetrics(prom);
  assert.equal(sumMetric(pm, 'prometheus_remote_storage_samples_failed_total'), 0);
  // Forwarded writes succeeded (node 1 forwarded to the two others).
  const m1 = await (await fetch(`${nodes[0]!.httpURL}/metrics`)).text();
  assert.ok(sumMetric(m1, 'thanos_receive_forward_requests_total', (l) => l.includes('result="success"')) > 0);
  assert.equal(sumMetric(m1, 'thanos_receive_forward_requests_total', (l) => l.includes('result="error"')), 0);
  assert.equal(sumMetric(m1, 'thanos_receive_config_last_reload_successful'), 1);
  assert.equal(sumMetric(m1, 'thanos_receive_hashring_nodes', (l) => l.includes('name="default"')), 3);

  await stopAll(prom.proc, q.proc, ...nodes.map((n) => n.proc));
});

test('RF=3: every series on all three nodes; with one node killed writes keep succeeding and the querier deduplicates', { timeout: 240_000 }, async () => {
  const dir = await tempDir('hashring-rf3');
  cleanups.push(dir.cleanup);
  fixture ??= await startFixture();
  const fport = (fixture.address() as AddressInfo).port;
  const nodes = await startRing(dir.path, 3);
  const prom = await startPrometheus(dir.path, prometheusConfig(fport, nodes[0]!.rwURL));
  procs.push(prom.proc);

  const want = await waitFor('fixture series in Prometheus', async () => {
    const s = await prometheusSeries(prom);
    return s.size >= SERIES + 5 ? s : null;
  });
  await waitFor(
    'every series on every node',
    async () => {
      const per = await seriesPerNode(nodes);
      return per.every((m) => [...want].every((k) => m.has(k)));
    },
    60_000,
  );

  // Kill node 3 (not the one Prometheus writes to): quorum 2 of 3 keeps acknowledging.
  await nodes[2]!.proc.kill9();
  const killedAt = Date.now();
  const before = sumMetric(await (await fetch(`${nodes[0]!.httpURL}/metrics`)).text(), 'thanos_receive_write_samples_total', (l) => l.includes('code="200"'));
  await new Promise((r) => setTimeout(r, 5000));
  const m1 = await (await fetch(`${nodes[0]!.httpURL}/metrics`)).text();
  const afterKill = sumMetric(m1, 'thanos_receive_write_samples_total', (l) => l.includes('code="200"'));
  assert.ok(afterKill >= before + SERIES * 3, `acknowledged samples grew: ${before} → ${afterKill}`);
  assert.equal(sumMetric(m1, 'thanos_receive_http_requests_total', (l) => l.includes('handler="receive"') && !l.includes('code="200"')), 0, 'no failed remote write');
  assert.ok(sumMetric(m1, 'thanos_receive_forward_requests_total', (l) => l.includes('result="error"')) > 0, 'forwards to the dead node failed');
  const pm = await promMetrics(prom);
  assert.equal(sumMetric(pm, 'prometheus_remote_storage_samples_failed_total'), 0);
  // The surviving peer keeps receiving replicas.
  const latest = await getJSON<{ data: { result: { value: [number, string] }[] } }>(`${nodes[1]!.httpURL}/api/v1/query?query=${encodeURIComponent('max(timestamp(hr_metric))')}`);
  assert.ok(Number(latest.data.result[0]!.value[0]) * 1000 > killedAt, 'node 2 has samples written after the kill');

  // The querier over all three (one dead: partial response) deduplicates to Prometheus' values,
  // over a range from before the kill to after it.
  const q = await startQuery(nodes.map((n) => n.grpc));
  const start = Math.floor(killedAt / 1000) - 4;
  const end = Math.floor(killedAt / 1000) + 4;
  await waitFor('querier sees the live receivers', async () => {
    const r = await getJSON<MatrixResp>(`${q.url}/api/v1/query?query=${encodeURIComponent('count(hr_metric)')}`);
    return Number((r.data.result[0] as unknown as { value: [number, string] } | undefined)?.value[1]) === SERIES;
  });
  await compareWithPrometheus(prom, q.url, start, end);

  await stopAll(prom.proc, q.proc, nodes[0]!.proc, nodes[1]!.proc);
});

test('router only (hashring, no local endpoint) in front of two ingestor-only receivers; tenants pick their hashring', { timeout: 120_000 }, async () => {
  const { RemoteWriteClient } = await import('../src/remotewrite/client.ts');
  const { readdir } = await import('node:fs/promises');
  const dir = await tempDir('hashring-router');
  cleanups.push(dir.cleanup);
  // Two ingestors without a hashring (Thanos IngestorOnly): they store what routers forward.
  const ingestors = await Promise.all(
    [1, 2].map(async (i) => {
      const g = `127.0.0.1:${await freePort()}`;
      const r = await startReceive(join(dir.path, `ing${i}`), [`--grpc-address=${g}`, `--label=replica="i${i}"`]);
      procs.push(r.proc);
      return { ...r, grpc: g };
    }),
  );
  // Tenant "solo" goes to ingestor 1 only (exact match); every other tenant is spread over both.
  const cfg = JSON.stringify([
    { hashring: 'solo', tenants: ['solo'], endpoints: [ingestors[0]!.grpc] },
    { hashring: 'rest', endpoints: ingestors.map((x) => x.grpc) },
  ]);
  const router = await startReceive(join(dir.path, 'router'), [`--receive.hashrings=${cfg}`]);
  procs.push(router.proc);
  const client = new RemoteWriteClient({ url: router.rwURL });
  try {
    const t0 = Date.now() - 60_000;
    const series = Array.from({ length: 20 }, (_, i) => ({ labels: ['__name__', 'rt_metric', 'i', String(i).padStart(2, '0')], timestamps: [t0, t0 + 1000], values: [i, i * 2] }));
    for (const tenant of ['solo', 'team-b']) {
      const r = await client.write({ series }, tenant);
      assert.equal(r.status, 200, r.body);
    }
    const ring = new HashmodHashring(ingestors.map((x) => ({ address: x.grpc, az: '' })));
    const stored = await Promise.all(
      ingestors.map(async (x) => {
        const r = await getJSON<SeriesResp>(`${x.httpURL}/api/v1/series?match[]=rt_metric`);
        return r.data.map((m) => `${m['tenant_id']}/${m['i']}`).sort();
      }),
    );
    // "solo" entirely on ingestor 1; "team-b" split as hashmod says, each series once.
    const expect: string[][] = [[], []];
    for (const s of series) {
      expect[0]!.push(`solo/${s.labels[3]}`);
      const ep = ring.getN('team-b', Labels.fromSortedFlat(s.labels), 0);
      expect[ingestors.findIndex((x) => x.grpc === ep)]!.push(`team-b/${s.labels[3]}`);
    }
    assert.deepEqual(stored, expect.map((e) => e.sort()));
    assert.ok(expect[1]!.length > 0);
    // The router stores nothing: no tenant directory, no series.
    assert.deepEqual((await readdir(join(dir.path, 'router'))).filter((n) => n !== 'wal'), []);
    const rs = await getJSON<SeriesResp>(`${router.httpURL}/api/v1/series?match[]=rt_metric`);
    assert.equal(rs.data.length, 0);
    // An ingestor going away makes writes for it fail with a retryable 503.
    await ingestors[0]!.proc.stop();
    const r = await client.write({ series: series.map((s) => ({ ...s, timestamps: [t0 + 2000], values: [1] })) }, 'solo');
    assert.equal(r.status, 503, r.body);
    assert.match(r.body, /quorum not reached .*UNAVAILABLE/s);
  } finally {
    client.close();
  }
});
