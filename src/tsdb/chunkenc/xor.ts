// Prometheus XOR chunk (tsdb/chunkenc/xor.go + bstream.go), byte-for-byte compatible.
//
// Layout: 2-byte big-endian sample count, then a bit stream written most significant bit first:
//   sample 0: varint(t) (Go zig-zag LEB128), 64 raw value bits
//   sample 1: uvarint(t1 - t0), value XOR
//   sample n: delta-of-delta of t in buckets '0' | '10'+14b | '110'+17b | '1110'+20b | '1111'+64b
//             (each n-bit bucket covers -(2^(n-1)-1) … +2^(n-1)), then value XOR:
//             '0' (same bits) | '10' + bits in the previous leading/trailing window |
//             '11' + leading (5 bits, clamped to 31) + significant bits (6 bits, 0 = 64) + bits.
// The last byte is zero-padded; only the header count says where the data ends.
//
// Timestamps are JS numbers (exact up to 2^53). All timestamp arithmetic is done with numbers while
// it stays exact, and falls back to BigInt (with Go's int64/uint64 wrap-around) otherwise, so the
// bytes equal Prometheus' for any timestamps representable as safe integers.
// Values are handled as their IEEE-754 bits (two uint32 halves); staleness markers are written with
// the canonical bits 0x7ff0000000000002.
import { ValueType } from '../../storage/interfaces.ts';
import type { SampleIterator } from '../../storage/interfaces.ts';
import { isStaleNaN, STALE_NAN_HI, STALE_NAN_LO } from '../stale.ts';
import { decodeXORRange } from './xor-bulk.ts';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE ? 0 : 1;
const HI = LITTLE ? 1 : 0;

// Scratch outputs of floatBits (avoid allocating a pair per sample).
let bitsHi = 0;
let bitsLo = 0;

/** Splits v into IEEE-754 bit halves (in bitsHi/bitsLo); staleness markers get canonical bits. */
function floatBits(v: number): void {
  if (v !== v && isStaleNaN(v)) {
    bitsHi = STALE_NAN_HI;
    bitsLo = STALE_NAN_LO;
    return;
  }
  f64[0] = v;
  bitsHi = u32[HI]!;
  bitsLo = u32[LO]!;
}

function bitsToFloat(hi: number, lo: number): number {
  u32[HI] = hi;
  u32[LO] = lo;
  return f64[0]!;
}

function ctz32(x: number): number {
  // x != 0
  return 31 - Math.clz32(x & -x);
}

const TWO32 = 4294967296;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;


/** Error raised by a reader that ran out of bits (Go io.EOF). */
export class ChunkDecodeError extends Error {
  override name = 'ChunkDecodeError';
}

const INITIAL_CAP = 32;

/** An XOR-encoded chunk of float samples. */
export class XORChunk {
  /** Backing buffer; bytes [0, len) are the chunk. */
  private buf: Uint8Array;
  private len: number;
  /** Bits still free in the last byte (0 = last byte full; Prometheus bstream.count). */
  private free: number;

  /**
   * Wraps existing chunk bytes (appending to them copies on growth), or starts an empty chunk.
   * `alloc` supplies zeroed buffers (the head passes a slab allocator to avoid one ArrayBuffer per
   * chunk); by default each buffer is a new Uint8Array. `initialCapacity` sizes the first buffer
   * (the head uses the previous chunk's size, so most chunks never grow).
   */
  constructor(data?: Uint8Array, alloc?: (n: number) => Uint8Array, initialCapacity = INITIAL_CAP) {
    this.alloc = alloc ?? null;
    if (data) {
      if (data.length < 2) throw new ChunkDecodeError(`XOR chunk too short: ${data.length} bytes`);
      this.buf = data;
      this.len = data.length;
      this.free = 0;
      this.owned = false;
    } else {
      const cap = Math.max(4, initialCapacity);
      this.buf = alloc ? alloc(cap) : new Uint8Array(cap);
      this.len = 2;
      this.free = 0;
      this.owned = true;
    }
  }

  /** False while `buf` is caller-supplied memory that we must not write into. */
  private owned: boolean;
  private readonly alloc: ((n: number) => Uint8Array) | null;

  /** Encoding byte of this chunk type (chunkenc.EncXOR). */
  encoding(): 1 {
    return 1;
  }

  /** The exact encoded bytes (a view; valid until the next append). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  numSamples(): number {
    return (this.buf[0]! << 8) | this.buf[1]!;
  }

  /** Shrinks the backing buffer to the encoded size (call when the chunk is closed). */
  compact(): void {
    if (this.buf.length > this.len) {
      this.buf = this.buf.slice(0, this.len);
    }
  }

