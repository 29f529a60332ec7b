import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, writeFile, readdir, stat, mkdir, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';
import fc from 'fast-check';
import { Labels } from '../../labels/labels.ts';
import {
  decodeMetadata,
  decodeSamples,
  decodeSeries,
  encodeMetadata,
  encodeSamples,
  encodeSeries,
  recordType,
  RecordType,
} from '../record/record.ts';
import { WAL, replayWAL, checkpoint, segmentName, PAGE_SIZE, type CorruptionInfo } from './index.ts';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-wal-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function replayAll(dir: string): Promise<{ recs: Buffer[]; corruptions: CorruptionInfo[]; res: { records: number; segments: number; corrupted: boolean } }> {
  const recs: Buffer[] = [];
  const corruptions: CorruptionInfo[] = [];
  const res = await replayWAL(dir, (r) => recs.push(Buffer.from(r)), { onCorruption: (c) => corruptions.push(c) });
  return { recs, corruptions, res };
}

/** Deterministic record payload #i of length len (first bytes carry i so records are distinct). */
function payload(i: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  for (let k = 0; k < len; k++) b[k] = (i * 31 + k * 7 + 1) & 0xff;
  if (len >= 4) b.writeUInt32BE(i, 0);
  return b;
}

test('a record is framed as a full fragment: type 1, BE length, BE CRC32C (golden bytes)', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir });
    await w.log([Buffer.from('123456789')]);
    // CRC-32C (Castagnoli) check value of "123456789" is 0xE3069283 (RFC 3720 / standard check value).
    const head = await readFile(join(dir, '00000000'));
    assert.equal(head.toString('hex'), '01' + '0009' + 'e3069283' + Buffer.from('123456789').toString('hex'));
    await w.close();
    // Closing pads the last page with zeros.
    const full = await readFile(join(dir, '00000000'));
    assert.equal(full.length, PAGE_SIZE);
    assert.ok(full.subarray(16).every((b) => b === 0));
    const { recs, res } = await replayAll(dir);
    assert.deepEqual(recs.map((r) => r.toString()), ['123456789']);
    assert.deepEqual(res, { records: 1, segments: 1, corrupted: false });
  });
});

test('records larger than a page are split into first/middle/last fragments that never cross pages', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir });
    const small = payload(1, 100);
    const big = randomBytes(100_000);
    await w.log([small, big]);
    await w.close();
    const f = await readFile(join(dir, '00000000'));
    // Walk the fragments by hand.
    const frags: { page: number; type: number; len: number }[] = [];
    let off = 0;
    const data: Buffer[] = [];
    while (off < f.length) {
      const pageEnd = (Math.floor(off / PAGE_SIZE) + 1) * PAGE_SIZE;
      if (f[off] === 0) {
        assert.ok(f.subarray(off, pageEnd).every((b) => b === 0));
        off = pageEnd;
        continue;
      }
      const type = f[off]!;
      const len = f.readUInt16BE(off + 1);
      const crc = f.readUInt32BE(off + 3);
      const d = f.subarray(off + 7, off + 7 + len);
      assert.equal(crc32c(d) >>> 0, crc);
      assert.ok(off + 7 + len <= pageEnd, 'fragment crosses a page boundary');
      frags.push({ page: Math.floor(off / PAGE_SIZE), type, len });
      data.push(d);
      off += 7 + len;
      if (pageEnd - off < 7) off = pageEnd;
    }
    // Page 0: full(100), then first fragment filling the page; pages 1–2 middle; page 3 last.
    const firstLen = PAGE_SIZE - 107 - 7;
    const midLen = PAGE_SIZE - 7;
    assert.deepEqual(frags, [
      { page: 0, type: 1, len: 100 },
      { page: 0, type: 2, len: firstLen },
      { page: 1, type: 3, len: midLen },
      { page: 2, type: 3, len: midLen },
      { page: 3, type: 4, len: 100_000 - firstLen - 2 * midLen },
    ]);
    assert.ok(Buffer.concat(data.slice(1)).equals(big));
    const { recs } = await replayAll(dir);
    assert.equal(recs.length, 2);
    assert.ok(recs[0]!.equals(small));
    assert.ok(recs[1]!.equals(big));
  });
});

