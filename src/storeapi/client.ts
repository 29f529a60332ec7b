// gRPC client for a Thanos StoreAPI endpoint (ours or Thanos'), as a Queryable: select() streams
// `thanos.Store/Series` into a SeriesSet pulled frame by frame (the stream is only read as fast as
// the consumer iterates), consecutive frames of one series are joined, and each series' iterator
// decodes its XOR chunks (overlapping chunks — e.g. from several sources — are merged by timestamp)
// trimmed to the selected range. Endpoint metadata comes from `thanos.info.Info/Info`.
// Downsampled chunks (AggrChunk without raw) are read as Thanos' querier reads them (pkg/query/iter.go):
// the single requested aggregate (min/max/count/sum), sum/count averages by default, and for the
// counter aggregate (rate, increase, irate, resets) one ApplyCounterResetsIterator over all the
// series' chunks in time order — counter entries and raw chunks alike — so resets are carried across
// chunk, block and resolution boundaries.
import * as grpc from '@grpc/grpc-js';
import type { Labels } from '../labels/labels.ts';
import type { Matcher } from '../labels/matcher.ts';
import { ChainSampleIterator } from '../storage/merge.ts';
import {
  ChunkEncoding,
  ValueType,
  type ChunkMeta,
  type LabelHints,
  type LabelResult,
  type Querier,
  type Queryable,
  type SampleIterator,
  type SelectHints,
  type Series,
  type SeriesSet,
} from '../storage/interfaces.ts';
import { XORIterator } from '../tsdb/chunkenc/index.ts';
import { ApplyCounterResetsIterator, CHUNK_ENC_AGGR, encodeAggrChunk, type SubChunk } from '../compact/downsample/aggr.ts';
// StoreAPI chunks may extend beyond the requested range: BoundedIterator trims to [mint, maxt].
import { BoundedIterator } from '../compact/downsample/queryable.ts';
import {
  StoreApiError,
  chunkEncodingFromProto,
  labelsFromProto,
  matchersToProto,
  msFromInt64,
  msToInt64,
} from './convert.ts';
import { InfoClient as PbInfoClient, type InfoResponse } from './gen/info/infopb/rpc.ts';
import {
  Aggr,
  SeriesRequest as PbSeriesRequest,
  StoreClient as PbStoreClient,
  type LabelNamesResponse,
  type LabelValuesResponse,
  type SeriesRequest,
} from './gen/store/storepb/rpc.ts';
import { PartialResponseStrategy } from './gen/store/storepb/types.ts';
import { decodeSeriesResponse, labelsFromFlat, sameEncodedLabels, type DecodedSeries, type DecodedSub } from './frames.ts';
import { decodeXORInto, xorDecodeError, xorSampleCount } from './xor-decode.ts';

/** What an endpoint advertises through thanos.info.Info/Info. */
export interface StoreInfo {
  labelSets: Labels[];
  minTime: number;
  maxTime: number;
  componentType: string;
  supportsWithoutReplicaLabels: boolean;
  /** StoreInfo.tsdb_infos: label set and time range of each TSDB behind the endpoint (may be empty). */
  tsdbInfos: { labels: Labels; minTime: number; maxTime: number }[];
}

export interface StoreClientOptions {
  /** Deadline of each call (a whole Series stream included); none when unset. */
  timeoutMs?: number;
  /** HTTP/2 flow-control window in bytes (default 16 MiB; grpc's 64 KiB throttles large Series streams). */
  flowControlWindow?: number;
  /** Ask for partial responses (PartialResponseStrategy WARN) instead of ABORT. */
  partialResponse?: boolean;
  /** Replica labels the server should strip (when it supports it, see StoreInfo). */
  withoutReplicaLabels?: string[];
  /**
   * Series per response message the server may batch (SeriesRequest.response_batch_size; 0/1: one
   * series per message). Default 64: grpc-js sends one message per event-loop turn, so per-series
   * messages cap throughput; servers that predate the field ignore it and we accept both forms.
   */
  responseBatchSize?: number;
}

const MAX_MESSAGE = 256 * 1024 * 1024;
const DEFAULT_BATCH = 64;

export class StoreClient implements Queryable {
  private readonly store: InstanceType<typeof PbStoreClient>;
  private readonly infoClient: InstanceType<typeof PbInfoClient>;