  /**
   * Returns an appender positioned after the last sample. Like Prometheus, the appender state
   * (last t, delta, value, leading/trailing window) is recovered by iterating the existing samples,
   * so appending to a decoded chunk produces the same bytes Prometheus would.
   */
  appender(): XORAppenderImpl {
    if (this.len === 2 && this.owned && this.buf[0] === 0 && this.buf[1] === 0) {
      // Empty chunk (new or reset): nothing to recover, start at the first data byte.
      // Same state as draining an empty chunk gives (t = −Infinity: no newest sample yet).
      this.free = 0;
      const a = new XORAppenderImpl(this);
      a.t = -Infinity;
      return a;
    }
    const it = new XORIterator(this.bytes());
    while (it.next() !== ValueType.None) {
      /* drain */
    }
    const e = it.err();
    if (e) throw e;
    // Continue writing right after the last sample's final bit. (Prometheus' FromData sets the
    // bstream count to 0, i.e. it would resume at a byte boundary; its head never appends to
    // decoded chunks. Resuming at the exact bit keeps the stream readable and equal to the bytes of
    // an uninterrupted append.)
    const endBit = it.bitPos;
    const newLen = Math.max(2, Math.ceil(endBit / 8));
    const free = newLen * 8 - endBit;
    if (newLen !== this.len || (free > 0 && (this.buf[newLen - 1]! & ((1 << free) - 1)) !== 0)) {
      this.ensure(0);
      this.buf.fill(0, newLen, this.len);
      if (free > 0) this.buf[newLen - 1] = this.buf[newLen - 1]! & ~((1 << free) - 1) & 0xff;
      this.len = newLen;
    }
    this.free = free;
    const a = new XORAppenderImpl(this);
    a.t = it.t;
    a.tDelta = it.tDeltaNum;
    a.tDeltaBig = it.tDeltaBig;
    a.vHi = it.vHi;
    a.vLo = it.vLo;
    a.leading = this.numSamples() === 0 ? 0xff : it.leading;
    a.trailing = it.trailing;
    return a;
  }

  iterator(reuse?: SampleIterator): SampleIterator {
    if (reuse instanceof XORIterator) {
      reuse.reset(this.bytes());
      return reuse;
    }
    return new XORIterator(this.bytes());
  }

  /**
   * Empties the chunk for reuse, keeping its buffer when we own it (the downsampler encodes every
   * aggregate of every series into the same five scratch chunks and copies the bytes out once).
   */
  reset(): void {
    if (!this.owned) {
      this.buf = this.alloc ? this.alloc(INITIAL_CAP) : new Uint8Array(INITIAL_CAP);
      this.owned = true;
    }
    this.buf[0] = 0;
    this.buf[1] = 0;
    this.len = 2;
    this.free = 0;
  }

