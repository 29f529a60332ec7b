// gRPC server for the Thanos StoreAPI (`thanos.Store`: Series, LabelNames, LabelValues) and the
// Thanos Info API (`thanos.info.Info/Info`) over any Queryable, as Thanos' TSDBStore serves a TSDB:
// series are streamed in label order while the SeriesSet is iterated (never the whole result in
// memory, respecting the stream's backpressure), chunks are sent as raw bytes — the source's own
// chunks when it has them, else samples re-encoded into XOR chunks of 120 samples — and source
// warnings follow as `warning` frames. Thanos aggregate chunks (encoding 0xFF, from 5m/1h blocks) are
// sent as AggrChunk count/sum/min/max/counter fields, those of SeriesRequest.aggregates (all five
// when the request names none), as Thanos' store gateway populateChunk does.
import * as grpc from '@grpc/grpc-js';
import { Labels, LabelsBuilder } from '../labels/labels.ts';
import type { Matcher } from '../labels/matcher.ts';
import type { Logger } from '../observability/logger.ts';
import { ValueType, type Queryable, type SelectHints, type Series } from '../storage/interfaces.ts';
import { XORChunk } from '../tsdb/chunkenc/index.ts';
import { AggrChunk as AggrChunkView, AggrType, CHUNK_ENC_AGGR } from '../compact/downsample/aggr.ts';
import {
  StoreApiError,
  chunkEncodingToProto,
  chunkHash,
  countFromInt64,
  labelSetsToProto,
  labelsToProto,
  matchersFromProto,
  msFromInt64,
  msToInt64,
} from './convert.ts';
import { InfoService, type InfoRequest, type InfoResponse } from './gen/info/infopb/rpc.ts';
import {
  Aggr,
  StoreService,
  type LabelNamesRequest,
  type LabelNamesResponse,
  type LabelValuesRequest,
  type LabelValuesResponse,
  type SeriesRequest,
} from './gen/store/storepb/rpc.ts';
import { Chunk_Encoding, type AggrChunk, type Chunk } from './gen/store/storepb/types.ts';
import { SeriesFrameEncoder, encodeWarningFrame, type FrameChunkSub } from './frames.ts';

export type ComponentType = 'receive' | 'store' | 'query' | 'sidecar' | 'rule';

/** What a StoreServer exposes. */
export interface StoreSource {
  /** External label sets this source serves (each series carries one of them). */
  labelSets(): Labels[];
  timeRange(): { minTime: number; maxTime: number };
  componentType: ComponentType;
  /** Series returned already carry external labels. */
  queryable: Queryable;
  /**
   * Optional per-TSDB time ranges (Info StoreInfo.tsdb_infos: Thanos receive lists each tenant,
   * the store gateway each run of adjacent blocks per label set); queriers use them to skip us.
   */
  tsdbInfos?(): TSDBInfoEntry[];
}

export interface TSDBInfoEntry {
  labels: Labels;
  minTime: number;
  maxTime: number;
}

export interface StoreApiOptions {
  logger?: Logger;
  /** Approximate cap on the bytes of one Series frame; a long series is split over frames (Thanos receive: 1 MiB). */
  maxBytesPerFrame?: number;
  /** Samples per re-encoded XOR chunk (Prometheus' target is 120). */
  samplesPerChunk?: number;
}

export interface StoreServerOptions extends StoreApiOptions {
  store: StoreSource;
  /** host:port to listen on (port 0 = ephemeral). */
  address: string;
  /** More services on the same server (receive adds thanos.WriteableStore). */
  register?: (server: grpc.Server) => void;
  /** What the server serves, for the start log line. */
  describe?: string;
}

const DEFAULT_MAX_BYTES_PER_FRAME = 1024 * 1024;
const DEFAULT_SAMPLES_PER_CHUNK = 120;
/** Wire overhead of one AggrChunk with a raw chunk besides the data bytes (tags, lengths, times, hash). */
const CHUNK_OVERHEAD = 48;

/** Serves a StoreSource on its own gRPC server. */
export class StoreServer {
  private server: grpc.Server | null = null;
  private bound = '';

