import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { crc32c } from '@node-rs/crc32';
import { XORChunk, XORIterator } from './xor.ts';
import { ValueType } from '../../storage/interfaces.ts';
import type { SampleIterator } from '../../storage/interfaces.ts';
import { STALE_NAN, isStaleNaN } from '../stale.ts';

/** Builds bytes from a bit string written MSB first; spaces/underscores are for readability, the tail is zero-padded. */
function bits(s: string): Uint8Array {
  const b = s.replace(/[\s_|]/g, '');
  assert.match(b, /^[01]*$/);
  const out = new Uint8Array(Math.ceil(b.length / 8));
  for (let i = 0; i < b.length; i++) if (b[i] === '1') out[i >> 3]! |= 0x80 >> (i & 7);
  return out;
}
/** n-bit two's complement binary of x (x may be negative), MSB first. */
function bin(x: number | bigint, n: number): string {
  return BigInt.asUintN(n, BigInt(x)).toString(2).padStart(n, '0');
}
function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function encode(samples: readonly (readonly [number, number])[]): XORChunk {
  const c = new XORChunk();
  const a = c.appender();
  for (const [t, v] of samples) a.append(t, v);
  return c;
}

function decode(c: XORChunk | Uint8Array, reuse?: SampleIterator): [number, number][] {
  const chunk = c instanceof XORChunk ? c : new XORChunk(c);
  const it = chunk.iterator(reuse);
  const out: [number, number][] = [];
  while (it.next() === ValueType.Float) out.push([it.t, it.v]);
  assert.equal(it.err(), null);
  return out;
}

function sameValue(a: number, b: number): boolean {
  if (Number.isNaN(a)) return Number.isNaN(b) && isStaleNaN(a) === isStaleNaN(b);
  return Object.is(a, b);
}

function assertSamples(got: [number, number][], want: readonly (readonly [number, number])[]): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    assert.equal(got[i]![0], want[i]![0], `t[${i}]`);
    assert.ok(sameValue(got[i]![1], want[i]![1]), `v[${i}]: got ${got[i]![1]} want ${want[i]![1]}`);
  }
}

// 64-bit patterns of the values used below (IEEE-754, from the standard, not from our encoder).
const ONE = '0011111111110000' + '0'.repeat(48); // 1.0 = 0x3FF0000000000000
const TWO_XOR_ONE = '0111111111110000' + '0'.repeat(48); // 2.0 ^ 1.0 = 0x4000… ^ 0x3FF0… = 0x7FF0000000000000

test('golden: empty chunk is a zero count header', () => {
  assert.equal(hex(new XORChunk().bytes()), '0000');
  assert.equal(new XORChunk().numSamples(), 0);
});

test('golden: one sample = header, varint t, 64 raw value bits', () => {
  // count 1 = 00 01; varint(1000): zig-zag 2000 = 15*128 + 80 → LEB128 [0x80|80, 15] = d0 0f;
  // 1.0 = 3ff0000000000000.
  assert.equal(hex(encode([[1000, 1]]).bytes()), '0001' + 'd00f' + '3ff0000000000000');
  // Negative t: varint(-1) zig-zags to 1 → 01; varint(-65) → 129 → [0x81, 0x01].
  assert.equal(hex(encode([[-1, 0]]).bytes()), '0001' + '01' + '0000000000000000');
  assert.equal(hex(encode([[-65, 0]]).bytes()), '0001' + '8101' + '0000000000000000');
});

