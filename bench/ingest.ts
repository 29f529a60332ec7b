// Remote-write ingest: samples/s, samples per CPU-second of the server, and RSS per active series,
// for Strata and Debian's Prometheus (--web.enable-remote-write-receiver), one after the other in
// the same run, with the same pre-encoded requests (100k series, 2,000 samples per request).
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRounds } from '../src/cli/tools-bench.ts';
import { RemoteWriteClient } from '../src/remotewrite/client.ts';
import { cpuSeconds, fmt, ratio, rssBytes, startPrometheusServer, startStrataReceive, type Server } from './lib.ts';

export interface IngestResult {
  name: string;
  samplesPerSec: number;
  samplesPerCpuSec: number;
  cpuCores: number;
  rssPerSeries: number;
  rssAfter: number;
  errors: number;
  /** On-disk block bytes (index + chunks + meta) per ingested sample, once the head is persisted. */
  diskBytesPerSample: number;
  samplesTotal: number;
}

/** Total size of every file under dir whose path passes keep. */
async function dirBytes(dir: string, keep: (path: string) => boolean): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    if (keep(p)) total += (await stat(p)).size;
  }
  return total;
}

const ULID_DIR = /\/[0-9A-HJKMNP-TV-Z]{26}\//;

/**
 * Persists the head as blocks and measures them: Prometheus through the admin snapshot API (head
 * included), Strata by stopping the receiver, which flushes its whole head into a block.
 */
async function persistedBytes(server: Server, dir: string): Promise<number> {
  if (server.name === 'prometheus') {
    const r = await fetch(`${server.queryURL}/api/v1/admin/tsdb/snapshot`, { method: 'POST' });
    const body = (await r.json()) as { data: { name: string } };
    const snap = join(dir, 'data', 'snapshots', body.data.name);
    return dirBytes(snap, (p) => ULID_DIR.test(p) && !p.endsWith('tombstones'));
  }
  await server.proc.stop();
  return dirBytes(dir, (p) => ULID_DIR.test(p) && !p.includes('/wal/') && !p.endsWith('tombstones') && !p.includes('/thanos/'));
}

async function sendRound(client: RemoteWriteClient, bodies: Uint8Array[], concurrency: number): Promise<{ ok: number; errors: number }> {
  let i = 0;
  let ok = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < bodies.length) {
        const r = await client.send(bodies[i++]!);
        if (r.status >= 200 && r.status < 300) ok++;
        else {
          errors++;
          if (errors < 3) process.stderr.write(`  write error ${r.status}: ${r.body.slice(0, 200)}\n`);
        }
      }
    }),
  );
  return { ok, errors };
}

async function measure(server: Server, dir: string, rounds: Uint8Array[][], perReq: number, series: number, concurrency: number): Promise<IngestResult> {
  const client = new RemoteWriteClient({ url: server.writeURL, maxSockets: concurrency, timeoutMs: 120_000 });
  await new Promise((r) => setTimeout(r, 1000));
  const rss0 = rssBytes(server.pid);
  // Round 0 creates the series.
  await sendRound(client, rounds[0]!, concurrency);
  const cpu0 = cpuSeconds(server.pid);
  const t0 = performance.now();
  let samples = 0;
  let errors = 0;
  for (let r = 1; r < rounds.length; r++) {
    const res = await sendRound(client, rounds[r]!, concurrency);
    samples += res.ok * perReq;
    errors += res.errors;
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(server.pid) - cpu0;
  await new Promise((r) => setTimeout(r, 2000));
  const rss1 = rssBytes(server.pid);
  client.close();
  const samplesTotal = samples + series; // round 0 included
  const disk = await persistedBytes(server, dir);
  return {
    samplesTotal,
    diskBytesPerSample: disk / samplesTotal,
    name: server.name,
    samplesPerSec: samples / secs,
    samplesPerCpuSec: samples / cpu,
    cpuCores: cpu / secs,
    rssPerSeries: (rss1 - rss0) / series,
    rssAfter: rss1,
    errors,
  };
}

export async function runIngestBench(opts: { series?: number; perReq?: number; rounds?: number; concurrency?: number } = {}): Promise<IngestResult[]> {
  const series = opts.series ?? 100_000;
  const perReq = opts.perReq ?? 2000;
  const nRounds = opts.rounds ?? 21;
  const concurrency = opts.concurrency ?? 4;
  process.stderr.write(`ingest: pre-encoding ${nRounds} rounds of ${series} series in requests of ${perReq} samples…\n`);
  const rounds = buildRounds(series, perReq, nRounds, Date.now() - nRounds * 15_000);
  const results: IngestResult[] = [];
  for (const start of [startPrometheusServer, startStrataReceive]) {
    const dir = await mkdtemp(join(tmpdir(), 'strata-bench-ingest-'));
    const server = await start(dir);
    try {
      process.stderr.write(`ingest: ${server.name} (pid ${server.pid})…\n`);
      results.push(await measure(server, dir, rounds, perReq, series, concurrency));
    } finally {
      await server.proc.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return results;
}

export function reportIngest(rs: IngestResult[]): string {
  const p = rs.find((r) => r.name === 'prometheus')!;
  const s = rs.find((r) => r.name === 'strata')!;
  const lines = [
    '## Remote-write ingest (100k active series, 2,000 samples/request)',
    '| | Prometheus 2.42 | Strata | Strata/Prometheus |',
    '|---|---:|---:|---:|',
    `| samples/s (wall) | ${fmt(p.samplesPerSec)} | ${fmt(s.samplesPerSec)} | ${ratio(s.samplesPerSec, p.samplesPerSec)} |`,
    `| samples per server CPU-second | ${fmt(p.samplesPerCpuSec)} | ${fmt(s.samplesPerCpuSec)} | ${ratio(s.samplesPerCpuSec, p.samplesPerCpuSec)} (target ≥ 1.25×) |`,
    `| server cores busy | ${fmt(p.cpuCores, 2)} | ${fmt(s.cpuCores, 2)} | |`,
    `| RSS growth per active series (bytes) | ${fmt(p.rssPerSeries)} | ${fmt(s.rssPerSeries)} | ${ratio(s.rssPerSeries, p.rssPerSeries)} (target ≤ 1.0×) |`,
    `| RSS after (MiB) | ${fmt(p.rssAfter / 2 ** 20)} | ${fmt(s.rssAfter / 2 ** 20)} | |`,
    `| failed requests | ${p.errors} | ${s.errors} | |`,
    `| block bytes on disk per sample (same ${fmt(s.samplesTotal)} samples; Prometheus: admin snapshot) | ${fmt(p.diskBytesPerSample, 2)} | ${fmt(s.diskBytesPerSample, 2)} | ${ratio(s.diskBytesPerSample, p.diskBytesPerSample)} (target ≤ 1.0×) |`,
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rs = await runIngestBench();
  console.log(reportIngest(rs));
}