  /**
   * @internal Bulk append for XORAppenderImpl.appendMany: samples [from, to) of ts/vs. The loop
   * keeps the bit position and the appender state in locals and writes with putBits (one capacity
   * check per sample, fields merged into as few writes as fit in 32 bits). Samples it does not
   * handle (the first two of a chunk, delta-of-deltas outside the 20-bit bucket, timestamps beyond
   * safe integers) go through append(), so the bytes are always those of appending one by one.
   */
  appendMany(a: XORAppenderImpl, ts: ArrayLike<number>, vs: ArrayLike<number>, from: number, to: number): void {
    let i = from;
    while (i < to) {
      let num = this.numSamples();
      if (num < 2 || num >= 0xffff || a.tDeltaBig !== null) {
        a.append(ts[i]!, vs[i]!);
        i++;
        continue;
      }
      this.ensure(MAX_SAMPLE_BYTES);
      let buf = this.buf;
      let p = this.len * 8 - this.free;
      let lastT = a.t;
      let lastD = a.tDelta;
      let vh = a.vHi;
      let vl = a.vLo;
      let lead = a.leading;
      let trail = a.trailing;
      for (; i < to && num < 0xffff; i++) {
        const t = ts[i]!;
        const td = t - lastT;
        const dod = td - lastD;
        // Same exactness test as append(); outside the 20-bit bucket append() takes over.
        if (!Number.isSafeInteger(td) || !Number.isSafeInteger(dod) || dod < -524287 || dod > 524288) break;
        if ((p >>> 3) + MAX_SAMPLE_BYTES > buf.length) {
          this.len = (p + 7) >>> 3;
          this.ensure(MAX_SAMPLE_BYTES);
          buf = this.buf;
        }
        // Delta-of-delta bits, written together with the value's first field below.
        let pb: number;
        let pl: number;
        if (dod === 0) {
          pb = 0;
          pl = 1;
        } else if (dod >= -8191 && dod <= 8192) {
          pb = (0b10 << 14) | (dod & 0x3fff);
          pl = 16;
        } else if (dod >= -65535 && dod <= 65536) {
          pb = (0b110 << 17) | (dod & 0x1ffff);
          pl = 20;
        } else {
          pb = (0b1110 << 20) | (dod & 0xfffff);
          pl = 24;
        }
        // floatBits inlined (its results live in module variables).
        const v = vs[i]!;
        let hi: number;
        let lo: number;
        if (v !== v && isStaleNaN(v)) {
          hi = STALE_NAN_HI;
          lo = STALE_NAN_LO;
        } else {
          f64[0] = v;
          hi = u32[HI]!;
          lo = u32[LO]!;
        }
        const xh = (hi ^ vh) >>> 0;
        const xl = (lo ^ vl) >>> 0;
        if (xh === 0 && xl === 0) {
          p = putBits(buf, p, pb << 1, pl + 1);
        } else {
          let ld = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
          const tr = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
          if (ld >= 32) ld = 31;
          if (lead !== 0xff && ld >= lead && tr >= trail) {
            const sig = 64 - lead - trail;
            if (sig + 2 + pl <= 32) {
              const bits = trail >= 32 ? xh >>> (trail - 32) : trail > 0 ? (xl >>> trail) | (xh << (32 - trail)) : xl;
              p = putBits(buf, p, (pb << (sig + 2)) | (0b10 << sig) | (bits & ((1 << sig) - 1)), sig + 2 + pl);
            } else {
              p = putBits(buf, p, (pb << 2) | 0b10, pl + 2);
              p = putBits64(buf, p, xh, xl, trail, sig);
            }
          } else {
            lead = ld;
            trail = tr;
            const sig = 64 - ld - tr;
            const hdr = (0b11 << 11) | (ld << 6) | (sig & 0x3f);
            if (pl + 13 <= 32) {
              p = putBits(buf, p, (pb << 13) | hdr, pl + 13);
            } else {
              p = putBits(buf, p, pb, pl);
              p = putBits(buf, p, hdr, 13);
            }
            p = putBits64(buf, p, xh, xl, tr, sig);
          }
        }
        lastT = t;
        lastD = td;
        vh = hi;
        vl = lo;
        num++;
      }
      this.len = (p + 7) >>> 3;
      this.free = (8 - (p & 7)) & 7;
      this.setCount(num);
      a.t = lastT;
      a.tDelta = lastD;
      a.vHi = vh;
      a.vLo = vl;
      a.leading = lead;
      a.trailing = trail;
      if (i < to) {
        // A sample the loop does not handle (or a full chunk, which append() reports).
        a.append(ts[i]!, vs[i]!);
        i++;
      }
    }
  }

  // ---- bit writer (bstream) ----
  //
  // Hot path of head ingestion and downsampling. `put` fills the partial last byte, stores whole
  // bytes and starts a new partial byte (instead of looping bit-window by bit-window); the caller
  // combines fields that fit into one write (e.g. the '11' control bits + leading + significant
  // bits header is a single 13-bit write). append() checks capacity per field (writeBits) so
  // exactly-sized head chunks grow only when needed; appendMany reserves room once per sample.

  /** @internal Makes room for `extra` more bytes (and takes ownership of caller-supplied memory). */
  ensure(extra: number): void {
    if (!this.owned || this.len + extra > this.buf.length) this.grow(extra);
  }

  private grow(extra: number): void {
    {
      let cap = Math.max(this.buf.length, INITIAL_CAP);
      while (this.len + extra > cap) cap = cap < 256 ? cap * 2 : cap + (cap >> 1);
      const nb = this.alloc ? this.alloc(cap) : new Uint8Array(cap);
      nb.set(this.buf.subarray(0, this.len));
      this.buf = nb;
      this.owned = true;
    }
  }

