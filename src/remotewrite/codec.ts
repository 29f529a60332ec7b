// Prometheus remote write 1.0 (`prometheus.WriteRequest`) protobuf codec, hand-written over Uint8Array.
//
// This is the ingest hot path: every remote-write request is decoded here, so the decoder avoids
// per-sample objects (timestamps and values go into two flat Float64Arrays), copies sample values as raw
// bytes (so the staleness-marker NaN payload 0x7ff0000000000002 survives exactly), interns label strings
// across requests, and only allocates objects for series, exemplars, histograms and metadata.
//
// Field numbers (prometheus prompb/remote.proto, prompb/types.proto; specs.md §1):
//   WriteRequest  timeseries=1 (2 reserved) metadata=3
//   TimeSeries    labels=1 samples=2 exemplars=3 histograms=4
//   Label         name=1 value=2
//   Sample        value=1 (double) timestamp=2 (int64)
//   Exemplar      labels=1 value=2 timestamp=3
//   Histogram     count_int=1|count_float=2 sum=3 schema=4(sint32) zero_threshold=5
//                 zero_count_int=6|zero_count_float=7 negative_spans=8 negative_deltas=9(sint64)
//                 negative_counts=10 positive_spans=11 positive_deltas=12 positive_counts=13
//                 reset_hint=14 timestamp=15 custom_values=16
//   BucketSpan    offset=1(sint32) length=2(uint32)
//   MetricMetadata type=1 metric_family_name=2 help=4 unit=5
//
// 64-bit integers are decoded into JS numbers (exact up to 2^53, which covers millisecond timestamps
// and any realistic count).
import { setFloat64Bits } from '../tsdb/stale.ts';

/** Malformed protobuf input; the message says what is wrong and where (byte offset and field path). */
export class DecodeError extends Error {
  override name = 'DecodeError';
}

// ---------------------------------------------------------------------------------------------
// Decoded form
// ---------------------------------------------------------------------------------------------

export interface BucketSpan {
  offset: number;
  length: number;
}

/** Histogram reset hint (prompb.Histogram.ResetHint). */
export const ResetHint = { UNKNOWN: 0, YES: 1, NO: 2, GAUGE: 3 } as const;

/** A native histogram exactly as on the wire. Exactly one of countInt/countFloat is set (likewise zero count). */
export interface WireHistogram {
  countInt?: number;
  countFloat?: number;
  sum: number;
  schema: number;
  zeroThreshold: number;
  zeroCountInt?: number;
  zeroCountFloat?: number;
  negativeSpans: BucketSpan[];
  negativeDeltas: number[];
  /** Float counts (float histograms). Decoded as Float64Array so NaN payloads (stale markers) survive. */
  negativeCounts: ArrayLike<number>;
  positiveSpans: BucketSpan[];
  positiveDeltas: number[];
  positiveCounts: ArrayLike<number>;
  resetHint: number;
  timestamp: number;
  customValues: ArrayLike<number>;
}

export interface WireExemplar {
  /** Flat [n0, v0, …] in wire order. */
  labels: string[];
  value: number;
  timestamp: number;
}

/** prompb.MetricMetadata.MetricType values. */
export const MetricType = {
  UNKNOWN: 0,
  COUNTER: 1,
  GAUGE: 2,
  HISTOGRAM: 3,
  GAUGEHISTOGRAM: 4,
  SUMMARY: 5,
  INFO: 6,
  STATESET: 7,
} as const;

const METRIC_TYPE_NAMES = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'];

/** Prometheus' lower-case type name for a MetricType enum value ('unknown' for unknown values). */
export function metricTypeName(t: number): string {
  return METRIC_TYPE_NAMES[t] ?? 'unknown';
}

/** MetricType enum value for a lower-case type name (0 = unknown). */
export function metricTypeFromName(name: string): number {
  const i = METRIC_TYPE_NAMES.indexOf(name.toLowerCase().replace(/[ _]/g, ''));
  return i < 0 ? 0 : i;
}

export interface WireMetadata {
  type: number;
  metricFamilyName: string;
  help: string;
  unit: string;
}

export interface DecodedSeries {
  /** Flat [n0, v0, n1, v1, …] exactly in wire order (not validated, not sorted). */
  labels: string[];
  /** Index of this series' first sample in DecodedWriteRequest.ts/vs. */
  sampleOffset: number;
  sampleCount: number;
  /** Empty lists may be shared between series: treat as read-only. */
  exemplars: WireExemplar[];
  histograms: WireHistogram[];
}

export interface DecodedWriteRequest {
  series: DecodedSeries[];
  /** Sample timestamps (ms), all series back to back; length >= sampleCount (read only the first sampleCount). */
  ts: Float64Array;
  /** Sample values, raw bits preserved (staleness markers keep their payload; test with isStaleNaN). */
  vs: Float64Array;
  sampleCount: number;
  metadata: WireMetadata[];
}

// ---------------------------------------------------------------------------------------------
// String decoding with interning
// ---------------------------------------------------------------------------------------------

const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Interns label strings across requests: remote-write traffic repeats the same names and values
 * endlessly, so a hash of the bytes finds the already-built string without allocating. The table is
 * direct-mapped and bounded; a collision just replaces the slot.
 */
const INTERN_BITS = 16;
const INTERN_SIZE = 1 << INTERN_BITS;
const INTERN_MAX_LEN = 128;
const internBytes: (Uint8Array | undefined)[] = new Array(INTERN_SIZE);
const internStrs: string[] = new Array(INTERN_SIZE).fill('');
let interningEnabled = true;