test('golden: second sample uvarint delta, dod buckets and XOR value windows', () => {
  // t: 1000, 1015, 1030, 1046, 1062 ; v: 1, 1, 1, 2, 1
  const got = encode([
    [1000, 1],
    [1015, 1],
    [1030, 1],
    [1046, 2],
    [1062, 1],
  ]).bytes();
  const want = bits(
    '00000000 00000101' + // count 5
      '11010000 00001111' + // varint(1000) = d0 0f
      ONE + // raw value 1.0
      '00001111' + // uvarint(15)
      '0' + // v same as before
      '0' + // dod 15-15 = 0
      '0' + // v same
      '10' + bin(1, 14) + // dod 16-15 = 1 → 14-bit bucket
      '11' + bin(1, 5) + bin(11, 6) + TWO_XOR_ONE.slice(1, 12) + // xor 0x7FF0…: leading 1, trailing 52, 11 significant bits, new window
      '0' + // dod 16-16 = 0
      '10' + TWO_XOR_ONE.slice(1, 12), // 1.0^2.0 is the same xor: fits the window (1, 52) → '10' + 11 bits
  );
  assert.equal(hex(got), hex(want));
});

test('golden: dod bucket edges are asymmetric −(2^(n−1)−1) … +2^(n−1)', () => {
  // Base: t0 = 0, t1 = 100 (delta 100). Each case: t2 = 200 + dod, so dod = (t2 - t1) - 100.
  const cases: [number, string][] = [
    [8192, '10' + bin(8192, 14)], // +2^13 still 14 bits
    [-8191, '10' + bin(-8191, 14)], // −(2^13−1) still 14 bits
    [-8192, '110' + bin(-8192, 17)], // one below: 17 bits
    [8193, '110' + bin(8193, 17)],
    [65536, '110' + bin(65536, 17)], // +2^16
    [-65535, '110' + bin(-65535, 17)],
    [-65536, '1110' + bin(-65536, 20)],
    [65537, '1110' + bin(65537, 20)],
    [524288, '1110' + bin(524288, 20)], // +2^19
    [-524287, '1110' + bin(-524287, 20)],
    [-524288, '1111' + bin(-524288, 64)],
    [524289, '1111' + bin(524289, 64)],
    [2 ** 40, '1111' + bin(2 ** 40, 64)],
  ];
  for (const [dod, dodBits] of cases) {
    const got = encode([
      [0, 0],
      [100, 0],
      [200 + dod, 0],
    ]).bytes();
    const want = bits('00000000 00000011' + '00000000' + '0'.repeat(64) + bin(100, 8) + '0' + dodBits + '0');
    assert.equal(hex(got), hex(want), `dod ${dod}`);
    assertSamples(decode(got), [
      [0, 0],
      [100, 0],
      [200 + dod, 0],
    ]);
  }
});

test('golden: leading zeros clamp to 31, 0 significant bits means 64', () => {
  // 0 then 5e-324 (bits 0x…01): xor = 1, 63 leading zeros → clamped to 31, trailing 0,
  // significant = 64 − 31 − 0 = 33 bits: 32 zeros and a one.
  const c1 = encode([
    [0, 0],
    [1, 5e-324],
  ]).bytes();
  assert.equal(
    hex(c1),
    hex(bits('00000000 00000010' + '00000000' + '0'.repeat(64) + '00000001' + '11' + '11111' + bin(33, 6) + '0'.repeat(32) + '1')),
  );
  // 0 then −5e-324 (bits 0x8000000000000001): leading 0, trailing 0 → 64 significant bits, written as 000000.
  const c2 = encode([
    [0, 0],
    [1, -5e-324],
  ]).bytes();
  assert.equal(
    hex(c2),
    hex(bits('00000000 00000010' + '00000000' + '0'.repeat(64) + '00000001' + '11' + '00000' + '000000' + '1' + '0'.repeat(62) + '1')),
  );
  assertSamples(decode(c1), [
    [0, 0],
    [1, 5e-324],
  ]);
  assertSamples(decode(c2), [
    [0, 0],
    [1, -5e-324],
  ]);
});

test('golden: staleness marker is written as 0x7ff0000000000002 and read back as stale', () => {
  const c = encode([
    [5, STALE_NAN],
    [6, NaN],
  ]);
  const b = c.bytes();
  assert.equal(hex(b.subarray(0, 11)), '0002' + '0a' + '7ff0000000000002');
  const got = decode(c);
  assert.ok(isStaleNaN(got[0]![1]));
  assert.ok(Number.isNaN(got[1]![1]) && !isStaleNaN(got[1]![1]));
});