  /**
   * @internal Writes the low n bits (1 ≤ n ≤ 32) of v, most significant first, without a capacity
   * check: the caller reserved ⌈n/8⌉+1 bytes with ensure(). Bits of v above n are ignored.
   */
  put(v: number, n: number): void {
    const buf = this.buf;
    let len = this.len;
    let free = this.free;
    if (free !== 0) {
      if (n <= free) {
        // Fits in the partial byte (whose unused low bits are zero).
        free -= n;
        buf[len - 1] = buf[len - 1]! | ((v & ((1 << n) - 1)) << free);
        this.free = free;
        return;
      }
      n -= free;
      buf[len - 1] = buf[len - 1]! | ((v >>> n) & ((1 << free) - 1));
    }
    // Whole bytes; the Uint8Array store keeps the low 8 bits.
    while (n >= 8) {
      n -= 8;
      buf[len++] = v >>> n;
    }
    if (n !== 0) {
      buf[len++] = v << (8 - n);
      free = 8 - n;
    } else {
      free = 0;
    }
    this.len = len;
    this.free = free;
  }

  /** @internal Writes the low n bits (n ≤ 32) of v, most significant first. */
  writeBits(v: number, n: number): void {
    if (n === 0) return;
    this.ensure(5);
    this.put(v, n);
  }

  /** @internal Writes the 64-bit value hi:lo shifted right by `shift`, keeping its low n bits (n ≤ 64). */
  writeBits64(hi: number, lo: number, shift: number, n: number): void {
    let h = hi;
    let l = lo;
    if (shift >= 32) {
      l = h >>> (shift - 32);
      h = 0;
    } else if (shift > 0) {
      l = (l >>> shift) | (h << (32 - shift));
      h = h >>> shift;
    }
    if (n > 32) {
      this.writeBits(h, n - 32);
      this.writeBits(l, 32);
    } else {
      this.writeBits(l, n);
    }
  }

  /** @internal */
  writeUvarint(u: number): void {
    // 0 ≤ u ≤ 2^53
    while (u >= 0x80) {
      this.writeBits((u % 128) | 0x80, 8);
      u = Math.floor(u / 128);
    }
    this.writeBits(u, 8);
  }

  /** @internal */
  writeUvarintBig(u: bigint): void {
    while (u >= 0x80n) {
      this.writeBits(Number(u & 0x7fn) | 0x80, 8);
      u >>= 7n;
    }
    this.writeBits(Number(u), 8);
  }

  /** @internal Sets the header sample count; the caller made the buffer ours with ensure(). */
  setCount(n: number): void {
    this.buf[0] = n >>> 8;
    this.buf[1] = n;
  }
}

/**
 * Writes the low n bits (1 ≤ n ≤ 32) of v at bit position p of buf, most significant first, and
 * returns the new position. No capacity check. The byte at p >>> 3, when p is not byte aligned,
 * must have zero bits below p; new bytes are assigned whole, so the buffer need not be zeroed.
 */
function putBits(buf: Uint8Array, p: number, v: number, n: number): number {
  let i = p >>> 3;
  const used = p & 7;
  let rem = n;
  if (used !== 0) {
    const free = 8 - used;
    if (rem <= free) {
      buf[i] = buf[i]! | ((v & ((1 << rem) - 1)) << (free - rem));
      return p + n;
    }
    rem -= free;
    buf[i] = buf[i]! | ((v >>> rem) & ((1 << free) - 1));
    i++;
  }
  // Whole bytes; the Uint8Array store keeps the low 8 bits.
  while (rem >= 8) {
    rem -= 8;
    buf[i++] = v >>> rem;
  }
  if (rem !== 0) buf[i] = v << (8 - rem);
  return p + n;
}

/** putBits for the 64-bit value hi:lo shifted right by `shift`, keeping its low n bits (1 ≤ n ≤ 64). */
function putBits64(buf: Uint8Array, p: number, hi: number, lo: number, shift: number, n: number): number {
  let h = hi;
  let l = lo;
  if (shift >= 32) {
    l = h >>> (shift - 32);
    h = 0;
  } else if (shift > 0) {
    l = (l >>> shift) | (h << (32 - shift));
    h = h >>> shift;
  }
  if (n > 32) return putBits(buf, putBits(buf, p, h, n - 32), l, 32);
  return putBits(buf, p, l, n);
}

/**
 * Upper bound of the bytes one sample adds: the worst case is the '1111' + 64-bit delta-of-delta
 * (68 bits) plus an '11' value with 64 significant bits (77 bits) = 145 bits ≤ 19 bytes, plus the
 * partial byte; the first two samples (varint ≤ 10 bytes + 64 or 77 bits) stay below it too.
 */
const MAX_SAMPLE_BYTES = 24;

/** Appends samples to an XOR chunk. */
export interface XORAppender {
  append(t: number, v: number): void;
}