/** Turns label-string interning on or off (for benchmarks); returns the previous setting. */
export function setStringInterning(on: boolean): boolean {
  const prev = interningEnabled;
  interningEnabled = on;
  return prev;
}

function decodeStringRaw(buf: Uint8Array, start: number, end: number, where: string): string {
  const n = end - start;
  if (n === 0) return '';
  if (n <= 32) {
    // Short ASCII fast path: fromCharCode beats TextDecoder for small strings.
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (buf[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      let s = '';
      for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
      return s;
    }
  }
  try {
    return utf8Fatal.decode(buf.subarray(start, end));
  } catch {
    throw new DecodeError(`invalid UTF-8 in ${where} at offset ${start}`);
  }
}

function decodeString(buf: Uint8Array, start: number, end: number, where: string): string {
  const n = end - start;
  if (!interningEnabled || n === 0 || n > INTERN_MAX_LEN) return decodeStringRaw(buf, start, end, where);
  // FNV-1a style hash over the bytes.
  let h = 0x811c9dc5 ^ n;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  const slot = (h ^ (h >>> INTERN_BITS)) & (INTERN_SIZE - 1);
  const cached = internBytes[slot];
  if (cached !== undefined && cached.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (cached[i] !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return internStrs[slot]!;
  }
  const s = decodeStringRaw(buf, start, end, where);
  internBytes[slot] = buf.slice(start, end);
  internStrs[slot] = s;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Low-level reader
// ---------------------------------------------------------------------------------------------

const WT_VARINT = 0;
const WT_I64 = 1;
const WT_LEN = 2;
const WT_SGROUP = 3;
const WT_EGROUP = 4;
const WT_I32 = 5;
const WIRE_TYPE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32', '6', '7'];

const TWO32 = 4294967296;

class Reader {
  buf: Uint8Array;
  dv: DataView;
  pos = 0;
  /** High 32 bits of the last readVarint64Parts() call. */
  hi = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Reads a varint that must fit 32 bits unsigned (tags, lengths); longer encodings are reduced mod 2^32 like Go's proto for uint32. */
  uint32(end: number, where: string): number {
    const buf = this.buf;
    let p = this.pos;
    if (p >= end) throw new DecodeError(`truncated varint in ${where} at offset ${p}`);
    let b = buf[p++]!;
    if (b < 0x80) {
      this.pos = p;
      return b;
    }
    let x = b & 0x7f;
    let shift = 7;
    for (;;) {
      if (p >= end) throw new DecodeError(`truncated varint in ${where} at offset ${this.pos}`);
      b = buf[p++]!;
      if (shift < 32) x += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
      shift += 7;
      if (shift >= 70) throw new DecodeError(`varint longer than 10 bytes in ${where} at offset ${this.pos}`);
    }
    this.pos = p;
    return x % TWO32;
  }

  /** Reads a 64-bit varint: returns the low 32 bits (unsigned) and leaves the high 32 bits in this.hi. */
  varint64Parts(end: number, where: string): number {
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    let lo = 0;
    let hi = 0;
    let b = 0;
    let i = 0;
    // Bytes 0..3 fill lo bits 0..27.
    for (; i < 4; i++) {
      if (p >= end) throw new DecodeError(`truncated varint in ${where} at offset ${start}`);
      b = buf[p++]!;
      lo |= (b & 0x7f) << (i * 7);
      if (b < 0x80) {
        this.pos = p;
        this.hi = 0;
        return lo >>> 0;
      }
    }
    // Byte 4: lo bits 28..31 and hi bits 0..2.
    if (p >= end) throw new DecodeError(`truncated varint in ${where} at offset ${start}`);
    b = buf[p++]!;
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      // Bytes 5..9: hi bits 3.. (the 10th byte may only carry bit 63).
      for (i = 0; i < 5; i++) {
        if (p >= end) throw new DecodeError(`truncated varint in ${where} at offset ${start}`);
        b = buf[p++]!;
        hi |= (b & 0x7f) << (i * 7 + 3);
        if (b < 0x80) break;
      }
      if (b >= 0x80) throw new DecodeError(`varint longer than 10 bytes in ${where} at offset ${start}`);
    }
    this.pos = p;
    this.hi = hi >>> 0;
    return lo >>> 0;
  }

  /** int64 varint (two's complement) as a number. */
  int64(end: number, where: string): number {
    const buf = this.buf;
    const p = this.pos;
    // Fast path: up to 7 bytes, all in bounds (covers millisecond timestamps: 6 bytes).
    if (end - p >= 8) {
      let b = buf[p]!;
      if (b < 0x80) {
        this.pos = p + 1;
        return b;
      }
      let x = b & 0x7f;
      let mul = 128;
      for (let q = p + 1; q < p + 7; q++) {
        b = buf[q]!;
        x += (b & 0x7f) * mul;
        if (b < 0x80) {
          this.pos = q + 1;
          return x;
        }
        mul *= 128;
      }
    }
    const lo = this.varint64Parts(end, where);
    const hi = this.hi;
    if (hi >= 0x80000000) {
      // Negative: -(~x + 1)
      const nlo = ~lo >>> 0;
      const nhi = ~hi >>> 0;
      return -(nhi * TWO32 + nlo + 1);
    }
    return hi * TWO32 + lo;
  }

  /** uint64 varint as a number. */
  uint64(end: number, where: string): number {
    const lo = this.varint64Parts(end, where);
    return this.hi * TWO32 + lo;
  }

  /** sint64 (zig-zag) varint as a number. */
  sint64(end: number, where: string): number {
    const lo = this.varint64Parts(end, where);
    const hi = this.hi;
    // n = (u >>> 1) ^ -(u & 1) over 64 bits: for odd u that is -((u >>> 1) + 1).
    const rlo = ((lo >>> 1) | (hi << 31)) >>> 0;
    const rhi = hi >>> 1;
    const mag = rhi * TWO32 + rlo;
    return lo & 1 ? -mag - 1 : mag;
  }

  /** sint32 (zig-zag) varint. */
  sint32(end: number, where: string): number {
    const u = this.uint32(end, where);
    return (u >>> 1) ^ -(u & 1);
  }

  double(end: number, where: string): number {
    const p = this.pos;
    if (p + 8 > end) throw new DecodeError(`truncated fixed64 in ${where} at offset ${p}`);
    this.pos = p + 8;
    return this.dv.getFloat64(p, true);
  }

  /** Reads a length prefix and returns the end offset of the payload, checked against `end`. */
  lenEnd(end: number, where: string): number {
    const start = this.pos;
    const n = this.uint32(end, where);
    const e = this.pos + n;
    if (e > end) throw new DecodeError(`length ${n} at offset ${start} runs past the end of ${where} (${end - this.pos} bytes left)`);
    return e;
  }

  /** Skips a field of the given wire type (groups included). */
  skip(wt: number, field: number, end: number, where: string): void {
    switch (wt) {
      case WT_VARINT:
        this.varint64Parts(end, where);
        return;
      case WT_I64:
        if (this.pos + 8 > end) throw new DecodeError(`truncated fixed64 field ${field} in ${where} at offset ${this.pos}`);
        this.pos += 8;
        return;
      case WT_LEN:
        this.pos = this.lenEnd(end, where);
        return;
      case WT_I32:
        if (this.pos + 4 > end) throw new DecodeError(`truncated fixed32 field ${field} in ${where} at offset ${this.pos}`);
        this.pos += 4;
        return;
      case WT_SGROUP: {
        for (;;) {
          if (this.pos >= end) throw new DecodeError(`unterminated group field ${field} in ${where}`);
          const tagAt = this.pos;
          const tag = this.uint32(end, where);
          const f = tag >>> 3;
          const w = tag & 7;
          if (f === 0) throw new DecodeError(`invalid field number 0 in ${where} at offset ${tagAt}`);
          if (w === WT_EGROUP) {
            if (f !== field) throw new DecodeError(`mismatched end-group ${f} for group ${field} in ${where} at offset ${tagAt}`);
            return;
          }
          this.skip(w, f, end, where);
        }
      }
      case WT_EGROUP:
        throw new DecodeError(`unexpected end-group field ${field} in ${where} at offset ${this.pos}`);
      default:
        throw new DecodeError(`invalid wire type ${wt} for field ${field} in ${where} at offset ${this.pos}`);
    }
  }
}

/** Prefixes a DecodeError's message with the path of the enclosing element (error path only: the hot path builds no strings). */
function within(e: unknown, path: string): unknown {
  if (e instanceof DecodeError) e.message = `${path}: ${e.message}`;
  return e;
}

function wrongWireType(where: string, field: string, wt: number, want: string, at: number): DecodeError {
  return new DecodeError(`${where}.${field}: wrong wire type ${WIRE_TYPE_NAMES[wt]} (want ${want}) at offset ${at}`);
}

// ---------------------------------------------------------------------------------------------
// Decoder
// ---------------------------------------------------------------------------------------------

/** Per-decode growable sample storage. */
class SampleSink {
  ts: Float64Array;
  vs: Float64Array;
  vb: Uint8Array;
  n = 0;
  constructor(cap: number) {
    this.ts = new Float64Array(cap);
    this.vs = new Float64Array(cap);
    this.vb = new Uint8Array(this.vs.buffer);
  }
  grow(): void {
    const cap = this.ts.length * 2;
    const ts = new Float64Array(cap);
    ts.set(this.ts);
    const vs = new Float64Array(cap);
    // Copy bytes, not numbers, so NaN payloads are not touched.
    const vb = new Uint8Array(vs.buffer);
    vb.set(this.vb);
    this.ts = ts;
    this.vs = vs;
    this.vb = vb;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decodes an uncompressed `prometheus.WriteRequest`. Throws DecodeError on malformed input.
 * Samples end up in the flat `ts`/`vs` arrays; each series refers to its range.
 */
export function decodeWriteRequest(input: Uint8Array): DecodedWriteRequest {
  // Always a plain Uint8Array (not a Buffer subclass) so element accesses stay monomorphic.
  const buf = input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const r = new Reader(buf);
  const end = buf.length;
  // A Sample takes at least ~13 bytes on the wire in practice; start there and grow when needed.
  const sink = new SampleSink(Math.max(16, (end / 16) | 0));
  const series: DecodedSeries[] = [];
  const metadata: WireMetadata[] = [];
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32(end, 'WriteRequest');
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 0) throw new DecodeError(`invalid field number 0 in WriteRequest at offset ${tagAt}`);
    if (field === 1) {
      if (wt !== WT_LEN) throw wrongWireType('WriteRequest', 'timeseries', wt, 'length-delimited', tagAt);
      try {
        const e = r.lenEnd(end, 'WriteRequest');
        series.push(decodeTimeSeries(r, e, sink));
        r.pos = e;
      } catch (err) {
        throw within(err, `WriteRequest.timeseries[${series.length}]`);
      }
    } else if (field === 3) {
      if (wt !== WT_LEN) throw wrongWireType('WriteRequest', 'metadata', wt, 'length-delimited', tagAt);
      try {
        const e = r.lenEnd(end, 'WriteRequest');
        metadata.push(decodeMetadata(r, e, 'MetricMetadata'));
        r.pos = e;
      } catch (err) {
        throw within(err, `WriteRequest.metadata[${metadata.length}]`);
      }
    } else {
      r.skip(wt, field, end, 'WriteRequest');
    }
  }
  return { series, ts: sink.ts, vs: sink.vs, sampleCount: sink.n, metadata };
}

/** Shared empty lists (never pushed to: decodeTimeSeries swaps in a fresh array first). */
const NO_EXEMPLARS: WireExemplar[] = [];
const NO_HISTOGRAMS: WireHistogram[] = [];

function decodeTimeSeries(r: Reader, end: number, sink: SampleSink): DecodedSeries {
  const where = 'TimeSeries';
  const labels: string[] = [];
  // Most series carry neither exemplars nor histograms: share one empty array until the first push.
  const s: DecodedSeries = { labels, sampleOffset: sink.n, sampleCount: 0, exemplars: NO_EXEMPLARS, histograms: NO_HISTOGRAMS };
  const buf = r.buf;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32(end, where);
    const field = tag >>> 3;
    const wt = tag & 7;
    switch (field) {
      case 1: {
        if (wt !== WT_LEN) throw wrongWireType(where, 'labels', wt, 'length-delimited', tagAt);
        try {
          // Fast path for the usual layout `0a <nl> name 12 <vl> value` with short lengths.
          const p = r.pos;
          const len = buf[p]!;
          const e = p + 1 + len;
          if (len < 0x80 && e <= end && buf[p + 1] === 0x0a) {
            const nl = buf[p + 2]!;
            const ne = p + 3 + nl;
            if (nl < 0x80 && ne + 1 < e && buf[ne] === 0x12 && ne + 2 + buf[ne + 1]! === e) {
              labels.push(decodeString(buf, p + 3, ne, 'Label.name'), decodeString(buf, ne + 2, e, 'Label.value'));
              r.pos = e;
              break;
            }
          }
          const e2 = r.lenEnd(end, where);
          decodeLabel(r, e2, labels);
          r.pos = e2;
        } catch (err) {
          throw within(err, `labels[${labels.length >> 1}]`);
        }
        break;
      }
      case 2: {
        if (wt !== WT_LEN) throw wrongWireType(where, 'samples', wt, 'length-delimited', tagAt);
        // Inline length read: samples are the bulk of the request.
        let n = buf[r.pos]!;
        if (n < 0x80 && r.pos < end) r.pos++;
        else n = r.uint32(end, where);
        const e = r.pos + n;
        if (e > end) throw new DecodeError(`length ${n} at offset ${tagAt + 1} runs past the end of ${where} (${end - r.pos} bytes left)`);
        if (sink.n === sink.ts.length) sink.grow();
        try {
          decodeSample(r, e, sink);
        } catch (err) {
          throw within(err, `samples[${sink.n - s.sampleOffset}]`);
        }
        r.pos = e;
        break;
      }
      case 3: {
        if (wt !== WT_LEN) throw wrongWireType(where, 'exemplars', wt, 'length-delimited', tagAt);
        try {
          const e = r.lenEnd(end, where);
          if (s.exemplars === NO_EXEMPLARS) s.exemplars = [];
          s.exemplars.push(decodeExemplar(r, e, 'Exemplar'));
          r.pos = e;
        } catch (err) {
          throw within(err, `exemplars[${s.exemplars.length}]`);
        }
        break;
      }
      case 4: {
        if (wt !== WT_LEN) throw wrongWireType(where, 'histograms', wt, 'length-delimited', tagAt);
        try {
          const e = r.lenEnd(end, where);
          if (s.histograms === NO_HISTOGRAMS) s.histograms = [];
          s.histograms.push(decodeHistogram(r, e, 'Histogram'));
          r.pos = e;
        } catch (err) {
          throw within(err, `histograms[${s.histograms.length}]`);
        }
        break;
      }
      case 0:
        throw new DecodeError(`invalid field number 0 in ${where} at offset ${tagAt}`);
      default:
        r.skip(wt, field, end, where);
    }
  }
  s.sampleCount = sink.n - s.sampleOffset;
  return s;
}

function decodeLabel(r: Reader, end: number, out: string[]): void {
  const where = 'Label';
  let name = '';
  let value = '';
  const buf = r.buf;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32(end, where);
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1 || field === 2) {
      if (wt !== WT_LEN) throw wrongWireType(where, field === 1 ? 'name' : 'value', wt, 'length-delimited', tagAt);
      const e = r.lenEnd(end, where);
      const s = decodeString(buf, r.pos, e, field === 1 ? 'Label.name' : 'Label.value');
      if (field === 1) name = s;
      else value = s;
      r.pos = e;
    } else if (field === 0) {
      throw new DecodeError(`invalid field number 0 in ${where} at offset ${tagAt}`);
    } else {
      r.skip(wt, field, end, where);
    }
  }
  out.push(name, value);
}