  constructor(private readonly opts: StoreServerOptions) {}

  /** Binds and starts serving; resolves to the bound host:port. */
  start(): Promise<string> {
    if (this.server) return Promise.resolve(this.bound);
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
    addStoreApi(server, this.opts.store, this.opts);
    this.opts.register?.(server);
    let addr = this.opts.address;
    if (addr.startsWith(':')) addr = `0.0.0.0${addr}`;
    const host = addr.slice(0, addr.lastIndexOf(':'));
    return new Promise((resolve, reject) => {
      server.bindAsync(addr, grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) {
          server.forceShutdown();
          reject(new Error(`StoreAPI gRPC listen on ${this.opts.address}: ${err.message}`));
          return;
        }
        this.server = server;
        this.bound = `${host}:${port}`;
        this.opts.logger?.info({ address: this.bound }, `listening for ${this.opts.describe ?? 'StoreAPI and Info'} gRPC`);
        resolve(this.bound);
      });
    });
  }

  /** Stops accepting calls; running streams get up to `graceMs` to finish, then are cancelled. */
  stop(graceMs = 5000): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = null;
    return new Promise((resolve) => {
      const timer = setTimeout(() => server.forceShutdown(), graceMs);
      timer.unref();
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Adds `thanos.Store` and `thanos.info.Info` for `src` to an existing gRPC server. */
export function addStoreApi(server: grpc.Server, src: StoreSource, opts: StoreApiOptions = {}): void {
  server.addService(RawStoreService, storeHandlers(src, opts));
  server.addService(InfoService, infoHandlers(src));
}

/** Handlers of `thanos.info.Info`. */
export function infoHandlers(src: StoreSource): grpc.UntypedServiceImplementation {
  const info: grpc.handleUnaryCall<InfoRequest, InfoResponse> = (_call, callback) => {
    try {
      callback(null, infoResponse(src));
    } catch (e) {
      callback(toServiceError(e));
    }
  };
  return { info };
}

export function infoResponse(src: StoreSource): InfoResponse {
  const { minTime, maxTime } = src.timeRange();
  return {
    labelSets: labelSetsToProto(src.labelSets()),
    ComponentType: src.componentType,
    store: {
      minTime: msToInt64(minTime),
      maxTime: msToInt64(maxTime),
      supportsSharding: false,
      supportsWithoutReplicaLabels: true,
      tsdbInfos: (src.tsdbInfos?.() ?? []).map((t) => ({
        labels: { labels: labelsToProto(t.labels) },
        minTime: msToInt64(t.minTime),
        maxTime: msToInt64(t.maxTime),
      })),
      supportsProjections: false,
    },
  };
}

/** Handlers of `thanos.Store`; register them with RawStoreService (Series handlers write encoded frames). */
export function storeHandlers(src: StoreSource, opts: StoreApiOptions = {}): grpc.UntypedServiceImplementation {
  const series: grpc.handleServerStreamingCall<SeriesRequest, Buffer> = (call) => {
    serveSeries(call, src, opts).then(
      () => call.end(),
      (e: unknown) => {
        if (call.cancelled) return;
        if (!(e instanceof StoreApiError)) opts.logger?.warn({ err: String(e) }, 'StoreAPI Series failed');
        call.emit('error', toServiceError(e));
      },
    );
  };
  const labelNames: grpc.handleUnaryCall<LabelNamesRequest, LabelNamesResponse> = (call, callback) => {
    serveLabelNames(call.request, src).then(
      (r) => callback(null, r),
      (e: unknown) => callback(toServiceError(e)),
    );
  };
  const labelValues: grpc.handleUnaryCall<LabelValuesRequest, LabelValuesResponse> = (call, callback) => {
    serveLabelValues(call.request, src).then(
      (r) => callback(null, r),
      (e: unknown) => callback(toServiceError(e)),
    );
  };
  return { series, labelNames, labelValues };
}

function toServiceError(e: unknown): Partial<grpc.ServiceError> {
  const code = e instanceof StoreApiError ? e.code : grpc.status.INTERNAL;
  const msg = e instanceof Error ? e.message : String(e);
  return Object.assign(new Error(msg), { code, details: msg, metadata: new grpc.Metadata() });
}

/** Names of all external labels of the source. */
function externalNames(src: StoreSource): Set<string> {
  const out = new Set<string>();
  for (const ls of src.labelSets()) for (const n of ls.names()) out.add(n);
  return out;
}

/**
 * Thanos' check that a request selects something besides external labels: when every matcher is on
 * an external label, no label set matching them → empty result (null); some match → an error.
 */
function checkMatchers(src: StoreSource, matchers: readonly Matcher[]): boolean {
  const ext = externalNames(src);
  if (matchers.some((m) => !ext.has(m.name))) return true;
  const anyMatch = src.labelSets().some((ls) => matchers.every((m) => m.matches(ls.get(m.name))));
  if (!anyMatch) return false;
  throw new StoreApiError(grpc.status.INVALID_ARGUMENT, 'no matchers specified (excluding external labels)');
}

/** Replica labels to strip: requested names that are external labels of the source. */
function replicaLabelsToRemove(src: StoreSource, names: readonly string[]): string[] {
  if (names.length === 0) return [];
  const ext = externalNames(src);
  return names.filter((n) => ext.has(n));
}

/**
 * `thanos.Store` with the Series responses serialized by us (SeriesFrameEncoder writes the bytes of
 * SeriesResponse directly; the handler writes Buffers). Requests and the other methods use the
 * generated codec.
 */
export const RawStoreService = {
  ...StoreService,
  series: {
    ...StoreService.series,
    responseSerialize: (value: Buffer): Buffer => value,
    responseDeserialize: (value: Buffer): Buffer => value,
  },
} as const;

/** Writes encoded frames to a server stream, waiting for 'drain' when its buffer is full. */
class FrameWriter {
  private closed = false;
  readonly enc: SeriesFrameEncoder;
  constructor(
    private readonly call: grpc.ServerWritableStream<SeriesRequest, Buffer>,
    private readonly batchSize: number,
    readonly maxBytes: number,
  ) {
    this.enc = new SeriesFrameEncoder(batchSize > 1);
    call.on('cancelled', () => {
      this.closed = true;
    });
  }

  get cancelled(): boolean {
    return this.closed || this.call.cancelled;
  }

  /**
   * Called before adding a chunk of about `size` bytes to the open series: sends what is pending
   * when the frame would exceed maxBytes (splitting the open series when it already has chunks).
   */
  beforeChunk(size: number): Promise<void> | undefined {
    const enc = this.enc;
    if (enc.bytes + size <= this.maxBytes) return undefined;
    if (enc.currentChunks > 0) enc.splitSeries();
    return this.flush();
  }

  /** Called after a series (part) ended: sends the frame when it is full. */
  afterSeries(): Promise<void> | undefined {
    const enc = this.enc;
    if (enc.seriesCount >= Math.max(1, this.batchSize) || enc.bytes >= this.maxBytes) return this.flush();
    return undefined;
  }

  async warning(w: string): Promise<void> {
    await this.flush();
    await this.write(encodeWarningFrame(w));
  }

  async flush(): Promise<void> {
    const f = this.enc.take();
    if (f) await this.write(f);
  }

  private write(r: Buffer): Promise<void> | void {
    if (this.cancelled) return;
    if (this.call.write(r)) return;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.call.off('drain', done);
        this.call.off('cancelled', done);
        this.call.off('close', done);
        this.call.off('error', done);
        resolve();
      };
      this.call.on('drain', done);
      this.call.on('cancelled', done);
      this.call.on('close', done);
      this.call.on('error', done);
    });
  }
}