  constructor(
    readonly address: string,
    private readonly opts: StoreClientOptions = {},
  ) {
    const chOpts: grpc.ChannelOptions = { 'grpc.max_receive_message_length': MAX_MESSAGE, 'grpc-node.flow_control_window': opts.flowControlWindow ?? 16 * 1024 * 1024 };
    this.store = new PbStoreClient(address, grpc.credentials.createInsecure(), chOpts);
    this.infoClient = new PbInfoClient(address, grpc.credentials.createInsecure(), {
      ...chOpts,
      channelOverride: this.store.getChannel(),
    });
  }

  /** @internal */
  callOptions(): Partial<grpc.CallOptions> {
    return this.opts.timeoutMs ? { deadline: Date.now() + this.opts.timeoutMs } : {};
  }

  info(): Promise<StoreInfo> {
    return new Promise((resolve, reject) => {
      this.infoClient.info({}, new grpc.Metadata(), this.callOptions(), (err: grpc.ServiceError | null, r: InfoResponse) => {
        if (err) reject(fromServiceError(err, this.address));
        else resolve(storeInfoFromProto(r));
      });
    });
  }

  querier(mint: number, maxt: number): Querier {
    return new StoreClientQuerier(this, this.store, this.opts, mint, maxt);
  }

  close(): void {
    this.store.close();
    this.infoClient.close();
  }
}

export function storeInfoFromProto(r: InfoResponse): StoreInfo {
  return {
    labelSets: r.labelSets.map((s) => labelsFromProto(s.labels)),
    minTime: r.store ? msFromInt64(r.store.minTime) : Number.MIN_SAFE_INTEGER,
    maxTime: r.store ? msFromInt64(r.store.maxTime) : Number.MAX_SAFE_INTEGER,
    componentType: r.ComponentType,
    supportsWithoutReplicaLabels: r.store?.supportsWithoutReplicaLabels ?? false,
    tsdbInfos: (r.store?.tsdbInfos ?? []).map((t) => ({
      labels: labelsFromProto(t.labels?.labels ?? []),
      minTime: msFromInt64(t.minTime),
      maxTime: msFromInt64(t.maxTime),
    })),
  };
}

function fromServiceError(err: grpc.ServiceError, address: string): StoreApiError {
  return new StoreApiError(err.code, `${address}: ${err.details || err.message}`);
}

/** Aggregates to ask a downsampling store for, by the function applied (Thanos querier aggrsFromFunc). */
export function aggrsFromFunc(f: string | undefined): Aggr[] {
  const fn = f ?? '';
  if (fn === 'min' || fn.startsWith('min_')) return [Aggr.MIN];
  if (fn === 'max' || fn.startsWith('max_')) return [Aggr.MAX];
  if (fn === 'count' || fn.startsWith('count_')) return [Aggr.COUNT];
  // "sum" itself needs the actual samples (averages), sum_over_time the window sums.
  if (fn.startsWith('sum_')) return [Aggr.SUM];
  if (fn === 'increase' || fn === 'rate' || fn === 'irate' || fn === 'resets') return [Aggr.COUNTER];
  return [Aggr.COUNT, Aggr.SUM];
}

