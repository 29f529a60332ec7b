import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import snappy from 'snappy';
import {
  DecodeError,
  decodeWriteRequest,
  encodeWriteRequestProto,
  looksLikeSnappyFramed,
  metricTypeFromName,
  metricTypeName,
  setStringInterning,
  snappyUncompressedLength,
  type DecodedWriteRequest,
  type WireHistogram,
  type WriteRequestInput,
} from './codec.ts';
import { encodeWriteRequest } from './client.ts';
import { STALE_NAN, isStaleNaN } from '../tsdb/stale.ts';
import { isValidUTF8String } from '../labels/labels.ts';

// The remote write 1.0 schema written from specs.md §1 (field numbers), for protobufjs reflection.
const PROTO = (packed: boolean): string => `
syntax = "proto3";
package prometheus;
message WriteRequest {
  repeated TimeSeries timeseries = 1;
  reserved 2;
  repeated MetricMetadata metadata = 3;
}
message MetricMetadata {
  enum MetricType { UNKNOWN = 0; COUNTER = 1; GAUGE = 2; HISTOGRAM = 3; GAUGEHISTOGRAM = 4; SUMMARY = 5; INFO = 6; STATESET = 7; }
  MetricType type = 1;
  string metric_family_name = 2;
  string help = 4;
  string unit = 5;
}
message Sample { double value = 1; int64 timestamp = 2; }
message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
message Histogram {
  enum ResetHint { UNKNOWN = 0; YES = 1; NO = 2; GAUGE = 3; }
  oneof count { uint64 count_int = 1; double count_float = 2; }
  double sum = 3;
  sint32 schema = 4;
  double zero_threshold = 5;
  oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
  repeated BucketSpan negative_spans = 8;
  repeated sint64 negative_deltas = 9 [packed=${packed}];
  repeated double negative_counts = 10 [packed=${packed}];
  repeated BucketSpan positive_spans = 11;
  repeated sint64 positive_deltas = 12 [packed=${packed}];
  repeated double positive_counts = 13 [packed=${packed}];
  ResetHint reset_hint = 14;
  int64 timestamp = 15;
  repeated double custom_values = 16 [packed=${packed}];
}
message BucketSpan { sint32 offset = 1; uint32 length = 2; }
message TimeSeries {
  repeated Label labels = 1;
  repeated Sample samples = 2;
  repeated Exemplar exemplars = 3;
  repeated Histogram histograms = 4;
}
message Label { string name = 1; string value = 2; }
`;

const packedRoot = protobuf.parse(PROTO(true), { keepCase: true }).root;
const unpackedRoot = protobuf.parse(PROTO(false), { keepCase: true }).root;
const PackedWR = packedRoot.lookupType('prometheus.WriteRequest');
const UnpackedWR = unpackedRoot.lookupType('prometheus.WriteRequest');

const GOLDEN_OBJ = {
  timeseries: [
    {
      labels: [
        { name: '__name__', value: 'http_requests_total' },
        { name: 'job', value: 'api' },
        { name: 'path', value: '/ü/😀' },
      ],
      samples: [
        { value: 1.5, timestamp: 1700000000000 },
        { value: 2, timestamp: 1700000015000 },
        { value: -3, timestamp: -1000 },
      ],
      exemplars: [{ labels: [{ name: 'trace_id', value: 'abc123' }], value: 0.25, timestamp: 1700000000500 }],
      histograms: [
        {
          count_int: 12,
          sum: 18.4,
          schema: -2,
          zero_threshold: 0.001,
          zero_count_int: 2,
          negative_spans: [{ offset: -3, length: 2 }],
          negative_deltas: [1, -1],
          positive_spans: [
            { offset: 0, length: 2 },
            { offset: 1, length: 1 },
          ],
          positive_deltas: [2, 3, -4],
          reset_hint: 2,
          timestamp: 1700000000000,
        },
        {
          count_float: 7.5,
          sum: 2,
          schema: -53,
          zero_count_float: 0.5,
          positive_spans: [{ offset: 0, length: 3 }],
          positive_counts: [1, 2.5, 3.5],
          custom_values: [0.1, 0.5, 1],
          reset_hint: 3,
          timestamp: 1700000060000,
        },
      ],
    },
    { labels: [{ name: '__name__', value: 'up' }], samples: [{ value: 1, timestamp: 5 }] },
  ],
  metadata: [
    { type: 1, metric_family_name: 'http_requests_total', help: 'Total requests.', unit: '' },
    { type: 3, metric_family_name: 'http_request_duration_seconds', help: 'Latency.', unit: 'seconds' },
  ],
};