/**
 * The concrete appender. Its fields are readable so the head can check new samples against the
 * newest one without keeping a copy: `t` (last timestamp) and `vHi`/`vLo` (last value bits).
 */
export class XORAppenderImpl implements XORAppender {
  t = 0;
  /** Last timestamp delta as a number, or NaN when only tDeltaBig is exact. */
  tDelta = 0;
  tDeltaBig: bigint | null = null;
  vHi = 0;
  vLo = 0;
  leading = 0xff;
  trailing = 0;

  constructor(private readonly c: XORChunk) {}

  /**
   * Appends samples [from, to) of ts/vs; the same bytes as calling append() for each, faster
   * (used by the downsampler, which builds each aggregate as a column first).
   */
  appendMany(ts: ArrayLike<number>, vs: ArrayLike<number>, from = 0, to = ts.length): void {
    this.c.appendMany(this, ts, vs, from, to);
  }

  append(t: number, v: number): void {
    const c = this.c;
    const num = c.numSamples();
    if (num >= 0xffff) throw new RangeError('XOR chunk is full (65535 samples)');
    floatBits(v);
    const hi = bitsHi;
    const lo = bitsLo;
    // Capacity is checked per field (writeBits: 5 bytes of room), not reserved for the worst
    // case per sample: the head sizes a new chunk like the previous one, and reserving 24 bytes
    // would make most of them grow (copy) for their last samples.
    c.ensure(0);
    let tDelta = 0;
    let tDeltaBig: bigint | null = null;
    if (num >= 2) {
      // Common case first: delta-of-delta with number arithmetic while it is exact.
      tDelta = t - this.t;
      let dod = tDelta - this.tDelta;
      let exact = this.tDeltaBig === null && Number.isSafeInteger(tDelta) && Number.isSafeInteger(dod);
      let dodBig = 0n;
      if (!exact) {
        const td = BigInt.asIntN(64, BigInt(t) - BigInt(this.t));
        tDeltaBig = td;
        tDelta = Number(td);
        dodBig = BigInt.asIntN(64, td - (this.tDeltaBig ?? BigInt(this.tDelta)));
        if (Number.isSafeInteger(Number(dodBig)) && BigInt(Number(dodBig)) === dodBig) {
          dod = Number(dodBig);
          exact = true;
        }
        if (Number.isSafeInteger(tDelta) && BigInt(tDelta) === td) tDeltaBig = null;
      }
      // Control bits and payload of each bucket go out in one put (≤ 24 bits).
      if (exact && dod === 0) {
        c.writeBits(0, 1);
      } else if (exact && dod >= -8191 && dod <= 8192) {
        c.writeBits((0b10 << 14) | (dod & 0x3fff), 16);
      } else if (exact && dod >= -65535 && dod <= 65536) {
        c.writeBits((0b110 << 17) | (dod & 0x1ffff), 20);
      } else if (exact && dod >= -524287 && dod <= 524288) {
        c.writeBits((0b1110 << 20) | (dod & 0xfffff), 24);
      } else {
        c.writeBits(0b1111, 4);
        const u = BigInt.asUintN(64, exact ? BigInt(dod) : dodBig);
        c.writeBits(Number(u >> 32n), 32);
        c.writeBits(Number(u & 0xffffffffn), 32);
      }
      this.writeVDelta(hi, lo);
    } else if (num === 0) {
      // Go PutVarint: zig-zag then uvarint.
      if (t >= -(2 ** 52) && t < 2 ** 52) c.writeUvarint(t >= 0 ? t * 2 : -t * 2 - 1);
      else {
        const b = BigInt.asIntN(64, BigInt(t));
        c.writeUvarintBig(BigInt.asUintN(64, (b << 1n) ^ (b >> 63n)));
      }
      c.writeBits(hi, 32);
      c.writeBits(lo, 32);
    } else {
      tDelta = t - this.t;
      if (tDelta >= 0 && tDelta <= MAX_SAFE) c.writeUvarint(tDelta);
      else {
        // uint64(t - a.t) wraps for negative deltas.
        const d = BigInt(t) - BigInt(this.t);
        tDeltaBig = BigInt.asIntN(64, d);
        tDelta = Number(tDeltaBig);
        c.writeUvarintBig(BigInt.asUintN(64, d));
      }
      this.writeVDelta(hi, lo);
    }
    this.t = t;
    this.vHi = hi;
    this.vLo = lo;
    this.tDelta = tDelta;
    this.tDeltaBig = tDeltaBig;
    c.setCount(num + 1);
  }