class StoreClientQuerier implements Querier {
  constructor(
    private readonly owner: StoreClient,
    private readonly store: InstanceType<typeof PbStoreClient>,
    private readonly opts: StoreClientOptions,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  private partial(): { partialResponseDisabled: boolean; partialResponseStrategy: PartialResponseStrategy } {
    return this.opts.partialResponse
      ? { partialResponseDisabled: false, partialResponseStrategy: PartialResponseStrategy.WARN }
      : { partialResponseDisabled: true, partialResponseStrategy: PartialResponseStrategy.ABORT };
  }

  select(hints: SelectHints, matchers: readonly Matcher[]): SeriesSet {
    const start = hints.start ?? this.mint;
    const end = hints.end ?? this.maxt;
    const step = hints.step ?? 0;
    const range = hints.range ?? 0;
    const aggrs = aggrsFromFunc(hints.func);
    const req: SeriesRequest = {
      minTime: msToInt64(start),
      maxTime: msToInt64(end),
      matchers: matchersToProto(matchers),
      maxResolutionWindow: BigInt(Math.max(0, Math.trunc(hints.maxResolution ?? 0))),
      aggregates: aggrs,
      ...this.partial(),
      skipChunks: hints.skipChunks ?? false,
      hints: undefined,
      step: BigInt(Math.trunc(step)),
      range: BigInt(Math.trunc(range)),
      queryHints: {
        stepMillis: BigInt(Math.trunc(step)),
        func: hints.func ? { name: hints.func } : undefined,
        grouping: hints.grouping ? { by: hints.by ?? false, labels: hints.grouping } : undefined,
        range: range > 0 ? { millis: BigInt(Math.trunc(range)) } : undefined,
        projectionLabels: [],
        projectionInclude: false,
        seriesHashLabelName: '',
      },
      shardInfo: undefined,
      withoutReplicaLabels: this.opts.withoutReplicaLabels ?? [],
      limit: BigInt(Math.max(0, Math.trunc(hints.limit ?? 0))),
      responseBatchSize: BigInt(Math.max(0, Math.trunc(this.opts.responseBatchSize ?? DEFAULT_BATCH))),
    };
    return new RemoteSeriesSet(this.owner, this.store, req, start, end, aggrs);
  }

  labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
    return new Promise((resolve, reject) => {
      this.store.labelNames(
        {
          ...this.partial(),
          start: msToInt64(this.mint),
          end: msToInt64(this.maxt),
          hints: undefined,
          matchers: matchersToProto(matchers),
          withoutReplicaLabels: this.opts.withoutReplicaLabels ?? [],
          limit: BigInt(Math.max(0, Math.trunc(hints?.limit ?? 0))),
        },
        new grpc.Metadata(),
        this.owner.callOptions(),
        (err: grpc.ServiceError | null, r: LabelNamesResponse) => {
          if (err) reject(fromServiceError(err, this.owner.address));
          else resolve({ values: r.names, warnings: r.warnings });
        },
      );
    });
  }

  labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
    return new Promise((resolve, reject) => {
      this.store.labelValues(
        {
          label: name,
          ...this.partial(),
          start: msToInt64(this.mint),
          end: msToInt64(this.maxt),
          hints: undefined,
          matchers: matchersToProto(matchers),
          withoutReplicaLabels: this.opts.withoutReplicaLabels ?? [],
          limit: BigInt(Math.max(0, Math.trunc(hints?.limit ?? 0))),
        },
        new grpc.Metadata(),
        this.owner.callOptions(),
        (err: grpc.ServiceError | null, r: LabelValuesResponse) => {
          if (err) reject(fromServiceError(err, this.owner.address));
          else resolve({ values: r.values, warnings: r.warnings });
        },
      );
    });
  }

  close(): void {}
}

/** A Series stream as a SeriesSet; each iteration opens one stream. */
class RemoteSeriesSet implements SeriesSet {
  private readonly warns: string[] = [];
  constructor(
    private readonly owner: StoreClient,
    private readonly store: InstanceType<typeof PbStoreClient>,
    private readonly req: SeriesRequest,
    private readonly mint: number,
    private readonly maxt: number,
    private readonly aggrs: readonly Aggr[],
  ) {}

  warnings(): string[] {
    return this.warns;
  }

  [Symbol.asyncIterator](): RemoteSeriesIterator {
    // Responses arrive as bytes and are decoded by decodeSeriesResponse (chunks stay views into the
    // received buffers); the request is encoded by the generated code.
    const stream = this.store.makeServerStreamRequest<SeriesRequest, Buffer>(
      SERIES_PATH,
      (r: SeriesRequest) => Buffer.from(PbSeriesRequest.encode(r).finish()),
      (b: Buffer) => b,
      this.req,
      new grpc.Metadata(),
      this.owner.callOptions(),
    );
    return new RemoteSeriesIterator(stream, this.owner.address, this.warns, (parts) => new RemoteSeries(parts[0]!.labels, parts, this.mint, this.maxt, this.aggrs));
  }
}

/**
 * Iterates a Series stream: each received frame is decoded at once, its complete series queued.
 * next() resolves at once while series are queued; pullBuffered() hands them out synchronously
 * (the proxy uses it to avoid a promise per series).
 */
