// Golden/structural tests of the index format (specs.md §5, Prometheus tsdb/docs/format/index.md and
// v2.42 index.go). Expected bytes are derived by hand from the spec below, CRCs recomputed here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import fc from 'fast-check';
import { Labels, compareStrings } from '../../labels/labels.ts';
import { Matcher } from '../../labels/matcher.ts';
import { BytesReadAt } from '../block/readat.ts';
import { Decbuf, Encbuf } from './encoding.ts';
import { IndexReader } from './reader.ts';
import { IndexWriter } from './writer.ts';

function hex(s: string): number[] {
  const clean = s.replace(/\s+/g, '');
  const out: number[] = [];
  for (let i = 0; i < clean.length; i += 2) out.push(parseInt(clean.slice(i, i + 2), 16));
  return out;
}
const be32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const be64 = (v: number): number[] => [...be32(Math.floor(v / 2 ** 32)), ...be32(v % 2 ** 32)];
const crc = (b: number[]): number[] => be32(crc32c(Uint8Array.from(b)));
const str = (s: string): number[] => [...Buffer.from(s, 'utf8')];

async function writeTwoSeries(path: string): Promise<void> {
  const w = await IndexWriter.create(path);
  await w.addSymbols(['1', '2', 'a', 'b', 'x']);
  await w.addSeries(Labels.fromObject({ a: '1' }), [{ minTime: 1000, maxTime: 2000, ref: 8 }]);
  await w.addSeries(Labels.fromObject({ a: '2', b: 'x' }), [
    { minTime: 1000, maxTime: 2000, ref: 8 },
    { minTime: 2001, maxTime: 3000, ref: 100 },
  ]);
  await w.close();
}

