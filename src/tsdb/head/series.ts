// One in-memory series of the head: closed XOR chunks packed into one byte array, plus the open
// head chunk with its appender. Chunk cutting follows Prometheus (tsdb/head_append.go
// appendPreprocessor): a chunk never spans a chunkRange boundary; when it reaches a quarter of
// 120 samples, its end is predicted so that the rest of the range splits into equally sized
// chunks; and it is cut at 240 samples at the latest.
import type { Labels } from '../../labels/labels.ts';
import { ValueType } from '../../storage/interfaces.ts';
import type { ChunkMeta, SampleIterator } from '../../storage/interfaces.ts';
import { XORChunk, XORIterator } from '../chunkenc/xor.ts';
import { decodeXORRange } from '../chunkenc/xor-bulk.ts';
import type { XORAppenderImpl } from '../chunkenc/xor.ts';
import { slabAlloc } from './slab.ts';

export const SAMPLES_PER_CHUNK = 120;

/** Lifecycle of a series created by an appender. */
export const SeriesState = {
  /** Created by an uncommitted appender: not in the WAL, not queryable. */
  New: 0,
  /** Its series record has been handed to the WAL (maybe not yet written). */
  Logged: 1,
  /** In the postings index: queryable. */
  Visible: 2,
} as const;

/** Go's rangeForTimestamp: end of the chunkRange-aligned window containing t (integer division truncates). */
export function rangeForTimestamp(t: number, width: number): number {
  return Math.trunc(t / width) * width + width;
}

/** Go's computeChunkEndTime. */
export function computeChunkEndTime(start: number, cur: number, max: number): number {
  const n = Math.trunc((max - start) / ((cur - start + 1) * 4));
  if (n <= 1) return max;
  return start + Math.trunc((max - start) / n);
}

const EMPTY = new Uint8Array(0);
/** Placeholder chunk of a fresh iterator (never read: reset() replaces it). */
const NO_CHUNK = new Uint8Array(2);

export class MemSeries {
  /** Closed chunks' bytes, concatenated. Never mutated in place (replaced), so views stay valid. */
  cdata: Uint8Array = EMPTY;
  /** Per closed chunk: minT, maxT, end offset in cdata. */
  cmeta: number[] | null = null;
  head: XORChunk | null = null;
  app: XORAppenderImpl | null = null;
  headMinT = 0;
  nextAt = 0;
  state: number = SeriesState.New;
  /** Uncommitted appenders that reference this series while it is not visible. */
  pending = 0;
  /** Id of the appender that last buffered a sample for this series, and that sample's index. */
  markOwner = 0;
  markIdx = 0;
  /** Position in the head's cached label order (Head.sortByLabels), -1 when not computed. */
  rank = -1;

  constructor(
    readonly ref: number,
    readonly labels: Labels,
  ) {}

  /** Timestamp of the newest sample, -Infinity when none. */
  lastT(): number {
    return this.app === null ? -Infinity : this.app.t;
  }

  /** Timestamp of the oldest sample, Infinity when none. */
  firstT(): number {
    if (this.cmeta !== null && this.cmeta.length > 0) return this.cmeta[0]!;
    return this.head === null ? Infinity : this.headMinT;
  }

  numClosed(): number {
    return this.cmeta === null ? 0 : this.cmeta.length / 3;
  }

  /**
   * Appends a sample that is newer than lastT() (the caller checks). Returns 1 when a new chunk
   * was started, else 0.
   */
  append(t: number, v: number, chunkRange: number): number {
    let c = this.head;
    let created = 0;
    if (c === null) {
      c = this.cut(t, chunkRange);
      created = 1;
    } else {
      const n = c.numSamples();
      if (n === SAMPLES_PER_CHUNK / 4) this.nextAt = computeChunkEndTime(this.headMinT, this.app!.t, this.nextAt);
      if (t >= this.nextAt || n >= SAMPLES_PER_CHUNK * 2) {
        c = this.cut(t, chunkRange);
        created = 1;
      }
    }
    this.app!.append(t, v);
    return created;
  }

