import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import snappy from 'snappy';
import { Registry } from 'prom-client';
import { Labels } from '../labels/labels.ts';
import { AppendError, type Appender, type Exemplar, type MetricMetadata } from '../storage/interfaces.ts';
import { STALE_NAN, isStaleNaN } from '../tsdb/stale.ts';
import { createRemoteWriteHandler, RemoteWriteMetrics, type RemoteWriteTarget } from './handler.ts';
import { encodeWriteRequestProto, type WireHistogram, type WriteRequestInput } from './codec.ts';
import { RemoteWriteClient, encodeWriteRequest, REMOTE_WRITE_HEADERS } from './client.ts';
import { startDemoWriter } from './demo.ts';

// ------------------------------------------------------------------------------------------------
// A fake head with the Prometheus append rules: per series, samples must be newer than the newest
// committed one; same timestamp with identical bits is an accepted duplicate, a different value is a
// duplicate error; timestamps before minValidTime are out of bounds.
// ------------------------------------------------------------------------------------------------

const bits = new DataView(new ArrayBuffer(8));
function valueBits(v: number): bigint {
  if (isStaleNaN(v)) return 0x7ff0000000000002n;
  bits.setFloat64(0, v);
  return bits.getBigUint64(0);
}

interface StoredSeries {
  labels: Labels;
  samples: [number, number][];
  exemplars: Exemplar[];
}

class FakeHead {
  series = new Map<string, StoredSeries>();
  refs = new Map<number, string>();
  nextRef = 1;
  minValidTime = 0;
  failCommit: Error | null = null;
  commits = 0;
  limitAfter = Infinity;
  appended = 0;

  samplesOf(l: Labels | Record<string, string>): [number, number][] {
    const key = (l instanceof Labels ? l : Labels.fromObject(l)).key;
    return this.series.get(key)?.samples ?? [];
  }

  appender(): Appender {
    const pending: { key: string; labels: Labels; t: number; v: number }[] = [];
    const pendingEx: { key: string; ex: Exemplar }[] = [];
    const head = this;
    const newest = new Map<string, number>();
    return {
      append(ref: number, labels: Labels, t: number, v: number): number {
        if (head.appended >= head.limitAfter) throw new AppendError('limit', 'per-tenant sample limit reached');
        const key = labels.key;
        const s = head.series.get(key);
        const last = newest.get(key) ?? (s && s.samples.length ? s.samples[s.samples.length - 1]![0] : -Infinity);
        if (t < head.minValidTime) throw new AppendError('out_of_bounds', 'out of bounds');
        // The Appender contract: an exact duplicate of a stored sample is accepted (idempotent retries).
        const prev = s?.samples.find((x) => x[0] === t) ?? pending.find((p) => p.key === key && p.t === t);
        if (prev !== undefined) {
          const pv = Array.isArray(prev) ? prev[1] : prev.v;
          if (valueBits(pv) !== valueBits(v)) throw new AppendError('duplicate', 'duplicate sample for timestamp');
          return ref || head.refFor(key, labels);
        }
        if (t <= last) throw new AppendError('out_of_order', 'out of order sample');
        newest.set(key, t);
        pending.push({ key, labels, t, v });
        head.appended++;
        return ref || head.refFor(key, labels);
      },
      appendExemplar(ref: number, _labels: Labels, ex: Exemplar): void {
        const key = head.refs.get(ref);
        if (key === undefined) throw new Error('unknown ref');
        pendingEx.push({ key, ex });
      },
      async commit(): Promise<void> {
        await new Promise((r) => setTimeout(r, 5));
        if (head.failCommit) throw head.failCommit;
        head.commits++;
        for (const p of pending) {
          let s = head.series.get(p.key);
          if (!s) head.series.set(p.key, (s = { labels: p.labels, samples: [], exemplars: [] }));
          s.samples.push([p.t, p.v]);
        }
        for (const p of pendingEx) head.series.get(p.key)?.exemplars.push(p.ex);
      },
      rollback(): void {
        pending.length = 0;
      },
    };
  }