function decodeSample(r: Reader, end: number, sink: SampleSink): void {
  const buf = r.buf;
  const i = sink.n;
  const vb = sink.vb;
  const o = i << 3;
  let t = 0;
  let haveV = false;
  while (r.pos < end) {
    const p = r.pos;
    const tag = buf[p]!;
    if (tag === 0x09) {
      // value: fixed64 little-endian; copy bytes verbatim (keeps NaN payloads).
      if (p + 9 > end) throw new DecodeError(`truncated fixed64 in Sample.value at offset ${p}`);
      if (LITTLE_ENDIAN) {
        vb[o] = buf[p + 1]!;
        vb[o + 1] = buf[p + 2]!;
        vb[o + 2] = buf[p + 3]!;
        vb[o + 3] = buf[p + 4]!;
        vb[o + 4] = buf[p + 5]!;
        vb[o + 5] = buf[p + 6]!;
        vb[o + 6] = buf[p + 7]!;
        vb[o + 7] = buf[p + 8]!;
      } else {
        for (let k = 0; k < 8; k++) vb[o + 7 - k] = buf[p + 1 + k]!;
      }
      haveV = true;
      r.pos = p + 9;
    } else if (tag === 0x10) {
      r.pos = p + 1;
      t = r.int64(end, 'Sample.timestamp');
    } else {
      const tg = r.uint32(end, 'Sample');
      const field = tg >>> 3;
      const wt = tg & 7;
      if (field === 1) throw wrongWireType('Sample', 'value', wt, 'fixed64', p);
      if (field === 2) throw wrongWireType('Sample', 'timestamp', wt, 'varint', p);
      if (field === 0) throw new DecodeError(`invalid field number 0 in Sample at offset ${p}`);
      r.skip(wt, field, end, 'Sample');
    }
  }
  if (!haveV) {
    for (let k = 0; k < 8; k++) vb[o + k] = 0;
  }
  sink.ts[i] = t;
  sink.n = i + 1;
}

