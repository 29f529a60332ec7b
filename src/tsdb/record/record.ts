// WAL record payload codecs, byte-compatible with Prometheus `tsdb/record` (record.go).
//
// Layouts (all multi-byte fixed-width integers big-endian; "varint" = Go zig-zag varint,
// "uvarint" = Go LEB128):
//   Series    (1): type byte, then per series: ref BE u64, uvarint #labels, per label
//                  uvarint len + name bytes, uvarint len + value bytes.
//   Samples   (2): type byte; if any samples: first ref BE u64, first t BE i64, then per sample
//                  (the first one included) varint(ref − firstRef), varint(t − firstT), value BE f64 bits.
//   Tombstones(3): type byte, then per interval: ref BE u64, varint mint, varint maxt.
//   Exemplars (4): type byte; if any: first ref BE u64, first t BE i64, then per exemplar
//                  varint(ref − firstRef), varint(t − firstT), value BE f64 bits, labels as in Series.
//   Metadata  (6): type byte, then per entry: uvarint ref, type byte (MetricType), uvarint #fields (2),
//                  then field name/value pairs as uvarint-len strings: "UNIT", unit, "HELP", help.
//                  Unknown fields are skipped when decoding.
//
// 64-bit quantities are JS numbers: refs must be integers below 2^53, timestamps safe integers.
// Decoders throw a RecordDecodeError on malformed input (the WAL layer already guarantees checksums).
import { Labels, compareStrings } from '../../labels/labels.ts';
import { setFloat64Bits } from '../stale.ts';

export const RecordType = { Series: 1, Samples: 2, Tombstones: 3, Exemplars: 4, Metadata: 6 } as const;

/** Prometheus `record.MetricType` codes, indexed by the text type names used in metadata. */
const METRIC_TYPES: readonly string[] = [
  'unknown', // 0 UnknownMT
  'counter', // 1
  'gauge', // 2
  'histogram', // 3 HistogramSample
  'gaugehistogram', // 4
  'summary', // 5
  'info', // 6
  'stateset', // 7
];

export class RecordDecodeError extends Error {
  override name = 'RecordDecodeError';
}

/** The record's type byte (first byte), or 255 (Prometheus `record.Unknown`) for an empty record. */
export function recordType(rec: Uint8Array): number {
  return rec.length < 1 ? 255 : rec[0]!;
}

export interface RefSeries {
  ref: number;
  labels: Labels;
}
export interface RefExemplar {
  ref: number;
  t: number;
  v: number;
  labels: Labels;
}
export interface RefMetadata {
  ref: number;
  type: string;
  unit: string;
  help: string;
}
export interface RefTombstone {
  ref: number;
  mint: number;
  maxt: number;
}

// ---------------------------------------------------------------------------------------------
// Encoding buffer: one module-level scratch buffer, grown on demand and reused; each encode*
// copies the finished bytes out once (the only allocation per record).

const TWO32 = 0x100000000;
const utf8enc = new TextEncoder();
const utf8dec = new TextDecoder('utf-8', { fatal: false });

let sbuf = new Uint8Array(64 * 1024);
let sdv = new DataView(sbuf.buffer);
let slen = 0;

function ensure(extra: number): void {
  if (slen + extra <= sbuf.length) return;
  let n = sbuf.length * 2;
  while (n < slen + extra) n *= 2;
  const nb = new Uint8Array(n);
  nb.set(sbuf.subarray(0, slen));
  sbuf = nb;
  sdv = new DataView(sbuf.buffer);
}

function finish(): Uint8Array {
  const out = sbuf.slice(0, slen);
  slen = 0;
  return out;
}

function checkRef(ref: number): void {
  if (!Number.isSafeInteger(ref) || ref < 0) throw new RangeError(`invalid series ref ${ref}`);
}

function checkTs(t: number): void {
  if (!Number.isSafeInteger(t)) throw new RangeError(`invalid timestamp ${t}`);
}

function putByte(b: number): void {
  ensure(1);
  sbuf[slen++] = b;
}

/** Big-endian unsigned 64-bit from a non-negative safe integer. */
function putBE64u(v: number): void {
  ensure(8);
  sdv.setUint32(slen, Math.floor(v / TWO32));
  sdv.setUint32(slen + 4, v >>> 0);
  slen += 8;
}

