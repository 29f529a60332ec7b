// Pieces every long-running command shares: logger from flags, graceful stop on signals.
import { createLogger, type Logger, type LogFormat } from '../observability/logger.ts';

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