  refFor(key: string, _labels: Labels): number {
    for (const [r, k] of this.refs) if (k === key) return r;
    const r = this.nextRef++;
    this.refs.set(r, key);
    return r;
  }
}

class FakeTarget implements RemoteWriteTarget {
  isReady = true;
  heads = new Map<string, FakeHead>();
  metadata: [string, string, MetricMetadata][] = [];
  head(tenant: string): FakeHead {
    let h = this.heads.get(tenant);
    if (!h) this.heads.set(tenant, (h = new FakeHead()));
    return h;
  }
  ready(): boolean {
    return this.isReady;
  }
  appender(tenant: string): Appender {
    return this.head(tenant).appender();
  }
  setMetadata(tenant: string, family: string, md: MetricMetadata): void {
    this.metadata.push([tenant, family, md]);
  }
}

let server: http.Server;
let url: string;
let target: FakeTarget;
let registry: Registry;
const MAX = 64 * 1024;

before(async () => {
  target = new FakeTarget();
  registry = new Registry();
  const handler = createRemoteWriteHandler({ target, maxRequestBytes: MAX, metrics: new RemoteWriteMetrics(registry) });
  server = http.createServer((req, res) => {
    if (req.url === '/api/v1/receive') void handler(req, res);
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/receive`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function post(body: Uint8Array, headers: Record<string, string> = REMOTE_WRITE_HEADERS, method = 'POST'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method, headers: { ...headers, 'Content-Length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

const client = () => new RemoteWriteClient({ url });

function series(name: string, extra: Record<string, string>, samples: [number, number][]): WriteRequestInput['series'][number] {
  return {
    labels: [...Labels.fromObject({ __name__: name, ...extra }).flat],
    timestamps: samples.map((s) => s[0]),
    values: samples.map((s) => s[1]),
  };
}

test('200 with an empty body; samples (incl. stale markers) reach the tenant appender; exact resend is 200', async () => {
  const c = client();
  try {
    const req: WriteRequestInput = {
      series: [series('up', { job: 'a' }, [[1000, 1], [2000, STALE_NAN]]), series('up', { job: 'b' }, [[1000, 0]])],
    };
    const r = await c.write(req, 't-ok');
    assert.deepEqual(r, { status: 200, body: '' });
    const h = target.head('t-ok');
    assert.equal(h.commits, 1);
    const got = h.samplesOf({ __name__: 'up', job: 'a' });
    assert.equal(got.length, 2);
    assert.deepEqual(got[0], [1000, 1]);
    assert.ok(isStaleNaN(got[1]![1]));
    assert.deepEqual(h.samplesOf({ __name__: 'up', job: 'b' }), [[1000, 0]]);
    const again = await c.write(req, 't-ok');
    assert.deepEqual(again, { status: 200, body: '' });
    assert.equal(h.samplesOf({ __name__: 'up', job: 'a' }).length, 2);
  } finally {
    c.close();
  }
});

test('tenant header and default tenant', async () => {
  const body = encodeWriteRequest({ series: [series('x', {}, [[1, 1]])] });
  assert.equal((await post(body)).status, 200);
  assert.equal(target.head('default-tenant').samplesOf({ __name__: 'x' }).length, 1);
  assert.equal((await post(body, { ...REMOTE_WRITE_HEADERS, 'THANOS-TENANT': 'team-b' })).status, 200);
  assert.equal(target.head('team-b').samplesOf({ __name__: 'x' }).length, 1);
  const bad = await post(body, { ...REMOTE_WRITE_HEADERS, 'THANOS-TENANT': '../etc' });
  assert.equal(bad.status, 400);
  assert.match(bad.body, /tenant/);

  // A custom tenant header on a separate handler.
  const t2 = new FakeTarget();
  const h2 = createRemoteWriteHandler({ target: t2, tenantHeader: 'X-Scope-OrgID', defaultTenant: 'anon' });
  const srv = http.createServer((req, res) => void h2(req, res));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const c = new RemoteWriteClient({ url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`, tenantHeader: 'X-Scope-OrgID', tenant: 'org1' });
  try {
    assert.equal((await c.write({ series: [series('y', {}, [[1, 1]])] })).status, 200);
    assert.equal(t2.head('org1').samplesOf({ __name__: 'y' }).length, 1);
    assert.equal(t2.heads.has('anon'), false);
  } finally {
    c.close();
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('409 for out-of-order samples: valid samples are kept, body names kind, count and first series', async () => {
  const c = client();
  try {
    assert.equal((await c.write({ series: [series('m', { i: '1' }, [[5000, 1]])] }, 'ooo')).status, 200);
    const r = await c.write(
      {
        series: [
          series('m', { i: '1' }, [[4000, 2], [3000, 3], [6000, 4]]),
          series('m', { i: '2' }, [[1000, 1]]),
        ],
      },
      'ooo',
    );
    assert.equal(r.status, 409);
    assert.match(r.body, /out of order samples: 2/);
    assert.match(r.body, /first offending series \(out_of_order\): m\{i="1"\} at t=4000/);
    const h = target.head('ooo');
    assert.deepEqual(h.samplesOf({ __name__: 'm', i: '1' }), [[5000, 1], [6000, 4]]);
    assert.deepEqual(h.samplesOf({ __name__: 'm', i: '2' }), [[1000, 1]]);
  } finally {
    c.close();
  }
});

test('409 for a duplicate timestamp with a different value and for out-of-bounds samples', async () => {
  const c = client();
  try {
    target.head('dup').minValidTime = 100;
    assert.equal((await c.write({ series: [series('d', {}, [[500, 1]])] }, 'dup')).status, 200);
    const r = await c.write({ series: [series('d', {}, [[500, 2]]), series('e', {}, [[50, 1], [600, 1]])] }, 'dup');
    assert.equal(r.status, 409);
    assert.match(r.body, /duplicate samples for timestamp with different value: 1/);
    assert.match(r.body, /out of bounds samples[^:]*: 1/);
    assert.match(r.body, /first offending series \(duplicate\): d at t=500/);
    assert.match(r.body, /first offending series \(out_of_bounds\): e at t=50/);
    assert.deepEqual(target.head('dup').samplesOf({ __name__: 'e' }), [[600, 1]]);
  } finally {
    c.close();
  }
});

test('409 for invalid label sets (unsorted, duplicate, empty value, empty set); valid series are stored', async () => {
  const c = client();
  try {
    const r = await c.write(
      {
        series: [
          { labels: ['job', 'a', '__name__', 'z'], timestamps: [1], values: [1] },
          { labels: ['__name__', 'z', 'a', '1', 'a', '2'], timestamps: [1], values: [1] },
          { labels: ['__name__', 'z', 'job', ''], timestamps: [1], values: [1] },
          { labels: [], timestamps: [1], values: [1] },
          series('good', {}, [[1, 1]]),
        ],
      },
      'labels',
    );
    assert.equal(r.status, 409);
    assert.match(r.body, /series with invalid labels: 4/);
    assert.match(r.body, /first offending series \(invalid_labels\): \{job="a", __name__="z"\}: labels are not sorted/);
    assert.deepEqual(target.head('labels').samplesOf({ __name__: 'good' }), [[1, 1]]);
  } finally {
    c.close();
  }
});

test('400 for native histograms, naming the series and the reason; float samples of the request are kept', async () => {
  const h: WireHistogram = {
    countInt: 3,
    sum: 1,
    schema: 0,
    zeroThreshold: 0,
    zeroCountInt: 0,
    negativeSpans: [],
    negativeDeltas: [],
    negativeCounts: [],
    positiveSpans: [{ offset: 0, length: 1 }],
    positiveDeltas: [3],
    positiveCounts: [],
    resetHint: 0,
    timestamp: 1000,
    customValues: [],
  };
  const c = client();
  try {
    const r = await c.write({ series: [{ ...series('lat', { job: 'x' }, []), histograms: [h] }, series('f', {}, [[1, 1]])] }, 'hist');
    assert.equal(r.status, 400);
    assert.match(r.body, /lat\{job="x"\}: native histograms are not supported yet/);
    assert.deepEqual(target.head('hist').samplesOf({ __name__: 'f' }), [[1, 1]]);
    // Mixed with a conflict, the histogram's 400 wins over 409 and both kinds are listed.
    const mixed = await c.write({ series: [{ ...series('lat', { job: 'x' }, []), histograms: [h] }, series('f', {}, [[0, 1]])] }, 'hist');
    assert.equal(mixed.status, 400);
    assert.match(mixed.body, /out of order samples: 1/);
    assert.match(mixed.body, /native histogram samples \(native histograms are not supported yet\): 1/);
  } finally {
    c.close();
  }
});

test('400 for malformed bodies: bad protobuf, bad snappy, framed snappy, other Content-Encoding', async () => {
  const badProto = new Uint8Array(snappy.compressSync(Buffer.from([0x0a, 0x05, 0x0a])));
  let r = await post(badProto);
  assert.equal(r.status, 400);
  assert.match(r.body, /failed to decode the write request: WriteRequest\.timeseries\[0\]: length 5 at offset 1 runs past the end/);

  r = await post(Uint8Array.from([0x05, 0xff, 0xff, 0xff]));
  assert.equal(r.status, 400);
  assert.match(r.body, /snappy decode error/);

  const framed = Uint8Array.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59, 0x01, 0x05, 0, 0, 0, 0, 0, 0, 0]);
  r = await post(framed);
  assert.equal(r.status, 400);
  assert.match(r.body, /framed format/);

  const good = encodeWriteRequest({ series: [series('q', {}, [[1, 1]])] });
  r = await post(good, { ...REMOTE_WRITE_HEADERS, 'Content-Encoding': 'gzip' });
  assert.equal(r.status, 400);
  assert.match(r.body, /Content-Encoding "gzip"/);
});

test('413 for a big compressed body and for a small body whose snappy header claims a huge length', async () => {
  const noise = new Uint8Array(200 * 1024);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  crypto.getRandomValues(noise.subarray(0, 65536));
  crypto.getRandomValues(noise.subarray(65536, 131072));
  const big = new Uint8Array(snappy.compressSync(noise));
  let r = await post(big);
  assert.equal(r.status, 413);
  assert.match(r.body, /too large/);

  // 5-byte header claiming 2^32-1 bytes followed by junk: must be refused before decompressing.
  const liar = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x61]);
  r = await post(liar);
  assert.equal(r.status, 413);
  assert.match(r.body, /decompressed size 4294967295 exceeds the limit of 65536 bytes/);

  // Decompressed size just over the limit (compressed body is tiny).
  const zeros = new Uint8Array(snappy.compressSync(Buffer.alloc(MAX + 1)));
  r = await post(zeros);
  assert.equal(r.status, 413);
});

