// The `strata` command line: one binary, a subcommand per component, flags named as in Thanos.
import { Command, InvalidArgumentError, Option } from 'commander';
import { VERSION, REVISION } from '../version.ts';
import { address, bytesOption, collect, durationOption, labelFlag, positiveInt } from './flags.ts';

const program = new Command();
program
  .name('strata')
  .description(
    'Strata: a Thanos-compatible, horizontally scalable long-term metrics system.\n' +
      'Prometheus remote-writes to `strata receive`; blocks go to object storage; `strata query` answers PromQL.',
  )
  .version(`strata ${VERSION} (revision ${REVISION})`, '--version')
  .showHelpAfterError('(add --help for usage)')
  .enablePositionalOptions();

function logFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--log.level <level>', 'log filtering level').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .addOption(new Option('--log.format <format>', 'log format: JSON lines or logfmt').choices(['json', 'logfmt']).default('logfmt'));
}

function objstoreFlags(cmd: Command, defaultHelp: string): Command {
  return cmd
    .option('--objstore.config-file <path>', `path to a Thanos objstore YAML file (type: FILESYSTEM|S3, config: …); ${defaultHelp}`)
    .option('--objstore.config <yaml>', 'the same objstore YAML given inline (alternative to --objstore.config-file); $(ENV) references are expanded');
}

function tsdbFlags(cmd: Command): Command {
  return cmd
    .addOption(durationOption('--tsdb.block-duration <duration>', 'length of the blocks cut from the head, aligned to multiples of it (use small values like 30s only for tests)', '2h'))
    .addOption(durationOption('--tsdb.retention <duration>', 'how long blocks stay on local disk after upload (0 keeps them until uploaded only)', '6h'))
    .option('--tsdb.wal-fsync', 'fdatasync the WAL (group commit) before acknowledging a write: survives power loss, not only process crashes', false)
    .option('--receive.tenant-header <name>', 'HTTP header that selects the tenant of a remote write', 'THANOS-TENANT')
    .option('--receive.default-tenant-id <id>', 'tenant used when the request has no tenant header', 'default-tenant')
    .option('--receive.tenant-label-name <name>', 'external label that carries the tenant on every series', 'tenant_id')
    .addOption(bytesOption('--receive.max-request-bytes <size>', 'largest accepted remote-write body after decompression (413 above)', '32MiB'));
}

/** `--endpoint-strict`: host:port only; Thanos refuses service-discovery names in strict mode. */
function strictEndpoint(v: string, prev: string[] = []): string[] {
  if (v.includes('+')) throw new InvalidArgumentError(`${v} is a dynamically specified endpoint i.e. it uses SD and that is not permitted under strict mode.`);
  return collect(address(v), prev);
}

function queryFlags(cmd: Command): Command {
  return cmd
    .addOption(durationOption('--query.lookback-delta <duration>', 'how far back PromQL looks for the latest sample of a series', '5m'))
    .addOption(durationOption('--query.timeout <duration>', 'maximum time a query may run', '2m'))
    .option('--query.max-samples <n>', 'maximum number of samples a query may load into memory at once', positiveInt, 50_000_000);
}

logFlags(
  tsdbFlags(
    queryFlags(
      objstoreFlags(
        program
          .command('all')
          .description('run every component in one process: receiver, querier + HTTP API, store and compactor over a local bucket (what `npm start` runs)')
          .option('--data-dir <path>', 'directory for WAL, head, local blocks and the default filesystem bucket', './data')
          .option('--http-address <host:port>', 'HTTP API, UI, /metrics and remote-write read endpoints', address, '127.0.0.1:10902')
          .option('--grpc-address <host:port>', 'StoreAPI gRPC listen address', address, '127.0.0.1:10901')
          .option('--remote-write.address <host:port>', 'address for Prometheus remote_write (POST /api/v1/receive)', address, '127.0.0.1:19291')
          .option('--label <k="v">', 'external label added to every series (repeatable), e.g. --label \'replica="a"\'', labelFlag, [])
          .option('--demo', 'also run a built-in writer that remote-writes multi-cluster demo traffic through the HTTP endpoint', false)
          .addOption(durationOption('--demo.interval <duration>', 'how often the demo writer sends one sample per series', '5s')),
        'default: a filesystem bucket in <data-dir>/bucket',
      ),
    ),
  ),
).action(async (opts: Record<string, unknown>) => {
  const { runAll } = await import('./all.ts');
  await runAll(opts);
});

