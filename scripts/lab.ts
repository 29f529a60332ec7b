// `npm run lab`: the Strata architecture on one machine with real processes.
//
//   3 node exporters (Debian prometheus-node-exporter), one per "cluster"
//   4 Prometheus servers (Debian prometheus): eu-1 is an HA pair (replica="a" / "b", identical
//     configs), us-1 and ap-1 are single servers; each scrapes its cluster's node exporter, the
//     Prometheus servers of its cluster and every Strata component's /metrics, and remote-writes
//     to `strata receive` with retry_on_http_429: true
//   strata receive  → ships blocks to the bucket (filesystem in <data-dir>/bucket, or --objstore.config-file)
//   strata store    → serves the bucket's blocks over the StoreAPI
//   strata compact --wait → compacts / downsamples the bucket
//   strata query --query.replica-label=replica → the PromQL API and UI over receive + store
//
// Every child runs in its own process group with its log in <data-dir>/logs/; Ctrl-C (SIGINT),
// SIGTERM or SIGHUP stops them all (Prometheus first, the receiver last so it flushes and ships its
// head), waits for every PID to exit and exits 0. A second signal kills what is left with SIGKILL.
// When everything is up, the lab prints the URLs and a line `LAB_READY <json>` (also written to
// <data-dir>/lab.json) with the URLs and PIDs.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, openSync, readFileSync, closeSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';

export const REPO = resolve(import.meta.dirname, '..');
const STRATA_BIN = join(REPO, 'bin', 'strata.js');

/** The lab's clusters and their Prometheus servers (replica = '' means a single server without a replica label). */
export const LAB_CLUSTERS: readonly { cluster: string; replicas: readonly string[] }[] = [
  { cluster: 'eu-1', replicas: ['a', 'b'] },
  { cluster: 'us-1', replicas: [''] },
  { cluster: 'ap-1', replicas: [''] },
];

/** What the lab writes to <data-dir>/lab.json and prints after `LAB_READY `. */
export interface LabInfo {
  dataDir: string;
  bucket: string;
  queryURL: string;
  receiveURL: string;
  remoteWriteURL: string;
  storeURL: string | null;
  compactURL: string | null;
  prometheus: { name: string; cluster: string; replica: string; url: string }[];
  nodeExporters: { cluster: string; url: string }[];
  /** Every child the lab started: name → PID. */
  pids: Record<string, number>;
  /** Components that could not run (placeholders), with the reason. */
  missing: string[];
  /** Clusters visible through the querier when the lab reported ready. */
  clustersVisible: string[];
}

interface Ports {
  queryHttp: number;
  queryGrpc: number;
  receiveRw: number;
  receiveHttp: number;
  receiveGrpc: number;
  storeHttp: number;
  storeGrpc: number;
  compactHttp: number;
  prometheus: number[]; // one per Prometheus server, in LAB_CLUSTERS order
  node: number[]; // one per cluster
}

function log(msg: string): void {
  process.stdout.write(`lab: ${msg}\n`);
}

function fail(msg: string, code = 1): never {
  process.stderr.write(`lab: ${msg}\n`);
  process.exit(code);
}

/** Parses 5s / 2m / 1h / 500ms into milliseconds. */
function durationMs(s: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(s);
  if (!m) throw new Error(`invalid duration ${JSON.stringify(s)} (use e.g. 5s, 2m)`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[m[2] as 'ms' | 's' | 'm' | 'h'];
}

function promDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

// ---------------------------------------------------------------------------------------------
// Prerequisites

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** Checks node ≥ 20, prometheus and prometheus-node-exporter; prints exactly what to install. */
export function checkPrerequisites(): { prometheus: string; nodeExporter: string } {
  const problems: string[] = [];
  const packages: string[] = [];
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) problems.push(`Node.js ${process.versions.node} is too old: Strata needs Node.js 20 or newer (Debian 13: apt-get install -y nodejs; else https://nodejs.org)`);
  const prometheus = findOnPath('prometheus');
  if (!prometheus) {
    problems.push('prometheus is not installed (the lab runs four Prometheus servers)');
    packages.push('prometheus');
  }
  const nodeExporter = findOnPath('prometheus-node-exporter') ?? findOnPath('node_exporter');
  if (!nodeExporter) {
    problems.push('prometheus-node-exporter is not installed (the lab runs one node exporter per cluster)');
    packages.push('prometheus-node-exporter');
  }
  if (problems.length > 0) {
    const lines = problems.map((p) => `  - ${p}`);
    if (packages.length > 0) lines.push('', 'Install the missing packages (Debian/Ubuntu):', '', `  sudo apt-get install -y ${packages.join(' ')}`, '');
    fail(`missing prerequisites:\n${lines.join('\n')}`, 2);
  }
  return { prometheus: prometheus!, nodeExporter: nodeExporter! };
}

