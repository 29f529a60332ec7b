// Block tombstones file (Prometheus `tsdb/tombstones/tombstones.go`):
//   magic 0x0130BA30 (BE) | version byte 1 | (uvarint seriesRef, varint mint, varint maxt)… | CRC32C
// The CRC covers the entries only, not the version byte.
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { Decbuf, Encbuf, readBE32 } from '../index/encoding.ts';

export const TOMBSTONES_FILENAME = 'tombstones';
export const MAGIC_TOMBSTONE = 0x0130ba30;
export const TOMBSTONE_FORMAT_V1 = 1;

export interface TombstoneInterval {
  ref: number;
  mint: number;
  maxt: number;
}

export class TombstoneError extends Error {
  override name = 'TombstoneError';
}

export function encodeTombstones(entries: readonly TombstoneInterval[]): Uint8Array {
  const e = new Encbuf(64);
  e.putBE32(MAGIC_TOMBSTONE);
  e.putByte(TOMBSTONE_FORMAT_V1);
  const start = e.len;
  for (const t of entries) {
    e.putUvarint(t.ref);
    e.putVarint(t.mint);
    e.putVarint(t.maxt);
  }
  e.putCRC32CFrom(start);
  return e.bytes().slice();
}

export function decodeTombstones(b: Uint8Array): TombstoneInterval[] {
  if (b.length < 9) throw new TombstoneError('tombstones: file too short');
  if (readBE32(b, 0) !== MAGIC_TOMBSTONE) throw new TombstoneError(`tombstones: invalid magic 0x${readBE32(b, 0).toString(16)}`);
  if (b[4] !== TOMBSTONE_FORMAT_V1) throw new TombstoneError(`tombstones: invalid format ${b[4]}`);
  const body = b.subarray(5, b.length - 4);
  if (crc32c(body) !== readBE32(b, b.length - 4)) throw new TombstoneError('tombstones: checksum did not match');
  const d = new Decbuf(body);
  const out: TombstoneInterval[] = [];
  while (d.remaining() > 0) out.push({ ref: d.uvarint(), mint: d.varint(), maxt: d.varint() });
  return out;
}

/** Writes <dir>/tombstones (fsync'ed). Returns its size. */
export async function writeTombstones(dir: string, entries: readonly TombstoneInterval[] = []): Promise<number> {
  const b = encodeTombstones(entries);
  const fh = await open(join(dir, TOMBSTONES_FILENAME), 'w');
  try {
    await fh.writeFile(b);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return b.length;
}

/** Reads <dir>/tombstones; a missing file means no tombstones. */
export async function readTombstones(dir: string): Promise<TombstoneInterval[]> {
  let b: Uint8Array;
  try {
    b = await readFile(join(dir, TOMBSTONES_FILENAME));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return decodeTombstones(b);
}