const ALL_AGGRS: readonly Aggr[] = [Aggr.COUNT, Aggr.SUM, Aggr.MIN, Aggr.MAX, Aggr.COUNTER];
const AGGR_FIELD: Record<number, { at: AggrType; field: 'count' | 'sum' | 'min' | 'max' | 'counter' }> = {
  [Aggr.COUNT]: { at: AggrType.Count, field: 'count' },
  [Aggr.SUM]: { at: AggrType.Sum, field: 'sum' },
  [Aggr.MIN]: { at: AggrType.Min, field: 'min' },
  [Aggr.MAX]: { at: AggrType.Max, field: 'max' },
  [Aggr.COUNTER]: { at: AggrType.Counter, field: 'counter' },
};

/** The aggregates a request asks for (Thanos sends only those; none named → all five). */
export function requestedAggrs(aggrs: readonly Aggr[]): readonly Aggr[] {
  const out = aggrs.filter((a) => AGGR_FIELD[a] !== undefined);
  return out.length > 0 ? out : ALL_AGGRS;
}

/** An aggregate chunk (0xFF) as a StoreAPI AggrChunk with the requested sub-chunks; returns it and its data bytes. */
export function aggrChunkToProto(minTime: number, maxTime: number, data: Uint8Array, aggrs: readonly Aggr[]): { chunk: AggrChunk; bytes: number } {
  const subs = aggrSubs(data, aggrs);
  const out: AggrChunk = { minTime: msToInt64(minTime), maxTime: msToInt64(maxTime) };
  let bytes = 0;
  for (const a of aggrs) {
    const sub = subs[a]!;
    out[AGGR_FIELD[a]!.field] = { type: sub.type, data: sub.data, hash: chunkHash(sub.data) } satisfies Chunk;
    bytes += sub.data.length + 16;
  }
  return { chunk: out, bytes };
}

