// Thanos-compatible StoreAPI (thanos.Store) and Info API (thanos.info.Info) over gRPC.
export { StoreServer, addStoreApi, storeHandlers, infoHandlers, infoResponse } from './server.ts';
export type { StoreSource, StoreServerOptions, StoreApiOptions, ComponentType, TSDBInfoEntry } from './server.ts';
export { StoreClient, storeInfoFromProto, aggrsFromFunc } from './client.ts';
export type { StoreInfo, StoreClientOptions } from './client.ts';
export { StoreApiError, msFromInt64, msToInt64, MAX_INT64, MIN_INT64 } from './convert.ts';
export { startStoreApi, receiverStoreSource } from './receive.ts';
