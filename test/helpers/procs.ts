// Helpers for integration tests that start real processes (strata, Prometheus) on 127.0.0.1 with
// ephemeral ports and temp dirs, and always stop them by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const STRATA_BIN = join(REPO, 'bin', 'strata.js');

export async function tempDir(prefix: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `strata-${prefix}-`));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** Below Linux' default ephemeral range (32768–60999), which outgoing connections take their ports from. */
const PORT_MIN = 20000;
const PORT_MAX = 32767;

function tryListen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = net.createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/**
 * A port that was free a moment ago, for a child process to listen on. Picked at random below the
 * ephemeral range: a port the OS handed out for bind(0) could be taken by an outgoing connection
 * (a local port from the same range) before the child binds it — that made a test fail with
 * EADDRINUSE under load.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN + 1));
    if (await tryListen(p)) return p;
  }
  throw new Error(`no free port in ${PORT_MIN}-${PORT_MAX}`);
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  output: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop: (graceMs?: number) => Promise<number | string>;
  kill9: () => Promise<number | string>;
}

export function startProcess(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Proc {
  const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((res) => child.on('exit', (code, sig) => res(code ?? sig ?? -1)));
  const p: Proc = {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
  return p;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    const r = await fetch(url);
    return r.ok;
  } catch {
    return false;
  }
}

export async function getJSON<T = unknown>(url: string): Promise<T> {
  const r = await fetch(url);
  const body = await r.text();
  if (!r.ok) throw new Error(`GET ${url}: ${r.status} ${body}`);
  return JSON.parse(body) as T;
}

export interface StrataReceive {
  proc: Proc;
  rwURL: string;
  httpURL: string;
  dataDir: string;
}

/** Starts `strata receive` with free ports and waits until /-/ready. */
export async function startReceive(dataDir: string, extraArgs: string[] = []): Promise<StrataReceive> {
  const rwPort = await freePort();
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const proc = startProcess(process.execPath, [
    STRATA_BIN,
    'receive',
    `--tsdb.path=${dataDir}`,
    `--remote-write.address=127.0.0.1:${rwPort}`,
    `--http-address=127.0.0.1:${httpPort}`,
    `--grpc-address=127.0.0.1:${grpcPort}`,
    '--log.format=json',
    ...extraArgs,
  ]);
  const httpURL = `http://127.0.0.1:${httpPort}`;
  await waitFor('strata receive to be ready', async () => {
    if (proc.child.exitCode !== null) throw new Error(`strata receive exited: ${proc.output()}`);
    return httpOk(`${httpURL}/-/ready`);
  }, 60_000);
  return { proc, rwURL: `http://127.0.0.1:${rwPort}/api/v1/receive`, httpURL, dataDir };
}

export interface StrataQuery {
  proc: Proc;
  httpURL: string;
  /** host:port of its StoreAPI. */
  grpc: string;
}

/** Starts `strata query` with free ports and the given flags (endpoints etc.), waits until /-/ready. */
export async function startQuery(flags: string[]): Promise<StrataQuery> {
  const hp = await freePort();
  const gp = await freePort();
  const proc = startProcess(process.execPath, [
    STRATA_BIN,
    'query',
    `--http-address=127.0.0.1:${hp}`,
    `--grpc-address=127.0.0.1:${gp}`,
    '--log.format=json',
    ...flags,
  ]);
  const httpURL = `http://127.0.0.1:${hp}`;
  await waitFor('strata query ready', async () => {
    if (proc.child.exitCode !== null) throw new Error(`strata query exited: ${proc.output()}`);
    return httpOk(`${httpURL}/-/ready`);
  }, 60_000, 100);
  return { proc, httpURL, grpc: `127.0.0.1:${gp}` };
}

export interface PrometheusServer {
  proc: Proc;
  url: string;
  dataDir: string;
}

/** Starts Debian's Prometheus with the given YAML config on a free port; waits until ready. */
export async function startPrometheus(dir: string, configYAML: string, extraArgs: string[] = []): Promise<PrometheusServer> {
  const port = await freePort();
  const cfg = join(dir, 'prometheus.yml');
  await writeFile(cfg, configYAML);
  const dataDir = join(dir, 'prom-data');
  const proc = startProcess('prometheus', [
    `--config.file=${cfg}`,
    `--storage.tsdb.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
    ...extraArgs,
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor('prometheus to be ready', async () => {
    if (proc.child.exitCode !== null) throw new Error(`prometheus exited: ${proc.output()}`);
    return httpOk(`${url}/-/ready`);
  }, 60_000);
  return { proc, url, dataDir };
}

/** Parses a Prometheus text exposition and returns the sum of all samples of `metric` (all label sets). */
export function sumMetric(exposition: string, metric: string, labelFilter?: (labels: string) => boolean): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== metric) continue;
    if (labelFilter && !labelFilter(m[2] ?? '')) continue;
    sum += Number(m[3]);
  }
  return sum;
}

/** Sends SIGTERM to every process; used in `after` hooks. */
export async function stopAll(...procs: (Proc | undefined | null)[]): Promise<void> {
  await Promise.all(procs.filter((p): p is Proc => !!p).map((p) => p.stop()));
}
