// The in-memory head of one tenant, modelled on Prometheus' tsdb/head*.go.
//
// Series are found by a 30-bit label hash (SMI keys, collisions chained) and by ref; label
// strings are interned. Samples live in XOR chunks (see series.ts). Appenders buffer samples in
// pooled typed arrays; commit() writes series/samples/exemplar records to the WAL, awaits it, and
// only then applies the samples and makes new series visible in the postings index.
//
// Concurrency: several appenders may be between append() and commit() at the same time (requests
// in flight). append() checks a sample against the newest sample this appender buffered for the
// series, else against the series' committed newest sample. commit()
// re-checks at apply time: a sample that became out of order or a conflicting duplicate because
// another appender committed newer data in between is dropped and counted in
// `droppedOnCommit` — it is already in the WAL, and WAL replay drops it the same way, so the head
// after replay equals the head before.
import { Labels, compareStrings } from '../../labels/labels.ts';
import type { Matcher } from '../../labels/matcher.ts';
import { AppendError, ValueType } from '../../storage/interfaces.ts';
import type {
  Appender,
  ChunkMeta,
  Exemplar,
  LabelHints,
  LabelResult,
  MetricMetadata,
  Querier,
  Queryable,
  SampleIterator,
  SelectHints,
  Series,
  SeriesSet,
} from '../../storage/interfaces.ts';
import { isStaleNaN, setFloat64Bits, STALE_NAN_HI, STALE_NAN_LO } from '../stale.ts';
import { XORChunk, XORIterator } from '../chunkenc/xor.ts';
import {
  RecordType,
  decodeExemplars,
  decodeMetadata,
  decodeSamples,
  decodeSeries,
  encodeExemplars,
  encodeMetadata,
  encodeSamples,
  encodeSeries,
  recordType,
  type RefExemplar,
  type RefSeries,
} from '../record/record.ts';
import { WAL, replayWAL } from '../wal/index.ts';
import { MemPostings } from './postings.ts';
import { ChunkListIterator, MemSeries, SeriesState } from './series.ts';

export { MemSeries, SeriesState, SAMPLES_PER_CHUNK } from './series.ts';

/** Marks a series removed by truncate (in-flight appenders may still hold it). */
const DELETED = 3;

export const DEFAULT_CHUNK_RANGE = 2 * 60 * 60 * 1000;
/** Prometheus' default exemplar buffer (max_exemplars) is 100000. */
export const DEFAULT_MAX_EXEMPLARS = 100_000;
/** Prometheus ExemplarMaxLabelSetLength: label names+values of an exemplar, in runes. */
const EXEMPLAR_MAX_LABELSET_LENGTH = 128;

export interface HeadOptions {
  wal?: WAL | null;
  chunkRange?: number /* ms, default 2h */;
  logger?: { warn(o: object, msg: string): void };
  /** Exemplar ring buffer size (default 100000; 0 disables exemplars). */
  maxExemplars?: number;
}

export interface HeadOpenOptions extends HeadOptions {
  /** WAL directory: replayed on open, then opened for writing (unless `wal` is given). */
  walDir?: string;
  /** Passed to WAL.open when the head opens the WAL itself. */
  walFsync?: boolean;
  walSegmentSize?: number;
}