function seriesSamples(d: DecodedWriteRequest, i: number): [number, number][] {
  const s = d.series[i]!;
  const out: [number, number][] = [];
  for (let k = s.sampleOffset; k < s.sampleOffset + s.sampleCount; k++) out.push([d.ts[k]!, d.vs[k]!]);
  return out;
}

function checkGoldenDecoded(d: DecodedWriteRequest): void {
  assert.equal(d.series.length, 2);
  assert.deepEqual(d.series[0]!.labels, ['__name__', 'http_requests_total', 'job', 'api', 'path', '/ü/😀']);
  assert.deepEqual(seriesSamples(d, 0), [
    [1700000000000, 1.5],
    [1700000015000, 2],
    [-1000, -3],
  ]);
  assert.deepEqual(seriesSamples(d, 1), [[5, 1]]);
  assert.equal(d.sampleCount, 4);
  assert.deepEqual(d.series[0]!.exemplars, [{ labels: ['trace_id', 'abc123'], value: 0.25, timestamp: 1700000000500 }]);
  const [h1, h2] = d.series[0]!.histograms;
  assert.deepEqual(h1, {
    countInt: 12,
    sum: 18.4,
    schema: -2,
    zeroThreshold: 0.001,
    zeroCountInt: 2,
    negativeSpans: [{ offset: -3, length: 2 }],
    negativeDeltas: [1, -1],
    negativeCounts: new Float64Array(0),
    positiveSpans: [
      { offset: 0, length: 2 },
      { offset: 1, length: 1 },
    ],
    positiveDeltas: [2, 3, -4],
    positiveCounts: new Float64Array(0),
    resetHint: 2,
    timestamp: 1700000000000,
    customValues: new Float64Array(0),
  } satisfies WireHistogram);
  assert.deepEqual(h2, {
    countFloat: 7.5,
    sum: 2,
    schema: -53,
    zeroThreshold: 0,
    zeroCountFloat: 0.5,
    negativeSpans: [],
    negativeDeltas: [],
    negativeCounts: new Float64Array(0),
    positiveSpans: [{ offset: 0, length: 3 }],
    positiveDeltas: [],
    positiveCounts: new Float64Array([1, 2.5, 3.5]),
    resetHint: 3,
    timestamp: 1700000060000,
    customValues: new Float64Array([0.1, 0.5, 1]),
  } satisfies WireHistogram);
  assert.deepEqual(d.series[1]!.histograms, []);
  assert.deepEqual(d.metadata, [
    { type: 1, metricFamilyName: 'http_requests_total', help: 'Total requests.', unit: '' },
    { type: 3, metricFamilyName: 'http_request_duration_seconds', help: 'Latency.', unit: 'seconds' },
  ]);
}

function goldenInput(): WriteRequestInput {
  const g = GOLDEN_OBJ;
  return {
    series: g.timeseries.map((ts) => ({
      labels: ts.labels.flatMap((l) => [l.name, l.value]),
      timestamps: ts.samples.map((s) => s.timestamp),
      values: ts.samples.map((s) => s.value),
      exemplars: (ts.exemplars ?? []).map((e) => ({ labels: e.labels.flatMap((l) => [l.name, l.value]), value: e.value, timestamp: e.timestamp })),
      histograms: (ts.histograms ?? []).map((h) => {
        const o: WireHistogram = {
          sum: h.sum,
          schema: h.schema,
          zeroThreshold: h.zero_threshold ?? 0,
          negativeSpans: h.negative_spans ?? [],
          negativeDeltas: h.negative_deltas ?? [],
          negativeCounts: [],
          positiveSpans: h.positive_spans ?? [],
          positiveDeltas: h.positive_deltas ?? [],
          positiveCounts: h.positive_counts ?? [],
          resetHint: h.reset_hint,
          timestamp: h.timestamp,
          customValues: h.custom_values ?? [],
        };
        if (h.count_int !== undefined) o.countInt = h.count_int;
        if (h.count_float !== undefined) o.countFloat = h.count_float;
        if (h.zero_count_int !== undefined) o.zeroCountInt = h.zero_count_int;
        if (h.zero_count_float !== undefined) o.zeroCountFloat = h.zero_count_float;
        return o;
      }),
    })),
    metadata: g.metadata.map((m) => ({ type: m.type, metricFamilyName: m.metric_family_name, help: m.help, unit: m.unit })),
  };
}

