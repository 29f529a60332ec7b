// Segment files and the page/fragment format of Prometheus `tsdb/wlog` (wlog.go, reader.go).
//
// A segment is a file named by its 8-digit index. It is written in 32 KiB pages; a record is split
// into fragments that never cross a page boundary, each with a 7-byte header:
//   byte 0: [3 bits unused][1 bit zstd][1 bit snappy][3 bits type] (0 = rest of page is zero padding,
//           1 = full record, 2 = first, 3 = middle, 4 = last fragment)
//   bytes 1–2: fragment data length, uint16 big-endian
//   bytes 3–6: CRC32C (Castagnoli) of the fragment data, uint32 big-endian
// When fewer than 7 bytes remain in a page, the rest of the page is zeros. Only the last page of the
// newest segment may be partial; a reader treats bytes past the end of the file as zero padding.
// Records never span segments.
import { open, readdir, rm, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { uncompressSync } from 'snappy';

export const PAGE_SIZE = 32 * 1024;
export const HEADER_SIZE = 7;
export const DEFAULT_SEGMENT_SIZE = 128 * 1024 * 1024;

export const REC_PAGE_TERM = 0;
export const REC_FULL = 1;
export const REC_FIRST = 2;
export const REC_MIDDLE = 3;
export const REC_LAST = 4;
export const SNAPPY_MASK = 1 << 3;
export const ZSTD_MASK = 1 << 4;
export const REC_TYPE_MASK = SNAPPY_MASK - 1;

export const CHECKPOINT_PREFIX = 'checkpoint.';
export const CHECKPOINT_TMP_SUFFIX = '.tmp';

export interface CorruptionInfo {
  segment: number;
  offset: number;
  reason: string;
}

export function segmentName(i: number): string {
  return String(i).padStart(8, '0');
}

export function checkpointName(i: number): string {
  return CHECKPOINT_PREFIX + segmentName(i);
}

/** Segment indexes present in dir (files whose names are decimal integers), ascending. */
export async function listSegments(dir: string): Promise<{ index: number; name: string }[]> {
  const out: { index: number; name: string }[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const index = Number(name);
    if (!Number.isSafeInteger(index)) continue;
    out.push({ index, name });
  }
  out.sort((a, b) => a.index - b.index);
  return out;
}

/** Checkpoint directories checkpoint.NNNNNNNN in dir, ascending by index (temporary ones excluded). */
export async function listCheckpoints(dir: string): Promise<{ index: number; name: string }[]> {
  const out: { index: number; name: string }[] = [];
  let ents;
  try {
    ents = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  for (const e of ents) {
    if (!e.name.startsWith(CHECKPOINT_PREFIX) || !e.isDirectory()) continue;
    const rest = e.name.slice(CHECKPOINT_PREFIX.length);
    if (!/^\d+$/.test(rest)) continue;
    out.push({ index: Number(rest), name: e.name });
  }
  out.sort((a, b) => a.index - b.index);
  return out;
}

/** Removes leftover checkpoint.*.tmp directories (from a crash during checkpointing). */
export async function removeTempCheckpoints(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (n.startsWith(CHECKPOINT_PREFIX) && n.endsWith(CHECKPOINT_TMP_SUFFIX)) {
      await rm(join(dir, n), { recursive: true, force: true });
    }
  }
}

/** Shared read buffers for scanning (one scan at a time per buffer set). */
export class ScanBuffers {
  chunk = new Uint8Array(16 * PAGE_SIZE);
  rec = new Uint8Array(64 * 1024);
}

export interface ScanResult {
  records: number;
  /** File offset just past the last complete record. */
  goodEnd: number;
  corruption: { offset: number; reason: string } | null;
}

/**
 * Reads one segment file, calling onRecord with a fresh copy of each complete, checksum-valid
 * record. Stops at the first torn or corrupt fragment and reports where the last complete record
 * ended. Never throws on bad data (only on I/O errors or if onRecord throws).
 */
export async function scanSegment(path: string, onRecord: ((rec: Uint8Array) => void) | null, bufs: ScanBuffers): Promise<ScanResult> {
  const fh = await open(path, 'r');
  try {
    return await scanHandle(fh, onRecord, bufs);
  } finally {
    await fh.close();
  }
}

async function scanHandle(fh: FileHandle, onRecord: ((rec: Uint8Array) => void) | null, bufs: ScanBuffers): Promise<ScanResult> {
  const size = (await fh.stat()).size;
  const chunk = bufs.chunk;
  let recLen = 0; // bytes of the record being assembled
  let frags = 0; // fragments of the record being assembled
  let recStartOff = 0;
  let records = 0;
  let goodEnd = 0;
  const res = (offset: number, reason: string): ScanResult => ({ records, goodEnd, corruption: { offset, reason } });

  for (let chunkOff = 0; chunkOff < size; chunkOff += chunk.length) {
    const want = Math.min(chunk.length, size - chunkOff);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await fh.read(chunk, got, want - got, chunkOff + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const avail = got; // bytes of this chunk present in the file
    for (let pageStart = 0; pageStart < avail; pageStart += PAGE_SIZE) {
      const pageAvail = Math.min(PAGE_SIZE, avail - pageStart); // < PAGE_SIZE only at EOF
      const pageEnd = pageStart + pageAvail;
      let off = pageStart;
      while (off < pageEnd) {
        const hdr = chunk[off]!;
        const typ = hdr & REC_TYPE_MASK;
        const fileOff = chunkOff + off;
        if (typ === REC_PAGE_TERM) {
          for (let k = off + 1; k < pageEnd; k++) {
            if (chunk[k] !== 0) return res(goodEnd, `unexpected non-zero byte in padded page at ${chunkOff + k}`);
          }
          break;
        }
        if (off + HEADER_SIZE > pageStart + PAGE_SIZE) return res(goodEnd, `fragment header crosses page boundary at ${fileOff}`);
        if (off + HEADER_SIZE > pageEnd) return res(goodEnd, `truncated fragment header at ${fileOff}`);
        const len = (chunk[off + 1]! << 8) | chunk[off + 2]!;
        const crc = ((chunk[off + 3]! << 24) | (chunk[off + 4]! << 16) | (chunk[off + 5]! << 8) | chunk[off + 6]!) >>> 0;
        const dataStart = off + HEADER_SIZE;
        if (len > PAGE_SIZE - HEADER_SIZE) return res(goodEnd, `invalid fragment size ${len} at ${fileOff}`);
        if (dataStart + len > pageStart + PAGE_SIZE) return res(goodEnd, `fragment crosses page boundary at ${fileOff}`);
        if (dataStart + len > pageEnd) return res(goodEnd, `truncated fragment at ${fileOff} (length ${len}, ${pageEnd - dataStart} bytes present)`);
        const data = chunk.subarray(dataStart, dataStart + len);
        const c = crc32c(data) >>> 0;
        if (c !== crc) return res(goodEnd, `unexpected checksum ${c.toString(16)}, expected ${crc.toString(16)} at ${fileOff}`);
        switch (typ) {
          case REC_FULL:
          case REC_FIRST:
            if (frags !== 0) return res(goodEnd, `unexpected ${typ === REC_FULL ? 'full' : 'first'} fragment at ${fileOff} inside a fragmented record`);
            recStartOff = fileOff;
            break;
          case REC_MIDDLE:
          case REC_LAST:
            if (frags === 0) return res(goodEnd, `unexpected ${typ === REC_MIDDLE ? 'middle' : 'last'} fragment at ${fileOff} without a first fragment`);
            break;
          default:
            return res(goodEnd, `unexpected fragment type ${typ} at ${fileOff}`);
        }
        off = dataStart + len;
        if (typ === REC_FULL && (hdr & (SNAPPY_MASK | ZSTD_MASK)) === 0) {
          if (onRecord) onRecord(data.slice());
          records++;
          goodEnd = chunkOff + off;
          continue;
        }
        // Assemble fragments.
        if (recLen + len > bufs.rec.length) {
          let n = bufs.rec.length * 2;
          while (n < recLen + len) n *= 2;
          const nb = new Uint8Array(n);
          nb.set(bufs.rec.subarray(0, recLen));
          bufs.rec = nb;
        }
        bufs.rec.set(data, recLen);
        recLen += len;
        frags++;
        if (typ === REC_FULL || typ === REC_LAST) {
          const raw = bufs.rec.subarray(0, recLen);
          let rec: Uint8Array | null;
          if (hdr & SNAPPY_MASK) {
            try {
              const u = uncompressSync(raw, { asBuffer: true }) as Buffer;
              rec = new Uint8Array(u.buffer, u.byteOffset, u.byteLength);
            } catch (e) {
              return res(goodEnd, `snappy decode of record at ${recStartOff}: ${(e as Error).message}`);
            }
          } else if (hdr & ZSTD_MASK) {
            // zstd-compressed records (Prometheus 3.x) cannot be decoded on this Node version; the
            // record is intact on disk, so skip it rather than declare corruption.
            rec = null;
          } else {
            rec = raw.slice();
          }
          if (rec && onRecord) onRecord(rec);
          if (rec) records++;
          recLen = 0;
          frags = 0;
          goodEnd = chunkOff + off;
        }
      }
    }
  }
  if (frags !== 0) return res(goodEnd, `last record is torn (record at ${recStartOff} has no last fragment)`);
  return { records, goodEnd, corruption: null };
}

export interface ReadDirResult {
  records: number;
  segments: number;
  corrupted: boolean;
}

/**
 * Reads the segments of a WAL directory (from index `from`, optionally up to `to`) in order.
 * With repair, a corrupt segment is truncated to its last complete record and later segments are
 * deleted; corruption is reported through onCorruption. Without repair, corruption is returned.
 */
export async function readSegmentsDir(
  dir: string,
  from: number,
  to: number,
  onRecord: ((rec: Uint8Array) => void) | null,
  opts: { repair: boolean; onCorruption?: ((info: CorruptionInfo) => void) | undefined; bufs?: ScanBuffers },
): Promise<ReadDirResult & { corruption: CorruptionInfo | null }> {
  const bufs = opts.bufs ?? new ScanBuffers();
  const segs = (await listSegments(dir)).filter((s) => s.index >= from && s.index <= to);
  let records = 0;
  let segments = 0;
  let corruption: CorruptionInfo | null = null;
  let stopAt = -1; // position in segs after which files are to be deleted
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (i > 0 && s.index !== segs[i - 1]!.index + 1) {
      corruption = { segment: segs[i - 1]!.index, offset: -1, reason: `segments are not sequential: ${segs[i - 1]!.index} is followed by ${s.index}` };
      stopAt = i - 1;
      break;
    }
    const r = await scanSegment(join(dir, s.name), onRecord, bufs);
    segments++;
    records += r.records;
    if (r.corruption) {
      corruption = { segment: s.index, offset: r.goodEnd, reason: r.corruption.reason };
      stopAt = i;
      if (opts.repair) await truncateFile(join(dir, s.name), r.goodEnd);
      break;
    }
  }
  if (corruption) {
    if (opts.repair) {
      for (let j = stopAt + 1; j < segs.length; j++) await unlink(join(dir, segs[j]!.name)).catch(() => undefined);
      // Later segments beyond `to` also depend on the damaged ones: remove them too.
      if (to !== Infinity) {
        for (const s of await listSegments(dir)) if (s.index > to) await unlink(join(dir, s.name)).catch(() => undefined);
      }
    }
    opts.onCorruption?.(corruption);
  }
  return { records, segments, corrupted: corruption !== null, corruption };
}

async function truncateFile(path: string, len: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(len);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
