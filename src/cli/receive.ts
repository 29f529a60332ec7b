import { mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import type { HttpTlsOptions } from '../observability/http.ts';
import { Receiver } from '../receive/receiver.ts';
import { createRegistry } from '../observability/metrics.ts';
import { bucketFromFlags } from '../objstore/config.ts';
import type { Bucket } from '../objstore/bucket.ts';
import { loggerFromFlags, opt, receiverOptionsFromFlags, stopOnSignals } from './common.ts';
import { createQueryApiHandler } from './wiring.ts';
import { startStoreApi } from '../storeapi/receive.ts';
import type { StoreServer } from '../storeapi/server.ts';

export async function runReceive(opts: Record<string, unknown>): Promise<void> {
  const log = loggerFromFlags(opts, 'receive');
  // Hashring forwarding and replication are not implemented yet: refuse rather than ignore them,
  // so a Thanos manifest that relies on them does not silently keep every series on one node.
  if (opt<string | undefined>(opts, 'receive.hashrings-file') || (opt<number>(opts, 'receive.replication-factor') ?? 1) > 1) {
    process.stderr.write('strata receive: --receive.hashrings-file and --receive.replication-factor > 1 are not supported yet (hashring forwarding and replication are not implemented); run one receiver per Prometheus group or several replicas with distinct --label replica="…" instead\n');
    process.exit(2);
  }
  const registry = createRegistry('receive');
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
  });
  receiver.addHttpHandler(createQueryApiHandler({ queryable: receiver.queryable(), receiver, logger: log }));
  // The StoreAPI on --grpc-address is how queriers read the receiver (as `strata all` does).
  let storeApi: StoreServer | null = null;
  stopOnSignals(log, async () => {
    await storeApi?.stop();
    await receiver.stop();
  });
  await receiver.start();
  const grpc = await startStoreApi(receiver, opt<string>(opts, 'grpc-address'), log);
  storeApi = grpc.server;
  log.info({ address: grpc.address }, 'serving the StoreAPI (gRPC)');
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