export class RemoteSeriesIterator implements AsyncIterator<Series> {
  private readonly queue: Series[] = [];
  private qi = 0;
  private cur: DecodedSeries[] | null = null;
  private readonly it: AsyncIterator<Buffer>;
  private finished = false;
  private closed = false;

  constructor(
    private readonly stream: grpc.ClientReadableStream<Buffer>,
    private readonly address: string,
    private readonly warns: string[],
    private readonly make: (parts: DecodedSeries[]) => Series,
  ) {
    this.it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  /** A queued series, or undefined when the next one needs more of the stream. */
  pullBuffered(): Series | undefined {
    if (this.qi < this.queue.length) {
      const s = this.queue[this.qi]!;
      this.queue[this.qi++] = undefined as unknown as Series;
      if (this.qi === this.queue.length) {
        this.queue.length = 0;
        this.qi = 0;
      }
      return s;
    }
    return undefined;
  }

  async next(): Promise<IteratorResult<Series>> {
    for (;;) {
      const s = this.pullBuffered();
      if (s !== undefined) return { value: s, done: false };
      if (this.finished || this.closed) return { value: undefined, done: true };
      let r: IteratorResult<Buffer>;
      try {
        r = await this.it.next();
      } catch (e) {
        this.finished = true;
        const err = e as grpc.ServiceError;
        if (typeof err.code === 'number' && !(e instanceof StoreApiError)) throw fromServiceError(err, this.address);
        throw e;
      }
      if (r.done) {
        this.finished = true;
        if (this.cur !== null) this.queue.push(this.make(this.cur));
        this.cur = null;
        continue;
      }
      let frame;
      try {
        frame = decodeSeriesResponse(r.value);
      } catch (e) {
        this.cancel();
        throw new StoreApiError(grpc.status.INTERNAL, `${this.address}: bad SeriesResponse: ${(e as Error).message}`);
      }
      if (frame.warning !== null) this.warns.push(frame.warning);
      for (const s of frame.series) {
        const cur = this.cur;
        if (cur !== null && sameEncodedLabels(cur[cur.length - 1]!, s)) {
          cur.push(s);
          continue;
        }
        this.cur = [s];
        if (cur !== null) this.queue.push(this.make(cur));
      }
    }
  }

  private cancel(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.finished) {
      this.stream.on('error', () => {});
      this.stream.cancel();
    }
  }

  async return(): Promise<IteratorResult<Series>> {
    this.cancel();
    this.queue.length = 0;
    this.qi = 0;
    return { value: undefined, done: true };
  }
}

const SERIES_PATH = '/thanos.Store/Series';

/** A chunk of a received series as the generic (non-fast) paths see it: sub-chunks by AggrChunk slot. */
interface WireChunk {
  minTime: number;
  maxTime: number;
  /** Slot 0 raw, 1 count, 2 sum, 3 min, 4 max, 5 counter. */
  subs: (DecodedSub | null)[];
}

const SLOT_OF_AGGR: Record<number, number> = { [Aggr.COUNT]: 1, [Aggr.SUM]: 2, [Aggr.MIN]: 3, [Aggr.MAX]: 4, [Aggr.COUNTER]: 5 };

/** Picks the chunk a series iterator reads from an AggrChunk (raw, else the requested aggregate). */
function pickChunks(c: WireChunk, aggrs: readonly Aggr[]): { main: DecodedSub; div?: DecodedSub } | null {
  if (c.subs[0]) return { main: c.subs[0] };
  if (aggrs.length === 1) {
    const pick = c.subs[SLOT_OF_AGGR[aggrs[0] as number] ?? -1];
    if (pick) return { main: pick };
  }
  // Average of a downsampled window: sum / count at the same timestamps.
  if (c.subs[2] && c.subs[1]) return { main: c.subs[2], div: c.subs[1] };
  return null;
}

class RemoteSeries implements Series {
  constructor(
    readonly labels: Labels,
    private readonly parts: readonly DecodedSeries[],
    private readonly mint: number,
    private readonly maxt: number,
    private readonly aggrs: readonly Aggr[],
  ) {}

