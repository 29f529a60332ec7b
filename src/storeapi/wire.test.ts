// Wire golden tests: the generated StoreAPI/Info codecs must produce exactly the protobuf bytes that
// follow from the Thanos field numbers and wire types (specs.md §8; thanos-io/thanos
// pkg/store/storepb/{rpc,types}.proto, pkg/info/infopb/rpc.proto). Every fixture below is written
// by hand: a field's tag byte is (field_number << 3) | wire_type with wire type 0 = varint,
// 2 = length-delimited; proto3 omits fields holding their default (0, false, "", empty); int64 is a
// plain (not zigzag) varint, so negatives take 10 bytes; packed repeated enums are one
// length-delimited field. A cross-check against protobufjs (an independent encoder loading the same
// .proto files) covers random messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { LabelMatcher, LabelMatcher_Type, Chunk, Chunk_Encoding, AggrChunk, Series } from './gen/store/storepb/types.ts';
import { SeriesRequest, SeriesResponse, LabelNamesRequest, LabelValuesRequest, Aggr } from './gen/store/storepb/rpc.ts';
import { InfoResponse } from './gen/info/infopb/rpc.ts';
import { MAX_INT64, MIN_INT64 } from './convert.ts';

const enc = (s: string): number[] => [...Buffer.from(s, 'utf8')];
const bytes = (...parts: (number | number[])[]): Uint8Array => Uint8Array.from(parts.flat());

test('LabelMatcher: type=1 varint, name=2 and value=3 length-delimited', () => {
  // {type: RE (2), name: "job", value: "api.*"}
  const fixture = bytes(
    0x08, 0x02, // field 1 (type), wire type 0: (1<<3)|0 = 0x08; RE = 2
    0x12, 0x03, enc('job'), // field 2 (name), wire type 2: (2<<3)|2 = 0x12; length 3
    0x1a, 0x05, enc('api.*'), // field 3 (value): (3<<3)|2 = 0x1a; length 5
  );
  const m = { type: LabelMatcher_Type.RE, name: 'job', value: 'api.*' };
  assert.deepEqual(LabelMatcher.encode(m).finish(), fixture);
  assert.deepEqual(LabelMatcher.decode(fixture), m);
  // EQ = 0 is the proto3 default and is not written at all.
  const eq = bytes(0x12, 0x01, enc('a'), 0x1a, 0x01, enc('b'));
  assert.deepEqual(LabelMatcher.encode({ type: LabelMatcher_Type.EQ, name: 'a', value: 'b' }).finish(), eq);
  assert.equal(LabelMatcher.decode(eq).type, LabelMatcher_Type.EQ);
  // NEQ = 1, NRE = 3.
  assert.deepEqual(LabelMatcher.encode({ type: LabelMatcher_Type.NEQ, name: '', value: '' }).finish(), bytes(0x08, 0x01));
  assert.deepEqual(LabelMatcher.encode({ type: LabelMatcher_Type.NRE, name: '', value: '' }).finish(), bytes(0x08, 0x03));
});

test('SeriesRequest: field numbers 1..16 with varint, packed and length-delimited encodings', () => {
  const req = SeriesRequest.fromPartial({
    minTime: 1000n,
    maxTime: 2000n,
    matchers: [{ type: LabelMatcher_Type.EQ, name: '__name__', value: 'up' }],
    maxResolutionWindow: 300000n,
    aggregates: [Aggr.COUNT, Aggr.SUM],
    partialResponseDisabled: true,
    partialResponseStrategy: 1, // ABORT
    skipChunks: true,
    step: 15000n,
    range: 60000n,
    withoutReplicaLabels: ['replica'],
    limit: 5n,
    responseBatchSize: 64n,
  });
  const fixture = bytes(
    0x08, 0xe8, 0x07, // 1 min_time: 1000 = 0b111_1101000 → 0xE8 (low 7 bits + continuation), 0x07
    0x10, 0xd0, 0x0f, // 2 max_time: 2000 = 0x7D0 → 0xD0, 0x0F
    0x1a, 0x0e, // 3 matchers, length 14 = LabelMatcher{name: "__name__" (2+8), value: "up" (2+2)}
    0x12, 0x08, enc('__name__'),
    0x1a, 0x02, enc('up'),
    0x20, 0xe0, 0xa7, 0x12, // 4 max_resolution_window (4<<3|0 = 0x20): 300000 = 0x493E0 → E0 A7 12
    0x2a, 0x02, 0x01, 0x02, // 5 aggregates, packed (5<<3|2 = 0x2a): COUNT=1, SUM=2
    0x30, 0x01, // 6 partial_response_disabled (6<<3|0)
    0x38, 0x01, // 7 partial_response_strategy ABORT = 1
    0x40, 0x01, // 8 skip_chunks
    0x50, 0x98, 0x75, // 10 step (10<<3|0 = 0x50): 15000 = 0x3A98 → 98 75
    0x58, 0xe0, 0xd4, 0x03, // 11 range (0x58): 60000 = 0xEA60 → E0 D4 03
    0x72, 0x07, enc('replica'), // 14 without_replica_labels (14<<3|2 = 0x72)
    0x78, 0x05, // 15 limit (15<<3|0 = 0x78)
    0x80, 0x01, 0x40, // 16 response_batch_size: tag 16<<3|0 = 128 needs two varint bytes (80 01); 64
  );
  assert.deepEqual(SeriesRequest.encode(req).finish(), fixture);
  assert.deepEqual(SeriesRequest.decode(fixture), req);
});

