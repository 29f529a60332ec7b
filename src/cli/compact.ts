// `strata compact`: the compactor over a bucket (Thanos `thanos compact`). Without --wait it runs
// one pass (compaction, downsampling, retention, deletion of marked blocks past --delete-delay)
// and exits 0, or 1 on an error; with --wait it repeats every --wait-interval and serves /metrics,
// and after a halt (thanos_compact_halted = 1) it keeps serving metrics without compacting.
// STRATA_COMPACT_CRASH_AT=<stage> kills the process with SIGKILL at that stage (tests only).
import { mkdir } from 'node:fs/promises';
import { bucketFromFlags } from '../objstore/config.ts';
import { HttpServer } from '../observability/http.ts';
import { createRegistry } from '../observability/metrics.ts';
import { Compactor, CRASH_STAGES, HaltError } from '../compact/compactor.ts';
import type { MergeFunc } from '../compact/merge.ts';
import { loggerFromFlags, opt, stopOnSignals } from './common.ts';

export async function runCompact(opts: Record<string, unknown>): Promise<void> {
  const log = loggerFromFlags(opts, 'compact');
  const registry = createRegistry('compact');
  const cfgFile = opt<string | undefined>(opts, 'objstore.config-file');
  const cfg = opt<string | undefined>(opts, 'objstore.config');
  if (!cfgFile && !cfg) {
    log.error({}, 'compact needs a bucket: set --objstore.config-file or --objstore.config');
    process.exit(2);
  }
  const bucket = bucketFromFlags({ configFile: cfgFile, config: cfg }, { logger: log.child({ component: 'objstore' }) });
  const dataDir = opt<string>(opts, 'data-dir');
  await mkdir(dataDir, { recursive: true });
  const crashAt = process.env.STRATA_COMPACT_CRASH_AT || undefined;
  if (crashAt && !(CRASH_STAGES as readonly string[]).includes(crashAt)) {
    log.error({ stage: crashAt, stages: CRASH_STAGES.join(',') }, 'unknown STRATA_COMPACT_CRASH_AT stage');
    process.exit(2);
  }
  const wait = Boolean(opt(opts, 'wait'));
  const compactor = new Compactor({
    bucket,
    dataDir,
    logger: log,
    registry,
    consistencyDelay: opt<number>(opts, 'consistency-delay'),
    deleteDelay: opt<number>(opts, 'delete-delay'),
    waitInterval: opt<number>(opts, 'wait-interval'),
    retention: {
      raw: opt<number>(opts, 'retention.resolution-raw') ?? 0,
      res5m: opt<number>(opts, 'retention.resolution-5m') ?? 0,
      res1h: opt<number>(opts, 'retention.resolution-1h') ?? 0,
    },
    replicaLabels: opt<string[]>(opts, 'deduplication.replica-label') ?? [],
    dedupFunc: (opt<string>(opts, 'deduplication.func') || 'chain') as MergeFunc,
    enableVerticalCompaction: Boolean(opt(opts, 'compact.enable-vertical-compaction')),
    downsamplingDisabled: Boolean(opt(opts, 'downsampling.disable')),
    concurrency: opt<number>(opts, 'compact.concurrency') ?? 1,
    blockFilesConcurrency: opt<number>(opts, 'block-files-concurrency') ?? 1,
    ...(crashAt ? { crashAt } : {}),
  });
  if (!wait) {
    try {
      await compactor.runOnce();
    } catch (e) {
      if (e instanceof HaltError) log.error({ err: e.message }, 'critical error detected; halting');
      else log.error({ err: (e as Error).message }, 'compaction failed');
      await bucket.close();
      process.exit(1);
    }
    await bucket.close();
    log.info({}, 'compaction pass done; exiting');
    return;
  }
  const http = new HttpServer({ address: opt<string>(opts, 'http-address'), registry, ready: () => true });
  const addr = await http.listen();
  log.info({ address: `${addr.address}:${addr.port}` }, 'listening for metrics and health');
  stopOnSignals(log, async () => {
    await compactor.stop();
    await http.close();
    await bucket.close();
  });
  compactor.start();
}
