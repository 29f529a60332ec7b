// S3 bucket (Thanos `type: S3`) on AWS SDK v3. Works with AWS S3, MinIO and other S3 servers.
//
// - Addressing: `bucket_lookup_type` auto (virtual-hosted for *.amazonaws.com, path-style otherwise,
//   as minio-go does), virtual-hosted or path. `endpoint` without a scheme gets http:// when
//   `insecure: true`, https:// otherwise.
// - Checksums: only when the operation requires them (`WHEN_REQUIRED`), so MinIO and older S3
//   servers accept our requests; `send_content_md5` (default true, as Thanos) adds Content-MD5 to
//   every body we send.
// - Uploads: bodies smaller than `part_size` (default 64 MiB) go in one PutObject; larger ones and
//   streams of unknown size use CreateMultipartUpload/UploadPart/CompleteMultipartUpload with up to 4
//   parts in flight, aborting the upload on failure. Every request body is a Buffer, so any request
//   can be retried.
// - Retries: our own loop (exponential backoff with jitter, `max_retries`, default 10 like
//   minio-go) around every request, including reading the response body, on 5xx, 429, throttling
//   codes, timeouts and connection errors. The SDK's own retry is disabled (maxAttempts 1): its retry
//   quota gives up after a burst of failures and it cannot retry a failed body read.
import * as http from 'node:http';
import * as https from 'node:https';
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  S3Client,
  type S3ClientConfig,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  ListObjectsCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand,
  type CompletedPart,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import {
  type Bucket,
  type IterOptions,
  type ObjectAttributes,
  type ObjstoreLogger,
  type PutBody,
  DIR_DELIM,
  NotFoundError,
  compareKeys,
  dirPrefix,
  isFileBody,
  nopLogger,
  readAll,
  validateObjectKey,
  validatePrefix,
} from './bucket.ts';

export const DEFAULT_PART_SIZE = 64 * 1024 * 1024;
/** S3's smallest allowed part (all parts but the last). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10000;
const UPLOAD_CONCURRENCY = 4;

export type SSEOptions =
  | { type: 'SSE-S3' }
  | { type: 'SSE-KMS'; kmsKeyId: string; kmsEncryptionContext?: Record<string, string> }
  | { type: 'SSE-C'; key: Uint8Array };

export interface S3TLSOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  serverName?: string;
  insecureSkipVerify?: boolean;
}

export interface S3HTTPOptions {
  idleConnTimeoutMs?: number;
  responseHeaderTimeoutMs?: number;
  tlsHandshakeTimeoutMs?: number;
  insecureSkipVerify?: boolean;
  maxIdleConns?: number;
  maxIdleConnsPerHost?: number;
  maxConnsPerHost?: number;
  tls?: S3TLSOptions;
}

export interface S3BucketOptions {
  bucket: string;
  endpoint: string;
  region?: string;
  accessKey?: string;
  secretKey?: string;
  sessionToken?: string;
  insecure?: boolean;
  bucketLookupType?: 'auto' | 'virtual-hosted' | 'path';
  listObjectsVersion?: 'v1' | 'v2';
  partSize?: number;
  disableMultipart?: boolean;
  sendContentMd5?: boolean;
  putUserMetadata?: Record<string, string>;
  sse?: SSEOptions;
  http?: S3HTTPOptions;
  /** Retries after the first attempt (default 10). */
  maxRetries?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  trace?: boolean;
  logger?: ObjstoreLogger;
  /** Keys per list request (S3 default 1000); small values exercise pagination in tests. */
  listMaxKeys?: number;
}

/** Resolves the endpoint URL: a bare host[:port] gets http:// (insecure) or https://. */
export function endpointURL(endpoint: string, insecure: boolean): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)) return endpoint;
  return `${insecure ? 'http' : 'https'}://${endpoint}`;
}

/** minio-go's BucketLookupAuto: virtual-hosted style for AWS (and Aliyun/GCS) hosts, path-style elsewhere. */
export function usePathStyle(endpoint: string, lookup: 'auto' | 'virtual-hosted' | 'path'): boolean {
  if (lookup === 'path') return true;
  if (lookup === 'virtual-hosted') return false;
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    return true;
  }
  return !/(^|\.)amazonaws\.com(\.cn)?$|(^|\.)aliyuncs\.com$|^storage\.googleapis\.com$/.test(host);
}

