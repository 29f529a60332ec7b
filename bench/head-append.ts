// Head append micro-benchmark: S series × N samples appended the way remote write does it (one
// appender per request of ~2000 samples, series resolved by labels, no refs), then
// heap bytes per series after GC.
// Usage: node --expose-gc --import tsx bench/head-append.ts [series=100000] [samples=120] [--wal] [--reuse-labels]
//   --wal                 log to a real WAL in a temp dir (deleted afterwards)
//   --reuse-labels        reuse the Labels objects across requests (best case); by default every
//                         request gets fresh strings/Labels, as a remote-write decoder produces
// Timing covers append() + commit() only (label construction is outside); CPU seconds are
// reported next to wall time because wall time is unreliable on a loaded machine.
// Profile: node --cpu-prof --expose-gc --import tsx bench/head-append.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels } from '../src/labels/labels.ts';
import { Head } from '../src/tsdb/head/head.ts';

const args = process.argv.slice(2);
const nums = args.filter((a) => /^\d+$/.test(a)).map(Number);
const S = nums[0] ?? 100_000;
const N = nums[1] ?? 120;
const useWal = args.includes('--wal');
const reuse = args.includes('--reuse-labels');
const PER_REQUEST = 2000;
const STEP = 15_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % 7_200_000);

const gc = (globalThis as { gc?: () => void }).gc;
/** [V8 heap bytes, off-heap ArrayBuffer bytes] after a full GC (chunk data > 64 bytes lives off-heap). */
function memUsed(): [number, number] {
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return [m.heapUsed, m.arrayBuffers];
}
function rss(): number {
  return process.memoryUsage().rss;
}

/** node-exporter-like label sets: 5 labels, ~110 bytes. */
function flatFor(i: number): string[] {
  return [
    '__name__', `node_metric_${i % 200}_total`,
    'cpu', String(i % 8),
    'instance', `10.0.${(i >> 8) & 255}.${i & 255}:9100`,
    'job', 'node',
    'mode', ['idle', 'user', 'system', 'iowait'][i % 4]!,
  ];
}

async function main(): Promise<void> {
  if (!gc) console.warn('run with --expose-gc for accurate heap numbers');
  const dir = useWal ? await mkdtemp(join(tmpdir(), 'strata-bench-head-')) : null;
  const [baseHeap, baseAb] = memUsed();
  const head = dir ? await Head.open({ walDir: join(dir, 'wal') }) : new Head();
  const shared = reuse ? Array.from({ length: S }, (_, i) => Labels.fromSortedFlat(flatFor(i))) : null;
  let total = 0;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let appendNs = 0n;
  let commitNs = 0n;
  for (let k = 0; k < N; k++) {
    const ts = T0 + k * STEP;
    for (let start = 0; start < S; start += PER_REQUEST) {
      const end = Math.min(S, start + PER_REQUEST);
      // "Decode" the request: fresh strings/Labels as a protobuf decoder would produce.
      const batch: Labels[] = new Array(end - start);
      for (let i = start; i < end; i++) batch[i - start] = shared ? shared[i]! : Labels.fromSortedFlat(JSON.parse(JSON.stringify(flatFor(i))) as string[]);
      const a0 = process.hrtime.bigint();
      const app = head.appender();
      for (let i = start; i < end; i++) app.append(0, batch[i - start]!, ts, (i * 31 + k * 7) % 1000 + k);
      const a1 = process.hrtime.bigint();
      await app.commit();
      const a2 = process.hrtime.bigint();
      appendNs += a1 - a0;
      commitNs += a2 - a1;
      total += end - start;
    }
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSecs = (cpu.user + cpu.system) / 1e6; // wall time is unreliable on a shared machine
  const st = head.stats();
  const [heapNow, abNow] = memUsed();
  const heap = heapNow - baseHeap;
  const ab = abNow - baseAb;
  console.log(
    JSON.stringify(
      {
        series: S,
        samplesPerSeries: N,
        wal: useWal,
        labels: reuse ? 'reused' : 'fresh per request',
        samples: total,
        seconds: +secs.toFixed(3),
        samplesPerSec: Math.round(total / secs),
        cpuSeconds: +cpuSecs.toFixed(3),
        samplesPerCpuSec: Math.round(total / cpuSecs),
        appendNsPerSample: Math.round(Number(appendNs) / total),
        commitNsPerSample: Math.round(Number(commitNs) / total),
        head: st,
        heapBytesPerSeries: Math.round(heap / S),
        arrayBufferBytesPerSeries: Math.round(ab / S),
        bytesPerSeries: Math.round((heap + ab) / S),
        rssMiB: Math.round(rss() / 1048576),
      },
      null,
      2,
    ),
  );
  await head.close();
  if (dir) await rm(dir, { recursive: true, force: true });
}

await main();