// --- property tests ---

const valueArb = fc.oneof(
  { weight: 5, arbitrary: fc.double() }, // includes NaN, ±Inf, −0
  { weight: 1, arbitrary: fc.constantFrom(STALE_NAN, NaN, Infinity, -Infinity, -0, 0, 1, 5e-324, -5e-324) },
  { weight: 3, arbitrary: fc.integer({ min: -1000, max: 1000 }) },
);
const tsArb = fc.oneof(
  fc.maxSafeInteger(),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
);

test('property: arbitrary timestamps (any order, huge/negative deltas) and values round-trip', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(tsArb, valueArb), { maxLength: 200 }), (samples) => {
      const c = encode(samples);
      assert.equal(c.numSamples(), samples.length);
      assertSamples(decode(c), samples);
      // Wrapping the bytes decodes the same.
      assertSamples(decode(new XORChunk(c.bytes().slice())), samples);
    }),
    { numRuns: 300 },
  );
});

test('property: realistic scrape series (increasing, jittered) round-trip and reuse iterators', () => {
  const series = fc
    .record({
      start: fc.integer({ min: 0, max: 2 ** 45 }),
      step: fc.integer({ min: 1, max: 120_000 }),
      jitter: fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 240 }),
      vals: fc.array(valueArb, { minLength: 240, maxLength: 240 }),
    })
    .map(({ start, step, jitter, vals }) => {
      const s: [number, number][] = [];
      let t = start;
      for (let i = 0; i < jitter.length; i++) {
        t += step + jitter[i]!;
        if (s.length && t <= s[s.length - 1]![0]) t = s[s.length - 1]![0] + 1;
        s.push([t, vals[i]!]);
      }
      return s;
    });
  let reuse: SampleIterator | undefined;
  fc.assert(
    fc.property(series, (samples) => {
      const c = encode(samples);
      const it = c.iterator(reuse);
      reuse = it;
      assertSamples(decode(c, it), samples);
    }),
    { numRuns: 300 },
  );
});

test('property: appender on a decoded chunk continues the stream', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(tsArb, valueArb), { minLength: 0, maxLength: 60 }),
      fc.array(fc.tuple(tsArb, valueArb), { minLength: 0, maxLength: 60 }),
      (first, second) => {
        const c = encode(first);
        const d = new XORChunk(c.bytes().slice());
        const a = d.appender();
        for (const [t, v] of second) a.append(t, v);
        assertSamples(decode(d), [...first, ...second]);
        // The original chunk is untouched.
        assertSamples(decode(c), first);
      },
    ),
    { numRuns: 200 },
  );
});

test('appender() twice on a chunk built here continues where the previous left off', () => {
  const c = new XORChunk();
  c.appender().append(1000, 1);
  c.appender().append(2000, 2);
  const a = c.appender();
  a.append(3000, 2);
  a.append(4500, 7.25);
  assertSamples(decode(c), [
    [1000, 1],
    [2000, 2],
    [3000, 2],
    [4500, 7.25],
  ]);
});

test('iterator seek semantics', () => {
  const samples: [number, number][] = [
    [10, 1],
    [20, 2],
    [30, 3],
    [40, 4],
  ];
  const c = encode(samples);
  let it = c.iterator();
  assert.equal(it.seek(5), ValueType.Float); // before first → first
  assert.equal(it.t, 10);
  assert.equal(it.seek(5), ValueType.Float); // seeking backwards is a no-op
  assert.equal(it.t, 10);
  assert.equal(it.seek(20), ValueType.Float); // exact hit
  assert.equal(it.t, 20);
  assert.equal(it.v, 2);
  assert.equal(it.seek(25), ValueType.Float); // between → next
  assert.equal(it.t, 30);
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.t, 40);
  assert.equal(it.seek(41), ValueType.None); // past the end
  assert.equal(it.next(), ValueType.None);
  it = c.iterator(it); // reset via reuse
  assert.equal(it.seek(40), ValueType.Float);
  assert.equal(it.v, 4);
  assert.equal(new XORChunk().iterator().seek(0), ValueType.None);
});

