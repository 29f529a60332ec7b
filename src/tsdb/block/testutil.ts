// Helpers shared by block tests and the block-write benchmark: build XOR chunks from samples the way
// Prometheus cuts them (120 samples per chunk) and read samples back with exact value bits.
import { XORChunk } from '../chunkenc/xor.ts';
import { ValueType } from '../../storage/interfaces.ts';
import type { ChunkMeta, SeriesSet } from '../../storage/interfaces.ts';
import { setFloat64Bits } from '../stale.ts';

export interface Sample {
  t: number;
  v: number;
}

/** Encodes samples (ascending timestamps) into XOR chunks of at most `perChunk` samples. */
export function chunksFromSamples(samples: readonly Sample[], perChunk = 120): ChunkMeta[] {
  const out: ChunkMeta[] = [];
  for (let i = 0; i < samples.length; i += perChunk) {
    const part = samples.slice(i, i + perChunk);
    const c = new XORChunk();
    const a = c.appender();
    for (const s of part) a.append(s.t, s.v);
    out.push({ minTime: part[0]!.t, maxTime: part[part.length - 1]!.t, encoding: 1, data: c.bytes().slice() });
  }
  return out;
}

const f64 = new Float64Array(1);
const dv = new DataView(f64.buffer);
/** The 64 value bits as a hex string (stale markers canonicalised), to compare NaN payloads exactly. */
export function valueBits(v: number): string {
  setFloat64Bits(dv, 0, v, false);
  return dv.getBigUint64(0, false).toString(16).padStart(16, '0');
}

/** Reads a SeriesSet into { labels key → samples }. */
export async function collect(set: SeriesSet): Promise<Map<string, Sample[]>> {
  const out = new Map<string, Sample[]>();
  for await (const s of set) {
    const it = s.iterator();
    const samples: Sample[] = [];
    while (it.next() !== ValueType.None) samples.push({ t: it.t, v: it.v });
    const e = it.err();
    if (e) throw e;
    out.set(s.labels.toString(), samples);
  }
  return out;
}
