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