export interface HeadStats {
  numSeries: number;
  numSamples: number;
  numChunks: number;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE ? 0 : 1;
const HI = LITTLE ? 1 : 0;

/** True when v has the bits hi:lo (staleness markers compared canonically). */
function hasBits(v: number, hi: number, lo: number): boolean {
  if (v !== v && isStaleNaN(v)) return hi === STALE_NAN_HI && lo === STALE_NAN_LO;
  f64[0] = v;
  return u32[HI] === hi && u32[LO] === lo;
}

function sameBits(a: number, b: number): boolean {
  if (a !== a || b !== b) {
    if (a === a || b === b) return false;
    const sa = isStaleNaN(a);
    if (sa !== isStaleNaN(b)) return false;
    if (sa) return true;
  }
  f64[0] = a;
  const h = u32[HI]!;
  const l = u32[LO]!;
  f64[0] = b;
  return u32[HI] === h && u32[LO] === l;
}

/**
 * Lookup hash of a label set: FNV-1a over the label values (UTF-16 code units) and the label count,
 * folded to 30 bits (a V8 small integer, so the Map key needs no allocation). Names are skipped
 * for speed — sets differing only in names collide and are told apart by the equality check.
 */
function hashFlat(flat: readonly string[]): number {
  let h = Math.imul(0x811c9dc5 ^ flat.length, 16777619);
  for (let i = 1; i < flat.length; i += 2) {
    const s = flat[i]!;
    for (let j = 0; j < s.length; j++) h = Math.imul(h ^ s.charCodeAt(j), 16777619);
    h = Math.imul(h ^ 0xff, 16777619);
  }
  return (h ^ (h >>> 30)) & 0x3fffffff;
}

function flatEquals(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface StoredExemplar {
  ref: number;
  labels: Labels;
  value: number;
  ts: number;
}

/** Pooled per-appender buffers (reused across commits). */
class SampleBuffers {
  refs = new Float64Array(256);
  ts = new Float64Array(256);
  vs = new Float64Array(256);
  vdv = new DataView(this.vs.buffer);
  series: MemSeries[] = [];

  grow(): void {
    const n = this.refs.length * 2;
    const refs = new Float64Array(n);
    refs.set(this.refs);
    const ts = new Float64Array(n);
    ts.set(this.ts);
    const vs = new Float64Array(n);
    new Uint8Array(vs.buffer).set(new Uint8Array(this.vs.buffer)); // bytes: keep NaN payloads
    this.refs = refs;
    this.ts = ts;
    this.vs = vs;
    this.vdv = new DataView(vs.buffer);
  }
}

export class Head implements Queryable {
  readonly chunkRange: number;
  private wal: WAL | null;
  private ownsWal = false;
  private readonly logger: HeadOptions['logger'];
  private readonly byRef = new Map<number, MemSeries>();
  private readonly byHash = new Map<number, MemSeries | MemSeries[]>();
  /** @internal */ readonly postings = new MemPostings();
  /** Visible series in label order (MemSeries.rank = index), or null when stale; see sortByLabels. */
  private labelOrder: MemSeries[] | null = null;
  private symbols = new Map<string, string>();
  private nextRef = 1;
  private visibleCount = 0;
  private minT = Infinity;
  private maxT = -Infinity;
  private samples = 0;
  private chunkCount = 0;
  private minValid = -Infinity;
  private readonly pool: SampleBuffers[] = [];
  private closed = false;
  // Exemplars: ring buffer plus the newest exemplar per series ref.
  private readonly maxExemplars: number;
  private exRing: (StoredExemplar | undefined)[] = [];
  private exPos = 0;
  private readonly exLast = new Map<number, StoredExemplar>();
  private readonly meta = new Map<string, MetricMetadata[]>();
  private metaWrites: Promise<void> = Promise.resolve();
  /** Samples dropped at commit/replay because newer data arrived in between (already in the WAL). */
  droppedOnCommit = 0;
  /** Replay statistics of the last open(). */
  replayStats = { records: 0, samples: 0, unknownRefs: 0, outOfOrder: 0, corrupted: false };

  constructor(opts: HeadOptions = {}) {
    this.chunkRange = opts.chunkRange ?? DEFAULT_CHUNK_RANGE;
    if (!(this.chunkRange > 0)) throw new RangeError(`chunkRange must be positive, got ${this.chunkRange}`);
    this.wal = opts.wal ?? null;
    this.logger = opts.logger;
    this.maxExemplars = opts.maxExemplars ?? DEFAULT_MAX_EXEMPLARS;
  }

  /** Creates a head; replays `walDir` when given and then opens it for writing (unless `wal` is given). */
  static async open(opts: HeadOpenOptions = {}): Promise<Head> {
    const head = new Head(opts);
    if (opts.walDir) {
      const logger = opts.logger;
      const r = await replayWAL(opts.walDir, (rec) => head.replayRecord(rec), {
        onCorruption: (info) => logger?.warn({ ...info, dir: opts.walDir }, 'WAL corruption: truncated at last good record'),
      });
      head.replayStats.records = r.records;
      head.replayStats.corrupted = r.corrupted;
      if (!opts.wal) {
        head.wal = await WAL.open({
          dir: opts.walDir,
          ...(opts.walFsync !== undefined ? { fsync: opts.walFsync } : {}),
          ...(opts.walSegmentSize !== undefined ? { segmentSize: opts.walSegmentSize } : {}),
        });
        head.ownsWal = true;
      }
    }
    return head;
  }

  /** The WAL this head writes to, if any. */
  walHandle(): WAL | null {
    return this.wal;
  }

  // ---------------------------------------------------------------- series lookup / creation

  private intern(s: string): string {
    const hit = this.symbols.get(s);
    if (hit !== undefined) return hit;
    this.symbols.set(s, s);
    return s;
  }

  /** @internal Finds the series with these labels (any state but deleted). */
  lookup(labels: Labels, hash = hashFlat(labels.flat)): MemSeries | undefined {
    const e = this.byHash.get(hash);
    if (e === undefined) return undefined;
    if (!Array.isArray(e)) return flatEquals(e.labels.flat, labels.flat) ? e : undefined;
    for (const s of e) if (flatEquals(s.labels.flat, labels.flat)) return s;
    return undefined;
  }

  private insert(s: MemSeries, hash: number): void {
    const e = this.byHash.get(hash);
    if (e === undefined) this.byHash.set(hash, s);
    else if (Array.isArray(e)) e.push(s);
    else this.byHash.set(hash, [e, s]);
    this.byRef.set(s.ref, s);
  }

  private unlink(s: MemSeries): void {
    const hash = hashFlat(s.labels.flat);
    const e = this.byHash.get(hash);
    if (e === s) this.byHash.delete(hash);
    else if (Array.isArray(e)) {
      const i = e.indexOf(s);
      if (i >= 0) e.splice(i, 1);
      if (e.length === 1) this.byHash.set(hash, e[0]!);
      else if (e.length === 0) this.byHash.delete(hash);
    }
    if (this.byRef.get(s.ref) === s) this.byRef.delete(s.ref);
  }

  private newSeries(ref: number, labels: Labels, hash: number): MemSeries {
    const f = labels.flat;
    const flat: string[] = new Array(f.length);
    for (let i = 0; i < f.length; i++) flat[i] = this.intern(f[i]!);
    const s = new MemSeries(ref, Labels.fromSortedFlat(flat));
    this.insert(s, hash);
    return s;
  }

  /** @internal Gets or creates (invisible, state New) the series for labels. */
  getOrCreate(labels: Labels): MemSeries {
    const hash = hashFlat(labels.flat);
    const s = this.lookup(labels, hash);
    if (s !== undefined) return s;
    const f = labels.flat;
    if (f.length === 0) throw new AppendError('invalid_labels', 'empty labelset');
    for (let i = 2; i < f.length; i += 2) {
      if (f[i] === f[i - 2]) throw new AppendError('invalid_labels', `label name "${f[i]}" is not unique: ${labels.toString()}`);
    }
    return this.newSeries(this.nextRef++, labels, hash);
  }

  /** @internal */
  makeVisible(s: MemSeries): void {
    if (s.state === SeriesState.Visible || s.state === DELETED) return;
    s.state = SeriesState.Visible;
    this.postings.add(s.ref, s.labels);
    this.visibleCount++;
    this.labelOrder = null;
  }

  /** @internal Drops a never-committed series (rollback). */
  discard(s: MemSeries): void {
    if (s.state !== SeriesState.New || s.pending > 0) return;
    s.state = DELETED;
    this.unlink(s);
  }

  /** @internal Applies a committed sample; re-checks ordering. Returns false when dropped. */
  applySample(s: MemSeries, t: number, v: number): boolean {
    if (s.state === DELETED) return false; // the caller re-appends it to a new series
    const app = s.app;
    if (app !== null && t <= app.t) {
      if (t === app.t && hasBits(v, app.vHi, app.vLo)) return true; // idempotent resend
      this.droppedOnCommit++;
      return false;
    }
    this.chunkCount += s.append(t, v, this.chunkRange);
    this.samples++;
    if (t < this.minT) this.minT = t;
    if (t > this.maxT) this.maxT = t;
    return true;
  }

  /** @internal */
  warnDropped(n: number): void {
    this.logger?.warn(
      { dropped: n, total: this.droppedOnCommit },
      'samples dropped at commit: another appender committed newer samples for their series first (they are in the WAL and are dropped again on replay)',
    );
  }

  // ---------------------------------------------------------------- public API

  appender(): Appender {
    if (this.closed) throw new Error('head is closed');
    return new HeadAppender(this);
  }

  /** @internal */
  acquireBuffers(): SampleBuffers {
    return this.pool.pop() ?? new SampleBuffers();
  }

  /** @internal */
  releaseBuffers(b: SampleBuffers): void {
    b.series.length = 0;
    if (this.pool.length < 16) this.pool.push(b);
  }

  /** @internal */
  get walOrNull(): WAL | null {
    return this.wal;
  }

  get minValidTime(): number {
    return this.minValid;
  }

  /** Samples older than t are rejected with out_of_bounds (set to the current block window start after a cut). */
  setMinValidTime(t: number): void {
    this.minValid = t;
  }

  querier(mint: number, maxt: number): Querier {
    return new HeadQuerier(this, mint, maxt);
  }

  numSeries(): number {
    return this.visibleCount;
  }

  minTime(): number {
    return this.minT;
  }

  maxTime(): number {
    return this.maxT;
  }

  stats(): HeadStats {
    return { numSeries: this.visibleCount, numSamples: this.samples, numChunks: this.chunkCount };
  }

  /**
   * @internal Sorts visible series by labels (Labels.compare), as a querier must return them.
   * Benchmark-driven (bench/profile-query.ts): sorting the 60k matched series with Labels.compare
   * on every select was most of the head's select time. When the list covers a good part of the
   * head, the order of all visible series is computed once (until a series is added or removed),
   * each series keeps its rank, and the list is sorted by rank with a native typed-array sort.
   * Small selections are sorted directly, so series churn never costs a full sort for them.
   */
  sortByLabels(list: MemSeries[]): MemSeries[] {
    if (list.length < 2) return list;
    if (this.labelOrder === null && list.length * 4 < this.visibleCount) {
      return list.sort((a, b) => Labels.compare(a.labels, b.labels));
    }
    let order = this.labelOrder;
    if (order === null) {
      order = [];
      for (const s of this.byRef.values()) if (s.state === SeriesState.Visible) order.push(s);
      order.sort((a, b) => Labels.compare(a.labels, b.labels));
      for (let i = 0; i < order.length; i++) order[i]!.rank = i;
      this.labelOrder = order;
    }
    const ranks = new Int32Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!.rank;
      // Not in the cached order (cannot happen for visible series; be safe): fall back.
      if (r < 0 || order[r] !== list[i]) return list.sort((a, b) => Labels.compare(a.labels, b.labels));
      ranks[i] = r;
    }
    ranks.sort();
    for (let i = 0; i < list.length; i++) list[i] = order[ranks[i]!]!;
    return list;
  }

  /** @internal Visible series for sorted refs. */
  seriesForRefs(refs: readonly number[]): MemSeries[] {
    const out: MemSeries[] = [];
    for (const r of refs) {
      const s = this.byRef.get(r);
      if (s !== undefined && s.state === SeriesState.Visible) out.push(s);
    }
    return out;
  }

  /** True when the head holds a series with this ref (e.g. WAL checkpoint keepSeries). */
  hasSeries(ref: number): boolean {
    const s = this.byRef.get(ref);
    return s !== undefined && s.state !== DELETED;
  }

  /** @internal */
  seriesByRef(ref: number): MemSeries | undefined {
    return this.byRef.get(ref);
  }

  // ---------------------------------------------------------------- exemplars

  /** @internal Validates an exemplar for series s; returns false for a silent duplicate. */
  checkExemplar(s: MemSeries, e: Exemplar): boolean {
    if (this.maxExemplars <= 0) return false;
    let n = 0;
    for (const x of e.labels.flat) n += [...x].length;
    if (n > EXEMPLAR_MAX_LABELSET_LENGTH) {
      throw new AppendError(
        'invalid_labels',
        `exemplar label set for series ${s.labels.toString()} exceeds ${EXEMPLAR_MAX_LABELSET_LENGTH} characters: ${e.labels.toString()}`,
      );
    }
    const last = this.exLast.get(s.ref);
    if (last === undefined) return true;
    if (last.ts === e.ts && sameBits(last.value, e.value) && last.labels.equals(e.labels)) return false;
    if (e.ts <= last.ts) {
      throw new AppendError(
        'out_of_order',
        `out of order exemplar for series ${s.labels.toString()}: timestamp ${e.ts} is not after the newest exemplar at ${last.ts}`,
      );
    }
    return true;
  }

  /** @internal */
  addExemplar(ref: number, e: Exemplar): void {
    if (this.maxExemplars <= 0) return;
    const last = this.exLast.get(ref);
    if (last !== undefined && (e.ts < last.ts || (e.ts === last.ts && sameBits(last.value, e.value) && last.labels.equals(e.labels)))) return;
    const x: StoredExemplar = { ref, labels: e.labels, value: e.value, ts: e.ts };
    const old = this.exRing[this.exPos];
    if (old !== undefined && this.exLast.get(old.ref) === old) this.exLast.delete(old.ref);
    this.exRing[this.exPos] = x;
    this.exPos = (this.exPos + 1) % this.maxExemplars;
    this.exLast.set(ref, x);
  }

  exemplars(mint: number, maxt: number, matchers: Matcher[][]): { seriesLabels: Labels; exemplars: Exemplar[] }[] {
    const refs = new Set<number>();
    for (const ms of matchers) for (const r of this.postings.postingsForMatchers(ms)) refs.add(r);
    if (refs.size === 0) return [];
    const bySeries = new Map<number, Exemplar[]>();
    // Oldest first: the ring from exPos around.
    const n = this.exRing.length;
    for (let k = 0; k < n; k++) {
      const x = this.exRing[(this.exPos + k) % n];
      if (x === undefined || !refs.has(x.ref) || x.ts < mint || x.ts > maxt) continue;
      let l = bySeries.get(x.ref);
      if (!l) {
        l = [];
        bySeries.set(x.ref, l);
      }
      l.push({ labels: x.labels, value: x.value, ts: x.ts });
    }
    const out: { seriesLabels: Labels; exemplars: Exemplar[] }[] = [];
    for (const [ref, ex] of bySeries) {
      const s = this.byRef.get(ref);
      if (s === undefined || s.state !== SeriesState.Visible) continue;
      ex.sort((a, b) => a.ts - b.ts);
      out.push({ seriesLabels: s.labels, exemplars: ex });
    }
    out.sort((a, b) => Labels.compare(a.seriesLabels, b.seriesLabels));
    return out;
  }

  // ---------------------------------------------------------------- metadata

  metadata(): Map<string, MetricMetadata[]> {
    const out = new Map<string, MetricMetadata[]>();
    for (const [k, v] of this.meta) out.set(k, v.map((m) => ({ ...m })));
    return out;
  }

  /**
   * Records metadata of a metric family. When it is new and the head has a WAL, it is also logged
   * as a Prometheus metadata record against one series of the family (found as `metric` or
   * `metric` + _bucket/_count/_sum/_total/_info/_created); without such a series it stays in memory only.
   */
  setMetadata(metric: string, md: MetricMetadata): void {
    if (!this.putMetadata(metric, md)) return;
    const wal = this.wal;
    if (wal === null) return;
    let ref = 0;
    for (const suffix of ['', '_bucket', '_count', '_sum', '_total', '_info', '_created']) {
      const p = this.postings.get('__name__', metric + suffix);
      if (p.length > 0) {
        ref = p[0]!;
        break;
      }
    }
    if (ref === 0) return;
    const rec = encodeMetadata([{ ref, type: md.type, unit: md.unit, help: md.help }]);
    this.metaWrites = this.metaWrites
      .then(() => wal.log([rec]))
      .catch((e: unknown) => this.logger?.warn({ err: String(e), metric }, 'failed to log metadata to the WAL'));
  }

  /** Returns true when md was not already known for metric. */
  private putMetadata(metric: string, md: MetricMetadata): boolean {
    let l = this.meta.get(metric);
    if (!l) {
      l = [];
      this.meta.set(metric, l);
    }
    for (const m of l) if (m.type === md.type && m.help === md.help && m.unit === md.unit) return false;
    l.push({ type: md.type, help: md.help, unit: md.unit });
    if (l.length > 10) l.shift();
    return true;
  }

  // ---------------------------------------------------------------- block writer support

  /**
   * Every visible series with samples in [mint, maxt), sorted by labels, with its chunks; chunks
   * entirely inside the range are passed through as is (the head chunk is copied), chunks crossing
   * a boundary are re-encoded with only their samples in [mint, maxt).
   */
  *chunkSeries(mint: number, maxt: number): Iterable<{ labels: Labels; chunks: ChunkMeta[] }> {
    const list: MemSeries[] = [];
    for (const s of this.byRef.values()) {
      if (s.state !== SeriesState.Visible) continue;
      if (s.firstT() >= maxt || s.lastT() < mint) continue;
      list.push(s);
    }
    list.sort((a, b) => Labels.compare(a.labels, b.labels));
    for (const s of list) {
      const out: ChunkMeta[] = [];
      for (const c of s.chunksIn(mint, maxt - 1, true)) {
        if (c.minTime >= mint && c.maxTime < maxt) {
          out.push(c);
          continue;
        }
        const re = new XORChunk();
        const app = re.appender();
        const it = new XORChunk(c.data).iterator();
        let lo = Infinity;
        let hi = -Infinity;
        while (it.next() === ValueType.Float) {
          if (it.t < mint) continue;
          if (it.t >= maxt) break;
          app.append(it.t, it.v);
          if (lo === Infinity) lo = it.t;
          hi = it.t;
        }
        if (re.numSamples() > 0) {
          re.compact();
          out.push({ minTime: lo, maxTime: hi, encoding: 1, data: re.bytes() });
        }
      }
      if (out.length > 0) yield { labels: s.labels, chunks: out };
    }
  }

  /** Drops samples/chunks older than mint and series that become empty. Returns removed series refs. */
  truncate(mint: number): number[] {
    const removed = new Map<number, Labels>();
    const removedRefs: number[] = [];
    let newMin = Infinity;
    for (const s of this.byRef.values()) {
      if (s.state === SeriesState.New || s.state === SeriesState.Logged) continue; // in-flight commit
      const [c, n] = s.truncateBefore(mint);
      this.chunkCount -= c;
      this.samples -= n;
      if (s.head === null) {
        removedRefs.push(s.ref);
        if (s.state === SeriesState.Visible) {
          removed.set(s.ref, s.labels);
          this.visibleCount--;
        }
        s.state = DELETED;
      } else {
        const f = s.firstT();
        if (f < newMin) newMin = f;
      }
    }
    for (const ref of removedRefs) {
      const s = this.byRef.get(ref);
      if (s) this.unlink(s);
    }
    this.postings.delete(removed);
    if (removed.size > 0) this.labelOrder = null;
    for (const ref of removedRefs) this.exLast.delete(ref);
    if (this.exRing.length > 0) {
      for (let i = 0; i < this.exRing.length; i++) {
        const x = this.exRing[i];
        if (x !== undefined && (x.ts < mint || removed.has(x.ref))) this.exRing[i] = undefined;
      }
    }
    if (removedRefs.length > 0) {
      // Rebuild the symbol table from the remaining series so removed strings can be collected.
      const syms = new Map<string, string>();
      for (const s of this.byRef.values()) for (const x of s.labels.flat) syms.set(x, x);
      this.symbols = syms;
    }
    this.minT = newMin;
    if (this.byRef.size === 0 || newMin === Infinity) {
      this.minT = Infinity;
      if (this.visibleCount === 0) this.maxT = -Infinity;
    }
    removedRefs.sort((a, b) => a - b);
    return removedRefs;
  }

  // ---------------------------------------------------------------- WAL replay

  private readonly replayRefAlias = new Map<number, MemSeries>();

  private replaySeries(ref: number): MemSeries | undefined {
    return this.byRef.get(ref) ?? this.replayRefAlias.get(ref);
  }

  /** @internal Applies one WAL record (series → samples → exemplars → metadata). */
  replayRecord(rec: Uint8Array): void {
    const st = this.replayStats;
    switch (recordType(rec)) {
      case RecordType.Series:
        for (const { ref, labels } of decodeSeries(rec)) {
          const hash = hashFlat(labels.flat);
          const existing = this.lookup(labels, hash);
          if (existing !== undefined) {
            // Same labels logged twice under different refs (Prometheus handles it the same way).
            if (existing.ref !== ref) this.replayRefAlias.set(ref, existing);
          } else {
            const s = this.newSeries(ref, labels, hash);
            this.makeVisible(s);
          }
          if (ref >= this.nextRef) this.nextRef = ref + 1;
        }
        break;
      case RecordType.Samples:
        decodeSamples(rec, (ref, t, v) => {
          const s = this.replaySeries(ref);
          if (s === undefined) {
            st.unknownRefs++;
            return;
          }
          st.samples++;
          const app = s.app;
          if (app !== null && t <= app.t) {
            if (!(t === app.t && hasBits(v, app.vHi, app.vLo))) st.outOfOrder++;
            return;
          }
          this.chunkCount += s.append(t, v, this.chunkRange);
          this.samples++;
          if (t < this.minT) this.minT = t;
          if (t > this.maxT) this.maxT = t;
        });
        break;
      case RecordType.Exemplars:
        for (const e of decodeExemplars(rec)) {
          const s = this.replaySeries(e.ref);
          if (s !== undefined) this.addExemplar(s.ref, { labels: e.labels, value: e.v, ts: e.t });
        }
        break;
      case RecordType.Metadata:
        for (const m of decodeMetadata(rec)) {
          const s = this.replaySeries(m.ref);
          if (s === undefined) continue;
          this.putMetadata(metricFamily(s.labels.get('__name__'), m.type), { type: m.type, unit: m.unit, help: m.help });
        }
        break;
      default:
        // Tombstones and record types the head does not keep.
        break;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.metaWrites;
    if (this.ownsWal && this.wal) await this.wal.close();
  }
}

/** Family name for a series name carrying metadata (see setMetadata). */
function metricFamily(name: string, type: string): string {
  const strip = (suffixes: string[]): string => {
    for (const s of suffixes) if (name.endsWith(s) && name.length > s.length) return name.slice(0, -s.length);
    return name;
  };
  switch (type) {
    case 'histogram':
    case 'gaugehistogram':
      return strip(['_bucket', '_count', '_sum', '_created']);
    case 'summary':
      return strip(['_count', '_sum', '_created']);
    case 'info':
      return strip(['_info']);
    default:
      return name;
  }
}

// ------------------------------------------------------------------------------------------------

let appenderIds = 0;

class HeadAppender implements Appender {
  private readonly head: Head;
  private buf: SampleBuffers | null;
  private n = 0;
  /** Series that were not visible when first referenced (pending++ taken). */
  private tracked: MemSeries[] | null = null;
  private trackedSet: Set<MemSeries> | null = null;
  private exemplars: RefExemplar[] | null = null;
  private exemplarSeries: MemSeries[] | null = null;
  private done = false;
  /** Marks the series this appender buffered samples for (MemSeries.markOwner). */
  private readonly id: number;

  constructor(head: Head) {
    this.head = head;
    this.buf = head.acquireBuffers();
    appenderIds = appenderIds >= 0x3fffffff ? 1 : appenderIds + 1;
    this.id = appenderIds;
  }

  private resolve(ref: number, labels: Labels): MemSeries {
    const head = this.head;
    let s: MemSeries | undefined;
    if (ref > 0) {
      s = head.seriesByRef(ref);
      if (s !== undefined && s.state === DELETED) s = undefined;
    }
    if (s === undefined) s = head.getOrCreate(labels);
    if (s.state !== SeriesState.Visible) {
      this.trackedSet ??= new Set();
      if (!this.trackedSet.has(s)) {
        this.trackedSet.add(s);
        (this.tracked ??= []).push(s);
        s.pending++;
      }
    }
    return s;
  }

  append(ref: number, labels: Labels, t: number, v: number): number {
    if (this.done) throw new Error('appender already committed or rolled back');
    const head = this.head;
    const s = this.resolve(ref, labels);
    if (t < head.minValidTime) {
      throw new AppendError(
        'out_of_bounds',
        `out of bounds: sample for series ${s.labels.toString()} at timestamp ${t} is older than the head's minimum valid time ${head.minValidTime}`,
      );
    }
    let isDup = false;
    const b = this.buf!;
    if (s.markOwner === this.id) {
      // This appender already holds a newer sample for the series than the committed ones.
      const lt = b.ts[s.markIdx]!;
      if (t <= lt) {
        if (t < lt) throw outOfOrder(s, t, lt);
        if (!sameBits(v, b.vs[s.markIdx]!)) throw duplicate(s, t);
        isDup = true;
      }
    } else {
      const app = s.app;
      if (app !== null && t <= app.t) {
        if (t < app.t) {
          // A retried request resends samples older than the newest one: accept exact copies of
          // stored samples (idempotent retries), reject anything else as Prometheus does.
          const stored = s.valueAt(t);
          if (stored === undefined) throw outOfOrder(s, t, app.t);
          if (!sameBits(v, stored)) throw duplicate(s, t);
        } else if (!hasBits(v, app.vHi, app.vLo)) throw duplicate(s, t);
        isDup = true;
      }
    }
    if (isDup) return s.ref; // identical resend: accepted, not stored again
    const i = this.n;
    if (i === b.refs.length) b.grow();
    b.refs[i] = s.ref;
    b.ts[i] = t;
    if (v !== v) setFloat64Bits(b.vdv, i * 8, v, LITTLE);
    else b.vs[i] = v;
    b.series[i] = s;
    this.n = i + 1;
    s.markOwner = this.id;
    s.markIdx = i;
    return s.ref;
  }

  appendExemplar(ref: number, labels: Labels, exemplar: Exemplar): void {
    if (this.done) throw new Error('appender already committed or rolled back');
    const s = this.resolve(ref, labels);
    if (!this.head.checkExemplar(s, exemplar)) return;
    (this.exemplars ??= []).push({ ref: s.ref, t: exemplar.ts, v: exemplar.value, labels: exemplar.labels });
    (this.exemplarSeries ??= []).push(s);
  }

  async commit(): Promise<void> {
    if (this.done) throw new Error('appender already committed or rolled back');
    this.done = true;
    const head = this.head;
    const b = this.buf!;
    const n = this.n;
    const tracked = this.tracked;
    const wal = head.walOrNull;
    if (wal !== null) {
      const recs: Uint8Array[] = [];
      const logged: MemSeries[] = [];
      if (tracked !== null) {
        const rs: RefSeries[] = [];
        for (const s of tracked) {
          if (s.state === SeriesState.New) {
            s.state = SeriesState.Logged;
            logged.push(s);
            rs.push({ ref: s.ref, labels: s.labels });
          }
        }
        if (rs.length > 0) recs.push(encodeSeries(rs));
      }
      if (n > 0) recs.push(encodeSamples(b.refs, b.ts, b.vs, n));
      if (this.exemplars !== null) recs.push(encodeExemplars(this.exemplars));
      if (recs.length > 0) {
        try {
          await wal.log(recs);
        } catch (e) {
          for (const s of logged) if (s.state === SeriesState.Logged) s.state = SeriesState.New;
          this.finish(false);
          throw e;
        }
      }
    }
    if (tracked !== null) for (const s of tracked) head.makeVisible(s);
    const series = b.series;
    const ts = b.ts;
    const vs = b.vs;
    let dropped = 0;
    let orphans: [Labels, number, number][] | null = null;
    for (let i = 0; i < n; i++) {
      const s = series[i]!;
      if (head.applySample(s, ts[i]!, vs[i]!)) continue;
      if (s.state === DELETED) (orphans ??= []).push([s.labels, ts[i]!, vs[i]!]);
      else dropped++;
    }
    if (dropped > 0) head.warnDropped(dropped);
    if (this.exemplars !== null) {
      const ex = this.exemplars;
      for (let i = 0; i < ex.length; i++) {
        const e = ex[i]!;
        head.addExemplar(this.exemplarSeries![i]!.ref, { labels: e.labels, value: e.v, ts: e.t });
      }
    }
    this.finish(true);
    if (orphans !== null) await this.reappend(orphans);
  }

  /**
   * Samples whose series was removed by truncate() while this commit waited for the WAL (the series
   * had no samples left at or after the truncation time): they are logged and applied again under a
   * new series (the first WAL record refers to a series a checkpoint may drop), so an acknowledged
   * sample is never lost. Samples now out of bounds are dropped and counted.
   */
  private async reappend(orphans: [Labels, number, number][]): Promise<void> {
    const head = this.head;
    const a = head.appender();
    let dropped = 0;
    for (const [labels, t, v] of orphans) {
      try {
        a.append(0, labels, t, v);
      } catch (e) {
        if (!(e instanceof AppendError)) throw e;
        dropped++;
      }
    }
    await a.commit();
    if (dropped > 0) {
      head.droppedOnCommit += dropped;
      head.warnDropped(dropped);
    }
  }

  rollback(): void {
    if (this.done) return;
    this.done = true;
    this.finish(false);
  }

  private finish(committed: boolean): void {
    const head = this.head;
    if (this.tracked !== null) {
      for (const s of this.tracked) {
        s.pending--;
        if (!committed) head.discard(s);
      }
    }
    this.tracked = null;
    this.trackedSet = null;
    this.exemplars = null;
    this.exemplarSeries = null;
    if (this.buf !== null) {
      const series = this.buf.series;
      for (let i = 0; i < this.n; i++) if (series[i]!.markOwner === this.id) series[i]!.markOwner = 0;
      head.releaseBuffers(this.buf);
      this.buf = null;
    }
  }
}

function outOfOrder(s: MemSeries, t: number, maxt: number): AppendError {
  return new AppendError('out_of_order', `out of order sample for series ${s.labels.toString()}: timestamp ${t} is older than the newest sample at ${maxt}`);
}

function duplicate(s: MemSeries, t: number): AppendError {
  return new AppendError('duplicate', `duplicate sample for timestamp ${t} with a different value for series ${s.labels.toString()}`);
}

// ------------------------------------------------------------------------------------------------

class HeadQuerier implements Querier {
  constructor(
    private readonly head: Head,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  /** Visible series matching; with precise, only those with a sample in [mint, maxt]. */
  private matching(matchers: readonly Matcher[], precise = false): MemSeries[] {
    const head = this.head;
    if (head.maxTime() < this.mint || head.minTime() > this.maxt) return [];
    const refs = head.postings.postingsForMatchers(matchers);
    const out: MemSeries[] = [];
    for (const s of head.seriesForRefs(refs)) {
      if (s.lastT() < this.mint || s.firstT() > this.maxt) continue;
      if (precise && !(s.firstT() >= this.mint && s.lastT() <= this.maxt)) {
        const chunks = s.chunksIn(this.mint, this.maxt, false);
        if (chunks.length === 0 || !new HeadSeries(s, chunks, this.mint, this.maxt).hasSamples()) continue;
      }
      out.push(s);
    }
    return out;
  }

  select(hints: SelectHints, matchers: readonly Matcher[]): SeriesSet {
    const list = this.head.sortByLabels(this.matching(matchers));
    if (hints.limit && hints.limit > 0 && list.length > hints.limit) list.length = hints.limit;
    const mint = this.mint;
    const maxt = this.maxt;
    return {
      // A plain iterator object rather than an async generator: per series it costs one resolved
      // promise instead of a generator resumption (benchmark-driven: selects of 60k series).
      [Symbol.asyncIterator](): AsyncIterator<Series> {
        let i = 0;
        return {
          next(): Promise<IteratorResult<Series>> {
            while (i < list.length) {
              const s = list[i++]!;
              if (s.state !== SeriesState.Visible) continue; // truncated meanwhile
              const chunks = s.chunksIn(mint, maxt, false);
              if (chunks.length === 0) continue;
              const hs = new HeadSeries(s, chunks, mint, maxt);
              if (!hs.hasSamples()) continue;
              return Promise.resolve({ value: hs, done: false });
            }
            return Promise.resolve({ value: undefined, done: true });
          },
          return(): Promise<IteratorResult<Series>> {
            i = list.length;
            return Promise.resolve({ value: undefined, done: true });
          },
        };
      },
      warnings: () => [],
    };
  }

  private valuesLimited(values: Iterable<string>, limit: number | undefined): LabelResult {
    const arr = [...values].sort(compareStrings);
    if (limit && limit > 0 && arr.length > limit) arr.length = limit;
    return { values: arr, warnings: [] };
  }

  private coversHead(): boolean {
    return this.mint <= this.head.minTime() && this.maxt >= this.head.maxTime();
  }

  async labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
    const head = this.head;
    if (head.maxTime() < this.mint || head.minTime() > this.maxt) return { values: [], warnings: [] };
    if (matchers.length === 0 && this.coversHead()) return this.valuesLimited(head.postings.labelValues(name), hints?.limit);
    const set = new Set<string>();
    for (const s of this.matching(matchers, true)) {
      const v = s.labels.get(name);
      if (v !== '') set.add(v);
    }
    return this.valuesLimited(set, hints?.limit);
  }

  async labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
    const head = this.head;
    if (head.maxTime() < this.mint || head.minTime() > this.maxt) return { values: [], warnings: [] };
    if (matchers.length === 0 && this.coversHead()) return this.valuesLimited(head.postings.labelNames(), hints?.limit);
    const set = new Set<string>();
    for (const s of this.matching(matchers, true)) for (const n of s.labels.names()) set.add(n);
    return this.valuesLimited(set, hints?.limit);
  }

  close(): void {}
}

class HeadSeries implements Series {
  readonly labels: Labels;
  private readonly counts: number[];
  /** Index in snap of the live head chunk, or -1. */
  private readonly headIdx: number;
  constructor(
    s: MemSeries,
    private readonly snap: ChunkMeta[],
    private readonly mint: number,
    private readonly maxt: number,
  ) {
    this.labels = s.labels;
    // Fix each chunk's sample count now: the head chunk keeps growing.
    const counts = new Array<number>(snap.length);
    for (let i = 0; i < snap.length; i++) counts[i] = (snap[i]!.data[0]! << 8) | snap[i]!.data[1]!;
    this.counts = counts;
    // The live head chunk, if in the snapshot, is its last chunk; closed chunks all start before
    // headMinT (they end before it), so the start time identifies it without taking a bytes() view.
    const last = snap.length - 1;
    this.headIdx = last >= 0 && s.head !== null && snap[last]!.minTime === s.headMinT ? last : -1;
  }

