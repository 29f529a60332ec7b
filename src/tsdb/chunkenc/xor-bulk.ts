// Bulk decoder of Prometheus XOR chunks (format: see xor.ts) straight into Float64Arrays — the one
// bulk decoder of the code base: the head's query path (ChunkListIterator.readRange), the StoreAPI
// client (decodeXORInto) and downsampling (XORIterator.readInto) all read chunks through it. It
// decodes what XORIterator.next() decodes, bit for bit (property-tested against it); the rare
// cases it does not handle exactly (timestamps or deltas beyond 2^53, which XORIterator does in
// BigInt) are reported to the caller, which then uses XORIterator.
//
// Why it is shaped like this (benchmark-driven: decoding is the largest part of loading selected
// series, and the head's per-sample next() loop ran at ~65 ns/sample on counter data):
// - one function over locals, no closures and no iterator object (esbuild's keepNames wraps each
//   closure creation in __name(), and captured mutable state lives in a context object);
// - one 32-bit window read from 5 bytes per field group: the timestamp prefix, a 14/17/20-bit
//   delta-of-delta and the value's control bits usually come from the same window;
// - no per-field bounds checks: while at least 185 bits (the largest sample, 145 bits, plus one
//   5-byte window) are readable from the buffer, samples are decoded straight from it and only
//   checked against the chunk end once per sample; the chunk's last bytes are decoded from a
//   zero-padded copy, so the same loop runs to the end.
import { STALE_NAN_HI, STALE_NAN_LO } from '../stale.ts';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE ? 0 : 1;
const HI = LITTLE ? 1 : 0;
const TWO32 = 4294967296;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Largest sample (4 + 64 timestamp bits, 2 + 11 + 64 value bits) plus one 5-byte window read. */
const DIRECT_MARGIN = 145 + 40;
/** Zero padding behind the copied chunk tail: one sample plus one window read may run past the end. */
const PAD_BYTES = 24;

/** decodeXORRange result: the chunk is malformed (xorBulkError says why). */
export const XOR_BULK_CORRUPT = -1;
/** decodeXORRange result: timestamps leave the safe-integer range; decode with XORIterator. */
export const XOR_BULK_INEXACT = -2;

/** Why the last decodeXORRange call returned XOR_BULK_CORRUPT. */
export let xorBulkError = '';

let scratch = new Uint8Array(256);

/** Samples in the chunk at buf[off, off+len) per its header (0 when too short). */
export function xorChunkSampleCount(buf: Uint8Array, off: number, len: number): number {
  return len >= 2 ? (buf[off]! << 8) | buf[off + 1]! : 0;
}

/**
 * Decodes the XOR chunk at buf[off, off+len) — at most `maxSamples` samples (a snapshot of a chunk
 * still being appended to) — and writes the samples with from ≤ t ≤ to to ts/vs from index `o`
 * (capacity: the chunk's sample count), leaving out staleness markers when `dropStale`. Stops at the
 * first sample after `to`. Returns the index after the last sample written, XOR_BULK_CORRUPT for a
 * malformed chunk (samples before the error are written; xorBulkError says why) or
 * XOR_BULK_INEXACT when a timestamp or delta is not a safe integer (nothing can be relied on: use
 * XORIterator, which does 64-bit arithmetic).
 */
