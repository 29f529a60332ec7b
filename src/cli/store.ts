// `strata store`: the store gateway. Syncs block metas from the bucket every --sync-block-duration,
// keeps an index header per block in memory, serves the blocks over the StoreAPI (gRPC) reading
// postings, series and chunks by range through an LRU of --index-cache-size, and exposes /metrics,
// /-/healthy and /-/ready (ready once the first sync has completed) on --http-address.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createRegistry } from '../observability/metrics.ts';
import { HttpServer } from '../observability/http.ts';
import { bucketFromFlags } from '../objstore/config.ts';
import { BucketStore } from '../store/bucket-store.ts';
import { DEFAULT_MAX_TIME, DEFAULT_MIN_TIME, TimeOrDuration } from '../store/time.ts';
import { StoreServer } from '../storeapi/server.ts';
import { loggerFromFlags, opt, stopOnSignals } from './common.ts';

function fail(msg: string): never {
  process.stderr.write(`strata store: ${msg}\n`);
  process.exit(2);
}

function timeFlag(opts: Record<string, unknown>, flag: string, def: string): TimeOrDuration {
  const v = opt<string | undefined>(opts, flag);
  try {
    return TimeOrDuration.parse(v ?? def);
  } catch (e) {
    fail(`--${flag}: ${(e as Error).message}`);
  }
}

export async function runStore(opts: Record<string, unknown>): Promise<void> {
  const log = loggerFromFlags(opts, 'store');
  const configFile = opt<string | undefined>(opts, 'objstore.config-file');
  const config = opt<string | undefined>(opts, 'objstore.config');
  if (!configFile && !config) fail('object storage is required: give --objstore.config-file <path> or --objstore.config <yaml>');
  const minTime = timeFlag(opts, 'min-time', DEFAULT_MIN_TIME);
  const maxTime = timeFlag(opts, 'max-time', DEFAULT_MAX_TIME);
  if (minTime.time !== null && maxTime.time !== null && minTime.time > maxTime.time) fail('--min-time must not be after --max-time');
  const syncEvery = opt<number>(opts, 'sync-block-duration');
  const dataDir = opt<string>(opts, 'data-dir');

  let bucket;
  try {
    bucket = bucketFromFlags({ configFile, config }, { logger: log.child({ component: 'objstore' }) });
  } catch (e) {
    fail((e as Error).message);
  }
  await mkdir(dataDir, { recursive: true });
  const registry = createRegistry('store');
  const store = new BucketStore({
    bucket,
    logger: log,
    registry,
    indexCacheSize: opt<number>(opts, 'index-cache-size'),
    minTime,
    maxTime,
    metaCacheDir: join(dataDir, 'meta-syncer'),
  });

  const http = new HttpServer({
    address: opt<string>(opts, 'http-address'),
    registry,
    ready: () => store.ready,
    onError: (err) => log.warn({ err: (err as Error).message }, 'HTTP handler failed'),
  });
  const httpAddr = await http.listen();
  log.info({ address: `${httpAddr.address}:${httpAddr.port}` }, 'listening for metrics and probes');
  const grpc = new StoreServer({
    store: { labelSets: () => store.labelSets(), timeRange: () => store.timeRange(), componentType: 'store', queryable: store },
    address: opt<string>(opts, 'grpc-address'),
    logger: log.child({ component: 'storeapi' }),
  });
  await grpc.start();

  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const syncOnce = async (): Promise<void> => {
    const started = Date.now();
    try {
      const r = await store.sync();
      log.info(
        { loaded: store.loadedBlocks().length, added: r.added.length, dropped: r.dropped.length, partial: r.partial.size, failed: r.failed.size, duration_ms: Date.now() - started },
        'block sync done',
      );
    } catch (e) {
      log.error({ err: (e as Error).message }, 'block sync failed; retrying at the next interval');
    }
  };

  stopOnSignals(log, async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await grpc.stop();
    await http.close(5000);
    await store.close();
    await bucket.close();
    log.info({}, 'store gateway stopped');
  });

  // The first sync decides readiness; until it succeeds it is retried every few seconds.
  for (;;) {
    await syncOnce();
    if (store.ready || stopped) break;
    await new Promise((r) => setTimeout(r, Math.min(syncEvery, 5000)));
  }
  log.info({ blocks: store.loadedBlocks().length, every: `${syncEvery}ms` }, 'initial block sync done; ready');
  const loop = (): void => {
    timer = setTimeout(() => {
      void syncOnce().finally(() => {
        if (!stopped) loop();
      });
    }, syncEvery);
  };
  loop();
}
