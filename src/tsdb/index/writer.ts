// TSDB index writer, format v2 exactly as Prometheus 2.42 writes it (`tsdb/index/index.go`):
//
//   header  magic 0xBAAAD700 | version 2
//   symbols len(BE32) | count(BE32) | uvarint-prefixed UTF-8 symbols… | CRC32C(count…symbols)
//   series  each padded to 16 bytes: uvarint len | #labels, (nameRef, valueRef)…, #chunks, metas | CRC32C
//   label indices   per label name, 4-byte aligned: len | 1 | #values | BE32 value symbol refs | CRC
//   postings        4-byte aligned; first the all-series list under ("",""), then by (name, value):
//                   len | count | BE32 series ids | CRC
//   label index table     len | count | (uvarint 1, name, uvarint offset)… | CRC
//   postings offset table len | count | (uvarint 2, name, value, uvarint offset)… | CRC
//   TOC     6 × BE64 (symbols, series, label indices, label index table, postings, postings table) | CRC
//
// TOC positions are recorded before any alignment padding, as Prometheus does. Symbol references
// are symbol indices (v2); series ids are offset/16. Names and values sort by UTF-8 bytes.
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { crc32c } from '@node-rs/crc32';
import { compareStrings, Labels } from '../../labels/labels.ts';
import { Encbuf } from './encoding.ts';

export const MAGIC_INDEX = 0xbaaad700;
export const INDEX_FORMAT_V2 = 2;
export const INDEX_HEADER_SIZE = 5;
export const INDEX_TOC_LEN = 6 * 8 + 4;

export interface IndexChunkMeta {
  minTime: number;
  maxTime: number;
  ref: number;
}

export interface TOC {
  symbols: number;
  series: number;
  labelIndices: number;
  labelIndicesTable: number;
  postings: number;
  postingsTable: number;
}

export class IndexWriteError extends Error {
  override name = 'IndexWriteError';
}

const BUF_SIZE = 1 << 20;

/** Buffered sequential file writer that tracks the position. */
class FileSink {
  pos = 0;
  private buf = new Uint8Array(BUF_SIZE);
  private len = 0;
  private fileOff = 0;
  constructor(private readonly fh: FileHandle) {}

  async write(b: Uint8Array): Promise<void> {
    if (this.len + b.length > this.buf.length) {
      await this.flush();
      if (b.length > this.buf.length) {
        await this.writeRaw(b, b.length);
        this.pos += b.length;
        return;
      }
    }
    this.buf.set(b, this.len);
    this.len += b.length;
    this.pos += b.length;
  }

  async pad(align: number): Promise<void> {
    const r = this.pos % align;
    if (r !== 0) await this.write(new Uint8Array(align - r));
  }

  private async writeRaw(b: Uint8Array, n: number): Promise<void> {
    let o = 0;
    while (o < n) {
      const { bytesWritten } = await this.fh.write(b, o, n - o, this.fileOff);
      o += bytesWritten;
      this.fileOff += bytesWritten;
    }
  }

  async flush(): Promise<void> {
    await this.writeRaw(this.buf, this.len);
    this.len = 0;
  }
}

/**
 * Streams an index: call addSymbols() once with every label name and value, then addSeries() in
 * label order, then close(). Postings are accumulated in memory (4 bytes per label per series).
 */
