// meta.json and tombstones formats (specs.md §3, §6; Prometheus block.go, tombstones.go; Thanos meta.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '@node-rs/crc32';
import { decodeMeta, encodeMeta } from './meta.ts';
import type { BlockMeta } from './meta.ts';
import { decodeTombstones, encodeTombstones } from './tombstones.ts';

test('tombstones: empty file is magic 0x0130BA30, version 1, CRC32C of zero entries', () => {
  assert.deepEqual([...encodeTombstones([])], [0x01, 0x30, 0xba, 0x30, 0x01, 0, 0, 0, 0]);
  assert.deepEqual(decodeTombstones(encodeTombstones([])), []);
});

test('tombstones: entries (uvarint ref, varint mint, varint maxt), CRC excludes the version byte', () => {
  const b = encodeTombstones([{ ref: 3, mint: -1, maxt: 64 }]);
  const entries = [0x03, 0x01, 0x80, 0x01];
  const c = crc32c(Uint8Array.from(entries));
  assert.deepEqual([...b], [0x01, 0x30, 0xba, 0x30, 0x01, ...entries, c >>> 24, (c >>> 16) & 255, (c >>> 8) & 255, c & 255]);
  assert.deepEqual(decodeTombstones(b), [{ ref: 3, mint: -1, maxt: 64 }]);
  const bad = Uint8Array.from(b);
  bad[6] ^= 1;
  assert.throws(() => decodeTombstones(bad), /checksum/);
});

test('meta.json: Prometheus camelCase fields, zero stats omitted, version 1, Thanos snake_case', () => {
  const m: BlockMeta = {
    ulid: '01HQ8Z2Y4M3T2WJ1ZB6G7C8D9E',
    minTime: 1000,
    maxTime: 7201000,
    stats: { numSamples: 10, numSeries: 2, numChunks: 2, numTombstones: 0 },
    compaction: { level: 2, sources: ['01HQ8Z2Y4M3T2WJ1ZB6G7C8D9A'], parents: [{ ulid: '01HQ8Z2Y4M3T2WJ1ZB6G7C8D9A', minTime: 1000, maxTime: 7201000 }] },
    version: 1,
    thanos: {
      labels: { replica: 'r1' },
      downsample: { resolution: 0 },
      source: 'receive',
      files: [{ rel_path: 'chunks/000001', size_bytes: 100 }, { rel_path: 'index', size_bytes: 50 }, { rel_path: 'meta.json' }],
    },
  };
  const text = encodeMeta(m);
  const o = JSON.parse(text);
  assert.deepEqual(Object.keys(o), ['ulid', 'minTime', 'maxTime', 'stats', 'compaction', 'version', 'thanos']);
  assert.deepEqual(o.stats, { numSamples: 10, numSeries: 2, numChunks: 2 });
  assert.equal(o.version, 1);
  assert.deepEqual(o.thanos.downsample, { resolution: 0 });
  assert.deepEqual(o.thanos.files[2], { rel_path: 'meta.json' });
  assert.ok(text.includes('\n\t"ulid"'), 'tab-indented like Go MarshalIndent');
  assert.deepEqual(decodeMeta(text), { ...m, stats: { numSamples: 10, numSeries: 2, numChunks: 2 } });
  assert.throws(() => decodeMeta(JSON.stringify({ ...o, version: 2 })), /version/);
  assert.throws(() => decodeMeta(JSON.stringify({ ...o, thanos: { ...o.thanos, version: 3 } })), /Thanos section version/);
});

test('meta.json: reads a Prometheus 2.42-style meta (stats as written by Go, no thanos section)', () => {
  const text = `{
	"ulid": "01GT0J6C2KQ5R4S8V9W0X1Y2Z3",
	"minTime": 1677628800000,
	"maxTime": 1677636000000,
	"stats": {
		"numSamples": 2400,
		"numSeries": 20,
		"numChunks": 20
	},
	"compaction": {
		"level": 1,
		"sources": [
			"01GT0J6C2KQ5R4S8V9W0X1Y2Z3"
		]
	},
	"version": 1
}`;
  const m = decodeMeta(text);
  assert.equal(m.maxTime - m.minTime, 7200000);
  assert.equal(m.stats.numSamples, 2400);
  assert.equal(m.thanos, undefined);
  assert.equal(encodeMeta(m), text);
});