function decodeExemplar(r: Reader, end: number, where: string): WireExemplar {
  const ex: WireExemplar = { labels: [], value: 0, timestamp: 0 };
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32(end, where);
    const field = tag >>> 3;
    const wt = tag & 7;
    switch (field) {
      case 1: {
        if (wt !== WT_LEN) throw wrongWireType(where, 'labels', wt, 'length-delimited', tagAt);
        try {
          const e = r.lenEnd(end, where);
          decodeLabel(r, e, ex.labels);
          r.pos = e;
        } catch (err) {
          throw within(err, `labels[${ex.labels.length >> 1}]`);
        }
        break;
      }
      case 2:
        if (wt !== WT_I64) throw wrongWireType(where, 'value', wt, 'fixed64', tagAt);
        ex.value = r.double(end, where);
        break;
      case 3:
        if (wt !== WT_VARINT) throw wrongWireType(where, 'timestamp', wt, 'varint', tagAt);
        ex.timestamp = r.int64(end, where);
        break;
      case 0:
        throw new DecodeError(`invalid field number 0 in ${where} at offset ${tagAt}`);
      default:
        r.skip(wt, field, end, where);
    }
  }
  return ex;
}

function decodeSpan(r: Reader, end: number, where: string): BucketSpan {
  const sp: BucketSpan = { offset: 0, length: 0 };
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32(end, where);
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      if (wt !== WT_VARINT) throw wrongWireType(where, 'offset', wt, 'varint', tagAt);
      sp.offset = r.sint32(end, where);
    } else if (field === 2) {
      if (wt !== WT_VARINT) throw wrongWireType(where, 'length', wt, 'varint', tagAt);
      sp.length = r.uint32(end, where);
    } else if (field === 0) {
      throw new DecodeError(`invalid field number 0 in ${where} at offset ${tagAt}`);
    } else {
      r.skip(wt, field, end, where);
    }
  }
  return sp;
}

