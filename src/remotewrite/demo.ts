// Demo traffic: remote-writes realistic multi-cluster metrics through the real HTTP endpoint, the way a
// fleet of Prometheus servers (one per cluster, `cluster` as an external label) would. Also builds
// pre-encoded synthetic load for benchmarks.
import { Labels } from '../labels/labels.ts';
import { encodeWriteRequestProto, MetricType, type SeriesInput, type WireMetadata, type WriteRequestInput } from './codec.ts';
import { RemoteWriteClient, compressBody, type RemoteWriteResult } from './client.ts';
import { mulberry32 } from '../util/random.ts';
export { mulberry32 };


function flat(obj: Record<string, string>): string[] {
  return [...Labels.fromObject(obj).flat];
}

export const DEMO_METADATA: readonly WireMetadata[] = [
  { type: MetricType.COUNTER, metricFamilyName: 'http_requests_total', help: 'Total number of HTTP requests by status code, method and handler.', unit: '' },
  { type: MetricType.HISTOGRAM, metricFamilyName: 'http_request_duration_seconds', help: 'Latency of HTTP requests.', unit: 'seconds' },
  { type: MetricType.COUNTER, metricFamilyName: 'node_cpu_seconds_total', help: 'Seconds the CPUs spent in each mode.', unit: 'seconds' },
  { type: MetricType.GAUGE, metricFamilyName: 'node_memory_MemAvailable_bytes', help: 'Memory information field MemAvailable_bytes.', unit: 'bytes' },
  { type: MetricType.GAUGE, metricFamilyName: 'up', help: 'Whether the target was reachable (1) or not (0).', unit: '' },
];

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CPU_MODES = ['idle', 'iowait', 'system', 'user'];
const ENDPOINTS: readonly { handler: string; method: string; rps: number; latency: number }[] = [
  { handler: '/api/v1/orders', method: 'GET', rps: 40, latency: 0.04 },
  { handler: '/api/v1/orders', method: 'POST', rps: 8, latency: 0.12 },
  { handler: '/api/v1/users', method: 'GET', rps: 25, latency: 0.02 },
  { handler: '/healthz', method: 'GET', rps: 1, latency: 0.002 },
];
const CODES: readonly [string, number][] = [
  ['200', 0.955],
  ['404', 0.03],
  ['500', 0.015],
];

/** One simulated scrape target with its counters and gauges. */
interface Target {
  cluster: string;
  job: string;
  instance: string;
  phase: number;
  cpus: number;
  cpu: Float64Array; // per cpu×mode seconds
  memTotal: number;
  memAvail: number;
  /** Per endpoint×code request counters. */
  reqs: Float64Array;
  /** Per endpoint cumulative bucket counts (HTTP_BUCKETS.length + 1 for +Inf), sum and count. */
  buckets: Float64Array[];
  sums: Float64Array;
  counts: Float64Array;
}

export interface DemoClusterSpec {
  name: string;
  /** Relative traffic scale (default 1). */
  scale?: number;
}

export interface DemoWriterOptions {
  /** Receive endpoint URL, e.g. http://127.0.0.1:10908/api/v1/receive */
  url: string;
  clusters?: readonly (string | DemoClusterSpec)[];
  /** Scrape/write interval in ms (default 15000). */
  intervalMs?: number;
  /** Instances per job (default node: 3, api: 2, db: 1 — multiplied by this factor, default 1). */
  instanceFactor?: number;
  /** Tenant header value (default: none, i.e. the receiver's default tenant). */
  tenant?: string;
  tenantHeader?: string;
  seed?: number;
  /** Clock (ms); default Date.now. */
  now?: () => number;
  /** Called for every response (status/body) — e.g. to log non-2xx. */
  onResult?: (cluster: string, r: RemoteWriteResult) => void;
  onError?: (err: Error) => void;
  /** Send immediately at start (default true). */
  immediate?: boolean;
}

export interface DemoWriter {
  stop(): Promise<void>;
  /** Performs one write round now (all clusters); resolves when every request finished. */
  tick(): Promise<void>;
  /** Number of series each round writes (all clusters). */
  readonly seriesPerRound: number;
}

function makeTargets(clusters: readonly DemoClusterSpec[], factor: number, rnd: () => number): Target[] {
  const out: Target[] = [];
  const jobs: [string, number, number][] = [
    ['node', 3, 9100],
    ['api', 2, 8080],
    ['db', 1, 9187],
  ];
  clusters.forEach((c, ci) => {
    for (const [job, n, port] of jobs) {
      for (let i = 0; i < n * factor; i++) {
        const cpus = job === 'db' ? 4 : 2;
        const memTotal = (job === 'db' ? 32 : 8) * 2 ** 30;
        out.push({
          cluster: c.name,
          job,
          instance: `10.${ci}.${job === 'node' ? 1 : job === 'api' ? 2 : 3}.${i + 10}:${port}`,
          phase: rnd() * Math.PI * 2,
          cpus,
          cpu: new Float64Array(cpus * CPU_MODES.length).map(() => rnd() * 1e5),
          memTotal,
          memAvail: memTotal * (0.4 + rnd() * 0.3),
          reqs: new Float64Array(ENDPOINTS.length * CODES.length).map(() => Math.floor(rnd() * 1e4)),
          buckets: ENDPOINTS.map(() => new Float64Array(HTTP_BUCKETS.length + 1)),
          sums: new Float64Array(ENDPOINTS.length),
          counts: new Float64Array(ENDPOINTS.length),
        });
      }
    }
  });
  return out;
}

