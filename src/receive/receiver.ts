// `strata receive`: remote-write ingest into per-tenant heads backed by WALs, the read API over
// them, and /metrics + health. Constructed from options, started and stopped explicitly so that
// `strata all` and tests wire the same object.
import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';
import type { Labels } from '../labels/labels.ts';
import type { Bucket } from '../objstore/bucket.ts';
import type { Logger } from '../observability/logger.ts';
import { HttpServer, type Handler, type HttpTlsOptions } from '../observability/http.ts';
import * as grpc from '@grpc/grpc-js';
import { createRemoteWriteHandler, RemoteWriteMetrics, writeDecoded, type RemoteWriteTarget, type WriteResult } from '../remotewrite/handler.ts';
import { DecodeError, decodeWriteRequest, type DecodedWriteRequest } from '../remotewrite/codec.ts';
import { decodeThanosWriteRequest, type WriteStatus } from '../storeapi/writeable.ts';
import type { Queryable } from '../storage/interfaces.ts';
import { InvalidTenantError, MultiTSDB, validateTenant } from './multitsdb.ts';
import type { Hashring } from './hashring.ts';
import { grpcCodeOfStatus, Router } from './router.ts';
import { registerWALMetrics } from '../tsdb/wal/index.ts';

export interface ReceiverOptions {
  tsdbPath: string;
  remoteWriteAddress: string;
  /** HTTP address for /metrics, health and the read API; null when the caller serves them. */
  httpAddress: string | null;
  externalLabels: Labels;
  tenantHeader: string;
  defaultTenant: string;
  tenantLabelName: string;
  maxRequestBytes: number;
  walFsync: boolean;
  blockDuration: number;
  /** Bucket blocks are shipped to (null: blocks stay local). */
  bucket?: Bucket | null;
  /** Local block retention in ms (see MultiTSDBOptions.retention). */
  retention?: number;
  /** Without a bucket, apply `retention` only when set explicitly. */
  retentionWithoutBucket?: boolean;
  logger: Logger;
  registry: Registry;
  /** Extra handlers on the HTTP server (e.g. the query API). */
  httpHandlers?: Handler[];
  /** Serve remote write over HTTPS (mTLS when it has a client CA). */
  remoteWriteTls?: HttpTlsOptions;
  /** Hashring routing (--receive.hashrings-file / --receive.hashrings); absent = ingestor only. */
  routing?: RoutingOptions;
}

export interface RoutingOptions {
  hashring: Hashring;
  replicationFactor: number;
  /**
   * This receiver's endpoint in the hashring (--receive.local-endpoint). null = router only, as
   * Thanos' RouterOnly mode: no local TSDB is opened, every series is forwarded.
   */
  localEndpoint: string | null;
  /** Timeout of each forward request in ms. */
  forwardTimeout: number;
}

export class Receiver {
  readonly tsdb: MultiTSDB;
  /** Hashring router; null for an ingestor-only receiver. */
  readonly router: Router | null;
  /** False for a router-only receiver (no local TSDB). */
  readonly ingest: boolean;
  private readonly target: RemoteWriteTarget;
  private rwServer: HttpServer;
  private httpServer: HttpServer | null = null;
  private isReady = false;

  constructor(private readonly opts: ReceiverOptions) {
    registerWALMetrics(opts.registry);
    this.tsdb = new MultiTSDB({
      dir: opts.tsdbPath,
      tenantLabelName: opts.tenantLabelName,
      externalLabels: opts.externalLabels,
      walFsync: opts.walFsync,
      blockDuration: opts.blockDuration,
      bucket: opts.bucket ?? null,
      retention: opts.retention ?? 0,
      retentionWithoutBucket: opts.retentionWithoutBucket ?? false,
      registry: opts.registry,
      logger: opts.logger.child({ component: 'multi-tsdb' }),
    });
    const tsdb = this.tsdb;
    const target: RemoteWriteTarget = {
      ready: () => this.isReady,
      appender: (tenant) => tsdb.appender(tenant),
      setMetadata: (tenant, metric, md) => {
        void tsdb.tenant(tenant).then((t) => t.head.setMetadata(metric, md), () => {});
      },
    };
    this.target = target;
    this.ingest = !opts.routing || opts.routing.localEndpoint !== null;
    this.router = opts.routing
      ? new Router({
          hashring: opts.routing.hashring,
          replicationFactor: opts.routing.replicationFactor,
          localEndpoint: opts.routing.localEndpoint,
          forwardTimeout: opts.routing.forwardTimeout,
          local: this.ingest ? (tenant, wr) => this.writeLocal(tenant, wr) : null,
          logger: opts.logger.child({ component: 'receive-router' }),
          registry: opts.registry,
        })
      : null;
    const router = this.router;
    const rw = createRemoteWriteHandler({
      target,
      ...(router ? { route: (tenant: string, wr: DecodedWriteRequest, raw: Uint8Array) => router.write(tenant, wr, raw) } : {}),
      tenantHeader: opts.tenantHeader,
      defaultTenant: opts.defaultTenant,
      maxRequestBytes: opts.maxRequestBytes,
      logger: opts.logger.child({ component: 'receive-handler' }),
      metrics: new RemoteWriteMetrics(opts.registry),
    });
    const rwRoute: Handler = async (req, res, url) => {
      if (url.pathname !== '/api/v1/receive') return false;
      await rw(req, res);
      return true;
    };
    this.rwServer = new HttpServer({
      address: opts.remoteWriteAddress,
      handlers: [rwRoute],
      ready: () => this.isReady,
      registry: opts.registry,
      ...(opts.remoteWriteTls ? { tls: opts.remoteWriteTls } : {}),
    });
    if (opts.httpAddress) {
      this.httpServer = new HttpServer({
        address: opts.httpAddress,
        registry: opts.registry,
        ready: () => this.isReady,
        handlers: opts.httpHandlers ?? [],
      });
    }
    new Gauge({
      name: 'prometheus_tsdb_head_series',
      help: 'Total number of series in the heads of all tenants.',
      registers: [opts.registry],
      collect() {
        this.set(tsdb.all().reduce((n, t) => n + t.head.numSeries(), 0));
      },
    });
  }

