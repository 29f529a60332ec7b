// Serves a receiver's tenants over the StoreAPI, as Thanos receive exposes its MultiTSDB: one
// external label set per tenant (the --label flags plus the tenant label), the time range of the
// heads and local blocks, component type "receive".
import type { Labels } from '../labels/labels.ts';
import type { Logger } from '../observability/logger.ts';
import type { Receiver } from '../receive/receiver.ts';
import { StoreServer, type StoreSource } from './server.ts';
import { addWriteableService } from './writeable.ts';

/** The parts of a receiver tenant this module reads. */
interface TenantView {
  readonly externalLabels: Labels;
  readonly head: { minTime(): number; maxTime(): number };
  blockMetas?(): readonly { minTime: number; maxTime: number }[];
}

/**
 * A StoreSource over the receiver's tenants. Like Thanos' TSDBStore, the maximum time is unbounded
 * (the receiver keeps ingesting) and the minimum is the oldest sample of any head or local block;
 * with no data at all both are +∞ (math.MaxInt64 on the wire), which queriers treat as "nothing yet".
 */
export function receiverStoreSource(receiver: Receiver): StoreSource {
  const tenants = (): TenantView[] => receiver.tsdb.all() as TenantView[];
  return {
    componentType: 'receive',
    queryable: receiver.queryable(),
    labelSets(): Labels[] {
      return tenants().map((t) => t.externalLabels);
    },
    timeRange(): { minTime: number; maxTime: number } {
      let minTime = Infinity;
      for (const t of tenants()) minTime = Math.min(minTime, tenantMinTime(t));
      return { minTime, maxTime: Infinity };
    },
    // As Thanos receive: one entry per tenant TSDB, max time unbounded.
    tsdbInfos() {
      return tenants().map((t) => ({ labels: t.externalLabels, minTime: tenantMinTime(t), maxTime: Infinity }));
    },
  };
}

/** Oldest sample of a tenant's head and local blocks; +∞ when it has none. */
function tenantMinTime(t: TenantView): number {
  let minTime = Infinity;
  const h = t.head;
  if (h.maxTime() >= h.minTime()) minTime = h.minTime();
  for (const b of t.blockMetas?.() ?? []) minTime = Math.min(minTime, b.minTime);
  return minTime;
}

/** Starts a StoreAPI + Info gRPC server for the receiver on `address`; returns it started. */
export async function startStoreApi(
  receiver: Receiver,
  address: string,
  logger?: Logger,
): Promise<{ server: StoreServer; address: string }> {
  const server = new StoreServer({ store: receiverStoreSource(receiver), address, logger: logger?.child({ component: 'storeapi' }) });
  const bound = await server.start();
  return { server, address: bound };
}

/** The receiver's gRPC server: StoreAPI + Info for queriers and WriteableStore for other receivers. */
export interface ReceiveGrpcServer {
  address: string;
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts one gRPC server on `address` serving thanos.Store, thanos.info.Info and
 * thanos.WriteableStore (writes forwarded by hashring routers), as Thanos receive's --grpc-address.
 */
export async function startReceiveGrpc(receiver: Receiver, address: string, logger?: Logger): Promise<ReceiveGrpcServer> {
  const server = new StoreServer({
    store: receiverStoreSource(receiver),
    address,
    logger: logger?.child({ component: 'storeapi' }),
    register: (s) => addWriteableService(s, (req) => receiver.remoteWriteGrpc(req)),
    describe: 'StoreAPI, Info and WriteableStore',
  });
  const bound = await server.start();
  return { address: bound, stop: (graceMs?: number) => server.stop(graceMs) };
}
