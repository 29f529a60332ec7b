import { mkdir } from 'node:fs/promises';
import { Receiver } from '../receive/receiver.ts';
import { createRegistry } from '../observability/metrics.ts';
import { parseLabelFlags } from '../util/labelflag.ts';
import { loggerFromFlags, opt, stopOnSignals } from './common.ts';
import { createQueryApiHandler } from './wiring.ts';

export async function runReceive(opts: Record<string, unknown>): Promise<void> {
  const log = loggerFromFlags(opts, 'receive');
  const registry = createRegistry('receive');
  const tsdbPath = opt<string>(opts, 'tsdb.path');
  await mkdir(tsdbPath, { recursive: true });
  const receiver = new Receiver({
    tsdbPath,
    remoteWriteAddress: opt<string>(opts, 'remote-write.address'),
    httpAddress: opt<string>(opts, 'http-address'),
    externalLabels: parseLabelFlags(opt<string[]>(opts, 'label') ?? []),
    tenantHeader: opt<string>(opts, 'receive.tenant-header'),
    defaultTenant: opt<string>(opts, 'receive.default-tenant-id'),
    tenantLabelName: opt<string>(opts, 'receive.tenant-label-name'),
    maxRequestBytes: opt<number>(opts, 'receive.max-request-bytes'),
    walFsync: Boolean(opt(opts, 'tsdb.wal-fsync')),
    blockDuration: opt<number>(opts, 'tsdb.block-duration'),
    logger: log,
    registry,
  });
  receiver.addHttpHandler(createQueryApiHandler({ queryable: receiver.queryable(), receiver, logger: log }));
  stopOnSignals(log, () => receiver.stop());
  await receiver.start();
}
