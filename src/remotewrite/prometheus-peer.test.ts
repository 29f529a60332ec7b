// Interop with a real Prometheus (Debian 2.42 at /usr/bin/prometheus):
//  1. Prometheus remote-writes its own scraped metrics (and metadata) into our handler;
//  2. our client remote-writes into Prometheus' receiver (--web.enable-remote-write-receiver) and the
//     samples come back from its query API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Labels } from '../labels/labels.ts';
import { AppendError, type Appender, type MetricMetadata } from '../storage/interfaces.ts';
import { createRemoteWriteHandler, type RemoteWriteTarget } from './handler.ts';
import { RemoteWriteClient } from './client.ts';
import { STALE_NAN } from '../tsdb/stale.ts';
import { freePort } from '../../test/helpers/procs.ts';

const PROM = '/usr/bin/prometheus';
const skip = !existsSync(PROM) ? 'prometheus binary not installed' : false;


async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function getJSON(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString()));
          } catch (e) {
            reject(e);
          }
        });
      })
      .on('error', reject);
  });
}

class RecordingTarget implements RemoteWriteTarget {
  samples = new Map<string, { labels: Labels; points: [number, number][] }>();
  metadata = new Map<string, MetricMetadata>();
  tenants = new Set<string>();
  ready(): boolean {
    return true;
  }
  appender(tenant: string): Appender {
    this.tenants.add(tenant);
    const pending: [Labels, number, number][] = [];
    return {
      append: (_ref, labels, t, v) => {
        if (!Number.isFinite(t)) throw new AppendError('out_of_bounds', 'bad timestamp');
        pending.push([labels, t, v]);
        return 1;
      },
      commit: async () => {
        for (const [l, t, v] of pending) {
          let s = this.samples.get(l.key);
          if (!s) this.samples.set(l.key, (s = { labels: l, points: [] }));
          s.points.push([t, v]);
        }
      },
      rollback: () => {
        pending.length = 0;
      },
    };
  }
  setMetadata(_tenant: string, family: string, md: MetricMetadata): void {
    this.metadata.set(family, md);
  }
}

