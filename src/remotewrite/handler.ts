// Thanos-compatible remote write 1.0 receive endpoint (POST /api/v1/receive).
//
// Status codes follow thanos pkg/receive/handler.go + writer.go:
//   200 empty body        all samples stored (exact duplicates of stored samples count as stored)
//   409 Conflict          out-of-order / duplicate-with-different-value / out-of-bounds / too-old samples,
//                         invalid label sets, rejected exemplars (Thanos `isConflict`); the valid samples
//                         of the request are still committed, like Thanos
//   400 Bad Request       undecodable body (snappy or protobuf), wrong Content-Encoding, invalid tenant,
//                         native histograms (not supported yet)
//   405                   not POST
//   413                   body too large (compressed length, or the snappy header's decompressed length)
//   415                   remote write 2.0 or another unsupported Content-Type
//   429                   the head refused samples because of a limit
//   500                   unexpected errors, e.g. the WAL write in commit() failed (the sender retries)
//   503                   target not ready
// Never answers 2xx before Appender.commit() resolved.
import type { IncomingMessage, ServerResponse } from 'node:http';
import snappy from 'snappy';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { Labels, validateWireLabels, isLegacyLabelName } from '../labels/labels.ts';
import { AppendError, type AppendErrorKind, type Appender, type MetricMetadata } from '../storage/interfaces.ts';
import {
  DecodeError,
  decodeWriteRequest,
  looksLikeSnappyFramed,
  metricTypeName,
  snappyUncompressedLength,
  type DecodedWriteRequest,
} from './codec.ts';

export interface RemoteWriteTarget {
  /** false → 503. */
  ready(): boolean;
  appender(tenant: string): Appender;
  setMetadata(tenant: string, metricFamily: string, md: MetricMetadata): void;
}