  private cut(t: number, chunkRange: number): XORChunk {
    const old = this.head;
    if (old !== null && old.numSamples() > 0) {
      const b = old.bytes();
      const prev = this.cdata;
      const next = slabAlloc(prev.length + b.length);
      next.set(prev, 0);
      next.set(b, prev.length);
      this.cdata = next;
      (this.cmeta ??= []).push(this.headMinT, this.app!.t, next.length);
    }
    // Size the new chunk like the previous one (+1/8): most chunks then never grow. Prometheus
    // starts every chunk at 128 bytes.
    const prevLen = old !== null ? old.bytes().length : 0;
    const c = new XORChunk(undefined, slabAlloc, prevLen > 0 ? prevLen + (prevLen >> 3) + 8 : 128);
    this.head = c;
    this.app = c.appender();
    this.headMinT = t;
    this.nextAt = rangeForTimestamp(t, chunkRange);
    return c;
  }

  /**
   * Drops chunks whose samples are all older than mint. Returns [chunks removed, samples removed];
   * afterwards the series is empty when head === null.
   */
  truncateBefore(mint: number): [number, number] {
    let chunks = 0;
    let samples = 0;
    const cm = this.cmeta;
    if (cm !== null) {
      let k = 0;
      while (k < cm.length && cm[k + 1]! < mint) {
        const start = k === 0 ? 0 : cm[k - 1]!;
        samples += (this.cdata[start]! << 8) | this.cdata[start + 1]!;
        chunks++;
        k += 3;
      }
      if (k > 0) {
        const cutOff = cm[k - 1]!;
        if (k === cm.length) this.cdata = EMPTY;
        else {
          const rest = slabAlloc(this.cdata.length - cutOff);
          rest.set(this.cdata.subarray(cutOff));
          this.cdata = rest;
        }
        const rest: number[] = [];
        for (let i = k; i < cm.length; i += 3) rest.push(cm[i]!, cm[i + 1]!, cm[i + 2]! - cutOff);
        this.cmeta = rest.length ? rest : null;
      }
    }
    if (this.cmeta === null && this.head !== null && this.app!.t < mint) {
      samples += this.head.numSamples();
      chunks++;
      this.head = null;
      this.app = null;
    }
    return [chunks, samples];
  }

  /**
   * Looks up the stored sample at exactly t (only called on the out-of-order error path, to accept
   * exact resends of older samples). Returns the value, or undefined when there is none.
   */
  valueAt(t: number): number | undefined {
    for (const c of this.chunksIn(t, t, false)) {
      const it = new XORChunk(c.data).iterator();
      if (it.seek(t) !== 0 && it.t === t) return it.v;
    }
    return undefined;
  }

  /**
   * Chunks overlapping [mint, maxt] (inclusive) as views plus sample counts (a snapshot: later
   * appends to the head chunk are not seen). With copyHead the head chunk's bytes are copied so
   * the result is a standalone chunk.
   */
  chunksIn(mint: number, maxt: number, copyHead: boolean): ChunkMeta[] {
    const out: ChunkMeta[] = [];
    const cm = this.cmeta;
    if (cm !== null) {
      for (let i = 0; i < cm.length; i += 3) {
        if (cm[i + 1]! < mint) continue;
        if (cm[i]! > maxt) return out;
        const start = i === 0 ? 0 : cm[i - 1]!;
        out.push({ minTime: cm[i]!, maxTime: cm[i + 1]!, encoding: 1, data: this.cdata.subarray(start, cm[i + 2]!) });
      }
    }
    const h = this.head;
    if (h !== null && h.numSamples() > 0 && this.app!.t >= mint && this.headMinT <= maxt) {
      const b = h.bytes();
      out.push({ minTime: this.headMinT, maxTime: this.app!.t, encoding: 1, data: copyHead ? b.slice() : b });
    }
    return out;
  }
}

/**
 * Iterates a list of time-ordered, non-overlapping XOR chunks restricted to [mint, maxt].
 * Chunk views of a live head chunk are read up to their sample count at snapshot time.
 */