test('a page with fewer than 7 bytes left is zero-padded and the next record starts on the next page', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir });
    const a = payload(1, PAGE_SIZE - 7 - 3); // leaves 3 bytes in the page
    const b = payload(2, 10);
    await w.log([a]);
    await w.log([b]);
    const f = await readFile(join(dir, '00000000'));
    assert.equal(f.length, PAGE_SIZE + 17);
    assert.deepEqual([...f.subarray(PAGE_SIZE - 3, PAGE_SIZE)], [0, 0, 0]);
    assert.equal(f[PAGE_SIZE], 1);
    await w.close();
    const { recs } = await replayAll(dir);
    assert.deepEqual(recs, [a, b]);
  });
});

test('zero-length records round trip', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir });
    await w.log([new Uint8Array(0), payload(1, 5), new Uint8Array(0)]);
    await w.close();
    const { recs } = await replayAll(dir);
    assert.deepEqual(recs.map((r) => r.length), [0, 5, 0]);
  });
});

test('segment rollover: records never span segments, finished segments are whole pages', async () => {
  await withDir(async (dir) => {
    const segSize = 2 * PAGE_SIZE;
    const w = await WAL.open({ dir, segmentSize: segSize });
    const recs: Buffer[] = [];
    for (let i = 0; i < 40; i++) recs.push(payload(i, 5000 + ((i * 7919) % 20000)));
    for (const r of recs) await w.log([r]);
    const oversized = payload(999, 3 * PAGE_SIZE); // bigger than a whole segment: gets its own
    await w.log([oversized]);
    recs.push(oversized);
    await w.close();
    const names = (await readdir(dir)).sort();
    assert.ok(names.length > 10);
    assert.deepEqual(names, names.map((_, i) => segmentName(i)));
    for (const n of names.slice(0, -1)) {
      const size = (await stat(join(dir, n))).size;
      assert.equal(size % PAGE_SIZE, 0);
    }
    // Each segment alone is a sequence of whole records.
    let total = 0;
    for (const n of names) {
      const one = await mkdtemp(join(tmpdir(), 'strata-wal-seg-'));
      await writeFile(join(one, '00000000'), await readFile(join(dir, n)));
      const { recs: got, res } = await replayAll(one);
      assert.equal(res.corrupted, false, `segment ${n} alone must be complete`);
      total += got.length;
      await rm(one, { recursive: true, force: true });
    }
    assert.equal(total, recs.length);
    const { recs: got, res } = await replayAll(dir);
    assert.equal(res.corrupted, false);
    assert.equal(res.segments, names.length);
    assert.deepEqual(got, recs);
  });
});

test('nextSegment, segments and truncate', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir });
    await w.log([payload(0, 10)]);
    assert.equal(await w.nextSegment(), 1);
    await w.log([payload(1, 10)]);
    assert.equal(await w.nextSegment(), 2);
    await w.log([payload(2, 10)]);
    assert.deepEqual(await w.segments(), { first: 0, last: 2 });
    await w.truncate(2);
    assert.deepEqual(await w.segments(), { first: 2, last: 2 });
    await w.close();
    const { recs } = await replayAll(dir);
    assert.deepEqual(recs, [payload(2, 10)]);
    // Reopening continues in a new segment after the last one.
    const w2 = await WAL.open({ dir });
    assert.deepEqual(await w2.segments(), { first: 2, last: 3 });
    await w2.log([payload(3, 10)]);
    await w2.close();
    assert.deepEqual((await replayAll(dir)).recs, [payload(2, 10), payload(3, 10)]);
  });
});