  /** Writes the value XOR. */
  private writeVDelta(hi: number, lo: number): void {
    const c = this.c;
    const xh = (hi ^ this.vHi) >>> 0;
    const xl = (lo ^ this.vLo) >>> 0;
    if (xh === 0 && xl === 0) {
      c.writeBits(0, 1);
      return;
    }
    let leading = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    const trailing = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
    if (leading >= 32) leading = 31;
    if (this.leading !== 0xff && leading >= this.leading && trailing >= this.trailing) {
      // '10': reuse the window.
      const sig = 64 - this.leading - this.trailing;
      const tr = this.trailing;
      if (sig <= 30) {
        // Control bits and the significant bits in one put.
        const bits = tr >= 32 ? xh >>> (tr - 32) : tr > 0 ? (xl >>> tr) | (xh << (32 - tr)) : xl;
        c.writeBits((0b10 << sig) | (bits & ((1 << sig) - 1)), sig + 2);
      } else {
        c.writeBits(0b10, 2);
        c.writeBits64(xh, xl, tr, sig);
      }
    } else {
      this.leading = leading;
      this.trailing = trailing;
      const sig = 64 - leading - trailing;
      // '11', leading (5 bits), significant bits (6 bits; 64 is written as 0 and read back as 64).
      c.writeBits((0b11 << 11) | (leading << 6) | (sig & 0x3f), 13);
      c.writeBits64(xh, xl, trailing, sig);
    }
  }
}

/** Iterates an XOR chunk; allocation-free per sample. */
export class XORIterator implements SampleIterator {
  private data: Uint8Array;
  private pos = 0; // bit position in data
  private bitLen = 0;
  private numTotal = 0;
  private numRead = 0;
  t = -Infinity;
  v = 0;
  /** @internal */ vHi = 0;
  /** @internal */ vLo = 0;
  /** @internal */ leading = 0;
  /** @internal */ trailing = 0;
  /** @internal Last delta as a number (exact unless tDeltaBig is set). */
  tDeltaNum = 0;
  /** @internal Exact last delta when it is not a safe integer. */
  tDeltaBig: bigint | null = null;
  private error: Error | null = null;

  constructor(data: Uint8Array) {
    this.data = data;
    this.reset(data);
    this.t = -Infinity;
  }

  /**
   * Restarts on `data`. `maxSamples` caps the sample count (used for a snapshot of a chunk that is
   * still being appended to: the view's length and count are fixed, the live header is not).
   */
  reset(data: Uint8Array, maxSamples = 0xffff): void {
    this.data = data;
    this.numTotal = data.length >= 2 ? Math.min((data[0]! << 8) | data[1]!, maxSamples) : 0;
    this.pos = 16;
    this.bitLen = data.length * 8;
    this.numRead = 0;
    this.t = -Infinity;
    this.v = 0;
    this.vHi = 0;
    this.vLo = 0;
    this.leading = 0;
    this.trailing = 0;
    this.tDeltaNum = 0;
    this.tDeltaBig = null;
    this.error = data.length >= 2 ? null : new ChunkDecodeError('XOR chunk too short');
  }

  err(): Error | null {
    return this.error;
  }

  /** Samples not read yet according to the chunk header (an upper bound for readInto). */
  remaining(): number {
    return this.numTotal - this.numRead;
  }

  /** @internal Bit offset of the next unread bit (from the chunk start, header included). */
  get bitPos(): number {
    return this.pos;
  }

  seek(t: number): ValueType {
    if (this.error) return ValueType.None;
    while (this.numRead === 0 || t > this.t) {
      if (this.next() === ValueType.None) return ValueType.None;
    }
    return ValueType.Float;
  }

  private eof(): ValueType {
    this.error = new ChunkDecodeError(
      `XOR chunk truncated: read ${this.numRead} of ${this.numTotal} samples, ${this.data.length} bytes`,
    );
    // Make further next() calls end.
    this.numRead = this.numTotal;
    return ValueType.None;
  }