// ---------------------------------------------------------------------------------------------
// Ports

async function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = net.createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

async function ephemeralPort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

const PROM_COUNT = LAB_CLUSTERS.reduce((n, c) => n + c.replicas.length, 0);

/** Fixed offsets from --ports-base (query HTTP = base), or ephemeral ports with --ports-base=0. */
async function allocatePorts(base: number): Promise<Ports> {
  if (base === 0) {
    const used = new Set<number>();
    const next = async (): Promise<number> => {
      for (;;) {
        const p = await ephemeralPort();
        if (!used.has(p)) {
          used.add(p);
          return p;
        }
      }
    };
    const ports: Ports = {
      queryHttp: await next(), queryGrpc: await next(), receiveRw: await next(), receiveHttp: await next(), receiveGrpc: await next(),
      storeHttp: await next(), storeGrpc: await next(), compactHttp: await next(), prometheus: [], node: [],
    };
    for (let i = 0; i < PROM_COUNT; i++) ports.prometheus.push(await next());
    for (let i = 0; i < LAB_CLUSTERS.length; i++) ports.node.push(await next());
    return ports;
  }
  const ports: Ports = {
    queryHttp: base, queryGrpc: base + 1, receiveRw: base + 2, receiveHttp: base + 3, receiveGrpc: base + 4,
    storeHttp: base + 5, storeGrpc: base + 6, compactHttp: base + 7,
    prometheus: Array.from({ length: PROM_COUNT }, (_, i) => base + 10 + i),
    node: LAB_CLUSTERS.map((_, i) => base + 20 + i),
  };
  const all = [ports.queryHttp, ports.queryGrpc, ports.receiveRw, ports.receiveHttp, ports.receiveGrpc, ports.storeHttp, ports.storeGrpc, ports.compactHttp, ...ports.prometheus, ...ports.node];
  const busy: number[] = [];
  for (const p of all) if (!(await portFree(p))) busy.push(p);
  if (busy.length > 0) fail(`127.0.0.1 port(s) ${busy.join(', ')} already in use (is another lab running?): stop it or pick other ports with --ports-base <n> (or --ports-base 0 for random ports)`);
  return ports;
}

// ---------------------------------------------------------------------------------------------
// Configuration files

interface PromServer {
  name: string;
  cluster: string;
  replica: string;
  port: number;
}

function promServers(ports: Ports): PromServer[] {
  const out: PromServer[] = [];
  let i = 0;
  for (const c of LAB_CLUSTERS) {
    for (const r of c.replicas) {
      out.push({ name: r ? `prometheus-${c.cluster}-${r}` : `prometheus-${c.cluster}`, cluster: c.cluster, replica: r, port: ports.prometheus[i++]! });
    }
  }
  return out;
}

