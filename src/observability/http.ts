// A small HTTP server shared by every component: /metrics, /-/healthy, /-/ready, plus routes.
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Histogram, type Registry } from 'prom-client';

/** A route handler returns true when it handled the request. */
export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> | boolean;

export interface HttpServerOptions {
  address: string; // host:port
  registry?: Registry;
  ready?: () => boolean;
  handlers?: Handler[];
  onError?: (err: unknown, req: IncomingMessage) => void;
  /** Serve HTTPS with these PEM files; with `clientCa`, clients must present a certificate it signed (mTLS). */
  tls?: HttpTlsOptions;
}

export interface HttpTlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  clientCa?: string | Buffer;
}

export function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  if (i < 0) throw new Error(`invalid address ${JSON.stringify(addr)}: expected host:port`);
  let host = addr.slice(0, i);
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port in address ${JSON.stringify(addr)}`);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host: host || '0.0.0.0', port };
}

/** Handler label as Thanos/Prometheus name API routes: /api/v1/query → query, /api/v1/label/x/values → label_values. */
export function handlerName(path: string): string {
  if (path.startsWith('/api/v1/label/') && path.endsWith('/values')) return 'label_values';
  if (path.startsWith('/api/v1/')) return path.slice(8).replace(/\//g, '_');
  if (path === '/' || path.startsWith('/static/') || path.startsWith('/graph')) return 'ui';
  return path.replace(/^\//, '') || 'root';
}

function requestHistogram(registry: Registry): Histogram<'code' | 'handler' | 'method'> {
  const existing = registry.getSingleMetric('http_request_duration_seconds');
  if (existing) return existing as Histogram<'code' | 'handler' | 'method'>;
  return new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Tracks the latencies for HTTP requests.',
    labelNames: ['code', 'handler', 'method'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
}

export class HttpServer {
  private server: http.Server | https.Server;
  private handlers: Handler[];
  private readonly durations: Histogram<'code' | 'handler' | 'method'> | null;
  constructor(private readonly opts: HttpServerOptions) {
    this.handlers = [...(opts.handlers ?? [])];
    this.durations = opts.registry ? requestHistogram(opts.registry) : null;
    const onRequest = (req: IncomingMessage, res: ServerResponse) => void this.dispatch(req, res);
    const tls = opts.tls;
    this.server = tls
      ? https.createServer({ cert: tls.cert, key: tls.key, ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}) }, onRequest)
      : http.createServer(onRequest);
    this.server.keepAliveTimeout = 65_000;
  }

  addHandler(h: Handler): void {
    this.handlers.push(h);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (this.durations) {
      const end = this.durations.startTimer();
      res.once('finish', () => end({ code: String(res.statusCode), handler: handlerName(url.pathname), method: req.method ?? '' }));
    }
    try {
      if (url.pathname === '/-/healthy') {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('OK\n');
        return;
      }
      if (url.pathname === '/-/ready') {
        const ok = this.opts.ready ? this.opts.ready() : true;
        res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8' }).end(ok ? 'OK\n' : 'Service Unavailable\n');
        return;
      }
      if (url.pathname === '/metrics' && this.opts.registry) {
        const body = await this.opts.registry.metrics();
        res.writeHead(200, { 'Content-Type': this.opts.registry.contentType }).end(body);
        return;
      }
      for (const h of this.handlers) {
        if (await h(req, res, url)) return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
    } catch (err) {
      this.opts.onError?.(err, req);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`internal error: ${(err as Error).message}\n`);
    }
  }

  async listen(): Promise<AddressInfo> {
    const { host, port } = splitHostPort(this.opts.address);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** Stops accepting, lets in-flight requests finish (up to timeoutMs), then closes idle sockets. */
  async close(timeoutMs = 10_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const t = setTimeout(() => this.server.closeAllConnections(), timeoutMs);
    await closed;
    clearTimeout(t);
  }
}