logFlags(
  tsdbFlags(
    objstoreFlags(
      program
        .command('receive')
        .description('accept Prometheus remote_write, keep a WAL and an in-memory head per tenant, cut 2h blocks and upload them to the bucket')
        .option('--tsdb.path <path>', 'directory for the per-tenant WAL, head and local blocks', './data')
        .option('--remote-write.address <host:port>', 'address for Prometheus remote_write (POST /api/v1/receive); use 0.0.0.0:19291 in deployments', address, '127.0.0.1:19291')
        .option('--http-address <host:port>', 'HTTP address for /metrics, health, and the series/labels read API', address, '127.0.0.1:10902')
        .option('--grpc-address <host:port>', 'StoreAPI gRPC listen address', address, '127.0.0.1:10901')
        .option('--label <k="v">', 'external label added to every series (repeatable), e.g. --label \'replica="a"\'', labelFlag, [])
        .option('--receive.hashrings-file <path>', 'hashring configuration (Thanos JSON) distributing series across receivers; watched and reloaded on change')
        .option('--receive.hashrings <content>', 'the hashring configuration given inline (alternative to --receive.hashrings-file, lower priority)')
        .addOption(new Option('--receive.hashrings-algorithm <algorithm>', 'how series are placed in a hashring (a hashring\'s "algorithm" field overrides it)').choices(['hashmod', 'ketama']).default('hashmod'))
        .addOption(durationOption('--receive.hashrings-file-refresh-interval <duration>', 'how often the hashrings file is re-read besides file-change notifications', '5m'))
        .option('--receive.replication-factor <n>', 'how many receivers of the hashring each series is written to; a write succeeds when R/2+1 of them stored it (1 for R=2)', positiveInt, 1)
        .option('--receive.local-endpoint <host:port>', 'this receiver\'s endpoint as named in the hashring (its --grpc-address as peers reach it); without it, a receiver with a hashring is a router only and stores nothing')
        .addOption(durationOption('--receive-forward-timeout <duration>', 'timeout of each request forwarded to another receiver', '5s'))
        .option('--remote-write.server-tls-cert <path>', 'TLS certificate (PEM) for the remote-write endpoint; with the key, it serves HTTPS')
        .option('--remote-write.server-tls-key <path>', 'TLS private key (PEM) for the remote-write endpoint')
        .option('--remote-write.server-tls-client-ca <path>', 'CA (PEM) that must have signed the client certificate of every remote write (mutual TLS)'),
      'without it, blocks stay on local disk (nothing is uploaded)',
    ),
  ),
).action(async (opts: Record<string, unknown>) => {
  const { runReceive } = await import('./receive.ts');
  await runReceive(opts);
});

logFlags(
  objstoreFlags(
    program
      .command('store')
      .description('store gateway: serve the blocks in the bucket over the StoreAPI, reading index and chunks by range with caches')
      .option('--data-dir <path>', 'local cache directory for index headers', './data/store')
      .option('--http-address <host:port>', 'HTTP address for /metrics and health', address, '127.0.0.1:10902')
      .option('--grpc-address <host:port>', 'StoreAPI gRPC listen address', address, '127.0.0.1:10901')
      .addOption(durationOption('--sync-block-duration <duration>', 'how often to sync block metas from the bucket', '3m'))
      .addOption(bytesOption('--index-cache-size <size>', 'size of the in-memory LRU cache for postings and series', '250MiB'))
      .option('--min-time <time>', 'serve only blocks newer than this (RFC3339 or relative duration like -2w)')
      .option('--max-time <time>', 'serve only blocks older than this (RFC3339 or relative duration like -1d)'),
    'required',
  ),
).action(async (opts: Record<string, unknown>) => {
  const { runStore } = await import('./store.ts');
  await runStore(opts);
});

