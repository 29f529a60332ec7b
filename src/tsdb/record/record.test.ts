import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Labels } from '../../labels/labels.ts';
import { STALE_NAN, isStaleNaN } from '../stale.ts';
import {
  RecordType,
  decodeExemplars,
  decodeMetadata,
  decodeSamples,
  decodeSeries,
  decodeTombstones,
  encodeExemplars,
  encodeMetadata,
  encodeSamples,
  encodeSeries,
  encodeTombstones,
  filterHistogramRecord,
  recordType,
  RecordDecodeError,
} from './record.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

test('series record golden bytes (record.go Encoder.Series layout)', () => {
  const rec = encodeSeries([{ ref: 1, labels: Labels.fromObject({ job: 'a', __name__: 'up' }) }]);
  // type byte Series = 0x01
  // ref 1 as BE uint64: 00 00 00 00 00 00 00 01
  // uvarint label count 2: 02
  // labels sorted by name: "__name__" (uvarint len 8: 08, bytes), "up" (02, bytes),
  //                        "job" (03, bytes), "a" (01, bytes)
  const want = '01' + '0000000000000001' + '02' + '08' + ascii('__name__') + '02' + ascii('up') + '03' + ascii('job') + '01' + ascii('a');
  assert.equal(hex(rec), want);
  assert.equal(recordType(rec), RecordType.Series);
  const d = decodeSeries(rec);
  assert.equal(d.length, 1);
  assert.equal(d[0]!.ref, 1);
  assert.ok(d[0]!.labels.equals(Labels.fromObject({ __name__: 'up', job: 'a' })));
});

test('samples record golden bytes (record.go Encoder.samplesV1 layout)', () => {
  const rec = encodeSamples([5, 7, 4], [1000, 1010, 999], [1.5, STALE_NAN, -2], 3);
  // type Samples = 0x02
  // first ref 5 as BE uint64, first t 1000 (0x3e8) as BE int64
  // sample 1: varint(5-5)=00, varint(1000-1000)=00, 1.5 = 0x3FF8000000000000
  // sample 2: varint(7-5=2) zig-zag 4 = 04, varint(10) zig-zag 20 = 14,
  //           staleness marker canonical bits 0x7FF0000000000002
  // sample 3: varint(4-5=-1) zig-zag 1 = 01, varint(999-1000=-1) = 01, -2 = 0xC000000000000000
  const want =
    '02' + '0000000000000005' + '00000000000003e8' +
    '00' + '00' + '3ff8000000000000' +
    '04' + '14' + '7ff0000000000002' +
    '01' + '01' + 'c000000000000000';
  assert.equal(hex(rec), want);
  const got: [number, number, number][] = [];
  decodeSamples(rec, (r, t, v) => got.push([r, t, v]));
  assert.equal(got.length, 3);
  assert.deepEqual(got[0], [5, 1000, 1.5]);
  assert.equal(got[1]![0], 7);
  assert.equal(got[1]![1], 1010);
  assert.ok(isStaleNaN(got[1]![2]));
  assert.deepEqual(got[2], [4, 999, -2]);
});

test('empty samples record is just the type byte', () => {
  const rec = encodeSamples([], [], [], 0);
  assert.equal(hex(rec), '02');
  let n = 0;
  decodeSamples(rec, () => n++);
  assert.equal(n, 0);
});

test('metadata record golden bytes (record.go Encoder.Metadata layout)', () => {
  const rec = encodeMetadata([{ ref: 300, type: 'counter', unit: 's', help: 'h' }]);
  // type Metadata = 0x06; ref as uvarint: 300 = 0xac 0x02; MetricType Counter = 1;
  // uvarint #fields = 2; "UNIT" (04 …), "s" (01 73), "HELP" (04 …), "h" (01 68)
  const want = '06' + 'ac02' + '01' + '02' + '04' + ascii('UNIT') + '01' + ascii('s') + '04' + ascii('HELP') + '01' + ascii('h');
  assert.equal(hex(rec), want);
  assert.deepEqual(decodeMetadata(rec), [{ ref: 300, type: 'counter', unit: 's', help: 'h' }]);
});

test('exemplar record golden bytes (record.go Encoder.Exemplars layout)', () => {
  const rec = encodeExemplars([{ ref: 2, t: 10, v: 1, labels: Labels.fromObject({ a: 'b' }) }]);
  // 04 | BE64 ref 2 | BE64 t 10 | varint 0 | varint 0 | 1.0 = 3ff0… | labels: 01, 01 'a', 01 'b'
  const want = '04' + '0000000000000002' + '000000000000000a' + '00' + '00' + '3ff0000000000000' + '01' + '01' + ascii('a') + '01' + ascii('b');
  assert.equal(hex(rec), want);
});