const RETRYABLE_CODES = new Set([
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'RequestTimeout',
  'RequestTimeoutException',
  'TooManyRequestsException',
  'BadDigest', // body corrupted in transit
  'IncompleteBody',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

interface AwsLikeError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function asAws(err: unknown): AwsLikeError {
  return typeof err === 'object' && err !== null ? (err as AwsLikeError) : {};
}

function statusOf(err: unknown): number | undefined {
  return asAws(err).$metadata?.httpStatusCode;
}

export function isRetryableS3Error(err: unknown): boolean {
  if (err instanceof NotFoundError) return false;
  const e = asAws(err);
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (e.$retryable) return true;
  for (const c of [e.name, e.code, e.Code]) if (c && RETRYABLE_CODES.has(c)) return true;
  const msg = e.message ?? '';
  if (/socket hang up|aborted|premature close|ECONNRESET|EPIPE|timed? ?out/i.test(msg)) return true;
  const cause = (err as { cause?: unknown }).cause;
  if (cause !== undefined && cause !== err) return isRetryableS3Error(cause);
  return false;
}

function isNotFoundS3(err: unknown): boolean {
  const e = asAws(err);
  if (e.name === 'NoSuchKey' || e.name === 'NotFound' || e.Code === 'NoSuchKey') return true;
  return statusOf(err) === 404 && e.name !== 'NoSuchBucket' && e.name !== 'NoSuchUpload';
}

function isInvalidRange(err: unknown): boolean {
  const e = asAws(err);
  return statusOf(err) === 416 || e.name === 'InvalidRange' || e.Code === 'InvalidRange';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function md5b64(b: Uint8Array): string {
  return createHash('md5').update(b).digest('base64');
}

/** Reads `n` bytes (or fewer at end of stream) from an async iterator over chunks, keeping leftovers. */
class ChunkReader {
  private it: AsyncIterator<Uint8Array | string>;
  private rest: Buffer | null = null;
  private done = false;
  constructor(src: AsyncIterable<Uint8Array | string>) {
    this.it = src[Symbol.asyncIterator]();
  }
  async read(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    if (this.rest) {
      const take = Math.min(n, this.rest.length);
      parts.push(this.rest.subarray(0, take));
      have = take;
      this.rest = take < this.rest.length ? this.rest.subarray(take) : null;
    }
    while (have < n && !this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        break;
      }
      const c = typeof r.value === 'string' ? Buffer.from(r.value) : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      const take = Math.min(n - have, c.length);
      parts.push(c.subarray(0, take));
      have += take;
      if (take < c.length) this.rest = c.subarray(take);
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, have);
  }
  async eof(): Promise<boolean> {
    if (this.rest && this.rest.length > 0) return false;
    if (this.done) return true;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return true;
    }
    this.rest = typeof r.value === 'string' ? Buffer.from(r.value) : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    return this.rest.length === 0 ? this.eof() : false;
  }
}

export class S3Bucket implements Bucket {
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly logger: ObjstoreLogger;
  private readonly partSize: number;
  private readonly disableMultipart: boolean;
  private readonly sendContentMd5: boolean;
  private readonly listV1: boolean;
  private readonly metadata: Record<string, string>;
  private readonly storageClass: string | undefined;
  private readonly sse: SSEOptions | undefined;
  private readonly maxRetries: number;
  private readonly retryBase: number;
  private readonly retryMax: number;
  private readonly agents: (http.Agent | https.Agent)[] = [];
  private readonly listMaxKeys: number | undefined;

  constructor(opts: S3BucketOptions) {
    if (!opts.bucket) throw new Error('no s3 bucket in config');
    if (!opts.endpoint) throw new Error('no s3 endpoint in config file');
    this.bucket = opts.bucket;
    this.logger = opts.logger ?? nopLogger;
    this.partSize = opts.partSize && opts.partSize > 0 ? Math.max(opts.partSize, MIN_PART_SIZE) : DEFAULT_PART_SIZE;
    this.disableMultipart = opts.disableMultipart ?? false;
    this.sendContentMd5 = opts.sendContentMd5 ?? true;
    this.listV1 = opts.listObjectsVersion === 'v1';
    this.listMaxKeys = opts.listMaxKeys;
    this.sse = opts.sse;
    this.maxRetries = opts.maxRetries ?? 10;
    this.retryBase = opts.retryBaseDelayMs ?? 100;
    this.retryMax = opts.retryMaxDelayMs ?? 10_000;
    // Thanos moves an X-Amz-Storage-Class entry of put_user_metadata into the storage class.
    this.metadata = {};
    for (const [k, v] of Object.entries(opts.putUserMetadata ?? {})) {
      if (k.toLowerCase() === 'x-amz-storage-class') this.storageClass = v;
      else this.metadata[k] = v;
    }

    // The SDK warns on every start that its releases after January 2027 need Node 22; our lockfile
    // pins the SDK and we support Node 20, so the warning is noise. Set the variable to "false" to see it.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const endpoint = endpointURL(opts.endpoint, opts.insecure ?? false);
    const h = opts.http ?? {};
    const idle = h.idleConnTimeoutMs ?? 90_000;
    const agentOpts: http.AgentOptions = {
      keepAlive: true,
      timeout: idle,
      maxSockets: h.maxConnsPerHost && h.maxConnsPerHost > 0 ? h.maxConnsPerHost : Infinity,
      maxFreeSockets: h.maxIdleConnsPerHost ?? 100,
      maxTotalSockets: Infinity,
    };
    const tls = h.tls ?? {};
    const httpAgent = new http.Agent(agentOpts);
    const httpsAgent = new https.Agent({
      ...agentOpts,
      rejectUnauthorized: !(h.insecureSkipVerify || tls.insecureSkipVerify),
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      servername: tls.serverName,
    });
    this.agents.push(httpAgent, httpsAgent);

    const cfg: S3ClientConfig = {
      endpoint,
      region: opts.region || 'us-east-1',
      forcePathStyle: usePathStyle(endpoint, opts.bucketLookupType ?? 'auto'),
      followRegionRedirects: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1,
      requestHandler: {
        connectionTimeout: 30_000 + (h.tlsHandshakeTimeoutMs ?? 10_000),
        socketTimeout: h.responseHeaderTimeoutMs ?? 120_000,
        httpAgent,
        httpsAgent,
      },
    };
    if (opts.accessKey) {
      cfg.credentials = {
        accessKeyId: opts.accessKey,
        secretAccessKey: opts.secretKey ?? '',
        ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
      };
    }
    if (opts.trace) {
      const l = this.logger;
      cfg.logger = {
        trace: () => {},
        debug: (...a: unknown[]) => l.debug({ s3: a }, 's3 trace'),
        info: (...a: unknown[]) => l.debug({ s3: a }, 's3 trace'),
        warn: (...a: unknown[]) => l.warn({ s3: a }, 's3 trace'),
        error: (...a: unknown[]) => l.error({ s3: a }, 's3 trace'),
      };
    }
    this.client = new S3Client(cfg);
  }

  name(): string {
    return this.bucket;
  }

  private sseRead(): { SSECustomerAlgorithm?: string; SSECustomerKey?: string } {
    if (this.sse?.type !== 'SSE-C') return {};
    return { SSECustomerAlgorithm: 'AES256', SSECustomerKey: Buffer.from(this.sse.key).toString('base64') };
  }

  private sseWrite(): Record<string, string> {
    const s = this.sse;
    if (!s) return {};
    if (s.type === 'SSE-S3') return { ServerSideEncryption: 'AES256' satisfies ServerSideEncryption };
    if (s.type === 'SSE-KMS') {
      const r: Record<string, string> = { ServerSideEncryption: 'aws:kms' satisfies ServerSideEncryption, SSEKMSKeyId: s.kmsKeyId };
      r.SSEKMSEncryptionContext = Buffer.from(JSON.stringify(s.kmsEncryptionContext ?? {})).toString('base64');
      return r;
    }
    return this.sseRead() as Record<string, string>;
  }

  /** Runs one S3 operation with retries on transient failures. */
  private async retry<T>(op: string, key: string, fn: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (err) {
        if (attempt >= this.maxRetries || !isRetryableS3Error(err)) throw err;
        const cap = Math.min(this.retryMax, this.retryBase * 2 ** attempt);
        const delay = cap / 2 + Math.random() * (cap / 2);
        this.logger.debug(
          { op, key, attempt: attempt + 1, delayMs: Math.round(delay), err: (err as Error)?.message ?? String(err) },
          'retrying s3 request',
        );
        await sleep(delay);
      }
    }
  }

  async get(key: string): Promise<Uint8Array> {
    return this.getRange(key, 0, -1);
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    validateObjectKey(key);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`invalid offset ${offset}`);
    if (length === 0) {
      if (!(await this.exists(key))) throw new NotFoundError(key);
      return new Uint8Array(0);
    }
    const range = length < 0 ? (offset > 0 ? `bytes=${offset}-` : undefined) : `bytes=${offset}-${offset + length - 1}`;
    return this.retry('get', key, async () => {
      try {
        const r = await this.client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: range } : {}), ...this.sseRead() }),
        );
        if (!r.Body) return new Uint8Array(0);
        const body = await readAll(r.Body as Readable);
        if (r.ContentLength !== undefined && body.length !== r.ContentLength) {
          const e = new Error(`short read of ${key}: ${body.length} of ${r.ContentLength} bytes`);
          (e as { code?: string }).code = 'IncompleteBody';
          throw e;
        }
        return body;
      } catch (err) {
        if (isNotFoundS3(err)) throw new NotFoundError(key, err);
        if (isInvalidRange(err)) return new Uint8Array(0); // offset at or past the end
        throw err;
      }
    });
  }

  async getStream(key: string): Promise<NodeJS.ReadableStream> {
    validateObjectKey(key);
    return this.retry('get', key, async () => {
      try {
        const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...this.sseRead() }));
        return (r.Body as Readable | undefined) ?? Readable.from([]);
      } catch (err) {
        if (isNotFoundS3(err)) throw new NotFoundError(key, err);
        throw err;
      }
    });
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.attributes(key);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  async attributes(key: string): Promise<ObjectAttributes> {
    validateObjectKey(key);
    return this.retry('head', key, async () => {
      try {
        const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, ...this.sseRead() }));
        return { size: r.ContentLength ?? 0, lastModified: r.LastModified ?? new Date(0) };
      } catch (err) {
        if (isNotFoundS3(err)) throw new NotFoundError(key, err);
        throw err;
      }
    });
  }

  private putParams(key: string) {
    return {
      Bucket: this.bucket,
      Key: key,
      ...(Object.keys(this.metadata).length ? { Metadata: this.metadata } : {}),
      ...(this.storageClass ? { StorageClass: this.storageClass as never } : {}),
      ...this.sseWrite(),
    };
  }

  private async putSingle(key: string, body: Buffer): Promise<void> {
    const md5 = this.sendContentMd5 ? md5b64(body) : undefined;
    await this.retry('put', key, () =>
      this.client.send(
        new PutObjectCommand({
          ...this.putParams(key),
          Body: body,
          ContentLength: body.length,
          ...(md5 ? { ContentMD5: md5 } : {}),
        }),
      ),
    );
  }

  /** Part size for an object of the given size (unknown: -1), keeping within S3's 10000-part limit. */
  private partSizeFor(size: number): number {
    let ps = this.partSize;
    if (size > 0 && Math.ceil(size / ps) > MAX_PARTS) {
      const mib = 1024 * 1024;
      ps = Math.ceil(size / MAX_PARTS / mib) * mib;
    }
    return ps;
  }

  async put(key: string, body: PutBody): Promise<void> {
    validateObjectKey(key);
    if (body instanceof Uint8Array) {
      const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      if (this.disableMultipart || buf.length < this.partSize) return this.putSingle(key, buf);
      const ps = this.partSizeFor(buf.length);
      let off = 0;
      return this.multipart(key, async () => {
        if (off >= buf.length) return null;
        const part = buf.subarray(off, Math.min(off + ps, buf.length));
        off += part.length;
        return part;
      });
    }
    if (isFileBody(body)) {
      const size = (await fsp.stat(body.path)).size;
      if (this.disableMultipart || size < this.partSize) return this.putSingle(key, await fsp.readFile(body.path));
      const ps = this.partSizeFor(size);
      const fh = await fsp.open(body.path, 'r');
      try {
        let off = 0;
        await this.multipart(key, async () => {
          if (off >= size) return null;
          const n = Math.min(ps, size - off);
          const buf = Buffer.allocUnsafe(n);
          let done = 0;
          while (done < n) {
            const { bytesRead } = await fh.read(buf, done, n - done, off + done);
            if (bytesRead === 0) throw new Error(`${body.path} shrank while uploading`);
            done += bytesRead;
          }
          off += n;
          return buf;
        });
      } finally {
        await fh.close();
      }
      return;
    }
    // A stream of unknown length: buffer one part; if the stream ends within it, a single PUT.
    if (this.disableMultipart) return this.putSingle(key, Buffer.from(await readAll(body)));
    const reader = new ChunkReader(body as AsyncIterable<Uint8Array | string>);
    const first = await reader.read(this.partSize);
    if (first.length < this.partSize || (await reader.eof())) return this.putSingle(key, first);
    let pending: Buffer | null = first;
    return this.multipart(key, async () => {
      if (pending) {
        const p = pending;
        pending = null;
        return p;
      }
      const b = await reader.read(this.partSize);
      return b.length > 0 ? b : null;
    });
  }

  /** Multipart upload fed by `next` (sequential), with up to UPLOAD_CONCURRENCY parts in flight. */
  private async multipart(key: string, next: () => Promise<Buffer | null>): Promise<void> {
    const created = await this.retry('create-multipart', key, () =>
      this.client.send(new CreateMultipartUploadCommand(this.putParams(key))),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error(`s3: CreateMultipartUpload for ${key} returned no UploadId`);
    const parts: CompletedPart[] = [];
    const inflight = new Set<Promise<void>>();
    let failure: unknown = undefined;
    try {
      for (let partNumber = 1; ; partNumber++) {
        if (failure !== undefined) break;
        const buf = await next();
        if (!buf) break;
        if (partNumber > MAX_PARTS) throw new Error(`s3: ${key} needs more than ${MAX_PARTS} parts`);
        const pn = partNumber;
        const md5 = this.sendContentMd5 ? md5b64(buf) : undefined;
        const p = this.retry('upload-part', key, () =>
          this.client.send(
            new UploadPartCommand({
              Bucket: this.bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: pn,
              Body: buf,
              ContentLength: buf.length,
              ...(md5 ? { ContentMD5: md5 } : {}),
              ...this.sseRead(),
            }),
          ),
        ).then(
          (r) => {
            parts.push({ PartNumber: pn, ETag: r.ETag });
          },
          (err: unknown) => {
            if (failure === undefined) failure = err;
          },
        );
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
        if (inflight.size >= UPLOAD_CONCURRENCY) await Promise.race(inflight);
      }
      await Promise.all(inflight);
      if (failure !== undefined) throw failure;
      parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      await this.retry('complete-multipart', key, async (attempt) => {
        try {
          await this.client.send(
            new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
          );
        } catch (err) {
          // A retried Complete whose first attempt succeeded (response lost) finds no upload any more.
          if (attempt > 0 && asAws(err).name === 'NoSuchUpload' && (await this.exists(key))) return;
          throw err;
        }
      });
    } catch (err) {
      await Promise.allSettled(inflight);
      try {
        await this.retry('abort-multipart', key, () =>
          this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })),
        );
      } catch (abortErr) {
        this.logger.warn({ key, uploadId, err: (abortErr as Error)?.message }, 'failed to abort multipart upload');
      }
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    validateObjectKey(key);
    await this.retry('delete', key, async () => {
      try {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
      } catch (err) {
        if (isNotFoundS3(err)) return;
        throw err;
      }
    });
  }

  async iter(prefix: string, fn: (key: string) => void | Promise<void>, opts?: IterOptions): Promise<void> {
    validatePrefix(prefix);
    const dir = dirPrefix(prefix);
    const delimiter = opts?.recursive ? undefined : DIR_DELIM;
    let token: string | undefined;
    for (;;) {
      let keys: string[];
      let nextToken: string | undefined;
      if (this.listV1) {
        const r = await this.retry('list', dir, () =>
          this.client.send(
            new ListObjectsCommand({
              Bucket: this.bucket,
              Prefix: dir,
              ...(delimiter ? { Delimiter: delimiter } : {}),
              ...(token ? { Marker: token } : {}),
              ...(this.listMaxKeys ? { MaxKeys: this.listMaxKeys } : {}),
            }),
          ),
        );
        keys = [...(r.Contents ?? []).map((c) => c.Key ?? ''), ...(r.CommonPrefixes ?? []).map((c) => c.Prefix ?? '')];
        if (r.IsTruncated) {
          const sorted = [...keys].sort(compareKeys);
          nextToken = r.NextMarker ?? sorted[sorted.length - 1];
        }
      } else {
        const r = await this.retry('list', dir, () =>
          this.client.send(
            new ListObjectsV2Command({
              Bucket: this.bucket,
              Prefix: dir,
              ...(delimiter ? { Delimiter: delimiter } : {}),
              ...(token ? { ContinuationToken: token } : {}),
              ...(this.listMaxKeys ? { MaxKeys: this.listMaxKeys } : {}),
            }),
          ),
        );
        keys = [...(r.Contents ?? []).map((c) => c.Key ?? ''), ...(r.CommonPrefixes ?? []).map((c) => c.Prefix ?? '')];
        nextToken = r.IsTruncated ? r.NextContinuationToken : undefined;
      }
      keys.sort(compareKeys);
      for (const k of keys) {
        if (k === '' || k === dir) continue; // some servers list the directory marker itself
        await fn(k);
      }
      if (!nextToken) return;
      token = nextToken;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
    for (const a of this.agents) a.destroy();
  }
}