logFlags(
  queryFlags(
    program
      .command('query')
      .description('querier: fan out to StoreAPI endpoints, deduplicate replicas, evaluate PromQL, serve the Prometheus HTTP API and UI')
      .option('--http-address <host:port>', 'HTTP API and UI', address, '127.0.0.1:10902')
      .option('--grpc-address <host:port>', 'StoreAPI gRPC listen address', address, '127.0.0.1:10901')
      .option(
        '--endpoint <endpoint>',
        "Addresses of statically configured Thanos API servers (repeatable). The scheme may be prefixed with 'dns+' or 'dnssrv+' to detect Thanos API servers through respective DNS lookups. Used only while their health check (Info) succeeds",
        collect,
        [],
      )
      .option('--endpoint-strict <endpoint-strict>', 'Addresses of only statically configured Thanos API servers that are always used, even if the health check fails. Useful if you have a caching layer on top (repeatable)', strictEndpoint, [])
      .option('--endpoint.sd-files <path>', 'file SD files with endpoints (repeatable; reloaded on change); their endpoints are used only while healthy, like --endpoint', collect, [])
      .addOption(durationOption('--store.unhealthy-timeout <duration>', 'Timeout before an unhealthy store is cleaned from the store UI page.', '5m'))
      .addOption(durationOption('--store.sd-dns-interval <duration>', 'Interval between DNS resolutions.', '30s'))
      .addOption(durationOption('--endpoint.info-timeout <duration>', 'Timeout of gRPC Info requests (also the health-check interval).', '5s').hideHelp())
      .option('--query.replica-label <name>', 'label to deduplicate replicas on (repeatable)', collect, [])
      .addOption(new Option('--deduplication.func <func>', 'deduplication algorithm over --query.replica-label replicas: "penalty" (Thanos\' default, switches replica only after a gap) or "chain" (merge all replicas\' samples)').choices(['penalty', 'chain']).default('penalty'))
      .option('--query.partial-response', 'answer with the data that is available (and a warning) when some endpoints fail', true)
      .option('--no-query.partial-response', 'fail the query when an endpoint fails')
      .option('--query.auto-downsampling', 'pick a downsampled resolution automatically from the query step', false)
      .option('--no-query.dynamic-lookback-delta', 'keep --query.lookback-delta even when 1h-downsampled data may be read (by default it grows to 1h then, as Thanos)'),
  ),
).action(async (opts: Record<string, unknown>) => {
  const { runQuery } = await import('./query.ts');
  await runQuery(opts);
});