test('golden: hand-assembled bytes from the spec field numbers', () => {
  // WriteRequest{timeseries:[{labels:[{a,b}], samples:[{value:1, timestamp:2}]}]}
  const bytes = Uint8Array.from([
    0x0a, 0x17, // timeseries (field 1, len 23)
    0x0a, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x62, // label {name:"a", value:"b"}
    0x12, 0x0b, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0x02, // sample: value(1, fixed64)=1.0, timestamp(2)=2
    0x12, 0x00, // an empty sample: value 0, timestamp 0
  ]);
  const d = decodeWriteRequest(bytes);
  assert.deepEqual(d.series[0]!.labels, ['a', 'b']);
  assert.deepEqual(seriesSamples(d, 0), [
    [2, 1],
    [0, 0],
  ]);
  const enc = encodeWriteRequestProto({ series: [{ labels: ['a', 'b'], timestamps: [2, 0], values: [1, 0] }] });
  assert.deepEqual(enc, bytes);
});

test('golden: protobufjs-encoded WriteRequest (packed and unpacked) decodes field by field', () => {
  for (const T of [PackedWR, UnpackedWR]) {
    const msg = T.fromObject(GOLDEN_OBJ);
    const bytes = T.encode(msg).finish();
    checkGoldenDecoded(decodeWriteRequest(bytes));
  }
  // The unpacked encoding really differs (repeated scalars one by one).
  const a = PackedWR.encode(PackedWR.fromObject(GOLDEN_OBJ)).finish();
  const b = UnpackedWR.encode(UnpackedWR.fromObject(GOLDEN_OBJ)).finish();
  assert.notDeepEqual(Buffer.from(a), Buffer.from(b));
});

test('golden: our encoding decodes identically with protobufjs, and matches its packed bytes', () => {
  const ours = encodeWriteRequestProto(goldenInput());
  const viaPbjs = PackedWR.toObject(PackedWR.decode(ours), { longs: Number, defaults: false, oneofs: false });
  const expected = PackedWR.toObject(PackedWR.fromObject(GOLDEN_OBJ), { longs: Number, defaults: false, oneofs: false });
  assert.deepEqual(viaPbjs, expected);
  // protobufjs writes fields in field-number order like gogo/Go: the bytes are the same.
  assert.deepEqual(Buffer.from(ours), Buffer.from(PackedWR.encode(PackedWR.fromObject(GOLDEN_OBJ)).finish()));
  checkGoldenDecoded(decodeWriteRequest(ours));
});

test('unknown fields of every wire type are skipped (including groups)', () => {
  // WriteRequest with unknown field 9 varint, 10 fixed32, 11 fixed64, 12 bytes, 13 group, then a series.
  const parts = [
    0x48, 0x96, 0x01, // 9: varint 150
    0x55, 1, 2, 3, 4, // 10: fixed32
    0x59, 1, 2, 3, 4, 5, 6, 7, 8, // 11: fixed64
    0x62, 0x02, 0xaa, 0xbb, // 12: bytes
    0x6b, 0x08, 0x01, 0x6c, // 13: start group { 1: varint 1 } end group
    0x0a, 0x0a, // series
    0x0a, 0x08, 0x0a, 0x01, 0x78, 0x12, 0x01, 0x79, 0x18, 0x05, // label {x,y} + unknown varint field 3
  ];
  const d = decodeWriteRequest(Uint8Array.from(parts));
  assert.deepEqual(d.series[0]!.labels, ['x', 'y']);
});

