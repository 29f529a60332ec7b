// `strata receive`: remote-write ingest into per-tenant heads backed by WALs, the read API over
// them, and /metrics + health. Constructed from options, started and stopped explicitly so that
// `strata all` and tests wire the same object.
import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';
import type { Labels } from '../labels/labels.ts';
import type { Bucket } from '../objstore/bucket.ts';
import type { Logger } from '../observability/logger.ts';
import { HttpServer, type Handler, type HttpTlsOptions } from '../observability/http.ts';
import { createRemoteWriteHandler, RemoteWriteMetrics, type RemoteWriteTarget } from '../remotewrite/handler.ts';
import type { Queryable } from '../storage/interfaces.ts';
import { MultiTSDB } from './multitsdb.ts';
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
}

export class Receiver {
  readonly tsdb: MultiTSDB;
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
    const rw = createRemoteWriteHandler({
      target,
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
    await this.tsdb.open();
    this.isReady = true;
    log.info({ tenants: this.tsdb.all().length }, 'receiver ready');
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
    try {
      await this.tsdb.close({ flush: true });
    } finally {
      await this.httpServer?.close();
      await this.opts.bucket?.close().catch(() => undefined);
    }
    this.opts.logger.info({}, 'receiver stopped');
  }
}