test('415 for remote write 2.0 and other content types; 405 for GET', async () => {
  const body = encodeWriteRequest({ series: [series('v2', {}, [[1, 1]])] });
  let r = await post(body, {
    ...REMOTE_WRITE_HEADERS,
    'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
    'X-Prometheus-Remote-Write-Version': '2.0.0',
  });
  assert.equal(r.status, 415);
  assert.match(r.body, /remote write 2.0 .* not supported/);
  r = await post(body, { ...REMOTE_WRITE_HEADERS, 'Content-Type': 'application/json' });
  assert.equal(r.status, 415);
  r = await post(body, { ...REMOTE_WRITE_HEADERS, 'Content-Type': 'application/x-protobuf; proto=prometheus.WriteRequest' });
  assert.equal(r.status, 200);
  r = await post(new Uint8Array(0), {}, 'GET');
  assert.equal(r.status, 405);
});

test('503 when not ready; 500 when commit fails (nothing stored); 429 on limits', async () => {
  const body = encodeWriteRequest({ series: [series('r', {}, [[1, 1]])] });
  target.isReady = false;
  try {
    const r = await post(body, { ...REMOTE_WRITE_HEADERS, 'THANOS-TENANT': 'nr' });
    assert.equal(r.status, 503);
    assert.match(r.body, /not ready/);
  } finally {
    target.isReady = true;
  }
  assert.equal(target.heads.has('nr'), false);

  target.head('walfail').failCommit = new Error('wal: write /data/wal/00000001: no space left on device');
  const r = await post(body, { ...REMOTE_WRITE_HEADERS, 'THANOS-TENANT': 'walfail' });
  assert.equal(r.status, 500);
  assert.match(r.body, /commit samples: wal: write .* no space left on device/);
  assert.equal(target.head('walfail').samplesOf({ __name__: 'r' }).length, 0);

  target.head('lim').limitAfter = 1;
  const r2 = await post(encodeWriteRequest({ series: [series('r', {}, [[1, 1], [2, 2]])] }), { ...REMOTE_WRITE_HEADERS, 'THANOS-TENANT': 'lim' });
  assert.equal(r2.status, 429);
  assert.match(r2.body, /samples over a limit: 1/);
});

