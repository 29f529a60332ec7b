// TSDB index reader (format v2) over a ReadAt. Keeps in memory only the TOC, the symbol table and the
// postings offset table (per label name: sorted values and their list offsets); postings lists and
// series entries are read by range on demand, nearby ranges coalesced into one read.
import { crc32c } from '@node-rs/crc32';
import { Labels, compareStrings } from '../../labels/labels.ts';
import type { Matcher } from '../../labels/matcher.ts';
import type { ReadAt } from '../block/readat.ts';
import { Decbuf, readBE32, utf8String } from './encoding.ts';
import { INDEX_HEADER_SIZE, INDEX_TOC_LEN, MAGIC_INDEX } from './writer.ts';
import type { IndexChunkMeta, TOC } from './writer.ts';

export class IndexFormatError extends Error {
  override name = 'IndexFormatError';
}

export interface SeriesEntry {
  id: number;
  labels: Labels;
  chunks: IndexChunkMeta[];
}

interface NameEntry {
  values: string[];
  /** Offsets of the postings lists, parallel to values. */
  offsets: Float64Array;
}

const EMPTY = new Uint32Array(0);
/** Posting lists / series closer than this are fetched in one read. */
const MAX_GAP = 64 * 1024;
/** Speculative read size for a series entry of unknown length. */
const SERIES_GUESS = 512;
/** Upper bound of one coalesced read. */
const MAX_SPAN = 8 * 1024 * 1024;

export class IndexReader {
  private constructor(
    private readonly r: ReadAt,
    readonly version: number,
    readonly toc: TOC,
    private readonly symbols: string[],
    private readonly names: Map<string, NameEntry>,
    private readonly sortedNames: string[],
    private readonly allOffset: number,
    /** All postings-list offsets in ascending order, to bound each list's read. */
    private readonly allListOffsets: Float64Array,
    readonly size: number,
  ) {}

  static async open(r: ReadAt): Promise<IndexReader> {
    const size = await r.size();
    if (size < INDEX_HEADER_SIZE + INDEX_TOC_LEN) throw new IndexFormatError(`index too small: ${size} bytes`);
    const head = await r.read(0, INDEX_HEADER_SIZE);
    const magic = readBE32(head, 0);
    if (magic !== MAGIC_INDEX) throw new IndexFormatError(`invalid index magic 0x${magic.toString(16)}`);
    const version = head[4]!;
    if (version !== 2) throw new IndexFormatError(`unsupported index version ${version} (only v2 is read)`);

    const tb = await r.read(size - INDEX_TOC_LEN, INDEX_TOC_LEN);
    if (crc32c(tb.subarray(0, 48)) !== readBE32(tb, 48)) throw new IndexFormatError('TOC checksum mismatch');
    const d = new Decbuf(tb, 0, 48);
    const toc: TOC = {
      symbols: d.be64(),
      series: d.be64(),
      labelIndices: d.be64(),
      labelIndicesTable: d.be64(),
      postings: d.be64(),
      postingsTable: d.be64(),
    };
    for (const [k, v] of Object.entries(toc)) {
      if (v > size - INDEX_TOC_LEN) throw new IndexFormatError(`TOC ${k} offset ${v} beyond index end`);
    }

    // Symbols.
    const symSec = await readSection(r, toc.symbols, 'symbols');
    const sd = new Decbuf(symSec);
    const nsym = sd.be32();
    const symbols: string[] = new Array(nsym);
    for (let i = 0; i < nsym; i++) symbols[i] = sd.uvarintStr();

    // Postings offset table.
    const pot = await readSection(r, toc.postingsTable, 'postings offset table');
    const pd = new Decbuf(pot);
    const n = pd.be32();
    const names = new Map<string, NameEntry>();
    const sortedNames: string[] = [];
    let allOffset = -1;
    const all = new Float64Array(n);
    let curName: string | null = null;
    let curVals: string[] = [];
    let curOffs: number[] = [];
    const flush = (): void => {
      if (curName !== null) names.set(curName, { values: curVals, offsets: Float64Array.from(curOffs) });
    };
    let lastNameBytes: Uint8Array | null = null;
    for (let i = 0; i < n; i++) {
      const kc = pd.uvarint();
      if (kc !== 2) throw new IndexFormatError(`postings offset table: unexpected key count ${kc}`);
      const nb = pd.uvarintBytes();
      const value = pd.uvarintStr();
      const off = pd.uvarint();
      all[i] = off;
      if (nb.length === 0) {
        allOffset = off;
        continue;
      }
      if (lastNameBytes === null || !sameBytes(lastNameBytes, nb)) {
        flush();
        curName = utf8String(nb);
        lastNameBytes = nb;
        sortedNames.push(curName);
        curVals = [];
        curOffs = [];
      }
      curVals.push(value);
      curOffs.push(off);
    }
    flush();
    all.sort();
    return new IndexReader(r, version, toc, symbols, names, sortedNames, allOffset, all, size);
  }