let dir: string;
let prom: ChildProcess | undefined;
let promPort: number;
let server: http.Server;
const target = new RecordingTarget();
let promLog = '';
const seenHeaders: http.IncomingHttpHeaders[] = [];

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'strata-rw-prom-'));
  const handler = createRemoteWriteHandler({ target });
  server = http.createServer((req, res) => {
    seenHeaders.push(req.headers);
    void handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const ourPort = (server.address() as AddressInfo).port;
  promPort = await freePort();
  const cfg = `
global:
  scrape_interval: 1s
  external_labels:
    cluster: peer-test
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:${promPort}']
remote_write:
  - url: http://127.0.0.1:${ourPort}/api/v1/receive
    queue_config:
      batch_send_deadline: 500ms
      max_samples_per_send: 500
    metadata_config:
      send_interval: 1s
`;
  await writeFile(join(dir, 'prometheus.yml'), cfg);
  prom = spawn(
    PROM,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  prom.stderr!.on('data', (c: Buffer) => {
    promLog = (promLog + c.toString()).slice(-4000);
  });
});

after(async () => {
  if (prom && prom.exitCode === null) {
    const exited = new Promise((r) => prom!.once('exit', r));
    prom.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (prom.exitCode === null) prom.kill('SIGKILL');
  }
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('Prometheus 2.42 remote-writes its scraped samples and metadata into our handler', async () => {
  assert.ok(!skip, `${skip}: install Debian's prometheus, promtool and prometheus-node-exporter (.ci/run does: apt-get install -y prometheus prometheus-node-exporter)`);
  const up = await waitFor(
    'up{job="prometheus"} via remote write',
    () => [...target.samples.values()].find((s) => s.labels.get('__name__') === 'up' && s.labels.get('job') === 'prometheus'),
  ).catch((e: Error) => {
    throw new Error(`${e.message}\nprometheus log:\n${promLog}`);
  });
  assert.equal(up.labels.get('cluster'), 'peer-test');
  assert.equal(up.labels.get('instance'), `127.0.0.1:${promPort}`);
  assert.equal(up.points[0]![1], 1);
  assert.ok(Math.abs(up.points[0]![0] - Date.now()) < 60_000);
  assert.deepEqual([...target.tenants], ['default-tenant']);
  // Prometheus sends exactly the remote write 1.0 headers our handler checks.
  assert.equal(seenHeaders[0]!['content-encoding'], 'snappy');
  assert.equal(seenHeaders[0]!['content-type'], 'application/x-protobuf');
  assert.equal(seenHeaders[0]!['x-prometheus-remote-write-version'], '0.1.0');
  // Label sets arrive sorted and valid (the handler only appends validated series).
  for (const s of target.samples.values()) assert.ok(s.labels.has('__name__'));
  const md = await waitFor('metadata for prometheus_http_requests_total', () => target.metadata.get('prometheus_http_requests_total'));
  assert.equal(md.type, 'counter');
  assert.match(md.help, /HTTP requests/i);
  const hist = await waitFor('a classic histogram family', () =>
    [...target.metadata.entries()].find(([, m]) => m.type === 'histogram'),
  );
  assert.ok(hist[0].length > 0);
});

test('our client remote-writes into Prometheus 2.42 and the samples are queryable', async () => {
  assert.ok(!skip, `${skip}: install Debian's prometheus, promtool and prometheus-node-exporter (.ci/run does: apt-get install -y prometheus prometheus-node-exporter)`);
  await waitFor('prometheus ready', async () => {
    const r = (await getJSON(`http://127.0.0.1:${promPort}/api/v1/status/buildinfo`)) as { status: string };
    return r.status === 'success' ? true : undefined;
  });
  const c = new RemoteWriteClient({ url: `http://127.0.0.1:${promPort}/api/v1/write` });
  try {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const ts = [now - 30_000, now - 20_000, now - 10_000];
    const r = await c.write({
      series: [
        { labels: ['__name__', 'strata_peer_test', 'k', 'ü-😀', 'z', 'last'], timestamps: ts, values: [1.5, -2, 1e300] },
        { labels: ['__name__', 'strata_peer_stale', 'k', 'v'], timestamps: [now - 20_000, now - 10_000], values: [7, STALE_NAN] },
      ],
      metadata: [{ type: 2, metricFamilyName: 'strata_peer_test', help: 'A test gauge.', unit: '' }],
    });
    assert.equal(r.status, 204, r.body);
    type QR = { status: string; data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
    const q = (await getJSON(
      `http://127.0.0.1:${promPort}/api/v1/query_range?query=strata_peer_test&start=${(now - 40_000) / 1000}&end=${now / 1000}&step=10`,
    )) as QR;
    assert.equal(q.status, 'success');
    assert.equal(q.data.result.length, 1);
    assert.deepEqual(q.data.result[0]!.metric, { __name__: 'strata_peer_test', k: 'ü-😀', z: 'last' });
    assert.deepEqual(
      q.data.result[0]!.values.filter(([t]) => ts.includes(t * 1000)).map(([, v]) => v),
      ['1.5', '-2', '1e+300'],
    );
    // The stale marker ends the series: an instant query right after it returns nothing.
    const inst = (await getJSON(`http://127.0.0.1:${promPort}/api/v1/query?query=strata_peer_stale&time=${(now - 5_000) / 1000}`)) as QR;
    assert.equal(inst.data.result.length, 0);
    const before = (await getJSON(`http://127.0.0.1:${promPort}/api/v1/query?query=strata_peer_stale&time=${(now - 15_000) / 1000}`)) as {
      data: { result: { value: [number, string] }[] };
    };
    assert.equal(before.data.result[0]!.value[1], '7');

  } finally {
    c.close();
  }
});
