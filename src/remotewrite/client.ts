// Remote write 1.0 client: snappy-compressed prometheus.WriteRequest over HTTP POST with keep-alive.
import http from 'node:http';
import https from 'node:https';
import snappy from 'snappy';
import { encodeWriteRequestProto, type WriteRequestInput } from './codec.ts';

/** Encodes and snappy-compresses (block format) a WriteRequest: the exact remote-write 1.0 body. */
export function encodeWriteRequest(req: WriteRequestInput): Uint8Array {
  return compressBody(encodeWriteRequestProto(req));
}

/** Snappy block-compresses an already encoded protobuf WriteRequest. */
export function compressBody(proto: Uint8Array): Uint8Array {
  const out = snappy.compressSync(proto);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export interface RemoteWriteClientOptions {
  /** Full endpoint URL, e.g. http://127.0.0.1:10908/api/v1/receive */
  url: string;
  /** Tenant sent in `tenantHeader` (omitted when undefined). */
  tenant?: string;
  /** Default 'THANOS-TENANT'. */
  tenantHeader?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number;
  /** Max sockets kept open (default 4). */
  maxSockets?: number;
}

export interface RemoteWriteResult {
  status: number;
  body: string;
}

export const REMOTE_WRITE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Encoding': 'snappy',
  'Content-Type': 'application/x-protobuf',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
  'User-Agent': 'strata-remote-write/0.1',
};

export class RemoteWriteClient {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly opts: RemoteWriteClientOptions;

  constructor(opts: RemoteWriteClientOptions) {
    this.opts = opts;
    this.url = new URL(opts.url);
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 4 };
    this.agent = this.url.protocol === 'https:' ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
  }

  /** Encodes, compresses and sends one request. */
  write(req: WriteRequestInput, tenant?: string): Promise<RemoteWriteResult> {
    return this.send(encodeWriteRequest(req), tenant);
  }

  /** Sends an already snappy-compressed body (see encodeWriteRequest). */
  send(body: Uint8Array, tenant?: string): Promise<RemoteWriteResult> {
    const headers: Record<string, string> = { ...REMOTE_WRITE_HEADERS, ...this.opts.headers, 'Content-Length': String(body.length) };
    const t = tenant ?? this.opts.tenant;
    if (t !== undefined) headers[this.opts.tenantHeader ?? 'THANOS-TENANT'] = t;
    const mod = this.url.protocol === 'https:' ? https : http;
    return new Promise<RemoteWriteResult>((resolve, reject) => {
      const r = mod.request(
        this.url,
        { method: 'POST', agent: this.agent, headers, timeout: this.opts.timeoutMs ?? 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      r.on('timeout', () => r.destroy(new Error(`remote write to ${this.url.href} timed out`)));
      r.on('error', reject);
      r.end(body);
    });
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
}