  /** The chunks as objects (generic paths only). */
  private wireChunks(): WireChunk[] {
    const out: WireChunk[] = [];
    for (const p of this.parts) {
      const t = p.table;
      for (let i = p.chunkFrom; i < p.chunkTo; i++) {
        const subs: (DecodedSub | null)[] = [null, null, null, null, null, null];
        for (let k = t.subStart(i); k < t.subEnd[i]!; k++) {
          const off = t.subOff[k]!;
          subs[t.subSlot[k]!] = { slot: t.subSlot[k]!, type: t.subType[k]!, data: t.buf.subarray(off, off + t.subLen[k]!) };
        }
        out.push({ minTime: t.minT[i]!, maxTime: t.maxT[i]!, subs });
      }
    }
    return out;
  }

  /**
   * Chunks as sent (encoding in chunkenc numbering); downsampled ones become aggregate chunks
   * (encoding 0xFF) holding the aggregates received, so a StoreAPI server can pass them on.
   */
  chunks(): ChunkMeta[] {
    const out: ChunkMeta[] = [];
    for (const c of this.wireChunks()) {
      const { minTime, maxTime } = c;
      const raw = c.subs[0];
      if (raw) {
        out.push({ minTime, maxTime, encoding: chunkEncodingFromProto(raw.type), data: raw.data });
        continue;
      }
      const sub = (x: DecodedSub | null | undefined): SubChunk | null => (x ? { encoding: chunkEncodingFromProto(x.type), data: x.data } : null);
      const subs = [sub(c.subs[1]), sub(c.subs[2]), sub(c.subs[3]), sub(c.subs[4]), sub(c.subs[5])];
      if (subs.every((x) => x === null)) continue;
      out.push({ minTime, maxTime, encoding: CHUNK_ENC_AGGR, data: encodeAggrChunk(subs) });
    }
    return out;
  }

  iterator(): SampleIterator {
    const fast = RawXORIterator.of(this.parts, this.mint, this.maxt);
    if (fast) return fast;
    const wire = this.wireChunks();
    if (this.aggrs.length === 1 && this.aggrs[0] === Aggr.COUNTER && wire.some((c) => !c.subs[0])) return this.counterIterator(wire);
    const parts: ChunkPart[] = [];
    for (const c of wire) {
      const { minTime, maxTime } = c;
      if (maxTime < this.mint || minTime > this.maxt) continue;
      const p = pickChunks(c, this.aggrs);
      if (p === null) return new ErrorIterator(new Error(`series ${this.labels.toString()}: chunk without raw or requested aggregate data`));
      for (const ch of p.div ? [p.main, p.div] : [p.main]) {
        const enc = chunkEncodingFromProto(ch.type);
        if (enc !== ChunkEncoding.XOR) {
          return new ErrorIterator(new Error(`series ${this.labels.toString()}: unsupported chunk encoding ${enc}`));
        }
      }
      parts.push({ minTime, maxTime, data: p.main.data, div: p.div?.data });
    }
    if (parts.length === 0) return new ErrorIterator(null);
    parts.sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime);
    // Non-overlapping runs ("lanes"); overlapping lanes are merged by timestamp.
    const lanes: ChunkPart[][] = [];
    for (const p of parts) {
      let placed = false;
      for (const lane of lanes) {
        if (lane[lane.length - 1]!.maxTime < p.minTime) {
          lane.push(p);
          placed = true;
          break;
        }
      }
      if (!placed) lanes.push([p]);
    }
    const inner = lanes.length === 1 ? new LaneIterator(lanes[0]!) : new ChainSampleIterator(lanes.map((l) => new LaneIterator(l)));
    return new BoundedIterator(inner, this.mint, this.maxt);
  }

  /**
   * Thanos chunkSeries with the COUNTER aggregate: every chunk's counter entry (or raw chunk), in
   * time order, through one ApplyCounterResetsIterator. Chunks outside [mint, maxt] are kept: the
   * counter totals depend on everything before.
   */
  private counterIterator(wire: WireChunk[]): SampleIterator {
    const cs = [...wire].sort((a, b) => a.minTime - b.minTime);
    const its: SampleIterator[] = [];
    for (const c of cs) {
      const ch = c.subs[0] ?? c.subs[5];
      if (!ch) return new ErrorIterator(new Error(`series ${this.labels.toString()}: chunk without raw or counter data`));
      const enc = chunkEncodingFromProto(ch.type);
      if (enc !== ChunkEncoding.XOR) return new ErrorIterator(new Error(`series ${this.labels.toString()}: unsupported chunk encoding ${enc}`));
      its.push(new XORIterator(ch.data));
    }
    return new BoundedIterator(new ApplyCounterResetsIterator(its), this.mint, this.maxt);
  }
}