  ready(): boolean {
    return this.isReady;
  }

  queryable(): Queryable {
    return this.tsdb.queryable();
  }

  addHttpHandler(h: Handler): void {
    this.httpServer?.addHandler(h);
  }

  async start(): Promise<void> {
    const log = this.opts.logger;
    // Listen first (answering 503 until ready) so Prometheus sees a live endpoint and retries.
    const rwAddr = await this.rwServer.listen();
    log.info({ address: `${rwAddr.address}:${rwAddr.port}`, path: '/api/v1/receive' }, 'listening for remote write');
    if (this.httpServer) {
      const a = await this.httpServer.listen();
      log.info({ address: `${a.address}:${a.port}` }, 'listening for HTTP');
    }
    if (this.ingest) await this.tsdb.open();
    this.isReady = true;
    log.info({ tenants: this.tsdb.all().length }, 'receiver ready');
  }

  /** Writes (a subset of) a request into the local TSDB: the remote-write status and text. */
  async writeLocal(tenant: string, wr: DecodedWriteRequest): Promise<WriteResult> {
    if (!this.isReady) return { status: 503, text: 'the receiver is not ready' };
    try {
      validateTenant(tenant);
      return await writeDecoded(this.target, tenant, wr, this.opts.logger);
    } catch (e) {
      if (e instanceof InvalidTenantError) return { status: 400, text: e.message };
      throw e;
    }
  }

  /**
   * thanos.WriteableStore/RemoteWrite: a write forwarded by another receiver. With a replica number
   * (a router already placed it here) or without a hashring, the series are written locally;
   * replica 0 on a receiver with a hashring routes them like an HTTP write.
   */
  async remoteWriteGrpc(req: Uint8Array): Promise<WriteStatus | null> {
    if (!this.isReady) return { code: grpc.status.UNAVAILABLE, details: 'target not ready' };
    let parsed;
    try {
      parsed = decodeThanosWriteRequest(req);
    } catch (e) {
      return { code: grpc.status.INVALID_ARGUMENT, details: `failed to decode the write request: ${(e as Error).message}` };
    }
    const failures: { status: number; text: string }[] = [];
    for (const { tenant, request } of parsed.tenants) {
      let wr: DecodedWriteRequest;
      try {
        wr = decodeWriteRequest(request);
      } catch (e) {
        if (e instanceof DecodeError) return { code: grpc.status.INVALID_ARGUMENT, details: `failed to decode the write request: ${e.message}` };
        throw e;
      }
      const t = tenant === '' ? this.opts.defaultTenant : tenant;
      const r = this.router ? await this.router.write(t, wr, request, parsed.replica) : await this.writeLocal(t, wr);
      if (r.status >= 300) failures.push({ status: r.status, text: `tenant ${t}: ${r.text.trim()}` });
    }
    if (failures.length === 0) return null;
    // The most retryable failure decides the code, as for HTTP.
    const rank = (s: number): number => (s === 503 ? 5 : s >= 500 ? 4 : s === 429 ? 3 : s === 409 ? 2 : 1);
    failures.sort((a, b) => rank(b.status) - rank(a.status));
    return { code: grpcCodeOfStatus(failures[0]!.status), details: failures.map((f) => f.text).join('; ') };
  }

  remoteWriteAddress(): string {
    const a = this.rwServer.address();
    return `${a.address}:${a.port}`;
  }

  httpAddress(): string | null {
    if (!this.httpServer) return null;
    const a = this.httpServer.address();
    return `${a.address}:${a.port}`;
  }

  /**
   * Stops accepting writes (503 from here on), lets in-flight writes finish, flushes every head
   * into a block and ships it (when a bucket is configured), closes the WALs, then the HTTP server
   * (queries keep working while the heads are flushed).
   */
  async stop(): Promise<void> {
    this.isReady = false;
    await this.rwServer.close();
    this.router?.close();
    try {
      if (this.ingest) await this.tsdb.close({ flush: true });
    } finally {
      await this.httpServer?.close();
      await this.opts.bucket?.close().catch(() => undefined);
    }
    this.opts.logger.info({}, 'receiver stopped');
  }
}
