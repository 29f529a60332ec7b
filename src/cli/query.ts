// `strata query`: the distributed querier. Endpoints from --endpoint / --endpoint-strict /
// --endpoint.sd-files / DNS (strict ones always queried, the others only while healthy),
// a fan-out proxy with per-endpoint timeouts and partial responses, replica deduplication, the
// Prometheus HTTP API (with Thanos' dedup, replicaLabels[], partial_response and
// max_source_resolution parameters), /api/v1/stores, /metrics, health, and the StoreAPI itself on
// --grpc-address (so queriers can be stacked).
import { Gauge } from 'prom-client';
import { Engine } from '../promql/engine.ts';
import { createApiV1 } from '../query/api.ts';
import { maxSourceResolutionMs, queryableFromParams, type QueryParamsDefaults } from '../query/params.ts';
import { HttpServer } from '../observability/http.ts';
import { createUiHandler } from '../ui/server.ts';
import { createRegistry } from '../observability/metrics.ts';
import { EndpointSet, type Endpoint } from '../query/endpoints.ts';
import { ProxyQueryable } from '../query/proxy.ts';
import { StoreClient } from '../storeapi/client.ts';
import { StoreServer } from '../storeapi/server.ts';
import type { Labels } from '../labels/labels.ts';
import type { DedupAlgorithm } from '../query/dedup.ts';
import { VERSION, REVISION, BRANCH, BUILD_DATE } from '../version.ts';
import { loggerFromFlags, opt, stopOnSignals } from './common.ts';