test('malformed input is rejected with a DecodeError naming what and where', () => {
  const cases: [number[], RegExp][] = [
    [[0x0a], /WriteRequest\.timeseries\[0\]: truncated varint in WriteRequest at offset 1/],
    [[0x0a, 0x05, 0x0a], /length 5 at offset 1 runs past the end/],
    [[0x08, 0x01], /WriteRequest.timeseries: wrong wire type varint/],
    [[0x0a, 0x02, 0x08, 0x01], /timeseries\[0\]: TimeSeries\.labels: wrong wire type varint/],
    [[0x0a, 0x04, 0x12, 0x02, 0x08, 0x01], /timeseries\[0\]: samples\[0\]: Sample\.value: wrong wire type varint/],
    [[0x0a, 0x05, 0x12, 0x03, 0x09, 0x00, 0x00], /samples\[0\]: truncated fixed64 in Sample\.value at offset 4/],
    [[0x0a, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0xc3, 0x28], /WriteRequest\.timeseries\[0\]: labels\[0\]: invalid UTF-8 in Label\.name at offset 6/],
    [[0x0a, 0x04, 0x12, 0x02, 0x10, 0xff], /truncated varint/],
    [[0x00], /invalid field number 0/],
    [[0x4e], /invalid wire type 6/],
    [[0x4c], /unexpected end-group field 9/],
    [[0x0c], /timeseries: wrong wire type end-group/],
    [[0x4b, 0x08], /truncated varint|unterminated group/],
    [[0x48, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /varint longer than 10 bytes/],
    [[0x1a, 0x02, 0x12, 0x01], /metadata\[0\]/],
  ];
  for (const [bytes, re] of cases) {
    assert.throws(
      () => decodeWriteRequest(Uint8Array.from(bytes)),
      (e: unknown) => e instanceof DecodeError && re.test(e.message),
      `bytes ${Buffer.from(bytes).toString('hex')} should fail with ${re}`,
    );
  }
});

test('staleness markers keep their exact bits through decode, and the encoder writes canonical bits', () => {
  const enc = encodeWriteRequestProto({ series: [{ labels: ['__name__', 'x'], timestamps: [1, 2], values: [STALE_NAN, NaN] }] });
  const hex = Buffer.from(enc).toString('hex');
  assert.ok(hex.includes('09' + '020000000000f07f'), 'stale NaN little-endian bits 0x7ff0000000000002');
  const d = decodeWriteRequest(enc);
  assert.ok(isStaleNaN(d.vs[0]!));
  assert.ok(Number.isNaN(d.vs[1]!) && !isStaleNaN(d.vs[1]!));
  const raw = new DataView(d.vs.buffer);
  assert.equal(raw.getBigUint64(0, true), 0x7ff0000000000002n);
});

test('metric type names', () => {
  assert.equal(metricTypeName(1), 'counter');
  assert.equal(metricTypeName(4), 'gaugehistogram');
  assert.equal(metricTypeName(99), 'unknown');
  assert.equal(metricTypeFromName('gauge'), 2);
  assert.equal(metricTypeFromName('stateset'), 7);
});

test('snappy helpers: framed magic and block header length', () => {
  const body = encodeWriteRequest({ series: [{ labels: ['a', 'b'], timestamps: [1], values: [1] }] });
  const proto = encodeWriteRequestProto({ series: [{ labels: ['a', 'b'], timestamps: [1], values: [1] }] });
  assert.equal(snappyUncompressedLength(body), proto.length);
  assert.deepEqual(new Uint8Array(snappy.uncompressSync(body, { asBuffer: true }) as Buffer), proto);
  assert.equal(snappyUncompressedLength(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f])), 2 ** 32 - 1);
  assert.equal(snappyUncompressedLength(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x10])), -1); // over 32 bits
  assert.equal(snappyUncompressedLength(Uint8Array.from([0x80])), -1);
  assert.ok(looksLikeSnappyFramed(Uint8Array.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59, 0])));
  assert.ok(!looksLikeSnappyFramed(body));
});

// ------------------------------------------------------------------------------------------------
// Property tests
// ------------------------------------------------------------------------------------------------