export function decodeXORRange(
  buf: Uint8Array, off: number, len: number, maxSamples: number,
  from: number, to: number, ts: Float64Array, vs: Float64Array, o: number, dropStale: boolean,
): number {
  if (len < 2) return corrupt('XOR chunk too short');
  let total = (buf[off]! << 8) | buf[off + 1]!;
  if (total > maxSamples) total = maxSamples;
  if (total === 0) return o;
  const endBit = len * 8;
  let pos = 16; // bit position relative to off
  // First timestamp: signed varint (zigzag), byte aligned. Its low 28 bits and the rest are
  // summed apart, so timestamps up to ±2^53 (a uvarint up to 2^54) come out exact.
  let u0 = 0;
  let u1 = 0;
  let mul = 1;
  for (let k = 0; ; k++) {
    if (pos + 8 > endBit || k >= 10) return truncated(len, total);
    const b = buf[off + (pos >>> 3)]!;
    pos += 8;
    if (k === 4) mul = 1;
    if (k < 4) u0 += (b & 0x7f) * mul;
    else u1 += (b & 0x7f) * mul;
    mul *= 128;
    if (b < 0x80) break;
  }
  let t = (u0 & 1) === 0 ? u1 * 134217728 + u0 / 2 : -(u1 * 134217728 + (u0 + 1) / 2);
  if (!Number.isSafeInteger(t)) return XOR_BULK_INEXACT;
  let u = 0;
  if (pos + 64 > endBit) return truncated(len, total);
  let vHi = (bitsAt(buf, off, len, pos, 16) * 65536 + bitsAt(buf, off, len, pos + 16, 16)) >>> 0;
  let vLo = (bitsAt(buf, off, len, pos + 32, 16) * 65536 + bitsAt(buf, off, len, pos + 48, 16)) >>> 0;
  pos += 64;
  u32[HI] = vHi;
  u32[LO] = vLo;
  let v = f64[0]!;
  if (t > to) return o;
  if (t >= from && !(dropStale && vLo === STALE_NAN_LO && (vHi & 0x7ff7ffff) === STALE_NAN_HI)) {
    ts[o] = t;
    vs[o] = v;
    o++;
  }
  if (total === 1) return o;
  // Second timestamp: uvarint delta (byte aligned after 64 value bits); int64(uint64) wraps.
  mul = 1;
  for (let k = 0; ; k++) {
    if (pos + 8 > endBit || k >= 10) return truncated(len, total);
    const b = buf[off + (pos >>> 3)]!;
    pos += 8;
    u += (b & 0x7f) * mul;
    mul *= 128;
    if (b < 0x80) break;
  }
  if (u > MAX_SAFE) return XOR_BULK_INEXACT;
  let delta = u;
  t += delta;
  if (t > MAX_SAFE) return XOR_BULK_INEXACT;
  let leading = 0;
  let trailing = 0;
  // Reads go to b at bo + (pos >>> 3): the caller's buffer while DIRECT_MARGIN bits are readable
  // there, then a zero-padded copy of the chunk's remaining bytes.
  let b = buf;
  let bo = off;
  let lim = (buf.length - off) * 8 - DIRECT_MARGIN;
  for (let n = 1; n < total; n++) {
    if (pos > lim) {
      const start = pos >>> 3;
      const rest = len - start;
      if (scratch.length < rest + PAD_BYTES) scratch = new Uint8Array(Math.max(rest + PAD_BYTES, scratch.length * 2));
      scratch.set(buf.subarray(off + start, off + len), 0);
      scratch.fill(0, rest, rest + PAD_BYTES);
      b = scratch;
      bo = -start;
      lim = Infinity;
    }
    // w holds the next bits at pos in its top `valid` bits.
    let w = 0;
    let valid = 0;
    if (n > 1) {
      w = window32(b, bo, pos);
      if (w >= 0) {
        // '0': same delta.
        pos += 1;
        w <<= 1;
        valid = 31;
      } else {
        const ones = Math.clz32(~w);
        if (ones < 4) {
          const pre = ones + 1;
          const sz = ones === 1 ? 14 : ones === 2 ? 17 : 20;
          const bits = (w << pre) >>> (32 - sz);
          // Buckets cover −(2^(sz−1)−1) … 2^(sz−1).
          delta += bits > 1 << (sz - 1) ? bits - (1 << sz) : bits;
          pos += pre + sz;
          w <<= pre + sz;
          valid = 32 - pre - sz;
          if (delta > MAX_SAFE || delta < -MAX_SAFE) return pos > endBit ? truncated(len, total) : XOR_BULK_INEXACT;
        } else {
          pos += 4;
          const hi = window32(b, bo, pos);
          const lo = window32(b, bo, pos + 32) >>> 0;
          pos += 64;
          const dod = hi * TWO32 + lo;
          if (!Number.isSafeInteger(dod)) return pos > endBit ? truncated(len, total) : XOR_BULK_INEXACT;
          delta += dod;
          if (delta > MAX_SAFE || delta < -MAX_SAFE) return pos > endBit ? truncated(len, total) : XOR_BULK_INEXACT;
        }
      }
      // delta is a safe integer (checked where it changes), so t is exact while it stays safe.
      t += delta;
      if (t > MAX_SAFE || t < -MAX_SAFE) return pos > endBit ? truncated(len, total) : XOR_BULK_INEXACT;
    }
    // Value: '0' same, '10' reuse leading/trailing, '11' + leading (5) + significant bits (6).
    if (valid < 13) w = window32(b, bo, pos);
    if (w >= 0) {
      pos += 1;
    } else {
      if ((w & 0x40000000) !== 0) {
        leading = (w >>> 25) & 0x1f;
        let sig = (w >>> 19) & 0x3f;
        if (sig === 0) sig = 64;
        trailing = 64 - leading - sig;
        pos += 13;
        if (trailing < 0) {
          if (pos > endBit) return truncated(len, total);
          return corrupt(`XOR chunk corrupt: leading ${leading} + significant bits ${sig} > 64`);
        }
      } else {
        pos += 2;
      }
      const sig = 64 - leading - trailing;
      let xh: number;
      let xl: number;
      if (sig <= 32) {
        const x = window32(b, bo, pos) >>> (32 - sig);
        pos += sig;
        if (trailing >= 32) {
          xh = (x << (trailing - 32)) >>> 0;
          xl = 0;
        } else if (trailing === 0) {
          xh = 0;
          xl = x;
        } else {
          xl = (x << trailing) >>> 0;
          xh = x >>> (32 - trailing);
        }
      } else {
        const hn = sig - 32;
        const hi = window32(b, bo, pos) >>> (32 - hn);
        const lo = window32(b, bo, pos + hn) >>> 0;
        pos += sig;
        if (trailing === 0) {
          xh = hi;
          xl = lo;
        } else {
          xl = (lo << trailing) >>> 0;
          xh = ((hi << trailing) | (lo >>> (32 - trailing))) >>> 0;
        }
      }
      vHi = (vHi ^ xh) >>> 0;
      vLo = (vLo ^ xl) >>> 0;
      u32[HI] = vHi;
      u32[LO] = vLo;
      v = f64[0]!;
    }
    if (pos > endBit) return truncated(len, total);
    if (t > to) return o;
    if (t >= from && !(dropStale && vLo === STALE_NAN_LO && (vHi & 0x7ff7ffff) === STALE_NAN_HI)) {
      ts[o] = t;
      vs[o] = v;
      o++;
    }
  }
  return o;
}

function corrupt(msg: string): number {
  xorBulkError = msg;
  return XOR_BULK_CORRUPT;
}

function truncated(len: number, total: number): number {
  return corrupt(`XOR chunk truncated: ${len} bytes for ${total} samples`);
}

/**
 * The 32 bits at bit `pos` (relative to byte bo) as an int32, assembled from 5 bytes; the caller
 * guarantees they are readable.
 */
function window32(b: Uint8Array, bo: number, pos: number): number {
  const i = bo + (pos >>> 3);
  const s = pos & 7;
  return ((((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) << s) | (b[i + 4]! >>> (8 - s)));
}

/** n ≤ 16 bits at bit `pos` of the chunk at off (len bytes), reading past its end as 0. */
function bitsAt(buf: Uint8Array, off: number, len: number, pos: number, n: number): number {
  const i = pos >>> 3;
  const w = ((i < len ? buf[off + i]! : 0) << 16) | ((i + 1 < len ? buf[off + i + 1]! : 0) << 8) | (i + 2 < len ? buf[off + i + 2]! : 0);
  return (w >>> (24 - (pos & 7) - n)) & ((1 << n) - 1);
}
