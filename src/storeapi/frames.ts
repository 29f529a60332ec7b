// Hand-written protobuf codec for the hot StoreAPI message, thanos.SeriesResponse (fields from
// specs.md §8 / Thanos storepb: SeriesResponse{series=1, warning=2, hints=3, batch=4},
// SeriesBatch{series=1}, Series{labels=1, chunks=2}, Label{name=1, value=2},
// AggrChunk{min_time=1, max_time=2, raw=3, count=4, sum=5, min=6, max=7, counter=8},
// Chunk{type=1, data=2, hash=3}).
//
// Encoding (store side): series are collected into a frame and written as one exact-size buffer per
// gRPC message, label strings and chunk bytes copied once; the bytes equal what the ts-proto
// generated SeriesResponse.encode writes for the same message (proto3 defaults omitted, fields in
// number order), which frames.test.ts checks as a property.
// Decoding (querier side): one pass over the message; label strings are decoded, chunks stay views
// into the received buffer, described by numbers in growable typed arrays (no object per chunk).
import { Labels, compareStrings } from '../labels/labels.ts';
import { chunkHash, msToInt64 } from './convert.ts';

// ----------------------------------------------------------------------------- varints

function varintLen32(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Bytes of an int64 varint for a safe-integer number (negatives take 10, as two's complement). */
function varintLenNum(v: number): number {
  if (v < 0) return 10;
  if (v >= Number.MAX_SAFE_INTEGER) return 9; // MaxInt64, as msToInt64 maps it
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function varintLenBig(v: bigint): number {
  const hi = Number(v >> 32n);
  if (hi === 0) return varintLen32(Number(v));
  return Math.ceil((64 - Math.clz32(hi)) / 7);
}

/** UTF-8 length of a string (a JS loop for the common short ASCII case, no native call). */
function utf8Len(s: string): number {
  const n = s.length;
  if (n > 64) return Buffer.byteLength(s, 'utf8');
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  return n;
}

/** Writes a string of `bytes` UTF-8 bytes at p; ASCII (bytes === length) without a native call. */
function wStr(buf: Buffer, p: number, s: string, bytes: number): number {
  if (bytes === s.length && bytes <= 64) {
    for (let i = 0; i < bytes; i++) buf[p + i] = s.charCodeAt(i);
    return p + bytes;
  }
  return p + buf.write(s, p, bytes, 'utf8');
}

// ----------------------------------------------------------------------------- encoder

/** AggrChunk field numbers of the sub-chunk slots (raw, count, sum, min, max, counter). */
const SUB_FIELD = [3, 4, 5, 6, 7, 8];

/** A chunk of the StoreAPI: a raw chunk or the sub-chunks of an aggregate chunk (slot 0 = raw, 1..5 = count, sum, min, max, counter). */
export interface FrameChunkSub {
  type: number;
  data: Uint8Array;
}

/**
 * Builds SeriesResponse messages. Usage per series: beginSeries(labels), addRaw()/addAggr() for its
 * chunks, endSeries(); take() returns the encoded frame of everything since the last take().
 * With `batch` the frame is SeriesResponse{batch: SeriesBatch{series…}}, else (one series per
 * frame) SeriesResponse{series}.
 */
export class SeriesFrameEncoder {
  // Pending series: label flat arrays and the range of their chunks.
  private seriesLabels: (readonly string[])[] = [];
  private seriesChunkEnd: number[] = [];
  // Pending chunks, struct of arrays: times, sub-chunk slot data and types, hashes.
  private chunkMin: number[] = [];
  private chunkMax: number[] = [];
  private chunkSubs: (FrameChunkSub | null)[][] = [];
  private labelsBytes = 0;
  private pendingBytes = 0;
  private open = false;
  private curLabels: readonly string[] = [];
  private curStart = 0;

  constructor(readonly batch: boolean) {}

  /** Series (or series parts) pending in the frame. */
  get seriesCount(): number {
    return this.seriesLabels.length;
  }

  /** Approximate encoded bytes pending (exact size is computed by take()). */
  get bytes(): number {
    return this.pendingBytes;
  }

  beginSeries(flatLabels: readonly string[]): void {
    this.open = true;
    this.curLabels = flatLabels;
    this.curStart = this.chunkMin.length;
    let n = 0;
    for (let i = 0; i < flatLabels.length; i++) n += flatLabels[i]!.length + 4;
    this.labelsBytes = n;
    this.pendingBytes += n + 8;
  }

  /** Bytes of the current series' labels (approximate), for frame size decisions. */
  get currentLabelBytes(): number {
    return this.labelsBytes;
  }

  /** Chunks added to the open series so far. */
  get currentChunks(): number {
    return this.chunkMin.length - this.curStart;
  }

  addRaw(minTime: number, maxTime: number, type: number, data: Uint8Array): void {
    this.chunkMin.push(minTime);
    this.chunkMax.push(maxTime);
    this.chunkSubs.push([{ type, data }]);
    this.pendingBytes += data.length + 40;
  }

  /** An aggregate chunk: subs[0] must be null (no raw); subs[1..5] = count, sum, min, max, counter. */
  addAggr(minTime: number, maxTime: number, subs: (FrameChunkSub | null)[]): void {
    this.chunkMin.push(minTime);
    this.chunkMax.push(maxTime);
    this.chunkSubs.push(subs);
    for (const s of subs) if (s) this.pendingBytes += s.data.length + 16;
    this.pendingBytes += 24;
  }

  /** Ends the open series. */
  endSeries(): void {
    if (!this.open) return;
    this.seriesLabels.push(this.curLabels);
    this.seriesChunkEnd.push(this.chunkMin.length);
    this.open = false;
  }

  /** Discards the open series (it had no chunks to send). */
  dropSeries(): void {
    if (!this.open) return;
    this.open = false;
    this.chunkMin.length = this.curStart;
    this.chunkMax.length = this.curStart;
    this.chunkSubs.length = this.curStart;
    this.pendingBytes -= this.labelsBytes + 8;
  }

  /** Splits the open series: what was added so far becomes one pending series; more chunks continue it. */
  splitSeries(): void {
    if (!this.open) return;
    const labels = this.curLabels;
    this.endSeries();
    this.open = true;
    this.curLabels = labels;
    this.curStart = this.chunkMin.length;
    this.pendingBytes += this.labelsBytes + 8;
  }

  /** Encodes the pending (closed) series into one frame and clears them; null when there are none. */
  take(): Buffer | null {
    const ns = this.seriesLabels.length;
    if (ns === 0) return null;
    const openChunksFrom = this.open ? this.curStart : this.chunkMin.length;
    // Pass 1: sizes.
    const seriesSize = new Array<number>(ns);
    const chunkSize: number[] = new Array<number>(openChunksFrom);
    const subSize: number[] = [];
    const hashes: bigint[] = [];
    const labelStrLen: number[] = [];
    let c = 0;
    let total = 0;
    for (let s = 0; s < ns; s++) {
      const flat = this.seriesLabels[s]!;
      let size = 0;
      for (let i = 0; i < flat.length; i += 2) {
        const nb = utf8Len(flat[i]!);
        const vb = utf8Len(flat[i + 1]!);
        labelStrLen.push(nb, vb);
        const l = (nb > 0 ? 1 + varintLen32(nb) + nb : 0) + (vb > 0 ? 1 + varintLen32(vb) + vb : 0);
        size += 1 + varintLen32(l) + l;
      }
      const end = this.seriesChunkEnd[s]!;
      for (; c < end; c++) {
        const mn = this.chunkMin[c]!;
        const mx = this.chunkMax[c]!;
        let cs = (mn !== 0 ? 1 + varintLenNum(mn) : 0) + (mx !== 0 ? 1 + varintLenNum(mx) : 0);
        const subs = this.chunkSubs[c]!;
        for (let k = 0; k < subs.length; k++) {
          const sub = subs[k];
          if (!sub) continue;
          const h = chunkHash(sub.data);
          hashes.push(h);
          const dl = sub.data.length;
          const ss = (sub.type !== 0 ? 1 + varintLen32(sub.type) : 0) + (dl > 0 ? 1 + varintLen32(dl) + dl : 0) + (h !== 0n ? 1 + varintLenBig(h) : 0);
          subSize.push(ss);
          cs += 1 + varintLen32(ss) + ss;
        }
        chunkSize[c] = cs;
        size += 1 + varintLen32(cs) + cs;
      }
      seriesSize[s] = size;
      total += this.batch ? 1 + varintLen32(size) + size : size;
    }
    const bodyLen = total;
    const frameLen = this.batch ? 1 + varintLen32(bodyLen) + bodyLen : 1 + varintLen32(bodyLen) + bodyLen;
    if (!this.batch && ns !== 1) throw new Error('SeriesFrameEncoder: one series per frame without batching');
    // Pass 2: write.
    const buf = Buffer.allocUnsafe(frameLen);
    let p = 0;
    buf[p++] = this.batch ? 0x22 : 0x0a;
    p = wU32(buf, p, bodyLen);
    c = 0;
    let li = 0;
    let si = 0;
    let hi = 0;
    for (let s = 0; s < ns; s++) {
      if (this.batch) {
        buf[p++] = 0x0a;
        p = wU32(buf, p, seriesSize[s]!);
      }
      const flat = this.seriesLabels[s]!;
      for (let i = 0; i < flat.length; i += 2) {
        const nb = labelStrLen[li++]!;
        const vb = labelStrLen[li++]!;
        const l = (nb > 0 ? 1 + varintLen32(nb) + nb : 0) + (vb > 0 ? 1 + varintLen32(vb) + vb : 0);
        buf[p++] = 0x0a;
        p = wU32(buf, p, l);
        if (nb > 0) {
          buf[p++] = 0x0a;
          p = wU32(buf, p, nb);
          p = wStr(buf, p, flat[i]!, nb);
        }
        if (vb > 0) {
          buf[p++] = 0x12;
          p = wU32(buf, p, vb);
          p = wStr(buf, p, flat[i + 1]!, vb);
        }
      }
      const end = this.seriesChunkEnd[s]!;
      for (; c < end; c++) {
        buf[p++] = 0x12;
        p = wU32(buf, p, chunkSize[c]!);
        const mn = this.chunkMin[c]!;
        const mx = this.chunkMax[c]!;
        if (mn !== 0) {
          buf[p++] = 0x08;
          p = wNum(buf, p, mn);
        }
        if (mx !== 0) {
          buf[p++] = 0x10;
          p = wNum(buf, p, mx);
        }
        const subs = this.chunkSubs[c]!;
        for (let k = 0; k < subs.length; k++) {
          const sub = subs[k];
          if (!sub) continue;
          buf[p++] = (SUB_FIELD[k]! << 3) | 2;
          p = wU32(buf, p, subSize[si++]!);
          if (sub.type !== 0) {
            buf[p++] = 0x08;
            p = wU32(buf, p, sub.type);
          }
          const dl = sub.data.length;
          if (dl > 0) {
            buf[p++] = 0x12;
            p = wU32(buf, p, dl);
            buf.set(sub.data, p);
            p += dl;
          }
          const h = hashes[hi++]!;
          if (h !== 0n) {
            buf[p++] = 0x18;
            p = wBig(buf, p, h);
          }
        }
      }
    }
    if (p !== frameLen) throw new Error(`SeriesFrameEncoder: wrote ${p} of ${frameLen} bytes`);
    // Keep the open series' chunks.
    this.seriesLabels = [];
    this.seriesChunkEnd = [];
    if (openChunksFrom > 0) {
      this.chunkMin = this.chunkMin.slice(openChunksFrom);
      this.chunkMax = this.chunkMax.slice(openChunksFrom);
      this.chunkSubs = this.chunkSubs.slice(openChunksFrom);
      this.curStart -= openChunksFrom;
    }
    this.pendingBytes = this.open ? this.labelsBytes + 8 + this.chunkMin.length * 40 : 0;
    return buf;
  }
}

function wU32(buf: Buffer, p: number, v: number): number {
  while (v >= 0x80) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p++] = v;
  return p;
}

/** An int64 field value; times at/beyond ±(2^53−1) are sent as MaxInt64/MinInt64 (msToInt64). */
function wNum(buf: Buffer, p: number, v: number): number {
  if (v < 0 || v >= Number.MAX_SAFE_INTEGER) return wBig(buf, p, BigInt.asUintN(64, msToInt64(v)));
  while (v >= 0x80) {
    buf[p++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[p++] = v;
  return p;
}

function wBig(buf: Buffer, p: number, v: bigint): number {
  // 28 bits at a time in numbers.
  while (v >= 0x10000000n) {
    let x = Number(v & 0xfffffffn);
    for (let k = 0; k < 4; k++) {
      buf[p++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    v >>= 28n;
  }
  return wU32(buf, p, Number(v));
}

/** SeriesResponse{warning}. */
export function encodeWarningFrame(w: string): Buffer {
  const n = Buffer.byteLength(w, 'utf8');
  const buf = Buffer.allocUnsafe(1 + varintLen32(n) + n);
  let p = 0;
  buf[p++] = 0x12;
  let v = n;
  while (v >= 0x80) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p++] = v;
  buf.write(w, p, n, 'utf8');
  return buf;
}

// ----------------------------------------------------------------------------- decoder

export class FrameDecodeError extends Error {
  override name = 'FrameDecodeError';
}

/** Where a decoded chunk's sub-chunk lies: slot (0 raw, 1..5 count, sum, min, max, counter), encoding, bytes. */
export interface DecodedSub {
  slot: number;
  type: number;
  data: Uint8Array;
}

/**
 * Chunks of decoded series, struct of arrays: for chunk i, min/max time, and its sub-chunks
 * subStart[i]..subStart[i+1] in the sub arrays (type, offset and length in `buf`, slot).
 */
export class ChunkTable {
  minT = new Float64Array(256);
  maxT = new Float64Array(256);
  subEnd = new Int32Array(256);
  n = 0;
  subType = new Uint8Array(256);
  subSlot = new Uint8Array(256);
  subOff = new Int32Array(256);
  subLen = new Int32Array(256);
  ns = 0;
  constructor(readonly buf: Uint8Array) {}

  /** @internal */
  addChunk(mn: number, mx: number): void {
    if (this.n === this.minT.length) {
      this.minT = grow(this.minT);
      this.maxT = grow(this.maxT);
      this.subEnd = grow(this.subEnd);
    }
    this.minT[this.n] = mn;
    this.maxT[this.n] = mx;
    this.subEnd[this.n] = this.ns;
    this.n++;
  }

  /** @internal */
  addSub(slot: number, type: number, off: number, len: number): void {
    if (this.ns === this.subType.length) {
      this.subType = grow(this.subType);
      this.subSlot = grow(this.subSlot);
      this.subOff = grow(this.subOff);
      this.subLen = grow(this.subLen);
    }
    this.subType[this.ns] = type;
    this.subSlot[this.ns] = slot;
    this.subOff[this.ns] = off;
    this.subLen[this.ns] = len;
    this.ns++;
    this.subEnd[this.n - 1] = this.ns;
  }

  subStart(i: number): number {
    return i === 0 ? 0 : this.subEnd[i - 1]!;
  }
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

/** One decoded series (part): labels as sorted flat strings, its chunks [chunkFrom, chunkTo) of `table`. */
export interface DecodedSeries {
  flat: readonly string[];
  /** The label set (shared by all series parts with the same encoded labels, see the label-set cache). */
  labels: Labels;
  /** Byte range of the encoded labels in the buffer (to compare consecutive parts cheaply). */
  labelsFrom: number;
  labelsTo: number;
  table: ChunkTable;
  chunkFrom: number;
  chunkTo: number;
}

/** What one SeriesResponse frame holds. */
export interface DecodedFrame {
  series: DecodedSeries[];
  warning: string | null;
}

const td = new TextDecoder('utf-8', { fatal: false });

/**
 * Interned label strings: label names and most values repeat from series to series, so equal
 * strings are shared instead of decoded again (less work and garbage per series). Keyed by an
 * FNV-1a hash of the bytes and verified; bounded by clearing.
 */
const interned = new Map<number, string>();
const MAX_INTERNED = 200_000;
const MAX_INTERN_LEN = 64;

function decodeStr(b: Uint8Array, from: number, to: number): string {
  const n = to - from;
  if (n === 0) return '';
  if (n > MAX_INTERN_LEN) return td.decode(b.subarray(from, to));
  let h = 0x811c9dc5;
  let ascii = 0;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    ascii |= c;
    h = Math.imul(h ^ c, 0x01000193);
  }
  if (ascii >= 0x80) return td.decode(b.subarray(from, to));
  h = (h ^ n) >>> 0;
  const hit = interned.get(h);
  if (hit !== undefined && hit.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (hit.charCodeAt(i) !== b[from + i]) {
        same = false;
        break;
      }
    }
    if (same) return hit;
  }
  const s = td.decode(b.subarray(from, to));
  if (interned.size >= MAX_INTERNED) interned.clear();
  interned.set(h, s);
  return s;
}

/**
 * Label sets by their encoded bytes: the querier sees the same series again and again (dashboards),
 * so a label set received before is taken from here instead of decoding, validating and building it
 * again. Keyed by a hash of the bytes and verified against a copy; bounded by clearing.
 */
const labelCache = new Map<number, { bytes: Uint8Array; labels: Labels }>();
const MAX_CACHED_LABEL_SETS = 200_000;
const MAX_CACHED_LABEL_BYTES = 1024;

function hashBytes(b: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h ^ (to - from)) >>> 0;
}

function cachedLabels(b: Uint8Array, from: number, to: number): Labels | null {
  if (to - from > MAX_CACHED_LABEL_BYTES) return null;
  const e = labelCache.get(hashBytes(b, from, to));
  if (e === undefined || e.bytes.length !== to - from) return null;
  const x = e.bytes;
  for (let i = 0; i < x.length; i++) if (x[i] !== b[from + i]) return null;
  return e.labels;
}

function cacheLabels(b: Uint8Array, from: number, to: number, labels: Labels): void {
  if (to - from > MAX_CACHED_LABEL_BYTES) return;
  if (labelCache.size >= MAX_CACHED_LABEL_SETS) labelCache.clear();
  labelCache.set(hashBytes(b, from, to), { bytes: b.slice(from, to), labels });
}

/** Decodes one SeriesResponse. Chunks are views into `buf`. Unknown fields are skipped (proto3). */
export function decodeSeriesResponse(buf: Uint8Array): DecodedFrame {
  return new FrameDecoder(buf).frame();
}

/** One pass over a SeriesResponse (methods, not closures: see decodeXORInto). */
class FrameDecoder {
  private p = 0;
  private readonly end: number;
  private table: ChunkTable | null = null;
  private readonly out: DecodedFrame = { series: [], warning: null };

  constructor(private readonly buf: Uint8Array) {
    this.end = buf.length;
  }

  private tbl(): ChunkTable {
    return (this.table ??= new ChunkTable(this.buf));
  }

  private u32(): number {
    const buf = this.buf;
    let p = this.p;
    if (p < this.end) {
      const b = buf[p]!;
      if (b < 0x80) {
        this.p = p + 1;
        return b;
      }
    }
    let r = 0;
    let mul = 1;
    for (let k = 0; ; k++) {
      if (p >= this.end) throw new FrameDecodeError('truncated varint');
      if (k >= 10) throw new FrameDecodeError('varint too long');
      const b = buf[p++]!;
      r += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) break;
    }
    this.p = p;
    return r;
  }

  /** int64 varint as a number (beyond ±2^53: clamped as msFromInt64 does). */
  private i64(): number {
    const buf = this.buf;
    const start = this.p;
    let p = start;
    let lo = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (p >= this.end) throw new FrameDecodeError('truncated varint');
      const b = buf[p++]!;
      lo += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) {
        this.p = p;
        return lo;
      }
    }
    // Long varint: exact in BigInt.
    p = start;
    let v = 0n;
    let sh = 0n;
    for (let k = 0; ; k++) {
      if (p >= this.end || k >= 10) throw new FrameDecodeError('truncated varint');
      const c = buf[p++]!;
      v |= BigInt(c & 0x7f) << sh;
      sh += 7n;
      if (c < 0x80) break;
    }
    this.p = p;
    const x = BigInt.asIntN(64, v);
    if (x > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
    if (x < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
    return Number(x);
  }

  private skip(wire: number): void {
    if (wire === 0) this.u32();
    else if (wire === 1) this.p += 8;
    else if (wire === 2) {
      const n = this.u32();
      this.p += n;
    } else if (wire === 5) this.p += 4;
    else throw new FrameDecodeError(`unsupported wire type ${wire}`);
    if (this.p > this.end) throw new FrameDecodeError('truncated field');
  }

  private chunk(t: ChunkTable, slot: number, to: number): void {
    let type = 0;
    let off = 0;
    let len = 0;
    while (this.p < to) {
      const tag = this.u32();
      if (tag === 0x08) type = this.u32();
      else if (tag === 0x12) {
        len = this.u32();
        off = this.p;
        this.p += len;
      } else this.skip(tag & 7);
    }
    if (this.p !== to) throw new FrameDecodeError('chunk overruns its message');
    t.addSub(slot, type, off, len);
  }

  private aggrChunk(to: number): void {
    const t = this.tbl();
    let mn = 0;
    let mx = 0;
    // Times come first in a canonical encoding; the chunk is recorded once they are known.
    let added = false;
    while (this.p < to) {
      const tag = this.u32();
      const f = tag >>> 3;
      const w = tag & 7;
      if ((f === 1 || f === 2) && w === 0) {
        const v = this.i64();
        if (!added) {
          if (f === 1) mn = v;
          else mx = v;
        } else if (f === 1) t.minT[t.n - 1] = v;
        else t.maxT[t.n - 1] = v;
      } else if (f >= 3 && f <= 8 && w === 2) {
        if (!added) {
          t.addChunk(mn, mx);
          added = true;
        }
        const n = this.u32();
        this.chunk(t, f - 3, this.p + n);
      } else this.skip(w);
    }
    if (!added) t.addChunk(mn, mx);
    if (this.p !== to) throw new FrameDecodeError('aggregate chunk overruns its message');
  }

  private series(to: number): void {
    const buf = this.buf;
    const t = this.tbl();
    const chunkFrom = t.n;
    // Canonical encodings put all labels first: find their byte range and look the label set up in
    // the cache before decoding any string.
    const labelsFrom = this.p;
    let q = labelsFrom;
    while (q < to && buf[q] === 0x0a) {
      this.p = q + 1;
      const n = this.u32();
      q = this.p + n;
    }
    if (q > to) throw new FrameDecodeError('label overruns its message');
    this.p = labelsFrom;
    let labels = q > labelsFrom ? cachedLabels(buf, labelsFrom, q) : Labels.EMPTY;
    let flat: readonly string[] = labels === null ? [] : labels.flat;
    let labelsTo = labelsFrom;
    if (labels !== null) {
      this.p = q;
      labelsTo = q;
    }
    const parsed: string[] = [];
    let parsedFrom = -1;
    while (this.p < to) {
      const tagStart = this.p;
      const tag = this.u32();
      if (tag === 0x0a) {
        const n = this.u32();
        const lend = this.p + n;
        if (lend > to) throw new FrameDecodeError('label overruns its message');
        if (parsedFrom < 0) parsedFrom = tagStart;
        let name = '';
        let value = '';
        while (this.p < lend) {
          const lt = this.u32();
          if (lt === 0x0a || lt === 0x12) {
            const sl = this.u32();
            const p = this.p;
            if (p + sl > lend) throw new FrameDecodeError('label overruns its message');
            const str = decodeStr(buf, p, p + sl);
            this.p = p + sl;
            if (lt === 0x0a) name = str;
            else value = str;
          } else this.skip(lt & 7);
        }
        if (this.p !== lend) throw new FrameDecodeError('label overruns its message');
        labelsTo = lend;
        parsed.push(name, value);
      } else if (tag === 0x12) {
        const n = this.u32();
        this.aggrChunk(this.p + n);
      } else this.skip(tag & 7);
    }
    if (this.p !== to) throw new FrameDecodeError('series overruns its message');
    if (labels === null || parsed.length > 0) {
      // Not cached, or labels after chunks (non-canonical): the decoded strings decide.
      const all = labels === null ? parsed : [...flat, ...parsed];
      labels = labelsFromFlat(all);
      flat = all;
      if (parsedFrom === labelsFrom && labelsTo === q) cacheLabels(buf, labelsFrom, q, labels);
    }
    this.out.series.push({ flat, labels, labelsFrom, labelsTo: Math.max(labelsTo, labelsFrom), table: t, chunkFrom, chunkTo: t.n });
  }

  frame(): DecodedFrame {
    const end = this.end;
    while (this.p < end) {
      const tag = this.u32();
      if (tag === 0x0a) {
        const n = this.u32();
        if (this.p + n > end) throw new FrameDecodeError('series overruns the message');
        this.series(this.p + n);
      } else if (tag === 0x12) {
        const n = this.u32();
        if (this.p + n > end) throw new FrameDecodeError('warning overruns the message');
        this.out.warning = td.decode(this.buf.subarray(this.p, this.p + n));
        this.p += n;
      } else if (tag === 0x22) {
        const n = this.u32();
        const bend = this.p + n;
        if (bend > end) throw new FrameDecodeError('batch overruns the message');
        while (this.p < bend) {
          const st = this.u32();
          if (st === 0x0a) {
            const sn = this.u32();
            if (this.p + sn > bend) throw new FrameDecodeError('series overruns its batch');
            this.series(this.p + sn);
          } else this.skip(st & 7);
        }
      } else this.skip(tag & 7);
    }
    return this.out;
  }
}

/** Labels from decoded flat strings: trusted when sorted and free of empty values, else normalised. */
export function labelsFromFlat(flat: readonly string[]): Labels {
  let ok = true;
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i + 1] === '' || (i > 0 && compareStrings(flat[i - 2]!, flat[i]!) >= 0)) {
      ok = false;
      break;
    }
  }
  if (ok) return Labels.fromSortedFlat(flat);
  const pairs: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  return Labels.fromPairs(pairs);
}

/** True when the encoded label bytes of two decoded series parts are equal. */
export function sameEncodedLabels(a: DecodedSeries, b: DecodedSeries): boolean {
  const la = a.labelsTo - a.labelsFrom;
  if (la !== b.labelsTo - b.labelsFrom) return false;
  const x = a.table.buf;
  const y = b.table.buf;
  let same = true;
  for (let i = 0; i < la; i++) {
    if (x[a.labelsFrom + i] !== y[b.labelsFrom + i]) {
      same = false;
      break;
    }
  }
  if (same) return true;
  // Different bytes may still be equal labels (non-canonical encodings): compare the strings.
  if (a.flat.length !== b.flat.length) return false;
  for (let i = 0; i < a.flat.length; i++) if (a.flat[i] !== b.flat[i]) return false;
  return true;
}