logFlags(
  objstoreFlags(
    program
      .command('compact')
      .description('compactor: merge blocks into larger ones, deduplicate overlaps, downsample, apply retention, delete marked blocks')
      .option('--data-dir <path>', 'scratch directory for compaction', './data/compact')
      .option('--http-address <host:port>', 'HTTP address for /metrics and health', address, '127.0.0.1:10902')
      .option('--wait', 'keep running and compact every --wait-interval instead of exiting after one pass', false)
      .addOption(durationOption('--wait-interval <duration>', 'interval between passes with --wait', '5m'))
      .addOption(durationOption('--consistency-delay <duration>', 'minimum age of fresh blocks before they are touched', '30m'))
      .addOption(durationOption('--delete-delay <duration>', 'time between marking a block for deletion and deleting it', '48h'))
      .addOption(durationOption('--retention.resolution-raw <duration>', 'retention of raw data (0 = forever)', '0s'))
      .addOption(durationOption('--retention.resolution-5m <duration>', 'retention of 5m-downsampled data (0 = forever)', '0s'))
      .addOption(durationOption('--retention.resolution-1h <duration>', 'retention of 1h-downsampled data (0 = forever)', '0s'))
      .option('--deduplication.replica-label <name>', 'label whose replicas are merged during vertical compaction (repeatable)', collect, [])
      .addOption(new Option('--deduplication.func <func>', 'deduplication algorithm for replicas merged by vertical compaction: "" (default, as Thanos: one-to-one merge of identical samples, same as "chain") or "penalty" (Thanos\' penalty algorithm, for HA replicas with gaps)').choices(['', 'penalty', 'chain']).default(''))
      .option('--downsampling.disable', 'do not downsample', false)
      .option('--compact.concurrency <n>', 'number of groups compacted at the same time', positiveInt, 1)
      .option('--compact.enable-vertical-compaction', 'merge overlapping blocks of one group (implied by --deduplication.replica-label)', false)
      .option('--block-files-concurrency <n>', 'number of files of one block uploaded or downloaded at the same time', positiveInt, 1),
    'required',
  ),
).action(async (opts: Record<string, unknown>) => {
  const { runCompact } = await import('./compact.ts');
  await runCompact(opts);
});

const tools = program.command('tools').description('tools for operators: bucket inspection, load generation');
tools
  .command('bench')
  .description('remote-write load generator: sends synthetic series to a receiver and reports samples/s')
  .option('--url <url>', 'remote-write URL', 'http://127.0.0.1:19291/api/v1/receive')
  .option('--series <n>', 'active series', positiveInt, 100_000)
  .option('--samples-per-request <n>', 'samples in each request', positiveInt, 2000)
  .addOption(durationOption('--duration <duration>', 'how long to send', '30s'))
  .option('--concurrency <n>', 'requests in flight', positiveInt, 4)
  .option('--tenant <id>', 'tenant header value')
  .action(async (opts: Record<string, unknown>) => {
    const { runBenchTool } = await import('./tools-bench.ts');
    await runBenchTool(opts);
  });

const bucketTools = tools.command('bucket').description('inspect, verify and import blocks in object storage (Thanos bucket layout)');
objstoreFlags(
  bucketTools
    .command('ls')
    .description('list all blocks in the bucket: ULID, time range, level, resolution, series/samples, labels')
    .addOption(new Option('-o, --output <format>', 'output format: a table, or one meta.json per line').choices(['table', 'json']).default('table')),
  'required',
).action(async (opts: Record<string, unknown>) => {
  const { runBucketLs } = await import('./tools-bucket.ts');
  await runBucketLs(opts);
});
objstoreFlags(
  bucketTools
    .command('inspect')
    .description('show every block with its stats and sizes in a table')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table')),
  'required',
).action(async (opts: Record<string, unknown>) => {
  const { runBucketInspect } = await import('./tools-bucket.ts');
  await runBucketInspect(opts);
});
objstoreFlags(
  bucketTools
    .command('verify')
    .description('read every block through ranged reads and check index and chunk invariants (exit 1 on issues)')
    .option('--id <ulid>', 'verify only this block (repeatable)', collect, []),
  'required',
).action(async (opts: Record<string, unknown>) => {
  const { runBucketVerify } = await import('./tools-bucket.ts');
  await runBucketVerify(opts);
});
objstoreFlags(
  bucketTools
    .command('upload-prometheus')
    .description('upload the blocks of a Prometheus data directory like a sidecar: Thanos meta with the given external labels, source "sidecar", meta.json last; blocks already in the bucket are skipped')
    .argument('<prometheus-data-dir>', 'Prometheus TSDB directory holding <ULID>/ block directories')
    .option('--label <k="v">', 'external label of the uploaded blocks (repeatable, at least one)', labelFlag, []),
  'required',
).action(async (dir: string, opts: Record<string, unknown>) => {
  const { runBucketUploadPrometheus } = await import('./tools-bucket.ts');
  await runBucketUploadPrometheus(dir, opts);
});


await program.parseAsync(process.argv);
