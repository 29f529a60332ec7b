// Interoperability with the real Prometheus 2.42 (Debian /usr/bin): promtool reads a WAL we wrote
// (including a checkpoint), and we replay a WAL that Prometheus wrote (snappy-compressed records).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Labels } from '../../labels/labels.ts';
import { STALE_NAN } from '../stale.ts';
import { RecordType, decodeSamples, decodeSeries, encodeSamples, encodeSeries, recordType } from '../record/record.ts';
import { WAL, checkpoint, replayWAL } from './index.ts';

const PROMTOOL = '/usr/bin/promtool';
const PROMETHEUS = '/usr/bin/prometheus';
const run = promisify(execFile);

test('promtool tsdb dump reads the head from a WAL (with a checkpoint) that we wrote', async () => {
  assert.ok(existsSync(PROMTOOL), "promtool is missing: install Debian's prometheus, promtool and prometheus-node-exporter (.ci/run does: apt-get install -y prometheus prometheus-node-exporter)");
  const db = await mkdtemp(join(tmpdir(), 'strata-wal-promtool-'));
  try {
    const dir = join(db, 'wal');
    const w = await WAL.open({ dir, segmentSize: 64 * 1024 });
    const t0 = Date.now() - 10 * 60_000;
    await w.log([
      encodeSeries([
        { ref: 1, labels: Labels.fromObject({ __name__: 'up', job: 'a' }) },
        { ref: 2, labels: Labels.fromObject({ __name__: 'x_total', instance: 'ü:1' }) },
        { ref: 3, labels: Labels.fromObject({ __name__: 'dropped', job: 'a' }) },
      ]),
    ]);
    await w.log([encodeSamples([1, 2, 3], [t0, t0, t0], [1, 2.5, 9], 3)]);
    await w.nextSegment();
    // A 4000-sample record (> 32 KiB: fragmented across pages) and segment rollovers.
    const n = 4000;
    const refs = new Float64Array(n).fill(2);
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      ts[i] = t0 + 1000 + i;
      vs[i] = i;
    }
    await w.log([encodeSamples(refs, ts, vs, n)]);
    await w.log([encodeSamples([1], [t0 + 5000], [STALE_NAN], 1)]);
    await w.nextSegment();
    await w.log([encodeSamples([1], [t0 + 6000], [0], 1)]);
    // Checkpoint segments 0..1 dropping series 3, then truncate them as the head would.
    await checkpoint(dir, 0, 1, (ref) => ref !== 3, 0);
    await w.truncate(2);
    await w.close();

    const { stdout } = await run(PROMTOOL, ['tsdb', 'dump', db], { maxBuffer: 64 * 1024 * 1024 });
    const lines = stdout.trim().split('\n');
    const bySeries = new Map<string, [string, number][]>();
    for (const line of lines) {
      const m = /^(\{.*\}) (\S+) (\d+)$/.exec(line);
      assert.ok(m, `unparsable dump line ${line}`);
      const arr = bySeries.get(m[1]!) ?? [];
      arr.push([m[2]!, Number(m[3])]);
      bySeries.set(m[1]!, arr);
    }
    assert.deepEqual([...bySeries.keys()].sort(), ['{__name__="up", job="a"}', '{__name__="x_total", instance="ü:1"}']);
    assert.deepEqual(bySeries.get('{__name__="up", job="a"}'), [
      ['1', t0],
      ['NaN', t0 + 5000],
      ['0', t0 + 6000],
    ]);
    const x = bySeries.get('{__name__="x_total", instance="ü:1"}')!;
    assert.equal(x.length, 1 + n);
    assert.deepEqual(x[0], ['2.5', t0]);
    for (let i = 0; i < n; i++) assert.deepEqual(x[i + 1], [String(i), t0 + 1000 + i]);
  } finally {
    await rm(db, { recursive: true, force: true });
  }
});

test('we replay a WAL written by Prometheus (snappy-compressed records)', { timeout: 60_000 }, async () => {
  assert.ok(existsSync(PROMETHEUS), "prometheus is missing: install Debian's prometheus, promtool and prometheus-node-exporter (.ci/run does: apt-get install -y prometheus prometheus-node-exporter)");
  const base = await mkdtemp(join(tmpdir(), 'strata-wal-prom-'));
  const data = join(base, 'data');
  const cfg = join(base, 'prometheus.yml');
  // Scrape a closed port: every scrape still appends `up` = 0 and the scrape_* series.
  await writeFile(cfg, "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: dead\n    static_configs:\n      - targets: ['127.0.0.1:9']\n");
  const child = spawn(PROMETHEUS, [`--config.file=${cfg}`, `--storage.tsdb.path=${data}`, '--web.listen-address=127.0.0.1:0', '--storage.tsdb.wal-compression'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((res) => child.on('exit', () => res()));
  try {
    const seg = join(data, 'wal', '00000000');
    const deadline = Date.now() + 40_000;
    for (;;) {
      const size = existsSync(seg) ? (await stat(seg)).size : 0;
      if (size > 0 && /Server is ready/.test(log)) break;
      if (Date.now() > deadline) throw new Error(`prometheus wrote no WAL in time:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 2500)); // a few more scrapes
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  try {
    const series = new Map<number, Labels>();
    const ups: number[] = [];
    let sampleCount = 0;
    // Prometheus marks compressed fragments with bit 3 of the header byte (0x09 = snappy | full).
    const raw = await readFile(join(data, 'wal', '00000000'));
    const snappy = (raw[0]! & 0x08) !== 0;
    const res = await replayWAL(join(data, 'wal'), (rec) => {
      if (recordType(rec) === RecordType.Series) for (const s of decodeSeries(rec)) series.set(s.ref, s.labels);
      else if (recordType(rec) === RecordType.Samples) {
        decodeSamples(rec, (ref, _t, v) => {
          sampleCount++;
          if (series.get(ref)?.get('__name__') === 'up') ups.push(v);
        });
      }
    });
    assert.equal(res.corrupted, false);
    assert.ok(snappy, 'expected Prometheus to write snappy-compressed records');
    const up = [...series.values()].find((l) => l.get('__name__') === 'up');
    assert.ok(up, 'series up not found');
    assert.equal(up.get('job'), 'dead');
    assert.equal(up.get('instance'), '127.0.0.1:9');
    assert.ok(ups.length >= 1);
    assert.ok(ups.every((v) => v === 0));
    assert.ok(sampleCount >= 5);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