  /**
   * Reads 1 ≤ n ≤ 32 bits as an unsigned number; the caller checks bounds. Hot path of every
   * query and of downsampling: while five bytes are left it assembles the 32 bits at the bit
   * position from them in one go (instead of a loop per byte); near the end it falls back to the
   * byte loop.
   */
  private readBits(n: number): number {
    const d = this.data;
    const pos = this.pos;
    const i = pos >>> 3;
    this.pos = pos + n;
    if (i + 4 < d.length) {
      const off = pos & 7;
      const w = (d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!;
      return ((w << off) | (d[i + 4]! >>> (8 - off))) >>> (32 - n);
    }
    let p = pos;
    let r = 0;
    while (n > 0) {
      const off = p & 7;
      const avail = 8 - off;
      const k = avail < n ? avail : n;
      r = r * (1 << k) + ((d[p >>> 3]! >>> (avail - k)) & ((1 << k) - 1));
      p += k;
      n -= k;
    }
    return r;
  }

  /** The next 32 bits (zero past the end of the data) without consuming them. */
  private peek32(): number {
    const d = this.data;
    const pos = this.pos;
    const i = pos >>> 3;
    const off = pos & 7;
    if (i + 4 < d.length) {
      const w = (d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!;
      return ((w << off) | (d[i + 4]! >>> (8 - off))) >>> 0;
    }
    const len = d.length;
    const b0 = i < len ? d[i]! : 0;
    const b1 = i + 1 < len ? d[i + 1]! : 0;
    const b2 = i + 2 < len ? d[i + 2]! : 0;
    const b3 = i + 3 < len ? d[i + 3]! : 0;
    const b4 = i + 4 < len ? d[i + 4]! : 0;
    return ((((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) << off) | (b4 >>> (8 - off))) >>> 0;
  }

  /**
   * Reads all remaining samples into ts/vs from index `off` (room for numSamples − read samples
   * is required) and returns how many were written; stale markers are left out when `dropStale`.
   * Check err() afterwards. Hot path of downsampling: a fresh iterator decodes the whole chunk with
   * the shared bulk decoder (xor-bulk.ts, one loop over locals); a partly read iterator, and the
   * rare chunks the bulk decoder does not take (malformed, timestamps beyond 2^53), go through
   * next(), so results and errors are exactly next()'s.
   */
  readInto(ts: Float64Array, vs: Float64Array, off: number, dropStale: boolean): number {
    if (this.numRead === 0 && this.error === null) {
      const d = this.data;
      const r = decodeXORRange(d, 0, d.length, this.numTotal, -Infinity, Infinity, ts, vs, off, dropStale);
      if (r >= 0) {
        this.numRead = this.numTotal;
        return r - off;
      }
      // Malformed or beyond safe integers: redo through next() for its exact samples and error.
    }
    let k = off;
    while (this.next() !== ValueType.None) {
      if (dropStale && isStaleNaN(this.v)) continue;
      ts[k] = this.t;
      vs[k] = this.v;
      k++;
    }
    return k - off;
  }

  /** Reads a Go uvarint as a number, or returns -1 and sets bigScratch when it exceeds 2^53. */
  private bigScratch = 0n;
  private readUvarint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos + 8 > this.bitLen) return -2;
      const b = this.readBits(8);
      if (i >= 7) {
        // Possibly beyond 2^53: redo in BigInt from what we have.
        let big = BigInt(result) + BigInt(b & 0x7f) * (1n << BigInt(7 * i));
        let more = b >= 0x80;
        let shift = 7n * BigInt(i + 1);
        let j = i + 1;
        while (more) {
          if (j >= 10 || this.pos + 8 > this.bitLen) return -2;
          const c = this.readBits(8);
          big += BigInt(c & 0x7f) << shift;
          shift += 7n;
          more = c >= 0x80;
          j++;
        }
        big = BigInt.asUintN(64, big);
        if (big <= BigInt(MAX_SAFE)) return Number(big);
        this.bigScratch = big;
        return -1;
      }
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    return -2;
  }

  next(): ValueType {
    if (this.error || this.numRead >= this.numTotal) return ValueType.None;
    if (this.numRead === 0) {
      const u = this.readUvarint();
      if (u === -2) return this.eof();
      let t: number;
      if (u === -1) {
        const b = this.bigScratch;
        t = Number(BigInt.asIntN(64, (b >> 1n) ^ -(b & 1n)));
      } else {
        t = u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      }
      if (this.pos + 64 > this.bitLen) return this.eof();
      this.vHi = this.readBits(32);
      this.vLo = this.readBits(32);
      this.t = t;
      this.v = bitsToFloat(this.vHi, this.vLo);
      this.numRead++;
      return ValueType.Float;
    }
    if (this.numRead === 1) {
      const u = this.readUvarint();
      if (u === -2) return this.eof();
      if (u === -1) {
        // Negative or huge delta: int64(uint64).
        const d = BigInt.asIntN(64, this.bigScratch);
        this.setDelta(d);
      } else {
        this.tDeltaNum = u;
        this.tDeltaBig = null;
        this.t += u;
      }
      return this.readValue();
    }
    // Delta-of-delta: the prefix ('0', '10', '110', '1110', '1111') is the number of leading ones
    // of the next 32 bits, and for the 14/17/20-bit buckets the payload sits in the same 32 bits.
    if (this.pos >= this.bitLen) return this.eof();
    const w = this.peek32();
    const ones = Math.clz32(~w);
    let dod = 0;
    if (ones === 0) {
      this.pos += 1;
    } else if (ones < 4) {
      const pre = ones + 1;
      if (this.pos + pre > this.bitLen) return this.eof();
      const sz = ones === 1 ? 14 : ones === 2 ? 17 : 20;
      if (this.pos + pre + sz > this.bitLen) {
        this.pos += pre;
        return this.eof();
      }
      this.pos += pre + sz;
      // Payload bits below the prefix, sign-extended: buckets cover −(2^(sz−1)−1) … 2^(sz−1).
      const bits = (w << pre) >>> (32 - sz);
      dod = bits > 1 << (sz - 1) ? bits - (1 << sz) : bits;
    } else {
      if (this.pos + 4 > this.bitLen) return this.eof();
      this.pos += 4;
      if (this.pos + 64 > this.bitLen) return this.eof();
      const h = this.readBits(32);
      const l = this.readBits(32);
      const big = BigInt.asIntN(64, (BigInt(h) << 32n) | BigInt(l));
      const prev = this.tDeltaBig ?? BigInt(this.tDeltaNum);
      this.setDelta(BigInt.asIntN(64, prev + big));
      return this.readValue();
    }
    if (this.tDeltaBig === null) {
      const td = this.tDeltaNum + dod;
      const nt = this.t + td;
      if (Number.isSafeInteger(nt) && Number.isSafeInteger(td)) {
        this.tDeltaNum = td;
        this.t = nt;
        return this.readValue();
      }
    }
    const prev = this.tDeltaBig ?? BigInt(this.tDeltaNum);
    this.setDelta(BigInt.asIntN(64, prev + BigInt(dod)));
    return this.readValue();
  }

  private setDelta(d: bigint): void {
    const dn = Number(d);
    if (Number.isSafeInteger(dn) && BigInt(dn) === d) {
      this.tDeltaNum = dn;
      this.tDeltaBig = null;
    } else {
      this.tDeltaNum = dn;
      this.tDeltaBig = d;
    }
    const nt = this.t + dn;
    if (Number.isSafeInteger(nt) && this.tDeltaBig === null && Number.isSafeInteger(this.t)) this.t = nt;
    else this.t = Number(BigInt.asIntN(64, BigInt(this.t) + d));
  }

  private readValue(): ValueType {
    // Control bits '0' | '10' | '11' + leading (5) + significant bits (6) from one peek.
    if (this.pos >= this.bitLen) return this.eof();
    const w = this.peek32();
    if (w >= 0x80000000) {
      if (this.pos + 2 > this.bitLen) {
        this.pos += 1;
        return this.eof();
      }
      if ((w & 0x40000000) !== 0) {
        if (this.pos + 13 > this.bitLen) {
          this.pos += 2;
          return this.eof();
        }
        this.pos += 13;
        this.leading = (w >>> 25) & 0x1f;
        let mbits = (w >>> 19) & 0x3f;
        if (mbits === 0) mbits = 64;
        this.trailing = 64 - this.leading - mbits;
        if (this.trailing < 0) {
          this.error = new ChunkDecodeError(`XOR chunk corrupt: leading ${this.leading} + significant bits ${mbits} > 64`);
          this.numRead = this.numTotal;
          return ValueType.None;
        }
      } else {
        this.pos += 2;
      }
      const mbits = 64 - this.leading - this.trailing;
      if (this.pos + mbits > this.bitLen) return this.eof();
      let h = 0;
      let l = 0;
      if (mbits > 32) {
        h = this.readBits(mbits - 32);
        l = this.readBits(32);
      } else {
        l = this.readBits(mbits);
      }
      // (h:l) << trailing
      const s = this.trailing;
      if (s >= 32) {
        h = l << (s - 32);
        l = 0;
      } else if (s > 0) {
        h = (h << s) | (l >>> (32 - s));
        l = l << s;
      }
      this.vHi = (this.vHi ^ h) >>> 0;
      this.vLo = (this.vLo ^ l) >>> 0;
      this.v = bitsToFloat(this.vHi, this.vLo);
    } else {
      this.pos += 1; // '0': same value
    }
    this.numRead++;
    return ValueType.Float;
  }
}
