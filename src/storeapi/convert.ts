// Conversions between the StoreAPI wire messages (ts-proto generated, int64 as bigint) and Strata's
// storage types (Labels, Matcher, millisecond numbers).
import xxhashInit from 'xxhash-wasm';
import { status as Status } from '@grpc/grpc-js';
import { Labels, compareStrings } from '../labels/labels.ts';
import { Matcher, type MatchType } from '../labels/matcher.ts';
import { ChunkEncoding } from '../storage/interfaces.ts';
import type { Label, ZLabelSet } from './gen/store/labelpb/types.ts';
import { Chunk_Encoding, LabelMatcher_Type, type LabelMatcher } from './gen/store/storepb/types.ts';

const xx = await xxhashInit();

export const MAX_INT64 = 9223372036854775807n;
export const MIN_INT64 = -9223372036854775808n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/**
 * int64 milliseconds → number. Values beyond ±2^53 (Thanos uses math.MinInt64/MaxInt64 and
 * Prometheus' MinTime/MaxTime as "unbounded") are clamped to the safe-integer range, which keeps
 * them "unbounded" for every real timestamp.
 */
export function msFromInt64(v: bigint): number {
  if (v > MAX_SAFE) return Number.MAX_SAFE_INTEGER;
  if (v < MIN_SAFE) return Number.MIN_SAFE_INTEGER;
  return Number(v);
}

/** number milliseconds → int64; ±Infinity and values at/beyond ±(2^53−1) become MaxInt64/MinInt64. */
export function msToInt64(v: number): bigint {
  if (Number.isNaN(v)) throw new RangeError('timestamp is NaN');
  if (v >= Number.MAX_SAFE_INTEGER) return MAX_INT64;
  if (v <= Number.MIN_SAFE_INTEGER) return MIN_INT64;
  return BigInt(Math.trunc(v));
}

/** A non-negative int64 count/limit → number (clamped; negatives are 0 = unlimited). */
export function countFromInt64(v: bigint): number {
  if (v <= 0n) return 0;
  return v > MAX_SAFE ? Number.MAX_SAFE_INTEGER : Number(v);
}

const TYPE_TO_OP: Record<number, MatchType> = {
  [LabelMatcher_Type.EQ]: '=',
  [LabelMatcher_Type.NEQ]: '!=',
  [LabelMatcher_Type.RE]: '=~',
  [LabelMatcher_Type.NRE]: '!~',
};

const OP_TO_TYPE: Record<MatchType, LabelMatcher_Type> = {
  '=': LabelMatcher_Type.EQ,
  '!=': LabelMatcher_Type.NEQ,
  '=~': LabelMatcher_Type.RE,
  '!~': LabelMatcher_Type.NRE,
};

/** Error with a gRPC status code (servers report it as that status). */
export class StoreApiError extends Error {
  override name = 'StoreApiError';
  constructor(
    readonly code: Status,
    message: string,
  ) {
    super(message);
  }
}

/** Wire matchers → Matchers; bad types or regexes throw StoreApiError(INVALID_ARGUMENT). */
export function matchersFromProto(ms: readonly LabelMatcher[]): Matcher[] {
  const out: Matcher[] = [];
  for (const m of ms) {
    const op = TYPE_TO_OP[m.type];
    if (op === undefined) throw new StoreApiError(Status.INVALID_ARGUMENT, `unrecognized label matcher type ${m.type}`);
    try {
      out.push(new Matcher(op, m.name, m.value));
    } catch (e) {
      throw new StoreApiError(Status.INVALID_ARGUMENT, `invalid matcher ${m.name}${op}${JSON.stringify(m.value)}: ${(e as Error).message}`);
    }
  }
  return out;
}

export function matchersToProto(ms: readonly Matcher[]): LabelMatcher[] {
  return ms.map((m) => ({ type: OP_TO_TYPE[m.type], name: m.name, value: m.value }));
}

export function labelsToProto(l: Labels): Label[] {
  const f = l.flat;
  const out: Label[] = new Array(f.length >>> 1);
  for (let i = 0; i < f.length; i += 2) out[i >>> 1] = { name: f[i]!, value: f[i + 1]! };
  return out;
}

/** Wire labels → Labels; trusts already sorted, duplicate-free, non-empty input, else normalises. */
export function labelsFromProto(ls: readonly Label[]): Labels {
  const flat: string[] = new Array(ls.length * 2);
  let ok = true;
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    if (l.value === '' || (i > 0 && compareStrings(ls[i - 1]!.name, l.name) >= 0)) ok = false;
    flat[2 * i] = l.name;
    flat[2 * i + 1] = l.value;
  }
  return ok ? Labels.fromSortedFlat(flat) : Labels.fromPairs(ls);
}

export function labelSetsToProto(sets: readonly Labels[]): ZLabelSet[] {
  return sets.map((l) => ({ labels: labelsToProto(l) }));
}

/** chunkenc encoding (XOR = 1, …) → StoreAPI Chunk.Encoding (one lower); null if not representable. */
export function chunkEncodingToProto(enc: number): Chunk_Encoding | null {
  switch (enc) {
    case ChunkEncoding.XOR:
      return Chunk_Encoding.XOR;
    case ChunkEncoding.Histogram:
      return Chunk_Encoding.HISTOGRAM;
    case ChunkEncoding.FloatHistogram:
      return Chunk_Encoding.FLOAT_HISTOGRAM;
    default:
      return null;
  }
}

export function chunkEncodingFromProto(t: Chunk_Encoding): number {
  return t + 1;
}

/** xxhash64 (seed 0) of chunk bytes, as Thanos puts in Chunk.hash. */
export function chunkHash(data: Uint8Array): bigint {
  return xx.h64Raw(data, 0n);
}
