// Decodes a Prometheus XOR chunk where it lies in a larger buffer (a received StoreAPI frame)
// straight into Float64Arrays: the querier reads every selected series this way (benchmark-driven:
// XOR decoding through the iterator was a third of the querier's CPU time). The decoding itself is
// the code base's one bulk XOR decoder, tsdb/chunkenc/xor-bulk.ts (shared with the head's query
// path and downsampling); this module keeps the StoreAPI client's contract on top of it.
import { decodeXORRange, xorBulkError, xorChunkSampleCount, XOR_BULK_INEXACT } from '../tsdb/chunkenc/xor-bulk.ts';
import { XORIterator } from '../tsdb/chunkenc/xor.ts';
import { ValueType } from '../storage/interfaces.ts';

/** Samples in the chunk per its header (0 when too short). */
export function xorSampleCount(buf: Uint8Array, off: number, len: number): number {
  return xorChunkSampleCount(buf, off, len);
}

/** Error of the last decodeXORInto call that returned -1. */
export let xorDecodeError = '';

/**
 * Decodes the chunk at buf[off, off+len) and writes the samples with from ≤ t ≤ to to ts/vs starting
 * at index o (capacity: the chunk's sample count); stops at the first sample after `to`. Returns the
 * index after the last sample written, or -1 when the chunk is malformed (xorDecodeError says why;
 * samples decoded before the error are written).
 */
export function decodeXORInto(buf: Uint8Array, off: number, len: number, from: number, to: number, ts: Float64Array, vs: Float64Array, o: number): number {
  const r = decodeXORRange(buf, off, len, 0xffff, from, to, ts, vs, o, false);
  if (r >= 0) return r;
  if (r !== XOR_BULK_INEXACT) {
    xorDecodeError = xorBulkError;
    return -1;
  }
  // Timestamps beyond 2^53: XORIterator's 64-bit arithmetic (rare; not a hot path).
  const it = new XORIterator(buf.subarray(off, off + len));
  while (it.next() === ValueType.Float) {
    const t = it.t;
    if (t > to) break;
    if (t < from) continue;
    ts[o] = t;
    vs[o] = it.v;
    o++;
  }
  const e = it.err();
  if (e) {
    xorDecodeError = e.message;
    return -1;
  }
  return o;
}
