// `strata tools bench`: remote-write load generator reporting accepted samples/s.
import { RemoteWriteClient, compressBody } from '../remotewrite/client.ts';
import { encodeWriteRequestProto, type SeriesInput } from '../remotewrite/codec.ts';
import { opt } from './common.ts';

export interface BenchResult {
  samples: number;
  requests: number;
  errors: number;
  seconds: number;
  samplesPerSecond: number;
}

export async function runBenchTool(opts: Record<string, unknown>): Promise<void> {
  const r = await sendLoad({
    url: opt<string>(opts, 'url'),
    series: opt<number>(opts, 'series'),
    samplesPerRequest: opt<number>(opts, 'samples-per-request'),
    durationMs: opt<number>(opts, 'duration'),
    concurrency: opt<number>(opts, 'concurrency'),
    tenant: opt<string | undefined>(opts, 'tenant'),
    log: (m) => process.stderr.write(m + '\n'),
  });
  process.stdout.write(JSON.stringify(r, null, 2) + '\n');
}

export interface SendLoadOptions {
  url: string;
  series: number;
  samplesPerRequest: number;
  durationMs: number;
  concurrency: number;
  tenant?: string;
  log?: (msg: string) => void;
  /** Rounds to pre-encode (one sample per series each). */
  rounds?: number;
  startMs?: number;
  /** Send round 0 (series creation) before timing (default true). */
  warmup?: boolean;
}

/** Series labels like a node exporter fleet: 100k distinct sets from cluster × instance × metric × mode. */
export function benchSeriesLabels(n: number): string[][] {
  const names = ['node_cpu_seconds_total', 'node_network_receive_bytes_total', 'node_memory_MemAvailable_bytes', 'http_requests_total', 'process_resident_memory_bytes'];
  const modes = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
  const out: string[][] = [];
  for (let s = 0; s < n; s++) {
    const inst = Math.floor(s / 40);
    out.push([
      '__name__', names[s % names.length]!,
      'cluster', `cluster-${inst % 10}`,
      'cpu', String(Math.floor(s / 5) % 8),
      'instance', `10.${(inst >> 16) & 255}.${(inst >> 8) & 255}.${inst & 255}:9100`,
      'job', 'node',
      'mode', modes[s % modes.length]!,
    ]);
  }
  return out;
}

/** Pre-encodes `rounds` rounds; each round has one sample for every series, split into requests of perReq series. */
export function buildRounds(series: number, perReq: number, rounds: number, startMs: number): Uint8Array[][] {
  const labels = benchSeriesLabels(series);
  const vals = new Float64Array(series);
  const out: Uint8Array[][] = [];
  for (let r = 0; r < rounds; r++) {
    const bodies: Uint8Array[] = [];
    for (let j = 0; j < series; j += perReq) {
      const ss: SeriesInput[] = [];
      for (let s = j; s < Math.min(series, j + perReq); s++) {
        vals[s] = vals[s]! + ((s * 7919 + r * 104729) % 1000);
        ss.push({ labels: labels[s]!, timestamps: [startMs + r * 15_000], values: [vals[s]!] });
      }
      bodies.push(compressBody(encodeWriteRequestProto({ series: ss })));
    }
    out.push(bodies);
  }
  return out;
}

/**
 * Sends rounds of one sample per series (series/samplesPerRequest requests per round), timestamps
 * advancing 15s per round, until durationMs elapsed. The first round (series creation) is sent
 * before the clock starts and reported separately by the caller if needed.
 */
export async function sendLoad(o: SendLoadOptions): Promise<BenchResult> {
  const perReq = Math.min(o.samplesPerRequest, o.series);
  const reqsPerRound = Math.ceil(o.series / perReq);
  const rounds = o.rounds ?? 20;
  o.log?.(`pre-encoding ${rounds} rounds × ${reqsPerRound} requests × ${perReq} samples …`);
  const rounds_ = buildRounds(o.series, perReq, rounds, o.startMs ?? Date.now() - rounds * 15_000);
  if (o.warmup !== false) {
    // Round 0 creates every series; it is not part of the steady-state figure.
    const c = new RemoteWriteClient({ url: o.url, tenant: o.tenant, maxSockets: o.concurrency });
    let i = 0;
    const b0 = rounds_.shift()!;
    await Promise.all(Array.from({ length: o.concurrency }, async () => {
      while (i < b0.length) {
        const r = await c.send(b0[i++]!);
        if (r.status >= 300) throw new Error(`warm-up write failed: ${r.status} ${r.body}`);
      }
    }));
    c.close();
  }
  const client = new RemoteWriteClient({ url: o.url, tenant: o.tenant, maxSockets: o.concurrency });
  let samples = 0;
  let requests = 0;
  let errors = 0;
  const send = async (body: Uint8Array) => {
    const res = await client.send(body);
    requests++;
    if (res.status >= 200 && res.status < 300) samples += perReq;
    else errors++;
  };
  const start = performance.now();
  let round = 0;
  while (performance.now() - start < o.durationMs && round < rounds_.length) {
    const bodies = rounds_[round++]!;
    let i = 0;
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (i < bodies.length) await send(bodies[i++]!);
      }),
    );
  }
  const seconds = (performance.now() - start) / 1000;
  client.close();
  return { samples, requests, errors, seconds, samplesPerSecond: samples / seconds };
}