/** The Prometheus configuration of one server (replicas of one cluster differ only in `replica`). */
export function prometheusConfig(opts: {
  cluster: string;
  replica: string;
  scrapeIntervalMs: number;
  nodeExporter: string;
  prometheusTargets: string[];
  strata: { job: string; target: string }[];
  remoteWriteURL: string;
}): string {
  const iv = promDuration(opts.scrapeIntervalMs);
  const ext = opts.replica ? `{cluster: ${opts.cluster}, replica: "${opts.replica}"}` : `{cluster: ${opts.cluster}}`;
  const lines = [
    `# Generated by scripts/lab.ts: cluster ${opts.cluster}${opts.replica ? `, HA replica ${opts.replica}` : ''}.`,
    'global:',
    `  scrape_interval: ${iv}`,
    `  scrape_timeout: ${promDuration(Math.min(opts.scrapeIntervalMs, 10_000))}`,
    `  evaluation_interval: ${iv}`,
    `  external_labels: ${ext}`,
    'scrape_configs:',
    '  - job_name: node',
    `    static_configs: [{targets: ['${opts.nodeExporter}']}]`,
    '  - job_name: prometheus',
    `    static_configs: [{targets: [${opts.prometheusTargets.map((t) => `'${t}'`).join(', ')}]}]`,
  ];
  for (const s of opts.strata) {
    lines.push(`  - job_name: ${s.job}`, `    static_configs: [{targets: ['${s.target}']}]`);
  }
  lines.push(
    'remote_write:',
    `  - url: ${opts.remoteWriteURL}`,
    '    queue_config:',
    '      retry_on_http_429: true',
    '      batch_send_deadline: 1s',
    '      max_samples_per_send: 2000',
    '      min_backoff: 100ms',
    '      max_backoff: 5s',
    '',
  );
  return lines.join('\n');
}

function filesystemObjstore(dir: string): string {
  return `# Generated by scripts/lab.ts: the lab's filesystem bucket.\ntype: FILESYSTEM\nconfig:\n  directory: ${JSON.stringify(dir)}\n`;
}

/** The state of a `strata <cmd>` implementation: ready, or why the lab can't run it. */
function commandState(cmd: 'receive' | 'store' | 'query' | 'compact'): { ok: true } | { ok: false; why: string } {
  const file = join(REPO, 'src', 'cli', `${cmd}.ts`);
  if (!existsSync(file)) return { ok: false, why: `src/cli/${cmd}.ts does not exist` };
  const src = readFileSync(file, 'utf8');
  if (src.includes('notYet(')) return { ok: false, why: `strata ${cmd} is still a placeholder (src/cli/${cmd}.ts calls notYet)` };
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------
// Children

interface Child {
  name: string;
  /** Stop order: lower stops first. */
  stage: number;
  proc: ChildProcess;
  pid: number;
  logFile: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  done: boolean;
}

const children: Child[] = [];
let shuttingDown = false;

function startChild(name: string, stage: number, cmd: string, args: string[], logDir: string): Child {
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  // Own process group (detached): Ctrl-C reaches only the lab, which stops the children in order;
  // the group id = PID lets the lab signal a child together with anything it started.
  const proc = spawn(cmd, args, { cwd: REPO, stdio: ['ignore', fd, fd], detached: true, env: process.env });
  closeSync(fd);
  if (proc.pid === undefined) fail(`could not start ${name} (${cmd})`);
  const c: Child = {
    name,
    stage,
    proc,
    pid: proc.pid,
    logFile,
    done: false,
    exited: new Promise((res) => {
      proc.on('exit', (code, signal) => {
        c.done = true;
        res({ code, signal });
      });
      proc.on('error', (err) => {
        process.stderr.write(`lab: ${name}: ${err.message}\n`);
      });
    }),
  };
  children.push(c);
  void c.exited.then(({ code, signal }) => {
    if (shuttingDown) return;
    process.stderr.write(`lab: ${name} (pid ${c.pid}) exited unexpectedly (${signal ?? `code ${code}`}); last lines of ${logFile}:\n${tail(logFile, 20)}\n`);
    void shutdown(1);
  });
  return c;
}

function tail(file: string, n: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).map((l) => `    ${l}`).join('\n');
  } catch {
    return '    (no log)';
  }
}