  symbol(ref: number): string {
    const s = this.symbols[ref];
    if (s === undefined) throw new IndexFormatError(`symbol ref ${ref} out of range`);
    return s;
  }

  /** Number of symbols. */
  symbolCount(): number {
    return this.symbols.length;
  }

  /** All symbols in order (copy). */
  allSymbols(): string[] {
    return this.symbols.slice();
  }

  /** Label names having postings, sorted (the all-postings key excluded). */
  labelNames(): string[] {
    return this.sortedNames.slice();
  }

  /** Sorted values of `name` (empty when the name is unknown). */
  labelValues(name: string): string[] {
    return this.names.get(name)?.values.slice() ?? [];
  }

  private listEnd(off: number): number {
    // First list offset greater than off, else the end of the postings area.
    const a = this.allListOffsets;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (a[m]! <= off) lo = m + 1;
      else hi = m;
    }
    if (lo < a.length) return a[lo]!;
    let end = this.size - INDEX_TOC_LEN;
    for (const t of [this.toc.labelIndicesTable, this.toc.postingsTable]) if (t > off && t < end) end = t;
    return end;
  }

  /** Reads postings lists at the given offsets (coalescing nearby reads). */
  private async readLists(offsets: readonly number[]): Promise<Uint32Array[]> {
    const order = offsets.map((_, i) => i).sort((a, b) => offsets[a]! - offsets[b]!);
    const out: Uint32Array[] = new Array(offsets.length);
    let i = 0;
    while (i < order.length) {
      let j = i + 1;
      let end = this.listEnd(offsets[order[i]!]!);
      while (j < order.length && offsets[order[j]!]! - end <= MAX_GAP && offsets[order[j]!]! - offsets[order[i]!]! <= MAX_SPAN) {
        end = Math.max(end, this.listEnd(offsets[order[j]!]!));
        j++;
      }
      const start = offsets[order[i]!]!;
      const buf = await this.r.read(start, end - start);
      for (let k = i; k < j; k++) {
        const idx = order[k]!;
        out[idx] = decodePostings(buf, offsets[idx]! - start, offsets[idx]!);
      }
      i = j;
    }
    return out;
  }

  /** Series ids having name=value (empty when absent). ("", "") gives all series. */
  async postings(name: string, value: string): Promise<Uint32Array> {
    if (name === '' && value === '') return this.allPostings();
    const e = this.names.get(name);
    if (!e) return EMPTY;
    const i = binarySearch(e.values, value);
    if (i < 0) return EMPTY;
    return (await this.readLists([e.offsets[i]!]))[0]!;
  }

  async allPostings(): Promise<Uint32Array> {
    if (this.allOffset < 0) throw new IndexFormatError('index has no all-postings list');
    return (await this.readLists([this.allOffset]))[0]!;
  }

  /** Union of the postings of `name` for values accepted by `pred`. */
  async postingsForValues(name: string, pred: (v: string) => boolean): Promise<Uint32Array> {
    const e = this.names.get(name);
    if (!e) return EMPTY;
    const offs: number[] = [];
    for (let i = 0; i < e.values.length; i++) if (pred(e.values[i]!)) offs.push(e.offsets[i]!);
    if (offs.length === 0) return EMPTY;
    return unionAll(await this.readLists(offs));
  }

  /**
   * Series ids matching all matchers (Prometheus PostingsForMatchers semantics: a matcher that
   * matches "" also selects series without the label). With no matchers, all series.
   */
  async postingsForMatchers(matchers: readonly Matcher[]): Promise<Uint32Array> {
    let acc: Uint32Array | null = null;
    const subtract: Uint32Array[] = [];
    for (const m of matchers) {
      if (m.matchesEmpty()) {
        // Series without the label match too: remove those whose value does not match.
        subtract.push(await this.postingsForValues(m.name, (v) => !m.matches(v)));
      } else {
        const p = await this.postingsForValues(m.name, (v) => m.matches(v));
        acc = acc === null ? p : intersect(acc, p);
        if (acc.length === 0) return EMPTY;
      }
    }
    if (acc === null) acc = await this.allPostings();
    for (const s of subtract) if (s.length > 0) acc = without(acc, s);
    return acc;
  }

  /** Reads series entries by id (ids ascending recommended); returns them in the order given. */
  async series(ids: ArrayLike<number>): Promise<SeriesEntry[]> {
    const n = ids.length;
    const out: SeriesEntry[] = new Array(n);
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => ids[a]! - ids[b]!);
    const seriesEnd = this.toc.labelIndices > this.toc.series ? this.toc.labelIndices : this.size - INDEX_TOC_LEN;
    let i = 0;
    while (i < n) {
      let j = i + 1;
      while (
        j < n &&
        (ids[order[j]!]! - ids[order[j - 1]!]!) * 16 <= MAX_GAP &&
        (ids[order[j]!]! - ids[order[i]!]!) * 16 <= MAX_SPAN
      )
        j++;
      const start = ids[order[i]!]! * 16;
      const end = Math.min(seriesEnd, ids[order[j - 1]!]! * 16 + SERIES_GUESS);
      if (start < this.toc.series || start >= seriesEnd) throw new IndexFormatError(`series id ${ids[order[i]!]} out of range`);
      const buf = await this.r.read(start, end - start);
      for (let k = i; k < j; k++) {
        const idx = order[k]!;
        const id = ids[idx]!;
        out[idx] = await this.decodeSeriesAt(buf, id * 16 - start, id, seriesEnd);
      }
      i = j;
    }
    return out;
  }

  private async decodeSeriesAt(buf: Uint8Array, p: number, id: number, seriesEnd: number): Promise<SeriesEntry> {
    let d = new Decbuf(buf, p);
    let len: number;
    try {
      len = d.uvarint();
    } catch {
      const b = await this.r.read(id * 16, Math.min(10, seriesEnd - id * 16));
      return this.decodeSeriesAt(await this.readFullSeries(b, id), 0, id, seriesEnd);
    }
    if (d.off + len + 4 > buf.length) {
      const full = await this.r.read(id * 16, d.off - p + len + 4);
      if (full.length < d.off - p + len + 4) throw new IndexFormatError(`series ${id}: truncated`);
      return this.decodeSeriesAt(full, 0, id, seriesEnd);
    }
    const content = buf.subarray(d.off, d.off + len);
    if (crc32c(content) !== readBE32(buf, d.off + len)) throw new IndexFormatError(`series ${id}: checksum mismatch`);
    d = new Decbuf(content);
    const nl = d.uvarint();
    const flat: string[] = new Array(nl * 2);
    for (let i = 0; i < nl * 2; i++) flat[i] = this.symbol(d.uvarint());
    const nc = d.uvarint();
    const chunks: IndexChunkMeta[] = new Array(nc);
    if (nc > 0) {
      let mint = d.varint();
      let maxt = mint + d.uvarint();
      let ref = d.uvarint();
      chunks[0] = { minTime: mint, maxTime: maxt, ref };
      for (let i = 1; i < nc; i++) {
        mint = maxt + d.uvarint();
        maxt = mint + d.uvarint();
        ref += d.varint();
        chunks[i] = { minTime: mint, maxTime: maxt, ref };
      }
    }
    return { id, labels: Labels.fromSortedFlat(flat), chunks };
  }

  private async readFullSeries(head: Uint8Array, id: number): Promise<Uint8Array> {
    const d = new Decbuf(head);
    const len = d.uvarint();
    return this.r.read(id * 16, d.off + len + 4);
  }

  async close(): Promise<void> {
    await this.r.close?.();
  }
}