/** The requested sub-chunks of an aggregate chunk by AggrChunk slot (Aggr number: 1 count … 5 counter; 0, raw, empty). */
function aggrSubs(data: Uint8Array, aggrs: readonly Aggr[]): (FrameChunkSub | null)[] {
  const view = new AggrChunkView(data);
  const subs: (FrameChunkSub | null)[] = [null, null, null, null, null, null];
  for (const a of aggrs) {
    const f = AGGR_FIELD[a]!;
    const sub = view.get(f.at);
    if (!sub) throw new StoreApiError(grpc.status.INTERNAL, `aggregate ${Aggr[a]} does not exist in the downsampled chunk`);
    const type = chunkEncodingToProto(sub.encoding);
    if (type === null) throw new StoreApiError(grpc.status.INTERNAL, `aggregate ${Aggr[a]}: sub-chunk encoding ${sub.encoding} cannot be sent`);
    subs[a] = { type, data: sub.data };
  }
  return subs;
}

/** Receives one series' chunks; a returned promise is awaited before the next chunk. */
interface ChunkSink {
  raw(minTime: number, maxTime: number, type: number, data: Uint8Array): Promise<void> | undefined;
  aggr(minTime: number, maxTime: number, subs: (FrameChunkSub | null)[], bytes: number): Promise<void> | undefined;
}

/**
 * Produces one series' chunks in [mint, maxt] into `sink`: the source's own chunks when it has
 * them, else samples re-encoded into XOR chunks of `perChunk` samples. Returns false when the series
 * had nothing in the range.
 */
async function seriesChunks(s: Series, mint: number, maxt: number, perChunk: number, aggrs: readonly Aggr[], sink: ChunkSink): Promise<boolean> {
  let any = false;
  if (s.chunks) {
    for (const c of s.chunks()) {
      if (c.maxTime < mint || c.minTime > maxt) continue;
      any = true;
      if (c.encoding === CHUNK_ENC_AGGR) {
        const subs = aggrSubs(c.data, aggrs);
        let bytes = 0;
        for (const x of subs) if (x) bytes += x.data.length + 16;
        const w = sink.aggr(c.minTime, c.maxTime, subs, bytes);
        if (w) await w;
        continue;
      }
      const type = chunkEncodingToProto(c.encoding);
      if (type === null) throw new StoreApiError(grpc.status.INTERNAL, `chunk encoding ${c.encoding} cannot be sent as a raw StoreAPI chunk`);
      const w = sink.raw(c.minTime, c.maxTime, type, c.data);
      if (w) await w;
    }
    return any;
  }
  const it = s.iterator();
  let vt = it.seek(mint);
  let chunk: XORChunk | null = null;
  let app: ReturnType<XORChunk['appender']> | null = null;
  let n = 0;
  let cmin = 0;
  let cmax = 0;
  while (vt !== ValueType.None) {
    if (it.t > maxt) break;
    if (vt === ValueType.Float) {
      if (chunk === null) {
        chunk = new XORChunk();
        app = chunk.appender();
        n = 0;
        cmin = it.t;
      }
      app!.append(it.t, it.v);
      cmax = it.t;
      if (++n >= perChunk) {
        any = true;
        const w = sink.raw(cmin, cmax, Chunk_Encoding.XOR, chunk.bytes());
        if (w) await w;
        chunk = null;
      }
    } else {
      throw new StoreApiError(grpc.status.UNIMPLEMENTED, 'native histogram samples cannot be re-encoded for the StoreAPI yet');
    }
    vt = it.next();
  }
  const err = it.err();
  if (err) throw new StoreApiError(grpc.status.INTERNAL, `iterate series ${s.labels.toString()}: ${err.message}`);
  if (chunk !== null) {
    any = true;
    const w = sink.raw(cmin, cmax, Chunk_Encoding.XOR, chunk.bytes());
    if (w) await w;
  }
  return any;
}