const str = fc.string({ unit: 'binary', maxLength: 20 }).filter(isValidUTF8String);
const labelFlat = fc.array(fc.tuple(str, str), { maxLength: 6 }).map((ps) => ps.flat());
const f64 = fc.oneof(fc.double(), fc.constantFrom(STALE_NAN, NaN, Infinity, -Infinity, -0, 0));
const ts = fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -1e13, max: 1e13 }), fc.constant(0));
const span = fc.record({ offset: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), length: fc.nat({ max: 2 ** 32 - 1 }) }).map((x) => ({ ...x }));
const delta = fc.integer({ min: -(2 ** 31), max: 2 ** 31 }).chain((x) => fc.constantFrom(x, x * 2 ** 20));
const hist: fc.Arbitrary<WireHistogram> = fc
  .record({
    isInt: fc.boolean(),
    count: fc.maxSafeNat(),
    countF: f64,
    sum: f64,
    schema: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    zeroThreshold: f64,
    zcInt: fc.boolean(),
    zc: fc.maxSafeNat(),
    zcF: f64,
    negativeSpans: fc.array(span, { maxLength: 3 }),
    negativeDeltas: fc.array(delta, { maxLength: 4 }),
    negativeCounts: fc.array(f64, { maxLength: 4 }),
    positiveSpans: fc.array(span, { maxLength: 3 }),
    positiveDeltas: fc.array(delta, { maxLength: 4 }),
    positiveCounts: fc.array(f64, { maxLength: 4 }),
    resetHint: fc.integer({ min: 0, max: 3 }),
    timestamp: ts,
    customValues: fc.array(f64, { maxLength: 4 }),
  })
  .map((r) => {
    const h: WireHistogram = {
      sum: r.sum,
      schema: r.schema,
      zeroThreshold: r.zeroThreshold,
      negativeSpans: r.negativeSpans,
      negativeDeltas: r.negativeDeltas,
      negativeCounts: r.negativeCounts,
      positiveSpans: r.positiveSpans,
      positiveDeltas: r.positiveDeltas,
      positiveCounts: r.positiveCounts,
      resetHint: r.resetHint,
      timestamp: r.timestamp,
      customValues: r.customValues,
    };
    if (r.isInt) h.countInt = r.count;
    else h.countFloat = r.countF;
    if (r.zcInt) h.zeroCountInt = r.zc;
    else h.zeroCountFloat = r.zcF;
    return h;
  });

const samples = fc.array(fc.tuple(ts, f64), { maxLength: 8 });
const seriesArb = fc.record({
  labels: labelFlat,
  samples,
  exemplars: fc.array(fc.record({ labels: labelFlat, value: f64, timestamp: ts }), { maxLength: 2 }),
  histograms: fc.array(hist, { maxLength: 2 }),
});
const reqArb = fc.record({
  series: fc.array(seriesArb, { maxLength: 5 }),
  metadata: fc.array(fc.record({ type: fc.integer({ min: 0, max: 7 }), metricFamilyName: str, help: str, unit: str }), { maxLength: 3 }),
}).map((r) => ({ ...r, metadata: r.metadata.map((m) => ({ ...m })) }));

function sameNumber(a: number, b: number): boolean {
  if (Number.isNaN(b)) return Number.isNaN(a) && isStaleNaN(a) === isStaleNaN(b);
  return Object.is(a, b);
}