/** Writes `before` records then `last`, returning the segment bytes and where `last` starts/ends. */
async function buildTornFixture(before: Buffer[], last: Buffer): Promise<{ bytes: Buffer; start: number; end: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-wal-fix-'));
  try {
    const w = await WAL.open({ dir });
    await w.log(before);
    const start = (await stat(join(dir, '00000000'))).size;
    await w.log([last]);
    const bytes = await readFile(join(dir, '00000000'));
    await w.close();
    return { bytes, start, end: bytes.length };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function checkCut(bytes: Buffer, cut: number, before: Buffer[], last: Buffer, start: number, end: number): Promise<void> {
  await withDir(async (dir) => {
    await writeFile(join(dir, '00000000'), bytes.subarray(0, cut));
    await writeFile(join(dir, '00000001'), Buffer.alloc(0)); // a later segment that must go
    const { recs, res, corruptions } = await replayAll(dir);
    const complete = cut >= end;
    const torn = cut > start && cut < end;
    assert.deepEqual(recs, complete ? [...before, last] : before, `cut at ${cut}`);
    assert.equal(res.corrupted, torn, `cut at ${cut}`);
    if (torn) {
      assert.equal(corruptions.length, 1);
      assert.equal(corruptions[0]!.segment, 0);
      assert.equal(corruptions[0]!.offset, start);
      assert.equal((await stat(join(dir, '00000000'))).size, start, 'truncated to the last complete record');
      assert.deepEqual(await readdir(dir), ['00000000'], 'later segments removed');
    }
    // Appending and replaying again works.
    const w = await WAL.open({ dir });
    await w.log([payload(4242, 33)]);
    await w.close();
    const again = await replayAll(dir);
    assert.equal(again.res.corrupted, false, `second replay after cut ${cut}`);
    assert.deepEqual(again.recs, [...(complete ? [...before, last] : before), payload(4242, 33)]);
  });
}

test('torn tail: truncating at every byte of the last record replays exactly the records before it', async () => {
  const before = [payload(1, 40), payload(2, 1), payload(3, 77)];
  const last = payload(4, 60);
  const { bytes, start, end } = await buildTornFixture(before, last);
  assert.equal(end - start, 67);
  for (let cut = start; cut <= end; cut++) await checkCut(bytes, cut, before, last, start, end);
});

test('torn tail of a record fragmented across pages (sampled cuts incl. page boundaries and headers)', async () => {
  const before = [payload(1, 30_000)];
  const last = payload(2, 70_000);
  const { bytes, start, end } = await buildTornFixture(before, last);
  const cuts = new Set<number>();
  for (let c = start; c <= end; c += 997) cuts.add(c);
  for (let p = Math.ceil(start / PAGE_SIZE) * PAGE_SIZE; p < end; p += PAGE_SIZE) for (let d = -3; d <= 8; d++) cuts.add(p + d);
  for (let d = 0; d <= 8; d++) cuts.add(start + d);
  cuts.add(end - 1);
  cuts.add(end);
  for (const cut of [...cuts].filter((c) => c >= start && c <= end).sort((a, b) => a - b)) await checkCut(bytes, cut, before, last, start, end);
});

test('a flipped byte stops replay at the damaged record, truncates there and drops later segments', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir });
    const recs = [payload(0, 100), payload(1, 100), payload(2, 100), payload(3, 100)];
    await w.log(recs);
    await w.nextSegment();
    await w.log([payload(9, 50)]);
    await w.close();
    const seg0 = await readFile(join(dir, '00000000'));
    // Record 2 starts at 2 × 107; flip a byte inside its data.
    const recStart = 2 * 107;
    seg0[recStart + 7 + 50] ^= 0x40;
    await writeFile(join(dir, '00000000'), seg0);
    const { recs: got, res, corruptions } = await replayAll(dir);
    assert.deepEqual(got, recs.slice(0, 2));
    assert.equal(res.corrupted, true);
    assert.equal(corruptions.length, 1);
    assert.equal(corruptions[0]!.segment, 0);
    assert.equal(corruptions[0]!.offset, recStart);
    assert.match(corruptions[0]!.reason, /checksum/);
    assert.deepEqual(await readdir(dir), ['00000000']);
    assert.equal((await stat(join(dir, '00000000'))).size, recStart);
    // Replay is now clean and appends work.
    const w2 = await WAL.open({ dir });
    await w2.log([payload(7, 7)]);
    await w2.close();
    const again = await replayAll(dir);
    assert.equal(again.res.corrupted, false);
    assert.deepEqual(again.recs, [...recs.slice(0, 2), payload(7, 7)]);
  });
});

