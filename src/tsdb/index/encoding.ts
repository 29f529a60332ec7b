// Byte encoders/decoders with the semantics of Prometheus `tsdb/encoding` (Encbuf/Decbuf): big-endian
// fixed-width integers, Go LEB128 uvarints and zig-zag varints. 64-bit quantities are JS numbers and
// must be safe integers (timestamps, chunk refs and file offsets all are); arithmetic is used instead
// of 32-bit bitwise operators so values above 2^31 survive.
import { crc32c } from '@node-rs/crc32';

const utf8enc = new TextEncoder();
const utf8dec = new TextDecoder('utf-8', { fatal: false });

export class EncodingError extends Error {
  override name = 'EncodingError';
}

/** Growable byte buffer. `bytes()` is a view valid until the next write. */
export class Encbuf {
  buf: Uint8Array;
  len = 0;
  private dv: DataView;

  constructor(cap = 256) {
    this.buf = new Uint8Array(cap);
    this.dv = new DataView(this.buf.buffer);
  }

  reset(): void {
    this.len = 0;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }

  putByte(b: number): void {
    this.grow(1);
    this.buf[this.len++] = b;
  }

  putBytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  putBE32(v: number): void {
    this.grow(4);
    this.dv.setUint32(this.len, v >>> 0, false);
    this.len += 4;
  }

  putBE64(v: number): void {
    this.grow(8);
    this.dv.setUint32(this.len, Math.floor(v / 4294967296), false);
    this.dv.setUint32(this.len + 4, v % 4294967296, false);
    this.len += 8;
  }

  putUvarint(v: number): void {
    this.grow(10);
    this.len = putUvarintAt(this.buf, this.len, v);
  }

  putVarint(v: number): void {
    // Zig-zag: (v << 1) ^ (v >> 63), as arithmetic on safe integers.
    this.putUvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** uvarint byte length, then the UTF-8 bytes. */
  putUvarintStr(s: string): void {
    const b = utf8enc.encode(s);
    this.putUvarint(b.length);
    this.putBytes(b);
  }

  putUvarintBytes(b: Uint8Array): void {
    this.putUvarint(b.length);
    this.putBytes(b);
  }

  /** Appends CRC32C (BE) of bytes [from, len). */
  putCRC32CFrom(from: number): void {
    const c = crc32c(this.buf.subarray(from, this.len));
    this.putBE32(c);
  }
}

/** Writes a uvarint at `off`; returns the new offset. `v` must be a non-negative safe integer. */
export function putUvarintAt(b: Uint8Array, off: number, v: number): number {
  if (v < 0 || !Number.isSafeInteger(v)) throw new EncodingError(`uvarint out of range: ${v}`);
  while (v >= 0x80) {
    b[off++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  b[off++] = v;
  return off;
}

export function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

export function utf8Bytes(s: string): Uint8Array {
  return utf8enc.encode(s);
}

export function utf8String(b: Uint8Array): string {
  return utf8dec.decode(b);
}

/** Cursor over a byte slice. Errors throw EncodingError (no sticky error state). */
export class Decbuf {
  readonly b: Uint8Array;
  off: number;
  readonly end: number;
  private readonly dv: DataView;

  constructor(b: Uint8Array, off = 0, end = b.length) {
    this.b = b;
    this.off = off;
    this.end = end;
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  remaining(): number {
    return this.end - this.off;
  }

  private need(n: number): void {
    if (this.off + n > this.end) throw new EncodingError(`unexpected end of data (need ${n} bytes at ${this.off})`);
  }

  byte(): number {
    this.need(1);
    return this.b[this.off++]!;
  }

  be32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.off, false);
    this.off += 4;
    return v;
  }

  be64(): number {
    this.need(8);
    const hi = this.dv.getUint32(this.off, false);
    const lo = this.dv.getUint32(this.off + 4, false);
    this.off += 8;
    const v = hi * 4294967296 + lo;
    if (!Number.isSafeInteger(v)) throw new EncodingError(`be64 value exceeds 2^53: hi=${hi}`);
    return v;
  }

  uvarint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.off >= this.end) throw new EncodingError('unexpected end of data in uvarint');
      const c = this.b[this.off++]!;
      v += (c & 0x7f) * mul;
      if (c < 0x80) {
        if (!Number.isSafeInteger(v)) throw new EncodingError('uvarint exceeds 2^53');
        return v;
      }
      mul *= 128;
    }
    throw new EncodingError('uvarint overflow');
  }

  varint(): number {
    const u = this.uvarint();
    // Undo zig-zag.
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const r = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return r;
  }

  uvarintBytes(): Uint8Array {
    return this.bytes(this.uvarint());
  }

  uvarintStr(): string {
    return utf8dec.decode(this.uvarintBytes());
  }

  skip(n: number): void {
    this.need(n);
    this.off += n;
  }
}

/** CRC32C of b (the Castagnoli CRC Prometheus uses everywhere). */
export function crc32cOf(b: Uint8Array, initial?: number): number {
  return initial === undefined ? crc32c(b) : crc32c(b, initial);
}

/** Reads a 4-byte BE uint at `off`. */
export function readBE32(b: Uint8Array, off: number): number {
  return ((b[off]! * 0x1000000) + ((b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!)) >>> 0;
}