test('never answers before commit resolved', async () => {
  const t = new FakeTarget();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let committed = false;
  t.appender = () => ({
    append: () => 1,
    async commit() {
      await gate;
      committed = true;
    },
    rollback() {},
  });
  const h = createRemoteWriteHandler({ target: t });
  const srv = http.createServer((req, res) => void h(req, res));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const c = new RemoteWriteClient({ url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/` });
  try {
    let answered = false;
    const p = c.write({ series: [series('w', {}, [[1, 1]])] }).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(answered, false);
    release();
    const r = await p;
    assert.equal(r.status, 200);
    assert.equal(committed, true);
  } finally {
    c.close();
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('metadata and exemplars are plumbed through', async () => {
  const c = client();
  try {
    const req: WriteRequestInput = {
      series: [
        {
          ...series('http_requests_total', { code: '200' }, [[1000, 10]]),
          exemplars: [{ labels: ['trace_id', 'abc', 'span_id', 'def'], value: 10, timestamp: 999 }],
        },
      ],
      metadata: [
        { type: 1, metricFamilyName: 'http_requests_total', help: 'Total HTTP requests.', unit: '' },
        { type: 2, metricFamilyName: 'mem_bytes', help: 'Memory.', unit: 'bytes' },
      ],
    };
    assert.equal((await c.write(req, 'md')).status, 200);
    const md = target.metadata.filter((m) => m[0] === 'md');
    assert.deepEqual(md, [
      ['md', 'http_requests_total', { type: 'counter', help: 'Total HTTP requests.', unit: '' }],
      ['md', 'mem_bytes', { type: 'gauge', help: 'Memory.', unit: 'bytes' }],
    ]);
    const s = target.head('md').series.get(Labels.fromObject({ __name__: 'http_requests_total', code: '200' }).key)!;
    assert.equal(s.exemplars.length, 1);
    assert.deepEqual(s.exemplars[0]!.labels.toObject(), { span_id: 'def', trace_id: 'abc' });
    assert.equal(s.exemplars[0]!.value, 10);
    assert.equal(s.exemplars[0]!.ts, 999);

    // A metadata-only request is accepted.
    const r = await post(encodeWriteRequest({ series: [], metadata: [{ type: 5, metricFamilyName: 'rpc', help: 'RPC.', unit: '' }] }), {
      ...REMOTE_WRITE_HEADERS,
      'THANOS-TENANT': 'md',
    });
    assert.equal(r.status, 200);
    assert.deepEqual(target.metadata.at(-1), ['md', 'rpc', { type: 'summary', help: 'RPC.', unit: '' }]);
  } finally {
    c.close();
  }
});

test('metrics are exported with Thanos names', async () => {
  const text = await registry.metrics();
  assert.match(text, /thanos_receive_http_requests_total\{code="200",handler="receive",method="post"\} \d+/);
  assert.match(text, /thanos_receive_http_requests_total\{code="409",handler="receive",method="post"\} \d+/);
  assert.match(text, /thanos_receive_write_samples_total\{code="200",tenant="t-ok"\} 6/);
  assert.match(text, /thanos_receive_write_timeseries_bucket\{le="10",code="200",tenant="t-ok"\} 2/);
  assert.match(text, /strata_receive_rejected_total\{tenant="ooo",reason="out_of_order"\} 2/);
});

test('demo writer sends multi-cluster traffic with monotonic counters and metadata', async () => {
  const t0 = 1_700_000_000_000;
  let now = t0;
  const results: number[] = [];
  const d = startDemoWriter({ url, intervalMs: 3_600_000, immediate: false, tenant: 'demo', now: () => now, onResult: (_c, r) => results.push(r.status) });
  try {
    await d.tick();
    now += 15_000;
    await d.tick();
  } finally {
    await d.stop();
  }
  assert.deepEqual(results, [200, 200, 200, 200, 200, 200]);
  const h = target.head('demo');
  assert.equal(h.series.size, d.seriesPerRound);
  const clusters = new Set([...h.series.values()].map((s) => s.labels.get('cluster')));
  assert.deepEqual([...clusters].sort(), ['ap-1', 'eu-1', 'us-1']);
  const jobs = new Set([...h.series.values()].map((s) => s.labels.get('job')));
  assert.deepEqual([...jobs].sort(), ['api', 'db', 'node']);
  for (const s of h.series.values()) {
    assert.equal(s.samples.length, 2, s.labels.toString());
    assert.deepEqual(
      s.samples.map((x) => x[0]),
      [t0, t0 + 15_000],
    );
    const name = s.labels.get('__name__');
    if (name.endsWith('_total') || name.endsWith('_bucket') || name.endsWith('_count') || name.endsWith('_sum')) {
      assert.ok(s.samples[1]![1] >= s.samples[0]![1], `${s.labels.toString()} must not decrease`);
    }
    for (const n of ['cluster', 'job', 'instance']) assert.ok(s.labels.has(n), `${s.labels.toString()} has ${n}`);
  }
  // Classic histogram buckets are cumulative and end in +Inf == _count.
  const sel = (extra: Record<string, string>) =>
    [...h.series.values()].filter((s) => Object.entries(extra).every(([k, v]) => s.labels.get(k) === v));
  const buckets = sel({ __name__: 'http_request_duration_seconds_bucket', cluster: 'eu-1', handler: '/api/v1/orders', method: 'GET', instance: '10.0.2.10:8080' });
  assert.equal(buckets.length, 12);
  const inf = buckets.find((s) => s.labels.get('le') === '+Inf')!.samples[1]![1];
  const count = sel({ __name__: 'http_request_duration_seconds_count', cluster: 'eu-1', handler: '/api/v1/orders', method: 'GET', instance: '10.0.2.10:8080' })[0]!.samples[1]![1];
  assert.equal(inf, count);
  assert.ok(count > 0);
  const sorted = buckets.map((s) => [Number(s.labels.get('le')), s.samples[1]![1]] as const).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]![1] >= sorted[i - 1]![1]);
  const fams = new Set(target.metadata.filter((m) => m[0] === 'demo').map((m) => m[1]));
  assert.ok(fams.has('http_request_duration_seconds') && fams.has('node_cpu_seconds_total') && fams.has('up'));
});

test('encodeWriteRequestProto output posted raw (uncompressed) is rejected as bad snappy', async () => {
  const raw = encodeWriteRequestProto({ series: [series('raw', {}, [[1, 1]])] });
  const r = await post(raw);
  assert.equal(r.status, 400);
});