test('a flipped fragment type (middle without first) is corruption', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir });
    await w.log([payload(0, 10), payload(1, 10)]);
    await w.close();
    const seg = await readFile(join(dir, '00000000'));
    seg[17] = 3; // second record's header: full → middle
    await writeFile(join(dir, '00000000'), seg);
    const { recs, res, corruptions } = await replayAll(dir);
    assert.deepEqual(recs, [payload(0, 10)]);
    assert.equal(res.corrupted, true);
    assert.match(corruptions[0]!.reason, /middle/);
  });
});

test('garbage appended after the last record is cut off; the records survive', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir });
    const recs = [payload(0, 500), payload(1, 20_000), payload(2, 50_000)];
    await w.log(recs);
    const size = (await stat(join(dir, '00000000'))).size;
    await w.log([]); // nothing
    // no close: simulate a crash, then garbage from a torn write
    const garbage = randomBytes(3000);
    garbage[0] = 0x5a; // ensure a non-zero, non-padding first byte
    await appendFile(join(dir, '00000000'), garbage);
    const { recs: got, res, corruptions } = await replayAll(dir);
    assert.deepEqual(got, recs);
    assert.equal(res.corrupted, true);
    assert.equal(corruptions[0]!.offset, size);
    assert.equal((await stat(join(dir, '00000000'))).size, size);
    await w.close().catch(() => undefined);
  });
});

test('zeros after the last record are page padding, not corruption', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir });
    await w.log([payload(0, 10)]);
    await w.close();
    await appendFile(join(dir, '00000000'), Buffer.alloc(PAGE_SIZE + 5));
    const { recs, res } = await replayAll(dir);
    assert.equal(recs.length, 1);
    assert.equal(res.corrupted, false);
  });
});

test('open() repairs a torn tail that was not replayed, so new records are never lost to a later repair', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir });
    await w.log([payload(0, 100), payload(1, 100)]);
    const seg = await readFile(join(dir, '00000000'));
    await w.close();
    await writeFile(join(dir, '00000000'), seg.subarray(0, 107 + 50)); // tear record 1
    const seen: CorruptionInfo[] = [];
    const w2 = await WAL.open({ dir, onCorruption: (c) => seen.push(c) });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.offset, 107);
    await w2.log([payload(2, 10)]);
    await w2.close();
    const { recs, res } = await replayAll(dir);
    assert.equal(res.corrupted, false);
    assert.deepEqual(recs, [payload(0, 100), payload(2, 10)]);
  });
});

test('fsync: true group-commits concurrent log() calls and resolves them in call order', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir, fsync: true });
    const order: number[] = [];
    const ps: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) ps.push(w.log([payload(i, 200)]).then(() => void order.push(i)));
    await Promise.all(ps);
    assert.deepEqual(order, [...Array(300).keys()]);
    assert.ok(w.syncCount >= 1 && w.syncCount < 300, `sync rounds ${w.syncCount}`);
    // Sequential awaits each get their own sync.
    const before = w.syncCount;
    await w.log([payload(1000, 1)]);
    await w.log([payload(1001, 1)]);
    assert.equal(w.syncCount, before + 2);
    await w.close();
    const { recs } = await replayAll(dir);
    assert.equal(recs.length, 302);
  });
});

test('fsync: true across segment rollovers', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir, fsync: true, segmentSize: PAGE_SIZE });
    const ps: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) ps.push(w.log([payload(i, 9000)]));
    await Promise.all(ps);
    await w.close();
    const { recs, res } = await replayAll(dir);
    assert.equal(res.corrupted, false);
    assert.equal(recs.length, 50);
    assert.ok(res.segments > 10);
  });
});

test('log() after close() rejects; close() is idempotent', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir });
    await w.close();
    await w.close();
    await assert.rejects(w.log([payload(0, 1)]), /closed/);
  });
});