export class IndexWriter {
  private readonly sink: FileSink;
  private readonly toc: TOC = { symbols: 0, series: 0, labelIndices: 0, labelIndicesTable: 0, postings: 0, postingsTable: 0 };
  private symbolIndex: Map<string, number> | null = null;
  private lastSeries: Labels | null = null;
  private readonly all: number[] = [];
  /** name → value → series ids (ascending by construction). */
  private readonly postings = new Map<string, Map<string, number[]>>();
  private readonly eb = new Encbuf(1024);
  private readonly hb = new Encbuf(16);
  private closed = false;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
  ) {
    this.sink = new FileSink(fh);
  }

  static async create(path: string): Promise<IndexWriter> {
    const fh = await open(path, 'w');
    const w = new IndexWriter(fh, path);
    const e = new Encbuf(8);
    e.putBE32(MAGIC_INDEX);
    e.putByte(INDEX_FORMAT_V2);
    await w.sink.write(e.bytes());
    return w;
  }

  /** Writes the symbol table. `symbols` must be strictly increasing in UTF-8 byte order. */
  async addSymbols(symbols: Iterable<string>): Promise<void> {
    if (this.symbolIndex) throw new IndexWriteError('symbols already written');
    const idx = new Map<string, number>();
    const e = new Encbuf(1 << 16);
    e.putBE32(0); // length placeholder
    e.putBE32(0); // count placeholder
    let prev: string | null = null;
    let n = 0;
    for (const s of symbols) {
      if (prev !== null && compareStrings(prev, s) >= 0) throw new IndexWriteError(`symbol ${JSON.stringify(s)} out of order`);
      prev = s;
      idx.set(s, n++);
      e.putUvarintStr(s);
    }
    const b = e.buf;
    const dv = new DataView(b.buffer, b.byteOffset);
    const secLen = e.len - 4;
    if (secLen > 0xffffffff) throw new IndexWriteError('symbol table exceeds 4 GiB');
    dv.setUint32(0, secLen, false);
    dv.setUint32(4, n, false);
    e.putCRC32CFrom(4);
    this.toc.symbols = this.sink.pos;
    await this.sink.write(e.bytes());
    this.toc.series = this.sink.pos;
    this.symbolIndex = idx;
  }

  private ref(s: string): number {
    const r = this.symbolIndex!.get(s);
    if (r === undefined) throw new IndexWriteError(`symbol ${JSON.stringify(s)} missing from symbol table`);
    return r;
  }

  /** Adds a series; series must arrive in strictly increasing label order; chunks sorted, non-overlapping. */
  async addSeries(lset: Labels, chunks: readonly IndexChunkMeta[]): Promise<number> {
    if (!this.symbolIndex) throw new IndexWriteError('addSymbols must be called before addSeries');
    if (this.lastSeries !== null && Labels.compare(this.lastSeries, lset) >= 0) {
      throw new IndexWriteError(`out-of-order series added with label set ${lset.toString()}`);
    }
    await this.sink.pad(16);
    const id = this.sink.pos / 16;
    if (id > 0xffffffff) throw new IndexWriteError('series section exceeds 64 GiB');
    const e = this.eb;
    e.reset();
    const f = lset.flat;
    e.putUvarint(f.length / 2);
    for (let i = 0; i < f.length; i += 2) {
      const name = f[i]!;
      const value = f[i + 1]!;
      e.putUvarint(this.ref(name));
      e.putUvarint(this.ref(value));
      let byValue = this.postings.get(name);
      if (!byValue) {
        byValue = new Map();
        this.postings.set(name, byValue);
      }
      const list = byValue.get(value);
      if (list) list.push(id);
      else byValue.set(value, [id]);
    }
    e.putUvarint(chunks.length);
    if (chunks.length > 0) {
      const c0 = chunks[0]!;
      if (c0.maxTime < c0.minTime) throw new IndexWriteError(`chunk maxTime < minTime in ${lset.toString()}`);
      e.putVarint(c0.minTime);
      e.putUvarint(c0.maxTime - c0.minTime);
      e.putUvarint(c0.ref);
      let t0 = c0.maxTime;
      let ref0 = c0.ref;
      for (let i = 1; i < chunks.length; i++) {
        const c = chunks[i]!;
        if (c.minTime - t0 < 0 || c.maxTime < c.minTime) {
          throw new IndexWriteError(`chunks of ${lset.toString()} overlap or are out of order`);
        }
        e.putUvarint(c.minTime - t0);
        e.putUvarint(c.maxTime - c.minTime);
        t0 = c.maxTime;
        e.putVarint(c.ref - ref0);
        ref0 = c.ref;
      }
    }
    const h = this.hb;
    h.reset();
    h.putUvarint(e.len);
    await this.sink.write(h.bytes());
    const crc = crc32c(e.bytes());
    e.putBE32(crc);
    await this.sink.write(e.bytes());
    this.all.push(id);
    this.lastSeries = lset;
    return id;
  }

  /** Writes label indices, postings, both offset tables and the TOC; fsyncs and closes. Returns the file size. */
  async close(): Promise<number> {
    if (this.closed) throw new IndexWriteError('index writer already closed');
    this.closed = true;
    try {
      if (!this.symbolIndex) await this.addSymbols([]);
      const sink = this.sink;
      const toc = this.toc;
      toc.labelIndices = sink.pos;

      const names = [...this.postings.keys()].sort(compareStrings);
      const sortedValues = new Map<string, string[]>();
      for (const n of names) sortedValues.set(n, [...this.postings.get(n)!.keys()].sort(compareStrings));

      // Label indices (one per label name; the all-postings key "" has none).
      const labelIndexOffsets: number[] = [];
      const e = this.eb;
      for (const n of names) {
        const values = sortedValues.get(n)!;
        await sink.pad(4);
        labelIndexOffsets.push(sink.pos);
        e.reset();
        e.putBE32(4 + 4 + 4 * values.length);
        e.putBE32(1);
        e.putBE32(values.length);
        for (const v of values) e.putBE32(this.ref(v));
        e.putCRC32CFrom(4);
        await sink.write(e.bytes());
      }

      // Postings.
      toc.postings = sink.pos;
      await sink.pad(4);
      const postingOffsets: number[] = [];
      const writeList = async (ids: readonly number[]): Promise<void> => {
        await sink.pad(4);
        postingOffsets.push(sink.pos);
        e.reset();
        e.putBE32(4 + 4 * ids.length);
        e.putBE32(ids.length);
        for (const id of ids) e.putBE32(id);
        e.putCRC32CFrom(4);
        await sink.write(e.bytes());
      };
      await writeList(this.all);
      for (const n of names) {
        const byValue = this.postings.get(n)!;
        for (const v of sortedValues.get(n)!) await writeList(byValue.get(v)!);
      }

      // Label index offset table.
      toc.labelIndicesTable = sink.pos;
      e.reset();
      e.putBE32(0);
      e.putBE32(names.length);
      for (let i = 0; i < names.length; i++) {
        e.putUvarint(1);
        e.putUvarintStr(names[i]!);
        e.putUvarint(labelIndexOffsets[i]!);
      }
      await this.writeTable(e);

      // Postings offset table.
      toc.postingsTable = sink.pos;
      e.reset();
      e.putBE32(0);
      e.putBE32(postingOffsets.length);
      let k = 0;
      e.putUvarint(2);
      e.putUvarintStr('');
      e.putUvarintStr('');
      e.putUvarint(postingOffsets[k++]!);
      for (const n of names) {
        for (const v of sortedValues.get(n)!) {
          e.putUvarint(2);
          e.putUvarintStr(n);
          e.putUvarintStr(v);
          e.putUvarint(postingOffsets[k++]!);
        }
      }
      await this.writeTable(e);

      // TOC.
      e.reset();
      e.putBE64(toc.symbols);
      e.putBE64(toc.series);
      e.putBE64(toc.labelIndices);
      e.putBE64(toc.labelIndicesTable);
      e.putBE64(toc.postings);
      e.putBE64(toc.postingsTable);
      e.putCRC32CFrom(0);
      await sink.write(e.bytes());
      await sink.flush();
      await this.fh.sync();
      return sink.pos;
    } finally {
      await this.fh.close();
    }
  }

  /** Fills in the 4-byte length placeholder at the start of `e`, appends the CRC and writes it. */
  private async writeTable(e: Encbuf): Promise<void> {
    const l = e.len - 4;
    if (l > 0xffffffff) throw new IndexWriteError('index table exceeds 4 GiB');
    new DataView(e.buf.buffer, e.buf.byteOffset).setUint32(0, l, false);
    e.putCRC32CFrom(4);
    await this.sink.write(e.bytes());
  }

  /** The TOC (valid after close()). */
  tableOfContents(): TOC {
    return { ...this.toc };
  }

  /** Closes the file without finishing the index (after a failure). */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.fh.close();
    } catch {
      /* ignore */
    }
  }
}