function signalGroup(c: Child, sig: NodeJS.Signals): void {
  if (c.done) return;
  try {
    process.kill(-c.pid, sig);
  } catch {
    try {
      process.kill(c.pid, sig);
    } catch {
      // already gone
    }
  }
}

let shutdownPromise: Promise<void> | null = null;

/** Stops every child stage by stage (SIGTERM, SIGKILL after 30 s), then exits with `code`. */
function shutdown(code: number): Promise<void> {
  if (shutdownPromise) return shutdownPromise;
  shuttingDown = true;
  shutdownPromise = (async () => {
    const stages = [...new Set(children.map((c) => c.stage))].sort((a, b) => a - b);
    for (const st of stages) {
      const group = children.filter((c) => c.stage === st && !c.done);
      if (group.length === 0) continue;
      log(`stopping ${group.map((c) => `${c.name} (pid ${c.pid})`).join(', ')}`);
      for (const c of group) signalGroup(c, 'SIGTERM');
      await Promise.all(
        group.map(async (c) => {
          const t = setTimeout(() => {
            log(`${c.name} (pid ${c.pid}) did not stop within 30s: SIGKILL`);
            signalGroup(c, 'SIGKILL');
          }, 30_000);
          await c.exited;
          clearTimeout(t);
        }),
      );
    }
    log(`all ${children.length} processes stopped`);
    process.exit(code);
  })();
  return shutdownPromise;
}

function installSignalHandlers(): void {
  let signals = 0;
  const on = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      log(`second ${sig}: killing every remaining child with SIGKILL`);
      for (const c of children) signalGroup(c, 'SIGKILL');
      void Promise.all(children.map((c) => c.exited)).then(() => process.exit(1));
      return;
    }
    log(`caught ${sig}: stopping every process the lab started`);
    void shutdown(0);
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  process.on('SIGHUP', on);
}

/** Processes of a previous lab run in the same data dir that are still alive (the lab was SIGKILLed). */
function stopLeftovers(dataDir: string): void {
  const file = join(dataDir, 'lab.json');
  if (!existsSync(file)) return;
  let info: LabInfo;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as LabInfo;
  } catch {
    return;
  }
  for (const [name, pid] of Object.entries(info.pids ?? {})) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // not running
    }
    // Only a process whose command line names this data dir is ours (PIDs get reused).
    if (!cmdline.includes(dataDir)) continue;
    log(`a previous lab left ${name} (pid ${pid}) running: stopping it`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Readiness

async function httpOk(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.ok;
  } catch {
    return false;
  }
}