/** Standard normal via Box–Muller. */
function gauss(rnd: () => number): number {
  const u = 1 - rnd();
  const v = rnd();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Advances a target by dtSec and returns its series (one sample each at `t`). */
function scrape(tg: Target, t: number, dtSec: number, scale: number, rnd: () => number): SeriesInput[] {
  const base = { cluster: tg.cluster, instance: tg.instance, job: tg.job };
  const out: SeriesInput[] = [];
  const one = (labels: Record<string, string>, v: number): void => {
    out.push({ labels: flat({ ...base, ...labels }), timestamps: [t], values: [v] });
  };
  const dayPhase = Math.sin((t / 3_600_000) * Math.PI * 2 / 24 + tg.phase);
  one({ __name__: 'up' }, 1);

  // node_cpu_seconds_total: busy fraction follows a smooth curve.
  const busy = Math.min(0.95, Math.max(0.02, 0.25 + 0.15 * dayPhase + 0.03 * gauss(rnd)));
  for (let c = 0; c < tg.cpus; c++) {
    const shares = [1 - busy, busy * 0.05, busy * 0.3, busy * 0.65]; // idle, iowait, system, user
    for (let m = 0; m < CPU_MODES.length; m++) {
      const k = c * CPU_MODES.length + m;
      tg.cpu[k] = tg.cpu[k]! + dtSec * shares[m]!;
      one({ __name__: 'node_cpu_seconds_total', cpu: String(c), mode: CPU_MODES[m]! }, Math.round(tg.cpu[k]! * 100) / 100);
    }
  }

  // Memory: smooth mean-reverting walk between 10% and 90% of total.
  const target = tg.memTotal * (0.55 - 0.15 * dayPhase);
  tg.memAvail += (target - tg.memAvail) * 0.1 + tg.memTotal * 0.005 * gauss(rnd);
  tg.memAvail = Math.min(tg.memTotal * 0.9, Math.max(tg.memTotal * 0.1, tg.memAvail));
  one({ __name__: 'node_memory_MemAvailable_bytes' }, Math.round(tg.memAvail / 4096) * 4096);

  if (tg.job === 'api') {
    const load = scale * (1 + 0.5 * dayPhase);
    ENDPOINTS.forEach((ep, e) => {
      let total = 0;
      CODES.forEach(([code, frac], ci) => {
        const k = e * CODES.length + ci;
        const inc = Math.max(0, Math.round(ep.rps * load * frac * dtSec * (1 + 0.1 * gauss(rnd))));
        tg.reqs[k] = tg.reqs[k]! + inc;
        total += inc;
        one({ __name__: 'http_requests_total', code, handler: ep.handler, method: ep.method }, tg.reqs[k]!);
      });
      // Observe `total` latencies (lognormal around the endpoint's typical latency), sampled in bulk.
      const b = tg.buckets[e]!;
      const obs = Math.min(total, 200);
      const weight = obs > 0 ? total / obs : 0;
      for (let i = 0; i < obs; i++) {
        const lat = ep.latency * Math.exp(0.6 * gauss(rnd)) * (1 + 0.3 * Math.max(0, dayPhase));
        tg.sums[e] = tg.sums[e]! + lat * weight;
        for (let j = 0; j < HTTP_BUCKETS.length; j++) if (lat <= HTTP_BUCKETS[j]!) b[j] = b[j]! + weight;
        b[HTTP_BUCKETS.length] = b[HTTP_BUCKETS.length]! + weight;
      }
      tg.counts[e] = tg.counts[e]! + total;
      const h = { handler: ep.handler, method: ep.method };
      for (let j = 0; j <= HTTP_BUCKETS.length; j++) {
        const le = j < HTTP_BUCKETS.length ? String(HTTP_BUCKETS[j]) : '+Inf';
        one({ __name__: 'http_request_duration_seconds_bucket', ...h, le }, Math.round(b[j]!));
      }
      one({ __name__: 'http_request_duration_seconds_sum', ...h }, Math.round(tg.sums[e]! * 1000) / 1000);
      one({ __name__: 'http_request_duration_seconds_count', ...h }, Math.round(b[HTTP_BUCKETS.length]!));
    });
  }
  return out;
}

/**
 * Starts writing demo traffic every `intervalMs` through `url`. One request per cluster and round
 * (like one Prometheus per cluster), each carrying metadata for its metric families.
 */
export function startDemoWriter(opts: DemoWriterOptions): DemoWriter {
  const clusters: DemoClusterSpec[] = (opts.clusters ?? ['eu-1', 'us-1', 'ap-1']).map((c) => (typeof c === 'string' ? { name: c } : c));
  const intervalMs = opts.intervalMs ?? 15_000;
  const rnd = mulberry32(opts.seed ?? 42);
  const now = opts.now ?? Date.now;
  const targets = makeTargets(clusters, Math.max(1, Math.floor(opts.instanceFactor ?? 1)), rnd);
  const client = new RemoteWriteClient({ url: opts.url, tenant: opts.tenant, tenantHeader: opts.tenantHeader });
  let last = now() - intervalMs;
  let inflight: Promise<void> = Promise.resolve();
  let stopped = false;
  let lastT = -Infinity;

  const round = async (): Promise<void> => {
    let t = now();
    if (t <= lastT) t = lastT + 1; // keep timestamps strictly increasing per series
    lastT = t;
    const dt = Math.max(0.001, (t - last) / 1000);
    last = t;
    const byCluster = new Map<string, SeriesInput[]>();
    for (const tg of targets) {
      const scale = clusters.find((c) => c.name === tg.cluster)?.scale ?? 1;
      const list = byCluster.get(tg.cluster) ?? [];
      list.push(...scrape(tg, t, dt, scale, rnd));
      byCluster.set(tg.cluster, list);
    }
    await Promise.all(
      [...byCluster].map(async ([cluster, series]) => {
        try {
          const r = await client.write({ series, metadata: DEMO_METADATA });
          opts.onResult?.(cluster, r);
        } catch (e) {
          opts.onError?.(e as Error);
        }
      }),
    );
  };

  const tick = (): Promise<void> => {
    const p = inflight.then(round);
    inflight = p;
    return p;
  };

  if (opts.immediate ?? true) void tick();
  const timer = setInterval(() => {
    if (!stopped) void tick();
  }, intervalMs);
  timer.unref?.();

  let seriesPerRound = 0;
  for (const tg of targets) seriesPerRound += 1 + tg.cpus * CPU_MODES.length + 1 + (tg.job === 'api' ? ENDPOINTS.length * (CODES.length + HTTP_BUCKETS.length + 3) : 0);

  return {
    seriesPerRound,
    tick,
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      await inflight;
      client.close();
    },
  };
}

