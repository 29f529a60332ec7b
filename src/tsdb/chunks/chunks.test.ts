// Chunk segment files: golden header/record bytes (specs.md §3, Prometheus chunks.md), segment
// cutting, references (file 000001 = segment 0) and the ReadAt-based reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import fc from 'fast-check';
import { BytesReadAt, FileReadAt } from '../block/readat.ts';
import { ChunkReader, ChunkWriter, chunkRef, chunkRefOffset, chunkRefSegment, segmentFileName } from './chunks.ts';

test('chunk refs: segment << 32 | offset with arithmetic, 000001 is segment 0', () => {
  assert.equal(chunkRef(0, 8), 8);
  assert.equal(chunkRef(1, 8), 4294967304);
  assert.equal(chunkRef(300, 0xfffffff0), 300 * 2 ** 32 + 0xfffffff0);
  assert.equal(chunkRefSegment(chunkRef(300, 0xfffffff0)), 300);
  assert.equal(chunkRefOffset(chunkRef(300, 0xfffffff0)), 0xfffffff0);
  assert.equal(segmentFileName(0), '000001');
  assert.equal(segmentFileName(41), '000042');
});

test('chunk segment: golden header and record bytes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-chk-'));
  try {
    const w = await ChunkWriter.create(dir);
    const data = new Uint8Array([0x00, 0x01, 0xab]);
    const big = new Uint8Array(200).fill(7);
    const refs = await w.writeChunks([
      { minTime: 0, maxTime: 0, encoding: 1, data },
      { minTime: 1, maxTime: 1, encoding: 1, data: big },
    ]);
    const files = await w.close();
    assert.deepEqual(files, [{ name: '000001', size: 8 + 9 + (2 + 1 + 200 + 4) }]);
    assert.deepEqual(refs, [8, 17]);
    const b = [...(await readFile(join(dir, '000001')))];
    const c1 = crc32c(Uint8Array.from([1, 0x00, 0x01, 0xab]));
    const c2 = crc32c(Uint8Array.from([1, ...big]));
    const be = (v: number): number[] => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
    assert.deepEqual(b, [
      0x85, 0xbd, 0x40, 0xdd, 0x01, 0, 0, 0, // magic, version 1, padding
      0x03, 0x01, 0x00, 0x01, 0xab, ...be(c1), // uvarint len (excludes encoding), encoding, data, CRC32C(enc+data)
      0xc8, 0x01, 0x01, ...big, ...be(c2), // len 200 = uvarint C8 01
    ]);
    const r = new ChunkReader(() => new BytesReadAt(Uint8Array.from(b)));
    const got = await r.chunks([17, 8]);
    assert.deepEqual([...got[0]!.data], [...big]);
    assert.deepEqual([...got[1]!.data], [0x00, 0x01, 0xab]);
    assert.equal(got[1]!.encoding, 1);
    // Corrupt the first record's data: CRC check fails.
    const bad = Uint8Array.from(b);
    bad[12] ^= 1;
    await assert.rejects(new ChunkReader(() => new BytesReadAt(bad)).chunk(8), /checksum/);
    const badMagic = Uint8Array.from(b);
    badMagic[0] = 0;
    await assert.rejects(new ChunkReader(() => new BytesReadAt(badMagic)).chunk(8), /magic/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('chunk segments are cut at the size limit; refs address the right files (fast-check)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-chk-'));
  try {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.uint8Array({ minLength: 2, maxLength: 3000 }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 4096, max: 20000 }),
        async (seriesChunks, segSize) => {
          const d = join(dir, String(run++));
          const w = await ChunkWriter.create(d, segSize);
          const refs: number[] = [];
          for (const cs of seriesChunks) refs.push(...(await w.writeChunks(cs.map((data) => ({ minTime: 0, maxTime: 0, encoding: 1, data })))));
          const files = await w.close();
          const names = (await readdir(d)).sort();
          assert.deepEqual(names, files.map((f) => f.name));
          for (const f of files) {
            const st = (await readFile(join(d, f.name))).length;
            assert.equal(st, f.size);
            // Records here are at most ~3 KB, so every segment fits the limit.
            assert.ok(f.size <= segSize, `segment ${f.name} is ${f.size} > ${segSize}`);
          }
          const r = new ChunkReader((i) => FileReadAt.open(join(d, segmentFileName(i))));
          const got = await r.chunks(refs);
          const flat = seriesChunks.flat();
          for (let i = 0; i < flat.length; i++) assert.deepEqual(got[i]!.data, flat[i]);
          await r.close();
          await rm(d, { recursive: true });
        },
      ),
      { numRuns: 40 },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
