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

  // ---- bit writer (bstream) ----

  private ensure(extra: number): void {
    if (!this.owned || this.len + extra > this.buf.length) {
      let cap = Math.max(this.buf.length, INITIAL_CAP);
      while (this.len + extra > cap) cap = cap < 256 ? cap * 2 : cap + (cap >> 1);
      const nb = this.alloc ? this.alloc(cap) : new Uint8Array(cap);
      nb.set(this.buf.subarray(0, this.len));
      this.buf = nb;
      this.owned = true;
    }
  }

  /** @internal Writes the low n bits (n ≤ 32) of v, most significant first. */
  writeBits(v: number, n: number): void {
    if (n === 0) return;
    this.ensure(5);
    const buf = this.buf;
    let len = this.len;
    let free = this.free;
    while (n > 0) {
      if (free === 0) {
        buf[len++] = 0;
        free = 8;
      }
      const k = free < n ? free : n;
      const bits = (n - k >= 32 ? 0 : v >>> (n - k)) & ((1 << k) - 1);
      buf[len - 1] = buf[len - 1]! | (bits << (free - k));
      free -= k;
      n -= k;
    }
    this.len = len;
    this.free = free;
  }

  /** @internal Writes the 64-bit value hi:lo shifted right by `shift`, keeping its low n bits (n ≤ 64). */
  writeBits64(hi: number, lo: number, shift: number, n: number): void {
    // Shift right the 64-bit value.
    let h = hi >>> 0;
    let l = lo >>> 0;
    if (shift >= 32) {
      l = h >>> (shift - 32);
      h = 0;
    } else if (shift > 0) {
      l = ((l >>> shift) | (h << (32 - shift))) >>> 0;
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

  /** @internal */
  setCount(n: number): void {
    this.ensure(0);
    this.buf[0] = (n >>> 8) & 0xff;
    this.buf[1] = n & 0xff;
  }
}

/** Appends samples to an XOR chunk. */
export interface XORAppender {
  append(t: number, v: number): void;
}

function bitRange(x: number, nbits: number): boolean {
  const h = 2 ** (nbits - 1);
  return -(h - 1) <= x && x <= h;
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

  append(t: number, v: number): void {
    const c = this.c;
    const num = c.numSamples();
    if (num >= 0xffff) throw new RangeError('XOR chunk is full (65535 samples)');
    floatBits(v);
    const hi = bitsHi;
    const lo = bitsLo;
    let tDelta = 0;
    let tDeltaBig: bigint | null = null;
    if (num === 0) {
      // Go PutVarint: zig-zag then uvarint.
      if (t >= -(2 ** 52) && t < 2 ** 52) c.writeUvarint(t >= 0 ? t * 2 : -t * 2 - 1);
      else {
        const b = BigInt.asIntN(64, BigInt(t));
        c.writeUvarintBig(BigInt.asUintN(64, (b << 1n) ^ (b >> 63n)));
      }
      c.writeBits(hi, 32);
      c.writeBits(lo, 32);
    } else if (num === 1) {
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
    } else {
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
      if (exact && dod === 0) {
        c.writeBits(0, 1);
      } else if (exact && bitRange(dod, 14)) {
        c.writeBits(0b10, 2);
        c.writeBits(dod & 0x3fff, 14);
      } else if (exact && bitRange(dod, 17)) {
        c.writeBits(0b110, 3);
        c.writeBits(dod & 0x1ffff, 17);
      } else if (exact && bitRange(dod, 20)) {
        c.writeBits(0b1110, 4);
        c.writeBits(dod & 0xfffff, 20);
      } else {
        c.writeBits(0b1111, 4);
        const u = BigInt.asUintN(64, exact ? BigInt(dod) : dodBig);
        c.writeBits(Number(u >> 32n), 32);
        c.writeBits(Number(u & 0xffffffffn), 32);
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
      c.writeBits(0b10, 2);
      c.writeBits64(xh, xl, this.trailing, 64 - this.leading - this.trailing);
    } else {
      this.leading = leading;
      this.trailing = trailing;
      c.writeBits(0b11, 2);
      c.writeBits(leading, 5);
      const sig = 64 - leading - trailing;
      // 64 significant bits are written as 0 (6 bits); the reader maps 0 back to 64.
      c.writeBits(sig & 0x3f, 6);
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

  /** Reads n ≤ 32 bits as an unsigned number; caller checks bounds. */
  private readBits(n: number): number {
    const d = this.data;
    let pos = this.pos;
    let r = 0;
    while (n > 0) {
      const off = pos & 7;
      const avail = 8 - off;
      const k = avail < n ? avail : n;
      r = r * (1 << k) + ((d[pos >>> 3]! >>> (avail - k)) & ((1 << k) - 1));
      pos += k;
      n -= k;
    }
    this.pos = pos;
    return r;
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
    // Delta-of-delta prefix.
    let d = 0;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.bitLen) return this.eof();
      d <<= 1;
      const bit = this.readBits(1);
      if (bit === 0) break;
      d |= 1;
    }
    let sz = 0;
    let dod = 0;
    switch (d) {
      case 0b0:
        break;
      case 0b10:
        sz = 14;
        break;
      case 0b110:
        sz = 17;
        break;
      case 0b1110:
        sz = 20;
        break;
      case 0b1111: {
        if (this.pos + 64 > this.bitLen) return this.eof();
        const h = this.readBits(32);
        const l = this.readBits(32);
        const big = BigInt.asIntN(64, (BigInt(h) << 32n) | BigInt(l));
        const prev = this.tDeltaBig ?? BigInt(this.tDeltaNum);
        this.setDelta(BigInt.asIntN(64, prev + big));
        return this.readValue();
      }
    }
    if (sz !== 0) {
      if (this.pos + sz > this.bitLen) return this.eof();
      let bits = this.readBits(sz);
      if (bits > 2 ** (sz - 1)) bits -= 2 ** sz;
      dod = bits;
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
    if (this.pos >= this.bitLen) return this.eof();
    if (this.readBits(1) === 1) {
      if (this.pos >= this.bitLen) return this.eof();
      if (this.readBits(1) === 1) {
        if (this.pos + 11 > this.bitLen) return this.eof();
        this.leading = this.readBits(5);
        let mbits = this.readBits(6);
        if (mbits === 0) mbits = 64;
        this.trailing = 64 - this.leading - mbits;
        if (this.trailing < 0) {
          this.error = new ChunkDecodeError(`XOR chunk corrupt: leading ${this.leading} + significant bits ${mbits} > 64`);
          this.numRead = this.numTotal;
          return ValueType.None;
        }
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
    }
    this.numRead++;
    return ValueType.Float;
  }
}