/** Repeated sint64: packed (wire type 2) or one varint. */
function readSint64s(r: Reader, wt: number, end: number, out: number[], where: string, name: string, tagAt: number): void {
  if (wt === WT_LEN) {
    const w = `${where}.${name}`;
    const e = r.lenEnd(end, w);
    while (r.pos < e) out.push(r.sint64(e, w));
  } else if (wt === WT_VARINT) {
    out.push(r.sint64(end, `${where}.${name}`));
  } else {
    throw wrongWireType(where, name, wt, 'varint or packed', tagAt);
  }
}

const EMPTY_F64 = new Float64Array(0);

/** Copies `n` little-endian doubles from buf[p…] into dst[at…] byte for byte (NaN payloads survive). */
function copyDoubles(buf: Uint8Array, p: number, n: number, dst: Float64Array, at: number): void {
  const db = new Uint8Array(dst.buffer, dst.byteOffset + at * 8, n * 8);
  if (LITTLE_ENDIAN) db.set(buf.subarray(p, p + n * 8));
  else for (let i = 0; i < n; i++) for (let k = 0; k < 8; k++) db[i * 8 + 7 - k] = buf[p + i * 8 + k]!;
}

/** Repeated double: packed (wire type 2) or one fixed64; returns the extended array. */
function readDoubles(r: Reader, wt: number, end: number, cur: Float64Array, where: string, name: string, tagAt: number): Float64Array {
  let n: number;
  let p: number;
  if (wt === WT_LEN) {
    const e = r.lenEnd(end, `${where}.${name}`);
    if ((e - r.pos) % 8 !== 0) throw new DecodeError(`${where}.${name}: packed doubles length ${e - r.pos} is not a multiple of 8 at offset ${tagAt}`);
    p = r.pos;
    n = (e - p) / 8;
    r.pos = e;
  } else if (wt === WT_I64) {
    p = r.pos;
    if (p + 8 > end) throw new DecodeError(`truncated fixed64 in ${where}.${name} at offset ${p}`);
    n = 1;
    r.pos = p + 8;
  } else {
    throw wrongWireType(where, name, wt, 'fixed64 or packed', tagAt);
  }
  if (n === 0) return cur;
  const out = new Float64Array(cur.length + n);
  new Uint8Array(out.buffer).set(new Uint8Array(cur.buffer, cur.byteOffset, cur.byteLength));
  copyDoubles(r.buf, p, n, out, cur.length);
  return out;
}