  iterator(_reuse?: SampleIterator): SampleIterator {
    return new ChunkListIterator(this.snap, this.counts, this.mint, this.maxt);
  }

  /** True when some sample lies in [mint, maxt] (only decodes when a chunk spans the whole range). */
  hasSamples(): boolean {
    for (const c of this.snap) {
      if ((c.minTime >= this.mint && c.minTime <= this.maxt) || (c.maxTime >= this.mint && c.maxTime <= this.maxt)) return true;
    }
    return this.iterator().seek(this.mint) === ValueType.Float;
  }

  /** Raw chunks overlapping the range; the head chunk is a standalone copy as of the snapshot. */
  chunks(): ChunkMeta[] {
    const out = this.snap.slice();
    const i = this.headIdx;
    if (i >= 0) {
      const c = out[i]!;
      const n = this.counts[i]!;
      out[i] = ((c.data[0]! << 8) | c.data[1]!) === n ? { ...c, data: c.data.slice() } : reencodePrefix(c, n);
    }
    return out;
  }
}

/** Re-encodes the first n samples of a chunk (a live head chunk that grew after the snapshot). */
function reencodePrefix(c: ChunkMeta, n: number): ChunkMeta {
  const it = new XORIterator(c.data);
  it.reset(c.data, n);
  const out = new XORChunk();
  const app = out.appender();
  let maxT = c.minTime;
  while (it.next() === ValueType.Float) {
    app.append(it.t, it.v);
    maxT = it.t;
  }
  out.compact();
  return { minTime: c.minTime, maxTime: maxT, encoding: 1, data: out.bytes() };
}
