// Shared benchmark helpers: process CPU/RSS from /proc, starting Strata and Prometheus, reporting.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, httpOk, startProcess, STRATA_BIN, waitFor, type Proc } from '../test/helpers/procs.ts';

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user+system) used so far by a process. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

/** Resident set size in bytes. */
export function rssBytes(pid: number): number {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(s);
  return m ? Number(m[1]) * 1024 : 0;
}

export interface Server {
  name: string;
  proc: Proc;
  writeURL: string;
  queryURL: string;
  pid: number;
}

export async function startStrataReceive(dir: string, extra: string[] = []): Promise<Server> {
  const rw = await freePort();
  const http = await freePort();
  const grpc = await freePort();
  const proc = startProcess(process.execPath, [
    STRATA_BIN, 'receive', `--tsdb.path=${dir}`, `--remote-write.address=127.0.0.1:${rw}`,
    `--http-address=127.0.0.1:${http}`, `--grpc-address=127.0.0.1:${grpc}`, '--log.level=warn', ...extra,
  ]);
  await waitFor('strata ready', async () => {
    if (proc.child.exitCode !== null) throw new Error(proc.output());
    return httpOk(`http://127.0.0.1:${http}/-/ready`);
  }, 60_000);
  return { name: 'strata', proc, pid: proc.pid, writeURL: `http://127.0.0.1:${rw}/api/v1/receive`, queryURL: `http://127.0.0.1:${http}` };
}

export async function startPrometheusServer(dir: string, extra: string[] = []): Promise<Server> {
  const port = await freePort();
  const { writeFileSync } = await import('node:fs');
  const cfg = join(dir, 'prometheus.yml');
  writeFileSync(cfg, 'global:\n  scrape_interval: 1h\n');
  const proc = startProcess('prometheus', [
    `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-remote-write-receiver', '--web.enable-admin-api', '--log.level=warn', ...extra,
  ]);
  await waitFor('prometheus ready', async () => {
    if (proc.child.exitCode !== null) throw new Error(proc.output());
    return httpOk(`http://127.0.0.1:${port}/-/ready`);
  }, 60_000);
  return { name: 'prometheus', proc, pid: proc.pid, writeURL: `http://127.0.0.1:${port}/api/v1/write`, queryURL: `http://127.0.0.1:${port}` };
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`;
}

/** Peak resident set size (VmHWM) in bytes since the process started. */
export function peakRssBytes(pid: number): number {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(s);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Total bytes of the regular files under a directory (recursively). */
export async function dirBytes(dir: string): Promise<number> {
  const { readdir, stat } = await import('node:fs/promises');
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += (await stat(join(e.parentPath, e.name))).size;
  }
  return n;
}

export interface StrataComponent {
  proc: Proc;
  pid: number;
  httpURL: string;
  grpcAddress: string;
}

/** `strata store` over a filesystem bucket directory, ready when /-/ready answers. `nodeArgs` go to node (e.g. --cpu-prof). */
export async function startStrataStore(bucketDir: string, dataDir: string, extra: string[] = [], nodeArgs: string[] = []): Promise<StrataComponent> {
  const http = await freePort();
  const grpc = await freePort();
  const proc = startProcess(process.execPath, [
    ...nodeArgs, STRATA_BIN, 'store', `--objstore.config=type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`, `--data-dir=${dataDir}`,
    `--http-address=127.0.0.1:${http}`, `--grpc-address=127.0.0.1:${grpc}`, '--log.level=warn', ...extra,
  ]);
  await waitFor('strata store ready', async () => {
    if (proc.child.exitCode !== null) throw new Error(proc.output());
    return httpOk(`http://127.0.0.1:${http}/-/ready`);
  }, 300_000, 100);
  return { proc, pid: proc.pid, httpURL: `http://127.0.0.1:${http}`, grpcAddress: `127.0.0.1:${grpc}` };
}

/** `strata query` in front of the given StoreAPI endpoints, ready when /-/ready answers. */
export async function startStrataQuery(endpoints: string[], extra: string[] = [], nodeArgs: string[] = []): Promise<StrataComponent> {
  const http = await freePort();
  const grpc = await freePort();
  const proc = startProcess(process.execPath, [
    ...nodeArgs, STRATA_BIN, 'query', ...endpoints.map((e) => `--endpoint=${e}`),
    `--http-address=127.0.0.1:${http}`, `--grpc-address=127.0.0.1:${grpc}`, '--log.level=warn', ...extra,
  ]);
  await waitFor('strata query ready', async () => {
    if (proc.child.exitCode !== null) throw new Error(proc.output());
    return httpOk(`http://127.0.0.1:${http}/-/ready`);
  }, 60_000, 100);
  return { proc, pid: proc.pid, httpURL: `http://127.0.0.1:${http}`, grpcAddress: `127.0.0.1:${grpc}` };
}

/** The parts of a V8 CPU profile (`.cpuprofile`, Profiler.stop) that topSelfTime reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Functions with the most self time in a CPU profile (idle time excluded from the shares). */
export function topSelfTime(p: CpuProfile, top = 10): { name: string; ms: number; share: number }[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]!);
    if (!n) continue;
    const f = n.callFrame;
    if (f.functionName === '(idle)') continue;
    const file = f.url.split('/').slice(-2).join('/');
    const k = `${f.functionName || '(anonymous)'}${file ? ` (${file})` : ''}`;
    const d = p.timeDeltas[i] ?? 0;
    self.set(k, (self.get(k) ?? 0) + d);
    total += d;
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, share: total ? us / total : 0 }));
}