/** A series collected for re-sorting (requests that strip replica labels). */
interface Collected {
  labels: Labels;
  chunks: { minTime: number; maxTime: number; subs: (FrameChunkSub | null)[]; bytes: number }[];
}

async function serveSeries(
  call: grpc.ServerWritableStream<SeriesRequest, Buffer>,
  src: StoreSource,
  opts: StoreApiOptions,
): Promise<void> {
  const req = call.request;
  const matchers = matchersFromProto(req.matchers);
  if (!checkMatchers(src, matchers)) return;
  const mint = msFromInt64(req.minTime);
  const maxt = msFromInt64(req.maxTime);
  const limit = countFromInt64(req.limit);
  const skipChunks = req.skipChunks;
  const remove = replicaLabelsToRemove(src, req.withoutReplicaLabels);
  const maxBytes = opts.maxBytesPerFrame ?? DEFAULT_MAX_BYTES_PER_FRAME;
  const perChunk = opts.samplesPerChunk ?? DEFAULT_SAMPLES_PER_CHUNK;
  const out = new FrameWriter(call, countFromInt64(req.responseBatchSize), maxBytes);
  const enc = out.enc;
  const aggrs = requestedAggrs(req.aggregates);

  const hints: SelectHints = { start: mint, end: maxt, limit, skipChunks };
  if (skipChunks) hints.func = 'series';
  else if (req.queryHints?.func?.name) hints.func = req.queryHints.func.name;
  const step = req.queryHints?.stepMillis || req.step;
  if (step > 0n) hints.step = countFromInt64(step);
  const range = req.queryHints?.range?.millis || req.range;
  if (range > 0n) hints.range = countFromInt64(range);
  if (req.queryHints?.grouping) {
    hints.grouping = req.queryHints.grouping.labels;
    hints.by = req.queryHints.grouping.by;
  }
  if (req.maxResolutionWindow > 0n) hints.maxResolution = countFromInt64(req.maxResolutionWindow);

  // Streaming sink: chunks go straight into the frame encoder.
  const streamSink: ChunkSink = {
    raw: (mn, mx, type, data) => {
      const w = out.beforeChunk(data.length + CHUNK_OVERHEAD);
      if (w) return w.then(() => enc.addRaw(mn, mx, type, data));
      enc.addRaw(mn, mx, type, data);
      return undefined;
    },
    aggr: (mn, mx, subs, bytes) => {
      const w = out.beforeChunk(bytes + CHUNK_OVERHEAD);
      if (w) return w.then(() => enc.addAggr(mn, mx, subs));
      enc.addAggr(mn, mx, subs);
      return undefined;
    },
  };

  // Without replica labels the order can change ({a, b, replica} vs {a, replica} swap once replica
  // is gone), so — as Thanos' TSDBStore does — such responses are collected and re-sorted.
  const sorted: Collected[] | null = remove.length > 0 ? [] : null;

  const q = src.queryable.querier(mint, maxt);
  try {
    const set = q.select(hints, matchers);
    let sent = 0;
    let prev: Labels | null = null;
    for await (const s of set) {
      if (out.cancelled) return;
      if (limit > 0 && sent >= limit) break;
      if (prev !== null && Labels.compare(prev, s.labels) >= 0) {
        throw new StoreApiError(grpc.status.INTERNAL, `series not sorted: ${s.labels.toString()} after ${prev.toString()}`);
      }
      prev = s.labels;
      const lset = remove.length > 0 ? new LabelsBuilder(s.labels).del(...remove).labels() : s.labels;
      if (sorted) {
        const entry: Collected = { labels: lset, chunks: [] };
        const any =
          skipChunks ||
          (await seriesChunks(s, mint, maxt, perChunk, aggrs, {
            raw: (minTime, maxTime, type, data) => void entry.chunks.push({ minTime, maxTime, subs: [{ type, data }], bytes: data.length + CHUNK_OVERHEAD }),
            aggr: (minTime, maxTime, subs, bytes) => void entry.chunks.push({ minTime, maxTime, subs, bytes: bytes + CHUNK_OVERHEAD }),
          }));
        if (any) {
          sent++;
          sorted.push(entry);
        }
        continue;
      }
      enc.beginSeries(lset.flat);
      const any = skipChunks || (await seriesChunks(s, mint, maxt, perChunk, aggrs, streamSink));
      if (!any) {
        enc.dropSeries();
        continue;
      }
      enc.endSeries();
      sent++;
      const w = out.afterSeries();
      if (w) await w;
    }
    if (sorted) {
      sorted.sort((a, b) => Labels.compare(a.labels, b.labels));
      for (const e of sorted) {
        if (out.cancelled) return;
        enc.beginSeries(e.labels.flat);
        for (const c of e.chunks) {
          const w = out.beforeChunk(c.bytes);
          if (w) await w;
          if (c.subs[0]) enc.addRaw(c.minTime, c.maxTime, c.subs[0].type, c.subs[0].data);
          else enc.addAggr(c.minTime, c.maxTime, c.subs);
        }
        enc.endSeries();
        const w = out.afterSeries();
        if (w) await w;
      }
    }
    for (const w of set.warnings()) await out.warning(w);
    await out.flush();
  } finally {
    q.close();
  }
}