export interface LoadOptions {
  /** Requests to build. */
  requests: number;
  /** Series per request. */
  series: number;
  /** Samples per series per request. */
  samplesPerSeries: number;
  /** First timestamp (ms), default 1_700_000_000_000. */
  startMs?: number;
  /** Scrape interval between samples (ms), default 15000. */
  stepMs?: number;
  seed?: number;
}

export interface Load {
  /** Uncompressed protobuf WriteRequests. */
  protos: Uint8Array[];
  /** Snappy-compressed bodies ready to POST. */
  bodies: Uint8Array[];
  samplesPerRequest: number;
  /** Timestamp after the last sample of the last request. */
  endMs: number;
}

/**
 * Builds N pre-encoded requests of S series × K samples each. Series look like real node-exporter/app
 * series (cluster, instance, job, …); timestamps advance request after request so the whole sequence
 * is appendable in order.
 */
export function generateLoad(o: LoadOptions): Load {
  const rnd = mulberry32(o.seed ?? 7);
  const step = o.stepMs ?? 15_000;
  let t = o.startMs ?? 1_700_000_000_000;
  const names = ['node_cpu_seconds_total', 'http_requests_total', 'node_memory_MemAvailable_bytes', 'process_resident_memory_bytes', 'go_goroutines'];
  const clusters = ['eu-1', 'us-1', 'ap-1'];
  const labels: string[][] = [];
  for (let s = 0; s < o.series; s++) {
    labels.push(
      flat({
        __name__: names[s % names.length]!,
        cluster: clusters[s % clusters.length]!,
        instance: `10.0.${(s >> 8) & 255}.${s & 255}:9100`,
        job: s % 2 === 0 ? 'node' : 'api',
        mode: CPU_MODES[s % CPU_MODES.length]!,
        series_id: String(s),
      }),
    );
  }
  const vals = new Float64Array(o.series).map(() => Math.floor(rnd() * 1e6));
  const protos: Uint8Array[] = [];
  const bodies: Uint8Array[] = [];
  for (let r = 0; r < o.requests; r++) {
    const series: SeriesInput[] = [];
    for (let s = 0; s < o.series; s++) {
      const ts = new Float64Array(o.samplesPerSeries);
      const vs = new Float64Array(o.samplesPerSeries);
      for (let k = 0; k < o.samplesPerSeries; k++) {
        ts[k] = t + k * step;
        vals[s] = vals[s]! + Math.floor(rnd() * 100);
        vs[k] = s % 3 === 2 ? Math.round(rnd() * 1e4) / 100 : vals[s]!;
      }
      series.push({ labels: labels[s]!, timestamps: ts, values: vs });
    }
    t += o.samplesPerSeries * step;
    const req: WriteRequestInput = { series };
    const proto = encodeWriteRequestProto(req);
    protos.push(proto);
    bodies.push(compressBody(proto));
  }
  return { protos, bodies, samplesPerRequest: o.series * o.samplesPerSeries, endMs: t };
}
