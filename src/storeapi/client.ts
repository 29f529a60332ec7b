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
  StoreClient as PbStoreClient,
  type LabelNamesResponse,
  type LabelValuesResponse,
  type SeriesRequest,
  type SeriesResponse,
} from './gen/store/storepb/rpc.ts';
import { PartialResponseStrategy, type AggrChunk, type Chunk, type Series as PbSeries } from './gen/store/storepb/types.ts';
import type { Label } from './gen/store/labelpb/types.ts';

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

function sameLabels(a: readonly Label[], b: readonly Label[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.name !== b[i]!.name || a[i]!.value !== b[i]!.value) return false;
  return true;
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

  async *[Symbol.asyncIterator](): AsyncIterator<Series> {
    const stream = this.store.series(this.req, new grpc.Metadata(), this.owner.callOptions());
    let finished = false;
    let curLabels: Label[] | null = null;
    let curChunks: AggrChunk[] = [];
    const make = (): Series => new RemoteSeries(labelsFromProto(curLabels!), curChunks, this.mint, this.maxt, this.aggrs);
    try {
      for await (const msg of stream as AsyncIterable<SeriesResponse>) {
        let list: PbSeries[] | null = null;
        if (msg.series) list = [msg.series];
        else if (msg.batch) list = msg.batch.series;
        else if (msg.warning !== undefined) this.warns.push(msg.warning);
        if (list === null) continue;
        for (const s of list) {
          if (curLabels !== null && sameLabels(curLabels, s.labels)) {
            for (const c of s.chunks) curChunks.push(c);
            continue;
          }
          if (curLabels !== null) {
            const out = make();
            curLabels = s.labels;
            curChunks = s.chunks.slice();
            yield out;
          } else {
            curLabels = s.labels;
            curChunks = s.chunks.slice();
          }
        }
      }
      finished = true;
      if (curLabels !== null) yield make();
    } catch (e) {
      const err = e as grpc.ServiceError;
      if (typeof err.code === 'number') throw fromServiceError(err, this.owner.address);
      throw e;
    } finally {
      if (!finished) {
        stream.on('error', () => {});
        stream.cancel();
      }
    }
  }
}

/** Picks the chunk a series iterator reads from an AggrChunk (raw, else the requested aggregate). */
function pickChunks(c: AggrChunk, aggrs: readonly Aggr[]): { main: Chunk; div?: Chunk } | null {
  if (c.raw) return { main: c.raw };
  if (aggrs.length === 1) {
    const pick = { [Aggr.MIN]: c.min, [Aggr.MAX]: c.max, [Aggr.COUNT]: c.count, [Aggr.SUM]: c.sum, [Aggr.COUNTER]: c.counter }[aggrs[0] as number];
    if (pick) return { main: pick };
  }
  // Average of a downsampled window: sum / count at the same timestamps.
  if (c.sum && c.count) return { main: c.sum, div: c.count };
  return null;
}

class RemoteSeries implements Series {
  constructor(
    readonly labels: Labels,
    private readonly aggrChunks: readonly AggrChunk[],
    private readonly mint: number,
    private readonly maxt: number,
    private readonly aggrs: readonly Aggr[],
  ) {}

  /**
   * Chunks as sent (encoding in chunkenc numbering); downsampled ones become aggregate chunks
   * (encoding 0xFF) holding the aggregates received, so a StoreAPI server can pass them on.
   */
  chunks(): ChunkMeta[] {
    const out: ChunkMeta[] = [];
    for (const c of this.aggrChunks) {
      const minTime = msFromInt64(c.minTime);
      const maxTime = msFromInt64(c.maxTime);
      if (c.raw) {
        out.push({ minTime, maxTime, encoding: chunkEncodingFromProto(c.raw.type), data: c.raw.data });
        continue;
      }
      const sub = (x: Chunk | undefined): SubChunk | null => (x ? { encoding: chunkEncodingFromProto(x.type), data: x.data } : null);
      const subs = [sub(c.count), sub(c.sum), sub(c.min), sub(c.max), sub(c.counter)];
      if (subs.every((x) => x === null)) continue;
      out.push({ minTime, maxTime, encoding: CHUNK_ENC_AGGR, data: encodeAggrChunk(subs) });
    }
    return out;
  }

  iterator(): SampleIterator {
    if (this.aggrs.length === 1 && this.aggrs[0] === Aggr.COUNTER && this.aggrChunks.some((c) => !c.raw)) return this.counterIterator();
    const parts: ChunkPart[] = [];
    for (const c of this.aggrChunks) {
      const minTime = msFromInt64(c.minTime);
      const maxTime = msFromInt64(c.maxTime);
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
    return new TrimIterator(inner, this.mint, this.maxt);
  }

  /**
   * Thanos chunkSeries with the COUNTER aggregate: every chunk's counter entry (or raw chunk), in
   * time order, through one ApplyCounterResetsIterator. Chunks outside [mint, maxt] are kept: the
   * counter totals depend on everything before.
   */
  private counterIterator(): SampleIterator {
    const cs = [...this.aggrChunks].sort((a, b) => (a.minTime < b.minTime ? -1 : a.minTime > b.minTime ? 1 : 0));
    const its: SampleIterator[] = [];
    for (const c of cs) {
      const ch = c.raw ?? c.counter;
      if (!ch) return new ErrorIterator(new Error(`series ${this.labels.toString()}: chunk without raw or counter data`));
      const enc = chunkEncodingFromProto(ch.type);
      if (enc !== ChunkEncoding.XOR) return new ErrorIterator(new Error(`series ${this.labels.toString()}: unsupported chunk encoding ${enc}`));
      its.push(new XORIterator(ch.data));
    }
    return new TrimIterator(new ApplyCounterResetsIterator(its), this.mint, this.maxt);
  }
}

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

/** Restricts an iterator to [mint, maxt] (StoreAPI chunks may extend beyond the requested range). */
class TrimIterator implements SampleIterator {
  t = 0;
  v = 0;
  private started = false;
  private done = false;
  constructor(
    private readonly inner: SampleIterator,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  private out(vt: ValueType): ValueType {
    if (vt === ValueType.None || this.inner.t > this.maxt) {
      this.done = true;
      return ValueType.None;
    }
    this.t = this.inner.t;
    this.v = this.inner.v;
    return vt;
  }

  next(): ValueType {
    if (this.done) return ValueType.None;
    if (!this.started) {
      this.started = true;
      return this.out(this.inner.seek(this.mint));
    }
    return this.out(this.inner.next());
  }

  seek(t: number): ValueType {
    if (this.done) return ValueType.None;
    if (this.started && this.t >= t) return ValueType.Float;
    this.started = true;
    return this.out(this.inner.seek(Math.max(t, this.mint)));
  }

  err(): Error | null {
    return this.inner.err();
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