async function waitReady(c: Child, url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (c.done) return; // the exit handler reports it
    if (await httpOk(url)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  process.stderr.write(`lab: ${c.name} (pid ${c.pid}) not ready at ${url} after ${timeoutMs / 1000}s; last lines of ${c.logFile}:\n${tail(c.logFile, 20)}\n`);
  await shutdown(1);
}

async function clustersVisible(queryURL: string): Promise<string[]> {
  try {
    const r = await fetch(`${queryURL}/api/v1/query?query=${encodeURIComponent('count by (cluster) (up)')}`, { signal: AbortSignal.timeout(5000) });
    const body = (await r.json()) as { status: string; data?: { result: { metric: Record<string, string> }[] } };
    if (body.status !== 'success' || !body.data) return [];
    return body.data.result.map((s) => s.metric.cluster ?? '').filter((c) => c !== '').sort();
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Main

export async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('npm run lab --')
    .description('Strata lab: Prometheus servers of three clusters remote-writing to strata receive; store, compact and query as separate processes.')
    .option('--data-dir <path>', 'directory for every process state, logs and the filesystem bucket', './lab-data')
    .option('--objstore.config-file <path>', 'Thanos objstore YAML (e.g. type: S3) instead of the filesystem bucket in <data-dir>/bucket')
    .option('--ports-base <n>', 'first 127.0.0.1 port: query HTTP = base, +1 query gRPC, +2 remote write, +3/+4 receive HTTP/gRPC, +5/+6 store, +7 compact, +10.. Prometheus, +20.. node exporters; 0 = random free ports', '19100')
    .option('--scrape-interval <duration>', 'Prometheus scrape interval', '5s')
    .option('--block-duration <duration>', 'strata receive block length (blocks are shipped to the bucket when cut)', '5m')
    .option('--store.sync-interval <duration>', 'how often strata store syncs the bucket', '15s')
    .option('--compact.interval <duration>', 'how often strata compact runs a pass', '1m')
    .option('--log.level <level>', 'log level of the Strata processes', 'info')
    .allowExcessArguments(false);
  program.parse(argv, { from: 'user' });
  const o = program.opts<Record<string, string | undefined>>();

  const tools = checkPrerequisites();
  const dataDir = resolve(o.dataDir ?? './lab-data');
  const portsBase = Number(o.portsBase);
  if (!Number.isInteger(portsBase) || portsBase < 0 || portsBase > 65_500) fail(`--ports-base must be 0 or a port number, got ${o.portsBase}`, 2);
  let scrapeMs: number, blockMs: number, storeSyncMs: number, compactMs: number;
  try {
    scrapeMs = durationMs(o.scrapeInterval ?? '5s');
    blockMs = durationMs(o.blockDuration ?? '5m');
    storeSyncMs = durationMs(o['store.syncInterval'] ?? '15s');
    compactMs = durationMs(o['compact.interval'] ?? '1m');
  } catch (e) {
    fail((e as Error).message, 2);
  }
  const logLevel = o['log.level'] ?? 'info';

  mkdirSync(dataDir, { recursive: true });
  stopLeftovers(dataDir);
  const logDir = join(dataDir, 'logs');
  const cfgDir = join(dataDir, 'config');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(cfgDir, { recursive: true });

  // Object storage: the filesystem bucket by default, or the given objstore file (e.g. S3).
  const objstoreFlag = o['objstore.configFile'];
  let objstoreFile: string;
  let bucketDesc: string;
  if (objstoreFlag) {
    objstoreFile = resolve(objstoreFlag);
    if (!existsSync(objstoreFile)) fail(`--objstore.config-file ${objstoreFile} does not exist`, 2);
    bucketDesc = `objstore config ${objstoreFile}`;
  } else {
    const bucketDir = join(dataDir, 'bucket');
    mkdirSync(bucketDir, { recursive: true });
    objstoreFile = join(cfgDir, 'objstore.yml');
    writeFileSync(objstoreFile, filesystemObjstore(bucketDir));
    bucketDesc = `filesystem bucket ${bucketDir}`;
  }

  const ports = await allocatePorts(portsBase);
  const h = (p: number): string => `127.0.0.1:${p}`;
  installSignalHandlers();

  const missing: string[] = [];
  const state = {
    receive: commandState('receive'),
    store: commandState('store'),
    query: commandState('query'),
    compact: commandState('compact'),
  };
  if (!state.receive.ok) fail(`cannot run the lab: ${state.receive.why}`);
  if (!state.query.ok) fail(`cannot run the lab: ${state.query.why}`);
  const strataLog = [`--log.level=${logLevel}`, '--log.format=logfmt'];

  // Stop order: Prometheus servers and node exporters (stage 0), querier (1), store and compactor
  // (2), receiver last (3) so it flushes its head into a block and ships it.
  log(`data dir ${dataDir}; ${bucketDesc}`);

  // Node exporters, one per cluster.
  const nodeExporters: { cluster: string; url: string; child: Child }[] = [];
  LAB_CLUSTERS.forEach((c, i) => {
    const child = startChild(`node-exporter-${c.cluster}`, 0, tools.nodeExporter, [
      `--web.listen-address=${h(ports.node[i]!)}`,
      // No systemd/dbus in containers and on many dev machines: the collector would only log errors.
      '--no-collector.systemd',
    ], logDir);
    nodeExporters.push({ cluster: c.cluster, url: `http://${h(ports.node[i]!)}`, child });
  });

  // strata receive.
  const receiveArgs = [
    'receive',
    `--tsdb.path=${join(dataDir, 'receive')}`,
    `--remote-write.address=${h(ports.receiveRw)}`,
    `--http-address=${h(ports.receiveHttp)}`,
    `--grpc-address=${h(ports.receiveGrpc)}`,
    `--objstore.config-file=${objstoreFile}`,
    `--tsdb.block-duration=${promDuration(blockMs)}`,
    ...strataLog,
  ];
  const receive = startChild('strata-receive', 3, process.execPath, [STRATA_BIN, ...receiveArgs], logDir);

  // strata store.
  let store: Child | null = null;
  if (state.store.ok) {
    store = startChild('strata-store', 2, process.execPath, [
      STRATA_BIN, 'store',
      `--data-dir=${join(dataDir, 'store')}`,
      `--objstore.config-file=${objstoreFile}`,
      `--http-address=${h(ports.storeHttp)}`,
      `--grpc-address=${h(ports.storeGrpc)}`,
      `--sync-block-duration=${promDuration(storeSyncMs)}`,
      ...strataLog,
    ], logDir);
  } else {
    missing.push(state.store.why);
    log(`NOTE: ${state.store.why}: running without the store gateway`);
  }

  // strata compact --wait.
  let compact: Child | null = null;
  if (state.compact.ok) {
    compact = startChild('strata-compact', 2, process.execPath, [
      STRATA_BIN, 'compact', '--wait',
      `--wait-interval=${promDuration(compactMs)}`,
      `--data-dir=${join(dataDir, 'compact')}`,
      `--objstore.config-file=${objstoreFile}`,
      `--http-address=${h(ports.compactHttp)}`,
      // Lab blocks are minutes old at most; Thanos' default 30m would hide them from the compactor.
      '--consistency-delay=30s',
      ...strataLog,
    ], logDir);
  } else {
    missing.push(state.compact.why);
    log(`NOTE: ${state.compact.why}: running without the compactor`);
  }

  const queryURL = `http://${h(ports.queryHttp)}`;
  await Promise.all([
    ...nodeExporters.map((n) => waitReady(n.child, `${n.url}/metrics`)),
    waitReady(receive, `http://${h(ports.receiveHttp)}/-/ready`),
    ...(store ? [waitReady(store, `http://${h(ports.storeHttp)}/-/ready`)] : []),
    ...(compact ? [waitReady(compact, `http://${h(ports.compactHttp)}/-/ready`)] : []),
  ]);
  if (shuttingDown) return;

  // strata query over the receiver and the store gateway.
  const query = startChild('strata-query', 1, process.execPath, [
    STRATA_BIN, 'query',
    `--http-address=${h(ports.queryHttp)}`,
    `--grpc-address=${h(ports.queryGrpc)}`,
    `--endpoint=${h(ports.receiveGrpc)}`,
    ...(store ? [`--endpoint=${h(ports.storeGrpc)}`] : []),
    '--query.replica-label=replica',
    ...strataLog,
  ], logDir);

  await waitReady(query, `${queryURL}/-/ready`);
  if (shuttingDown) return;
  log('Strata components are up; starting Prometheus servers');

  // Prometheus servers.
  const servers = promServers(ports);
  const strataTargets = [
    { job: 'strata-receive', target: h(ports.receiveHttp) },
    ...(store ? [{ job: 'strata-store', target: h(ports.storeHttp) }] : []),
    ...(compact ? [{ job: 'strata-compact', target: h(ports.compactHttp) }] : []),
    { job: 'strata-query', target: h(ports.queryHttp) },
  ];
  const remoteWriteURL = `http://${h(ports.receiveRw)}/api/v1/receive`;
  const promChildren: { s: PromServer; child: Child }[] = [];
  LAB_CLUSTERS.forEach((c, ci) => {
    const mine = servers.filter((s) => s.cluster === c.cluster);
    for (const s of mine) {
      const cfg = join(cfgDir, `${s.name}.yml`);
      writeFileSync(
        cfg,
        prometheusConfig({
          cluster: s.cluster,
          replica: s.replica,
          scrapeIntervalMs: scrapeMs,
          nodeExporter: h(ports.node[ci]!),
          prometheusTargets: mine.map((m) => h(m.port)),
          strata: strataTargets,
          remoteWriteURL,
        }),
      );
      const child = startChild(s.name, 0, tools.prometheus, [
        `--config.file=${cfg}`,
        `--storage.tsdb.path=${join(dataDir, 'prometheus', s.name)}`,
        '--storage.tsdb.retention.time=6h',
        `--web.listen-address=${h(s.port)}`,
        '--log.level=info',
      ], logDir);
      promChildren.push({ s, child });
    }
  });
  await Promise.all(promChildren.map((p) => waitReady(p.child, `http://${h(p.s.port)}/-/ready`)));
  if (shuttingDown) return;

  // Wait until the querier shows every cluster (scrape → remote write → receive → query).
  const want = LAB_CLUSTERS.map((c) => c.cluster).sort();
  const deadline = Date.now() + Math.max(60_000, scrapeMs * 12);
  let seen: string[] = [];
  while (Date.now() < deadline && !shuttingDown) {
    seen = await clustersVisible(queryURL);
    if (want.every((c) => seen.includes(c))) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (shuttingDown) return;
  if (!want.every((c) => seen.includes(c))) {
    log(`WARNING: after ${Math.round((Date.now() - deadline) / 1000 + Math.max(60, (scrapeMs * 12) / 1000))}s the querier shows clusters [${seen.join(', ')}], expected [${want.join(', ')}]; see the logs in ${logDir}`);
  }

  const info: LabInfo = {
    dataDir,
    bucket: bucketDesc,
    queryURL,
    receiveURL: `http://${h(ports.receiveHttp)}`,
    remoteWriteURL,
    storeURL: store ? `http://${h(ports.storeHttp)}` : null,
    compactURL: compact ? `http://${h(ports.compactHttp)}` : null,
    prometheus: promChildren.map((p) => ({ name: p.s.name, cluster: p.s.cluster, replica: p.s.replica, url: `http://${h(p.s.port)}` })),
    nodeExporters: nodeExporters.map((n) => ({ cluster: n.cluster, url: n.url })),
    pids: Object.fromEntries(children.map((c) => [c.name, c.pid])),
    missing,
    clustersVisible: seen,
  };
  writeFileSync(join(dataDir, 'lab.json'), JSON.stringify(info, null, 2) + '\n');

  const row = (what: string, url: string): string => `  ${what.padEnd(34)} ${url}`;
  const lines = [
    '',
    'Strata lab is running.',
    '',
    row('Strata UI (open this)', `${queryURL}/`),
    row('PromQL API (Grafana datasource)', `${queryURL}/api/v1/query?query=up`),
    row('strata receive (remote write)', remoteWriteURL),
    row('strata receive /metrics', `${info.receiveURL}/metrics`),
    ...(info.storeURL ? [row('strata store /metrics', `${info.storeURL}/metrics`)] : []),
    ...(info.compactURL ? [row('strata compact /metrics', `${info.compactURL}/metrics`)] : []),
    ...info.prometheus.map((p) => row(`Prometheus ${p.cluster}${p.replica ? ` replica ${p.replica}` : ''}`, `${p.url}/targets`)),
    ...info.nodeExporters.map((n) => row(`node exporter ${n.cluster}`, `${n.url}/metrics`)),
    '',
    `  Bucket: ${bucketDesc}`,
    `  Logs:   ${logDir}/<process>.log`,
    `  Clusters visible through the querier: ${seen.join(', ') || '(none yet)'}`,
    ...missing.map((m) => `  NOTE: ${m}`),
    '',
    'Press Ctrl-C to stop every process.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  process.stdout.write(`LAB_READY ${JSON.stringify(info)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`lab: ${(e as Error).stack ?? String(e)}\n`);
    void shutdown(1);
  });
}