export class ChunkListIterator implements SampleIterator {
  t = 0;
  v = 0;
  private i = -1;
  // Created on first use: the query engine reads head series through readRange, which decodes
  // with the bulk decoder and needs no iterator (benchmark-driven: one iterator plus its byte
  // array per selected series showed as allocation/GC in instant queries over 30k+ series).
  private itOrNull: XORIterator | null = null;
  private inChunk = false;
  private done = false;
  private error: Error | null = null;

  constructor(
    private readonly chunks: readonly ChunkMeta[],
    private readonly counts: readonly number[],
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  private get it(): XORIterator {
    return (this.itOrNull ??= new XORIterator(NO_CHUNK));
  }

  private openNext(): boolean {
    this.i++;
    if (this.i >= this.chunks.length) {
      this.done = true;
      return false;
    }
    this.it.reset(this.chunks[this.i]!.data, this.counts[this.i]!);
    this.inChunk = true;
    return true;
  }

  private take(): ValueType {
    const it = this.it;
    if (it.t > this.maxt) {
      this.done = true;
      return ValueType.None;
    }
    this.t = it.t;
    this.v = it.v;
    return ValueType.Float;
  }

  private chunkEnded(): boolean {
    const e = this.it.err();
    if (e) {
      this.error = e;
      this.done = true;
      return true;
    }
    this.inChunk = false;
    return false;
  }

  next(): ValueType {
    if (this.done) return ValueType.None;
    for (;;) {
      if (!this.inChunk && !this.openNext()) return ValueType.None;
      if (this.it.next() === ValueType.None) {
        if (this.chunkEnded()) return ValueType.None;
        continue;
      }
      if (this.it.t < this.mint) continue;
      return this.take();
    }
  }

  seek(t: number): ValueType {
    if (this.done) return ValueType.None;
    if (t < this.mint) t = this.mint;
    if (this.inChunk && this.i >= 0 && this.t >= t && this.it.t === this.t) return ValueType.Float;
    // Skip whole chunks that end before t.
    while (this.inChunk ? this.chunks[this.i]!.maxTime < t : this.i + 1 < this.chunks.length && this.chunks[this.i + 1]!.maxTime < t) {
      if (this.inChunk) this.inChunk = false;
      else this.i++;
    }
    for (;;) {
      if (!this.inChunk && !this.openNext()) return ValueType.None;
      if (this.it.seek(t) === ValueType.None) {
        if (this.chunkEnded()) return ValueType.None;
        continue;
      }
      return this.take();
    }
  }

  err(): Error | null {
    return this.error;
  }

  /** Upper bound of the samples readRange can write: the samples of all chunks of the snapshot. */
  sampleCountUpperBound(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    return n;
  }

  /**
   * Bulk read for a fresh iterator: writes the samples with from ≤ t ≤ to (within this iterator's
   * [mint, maxt]) into ts/vs from `off` (capacity: sampleCountUpperBound()) and returns how many;
   * the iterator is exhausted afterwards and err() reports a decode error. Same samples as seek(from)
   * followed by next() up to `to`, without per-sample calls through the iterator protocol
   * (benchmark-driven: the query engine loads every selected series this way).
   */
  readRange(from: number, to: number, ts: Float64Array, vs: Float64Array, off: number): number {
    if (from < this.mint) from = this.mint;
    if (to > this.maxt) to = this.maxt;
    let o = off;
    const chunks = this.chunks;
    this.done = true;
    this.inChunk = false;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      if (c.maxTime < from) continue;
      if (c.minTime > to) break;
      // Bulk decode (xor-bulk.ts: one loop over locals, ~2x faster than next() per sample; the
      // query engine loads every selected head series through here). Malformed chunks and
      // timestamps beyond 2^53 are redone through the iterator for its exact samples and error.
      const r = decodeXORRange(c.data, 0, c.data.length, this.counts[i]!, from, to, ts, vs, o, false);
      if (r >= 0) {
        o = r;
        continue;
      }
      const it = this.it;
      it.reset(c.data, this.counts[i]!);
      while (it.next() === ValueType.Float) {
        const t = it.t;
        if (t < from) continue;
        if (t > to) return o - off;
        ts[o] = t;
        vs[o] = it.v;
        o++;
      }
      const e = it.err();
      if (e) {
        this.error = e;
        break;
      }
    }
    return o - off;
  }
}