export interface RemoteWriteLogger {
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export interface RemoteWriteHandlerOptions {
  target: RemoteWriteTarget;
  /** Default 'THANOS-TENANT'. */
  tenantHeader?: string;
  /** Default 'default-tenant'. */
  defaultTenant?: string;
  /** Maximum decompressed request size in bytes, default 32 MiB → 413. */
  maxRequestBytes?: number;
  logger?: RemoteWriteLogger;
  metrics?: RemoteWriteMetrics;
  /** Value of the `handler` label on HTTP metrics (default 'receive'). */
  handlerName?: string;
  /**
   * Hashring routing (strata receive with --receive.hashrings-file): when set, every decoded request
   * goes here instead of the local appender, and its answer is sent as is. `raw` is the uncompressed
   * protobuf the request was decoded from (series are forwarded byte for byte). Metadata is not routed.
   */
  route?: (tenant: string, wr: DecodedWriteRequest, raw: Uint8Array) => Promise<WriteResult>;
}

/** Outcome of writing one decoded request: the HTTP status and the body text ('' for 200). */
export interface WriteResult {
  status: number;
  text: string;
  /** Rejected items by reason (local writes only). */
  counts?: ReadonlyMap<string, number>;
}

export const DEFAULT_TENANT_HEADER = 'THANOS-TENANT';
export const DEFAULT_TENANT = 'default-tenant';
export const DEFAULT_MAX_REQUEST_BYTES = 32 << 20;

/** prom-client metrics of the receive endpoint, registered on the given registry. */
export class RemoteWriteMetrics {
  readonly httpRequests: Counter<'code' | 'handler' | 'method'>;
  readonly httpDuration: Histogram<'code' | 'handler' | 'method'>;
  readonly samplesTotal: Counter<'code' | 'tenant'>;
  readonly timeseriesTotal: Counter<'code' | 'tenant'>;
  readonly samplesPerRequest: Histogram<'code' | 'tenant'>;
  readonly timeseriesPerRequest: Histogram<'code' | 'tenant'>;
  readonly rejected: Counter<'tenant' | 'reason'>;
  readonly pending: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.httpRequests = new Counter({
      name: 'thanos_receive_http_requests_total',
      help: 'Tracks the number of HTTP requests to the receive endpoint.',
      labelNames: ['code', 'handler', 'method'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'thanos_receive_http_request_duration_seconds',
      help: 'Tracks the latencies for HTTP requests to the receive endpoint.',
      labelNames: ['code', 'handler', 'method'],
      buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    });
    this.samplesTotal = new Counter({
      name: 'thanos_receive_write_samples_total',
      help: 'The number of samples received in remote write requests.',
      labelNames: ['code', 'tenant'],
      registers,
    });
    this.timeseriesTotal = new Counter({
      name: 'thanos_receive_write_timeseries_total',
      help: 'The number of timeseries received in remote write requests.',
      labelNames: ['code', 'tenant'],
      registers,
    });
    // Same names and buckets as Thanos' per-request histograms.
    this.samplesPerRequest = new Histogram({
      name: 'thanos_receive_write_samples',
      help: 'The number of sampled received in the incoming write requests.',
      labelNames: ['code', 'tenant'],
      buckets: [10, 50, 100, 500, 1000, 5000, 10000],
      registers,
    });
    this.timeseriesPerRequest = new Histogram({
      name: 'thanos_receive_write_timeseries',
      help: 'The number of timeseries received in the incoming write requests.',
      labelNames: ['code', 'tenant'],
      buckets: [10, 50, 100, 500, 1000, 5000, 10000],
      registers,
    });
    this.rejected = new Counter({
      name: 'strata_receive_rejected_total',
      help: 'Samples, series and exemplars rejected by the receive endpoint, by reason.',
      labelNames: ['tenant', 'reason'],
      registers,
    });
    this.pending = new Gauge({
      name: 'thanos_receive_pending_write_requests',
      help: 'The number of pending write requests.',
      registers,
    });
  }
}

/** Rejection reasons counted per request. */
type Reason =
  | AppendErrorKind
  | 'native_histogram'
  | 'exemplar_out_of_order'
  | 'exemplar_duplicate'
  | 'exemplar_invalid'
  | 'exemplar_other';

const REASON_TEXT: Record<Reason, string> = {
  out_of_order: 'out of order samples',
  duplicate: 'duplicate samples for timestamp with different value',
  out_of_bounds: 'out of bounds samples (too old or too far in the future for the head)',
  too_old: 'samples too old for the out-of-order window',
  invalid_labels: 'series with invalid labels',
  limit: 'samples over a limit',
  native_histogram: 'native histogram samples (native histograms are not supported yet)',
  exemplar_out_of_order: 'out of order exemplars',
  exemplar_duplicate: 'duplicate exemplars',
  exemplar_invalid: 'invalid exemplars',
  exemplar_other: 'rejected exemplars',
};

/** Thanos `isConflict`: answered 409, never retried by the sender. */
const CONFLICT: ReadonlySet<Reason> = new Set<Reason>([
  'out_of_order',
  'duplicate',
  'out_of_bounds',
  'too_old',
  'invalid_labels',
  'exemplar_out_of_order',
  'exemplar_duplicate',
  'exemplar_invalid',
  'exemplar_other',
]);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly closeConnection = false,
  ) {
    super(message);
  }
}

/** Labels text for a wire-order label list (which may be unsorted or invalid). */
function wireLabelsText(flat: readonly string[]): string {
  const parts: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const n = flat[i]!;
    parts.push(`${isLegacyLabelName(n) ? n : JSON.stringify(n)}=${JSON.stringify(flat[i + 1])}`);
  }
  return `{${parts.join(', ')}}`;
}

/** Thanos tenancy.IsTenantValid: a tenant must be usable as one path component. */
function tenantError(t: string): string | null {
  if (t === '.' || t === '..') return `tenant ${JSON.stringify(t)} is not a valid name`;
  if (t.includes('/') || t.includes('\\')) return `tenant ${JSON.stringify(t)} must not contain path separators`;
  return null;
}