/** Big-endian two's-complement signed 64-bit from a safe integer. */
function putBE64i(v: number): void {
  ensure(8);
  if (v >= 0) {
    sdv.setUint32(slen, Math.floor(v / TWO32));
    sdv.setUint32(slen + 4, v >>> 0);
  } else {
    sdv.setBigInt64(slen, BigInt(v));
  }
  slen += 8;
}

/** Go binary.PutUvarint for a non-negative integer ≤ 2^64 (exact up to 2^53). */
function putUvarint(v: number): void {
  ensure(10);
  if (v < 0x80000000) {
    while (v >= 0x80) {
      sbuf[slen++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    sbuf[slen++] = v;
    return;
  }
  while (v >= 0x80) {
    sbuf[slen++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  sbuf[slen++] = v;
}

/**
 * Go binary.PutVarint (zig-zag: 2v for v ≥ 0, −2v−1 for v < 0). The zig-zag value of a large
 * negative number is odd and above 2^53, so it is emitted as its first 7-bit group (sign bit plus the
 * low 6 bits of |v|−1) followed by the uvarint of the remaining high bits — exact for all safe integers.
 */
function putVarint(v: number): void {
  if (v >= -0x3fffffff && v <= 0x3fffffff) {
    putUvarint(((v << 1) ^ (v >> 31)) >>> 0);
    return;
  }
  const neg = v < 0;
  const m = neg ? -v - 1 : v;
  const b0 = (m % 64) * 2 + (neg ? 1 : 0);
  const rest = Math.floor(m / 64);
  ensure(1);
  if (rest === 0) {
    sbuf[slen++] = b0;
    return;
  }
  sbuf[slen++] = b0 | 0x80;
  putUvarint(rest);
}

function putStr(s: string): void {
  // ASCII fast path: byte length equals string length.
  const n = s.length;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    putUvarint(n);
    ensure(n);
    for (let i = 0; i < n; i++) sbuf[slen++] = s.charCodeAt(i);
    return;
  }
  const bytes = utf8enc.encode(s);
  putUvarint(bytes.length);
  ensure(bytes.length);
  sbuf.set(bytes, slen);
  slen += bytes.length;
}

function putLabels(l: Labels): void {
  const f = l.flat;
  putUvarint(f.length >>> 1);
  for (let i = 0; i < f.length; i++) putStr(f[i]!);
}

function putF64(v: number): void {
  ensure(8);
  setFloat64Bits(sdv, slen, v, false);
  slen += 8;
}

// ---------------------------------------------------------------------------------------------
// Decoding cursor over a record.

class Dec {
  readonly b: Uint8Array;
  readonly dv: DataView;
  off: number;
  constructor(b: Uint8Array, off: number) {
    this.b = b;
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.off = off;
  }
  get left(): number {
    return this.b.length - this.off;
  }
  need(n: number): void {
    if (this.off + n > this.b.length) throw new RecordDecodeError('unexpected end of record');
  }
  byte(): number {
    this.need(1);
    return this.b[this.off++]!;
  }
  be64u(): number {
    this.need(8);
    const hi = this.dv.getUint32(this.off);
    const lo = this.dv.getUint32(this.off + 4);
    this.off += 8;
    return hi * TWO32 + lo;
  }
  be64i(): number {
    this.need(8);
    const hi = this.dv.getInt32(this.off);
    const lo = this.dv.getUint32(this.off + 4);
    this.off += 8;
    return hi * TWO32 + lo;
  }
  f64(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.off);
    this.off += 8;
    return v;
  }
  uvarint(): number {
    const b = this.b;
    let off = this.off;
    let x = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (off >= b.length) throw new RecordDecodeError('unexpected end of record in uvarint');
      const c = b[off++]!;
      if (c < 0x80) {
        if (i === 9 && c > 1) throw new RecordDecodeError('uvarint overflows 64 bits');
        this.off = off;
        return x + c * mul;
      }
      x += (c & 0x7f) * mul;
      mul *= 128;
    }
    throw new RecordDecodeError('uvarint overflows 64 bits');
  }
  varint(): number {
    // Zig-zag decoded from the first 7-bit group (sign + low 6 bits) and the remaining groups, so
    // that every safe integer decodes exactly.
    if (this.off >= this.b.length) throw new RecordDecodeError('unexpected end of record in varint');
    const b0 = this.b[this.off++]!;
    let m = (b0 & 0x7f) >>> 1;
    if (b0 & 0x80) m += this.uvarint() * 64;
    return b0 & 1 ? -m - 1 : m;
  }
  str(): string {
    const n = this.uvarint();
    this.need(n);
    const b = this.b;
    const start = this.off;
    this.off += n;
    if (n < 64) {
      let s = '';
      for (let i = start; i < start + n; i++) {
        const c = b[i]!;
        if (c > 0x7f) return utf8dec.decode(b.subarray(start, start + n));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8dec.decode(b.subarray(start, start + n));
  }
  labels(): Labels {
    const n = this.uvarint();
    if (n === 0) return Labels.EMPTY;
    if (n * 2 > this.left) throw new RecordDecodeError('label count exceeds record');
    const flat: string[] = new Array(n * 2);
    for (let i = 0; i < n * 2; i++) flat[i] = this.str();
    // Prometheus writes labels sorted and without empty values; keep that invariant when a
    // foreign writer did not.
    for (let i = 2; i < flat.length; i += 2) {
      if (compareStrings(flat[i - 2]!, flat[i]!) >= 0 || flat[i + 1] === '') return Labels.fromPairs(pairsOf(flat));
    }
    if (flat[1] === '') return Labels.fromPairs(pairsOf(flat));
    return Labels.fromSortedFlat(flat);
  }
}

function pairsOf(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

function start(rec: Uint8Array, want: number, what: string): Dec {
  if (rec.length < 1 || rec[0] !== want) {
    throw new RecordDecodeError(`invalid record type ${rec.length ? rec[0] : 'none'}, expected ${what} (${want})`);
  }
  return new Dec(rec, 1);
}

// ---------------------------------------------------------------------------------------------
// Series

export function encodeSeries(series: readonly RefSeries[]): Uint8Array {
  slen = 0;
  putByte(RecordType.Series);
  for (const s of series) {
    checkRef(s.ref);
    putBE64u(s.ref);
    putLabels(s.labels);
  }
  return finish();
}

export function decodeSeries(rec: Uint8Array): RefSeries[] {
  const d = start(rec, RecordType.Series, 'series');
  const out: RefSeries[] = [];
  while (d.left > 0) {
    const ref = d.be64u();
    out.push({ ref, labels: d.labels() });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Samples

/** Samples of one record in parallel arrays; n = number used. Values may be staleness NaNs (write canonical bits). */
export function encodeSamples(refs: ArrayLike<number>, ts: ArrayLike<number>, vs: ArrayLike<number>, n: number): Uint8Array {
  slen = 0;
  // Worst case per sample: two 10-byte varints and 8 value bytes.
  ensure(17 + n * 28);
  sbuf[slen++] = RecordType.Samples;
  if (n === 0) return finish();
  const r0 = refs[0]!;
  const t0 = ts[0]!;
  checkRef(r0);
  checkTs(t0);
  putBE64u(r0);
  putBE64i(t0);
  const buf = sbuf;
  const dv = sdv;
  let p = slen;
  for (let i = 0; i < n; i++) {
    const r = refs[i]!;
    const dr = r - r0;
    const dt = ts[i]! - t0;
    const v = vs[i]!;
    if ((dr | 0) === dr && dr >= -0x3fffffff && dr <= 0x3fffffff && r >= 0) {
      let z = ((dr << 1) ^ (dr >> 31)) >>> 0;
      while (z >= 0x80) {
        buf[p++] = (z & 0x7f) | 0x80;
        z >>>= 7;
      }
      buf[p++] = z;
    } else {
      checkRef(r);
      slen = p;
      putVarint(dr);
      p = slen;
    }
    if ((dt | 0) === dt && dt >= -0x3fffffff && dt <= 0x3fffffff) {
      let z = ((dt << 1) ^ (dt >> 31)) >>> 0;
      while (z >= 0x80) {
        buf[p++] = (z & 0x7f) | 0x80;
        z >>>= 7;
      }
      buf[p++] = z;
    } else {
      if (!Number.isSafeInteger(dt)) throw new RangeError(`invalid timestamp ${ts[i]}`);
      slen = p;
      putVarint(dt);
      p = slen;
    }
    if (v === v) dv.setFloat64(p, v);
    else setFloat64Bits(dv, p, v, false);
    p += 8;
  }
  slen = p;
  return finish();
}

/** Calls fn for each sample without allocating per sample. */
export function decodeSamples(rec: Uint8Array, fn: (ref: number, t: number, v: number) => void): void {
  const d = start(rec, RecordType.Samples, 'samples');
  if (d.left === 0) return;
  const r0 = d.be64u();
  const t0 = d.be64i();
  const b = rec;
  const dv = d.dv;
  const end = b.length;
  let p = d.off;
  while (p < end) {
    let dr: number;
    let dt: number;
    // Fast paths for one- and two-byte varints (the common case), general decoder otherwise.
    let c = b[p]!;
    if (c < 0x80) {
      dr = c & 1 ? -(c >>> 1) - 1 : c >>> 1;
      p++;
    } else {
      d.off = p;
      dr = d.varint();
      p = d.off;
    }
    c = p < end ? b[p]! : 0x80;
    if (c < 0x80) {
      dt = c & 1 ? -(c >>> 1) - 1 : c >>> 1;
      p++;
    } else {
      d.off = p;
      dt = d.varint();
      p = d.off;
    }
    if (p + 8 > end) throw new RecordDecodeError('unexpected end of record');
    const v = dv.getFloat64(p);
    p += 8;
    fn(r0 + dr, t0 + dt, v);
  }
}

/** Number of samples in a samples record (walks the varints, no allocation). */
export function countSamples(rec: Uint8Array): number {
  let n = 0;
  decodeSamples(rec, () => {
    n++;
  });
  return n;
}

// ---------------------------------------------------------------------------------------------
// Exemplars

export function encodeExemplars(ex: readonly RefExemplar[]): Uint8Array {
  slen = 0;
  putByte(RecordType.Exemplars);
  if (ex.length === 0) return finish();
  const r0 = ex[0]!.ref;
  const t0 = ex[0]!.t;
  checkRef(r0);
  checkTs(t0);
  putBE64u(r0);
  putBE64i(t0);
  for (const e of ex) {
    checkRef(e.ref);
    checkTs(e.t);
    putVarint(e.ref - r0);
    putVarint(e.t - t0);
    putF64(e.v);
    putLabels(e.labels);
  }
  return finish();
}

export function decodeExemplars(rec: Uint8Array): RefExemplar[] {
  const d = start(rec, RecordType.Exemplars, 'exemplars');
  const out: RefExemplar[] = [];
  if (d.left === 0) return out;
  const r0 = d.be64u();
  const t0 = d.be64i();
  while (d.left > 0) {
    const ref = r0 + d.varint();
    const t = t0 + d.varint();
    const v = d.f64();
    out.push({ ref, t, v, labels: d.labels() });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Metadata

/** Prometheus MetricType code for a text type ("counter", …); unrecognised types map to 0 (unknown). */
export function metricTypeCode(type: string): number {
  const i = METRIC_TYPES.indexOf(type);
  return i < 0 ? 0 : i;
}

/** Text type for a Prometheus MetricType code; unrecognised codes give "unknown". */
export function metricTypeName(code: number): string {
  return METRIC_TYPES[code] ?? 'unknown';
}

export function encodeMetadata(m: readonly RefMetadata[]): Uint8Array {
  slen = 0;
  putByte(RecordType.Metadata);
  for (const e of m) {
    checkRef(e.ref);
    putUvarint(e.ref);
    putByte(metricTypeCode(e.type));
    putUvarint(2);
    putStr('UNIT');
    putStr(e.unit);
    putStr('HELP');
    putStr(e.help);
  }
  return finish();
}

export function decodeMetadata(rec: Uint8Array): RefMetadata[] {
  const d = start(rec, RecordType.Metadata, 'metadata');
  const out: RefMetadata[] = [];
  while (d.left > 0) {
    const ref = d.uvarint();
    const typ = d.byte();
    const nf = d.uvarint();
    let unit = '';
    let help = '';
    for (let i = 0; i < nf; i++) {
      const name = d.str();
      const value = d.str();
      if (name === 'UNIT') unit = value;
      else if (name === 'HELP') help = value;
    }
    out.push({ ref, type: metricTypeName(typ), unit, help });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tombstones (one interval per entry, as Prometheus writes them)

export function encodeTombstones(ts: readonly RefTombstone[]): Uint8Array {
  slen = 0;
  putByte(RecordType.Tombstones);
  for (const s of ts) {
    checkRef(s.ref);
    putBE64u(s.ref);
    putVarint(s.mint);
    putVarint(s.maxt);
  }
  return finish();
}

export function decodeTombstones(rec: Uint8Array): RefTombstone[] {
  const d = start(rec, RecordType.Tombstones, 'tombstones');
  const out: RefTombstone[] = [];
  while (d.left > 0) {
    const ref = d.be64u();
    const mint = d.varint();
    const maxt = d.varint();
    out.push({ ref, mint, maxt });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Native histogram records (types 7–10, Prometheus record.go V1 layout). This codebase does not
// interpret histograms, but a checkpoint must carry them forward: entries are walked (to find their
// extent) and copied verbatim.

export const HistogramRecordType = {
  HistogramSamples: 7,
  FloatHistogramSamples: 8,
  CustomBucketsHistogramSamples: 9,
  CustomBucketsFloatHistogramSamples: 10,
} as const;

const CUSTOM_BUCKETS_SCHEMA = -53;

function skipSpans(d: Dec): void {
  const n = d.uvarint();
  for (let i = 0; i < n; i++) {
    d.varint();
    d.uvarint();
  }
}

/** Skips one encoded histogram (DecodeHistogram / DecodeFloatHistogram in record.go). */
function skipHistogram(d: Dec, float: boolean): void {
  d.byte(); // counter reset hint
  const schema = d.varint();
  d.need(8);
  d.off += 8; // zero threshold
  if (float) {
    d.need(24);
    d.off += 24; // zero count, count, sum
  } else {
    d.uvarint(); // zero count
    d.uvarint(); // count
    d.need(8);
    d.off += 8; // sum
  }
  skipSpans(d); // positive spans
  skipSpans(d); // negative spans
  for (let k = 0; k < 2; k++) {
    const n = d.uvarint(); // positive, then negative buckets
    if (float) {
      d.need(8 * n);
      d.off += 8 * n;
    } else {
      for (let i = 0; i < n; i++) d.varint();
    }
  }
  if (schema === CUSTOM_BUCKETS_SCHEMA) {
    const n = d.uvarint();
    d.need(8 * n);
    d.off += 8 * n;
  }
}

/**
 * Keeps the entries of a histogram record (types 7–10) with t >= mint and, if given, whose series
 * passes keep. Returns the record itself when nothing is dropped, null when everything is, otherwise
 * a new record with the same base ref/time header and the kept entries' bytes.
 */
export function filterHistogramRecord(rec: Uint8Array, mint: number, keep?: (ref: number) => boolean): Uint8Array | null {
  const typ = recordType(rec);
  if (typ < 7 || typ > 10) throw new RecordDecodeError(`not a histogram record: type ${typ}`);
  const float = typ === 8 || typ === 10;
  const d = new Dec(rec, 1);
  if (d.left === 0) return null;
  const r0 = d.be64u();
  const t0 = d.be64i();
  const kept: [number, number][] = [];
  let keptBytes = 0;
  let total = 0;
  while (d.left > 0) {
    const s = d.off;
    const ref = r0 + d.varint();
    const t = t0 + d.varint();
    skipHistogram(d, float);
    total++;
    if (t >= mint && (!keep || keep(ref))) {
      kept.push([s, d.off]);
      keptBytes += d.off - s;
    }
  }
  if (kept.length === total) return rec;
  if (kept.length === 0) return null;
  const out = new Uint8Array(17 + keptBytes);
  out.set(rec.subarray(0, 17), 0);
  let p = 17;
  for (const [s, e] of kept) {
    out.set(rec.subarray(s, e), p);
    p += e - s;
  }
  return out;
}