test('index: 2-series golden bytes (header, symbols, series, label indices, postings, tables, TOC)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-idx-'));
  try {
    const p = join(dir, 'index');
    await writeTwoSeries(p);
    const got = [...(await readFile(p))];

    const exp: number[] = [];
    const pad = (n: number): void => {
      while (exp.length % n !== 0) exp.push(0);
    };
    // Header: magic 0xBAAAD700, version 2.
    exp.push(...hex('BAAAD700 02'));
    // Symbols at 5: len = 4 (count) + 5 × 2 bytes; CRC over count + symbols.
    const symBody = [...be32(5), ...hex('0131 0132 0161 0162 0178')];
    const symbolsOff = exp.length;
    exp.push(...be32(symBody.length), ...symBody, ...crc(symBody));
    const seriesOff = exp.length; // 27
    // Series {a="1"}: padded to 32 → id 2. #labels 1, refs a=2 1=0, 1 chunk:
    // varint(1000)=D00F, uvarint(1000)=E807, uvarint(8)=08.
    pad(16);
    assert.equal(exp.length, 32);
    const s1 = hex('01 0200 01 D00F E807 08');
    exp.push(s1.length, ...s1, ...crc(s1));
    // Series {a="2",b="x"} at 48 → id 3: refs a=2 2=1 b=3 x=4; chunk 2: uvarint(2001-2000)=01,
    // uvarint(999)=E707, varint(100-8=92)=B801.
    pad(16);
    assert.equal(exp.length, 48);
    const s2 = hex('02 0201 0304 02 D00F E807 08 01 E707 B801');
    exp.push(s2.length, ...s2, ...crc(s2));
    const labelIndicesOff = exp.length; // end of series, before padding
    // Label index for "a" (values 1,2 → symbol refs 0,1), 4-byte aligned.
    pad(4);
    const liA = exp.length;
    const liABody = [...be32(1), ...be32(2), ...be32(0), ...be32(1)];
    exp.push(...be32(liABody.length), ...liABody, ...crc(liABody));
    pad(4);
    const liB = exp.length;
    const liBBody = [...be32(1), ...be32(1), ...be32(4)];
    exp.push(...be32(liBBody.length), ...liBBody, ...crc(liBBody));
    const postingsOff = exp.length;
    const lists: [string, string, number[]][] = [
      ['', '', [2, 3]],
      ['a', '1', [2]],
      ['a', '2', [3]],
      ['b', 'x', [3]],
    ];
    const listOffs: number[] = [];
    for (const [, , ids] of lists) {
      pad(4);
      listOffs.push(exp.length);
      const body = [...be32(ids.length), ...ids.flatMap(be32)];
      exp.push(...be32(body.length), ...body, ...crc(body));
    }
    const litOff = exp.length;
    const litBody = [...be32(2), 1, 1, ...str('a'), liA, 1, 1, ...str('b'), liB];
    exp.push(...be32(litBody.length), ...litBody, ...crc(litBody));
    const potOff = exp.length;
    const potBody: number[] = [...be32(4)];
    lists.forEach(([n, v], i) => {
      const e = new Encbuf();
      e.putUvarint(listOffs[i]!);
      potBody.push(2, n.length, ...str(n), v.length, ...str(v), ...e.bytes());
    });
    exp.push(...be32(potBody.length), ...potBody, ...crc(potBody));
    const toc = [symbolsOff, seriesOff, labelIndicesOff, litOff, postingsOff, potOff].flatMap(be64);
    exp.push(...toc, ...crc(toc));

    // Sanity of the hand derivation against the spec's fixed facts.
    assert.equal(seriesOff, 27);
    assert.equal(labelIndicesOff, 69);
    assert.ok(listOffs.every((o) => o % 4 === 0));
    assert.deepEqual(got, exp);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('index reader: TOC, symbols, postings, matchers, series, label names/values', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-idx-'));
  try {
    const p = join(dir, 'index');
    await writeTwoSeries(p);
    const r = await IndexReader.open(new BytesReadAt(await readFile(p)));
    assert.deepEqual(r.toc.series, 27);
    assert.deepEqual(r.allSymbols(), ['1', '2', 'a', 'b', 'x']);
    assert.deepEqual([...(await r.allPostings())], [2, 3]);
    assert.deepEqual([...(await r.postings('a', '2'))], [3]);
    assert.deepEqual([...(await r.postings('a', '3'))], []);
    assert.deepEqual([...(await r.postings('zz', '3'))], []);
    assert.deepEqual(r.labelNames(), ['a', 'b']);
    assert.deepEqual(r.labelValues('a'), ['1', '2']);
    const m = async (...ms: Matcher[]): Promise<number[]> => [...(await r.postingsForMatchers(ms))];
    assert.deepEqual(await m(new Matcher('=~', 'a', '1|2')), [2, 3]);
    assert.deepEqual(await m(new Matcher('!=', 'b', 'x')), [2]); // series without b match
    assert.deepEqual(await m(new Matcher('=', 'b', '')), [2]);
    assert.deepEqual(await m(new Matcher('=~', 'b', '.+')), [3]);
    assert.deepEqual(await m(new Matcher('=~', 'a', '.*'), new Matcher('!~', 'a', '1')), [3]);
    assert.deepEqual(await m(), [2, 3]);
    const [s3, s2] = await r.series([3, 2]);
    assert.equal(s3!.labels.toString(), '{a="2", b="x"}');
    assert.deepEqual(s3!.chunks, [
      { minTime: 1000, maxTime: 2000, ref: 8 },
      { minTime: 2001, maxTime: 3000, ref: 100 },
    ]);
    assert.equal(s2!.labels.toString(), '{a="1"}');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('index reader rejects corruption (bad TOC CRC, bad series CRC)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-idx-'));
  try {
    const p = join(dir, 'index');
    await writeTwoSeries(p);
    const b = await readFile(p);
    const t = Uint8Array.from(b);
    t[t.length - 10] ^= 1;
    await assert.rejects(IndexReader.open(new BytesReadAt(t)), /TOC checksum/);
    const s = Uint8Array.from(b);
    s[32 + 3] ^= 0xff; // inside series id 2
    const r = await IndexReader.open(new BytesReadAt(s));
    await assert.rejects(r.series([2]), /checksum/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('encoding: Go uvarint/varint vectors and round trip', () => {
  const vec: [number, string][] = [
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [2 ** 32, '8080808010'],
    [Number.MAX_SAFE_INTEGER, 'ffffffffffffff0f'],
  ];
  for (const [v, h] of vec) {
    const e = new Encbuf();
    e.putUvarint(v);
    assert.equal(Buffer.from(e.bytes()).toString('hex'), h);
    assert.equal(new Decbuf(e.bytes()).uvarint(), v);
  }
  // Go binary.PutVarint zig-zag vectors.
  const zz: [number, string][] = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-64, '7f'],
    [64, '8001'],
  ];
  for (const [v, h] of zz) {
    const e = new Encbuf();
    e.putVarint(v);
    assert.equal(Buffer.from(e.bytes()).toString('hex'), h);
  }
  const half = Math.floor(Number.MAX_SAFE_INTEGER / 2);
  fc.assert(
    fc.property(fc.integer({ min: -half, max: half }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (s, u) => {
      const e = new Encbuf(1);
      e.putVarint(s);
      e.putUvarint(u);
      e.putBE64(u);
      const d = new Decbuf(e.bytes());
      return d.varint() === s && d.uvarint() === u && d.be64() === u && d.remaining() === 0;
    }),
  );
});

test('index round trip (fast-check): random label sets → writer → reader', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-idx-'));
  try {
    const name = fc.constantFrom('__name__', 'job', 'a', 'b', 'ü', 'z\u{1F600}');
    const value = fc.string({ minLength: 1, maxLength: 6, unit: 'grapheme' });
    const lset = fc.dictionary(name, value, { minKeys: 1, maxKeys: 4 }).map((o) => Labels.fromObject(o));
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(lset, { minLength: 1, maxLength: 40 }), async (sets) => {
        const uniq = new Map(sets.map((l) => [l.key, l]));
        const sorted = [...uniq.values()].sort(Labels.compare);
        const syms = new Set<string>();
        for (const l of sorted) for (const s of l.flat) syms.add(s);
        const p = join(dir, `index-${run++}`);
        const w = await IndexWriter.create(p);
        await w.addSymbols([...syms].sort(compareStrings));
        const ids: number[] = [];
        for (let i = 0; i < sorted.length; i++) ids.push(await w.addSeries(sorted[i]!, [{ minTime: i, maxTime: i + 1, ref: 8 + i * 100 }]));
        await w.close();
        const r = await IndexReader.open(new BytesReadAt(await readFile(p)));
        assert.deepEqual([...(await r.allPostings())], ids);
        const got = await r.series(ids);
        for (let i = 0; i < sorted.length; i++) {
          assert.ok(got[i]!.labels.equals(sorted[i]!), `${got[i]!.labels.toString()} != ${sorted[i]!.toString()}`);
          assert.deepEqual(got[i]!.chunks, [{ minTime: i, maxTime: i + 1, ref: 8 + i * 100 }]);
        }
        // Postings for every (name, value) equal a brute-force scan.
        for (const n of r.labelNames()) {
          for (const v of r.labelValues(n)) {
            const want = ids.filter((_, i) => sorted[i]!.get(n) === v);
            assert.deepEqual([...(await r.postings(n, v))], want);
          }
        }
        await rm(p);
      }),
      { numRuns: 60 },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