function decodeHistogram(r: Reader, end: number, where: string): WireHistogram {
  const h: WireHistogram = {
    sum: 0,
    schema: 0,
    zeroThreshold: 0,
    negativeSpans: [],
    negativeDeltas: [],
    negativeCounts: EMPTY_F64,
    positiveSpans: [],
    positiveDeltas: [],
    positiveCounts: EMPTY_F64,
    resetHint: 0,
    timestamp: 0,
    customValues: EMPTY_F64,
  };
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32(end, where);
    const field = tag >>> 3;
    const wt = tag & 7;
    switch (field) {
      case 1:
        if (wt !== WT_VARINT) throw wrongWireType(where, 'count_int', wt, 'varint', tagAt);
        h.countInt = r.uint64(end, where);
        delete h.countFloat;
        break;
      case 2:
        if (wt !== WT_I64) throw wrongWireType(where, 'count_float', wt, 'fixed64', tagAt);
        h.countFloat = r.double(end, where);
        delete h.countInt;
        break;
      case 3:
        if (wt !== WT_I64) throw wrongWireType(where, 'sum', wt, 'fixed64', tagAt);
        h.sum = r.double(end, where);
        break;
      case 4:
        if (wt !== WT_VARINT) throw wrongWireType(where, 'schema', wt, 'varint', tagAt);
        h.schema = r.sint32(end, where);
        break;
      case 5:
        if (wt !== WT_I64) throw wrongWireType(where, 'zero_threshold', wt, 'fixed64', tagAt);
        h.zeroThreshold = r.double(end, where);
        break;
      case 6:
        if (wt !== WT_VARINT) throw wrongWireType(where, 'zero_count_int', wt, 'varint', tagAt);
        h.zeroCountInt = r.uint64(end, where);
        delete h.zeroCountFloat;
        break;
      case 7:
        if (wt !== WT_I64) throw wrongWireType(where, 'zero_count_float', wt, 'fixed64', tagAt);
        h.zeroCountFloat = r.double(end, where);
        delete h.zeroCountInt;
        break;
      case 8:
      case 11: {
        const name = field === 8 ? 'negative_spans' : 'positive_spans';
        if (wt !== WT_LEN) throw wrongWireType(where, name, wt, 'length-delimited', tagAt);
        const list = field === 8 ? h.negativeSpans : h.positiveSpans;
        try {
          const e = r.lenEnd(end, where);
          list.push(decodeSpan(r, e, 'BucketSpan'));
          r.pos = e;
        } catch (err) {
          throw within(err, `${name}[${list.length}]`);
        }
        break;
      }
      case 9:
        readSint64s(r, wt, end, h.negativeDeltas, where, 'negative_deltas', tagAt);
        break;
      case 12:
        readSint64s(r, wt, end, h.positiveDeltas, where, 'positive_deltas', tagAt);
        break;
      case 10:
        h.negativeCounts = readDoubles(r, wt, end, h.negativeCounts as Float64Array, where, 'negative_counts', tagAt);
        break;
      case 13:
        h.positiveCounts = readDoubles(r, wt, end, h.positiveCounts as Float64Array, where, 'positive_counts', tagAt);
        break;
      case 14:
        if (wt !== WT_VARINT) throw wrongWireType(where, 'reset_hint', wt, 'varint', tagAt);
        // Enums are int32 on the wire (negative values use 10 bytes).
        h.resetHint = r.int64(end, where) | 0;
        break;
      case 15:
        if (wt !== WT_VARINT) throw wrongWireType(where, 'timestamp', wt, 'varint', tagAt);
        h.timestamp = r.int64(end, where);
        break;
      case 16:
        h.customValues = readDoubles(r, wt, end, h.customValues as Float64Array, where, 'custom_values', tagAt);
        break;
      case 0:
        throw new DecodeError(`invalid field number 0 in ${where} at offset ${tagAt}`);
      default:
        r.skip(wt, field, end, where);
    }
  }
  return h;
}

function decodeMetadata(r: Reader, end: number, where: string): WireMetadata {
  const md: WireMetadata = { type: 0, metricFamilyName: '', help: '', unit: '' };
  const buf = r.buf;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32(end, where);
    const field = tag >>> 3;
    const wt = tag & 7;
    switch (field) {
      case 1:
        if (wt !== WT_VARINT) throw wrongWireType(where, 'type', wt, 'varint', tagAt);
        md.type = r.int64(end, where) | 0;
        break;
      case 2:
      case 4:
      case 5: {
        const name = field === 2 ? 'metric_family_name' : field === 4 ? 'help' : 'unit';
        if (wt !== WT_LEN) throw wrongWireType(where, name, wt, 'length-delimited', tagAt);
        const e = r.lenEnd(end, where);
        // Help texts are long and unique: no interning for them.
        const s = field === 2 ? decodeString(buf, r.pos, e, `${where}.${name}`) : decodeStringRaw(buf, r.pos, e, `${where}.${name}`);
        if (field === 2) md.metricFamilyName = s;
        else if (field === 4) md.help = s;
        else md.unit = s;
        r.pos = e;
        break;
      }
      case 0:
        throw new DecodeError(`invalid field number 0 in ${where} at offset ${tagAt}`);
      default:
        r.skip(wt, field, end, where);
    }
  }
  return md;
}