test('SeriesRequest: int64 extremes (math.MinInt64/MaxInt64 as Thanos sends them) are exact 10/9-byte varints', () => {
  const req = SeriesRequest.fromPartial({ minTime: MIN_INT64, maxTime: MAX_INT64 });
  const fixture = bytes(
    // -2^63 as uint64 is 2^63: nine groups of 7 zero bits with continuation, then bit 63 → 0x01
    0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
    // 2^63-1: 63 one-bits = nine 7-bit groups, the last without continuation
    0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
  );
  assert.deepEqual(SeriesRequest.encode(req).finish(), fixture);
  const back = SeriesRequest.decode(fixture);
  assert.equal(back.minTime, MIN_INT64);
  assert.equal(back.maxTime, MAX_INT64);
  // -1 is ten bytes (sign-extended to 64 bits), not zigzag.
  assert.deepEqual(
    SeriesRequest.encode(SeriesRequest.fromPartial({ minTime: -1n })).finish(),
    bytes(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
  );
});

test('Chunk: type=1 (XOR=0 omitted), data=2, hash=3 uint64', () => {
  const c = { type: Chunk_Encoding.XOR, data: Uint8Array.from([0x00, 0x01, 0x02]), hash: 300n };
  const fixture = bytes(
    0x12, 0x03, 0x00, 0x01, 0x02, // 2 data (2<<3|2)
    0x18, 0xac, 0x02, // 3 hash (3<<3|0): 300 = 0b10_0101100 → AC 02
  );
  assert.deepEqual(Chunk.encode(c).finish(), fixture);
  assert.deepEqual(Chunk.decode(fixture), c);
  // HISTOGRAM = 1, FLOAT_HISTOGRAM = 2 (one lower than chunkenc's 2 and 3).
  assert.deepEqual(Chunk.encode({ type: Chunk_Encoding.HISTOGRAM, data: new Uint8Array(0), hash: 0n }).finish(), bytes(0x08, 0x01));
  assert.deepEqual(Chunk.encode({ type: Chunk_Encoding.FLOAT_HISTOGRAM, data: new Uint8Array(0), hash: 0n }).finish(), bytes(0x08, 0x02));
  // A full uint64 hash: 2^64-1 is ten bytes.
  assert.deepEqual(
    Chunk.encode({ type: 0, data: new Uint8Array(0), hash: 0xffffffffffffffffn }).finish(),
    bytes(0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
  );
});

const chunkFixture = [0x12, 0x03, 0x00, 0x01, 0x02, 0x18, 0xac, 0x02]; // 8 bytes, see above

test('AggrChunk: min_time=1, max_time=2, raw=3 … counter=8', () => {
  const a = AggrChunk.fromPartial({
    minTime: 1000n,
    maxTime: 2000n,
    raw: { type: Chunk_Encoding.XOR, data: Uint8Array.from([0, 1, 2]), hash: 300n },
  });
  const fixture = bytes(0x08, 0xe8, 0x07, 0x10, 0xd0, 0x0f, 0x1a, 0x08, chunkFixture);
  assert.deepEqual(AggrChunk.encode(a).finish(), fixture);
  assert.deepEqual(AggrChunk.decode(fixture), a);
  // Downsampled aggregates: count=4 (0x22), sum=5 (0x2a), min=6 (0x32), max=7 (0x3a), counter=8 (0x42).
  const empty = { type: 0, data: Uint8Array.from([9]), hash: 0n };
  const agg = AggrChunk.fromPartial({ count: empty, sum: empty, min: empty, max: empty, counter: empty });
  const inner = [0x12, 0x01, 0x09];
  assert.deepEqual(
    AggrChunk.encode(agg).finish(),
    bytes(0x22, 0x03, inner, 0x2a, 0x03, inner, 0x32, 0x03, inner, 0x3a, 0x03, inner, 0x42, 0x03, inner),
  );
});

test('SeriesResponse: series=1, warning=2, batch=4 (oneof)', () => {
  const series = Series.fromPartial({
    labels: [{ name: '__name__', value: 'up' }],
    chunks: [{ minTime: 1000n, maxTime: 2000n, raw: { type: 0, data: Uint8Array.from([0, 1, 2]), hash: 300n } }],
  });
  const label = [0x0a, 0x08, ...enc('__name__'), 0x12, 0x02, ...enc('up')]; // Label{name=1, value=2}: 14 bytes
  const aggr = [0x08, 0xe8, 0x07, 0x10, 0xd0, 0x0f, 0x1a, 0x08, ...chunkFixture]; // 16 bytes
  const seriesBytes = [0x0a, 14, ...label, 0x12, 16, ...aggr]; // Series{labels=1, chunks=2}: 34 bytes
  const fixture = bytes(0x0a, 34, seriesBytes);
  assert.deepEqual(SeriesResponse.encode({ series }).finish(), fixture);
  assert.deepEqual(SeriesResponse.decode(fixture), { series, warning: undefined, hints: undefined, batch: undefined });

  const warn = bytes(0x12, 0x04, enc('oops'));
  assert.deepEqual(SeriesResponse.encode({ warning: 'oops' }).finish(), warn);
  assert.equal(SeriesResponse.decode(warn).warning, 'oops');
  // An empty warning is still present on the wire (oneof members are always written).
  assert.deepEqual(SeriesResponse.encode({ warning: '' }).finish(), bytes(0x12, 0x00));

  // batch (4<<3|2 = 0x22) of SeriesBatch{series=1}.
  const batch = bytes(0x22, 36, 0x0a, 34, seriesBytes);
  assert.deepEqual(SeriesResponse.encode({ batch: { series: [series] } }).finish(), batch);
  assert.deepEqual(SeriesResponse.decode(batch).batch, { series: [series] });
});

test('LabelNamesRequest / LabelValuesRequest: start/end/matchers/limit numbering (values shifted by one)', () => {
  const m = [0x12, 0x01, ...enc('a'), 0x1a, 0x01, ...enc('b')]; // {EQ, a, b}
  assert.deepEqual(
    LabelNamesRequest.encode(
      LabelNamesRequest.fromPartial({ start: 1n, end: 2n, matchers: [{ name: 'a', value: 'b' }], withoutReplicaLabels: ['r'], limit: 3n }),
    ).finish(),
    // 3 start (0x18), 4 end (0x20), 6 matchers (0x32), 7 without_replica_labels (0x3a), 8 limit (0x40)
    bytes(0x18, 0x01, 0x20, 0x02, 0x32, m.length, m, 0x3a, 0x01, enc('r'), 0x40, 0x03),
  );
  assert.deepEqual(
    LabelValuesRequest.encode(
      LabelValuesRequest.fromPartial({ label: 'job', start: 1n, end: 2n, matchers: [{ name: 'a', value: 'b' }], withoutReplicaLabels: ['r'], limit: 3n }),
    ).finish(),
    // 1 label (0x0a), 4 start (0x20), 5 end (0x28), 7 matchers (0x3a), 8 without_replica_labels (0x42), 9 limit (0x48)
    bytes(0x0a, 0x03, enc('job'), 0x20, 0x01, 0x28, 0x02, 0x3a, m.length, m, 0x42, 0x01, enc('r'), 0x48, 0x03),
  );
});

test('InfoResponse: label_sets=1, ComponentType=2, store=3 {min_time=1, max_time=2, supports_sharding=3, supports_without_replica_labels=5}', () => {
  const info = InfoResponse.fromPartial({
    labelSets: [{ labels: [{ name: 'replica', value: 'a' }] }],
    ComponentType: 'receive',
    store: { minTime: 1000n, maxTime: MAX_INT64, supportsSharding: false, supportsWithoutReplicaLabels: true },
  });
  const label = [0x0a, 0x07, ...enc('replica'), 0x12, 0x01, ...enc('a')]; // 12 bytes
  const fixture = bytes(
    0x0a, 14, 0x0a, 12, label, // 1 label_sets: ZLabelSet{labels=1}
    0x12, 0x07, enc('receive'), // 2 ComponentType
    0x1a, 15, // 3 store: StoreInfo, 15 bytes
    0x08, 0xe8, 0x07, // min_time 1000
    0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, // max_time MaxInt64
    0x28, 0x01, // 5 supports_without_replica_labels (5<<3|0); 3 supports_sharding=false omitted; 4 is reserved
  );
  assert.deepEqual(InfoResponse.encode(info).finish(), fixture);
  assert.deepEqual(InfoResponse.decode(fixture), info);
  // An empty StoreInfo still marks the Store API as present: 0x1a 0x00.
  assert.deepEqual(InfoResponse.encode(InfoResponse.fromPartial({ store: {} })).finish(), bytes(0x1a, 0x00));
});

test('unknown fields from newer peers are skipped when decoding', () => {
  // SeriesRequest with field 99 (varint) and field 100 (length-delimited) before min_time.
  const withUnknown = bytes(0x98, 0x06, 0x07, 0xa2, 0x06, 0x02, 0xaa, 0xbb, 0x08, 0x05);
  assert.equal(SeriesRequest.decode(withUnknown).minTime, 5n);
});

test('property: generated codecs agree byte-for-byte with protobufjs on the same .proto files', async () => {
  const root = new protobuf.Root();
  const protoDir = fileURLToPath(new URL('./proto/', import.meta.url));
  root.resolvePath = (_origin, target) => (target.startsWith('google/') ? target : protoDir + target);
  await root.load(['store/storepb/rpc.proto', 'info/infopb/rpc.proto'], { keepCase: false });
  const PjsResponse = root.lookupType('thanos.SeriesResponse');
  const PjsRequest = root.lookupType('thanos.SeriesRequest');

  const str = fc.string({ unit: 'grapheme', maxLength: 12 });
  const i64 = fc.bigInt({ min: MIN_INT64, max: MAX_INT64 });
  const chunk = fc.record({ type: fc.constantFrom(0, 1, 2), data: fc.uint8Array({ maxLength: 40 }), hash: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) });
  const aggr = fc.record({ minTime: i64, maxTime: i64, raw: fc.option(chunk, { nil: undefined }), count: fc.option(chunk, { nil: undefined }) });
  const series = fc.record({ labels: fc.array(fc.record({ name: str, value: str }), { maxLength: 5 }), chunks: fc.array(aggr, { maxLength: 4 }) });
  const matcher = fc.record({ type: fc.constantFrom(0, 1, 2, 3), name: str, value: str });
  const request = fc.record({
    minTime: i64,
    maxTime: i64,
    matchers: fc.array(matcher, { maxLength: 4 }),
    skipChunks: fc.boolean(),
    withoutReplicaLabels: fc.array(str, { maxLength: 3 }),
    limit: i64,
    aggregates: fc.array(fc.constantFrom(0, 1, 2, 3, 4, 5), { maxLength: 4 }),
  });

  // protobufjs wants int64 as Long/number/string; decimal strings keep the full 64 bits.
  const toPjs = (v: unknown): unknown => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return v;
    if (Array.isArray(v)) return v.map(toPjs);
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = toPjs(x);
      return o;
    }
    return v;
  };

  fc.assert(
    fc.property(series, (s) => {
      const ours = SeriesResponse.encode({ series: Series.fromPartial(s) }).finish();
      const theirs = PjsResponse.encode(PjsResponse.fromObject(toPjs({ series: s }) as Record<string, unknown>)).finish();
      assert.deepEqual(Buffer.from(ours), Buffer.from(theirs));
      assert.deepEqual(SeriesResponse.decode(ours).series, Series.fromPartial(s));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(request, (r) => {
      const ours = SeriesRequest.encode(SeriesRequest.fromPartial(r)).finish();
      const theirs = PjsRequest.encode(PjsRequest.fromObject(toPjs(r) as Record<string, unknown>)).finish();
      assert.deepEqual(Buffer.from(ours), Buffer.from(theirs));
      assert.deepEqual(SeriesRequest.decode(ours), SeriesRequest.fromPartial(r));
    }),
    { numRuns: 300 },
  );
});