test('replay of a missing or empty directory finds nothing', async () => {
  await withDir(async (dir) => {
    assert.deepEqual((await replayAll(join(dir, 'nope'))).res, { records: 0, segments: 0, corrupted: false });
    assert.deepEqual((await replayAll(dir)).res, { records: 0, segments: 0, corrupted: false });
  });
});

test('a gap in the segment sequence is reported and the segments after it dropped', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir });
    await w.log([payload(0, 10)]);
    await w.nextSegment();
    await w.log([payload(1, 10)]);
    await w.nextSegment();
    await w.log([payload(2, 10)]);
    await w.close();
    await rm(join(dir, '00000001'));
    const { recs, res, corruptions } = await replayAll(dir);
    assert.deepEqual(recs, [payload(0, 10)]);
    assert.equal(res.corrupted, true);
    assert.match(corruptions[0]!.reason, /not sequential/);
    assert.deepEqual(await readdir(dir), ['00000000']);
  });
});

// ---- checkpoints ----------------------------------------------------------------------------

function seriesRec(refs: number[]): Uint8Array {
  return encodeSeries(refs.map((ref) => ({ ref, labels: Labels.fromObject({ __name__: 'm', id: String(ref) }) })));
}

async function decodeAll(dir: string): Promise<{ series: number[]; samples: [number, number][]; meta: string[] }> {
  const series: number[] = [];
  const samples: [number, number][] = [];
  const meta: string[] = [];
  await replayWAL(dir, (rec) => {
    switch (recordType(rec)) {
      case RecordType.Series:
        for (const s of decodeSeries(rec)) series.push(s.ref);
        break;
      case RecordType.Samples:
        decodeSamples(rec, (r, t) => samples.push([r, t]));
        break;
      case RecordType.Metadata:
        for (const m of decodeMetadata(rec)) meta.push(`${m.ref}:${m.help}`);
        break;
    }
  });
  return { series, samples, meta };
}

test('checkpoint keeps wanted series, samples >= mint and latest metadata; replay = checkpoint + later segments', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir, segmentSize: PAGE_SIZE });
    await w.log([seriesRec([1, 2, 3, 4])]);
    await w.log([encodeMetadata([{ ref: 1, type: 'gauge', unit: '', help: 'old' }, { ref: 3, type: 'counter', unit: '', help: 'x' }])]);
    await w.log([encodeSamples([1, 2, 3, 4], [100, 100, 100, 100], [1, 2, 3, 4], 4)]);
    await w.nextSegment();
    await w.log([encodeSamples([1, 2, 3, 4], [200, 200, 200, 200], [1, 2, 3, 4], 4)]);
    await w.log([encodeMetadata([{ ref: 1, type: 'gauge', unit: '', help: 'new' }])]);
    await w.nextSegment();
    await w.log([seriesRec([5])]);
    await w.log([encodeSamples([5, 1], [300, 300], [5, 1], 2)]);
    const keep = (ref: number): boolean => ref !== 2;
    await checkpoint(dir, 0, 1, keep, 150);
    await w.truncate(2);
    const names = await readdir(dir);
    assert.ok(names.includes('checkpoint.00000001'));
    assert.ok(!names.some((n) => n.endsWith('.tmp')));
    assert.deepEqual((await readdir(join(dir, 'checkpoint.00000001'))).sort(), ['00000000']);
    const got = await decodeAll(dir);
    assert.deepEqual(got.series, [1, 3, 4, 5]);
    assert.deepEqual(got.samples, [[1, 200], [2, 200], [3, 200], [4, 200], [5, 300], [1, 300]]);
    assert.deepEqual(got.meta.sort(), ['1:new', '3:x']);

    // A second checkpoint folds in the first, which is then removed.
    await w.log([encodeSamples([5], [400], [5], 1)]);
    await w.nextSegment();
    await checkpoint(dir, 2, 2, (ref) => ref !== 3, 250);
    await w.truncate(3);
    const names2 = (await readdir(dir)).sort();
    assert.ok(names2.includes('checkpoint.00000002'));
    assert.ok(!names2.includes('checkpoint.00000001'));
    const got2 = await decodeAll(dir);
    assert.deepEqual(got2.series, [1, 4, 5]);
    assert.deepEqual(got2.samples, [[5, 300], [1, 300], [5, 400]]);
    assert.deepEqual(got2.meta, ['1:new']);
    await w.close();
  });
});