test('truncated chunk bytes report an error instead of garbage', () => {
  const c = encode([
    [1, 1],
    [2, 2],
    [3, 3.5],
  ]);
  const b = c.bytes();
  const cut = new XORChunk(b.slice(0, b.length - 2));
  const it = cut.iterator();
  let n = 0;
  while (it.next() === ValueType.Float) n++;
  assert.ok(n < 3);
  assert.ok(it.err() instanceof Error);
});

test('chunk bytes written by real Prometheus (promtool create-blocks-from openmetrics) decode and re-encode identically', (t) => {
  assert.ok(existsSync('/usr/bin/promtool'), "promtool is missing: install Debian's prometheus, promtool and prometheus-node-exporter (.ci/run does: apt-get install -y prometheus prometheus-node-exporter)");
  const dir = mkdtempSync(join(tmpdir(), 'strata-xor-'));
  try {
    // Series with irregular ms timestamps, special values and value patterns hitting every branch.
    const series: Record<string, [number, number][]> = {
      'a="irregular"': [],
      'a="special"': [
        [1000_000, 0],
        [1000_015, NaN],
        [1000_030, Infinity],
        [1000_045, -Infinity],
        [1000_060, -0],
        [1000_075, 1e300],
        [1000_090, -1e-300],
        [1000_105, 42],
      ],
      'a="counter"': [],
    };
    let t0 = 1_000_000;
    for (let i = 0; i < 100; i++) {
      t0 += 15_000 + ((i * 7919) % 2001) - 1000 + (i % 17 === 0 ? 300_000 : 0);
      // promtool parses the seconds as a float and truncates seconds*1000; keep timestamps whose
      // 3-decimal text survives that conversion exactly.
      while (Math.trunc(Number((t0 / 1000).toFixed(3)) * 1000) !== t0) t0++;
      series['a="irregular"']!.push([t0, Math.sin(i) * 1000]);
      series['a="counter"']!.push([1_000_000 + i * 30_000, i * 3 + (i > 50 ? 0.5 : 0)]);
    }
    const fmt = (v: number): string =>
      Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : Object.is(v, -0) ? '-0' : String(v);
    let om = '# TYPE m gauge\n';
    for (const [ls, samples] of Object.entries(series)) {
      for (const [ts, v] of samples) om += `m{${ls}} ${fmt(v)} ${(ts / 1000).toFixed(3)}\n`;
    }
    om += '# EOF\n';
    writeFileSync(join(dir, 'in.om'), om);
    const r = spawnSync('/usr/bin/promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'in.om'), join(dir, 'out')], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const blocks = readdirSync(join(dir, 'out'));
    assert.equal(blocks.length, 1, 'all samples fall into one 2h block');
    const file = readFileSync(join(dir, 'out', blocks[0]!, 'chunks', '000001'));
    // Segment header: magic 0x85BD40DD, version 1, 3 padding bytes.
    assert.equal(file.readUInt32BE(0), 0x85bd40dd);
    assert.equal(file[4], 1);
    const chunks: Uint8Array[] = [];
    let off = 8;
    while (off < file.length) {
      let len = 0;
      let shift = 0;
      for (;;) {
        const b = file[off++]!;
        len |= (b & 0x7f) << shift;
        shift += 7;
        if (b < 0x80) break;
      }
      const enc = file[off]!;
      assert.equal(enc, 1, 'XOR encoding');
      const data = file.subarray(off + 1, off + 1 + len);
      const crc = file.readUInt32BE(off + 1 + len);
      assert.equal(crc32c(file.subarray(off, off + 1 + len)) >>> 0, crc);
      chunks.push(new Uint8Array(data));
      off += 1 + len + 4;
    }
    assert.equal(chunks.length, 3);
    const wanted = Object.values(series);
    for (const data of chunks) {
      const got = decode(data);
      const match = wanted.find((s) => s[0]![0] === got[0]![0] && s.length === got.length && s[s.length - 1]![0] === got[got.length - 1]![0]);
      assert.ok(match, `chunk with first t ${got[0]![0]} matches an input series`);
      assertSamples(got, match);
      // Our encoder produces the same bytes from the decoded samples. (Decoded values, not the
      // inputs: Go's NaN is 0x7ff8000000000001, JavaScript's NaN is 0x7ff8000000000000; the
      // decoded value keeps Go's payload.)
      assert.equal(hex(encode(got).bytes()), hex(data));
      if (!match.some(([, v]) => Number.isNaN(v))) assert.equal(hex(encode(match).bytes()), hex(data));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- reference encoder: the writer's bytes against a plain bit-at-a-time transcription ---
//
// A deliberately simple encoder written from Prometheus' xorAppender.Append / xorWrite and bstream
// (one bit per call, BigInt int64/uint64 arithmetic, no buffering tricks), i.e. the behaviour the
// word-at-a-time writer (put/putBits, one capacity check per sample, merged fields) must keep.

class RefBitWriter {
  readonly bytes: number[] = [0, 0];
  private n = 16;
  bit(b: boolean): void {
    if (this.n % 8 === 0) this.bytes.push(0);
    if (b) this.bytes[this.bytes.length - 1]! |= 0x80 >> (this.n % 8);
    this.n++;
  }
  bits(v: bigint, n: number): void {
    for (let k = n - 1; k >= 0; k--) this.bit(((v >> BigInt(k)) & 1n) === 1n);
  }
  uvarint(u: bigint): void {
    while (u >= 0x80n) {
      this.bits((u & 0x7fn) | 0x80n, 8);
      u >>= 7n;
    }
    this.bits(u, 8);
  }
}

function refFloatBits(v: number): bigint {
  if (isStaleNaN(v)) return 0x7ff0000000000002n;
  return new BigUint64Array(new Float64Array([v]).buffer)[0]!;
}

function refEncode(samples: readonly (readonly [number, number])[]): Uint8Array {
  const w = new RefBitWriter();
  let t = 0n;
  let tDelta = 0n;
  let v = 0n;
  let leading = 0xff;
  let trailing = 0;
  const xorWrite = (nv: bigint): void => {
    const delta = nv ^ v;
    if (delta === 0n) {
      w.bit(false);
      return;
    }
    w.bit(true);
    const s = delta.toString(2);
    let newLeading = 64 - s.length;
    const newTrailing = s.length - 1 - s.lastIndexOf('1');
    if (newLeading >= 32) newLeading = 31;
    if (leading !== 0xff && newLeading >= leading && newTrailing >= trailing) {
      w.bit(false);
      w.bits(delta >> BigInt(trailing), 64 - leading - trailing);
      return;
    }
    leading = newLeading;
    trailing = newTrailing;
    w.bit(true);
    w.bits(BigInt(leading), 5);
    const sig = 64 - leading - trailing;
    w.bits(BigInt(sig), 6); // 64 keeps only its low 6 bits: 0
    w.bits(delta >> BigInt(trailing), sig);
  };
  samples.forEach(([ts, val], i) => {
    const T = BigInt.asIntN(64, BigInt(ts));
    const V = refFloatBits(val);
    if (i === 0) {
      w.uvarint(BigInt.asUintN(64, (T << 1n) ^ (T >> 63n)));
      w.bits(V, 64);
    } else if (i === 1) {
      tDelta = BigInt.asIntN(64, T - t);
      w.uvarint(BigInt.asUintN(64, T - t));
      xorWrite(V);
    } else {
      const d = BigInt.asIntN(64, T - t);
      const dod = BigInt.asIntN(64, d - tDelta);
      const inBucket = (n: number): boolean => -(2n ** BigInt(n - 1) - 1n) <= dod && dod <= 2n ** BigInt(n - 1);
      if (dod === 0n) w.bit(false);
      else if (inBucket(14)) (w.bits(0b10n, 2), w.bits(BigInt.asUintN(14, dod), 14));
      else if (inBucket(17)) (w.bits(0b110n, 3), w.bits(BigInt.asUintN(17, dod), 17));
      else if (inBucket(20)) (w.bits(0b1110n, 4), w.bits(BigInt.asUintN(20, dod), 20));
      else (w.bits(0b1111n, 4), w.bits(BigInt.asUintN(64, dod), 64));
      tDelta = d;
      xorWrite(V);
    }
    t = T;
    v = V;
  });
  const out = Uint8Array.from(w.bytes);
  out[0] = samples.length >> 8;
  out[1] = samples.length & 0xff;
  return out;
}

test('reference encoder agrees with the golden bytes above', () => {
  // Cross-check the reference itself on a spec-derived case: 2 samples, dod buckets edges.
  const s: [number, number][] = [[1000, 1], [1015, 2], [1030, 2], [1045 + 8192, 2], [1060 + 8192 + 8193, 1]];
  assert.equal(hex(refEncode(s)), hex(encode(s).bytes()));
  assert.equal(hex(refEncode([])), '0000');
  assert.equal(hex(refEncode([[0, 1]])), hex(bits('00000000 00000001' + '00000000' + ONE)));
});

/** Appends with appendMany in a few runs (split points from `cuts`), as the downsampler does. */
function encodeMany(samples: readonly (readonly [number, number])[], cuts: readonly number[], initialCapacity?: number): XORChunk {
  const c = new XORChunk(undefined, undefined, initialCapacity);
  const a = c.appender();
  const ts = Float64Array.from(samples, (s) => s[0]);
  const vs = samples.map((s) => s[1]); // a plain array keeps NaN payloads (stale markers) exact
  let from = 0;
  for (const cut of [...cuts.map((x) => Math.floor(x * samples.length)).sort((x, y) => x - y), samples.length]) {
    if (cut < from) continue;
    a.appendMany(ts, vs, from, cut);
    from = cut;
  }
  return c;
}

const jitteredSeries = fc
  .record({
    start: fc.integer({ min: -(2 ** 40), max: 2 ** 45 }),
    step: fc.integer({ min: 0, max: 120_000 }),
    jitter: fc.array(fc.oneof(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -600_000, max: 600_000 }), fc.constant(0)), { minLength: 0, maxLength: 400 }),
    vals: fc.array(valueArb, { minLength: 400, maxLength: 400 }),
    walk: fc.boolean(),
  })
  .map(({ start, step, jitter, vals, walk }) => {
    const s: [number, number][] = [];
    let t = start;
    let acc = 1000.0064;
    for (let i = 0; i < jitter.length; i++) {
      t += step + jitter[i]!;
      // Either arbitrary values or a counter-like walk (small XORs: the '10' window path).
      const v = walk ? (acc += Math.abs(Number.isFinite(vals[i]!) ? vals[i]! % 13 : 1)) : vals[i]!;
      s.push([t, v]);
    }
    return s;
  });

test('property: append() and appendMany() write the reference encoder\'s bytes (arbitrary samples)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(tsArb, valueArb), { maxLength: 120 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }), (samples, cuts) => {
      const want = hex(refEncode(samples));
      assert.equal(hex(encode(samples).bytes()), want);
      assert.equal(hex(encodeMany(samples, cuts).bytes()), want);
    }),
    { numRuns: 400 },
  );
});