/**
 * The common case: raw XOR chunks only, in time order without overlaps. Chunks are decoded with
 * decodeXORInto where they lie in the received frames; readRange/sampleCountUpperBound let the
 * PromQL engine load the series straight into its arrays; next/seek decode one chunk at a time into
 * a small buffer. Samples are restricted to [mint, maxt].
 */
export class RawXORIterator implements SampleIterator {
  t = 0;
  v = 0;
  /** Cursor for next/seek: part and chunk index of the next chunk to load. */
  private pi = 0;
  private ci = -1;
  private bufT = EMPTY_F64;
  private bufV = EMPTY_F64;
  private bi = 0;
  private bn = 0;
  private done = false;
  private error: Error | null = null;

  private constructor(
    private readonly parts: readonly DecodedSeries[],
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  /** The iterator for these parts when all chunks qualify (raw XOR, ordered, disjoint), else null. */
  static of(parts: readonly DecodedSeries[], mint: number, maxt: number): RawXORIterator | null {
    let prevMax = -Infinity;
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k]!;
      const t = p.table;
      for (let i = p.chunkFrom; i < p.chunkTo; i++) {
        const s = t.subStart(i);
        if (t.subEnd[i]! - s !== 1 || t.subSlot[s] !== 0 || t.subType[s] !== 0) return null;
        if (t.minT[i]! <= prevMax) return null;
        prevMax = t.maxT[i]!;
      }
    }
    return new RawXORIterator(parts, mint, maxt);
  }

  sampleCountUpperBound(): number {
    let n = 0;
    for (let k = 0; k < this.parts.length; k++) {
      const p = this.parts[k]!;
      const t = p.table;
      for (let i = p.chunkFrom; i < p.chunkTo; i++) {
        if (t.maxT[i]! < this.mint || t.minT[i]! > this.maxt) continue;
        const s = t.subStart(i);
        n += xorSampleCount(t.buf, t.subOff[s]!, t.subLen[s]!);
      }
    }
    return n;
  }

  readRange(from: number, to: number, ts: Float64Array, vs: Float64Array, off: number): number {
    if (from < this.mint) from = this.mint;
    if (to > this.maxt) to = this.maxt;
    this.done = true;
    let o = off;
    for (let k = 0; k < this.parts.length; k++) {
      const p = this.parts[k]!;
      const t = p.table;
      for (let i = p.chunkFrom; i < p.chunkTo; i++) {
        if (t.maxT[i]! < from) continue;
        if (t.minT[i]! > to) return o - off;
        const s = t.subStart(i);
        const r = decodeXORInto(t.buf, t.subOff[s]!, t.subLen[s]!, from, to, ts, vs, o);
        if (r < 0) {
          this.error = new Error(xorDecodeError);
          return o - off;
        }
        o = r;
      }
    }
    return o - off;
  }

  /** Decodes the next chunk with samples in [from, maxt] into the buffer; false at the end. */
  private load(from: number): boolean {
    for (;;) {
      if (this.pi >= this.parts.length) return false;
      const p = this.parts[this.pi]!;
      if (this.ci < p.chunkFrom) this.ci = p.chunkFrom;
      if (this.ci >= p.chunkTo) {
        this.pi++;
        this.ci = -1;
        continue;
      }
      const i = this.ci++;
      const t = p.table;
      if (t.maxT[i]! < from) continue;
      if (t.minT[i]! > this.maxt) return false;
      const s = t.subStart(i);
      const off = t.subOff[s]!;
      const len = t.subLen[s]!;
      const cap = xorSampleCount(t.buf, off, len);
      if (this.bufT.length < cap) {
        this.bufT = new Float64Array(Math.max(cap, 128));
        this.bufV = new Float64Array(Math.max(cap, 128));
      }
      const r = decodeXORInto(t.buf, off, len, from, this.maxt, this.bufT, this.bufV, 0);
      if (r < 0) {
        this.error = new Error(xorDecodeError);
        return false;
      }
      this.bi = 0;
      this.bn = r;
      if (r > 0) return true;
    }
  }

  next(): ValueType {
    if (this.done || this.error) return ValueType.None;
    if (this.bi >= this.bn && !this.load(this.mint)) {
      this.done = true;
      return ValueType.None;
    }
    this.t = this.bufT[this.bi]!;
    this.v = this.bufV[this.bi]!;
    this.bi++;
    return ValueType.Float;
  }

  seek(t: number): ValueType {
    if (this.done || this.error) return ValueType.None;
    if (this.bi > 0 && this.t >= t) return ValueType.Float;
    // Within the loaded chunk?
    while (this.bi < this.bn) {
      const x = this.bufT[this.bi]!;
      if (x >= t) {
        this.t = x;
        this.v = this.bufV[this.bi]!;
        this.bi++;
        return ValueType.Float;
      }
      this.bi++;
    }
    if (!this.load(Math.max(t, this.mint))) {
      this.done = true;
      return ValueType.None;
    }
    this.t = this.bufT[0]!;
    this.v = this.bufV[0]!;
    this.bi = 1;
    return ValueType.Float;
  }

  err(): Error | null {
    return this.error;
  }
}