test('checkpoint refuses corrupt input and leaves no temporary directory; replay removes stale .tmp dirs', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir });
    await w.log([seriesRec([1]), seriesRec([2])]);
    await w.nextSegment();
    await w.close();
    const seg = await readFile(join(dir, '00000000'));
    seg[20] ^= 1;
    await writeFile(join(dir, '00000000'), seg);
    await assert.rejects(checkpoint(dir, 0, 0, () => true, 0), /corruption/);
    assert.ok(!(await readdir(dir)).some((n) => n.startsWith('checkpoint.')));
    await mkdir(join(dir, 'checkpoint.00000007.tmp'));
    await replayAll(dir);
    assert.ok(!(await readdir(dir)).some((n) => n.startsWith('checkpoint.')));
  });
});

test('open() never starts a segment that the newest checkpoint already covers', async () => {
  await withDir(async (dir) => {
    const w = await WAL.open({ dir });
    await w.log([seriesRec([1])]);
    await w.nextSegment();
    await checkpoint(dir, 0, 0, () => true, 0);
    await w.close();
    await rm(join(dir, '00000000'));
    await rm(join(dir, '00000001'));
    const w2 = await WAL.open({ dir });
    assert.deepEqual(await w2.segments(), { first: 1, last: 1 });
    await w2.log([seriesRec([2])]);
    await w2.close();
    assert.deepEqual((await decodeAll(dir)).series, [1, 2]);
  });
});

test('random damage never throws: replay yields a prefix of the records and leaves a clean, appendable WAL', async () => {
  // A pristine two-segment WAL to damage.
  const recs: Buffer[] = [];
  for (let i = 0; i < 30; i++) recs.push(payload(i, 1 + ((i * 2654435761) % 9000)));
  const src = await mkdtemp(join(tmpdir(), 'strata-wal-fuzz-src-'));
  try {
    const w = await WAL.open({ dir: src, segmentSize: 4 * PAGE_SIZE });
    for (const r of recs) await w.log([r]);
    await w.close();
    const names = (await readdir(src)).sort();
    const files = await Promise.all(names.map((n) => readFile(join(src, n))));
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: files.length - 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.oneof(fc.constant('flip'), fc.constant('cut'), fc.constant('garbage')),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        async (fi, where, kind, junk) => {
          await withDir(async (dir) => {
            for (let i = 0; i < files.length; i++) {
              let b = Buffer.from(files[i]!);
              // A segment cut exactly at a record boundary is indistinguishable from a shorter
              // segment (true of the Prometheus format too), so cuts go to the newest segment, where
              // torn writes happen; flips and inserted junk can hit any segment.
              const target = kind === 'cut' ? files.length - 1 : fi;
              if (i === target) {
                const pos = Math.min(b.length - 1, Math.floor(where * b.length));
                if (kind === 'flip') b[pos] = b[pos]! ^ (junk[0]! | 1);
                else if (kind === 'cut') b = b.subarray(0, pos);
                else b = Buffer.concat([b.subarray(0, pos), Buffer.from(junk), b.subarray(pos)]);
              }
              await writeFile(join(dir, names[i]!), b);
            }
            const { recs: got } = await replayAll(dir);
            assert.deepEqual(got, recs.slice(0, got.length), 'replay must return a prefix of the records');
            const again = await replayAll(dir);
            assert.equal(again.res.corrupted, false);
            assert.deepEqual(again.recs, got);
            const w2 = await WAL.open({ dir });
            await w2.log([payload(777, 10)]);
            await w2.close();
            const third = await replayAll(dir);
            assert.equal(third.res.corrupted, false);
            assert.deepEqual(third.recs, [...got, payload(777, 10)]);
          });
        },
      ),
      { numRuns: Number(process.env.STRATA_FUZZ_RUNS ?? 60) },
    );
  } finally {
    await rm(src, { recursive: true, force: true });
  }
});