/** Maximum snappy block size for an input of n bytes (snappy MaxEncodedLen). */
function snappyMaxEncodedLen(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const cl = req.headers['content-length'];
  if (cl !== undefined) {
    const n = Number(cl);
    if (Number.isFinite(n) && n > limit) {
      req.resume();
      throw new HttpError(413, `write request too large: Content-Length ${n} exceeds the limit of ${limit} compressed bytes`, true);
    }
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      req.resume();
      throw new HttpError(413, `write request too large: body exceeds the limit of ${limit} compressed bytes`, true);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

/** Parses `type/subtype; k=v; …` into the lower-cased media type and parameters. */
function parseContentType(v: string): { type: string; params: Map<string, string> } {
  const parts = v.split(';');
  const params = new Map<string, string>();
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return { type: parts[0]!.trim().toLowerCase(), params };
}

function checkHeaders(req: IncomingMessage): void {
  const ct = req.headers['content-type'];
  if (ct !== undefined && ct !== '') {
    const { type, params } = parseContentType(ct);
    if (type !== 'application/x-protobuf') {
      throw new HttpError(415, `unsupported Content-Type ${JSON.stringify(ct)}: expected application/x-protobuf (remote write 1.0)`);
    }
    const proto = params.get('proto');
    if (proto !== undefined && proto !== 'prometheus.WriteRequest') {
      if (proto === 'io.prometheus.write.v2.Request') {
        throw new HttpError(
          415,
          'remote write 2.0 (io.prometheus.write.v2.Request) is not supported by this receiver; configure the sender with protobuf_message: prometheus.WriteRequest (remote write 1.0)',
        );
      }
      throw new HttpError(415, `unsupported protobuf message ${JSON.stringify(proto)}: only prometheus.WriteRequest (remote write 1.0) is accepted`);
    }
  }
  const ce = req.headers['content-encoding'];
  if (ce !== undefined && ce !== '' && ce.trim().toLowerCase() !== 'snappy') {
    throw new HttpError(400, `unsupported Content-Encoding ${JSON.stringify(ce)}: remote write bodies must be snappy block-compressed`);
  }
}

function decompress(body: Uint8Array, maxBytes: number): Uint8Array {
  if (looksLikeSnappyFramed(body)) {
    throw new HttpError(400, 'snappy decode error: body uses the snappy framed format; remote write requires the snappy block format');
  }
  const n = snappyUncompressedLength(body);
  if (n < 0) throw new HttpError(400, 'snappy decode error: invalid block header (uncompressed length)');
  if (n > maxBytes) {
    throw new HttpError(413, `write request too large: decompressed size ${n} exceeds the limit of ${maxBytes} bytes`);
  }
  try {
    const out = snappy.uncompressSync(body, { asBuffer: true }) as Buffer;
    return out;
  } catch (e) {
    throw new HttpError(400, `snappy decode error: ${(e as Error).message}`);
  }
}

interface Outcome {
  counts: Map<Reason, number>;
  first: Map<Reason, string>;
  samples: number;
  series: number;
}

function note(o: Outcome, reason: Reason, n: number, detail: () => string): void {
  o.counts.set(reason, (o.counts.get(reason) ?? 0) + n);
  if (!o.first.has(reason)) o.first.set(reason, detail());
}

function exemplarReason(e: unknown): Reason {
  if (e instanceof AppendError) {
    if (e.kind === 'out_of_order') return 'exemplar_out_of_order';
    if (e.kind === 'duplicate') return 'exemplar_duplicate';
    if (e.kind === 'invalid_labels' || e.kind === 'limit') return 'exemplar_invalid';
  }
  return 'exemplar_other';
}

/** Appends everything valid from the request into `app` (no commit). Throws non-AppendErrors. */
function applyRequest(wr: DecodedWriteRequest, app: Appender, o: Outcome): void {
  const { ts, vs } = wr;
  for (const s of wr.series) {
    const bad = validateWireLabels(s.labels);
    if (bad !== null) {
      note(o, 'invalid_labels', 1, () => `${wireLabelsText(s.labels)}: ${bad}`);
      continue;
    }
    const lset = Labels.fromSortedFlat(s.labels);
    if (s.histograms.length > 0) {
      note(o, 'native_histogram', s.histograms.length, () => `${lset.toString()}: native histograms are not supported yet`);
    }
    let ref = 0;
    const endIdx = s.sampleOffset + s.sampleCount;
    for (let i = s.sampleOffset; i < endIdx; i++) {
      try {
        ref = app.append(ref, lset, ts[i]!, vs[i]!);
      } catch (e) {
        if (!(e instanceof AppendError)) throw e;
        const t = ts[i]!;
        note(o, e.kind, 1, () => `${lset.toString()} at t=${t}: ${e.message}`);
      }
    }
    // Like Thanos: exemplars need the series to exist (ref from an accepted sample).
    if (ref !== 0 && s.exemplars.length > 0 && app.appendExemplar) {
      for (const ex of s.exemplars) {
        const pairs: [string, string][] = [];
        for (let i = 0; i + 1 < ex.labels.length; i += 2) pairs.push([ex.labels[i]!, ex.labels[i + 1]!]);
        try {
          app.appendExemplar(ref, lset, { labels: Labels.fromPairs(pairs), value: ex.value, ts: ex.timestamp });
        } catch (e) {
          const reason = exemplarReason(e);
          note(o, reason, 1, () => `${lset.toString()} exemplar at t=${ex.timestamp}: ${(e as Error).message}`);
        }
      }
    }
  }
}

/** Status for a reason: limits are retryable (429), histograms are a client problem (400), the rest conflicts (409). */
function reasonStatus(r: Reason): number {
  return r === 'limit' ? 429 : r === 'native_histogram' ? 400 : CONFLICT.has(r) ? 409 : 500;
}

/** Precedence when several kinds occur: 500 > 429 (retry later) > 400 > 409 > 200. */
const STATUS_RANK: Record<number, number> = { 200: 0, 409: 1, 400: 2, 429: 3, 500: 4 };

function statusFor(o: Outcome): number {
  let status = 200;
  for (const r of o.counts.keys()) {
    const code = reasonStatus(r);
    if (STATUS_RANK[code]! > STATUS_RANK[status]!) status = code;
  }
  return status;
}

function outcomeText(status: number, o: Outcome): string {
  const head =
    status === 409
      ? 'write conflict: some samples were rejected (the others were stored)'
      : status === 429
        ? 'too many samples: a limit was reached (the other samples were stored)'
        : status === 400
          ? 'bad request: the write request contains data this receiver cannot store (the other samples were stored)'
          : 'write failed';
  const lines = [head];
  for (const [r, n] of o.counts) lines.push(`${REASON_TEXT[r]}: ${n}`);
  for (const [r, f] of o.first) lines.push(`first offending series (${r}): ${f}`);
  return lines.join('\n') + '\n';
}

/**
 * Appends every valid series and sample of `wr` to the tenant's appender and commits: the status
 * and text the receive endpoint answers (200, 409, 429, 400; 500 when the commit failed — then nothing
 * was stored). Used by the HTTP endpoint and by hashring local writes (a subset of a request's series
 * with the request's `ts`/`vs` arrays). Throws only unexpected (non-AppendError) errors.
 */
export async function writeDecoded(target: RemoteWriteTarget, tenant: string, wr: DecodedWriteRequest, logger?: RemoteWriteLogger): Promise<WriteResult> {
  let sampleCount = 0;
  for (const s of wr.series) sampleCount += s.sampleCount;
  const o: Outcome = { counts: new Map(), first: new Map(), samples: sampleCount, series: wr.series.length };
  if (wr.series.length > 0) {
    const app = target.appender(tenant);
    try {
      applyRequest(wr, app, o);
    } catch (e) {
      app.rollback();
      throw e;
    }
    try {
      await app.commit();
    } catch (e) {
      logger?.warn({ tenant, err: (e as Error).message }, 'remote write commit failed');
      return { status: 500, text: `commit samples: ${(e as Error).message} (nothing from this request was stored; retry)\n` };
    }
  }
  const status = statusFor(o);
  return { status, text: status === 200 ? '' : outcomeText(status, o), counts: o.counts };
}

/**
 * Builds the request handler. It reads, checks, decodes and appends one remote-write request and
 * answers with the Thanos status codes listed at the top of this file.
 */
export function createRemoteWriteHandler(opts: RemoteWriteHandlerOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const target = opts.target;
  const tenantHeader = (opts.tenantHeader ?? DEFAULT_TENANT_HEADER).toLowerCase();
  const defaultTenant = opts.defaultTenant ?? DEFAULT_TENANT;
  const maxBytes = opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const maxCompressed = snappyMaxEncodedLen(maxBytes);
  const logger = opts.logger;
  const metrics = opts.metrics;
  const handlerName = opts.handlerName ?? 'receive';

  function send(req: IncomingMessage, res: ServerResponse, status: number, body: string, start: number, close = false): void {
    if (!res.headersSent) {
      res.statusCode = status;
      if (status === 405) res.setHeader('Allow', 'POST');
      if (close) res.setHeader('Connection', 'close');
      if (body !== '') {
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.setHeader('X-Content-Type-Options', 'nosniff');
      }
    }
    res.end(body);
    if (metrics) {
      const labels = { code: String(status), handler: handlerName, method: (req.method ?? '').toLowerCase() };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, (performance.now() - start) / 1000);
    }
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const start = performance.now();
    if (req.method !== 'POST') {
      req.resume();
      send(req, res, 405, `method ${req.method ?? ''} not allowed: use POST\n`, start);
      return;
    }
    if (!target.ready()) {
      req.resume();
      send(req, res, 503, 'Service Unavailable: the receiver is not ready\n', start);
      return;
    }
    metrics?.pending.inc();
    let tenant = defaultTenant;
    try {
      const th = req.headers[tenantHeader];
      const tv = Array.isArray(th) ? th[0] : th;
      if (tv !== undefined && tv !== '') tenant = tv;
      const terr = tenantError(tenant);
      if (terr !== null) throw new HttpError(400, terr);
      checkHeaders(req);
      const body = await readBody(req, maxCompressed);
      const raw = decompress(body, maxBytes);
      let wr: DecodedWriteRequest;
      try {
        wr = decodeWriteRequest(raw);
      } catch (e) {
        if (e instanceof DecodeError) throw new HttpError(400, `failed to decode the write request: ${e.message}`);
        throw e;
      }

      let result: WriteResult;
      if (opts.route) {
        result = wr.series.length > 0 ? await opts.route(tenant, wr, raw) : { status: 200, text: '' };
      } else {
        for (const md of wr.metadata) {
          if (md.metricFamilyName === '') continue;
          target.setMetadata(tenant, md.metricFamilyName, { type: metricTypeName(md.type), help: md.help, unit: md.unit });
        }
        result = await writeDecoded(target, tenant, wr, logger);
      }
      const status = result.status;
      if (metrics) {
        const l = { code: String(status), tenant };
        metrics.samplesTotal.inc(l, wr.sampleCount);
        metrics.timeseriesTotal.inc(l, wr.series.length);
        metrics.samplesPerRequest.observe(l, wr.sampleCount);
        metrics.timeseriesPerRequest.observe(l, wr.series.length);
        for (const [r, n] of result.counts ?? []) metrics.rejected.inc({ tenant, reason: r }, n);
      }
      if (status === 200) {
        send(req, res, 200, '', start);
        return;
      }
      if (status < 500) logger?.warn({ tenant, status, counts: Object.fromEntries(result.counts ?? []) }, 'remote write partially rejected');
      else logger?.warn({ tenant, status, err: result.text }, 'remote write failed');
      send(req, res, status, result.text.endsWith('\n') ? result.text : result.text + '\n', start);
    } catch (e) {
      if (e instanceof HttpError) {
        if (e.status >= 500) logger?.warn({ tenant, status: e.status, err: e.message }, 'remote write failed');
        else logger?.debug?.({ tenant, status: e.status, err: e.message }, 'remote write rejected');
        send(req, res, e.status, e.message.endsWith('\n') ? e.message : e.message + '\n', start, e.closeConnection);
      } else {
        const msg = e instanceof Error ? e.message : String(e);
        logger?.warn({ tenant, err: msg }, 'remote write internal error');
        send(req, res, 500, `internal error: ${msg}\n`, start);
      }
    } finally {
      metrics?.pending.dec();
    }
  };
}