test('tombstones record golden bytes (record.go Encoder.Tombstones layout)', () => {
  const rec = encodeTombstones([{ ref: 1, mint: -1, maxt: 64 }]);
  // 03 | BE64 ref 1 | varint(-1)=01 | varint(64)= zig-zag 128 = 80 01
  assert.equal(hex(rec), '03' + '0000000000000001' + '01' + '8001');
  assert.deepEqual(decodeTombstones(rec), [{ ref: 1, mint: -1, maxt: 64 }]);
});

test('decoders reject wrong types and truncated records with RecordDecodeError', () => {
  const s = encodeSeries([{ ref: 1, labels: Labels.fromObject({ a: 'b' }) }]);
  assert.throws(() => decodeSamples(s, () => undefined), RecordDecodeError);
  // Cutting a record at an entry boundary leaves a valid shorter record; every other cut must fail.
  for (let i = 2; i < s.length; i++) assert.throws(() => decodeSeries(s.subarray(0, i)), RecordDecodeError);
  const sm = encodeSamples([1, 2], [3, 4], [5, 6], 2);
  // Entry boundaries: 1 (type only), 17 (first ref/t header), 27 and 37 (after each 10-byte sample).
  for (let i = 2; i < sm.length; i++) {
    if (i === 17 || i === 27) continue;
    assert.throws(() => decodeSamples(sm.subarray(0, i), () => undefined), RecordDecodeError, `cut at ${i}`);
  }
  assert.equal(recordType(new Uint8Array(0)), 255);
});

// ---- property tests -------------------------------------------------------------------------

const refArb = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constant(2 ** 53 - 1), fc.constant(2 ** 32), fc.constant(2 ** 31));
// Timestamps within ±2^51 so that deltas between any two stay exactly representable.
const tsArb = fc.oneof(fc.integer({ min: -(2 ** 51), max: 2 ** 51 }), fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }));
const valueArb = fc.oneof(fc.double(), fc.constant(STALE_NAN), fc.constant(Number.NaN), fc.constant(-0), fc.constant(Infinity), fc.constant(-Infinity));
const strArb = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 10 }), fc.string({ minLength: 60, maxLength: 300 }));
const labelsArb = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ minLength: 1, maxLength: 30 }), { maxKeys: 8 }).map((o) => Labels.fromObject(o));

function sameValue(a: number, b: number): boolean {
  if (isStaleNaN(b)) return isStaleNaN(a);
  if (Number.isNaN(b)) return Number.isNaN(a) && !isStaleNaN(a);
  return Object.is(a, b);
}

test('samples round trip (large refs, negative deltas, staleness NaN bits)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(refArb, tsArb, valueArb), { maxLength: 200 }), (rows) => {
      // Ref deltas must be exact: keep refs near the first one when the first is huge.
      const refs = rows.map((r) => r[0]);
      const ts = rows.map((r) => r[1]);
      const vs = rows.map((r) => r[2]);
      const rec = encodeSamples(refs, ts, vs, rows.length);
      let i = 0;
      decodeSamples(rec, (r, t, v) => {
        assert.equal(r, refs[i]);
        assert.equal(t, ts[i]);
        assert.ok(sameValue(v, vs[i]!), `value ${v} vs ${vs[i]}`);
        i++;
      });
      assert.equal(i, rows.length);
    }),
    { numRuns: 300 },
  );
});

test('staleness marker is written with canonical bits even when quieted', () => {
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  f[0] = STALE_NAN;
  u[1] = u[1]! | 0x00080000; // set the quiet bit, as a JS engine may
  const quiet = f[0]!;
  assert.ok(isStaleNaN(quiet));
  const rec = encodeSamples([1], [1], [quiet], 1);
  assert.equal(hex(rec.subarray(rec.length - 8)), '7ff0000000000002');
});

test('series round trip', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(refArb, labelsArb), { maxLength: 30 }), (rows) => {
      const series = rows.map(([ref, labels]) => ({ ref, labels }));
      const got = decodeSeries(encodeSeries(series));
      assert.equal(got.length, series.length);
      for (let i = 0; i < got.length; i++) {
        assert.equal(got[i]!.ref, series[i]!.ref);
        assert.ok(got[i]!.labels.equals(series[i]!.labels), `${got[i]!.labels} vs ${series[i]!.labels}`);
      }
    }),
    { numRuns: 300 },
  );
});