// ---------------------------------------------------------------------------------------------
// Encoder
// ---------------------------------------------------------------------------------------------

/** A series to encode: labels as flat [n0, v0, …] (encoded in the given order) and optional parts. */
export interface SeriesInput {
  labels: readonly string[];
  /** Sample timestamps and values (same length). Staleness markers are written with canonical bits. */
  timestamps?: ArrayLike<number>;
  values?: ArrayLike<number>;
  exemplars?: readonly WireExemplar[];
  histograms?: readonly WireHistogram[];
}

export interface WriteRequestInput {
  series: readonly SeriesInput[];
  metadata?: readonly WireMetadata[];
}

const utf8 = new TextEncoder();

/** Growable byte writer with length-prefix back-patching. */
class Writer {
  buf: Uint8Array;
  dv: DataView;
  pos = 0;
  constructor(cap = 1024) {
    this.buf = new Uint8Array(cap);
    this.dv = new DataView(this.buf.buffer);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }
  /** Unsigned varint of a non-negative integer up to 2^53. */
  uvarint(x: number): void {
    this.ensure(10);
    const buf = this.buf;
    while (x >= 0x80) {
      buf[this.pos++] = (x % 128) | 0x80;
      x = Math.floor(x / 128);
    }
    buf[this.pos++] = x;
  }
  /** Varint of a 64-bit two's complement value given as hi/lo 32-bit parts. */
  varint64Parts(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    lo >>>= 0;
    hi >>>= 0;
    while (hi !== 0 || lo >= 0x80) {
      buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[this.pos++] = lo;
  }
  /** int64 varint (negatives take 10 bytes). */
  int64(x: number): void {
    if (x >= 0) {
      this.uvarint(x);
      return;
    }
    const [lo, hi] = splitInt64(x);
    this.varint64Parts(lo, hi);
  }
  sint64(x: number): void {
    // zigzag: (x << 1) ^ (x >> 63)
    if (x >= 0) {
      this.uvarint(x * 2);
    } else {
      this.uvarint(-x * 2 - 1);
    }
  }
  sint32(x: number): void {
    this.uvarint(((x << 1) ^ (x >> 31)) >>> 0);
  }
  tag(field: number, wt: number): void {
    this.uvarint((field << 3) | wt);
  }
  double(v: number): void {
    this.ensure(8);
    setFloat64Bits(this.dv, this.pos, v, true);
    this.pos += 8;
  }
  string(field: number, s: string): void {
    this.tag(field, WT_LEN);
    if (s.length < 128) {
      // ASCII fast path: length known up front.
      let ascii = true;
      for (let i = 0; i < s.length; i++) {
        if (s.charCodeAt(i) >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        this.ensure(1 + s.length);
        this.buf[this.pos++] = s.length;
        for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
        return;
      }
    }
    const b = utf8.encode(s);
    this.uvarint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /** Starts a length-delimited submessage; returns a mark for end(). Reserves 5 bytes for the length. */
  begin(field: number): number {
    this.tag(field, WT_LEN);
    this.ensure(5);
    const mark = this.pos;
    this.pos += 5;
    return mark;
  }
  end(mark: number): void {
    const len = this.pos - mark - 5;
    // Encode length into the minimal size and shift the payload left if fewer than 5 bytes are used.
    let n = 1;
    for (let x = len; x >= 0x80; x = Math.floor(x / 128)) n++;
    if (n < 5) this.buf.copyWithin(mark + n, mark + 5, this.pos);
    let x = len;
    let p = mark;
    while (x >= 0x80) {
      this.buf[p++] = (x % 128) | 0x80;
      x = Math.floor(x / 128);
    }
    this.buf[p] = x;
    this.pos -= 5 - n;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

function splitInt64(x: number): [number, number] {
  // Two's complement of a negative integer in [-2^63, 0).
  const a = -x; // positive
  let lo = a % TWO32;
  let hi = Math.floor(a / TWO32);
  // negate: ~(hi,lo) + 1
  lo = ~lo >>> 0;
  hi = ~hi >>> 0;
  lo = lo + 1;
  if (lo === TWO32) {
    lo = 0;
    hi = (hi + 1) >>> 0;
  }
  return [lo, hi];
}

function isPositiveZero(v: number): boolean {
  return v === 0 && 1 / v > 0;
}

function writeLabels(w: Writer, field: number, flat: readonly string[]): void {
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const m = w.begin(field);
    if (flat[i] !== '') w.string(1, flat[i]!);
    if (flat[i + 1] !== '') w.string(2, flat[i + 1]!);
    w.end(m);
  }
}

function writeHistogram(w: Writer, h: WireHistogram): void {
  const m = w.begin(4);
  if (h.countInt !== undefined) {
    w.tag(1, WT_VARINT);
    w.uvarint(h.countInt);
  } else if (h.countFloat !== undefined) {
    w.tag(2, WT_I64);
    w.double(h.countFloat);
  }
  if (!isPositiveZero(h.sum)) {
    w.tag(3, WT_I64);
    w.double(h.sum);
  }
  if (h.schema !== 0) {
    w.tag(4, WT_VARINT);
    w.sint32(h.schema);
  }
  if (!isPositiveZero(h.zeroThreshold)) {
    w.tag(5, WT_I64);
    w.double(h.zeroThreshold);
  }
  if (h.zeroCountInt !== undefined) {
    w.tag(6, WT_VARINT);
    w.uvarint(h.zeroCountInt);
  } else if (h.zeroCountFloat !== undefined) {
    w.tag(7, WT_I64);
    w.double(h.zeroCountFloat);
  }
  const spans = (field: number, list: readonly BucketSpan[]): void => {
    for (const sp of list) {
      const sm = w.begin(field);
      if (sp.offset !== 0) {
        w.tag(1, WT_VARINT);
        w.sint32(sp.offset);
      }
      if (sp.length !== 0) {
        w.tag(2, WT_VARINT);
        w.uvarint(sp.length);
      }
      w.end(sm);
    }
  };
  const deltas = (field: number, list: readonly number[]): void => {
    if (list.length === 0) return;
    const dm = w.begin(field);
    for (const d of list) w.sint64(d);
    w.end(dm);
  };
  const doubles = (field: number, list: ArrayLike<number>): void => {
    if (list.length === 0) return;
    w.tag(field, WT_LEN);
    w.uvarint(list.length * 8);
    for (let i = 0; i < list.length; i++) w.double(list[i]!);
  };
  spans(8, h.negativeSpans);
  deltas(9, h.negativeDeltas);
  doubles(10, h.negativeCounts);
  spans(11, h.positiveSpans);
  deltas(12, h.positiveDeltas);
  doubles(13, h.positiveCounts);
  if (h.resetHint !== 0) {
    w.tag(14, WT_VARINT);
    w.int64(h.resetHint);
  }
  if (h.timestamp !== 0) {
    w.tag(15, WT_VARINT);
    w.int64(h.timestamp);
  }
  doubles(16, h.customValues);
  w.end(m);
}

/**
 * Encodes a `prometheus.WriteRequest` (uncompressed protobuf), the way Prometheus' gogo-generated
 * marshaller lays it out: fields in number order, zero-valued scalars omitted, repeated scalars packed.
 */
export function encodeWriteRequestProto(req: WriteRequestInput): Uint8Array {
  const w = new Writer(4096);
  for (const s of req.series) {
    const m = w.begin(1);
    writeLabels(w, 1, s.labels);
    const ts = s.timestamps;
    const vs = s.values;
    if (ts && vs) {
      if (ts.length !== vs.length) throw new Error('encodeWriteRequest: timestamps and values differ in length');
      for (let i = 0; i < ts.length; i++) {
        const t = ts[i]!;
        const v = vs[i]!;
        w.ensure(24);
        const sm = w.pos;
        w.buf[w.pos++] = 0x12;
        w.pos++; // length (a sample is < 128 bytes)
        if (!isPositiveZero(v)) {
          w.buf[w.pos++] = 0x09;
          setFloat64Bits(w.dv, w.pos, v, true);
          w.pos += 8;
        }
        if (t !== 0) {
          w.buf[w.pos++] = 0x10;
          w.int64(t);
        }
        w.buf[sm + 1] = w.pos - sm - 2;
      }
    }
    for (const ex of s.exemplars ?? []) {
      const em = w.begin(3);
      writeLabels(w, 1, ex.labels);
      if (!isPositiveZero(ex.value)) {
        w.tag(2, WT_I64);
        w.double(ex.value);
      }
      if (ex.timestamp !== 0) {
        w.tag(3, WT_VARINT);
        w.int64(ex.timestamp);
      }
      w.end(em);
    }
    for (const h of s.histograms ?? []) writeHistogram(w, h);
    w.end(m);
  }
  for (const md of req.metadata ?? []) {
    const m = w.begin(3);
    if (md.type !== 0) {
      w.tag(1, WT_VARINT);
      w.int64(md.type);
    }
    if (md.metricFamilyName !== '') w.string(2, md.metricFamilyName);
    if (md.help !== '') w.string(4, md.help);
    if (md.unit !== '') w.string(5, md.unit);
    w.end(m);
  }
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// Snappy (block format)
// ---------------------------------------------------------------------------------------------

/** The stream identifier chunk that starts every snappy *framed* stream. */
const SNAPPY_FRAMED_MAGIC = [0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59];

/** True when the bytes start like a snappy framed stream (not allowed for remote write). */
export function looksLikeSnappyFramed(b: Uint8Array): boolean {
  if (b.length < SNAPPY_FRAMED_MAGIC.length) return false;
  for (let i = 0; i < SNAPPY_FRAMED_MAGIC.length; i++) if (b[i] !== SNAPPY_FRAMED_MAGIC[i]) return false;
  return true;
}

/**
 * Reads the uncompressed length from a snappy block header (a uvarint of at most 32 bits).
 * Returns -1 when the header is malformed.
 */
export function snappyUncompressedLength(b: Uint8Array): number {
  let x = 0;
  let mul = 1;
  for (let i = 0; i < 5 && i < b.length; i++) {
    const c = b[i]!;
    x += (c & 0x7f) * mul;
    if (c < 0x80) return i === 4 && c > 0x0f ? -1 : x;
    mul *= 128;
  }
  return -1;
}
