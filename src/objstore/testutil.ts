// Test helpers: a real S3 server (s3rver) on 127.0.0.1 and a fault-injecting HTTP proxy in front of it.
// Used by the objstore contract tests and the shipper integration tests; not part of the runtime.
import * as http from 'node:http';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { mulberry32 } from '../util/random.ts';

export interface S3rverHandle {
  /** host:port (no scheme), as an objstore.yml `endpoint` with `insecure: true`. */
  endpoint: string;
  port: number;
  bucket: string;
  accessKey: string;
  secretKey: string;
  dir: string;
  close(): Promise<void>;
}

/** Starts s3rver on an ephemeral 127.0.0.1 port with a fresh temp directory and one bucket. */
export async function startS3rver(bucket = 'thanos'): Promise<S3rverHandle> {
  const dir = await mkdtemp(path.join(tmpdir(), 'strata-s3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket }],
  });
  const addr = (await server.run()) as AddressInfo;
  return {
    endpoint: `127.0.0.1:${addr.port}`,
    port: addr.port,
    bucket,
    // s3rver's fixed credentials; it verifies SigV4 signatures against them.
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    dir,
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * 500/503: answered by the proxy, not forwarded. reset: connection closed before forwarding.
 * delay: held for delayMs, then forwarded unless the client gave up. truncate: forwarded (the server
 * applies it), then the response is cut: half the body, or nothing for an empty body.
 */
export type FaultKind = '500' | '503' | 'reset' | 'delay' | 'truncate';

export interface FaultSpec {
  /** Probability that a matching request gets a fault. */
  rate: number;
  kinds: FaultKind[];
  /** For 'delay': how long to hold the request before forwarding it (if the client is still there). */
  delayMs?: number;
  /** Only requests for which this returns true can fail (default: all). */
  match?: (e: { method: string; key: string; query: string }) => boolean;
  seed?: number;
}

export interface ProxyLogEntry {
  method: string;
  /** Object key (URL-decoded path after "/<bucket>/"), "" for bucket-level requests. */
  key: string;
  query: string;
  /** Fault injected instead of (or before) forwarding, if any. */
  fault?: FaultKind | 'held';
  /** True when the request reached the upstream server. */
  forwarded: boolean;
  /** Status sent to the client (undefined when the connection was reset or the client left). */
  status?: number;
  /** Order of completion. */
  seq: number;
}


/**
 * HTTP proxy on 127.0.0.1 in front of an S3 server. Requests are forwarded byte for byte (the Host
 * header is kept, so SigV4 signatures stay valid). A fraction of requests can be answered with 500
 * InternalError / 503 SlowDown, have their connection reset, or be delayed; requests matching a hold
 * predicate are never forwarded (emits 'held').
 */
export class FaultProxy extends EventEmitter {
  readonly log: ProxyLogEntry[] = [];
  private server: http.Server;
  private faults: FaultSpec | null = null;
  private rnd: () => number = Math.random;
  private holdPred: ((e: { method: string; key: string; query: string }) => boolean) | null = null;
  private seq = 0;
  port = 0;

  private constructor(
    private readonly upstreamPort: number,
    private readonly bucket: string,
  ) {
    super();
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
  }

  static async start(upstreamPort: number, bucket: string, faults: FaultSpec | null = null): Promise<FaultProxy> {
    const p = new FaultProxy(upstreamPort, bucket);
    p.setFaults(faults);
    await new Promise<void>((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    p.port = (p.server.address() as AddressInfo).port;
    return p;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  setFaults(f: FaultSpec | null): void {
    this.faults = f;
    this.rnd = f?.seed !== undefined ? mulberry32(f.seed) : Math.random;
  }

  hold(pred: ((e: { method: string; key: string; query: string }) => boolean) | null): void {
    this.holdPred = pred;
  }

  /** Entries that reached the upstream and were answered with 2xx. */
  succeeded(method: string, keyPred: (key: string) => boolean): ProxyLogEntry[] {
    return this.log.filter((e) => e.method === method && e.forwarded && e.status !== undefined && e.status < 300 && keyPred(e.key));
  }

  private parse(req: http.IncomingMessage): { method: string; key: string; query: string } {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const p = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    const parts = p.split('/').slice(1); // ['', bucket, ...key] → [bucket, ...key]
    let key = '';
    if (parts[0] === this.bucket) key = parts.slice(1).map((s) => decodeURIComponent(s)).join('/');
    return { method: req.method ?? 'GET', key, query };
  }

  private record(e: Omit<ProxyLogEntry, 'seq'>): ProxyLogEntry {
    const entry = { ...e, seq: this.seq++ };
    this.log.push(entry);
    this.emit('request', entry);
    return entry;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const info = this.parse(req);
    if (this.holdPred?.(info)) {
      this.emit('held', info);
      this.record({ ...info, fault: 'held', forwarded: false });
      req.on('close', () => res.destroy());
      return; // never answered
    }
    const f = this.faults;
    let fault: FaultKind | undefined;
    if (f && (!f.match || f.match(info)) && this.rnd() < f.rate) fault = f.kinds[Math.floor(this.rnd() * f.kinds.length)];
    if (fault === 'reset') {
      this.record({ ...info, fault, forwarded: false });
      req.socket.destroy();
      return;
    }
    if (fault === '500' || fault === '503') {
      req.resume();
      await new Promise<void>((r) => (req.complete ? r() : req.on('end', r).on('error', () => r()).on('close', () => r())));
      const code = fault === '500' ? 'InternalError' : 'SlowDown';
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected fault</Message><RequestId>fault</RequestId></Error>`;
      res.writeHead(Number(fault), { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      this.record({ ...info, fault, forwarded: false, status: Number(fault) });
      return;
    }
    if (fault === 'delay') {
      let gone = false;
      res.on('close', () => (gone = true));
      await new Promise((r) => setTimeout(r, f?.delayMs ?? 1000));
      if (gone || req.socket.destroyed) {
        this.record({ ...info, fault, forwarded: false });
        return;
      }
    }
    const headers = { ...req.headers };
    delete headers.expect; // the proxy already answered 100-continue; don't make upstream wait again
    const up = http.request(
      { host: '127.0.0.1', port: this.upstreamPort, method: req.method, path: req.url, headers, agent: false },
      (ures) => {
        if (fault === 'truncate') {
          const parts: Buffer[] = [];
          ures.on('data', (d: Buffer) => parts.push(d));
          ures.on('end', () => {
            const body = Buffer.concat(parts);
            this.record({ ...info, fault, forwarded: true });
            if (body.length > 1) {
              res.writeHead(ures.statusCode ?? 502, ures.headers);
              res.write(body.subarray(0, body.length >> 1), () => req.socket.destroy());
            } else {
              req.socket.destroy();
            }
          });
          return;
        }
        res.writeHead(ures.statusCode ?? 502, ures.headers);
        ures.pipe(res);
        ures.on('end', () => this.record({ ...info, fault, forwarded: true, status: ures.statusCode }));
        ures.on('error', () => res.destroy());
      },
    );
    up.on('error', () => {
      this.record({ ...info, fault, forwarded: true });
      res.destroy();
    });
    req.pipe(up);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export interface TestBlockOptions {
  ulid: string;
  minTime: number;
  maxTime: number;
  numSamples: number;
  level?: number;
  /** Contents of chunks/000001, chunks/000002, … */
  chunks: Uint8Array[];
  index: Uint8Array;
  /** Also write a tombstones file (never uploaded). */
  tombstones?: boolean;
}

/**
 * Writes a minimal Prometheus block directory <dir>/<ulid>: meta.json in the Prometheus format
 * (tsdb/block.go BlockMeta, tab-indented), chunks/*, index and optionally tombstones. The file
 * contents are opaque bytes: enough for shipping and bucket tests, not a readable TSDB block.
 */
export async function writeTestBlock(dir: string, o: TestBlockOptions): Promise<string> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const bdir = path.join(dir, o.ulid);
  await mkdir(path.join(bdir, 'chunks'), { recursive: true });
  for (let i = 0; i < o.chunks.length; i++) await writeFile(path.join(bdir, 'chunks', String(i + 1).padStart(6, '0')), o.chunks[i]!);
  await writeFile(path.join(bdir, 'index'), o.index);
  if (o.tombstones) await writeFile(path.join(bdir, 'tombstones'), Buffer.from([0x01, 0x30, 0xba, 0x30, 0x01, 0, 0, 0, 0]));
  const stats: Record<string, number> = {};
  if (o.numSamples) {
    stats.numSamples = o.numSamples;
    stats.numSeries = 1;
    stats.numChunks = o.chunks.length;
  }
  const meta = {
    ulid: o.ulid,
    minTime: o.minTime,
    maxTime: o.maxTime,
    stats,
    compaction: { level: o.level ?? 1, sources: [o.ulid] },
    version: 1,
  };
  await writeFile(path.join(bdir, 'meta.json'), JSON.stringify(meta, null, '\t'));
  return bdir;
}