test('exemplars round trip', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), tsArb, valueArb, labelsArb), { maxLength: 30 }), (rows) => {
      const ex = rows.map(([ref, t, v, labels]) => ({ ref, t, v, labels }));
      const got = decodeExemplars(encodeExemplars(ex));
      assert.equal(got.length, ex.length);
      for (let i = 0; i < got.length; i++) {
        assert.equal(got[i]!.ref, ex[i]!.ref);
        assert.equal(got[i]!.t, ex[i]!.t);
        assert.ok(sameValue(got[i]!.v, ex[i]!.v));
        assert.ok(got[i]!.labels.equals(ex[i]!.labels));
      }
    }),
    { numRuns: 200 },
  );
});

test('metadata round trip', () => {
  const types = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'];
  fc.assert(
    fc.property(fc.array(fc.record({ ref: refArb, type: fc.constantFrom(...types), unit: strArb, help: strArb }), { maxLength: 20 }), (m) => {
      assert.deepEqual(decodeMetadata(encodeMetadata(m)), m.map((x) => ({ ...x })));
    }),
    { numRuns: 200 },
  );
});

test('tombstones round trip', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ ref: refArb, mint: tsArb, maxt: tsArb }), { maxLength: 20 }), (ts) => {
      assert.deepEqual(decodeTombstones(encodeTombstones(ts)), ts.map((x) => ({ ...x })));
    }),
  );
});

test('encoders reject refs that are not safe non-negative integers', () => {
  assert.throws(() => encodeSeries([{ ref: -1, labels: Labels.EMPTY }]), RangeError);
  assert.throws(() => encodeSeries([{ ref: 2 ** 53, labels: Labels.EMPTY }]), RangeError);
  assert.throws(() => encodeSamples([1.5], [0], [0], 1), RangeError);
  assert.throws(() => encodeSamples([0, -1], [0, 0], [0, 0], 2), RangeError);
  assert.throws(() => encodeSamples([1], [0.5], [0], 1), RangeError);
});

test('histogram records (types 7–10) are filtered by mint entry by entry, bytes copied verbatim', () => {
  const z8 = '0000000000000000';
  // Type 7 (integer histograms), record.go Encoder.HistogramSamples V1 layout:
  // header: 07 | BE64 base ref 10 | BE64 base t 1000 (0x3e8)
  const header = '07' + '000000000000000a' + '00000000000003e8';
  // entry 1: dref 0, dt 0 | hint 00 | schema varint 0 | zero threshold f64 | zero count 01 | count 03 |
  //          sum 1.0 | 1 positive span (offset varint 0, length 2) | 0 negative spans |
  //          2 positive buckets (varint 1, 1 → 02 02) | 0 negative buckets
  const e1 = '00' + '00' + '00' + '00' + z8 + '01' + '03' + '3ff0000000000000' + '01' + '00' + '02' + '00' + '02' + '0202' + '00';
  // entry 2: dref 1 (02), dt 100 (zig-zag 200 = c8 01) | hint 00 | schema −53 (zig-zag 105 = 69) |
  //          threshold | zero count 0 | count 0 | sum | no spans | no buckets |
  //          custom-bucket schema ⇒ 2 custom values (f64 each)
  const e2 = '02' + 'c801' + '00' + '69' + z8 + '00' + '00' + z8 + '00' + '00' + '00' + '00' + '02' + '3ff0000000000000' + '4000000000000000';
  const rec = Buffer.from(header + e1 + e2, 'hex');
  assert.equal(filterHistogramRecord(rec, 0), rec);
  assert.equal(hex(filterHistogramRecord(rec, 1050)!), header + e2);
  assert.equal(filterHistogramRecord(rec, 2000), null);
  assert.equal(hex(filterHistogramRecord(rec, 0, (r) => r === 10)!), header + e1);
  // Type 8 (float histograms): counts and buckets are f64.
  const fh = '08' + '0000000000000001' + '0000000000000064';
  const f1 = '00' + '00' + '00' + '02' + z8 + z8 + '4000000000000000' + z8 + '00' + '00' + '01' + '3ff0000000000000' + '00';
  const f2 = '02' + '02' + '00' + '02' + z8 + z8 + z8 + z8 + '00' + '00' + '00' + '00';
  const frec = Buffer.from(fh + f1 + f2, 'hex');
  assert.equal(hex(filterHistogramRecord(frec, 101)!), fh + f2);
  assert.throws(() => filterHistogramRecord(frec.subarray(0, frec.length - 3), 0), RecordDecodeError);
});