function assertSameNumbers(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(sameNumber(a[i]!, b[i]!), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('property: encode → decode round trip (labels, samples incl. NaN/±Inf/stale, exemplars, histograms, metadata)', () => {
  for (const intern of [true, false]) {
    const prev = setStringInterning(intern);
    try {
      fc.assert(
        fc.property(reqArb, (r) => {
          const input: WriteRequestInput = {
            series: r.series.map((s) => ({
              labels: s.labels,
              timestamps: s.samples.map((x) => x[0]),
              values: s.samples.map((x) => x[1]),
              exemplars: s.exemplars,
              histograms: s.histograms,
            })),
            metadata: r.metadata,
          };
          const d = decodeWriteRequest(encodeWriteRequestProto(input));
          assert.equal(d.series.length, r.series.length);
          let n = 0;
          r.series.forEach((s, i) => {
            const ds = d.series[i]!;
            assert.deepEqual(ds.labels, s.labels);
            assert.equal(ds.sampleOffset, n);
            assert.equal(ds.sampleCount, s.samples.length);
            n += s.samples.length;
            const got = seriesSamples(d, i);
            assert.deepEqual(
              got.map((x) => x[0]),
              s.samples.map((x) => x[0]),
            );
            assertSameNumbers(
              got.map((x) => x[1]),
              s.samples.map((x) => x[1]),
              'value',
            );
            assert.equal(ds.exemplars.length, s.exemplars.length);
            s.exemplars.forEach((e, j) => {
              const de = ds.exemplars[j]!;
              assert.deepEqual(de.labels, e.labels);
              assert.equal(de.timestamp, e.timestamp);
              assert.ok(sameNumber(de.value, e.value));
            });
            assert.equal(ds.histograms.length, s.histograms.length);
            s.histograms.forEach((h, j) => {
              const dh = ds.histograms[j]!;
              assert.equal(dh.countInt, h.countInt);
              assert.equal(dh.countFloat === undefined, h.countFloat === undefined);
              if (h.countFloat !== undefined) assert.ok(sameNumber(dh.countFloat!, h.countFloat));
              assert.equal(dh.zeroCountInt, h.zeroCountInt);
              assert.equal(dh.zeroCountFloat === undefined, h.zeroCountFloat === undefined);
              if (h.zeroCountFloat !== undefined) assert.ok(sameNumber(dh.zeroCountFloat!, h.zeroCountFloat));
              assert.ok(sameNumber(dh.sum, h.sum));
              assert.ok(sameNumber(dh.zeroThreshold, h.zeroThreshold));
              assert.equal(dh.schema, h.schema);
              assert.deepEqual(dh.negativeSpans, h.negativeSpans);
              assert.deepEqual(dh.positiveSpans, h.positiveSpans);
              assert.deepEqual(dh.negativeDeltas, h.negativeDeltas);
              assert.deepEqual(dh.positiveDeltas, h.positiveDeltas);
              assertSameNumbers(dh.negativeCounts, h.negativeCounts, 'negativeCounts');
              assertSameNumbers(dh.positiveCounts, h.positiveCounts, 'positiveCounts');
              assertSameNumbers(dh.customValues, h.customValues, 'customValues');
              assert.equal(dh.resetHint, h.resetHint);
              assert.equal(dh.timestamp, h.timestamp);
            });
          });
          assert.equal(d.sampleCount, n);
          assert.deepEqual(d.metadata, r.metadata);
        }),
        { numRuns: Number(process.env.RW_RUNS ?? 300) },
      );
    } finally {
      setStringInterning(prev);
    }
  }
});

test('property: protobufjs decodes our encoding to the same message', () => {
  fc.assert(
    fc.property(reqArb, (r) => {
      const input: WriteRequestInput = {
        series: r.series.map((s) => ({ labels: s.labels, timestamps: s.samples.map((x) => x[0]), values: s.samples.map((x) => x[1]) })),
        metadata: r.metadata,
      };
      const m = PackedWR.toObject(PackedWR.decode(encodeWriteRequestProto(input)), { longs: Number, defaults: true }) as {
        timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: number }[] }[];
        metadata: { type: number; metric_family_name: string; help: string; unit: string }[];
      };
      assert.equal(m.timeseries.length, r.series.length);
      r.series.forEach((s, i) => {
        const t = m.timeseries[i]!;
        assert.deepEqual(
          t.labels.flatMap((l) => [l.name, l.value]),
          s.labels,
        );
        assert.deepEqual(
          t.samples.map((x) => x.timestamp),
          s.samples.map((x) => x[0]),
        );
        assertSameNumbers(
          t.samples.map((x) => x.value),
          s.samples.map((x) => x[1]),
          'value',
        );
      });
      assert.deepEqual(
        m.metadata.map((x) => ({ type: x.type, metricFamilyName: x.metric_family_name, help: x.help, unit: x.unit })),
        r.metadata,
      );
    }),
    { numRuns: 200 },
  );
});