async function serveLabelNames(req: LabelNamesRequest, src: StoreSource): Promise<LabelNamesResponse> {
  const matchers = matchersFromProto(req.matchers);
  const limit = countFromInt64(req.limit);
  const q = src.queryable.querier(msFromInt64(req.start), msFromInt64(req.end));
  try {
    const r = await q.labelNames(matchers, { limit });
    let names = r.values;
    const remove = replicaLabelsToRemove(src, req.withoutReplicaLabels);
    if (remove.length > 0) names = names.filter((n) => !remove.includes(n));
    if (limit > 0 && names.length > limit) names = names.slice(0, limit);
    return { names, warnings: r.warnings };
  } catch (e) {
    throw e instanceof StoreApiError ? e : new StoreApiError(grpc.status.INTERNAL, (e as Error).message);
  } finally {
    q.close();
  }
}

async function serveLabelValues(req: LabelValuesRequest, src: StoreSource): Promise<LabelValuesResponse> {
  if (req.label === '') throw new StoreApiError(grpc.status.INVALID_ARGUMENT, 'label name parameter cannot be empty');
  const matchers = matchersFromProto(req.matchers);
  if (req.withoutReplicaLabels.includes(req.label)) return { values: [], warnings: [] };
  const limit = countFromInt64(req.limit);
  const q = src.queryable.querier(msFromInt64(req.start), msFromInt64(req.end));
  try {
    const r = await q.labelValues(req.label, matchers, { limit });
    let values = r.values;
    if (limit > 0 && values.length > limit) values = values.slice(0, limit);
    return { values, warnings: r.warnings };
  } catch (e) {
    throw e instanceof StoreApiError ? e : new StoreApiError(grpc.status.INTERNAL, (e as Error).message);
  } finally {
    q.close();
  }
}
