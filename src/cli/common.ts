// Pieces every long-running command shares: logger from flags, graceful stop on signals.
import type { Registry } from 'prom-client';
import { createLogger, type Logger, type LogFormat } from '../observability/logger.ts';
import type { Bucket } from '../objstore/bucket.ts';
import type { ReceiverOptions } from '../receive/receiver.ts';
import { parseLabelFlags } from '../util/labelflag.ts';

export function loggerFromFlags(opts: Record<string, unknown>, component: string): Logger {
  return createLogger({
    level: String(opt(opts, 'log.level') ?? 'info'),
    format: String(opt(opts, 'log.format') ?? 'logfmt') as LogFormat,
  }).child({ component });
}

/** Runs `stop` once on SIGTERM/SIGINT, then exits 0 (1 if stopping failed). A second signal exits at once. */
export function stopOnSignals(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal: sig }, 'second signal, exiting immediately');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal: sig }, 'caught signal, stopping');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: (err as Error).message }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Reads a commander option by its long flag name ('tsdb.block-duration' is stored as 'tsdb.blockDuration'). */
export function opt<T>(opts: Record<string, unknown>, flag: string): T {
  const camel = flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return opts[camel] as T;
}

/** Receiver options from the flags `receive` and `all` share. */
export function receiverOptionsFromFlags(
  opts: Record<string, unknown>,
  o: { tsdbPath: string; bucket: Bucket | null; logger: Logger; registry: Registry },
): ReceiverOptions {
  return {
    tsdbPath: o.tsdbPath,
    remoteWriteAddress: opt<string>(opts, 'remote-write.address'),
    httpAddress: opt<string>(opts, 'http-address'),
    externalLabels: parseLabelFlags(opt<string[]>(opts, 'label') ?? []),
    tenantHeader: opt<string>(opts, 'receive.tenant-header'),
    defaultTenant: opt<string>(opts, 'receive.default-tenant-id'),
    tenantLabelName: opt<string>(opts, 'receive.tenant-label-name'),
    maxRequestBytes: opt<number>(opts, 'receive.max-request-bytes'),
    walFsync: Boolean(opt(opts, 'tsdb.wal-fsync')),
    blockDuration: opt<number>(opts, 'tsdb.block-duration'),
    bucket: o.bucket,
    retention: opt<number>(opts, 'tsdb.retention') ?? 0,
    logger: o.logger,
    registry: o.registry,
  };
}
