import { mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import type { HttpTlsOptions } from '../observability/http.ts';
import { Receiver, type RoutingOptions } from '../receive/receiver.ts';
import { MultiHashring, type Hashring, type HashringAlgorithm } from '../receive/hashring.ts';
import { HashringWatcher } from '../receive/hashring-watcher.ts';
import { createRegistry } from '../observability/metrics.ts';
import { bucketFromFlags } from '../objstore/config.ts';
import type { Bucket } from '../objstore/bucket.ts';
import { loggerFromFlags, opt, receiverOptionsFromFlags, stopOnSignals } from './common.ts';
import { createQueryApiHandler } from './wiring.ts';
import { startReceiveGrpc, type ReceiveGrpcServer } from '../storeapi/receive.ts';

export async function runReceive(opts: Record<string, unknown>): Promise<void> {
  const log = loggerFromFlags(opts, 'receive');
  const registry = createRegistry('receive');
  // Thanos' modes: a hashring and a local endpoint → router + ingestor; a hashring alone → router
  // only (no TSDB); no hashring → ingestor only (writes forwarded to it, or sent to it directly).
  const hashringsFile = opt<string | undefined>(opts, 'receive.hashrings-file');
  const hashringsInline = opt<string | undefined>(opts, 'receive.hashrings');
  const rf = opt<number>(opts, 'receive.replication-factor') ?? 1;
  const localEndpoint = opt<string | undefined>(opts, 'receive.local-endpoint') ?? null;
  const algorithm = (opt<string>(opts, 'receive.hashrings-algorithm') ?? 'hashmod') as HashringAlgorithm;
  if (rf < 1) {
    process.stderr.write('strata receive: --receive.replication-factor must be at least 1\n');
    process.exit(2);
  }
  let routing: RoutingOptions | undefined;
  let watcher: HashringWatcher | null = null;
  let receiverRef: Receiver | null = null;
  if (hashringsFile || hashringsInline) {
    let initial: Hashring | null = null;
    watcher = new HashringWatcher({
      path: hashringsFile ?? null,
      ...(hashringsInline !== undefined ? { content: hashringsInline } : {}),
      refreshInterval: opt<number>(opts, 'receive.hashrings-file-refresh-interval'),
      registry,
      logger: log.child({ component: 'config-watcher' }),
      apply: (cfg) => {
        const ring = new MultiHashring(cfg, algorithm, rf);
        if (localEndpoint !== null && !ring.nodes().some((e) => e.address === localEndpoint)) {
          log.warn({ localEndpoint }, 'the local endpoint is in no hashring: this receiver will only route');
        }
        if (receiverRef?.router) receiverRef.router.setHashring(ring);
        else initial = ring;
      },
    });
    try {
      watcher.load();
    } catch (e) {
      process.stderr.write(`strata receive: invalid hashring configuration: ${(e as Error).message}\n`);
      process.exit(2);
    }
    routing = { hashring: initial!, replicationFactor: rf, localEndpoint, forwardTimeout: opt<number>(opts, 'receive-forward-timeout') };
    log.info({ mode: localEndpoint ? 'RouterIngestor' : 'RouterOnly', replicationFactor: rf, localEndpoint }, 'hashring configuration loaded');
  } else {
    if (rf > 1) {
      process.stderr.write('strata receive: --receive.replication-factor > 1 needs a hashring (--receive.hashrings-file or --receive.hashrings) listing the receivers to replicate to\n');
      process.exit(2);
    }
    log.info({ mode: 'IngestorOnly' }, 'no hashring configured: every series is stored locally');
  }
  const tsdbPath = opt<string>(opts, 'tsdb.path');
  await mkdir(tsdbPath, { recursive: true });
  // Blocks are shipped only when a bucket is configured; otherwise they stay on local disk.
  const cfgFile = opt<string | undefined>(opts, 'objstore.config-file');
  const cfg = opt<string | undefined>(opts, 'objstore.config');
  let bucket: Bucket | null = null;
  if (cfgFile || cfg) {
    bucket = bucketFromFlags({ configFile: cfgFile, config: cfg }, { logger: log.child({ component: 'objstore' }) });
  } else {
    log.info({}, 'no object storage configured: blocks stay on local disk and are not uploaded');
  }
  const remoteWriteTls = remoteWriteTlsFromFlags(opts);
  const receiver = new Receiver({
    ...receiverOptionsFromFlags(opts, { tsdbPath, bucket, logger: log, registry }),
    retentionWithoutBucket: flagGiven('--tsdb.retention'),
    ...(remoteWriteTls ? { remoteWriteTls } : {}),
    ...(routing ? { routing } : {}),
  });
  receiverRef = receiver;
  receiver.addHttpHandler(createQueryApiHandler({ queryable: receiver.queryable(), receiver, logger: log }));
  // The StoreAPI on --grpc-address is how queriers read the receiver (as `strata all` does).
  // The gRPC server on --grpc-address serves queriers (StoreAPI) and other receivers (WriteableStore).
  let grpcServer: ReceiveGrpcServer | null = null;
  stopOnSignals(log, async () => {
    watcher?.stop();
    await receiver.stop();
    await grpcServer?.stop();
  });
  await receiver.start();
  watcher?.start();
  grpcServer = await startReceiveGrpc(receiver, opt<string>(opts, 'grpc-address'), log);
  log.info({ address: grpcServer.address }, 'serving the StoreAPI and WriteableStore (gRPC)');
}

/** True when the flag was given on the command line (not just its default). */
function flagGiven(flag: string): boolean {
  return process.argv.some((a) => a === flag || a.startsWith(flag + '='));
}

/** --remote-write.server-tls-{cert,key,client-ca} (Thanos): HTTPS needs cert and key; a client CA turns on mTLS. */
function remoteWriteTlsFromFlags(opts: Record<string, unknown>): HttpTlsOptions | undefined {
  const cert = opt<string | undefined>(opts, 'remote-write.server-tls-cert');
  const key = opt<string | undefined>(opts, 'remote-write.server-tls-key');
  const ca = opt<string | undefined>(opts, 'remote-write.server-tls-client-ca');
  if (!cert && !key && !ca) return undefined;
  if (!cert || !key) {
    process.stderr.write('strata receive: --remote-write.server-tls-cert and --remote-write.server-tls-key must be given together\n');
    process.exit(2);
  }
  return { cert: readFileSync(cert), key: readFileSync(key), ...(ca ? { clientCa: readFileSync(ca) } : {}) };
}
