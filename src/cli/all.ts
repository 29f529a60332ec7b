// `strata all`: every component in one process over a local filesystem bucket (what `npm start` runs).
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Receiver } from '../receive/receiver.ts';
import { createRegistry } from '../observability/metrics.ts';
import { startDemoWriter } from '../remotewrite/demo.ts';
import { bucketFromFlags } from '../objstore/config.ts';
import { loggerFromFlags, opt, receiverOptionsFromFlags, stopOnSignals } from './common.ts';
import { createQueryApiHandler } from './wiring.ts';
import { maxSourceResolutionMs, withMaxResolution } from '../query/params.ts';
import { createUiHandler } from '../ui/server.ts';
import { startStoreApi } from '../storeapi/receive.ts';
import type { StoreServer } from '../storeapi/server.ts';
import { BucketStore } from '../store/bucket-store.ts';
import { Compactor } from '../compact/compactor.ts';
import { MergeQueryable } from '../storage/merge.ts';
import { createAllStatusHandler, TenantRates } from './status.ts';

export async function runAll(opts: Record<string, unknown>): Promise<void> {
  const log = loggerFromFlags(opts, 'all');
  const registry = createRegistry('all');
  const dataDir = resolve(opt<string>(opts, 'data-dir'));
  const tsdbPath = join(dataDir, 'receive');
  await mkdir(tsdbPath, { recursive: true });
  // Blocks are shipped to the configured bucket, by default a filesystem bucket in <data-dir>/bucket.
  const bucket = bucketFromFlags(
    { configFile: opt<string | undefined>(opts, 'objstore.config-file'), config: opt<string | undefined>(opts, 'objstore.config') },
    { defaultDir: join(dataDir, 'bucket'), logger: log.child({ component: 'objstore' }) },
  );
  log.info({ bucket: bucket.name() }, 'shipping blocks to the bucket');
  const receiver = new Receiver(receiverOptionsFromFlags(opts, { tsdbPath, bucket, logger: log.child({ component: 'receive' }), registry }));
  // Queries read the heads and local blocks, plus every block in the bucket through the same
  // BucketStore the store gateway uses (no gRPC hop); series present in both are merged sample by
  // sample, so a block that is still local and already shipped is not counted twice.
  const bucketStore = new BucketStore({ bucket, logger: log.child({ component: 'bucket-store' }), registry, metaCacheDir: join(dataDir, 'store') });
  const queryable = new MergeQueryable(() => [receiver.queryable(), bucketStore]);
  // The compactor keeps the bucket healthy (Thanos defaults: 30m consistency delay, 48h delete delay).
  const compactor = new Compactor({
    bucket,
    dataDir: join(dataDir, 'compact'),
    logger: log.child({ component: 'compact' }),
    registry,
    waitInterval: 5 * 60_000,
  });
  const rates = new TenantRates(receiver);
  receiver.addHttpHandler(createAllStatusHandler({ receiver, bucketStore, rates, grpcAddress: opt<string>(opts, 'grpc-address') }));
  receiver.addHttpHandler(
    createQueryApiHandler({
      queryable,
      // max_source_resolution (the UI sends `auto`) lets the bucket store read 5m/1h blocks.
      queryableFor: (params, step) => withMaxResolution(queryable, maxSourceResolutionMs(params, step, false)),
      maxSourceResolutionFor: (params, step) => maxSourceResolutionMs(params, step, false),
      receiver,
      logger: log.child({ component: 'query' }),
      lookbackDelta: opt<number>(opts, 'query.lookback-delta'),
      queryTimeout: opt<number>(opts, 'query.timeout'),
      maxSamples: opt<number>(opts, 'query.max-samples'),
    }),
  );
  receiver.addHttpHandler(createUiHandler({}));
  let demo: { stop(): Promise<void> } | null = null;
  let storeApi: StoreServer | null = null;
  let storeSync: NodeJS.Timeout | null = null;
  stopOnSignals(log, async () => {
    await demo?.stop();
    if (storeSync) clearInterval(storeSync);
    rates.stop();
    await compactor.stop();
    await storeApi?.stop();
    await receiver.stop();
    await bucketStore.close();
  });
  await bucketStore.sync();
  await receiver.start();
  // Newly shipped and compacted blocks become visible within a minute.
  storeSync = setInterval(() => {
    bucketStore.sync().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'bucket store sync failed'));
  }, 60_000);
  storeSync.unref();
  compactor.start();
  const grpc = await startStoreApi(receiver, opt<string>(opts, 'grpc-address'), log);
  storeApi = grpc.server;
  log.info({ address: grpc.address }, 'serving the StoreAPI (gRPC)');
  const http = receiver.httpAddress();
  log.info({ ui: `http://${http}/`, api: `http://${http}/api/v1/query`, remote_write: `http://${receiver.remoteWriteAddress()}/api/v1/receive` }, 'strata all is up');
  if (opt<boolean>(opts, 'demo')) {
    demo = startDemoWriter({ url: `http://${receiver.remoteWriteAddress()}/api/v1/receive`, intervalMs: opt<number>(opts, 'demo.interval') });
    log.info({}, 'demo writer started: multi-cluster traffic is being remote-written');
  }
  process.stdout.write(
    `\nStrata is running.\n  UI:            http://${http}/\n  Query API:     http://${http}/api/v1/query?query=up\n` +
      `  Remote write:  http://${receiver.remoteWriteAddress()}/api/v1/receive\n  StoreAPI:      ${grpc.address} (gRPC)\n  Metrics:       http://${http}/metrics\n\n`,
  );
}
