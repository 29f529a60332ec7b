// WAL micro-benchmark: samples records of 2000 samples (the size of a typical remote-write request)
// logged with fsync off and on; reports MB/s, records/s and samples/s, plus encode and replay speed.
// Usage: node --import tsx bench/wal.ts [records=2000] [--concurrency=N]
//   --concurrency=N   number of log() calls in flight at once (default 1: each awaited; with fsync on,
//                     N > 1 shows group commit sharing fdatasyncs)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSamples, decodeSamples } from '../src/tsdb/record/record.ts';
import { WAL, replayWAL } from '../src/tsdb/wal/index.ts';

const args = process.argv.slice(2);
const RECORDS = Number(args.find((a) => /^\d+$/.test(a)) ?? 2000);
const concArg = args.find((a) => a.startsWith('--concurrency='));
const CONCURRENCY = concArg ? Number(concArg.split('=')[1]) : 1;
const SAMPLES = 2000;
const T0 = 1_700_000_000_000;

function buildRecords(count: number): Uint8Array[] {
  const refs = new Float64Array(SAMPLES);
  const ts = new Float64Array(SAMPLES);
  const vs = new Float64Array(SAMPLES);
  const out: Uint8Array[] = [];
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < SAMPLES; i++) {
      refs[i] = 1 + ((r * SAMPLES + i) % 100_000);
      ts[i] = T0 + r * 15_000 + (i % 7);
      vs[i] = (r * 31 + i) * 0.5;
    }
    out.push(encodeSamples(refs, ts, vs, SAMPLES));
  }
  return out;
}

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

async function runMode(fsync: boolean, recs: Uint8Array[], bytes: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-bench-wal-'));
  try {
    const w = await WAL.open({ dir, fsync });
    const t = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < recs.length) await w.log([recs[next++]!]);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const el = (performance.now() - t) / 1000;
    const syncs = w.syncCount;
    await w.close();
    console.log(
      `log fsync=${fsync ? 'on ' : 'off'} concurrency=${CONCURRENCY}: ${fmt(bytes / el / 1e6)} MB/s, ${fmt(recs.length / el, 0)} records/s, ` +
        `${fmt((recs.length * SAMPLES) / el / 1e6, 2)} M samples/s` + (fsync ? `, ${syncs} fdatasyncs` : ''),
    );
    const tr = performance.now();
    let n = 0;
    const res = await replayWAL(dir, (rec) => decodeSamples(rec, () => void n++));
    const elr = (performance.now() - tr) / 1000;
    if (n !== recs.length * SAMPLES || res.corrupted) throw new Error(`replay mismatch: ${n} samples, corrupted=${res.corrupted}`);
    console.log(`  replay+decode: ${fmt(bytes / elr / 1e6)} MB/s, ${fmt(n / elr / 1e6, 2)} M samples/s`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const te = performance.now();
const recs = buildRecords(RECORDS);
const ele = (performance.now() - te) / 1000;
const bytes = recs.reduce((a, r) => a + r.length, 0);
console.log(`${RECORDS} records × ${SAMPLES} samples, ${fmt(bytes / RECORDS, 0)} bytes/record (${fmt(bytes / RECORDS / SAMPLES, 2)} bytes/sample)`);
console.log(`encode: ${fmt((RECORDS * SAMPLES) / ele / 1e6, 2)} M samples/s`);
await runMode(false, recs, bytes);
await runMode(true, recs.slice(0, Math.min(recs.length, 500)), recs.slice(0, Math.min(recs.length, 500)).reduce((a, r) => a + r.length, 0));