test('property: append() and appendMany() write the reference encoder\'s bytes (jittered series, buffer growth)', () => {
  fc.assert(
    fc.property(jitteredSeries, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }), fc.integer({ min: 4, max: 600 }), (samples, cuts, cap) => {
      const want = hex(refEncode(samples));
      assert.equal(hex(encode(samples).bytes()), want);
      const c = encodeMany(samples, cuts, cap);
      assert.equal(hex(c.bytes()), want);
      assertSamples(decode(c), samples);
    }),
    { numRuns: 300 },
  );
});

test('appendMany continues a chunk wrapped from bytes and stops at 65535 samples like append', () => {
  const first: [number, number][] = [[10, 1], [20, 2], [31, 2.5]];
  const more: [number, number][] = Array.from({ length: 50 }, (_, i) => [40 + i * 10 + (i % 3), i * 0.5] as [number, number]);
  const c = new XORChunk(encode(first).bytes().slice());
  c.appender().appendMany(more.map((s) => s[0]), more.map((s) => s[1]));
  assert.equal(hex(c.bytes()), hex(refEncode([...first, ...more])));

  const full = new XORChunk();
  const n = 0xffff;
  const ts = Float64Array.from({ length: n + 1 }, (_, i) => i * 1000);
  const vs = Float64Array.from({ length: n + 1 }, (_, i) => i % 7);
  const a = full.appender();
  assert.throws(() => a.appendMany(ts, vs), RangeError);
  assert.equal(full.numSamples(), n);
});

