// Block chunk segment files (`<block>/chunks/000001`, …) as in Prometheus `tsdb/chunks/chunks.go`:
//   header: magic 0x85BD40DD (BE) | version 1 | 3 zero bytes
//   record: uvarint(len(data)) | encoding (1 byte) | data | CRC32C(encoding + data) (BE)
// A chunk reference is (segmentIndex << 32) | offsetOfTheLengthField, where file `000001` is
// segment index 0. References are JS numbers built with arithmetic (segment * 2^32 + offset).
import { open, mkdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import type { ChunkMeta } from '../../storage/interfaces.ts';
import type { ReadAt } from '../block/readat.ts';
import { putUvarintAt, uvarintSize, readBE32 } from '../index/encoding.ts';

export const MAGIC_CHUNKS = 0x85bd40dd;
export const CHUNKS_FORMAT_V1 = 1;
export const SEGMENT_HEADER_SIZE = 8;
/** Prometheus DefaultChunkSegmentSize: 512 MiB. */
export const DEFAULT_SEGMENT_SIZE = 512 * 1024 * 1024;
/** binary.MaxVarintLen32: the length field is budgeted at its maximum size when sizing segments. */
export const MAX_CHUNK_LENGTH_FIELD_SIZE = 5;
const TWO32 = 4294967296;

export class ChunkFormatError extends Error {
  override name = 'ChunkFormatError';
}

export function chunkRef(segment: number, offset: number): number {
  return segment * TWO32 + offset;
}
export function chunkRefSegment(ref: number): number {
  return Math.floor(ref / TWO32);
}
export function chunkRefOffset(ref: number): number {
  return ref % TWO32;
}
/** File name of segment index `i` (0 → "000001"). */
export function segmentFileName(i: number): string {
  return String(i + 1).padStart(6, '0');
}

/** Size of the on-disk record for a chunk with `dataLen` payload bytes. */
export function chunkRecordSize(dataLen: number): number {
  return uvarintSize(dataLen) + 1 + dataLen + 4;
}

export interface SegmentFileInfo {
  /** File name inside the chunks directory, e.g. "000001". */
  name: string;
  size: number;
}

const WRITE_BUF = 4 * 1024 * 1024;

/** Writes chunk segment files sequentially into `dir` (the block's `chunks/` directory). */
export class ChunkWriter {
  private fh: FileHandle | null = null;
  private seg = -1;
  /** Bytes written to the current segment (including buffered ones). */
  private n = 0;
  private buf = new Uint8Array(WRITE_BUF);
  private bufLen = 0;
  private fileOff = 0;
  private readonly files: SegmentFileInfo[] = [];

  private constructor(
    readonly dir: string,
    readonly segmentSize: number,
  ) {}

  static async create(dir: string, segmentSize = DEFAULT_SEGMENT_SIZE): Promise<ChunkWriter> {
    if (!(segmentSize > SEGMENT_HEADER_SIZE)) throw new RangeError(`segment size too small: ${segmentSize}`);
    if (segmentSize > TWO32) throw new RangeError('segment size must fit 32-bit offsets');
    await mkdir(dir, { recursive: true });
    return new ChunkWriter(dir, segmentSize);
  }

  private async flushBuf(): Promise<void> {
    let o = 0;
    while (o < this.bufLen) {
      const { bytesWritten } = await this.fh!.write(this.buf, o, this.bufLen - o, this.fileOff);
      o += bytesWritten;
      this.fileOff += bytesWritten;
    }
    this.bufLen = 0;
  }

  private async finishSegment(): Promise<void> {
    if (!this.fh) return;
    await this.flushBuf();
    await this.fh.sync();
    await this.fh.close();
    this.files.push({ name: segmentFileName(this.seg), size: this.n });
    this.fh = null;
  }

  private async cut(): Promise<void> {
    await this.finishSegment();
    this.seg++;
    if (this.seg >= 2 ** 21) throw new ChunkFormatError('too many chunk segments');
    this.fh = await open(join(this.dir, segmentFileName(this.seg)), 'w');
    this.fileOff = 0;
    this.n = 0;
    this.bufLen = 0;
    this.put(new Uint8Array([0x85, 0xbd, 0x40, 0xdd, CHUNKS_FORMAT_V1, 0, 0, 0]));
  }

  private put(b: Uint8Array): void {
    // Callers flush before this can overflow (see ensureRoom).
    this.buf.set(b, this.bufLen);
    this.bufLen += b.length;
    this.n += b.length;
  }

  private async ensureRoom(n: number): Promise<void> {
    if (this.bufLen + n <= this.buf.length) return;
    await this.flushBuf();
    if (n > this.buf.length) this.buf = new Uint8Array(n);
  }

  /**
   * Writes the chunks of one series (in order) and returns their references. Like Prometheus, a new
   * segment is started when the next record would push a non-empty segment past the size limit.
   */
  async writeChunks(chks: readonly ChunkMeta[]): Promise<number[]> {
    const refs: number[] = new Array(chks.length);
    for (let i = 0; i < chks.length; i++) {
      const c = chks[i]!;
      const enc = c.encoding;
      if (!(enc >= 0 && enc <= 255) || !Number.isInteger(enc)) throw new ChunkFormatError(`bad chunk encoding ${enc}`);
      const dl = c.data.length;
      const budget = MAX_CHUNK_LENGTH_FIELD_SIZE + 1 + dl + 4;
      if (this.fh === null || (this.n > SEGMENT_HEADER_SIZE && this.n + budget > this.segmentSize)) await this.cut();
      const rec = chunkRecordSize(dl);
      await this.ensureRoom(rec);
      refs[i] = chunkRef(this.seg, this.n);
      const b = this.buf;
      let o = putUvarintAt(b, this.bufLen, dl);
      b[o++] = enc;
      b.set(c.data, o);
      o += dl;
      const crc = crc32c(c.data, crc32c(b.subarray(o - dl - 1, o - dl)));
      b[o++] = crc >>> 24;
      b[o++] = (crc >>> 16) & 0xff;
      b[o++] = (crc >>> 8) & 0xff;
      b[o++] = crc & 0xff;
      this.n += o - this.bufLen;
      this.bufLen = o;
    }
    return refs;
  }

  /** Flushes, fsyncs and closes the last segment. Returns the segment files written. */
  async close(): Promise<SegmentFileInfo[]> {
    await this.finishSegment();
    return this.files.slice();
  }

  /** Closes without caring about errors (cleanup after a failure). */
  async abort(): Promise<void> {
    try {
      await this.fh?.close();
    } catch {
      /* ignore */
    }
    this.fh = null;
  }
}

/** A decoded chunk record (data is a view into a read buffer). */
export interface RawChunk {
  encoding: number;
  data: Uint8Array;
}

/** How many bytes past the last reference of a batch are read speculatively. */
const TAIL_GUESS = 1024;
/** References closer than this are fetched with one read. */
const MAX_GAP = 64 * 1024;
/** Upper bound of one coalesced read. */
const MAX_SPAN = 8 * 1024 * 1024;

/** Reads chunks by reference from segment files exposed as ReadAt. */
export class ChunkReader {
  private readonly segs = new Map<number, Promise<{ r: ReadAt; size: number }>>();

  /** `segment(i)` returns the ReadAt of segment index i (file `segmentFileName(i)`). */
  constructor(
    private readonly segment: (i: number) => ReadAt | Promise<ReadAt>,
    private readonly verifyCRC = true,
  ) {}

  private seg(i: number): Promise<{ r: ReadAt; size: number }> {
    let p = this.segs.get(i);
    if (!p) {
      p = (async () => {
        const r = await this.segment(i);
        const size = await r.size();
        const h = await r.read(0, SEGMENT_HEADER_SIZE);
        if (h.length < SEGMENT_HEADER_SIZE) throw new ChunkFormatError(`segment ${segmentFileName(i)}: too short`);
        const magic = readBE32(h, 0);
        if (magic !== MAGIC_CHUNKS) throw new ChunkFormatError(`segment ${segmentFileName(i)}: bad magic 0x${magic.toString(16)}`);
        if (h[4] !== CHUNKS_FORMAT_V1) throw new ChunkFormatError(`segment ${segmentFileName(i)}: unsupported version ${h[4]}`);
        return { r, size };
      })();
      p.catch(() => this.segs.delete(i));
      this.segs.set(i, p);
    }
    return p;
  }

  async chunk(ref: number): Promise<RawChunk> {
    return (await this.chunks([ref]))[0]!;
  }

  /** Reads several chunks; nearby references in one segment share a read. Order follows `refs`. */
  async chunks(refs: readonly number[]): Promise<RawChunk[]> {
    const out: RawChunk[] = new Array(refs.length);
    const order = refs.map((_, i) => i).sort((a, b) => refs[a]! - refs[b]!);
    let i = 0;
    while (i < order.length) {
      const seg = chunkRefSegment(refs[order[i]!]!);
      let j = i + 1;
      while (
        j < order.length &&
        chunkRefSegment(refs[order[j]!]!) === seg &&
        refs[order[j]!]! - refs[order[j - 1]!]! <= MAX_GAP &&
        refs[order[j]!]! - refs[order[i]!]! <= MAX_SPAN
      )
        j++;
      const { r, size } = await this.seg(seg);
      const lo = chunkRefOffset(refs[order[i]!]!);
      const hiRef = chunkRefOffset(refs[order[j - 1]!]!);
      const hi = Math.min(size, hiRef + TAIL_GUESS);
      if (lo < SEGMENT_HEADER_SIZE || hiRef >= size) throw new ChunkFormatError(`chunk ref ${refs[order[i]!]} out of segment bounds`);
      const buf = await r.read(lo, hi - lo);
      for (let k = i; k < j; k++) {
        const idx = order[k]!;
        const off = chunkRefOffset(refs[idx]!);
        out[idx] = await this.decodeAt(r, size, buf, off - lo, off);
      }
      i = j;
    }
    return out;
  }

  private async decodeAt(r: ReadAt, size: number, buf: Uint8Array, p: number, fileOff: number): Promise<RawChunk> {
    // Parse the uvarint length.
    let len = 0;
    let mul = 1;
    let q = p;
    for (;;) {
      if (q >= buf.length) {
        // Length field cut by the speculative read: re-read this record alone.
        const b2 = await r.read(fileOff, Math.min(size - fileOff, MAX_CHUNK_LENGTH_FIELD_SIZE + 1));
        return this.decodeAt(r, size, await readWhole(r, size, fileOff, b2), 0, fileOff);
      }
      const c = buf[q++]!;
      len += (c & 0x7f) * mul;
      if (c < 0x80) break;
      mul *= 128;
      if (q - p > MAX_CHUNK_LENGTH_FIELD_SIZE) throw new ChunkFormatError(`bad chunk length at offset ${fileOff}`);
    }
    const end = q + 1 + len + 4;
    if (end > buf.length) {
      if (fileOff + (end - p) > size) throw new ChunkFormatError(`chunk at offset ${fileOff} exceeds segment (len ${len})`);
      const whole = await r.read(fileOff, end - p);
      return this.decodeAt(r, size, whole, 0, fileOff);
    }
    const encoding = buf[q]!;
    const data = buf.subarray(q + 1, q + 1 + len);
    if (this.verifyCRC) {
      const want = readBE32(buf, q + 1 + len);
      const got = crc32c(data, crc32c(buf.subarray(q, q + 1)));
      if (want !== got) throw new ChunkFormatError(`chunk at offset ${fileOff}: checksum mismatch`);
    }
    return { encoding, data };
  }

  async close(): Promise<void> {
    for (const p of this.segs.values()) {
      try {
        const { r } = await p;
        await r.close?.();
      } catch {
        /* already failed */
      }
    }
    this.segs.clear();
  }
}

async function readWhole(r: ReadAt, size: number, off: number, head: Uint8Array): Promise<Uint8Array> {
  let len = 0;
  let mul = 1;
  let q = 0;
  for (;;) {
    if (q >= head.length) throw new ChunkFormatError(`truncated chunk length at offset ${off}`);
    const c = head[q++]!;
    len += (c & 0x7f) * mul;
    if (c < 0x80) break;
    mul *= 128;
  }
  const total = q + 1 + len + 4;
  if (off + total > size) throw new ChunkFormatError(`chunk at offset ${off} exceeds segment`);
  return r.read(off, total);
}

/** Creates the chunks directory path of a block. */
export function chunksDir(blockDir: string): string {
  return join(blockDir, 'chunks');
}