test('property: protobufjs-encoded messages (packed or unpacked) decode to what was encoded', () => {
  const pbSeries = fc.record({
    labels: fc.array(fc.record({ name: str, value: str }), { maxLength: 4 }),
    samples: fc.array(fc.record({ value: fc.double({ noNaN: true }), timestamp: fc.integer({ min: -1e12, max: 1e13 }) }), { maxLength: 5 }),
    histograms: fc.array(
      fc.record({
        count_int: fc.nat(),
        schema: fc.integer({ min: -60, max: 8 }),
        positive_deltas: fc.array(fc.integer({ min: -1e9, max: 1e9 }), { maxLength: 4 }),
        negative_counts: fc.array(fc.double({ noNaN: true }), { maxLength: 4 }),
        custom_values: fc.array(fc.double({ noNaN: true }), { maxLength: 3 }),
      }),
      { maxLength: 2 },
    ),
  });
  fc.assert(
    fc.property(fc.array(pbSeries, { maxLength: 4 }), fc.boolean(), (series, packed) => {
      const T = packed ? PackedWR : UnpackedWR;
      const d = decodeWriteRequest(T.encode(T.fromObject({ timeseries: series })).finish());
      assert.equal(d.series.length, series.length);
      series.forEach((s, i) => {
        assert.deepEqual(d.series[i]!.labels, s.labels.flatMap((l) => [l.name, l.value]));
        const got = seriesSamples(d, i);
        assert.deepEqual(
          got.map((x) => x[0]),
          s.samples.map((x) => x.timestamp),
        );
        assertSameNumbers(
          got.map((x) => x[1]),
          s.samples.map((x) => x.value),
          'value',
        );
        s.histograms.forEach((h, j) => {
          const dh = d.series[i]!.histograms[j]!;
          assert.equal(dh.countInt, h.count_int);
          assert.equal(dh.schema, h.schema);
          assert.deepEqual(dh.positiveDeltas, h.positive_deltas);
          assertSameNumbers(dh.negativeCounts, h.negative_counts, 'negativeCounts');
          assertSameNumbers(dh.customValues, h.custom_values, 'customValues');
        });
      });
    }),
    { numRuns: 200 },
  );
});

test('property: random bytes never crash the decoder (result or DecodeError)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      try {
        decodeWriteRequest(b);
      } catch (e) {
        assert.ok(e instanceof DecodeError, `unexpected ${String(e)}`);
      }
    }),
    { numRuns: 2000 },
  );
});

test('property: every truncation and single-byte corruption of a valid request decodes or throws DecodeError', () => {
  fc.assert(
    fc.property(reqArb, fc.nat(), fc.integer({ min: 0, max: 255 }), (r, pos, byte) => {
      const input: WriteRequestInput = {
        series: r.series.map((s) => ({
          labels: s.labels,
          timestamps: s.samples.map((x) => x[0]),
          values: s.samples.map((x) => x[1]),
          histograms: s.histograms,
          exemplars: s.exemplars,
        })),
        metadata: r.metadata,
      };
      const enc = encodeWriteRequestProto(input);
      const tryDecode = (b: Uint8Array): void => {
        try {
          decodeWriteRequest(b);
        } catch (e) {
          assert.ok(e instanceof DecodeError, `unexpected ${String(e)}`);
        }
      };
      const stride = Math.max(1, Math.floor(enc.length / 64));
      for (let cut = 0; cut < enc.length; cut += stride) tryDecode(enc.subarray(0, cut));
      tryDecode(enc.subarray(0, enc.length - 1));
      if (enc.length > 0) {
        const c = enc.slice();
        c[pos % c.length] = byte;
        tryDecode(c);
      }
    }),
    { numRuns: 200 },
  );
});

test('interning returns equal strings for repeated and colliding inputs', () => {
  const names: string[] = [];
  for (let i = 0; i < 5000; i++) names.push(`label_${i}`, `v${i % 97}`);
  const series = [];
  for (let i = 0; i < names.length; i += 2) series.push({ labels: [names[i]!, names[i + 1]!] });
  const enc = encodeWriteRequestProto({ series });
  for (let round = 0; round < 2; round++) {
    const d = decodeWriteRequest(enc);
    assert.deepEqual(
      d.series.flatMap((s) => s.labels),
      names,
    );
  }
});