export async function runQuery(opts: Record<string, unknown>): Promise<void> {
  const log = loggerFromFlags(opts, 'query');
  const registry = createRegistry('query');
  const endpointFlags = opt<string[]>(opts, 'endpoint') ?? [];
  const strictEndpointFlags = opt<string[]>(opts, 'endpoint-strict') ?? [];
  const unhealthyTimeout = opt<number | undefined>(opts, 'store.unhealthy-timeout') ?? 300_000;
  const infoTimeout = opt<number | undefined>(opts, 'endpoint.info-timeout') ?? 5000;
  const dnsInterval = opt<number | undefined>(opts, 'store.sd-dns-interval') ?? 30_000;
  const sdFiles = opt<string[]>(opts, 'endpoint.sd-files') ?? [];
  const replicaLabels = opt<string[]>(opts, 'query.replica-label') ?? [];
  const partialResponse = opt<boolean | undefined>(opts, 'query.partial-response') !== false;
  const autoDownsampling = Boolean(opt(opts, 'query.auto-downsampling'));
  const queryTimeout = opt<number>(opts, 'query.timeout');
  const lookbackDelta = opt<number>(opts, 'query.lookback-delta');
  const maxSamples = opt<number>(opts, 'query.max-samples');
  if (endpointFlags.length === 0 && strictEndpointFlags.length === 0 && sdFiles.length === 0) {
    log.warn({}, 'no --endpoint, --endpoint-strict or --endpoint.sd-files given: every query answers empty');
  }

  // Thanos setupEndpointSet: Info every --endpoint.info-timeout with that deadline; connections of
  // removed endpoints close after max(query timeout, info timeout, unhealthy timeout).
  const endpoints = new EndpointSet({
    endpoints: endpointFlags,
    strictEndpoints: strictEndpointFlags,
    sdFiles,
    infoTimeoutMs: infoTimeout,
    refreshIntervalMs: infoTimeout,
    unhealthyTimeoutMs: unhealthyTimeout,
    dnsIntervalMs: dnsInterval,
    closeDelayMs: Math.max(queryTimeout ?? 0, infoTimeout, unhealthyTimeout),
    logger: log.child({ component: 'endpoints' }),
    dial(address: string): Endpoint {
      // The client's deadline is the per-endpoint timeout of every call (Thanos --store.response-timeout
      // defaults to none; the query timeout bounds it here). The proxy handles partial responses.
      const c = new StoreClient(address, { timeoutMs: queryTimeout, partialResponse: true });
      return { name: address, info: () => c.info(), queryable: c, close: () => c.close() };
    },
  });
  const proxy = new ProxyQueryable({ endpoints: () => endpoints.active(), timeoutMs: queryTimeout, partialResponse, replicaLabels, dedup: true, algorithm: (opt<string>(opts, 'deduplication.func') ?? 'penalty') as DedupAlgorithm });

  const gauge = new Gauge({
    name: 'strata_query_endpoints',
    help: 'Endpoints known to the querier, by component type and health (Thanos: thanos_store_nodes_grpc_connections).',
    labelNames: ['component', 'healthy'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of endpoints.statuses()) this.inc({ component: s.componentType ?? 'unknown-store-api', healthy: String(s.lastError === null && s.lastCheck !== null) });
    },
  });
  void gauge;

  const engine = new Engine({ lookbackDelta, timeout: queryTimeout, maxSamples });
  const defaults: QueryParamsDefaults = { replicaLabels, partialResponse, autoDownsampling };
  const api = createApiV1({
    queryable: proxy,
    queryableFor: (params, step) => queryableFromParams(proxy, defaults, params, step),
    ...(opt<boolean>(opts, 'query.dynamic-lookback-delta') !== false ? { maxSourceResolutionFor: (params: URLSearchParams, step?: number) => maxSourceResolutionMs(params, step, autoDownsampling) } : {}),
    engine,
    lookbackDelta,
    queryTimeout,
    maxSamples,
    buildInfo: { version: VERSION, revision: REVISION, branch: BRANCH, buildUser: 'strata', buildDate: BUILD_DATE, goVersion: `node${process.versions.node}` },
    logger: log,
    flags: Object.fromEntries(Object.entries(opts).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()), Array.isArray(v) ? v.join(',') : String(v)])),
  });

  let ready = false;
  const http = new HttpServer({
    address: opt<string>(opts, 'http-address'),
    registry,
    ready: () => ready,
    handlers: [
      (req, res, url) => {
        if (url.pathname !== '/api/v1/stores') return false;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(`{"status":"success","data":${endpoints.storesJSON()}}`);
        return true;
      },
      api,
      createUiHandler({}),
    ],
    onError: (err) => log.error({ err: (err as Error).message }, 'HTTP handler error'),
  });

  // The querier's own StoreAPI: the proxy without deduplication (the caller deduplicates).
  const grpcProxy = proxy.with({ dedup: false, partialResponse: true });
  const grpc = new StoreServer({
    address: opt<string>(opts, 'grpc-address'),
    logger: log.child({ component: 'storeapi' }),
    store: {
      componentType: 'query',
      queryable: grpcProxy,
      labelSets(): Labels[] {
        const out: Labels[] = [];
        const seen = new Set<string>();
        for (const e of endpoints.active()) {
          for (const l of e.labelSets) {
            if (!seen.has(l.key)) {
              seen.add(l.key);
              out.push(l);
            }
          }
        }
        return out;
      },
      timeRange() {
        const eps = endpoints.active();
        if (eps.length === 0) return { minTime: Number.MIN_SAFE_INTEGER, maxTime: Number.MAX_SAFE_INTEGER };
        let minTime = Infinity;
        let maxTime = -Infinity;
        for (const e of eps) {
          minTime = Math.min(minTime, e.minTime);
          maxTime = Math.max(maxTime, e.maxTime);
        }
        return { minTime, maxTime };
      },
    },
  });

  stopOnSignals(log, async () => {
    ready = false;
    await Promise.all([http.close(5000), grpc.stop(5000)]);
    endpoints.stop();
  });
  await endpoints.start();
  const httpAddr = await http.listen();
  const grpcAddr = await grpc.start();
  ready = true;
  log.info({ http: `${httpAddr.address}:${httpAddr.port}`, grpc: grpcAddr, endpoints: endpoints.statuses().length, replicaLabels }, 'querier is up');
}