/** Reads a `len(BE32) | content | CRC32C` section at `off`, verifies it, returns the content. */
async function readSection(r: ReadAt, off: number, what: string): Promise<Uint8Array> {
  const lb = await r.read(off, 4);
  if (lb.length < 4) throw new IndexFormatError(`${what}: truncated length`);
  const len = readBE32(lb, 0);
  const b = await r.read(off + 4, len + 4);
  if (b.length < len + 4) throw new IndexFormatError(`${what}: truncated`);
  const content = b.subarray(0, len);
  if (crc32c(content) !== readBE32(b, len)) throw new IndexFormatError(`${what}: checksum mismatch`);
  return content;
}

function decodePostings(buf: Uint8Array, p: number, fileOff: number): Uint32Array {
  if (p + 8 > buf.length) throw new IndexFormatError(`postings at ${fileOff}: truncated`);
  const len = readBE32(buf, p);
  if (p + 4 + len + 4 > buf.length) throw new IndexFormatError(`postings at ${fileOff}: truncated list`);
  const content = buf.subarray(p + 4, p + 4 + len);
  if (crc32c(content) !== readBE32(buf, p + 4 + len)) throw new IndexFormatError(`postings at ${fileOff}: checksum mismatch`);
  const n = readBE32(content, 0);
  if (4 + 4 * n !== len) throw new IndexFormatError(`postings at ${fileOff}: bad length`);
  const out = new Uint32Array(n);
  const dv = new DataView(content.buffer, content.byteOffset + 4, 4 * n);
  for (let i = 0; i < n; i++) out[i] = dv.getUint32(4 * i, false);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function binarySearch(a: readonly string[], s: string): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const m = (lo + hi) >>> 1;
    const c = compareStrings(a[m]!, s);
    if (c === 0) return m;
    if (c < 0) lo = m + 1;
    else hi = m - 1;
  }
  return -1;
}

/** Union of sorted id lists. */
export function unionAll(lists: readonly Uint32Array[]): Uint32Array {
  if (lists.length === 0) return EMPTY;
  if (lists.length === 1) return lists[0]!;
  let total = 0;
  for (const l of lists) total += l.length;
  const all = new Uint32Array(total);
  let o = 0;
  for (const l of lists) {
    all.set(l, o);
    o += l.length;
  }
  all.sort();
  let w = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[w - 1]) all[w++] = all[i]!;
  return all.subarray(0, w);
}

export function intersect(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(Math.min(a.length, b.length));
  let i = 0;
  let j = 0;
  let w = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out[w++] = x;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out.subarray(0, w);
}

export function without(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length);
  let i = 0;
  let j = 0;
  let w = 0;
  while (i < a.length) {
    const x = a[i]!;
    while (j < b.length && b[j]! < x) j++;
    if (j < b.length && b[j] === x) {
      i++;
      continue;
    }
    out[w++] = x;
    i++;
  }
  return out.subarray(0, w);
}