/** Samples via next() (optionally without stale markers), plus the error message. */
function viaNext(data: Uint8Array, dropStale: boolean): [[number, number][], string] {
  const it = new XORIterator(data);
  const out: [number, number][] = [];
  while (it.next() === ValueType.Float) if (!(dropStale && isStaleNaN(it.v))) out.push([it.t, it.v]);
  return [out, it.err()?.message ?? ''];
}

function viaReadInto(data: Uint8Array, dropStale: boolean, off: number): [[number, number][], string] {
  const it = new XORIterator(data);
  const cap = off + ((data[0]! << 8) | data[1]!);
  const ts = new Float64Array(cap);
  const vs = new Float64Array(cap);
  const n = it.readInto(ts, vs, off, dropStale);
  const out: [number, number][] = [];
  for (let i = off; i < off + n; i++) out.push([ts[i]!, vs[i]!]);
  return [out, it.err()?.message ?? ''];
}

test('property: XORIterator.readInto returns what next() does (whole, truncated and corrupted chunks)', () => {
  fc.assert(
    fc.property(
      fc.oneof(jitteredSeries, fc.array(fc.tuple(tsArb, valueArb), { maxLength: 120 })),
      fc.boolean(),
      fc.integer({ min: 0, max: 5 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer({ min: 0, max: 255 }),
      (samples, dropStale, off, cutAt, flip) => {
        const full = encode(samples).bytes().slice();
        const cut = full.subarray(0, Math.max(2, Math.floor(full.length * cutAt)));
        const bad = full.slice();
        if (bad.length > 2) bad[2 + Math.floor((bad.length - 2) * cutAt) % (bad.length - 2)]! ^= flip;
        for (const data of [full, cut, bad]) {
          const [want, wantErr] = viaNext(data, dropStale);
          const [got, gotErr] = viaReadInto(data, dropStale, off);
          assert.equal(gotErr, wantErr);
          assert.equal(got.length, want.length);
          for (let i = 0; i < want.length; i++) {
            assert.equal(got[i]![0], want[i]![0]);
            // Compare bits (stale markers stored in a Float64Array keep their payload or come back quiet).
            assert.ok(sameValue(got[i]![1], want[i]![1]) || (Number.isNaN(got[i]![1]) && Number.isNaN(want[i]![1])), `v[${i}]`);
          }
        }
        // Without stale markers among the inputs nothing is dropped.
        if (!dropStale) assert.equal(viaReadInto(full, false, off)[0].length, samples.length);
      },
    ),
    { numRuns: 400 },
  );
});