const EMPTY_F64 = new Float64Array(0);

interface ChunkPart {
  minTime: number;
  maxTime: number;
  data: Uint8Array;
  /** Count chunk to divide by (downsampled average). */
  div?: Uint8Array | undefined;
}

/** Iterates time-ordered, non-overlapping chunks one after another. */
class LaneIterator implements SampleIterator {
  t = 0;
  v = 0;
  private i = -1;
  private state: ValueType = ValueType.None;
  private it: XORIterator | null = null;
  private divIt: XORIterator | null = null;
  private error: Error | null = null;
  constructor(private readonly parts: readonly ChunkPart[]) {}

  private open(i: number): void {
    this.i = i;
    const p = this.parts[i]!;
    if (this.it) this.it.reset(p.data);
    else this.it = new XORIterator(p.data);
    if (p.div) {
      if (this.divIt) this.divIt.reset(p.div);
      else this.divIt = new XORIterator(p.div);
    }
  }

  private take(): ValueType {
    const it = this.it!;
    this.t = it.t;
    if (this.parts[this.i]!.div) {
      const d = this.divIt!;
      if (d.next() !== ValueType.Float || d.t !== it.t) {
        this.error = d.err() ?? new Error('downsampled count and sum chunks do not align');
        return ValueType.None;
      }
      this.v = it.v / d.v;
    } else {
      this.v = it.v;
    }
    return ValueType.Float;
  }

  next(): ValueType {
    this.state = this.advance();
    return this.state;
  }

  private advance(): ValueType {
    if (this.error || this.i >= this.parts.length) return ValueType.None;
    for (;;) {
      if (this.it === null || this.i < 0) {
        if (this.parts.length === 0) return ValueType.None;
        this.open(0);
      }
      const vt = this.it!.next();
      if (vt === ValueType.Float) return this.take();
      const e = this.it!.err();
      if (e) {
        this.error = e;
        return ValueType.None;
      }
      if (this.i + 1 >= this.parts.length) return ValueType.None;
      this.open(this.i + 1);
    }
  }

  seek(t: number): ValueType {
    if (this.error || this.i >= this.parts.length) return ValueType.None;
    if (this.state === ValueType.Float && this.t >= t) return ValueType.Float;
    // Skip whole chunks that end before t.
    let j = Math.max(this.i, 0);
    while (j < this.parts.length && this.parts[j]!.maxTime < t) j++;
    if (j >= this.parts.length) {
      this.i = this.parts.length;
      this.state = ValueType.None;
      return ValueType.None;
    }
    if (j !== this.i || this.it === null) this.open(j);
    for (;;) {
      const vt = this.next();
      if (vt === ValueType.None || this.t >= t) return vt;
    }
  }

  err(): Error | null {
    return this.error;
  }
}

class ErrorIterator implements SampleIterator {
  t = 0;
  v = 0;
  constructor(private readonly e: Error | null) {}
  next(): ValueType {
    return ValueType.None;
  }
  seek(): ValueType {
    return ValueType.None;
  }
  err(): Error | null {
    return this.e;
  }
}
